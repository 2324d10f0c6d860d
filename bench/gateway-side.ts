import { EventSourceParserStream } from 'eventsource-parser/stream';
import { signBearerToken } from '../identity/bearer-token.js';
import type { Signer } from '../identity/signing-key.js';
import type { StatusEvent } from '../schemas/types.js';
import { benchDeclaration } from './declaration.js';
import type { Offer, SideLedger } from './load.js';
import { FINAL } from './sides.js';

// G: the trader's way in, as a trader's system would use it: POST the signed declaration to the
// gateway, then follow its events over SSE. The events come from the archive (the projector has
// committed them), so the latency runs from the offer to the final status read back from there.

export interface GatewayTrader {
  /** The gateway's base URL, e.g. http://127.0.0.1:18080. */
  url: string;
  signer: Signer;
  /** The Ventanilla-Signature header of a body. */
  sign: (value: string) => Promise<Record<string, string>>;
}

export function submitOverHttp(trader: GatewayTrader, offers: Offer[], ledger: SideLedger): void {
  for (const offer of offers) follow(trader, offer, ledger).catch((error: unknown) => ledger.fail(error));
}

async function follow(trader: GatewayTrader, { id }: Offer, ledger: SideLedger): Promise<void> {
  const body = JSON.stringify(benchDeclaration(id));
  // One token per request: the gateway accepts each jti once.
  const posted = await fetch(`${trader.url}/v1/declarations`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${await signBearerToken(trader.signer)}`,
      'content-type': 'application/json',
      ...(await trader.sign(body)),
    },
    body,
  });
  const answer = await posted.text();
  if (posted.status !== 202) throw new Error(`POST of ${id} answered ${posted.status}: ${answer}`);
  ledger.mark(id, 'accepted', Date.now());
  const controller = new AbortController();
  const stream = await fetch(`${trader.url}/v1/declarations/${id}/events`, {
    headers: { authorization: `Bearer ${await signBearerToken(trader.signer)}`, accept: 'text/event-stream' },
    signal: controller.signal,
  });
  if (stream.status !== 200)
    throw new Error(`the events of ${id} answered ${stream.status}: ${await stream.text()}`);
  const events = stream.body!.pipeThrough(new TextDecoderStream()).pipeThrough(new EventSourceParserStream());
  try {
    for await (const message of events) {
      const event = JSON.parse(message.data) as StatusEvent;
      if (event.status === 'RECEIVED') ledger.mark(id, 'received', Date.parse(event.at));
      if (!FINAL.has(event.status)) continue;
      ledger.mark(id, 'final', Date.parse(event.at));
      ledger.complete(id, Date.now(), event.sequence, event.status, 'CLEARED');
      return;
    }
    throw new Error(`the event stream of ${id} ended before its final status`);
  } finally {
    controller.abort();
  }
}

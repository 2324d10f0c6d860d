import { Agent, request, type IncomingMessage } from 'node:http';
import { text } from 'node:stream/consumers';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
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

// A trader's system keeps its connections open. With Node's fetch (undici) G's load generator
// took 13.7 to 14.3 CPU-ms per declaration, and 9.1 with node:http (S's, producing to Kafka: 6.5
// to 7.7); this process's CPU is taken from the same two cores as the system under test.
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

export function submitOverHttp(trader: GatewayTrader, offers: Offer[], ledger: SideLedger): void {
  for (const offer of offers) follow(trader, offer, ledger).catch((error: unknown) => ledger.fail(error));
}

async function follow(trader: GatewayTrader, { id }: Offer, ledger: SideLedger): Promise<void> {
  const body = JSON.stringify(benchDeclaration(id));
  // One token per request: the gateway accepts each jti once.
  const posted = await send(
    trader,
    'POST',
    '/v1/declarations',
    {
      authorization: `Bearer ${await signBearerToken(trader.signer)}`,
      'content-type': 'application/json',
      ...(await trader.sign(body)),
    },
    body,
  );
  const answer = await text(posted);
  if (posted.statusCode !== 202) throw new Error(`POST of ${id} answered ${posted.statusCode}: ${answer}`);
  ledger.mark(id, 'accepted', Date.now());
  const stream = await send(trader, 'GET', `/v1/declarations/${id}/events`, {
    authorization: `Bearer ${await signBearerToken(trader.signer)}`,
    accept: 'text/event-stream',
  });
  if (stream.statusCode !== 200)
    throw new Error(`the events of ${id} answered ${stream.statusCode}: ${await text(stream)}`);
  try {
    for await (const message of serverSentEvents(stream)) {
      const event = JSON.parse(message.data) as StatusEvent;
      if (event.status === 'RECEIVED') ledger.mark(id, 'received', Date.parse(event.at));
      if (!FINAL.has(event.status)) continue;
      ledger.mark(id, 'final', Date.parse(event.at));
      ledger.complete(id, Date.now(), event.sequence, event.status, 'CLEARED');
      return;
    }
    throw new Error(`the event stream of ${id} ended before its final status`);
  } finally {
    stream.destroy();
  }
}

function send(
  trader: GatewayTrader,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, trader.url), { method, headers, agent }, resolve);
    req.on('error', reject);
    req.end(body);
  });
}

/** The events of an SSE response as they arrive (eventsource-parser does the parsing). */
async function* serverSentEvents(response: IncomingMessage): AsyncGenerator<EventSourceMessage> {
  const ready: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (message) => ready.push(message) });
  response.setEncoding('utf8');
  for await (const chunk of response) {
    parser.feed(chunk as string);
    while (ready.length > 0) yield ready.shift()!;
  }
}

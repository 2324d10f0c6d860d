import type { FastifyReply, FastifyRequest } from 'fastify';
import { eventsAfter } from '../../archive/archive-reads.js';
import type { StatusListener } from '../../archive/status-listener.js';
import type { StatusEvent } from '../../schemas/types.js';
import type { GatewayDeps } from './gateway-server.js';

/** A comment line this often keeps proxies from closing an idle stream, and polls the archive. */
const KEEPALIVE_MS = 15_000;

/** `Last-Event-ID` as a sequence; anything else starts from the beginning. */
export function lastEventId(request: FastifyRequest): number {
  const header = request.headers['last-event-id'];
  const value = Number(Array.isArray(header) ? header[0] : header);
  return Number.isSafeInteger(value) && value > 0 ? value : 0;
}

export function wantsEventStream(request: FastifyRequest): boolean {
  return /\btext\/event-stream\b/.test(request.headers.accept ?? '');
}

/** A subscription to a declaration's committed events, made before the stream's first read. */
export interface EarlySubscription {
  /** From now on to `onEvent`, after what was notified since the subscription. */
  deliverTo(onEvent: (event: StatusEvent | undefined) => void): void;
  unsubscribe(): void;
}

/**
 * Subscribes before the first read of the archive, so that no event committed between that read
 * and the stream's start goes unnoticed; what is notified meanwhile is held until the stream
 * takes it. (Subscribing after the read needed a second read to close that gap.)
 */
export function subscribeEarly(listener: StatusListener, declarationId: string): EarlySubscription {
  const held: Array<StatusEvent | undefined> = [];
  let deliver: (event: StatusEvent | undefined) => void = (event) => void held.push(event);
  const unsubscribe = listener.subscribe(declarationId, (event) => deliver(event));
  return {
    deliverTo(onEvent) {
      deliver = onEvent;
      for (const event of held.splice(0)) onEvent(event);
    },
    unsubscribe,
  };
}

/**
 * GET /v1/declarations/{id}/events as Server-Sent Events (design.md §11): every archived event
 * after Last-Event-ID, then each new one as the projector commits it. Each event's `id:` is its
 * sequence, so a client that reconnects with the last id it saw loses nothing and gets nothing
 * twice. `first` is what the caller already read (it proved the declaration is the trader's),
 * after `subscription` was made.
 */
export function streamEvents(
  deps: Pick<GatewayDeps, 'pool' | 'logger'>,
  request: FastifyRequest,
  reply: FastifyReply,
  declarationId: string,
  first: StatusEvent[],
  subscription: EarlySubscription,
): void {
  reply.hijack();
  const out = reply.raw;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // Node holds the headers back until the first write, and a declaration just submitted has no
  // event yet: without this the client would wait for the first keepalive to see the stream open.
  out.flushHeaders();
  let last = lastEventId(request);
  let reading: Promise<void> = Promise.resolve();
  const send = (events: StatusEvent[]) => {
    for (const event of events) {
      if (event.sequence <= last) continue;
      out.write(`id: ${event.sequence}\nevent: status\ndata: ${JSON.stringify(event)}\n\n`);
      last = event.sequence;
    }
  };
  // One step at a time, in order: notifications can arrive faster than the archive answers.
  const enqueue = (step: () => void | Promise<void>) => {
    reading = reading
      .then(step)
      .catch((error: unknown) =>
        deps.logger.warn({ err: error, declarationId }, 'event stream: archive read failed'),
      );
  };
  const readArchive = async () =>
    send((await eventsAfter(deps.pool, request.trader, declarationId, last)) ?? []);
  const readNew = () => enqueue(readArchive);
  send(first);
  // The event a notification carries is sent as it is when it is the next one; after a gap (a
  // notification lost, or one too large to carry its event), the archive fills it.
  // One already sent (it came with the first read) needs nothing.
  const notified = (event: StatusEvent | undefined) =>
    enqueue(() => {
      if (event && event.sequence <= last) return;
      return event?.sequence === last + 1 ? send([event]) : readArchive();
    });
  subscription.deliverTo(notified);
  const keepalive = setInterval(() => {
    out.write(': keepalive\n\n');
    readNew();
  }, KEEPALIVE_MS);
  request.raw.on('close', () => {
    clearInterval(keepalive);
    subscription.unsubscribe();
  });
}

import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { applyKafkajsIdleFix } from './kafkajs-idle-fix.js';

const require = createRequire(import.meta.url);

type Queue = {
  pending: unknown[];
  throttleCheckTimeoutId: NodeJS.Timeout | null;
  scheduleCheckPendingRequests(): void;
  destroy(): void;
};

/** A kafkajs request queue as a broker connection builds it. */
function requestQueue(): Queue {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as new (options: object) => Queue;
  const logger = {
    debug: () => undefined,
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  };
  return new RequestQueue({
    maxInFlightRequests: null,
    requestTimeout: 30_000,
    enforceRequestTimeout: false,
    clientId: 'test',
    broker: '127.0.0.1:9092',
    logger: { namespace: () => logger },
    isConnected: () => true,
  });
}

let queue: Queue | undefined;
afterEach(() => {
  if (queue?.throttleCheckTimeoutId) clearTimeout(queue.throttleCheckTimeoutId);
  queue = undefined;
});

describe('the kafkajs idle-timer fix', () => {
  it('schedules no check while no request is pending', () => {
    applyKafkajsIdleFix();
    queue = requestQueue();
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).toBeNull();
  });

  it('still schedules the check when a request waits', () => {
    applyKafkajsIdleFix();
    queue = requestQueue();
    queue.pending.push({});
    queue.scheduleCheckPendingRequests();
    expect(queue.throttleCheckTimeoutId).not.toBeNull();
  });

  it('is applied once, however often it is called', () => {
    applyKafkajsIdleFix();
    const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as { prototype: Queue };
    const patched = RequestQueue.prototype.scheduleCheckPendingRequests;
    applyKafkajsIdleFix();
    expect(RequestQueue.prototype.scheduleCheckPendingRequests).toBe(patched);
  });
});

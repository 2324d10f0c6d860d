import { createRequire } from 'node:module';

/**
 * kafkajs 2.2.4 (the latest release) re-arms a 1 ms timer for ever on every broker connection,
 * even with no request waiting: `scheduleCheckPendingRequests` schedules itself with a negative
 * delay when nothing is pending (tulios/kafkajs#1556, #1704; fix proposed in #1667, unreleased).
 * Each process with a few Kafka connections then spends CPU on thousands of empty timer
 * callbacks a second. The check only has work when requests are pending, and a request that
 * cannot go out at once (throttled, too many in flight) is pending when it schedules the check,
 * so skipping the check while the queue is empty changes nothing else. Applied once per process
 * by messaging/kafka.ts, which every Kafka client of the project goes through.
 */
interface RequestQueuePrototype {
  pending: unknown[];
  scheduleCheckPendingRequests(this: RequestQueuePrototype): void;
  [APPLIED]?: true;
}

const APPLIED = Symbol.for('ventanilla.kafkajs-idle-fix');
const require = createRequire(import.meta.url);

export function applyKafkajsIdleFix(): void {
  const RequestQueue = require('kafkajs/src/network/requestQueue/index.js') as {
    prototype: RequestQueuePrototype;
  };
  const prototype = RequestQueue.prototype;
  if (prototype[APPLIED]) return;
  const schedule = prototype.scheduleCheckPendingRequests;
  prototype.scheduleCheckPendingRequests = function scheduleWhenPending() {
    if (this.pending.length > 0) schedule.call(this);
  };
  prototype[APPLIED] = true;
}

import { proxyLocalActivities } from '@temporalio/workflow';
import type { ClearanceActivities } from '../activities/create-activities.js';

/**
 * Publishing to Kafka runs as local activities in the workflow's own worker: no extra task-queue
 * round trip per status. They retry without limit, because Kafka being down is something that
 * heals; a clearance must wait for it, not fail.
 */
const kafkaActivities = proxyLocalActivities<ClearanceActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/**
 * Local activities resolve in the order they complete when the workflow runs, but in the order
 * they were scheduled when it is replayed; two in flight at once could resume the workflow in
 * another order on replay (nondeterminism, caught by test/unit/history-replay.test.ts). One at a
 * time, the orders agree. Built per run, never module state.
 */
export function serialKafkaActivities(
  activities: ClearanceActivities = kafkaActivities,
): ClearanceActivities {
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(call: () => Promise<T>): Promise<T> => {
    const result = tail.then(call);
    tail = result.catch(() => undefined);
    return result;
  };
  return {
    now: () => serially(() => activities.now()),
    publishStatus: (...args) => serially(() => activities.publishStatus(...args)),
    publishReviewRequest: (...args) => serially(() => activities.publishReviewRequest(...args)),
    publishReviewWithdrawn: (...args) => serially(() => activities.publishReviewWithdrawn(...args)),
  };
}

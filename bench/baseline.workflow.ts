import { proxyActivities } from '@temporalio/workflow';
import type { BaselineActivities } from './baseline.activities.js';

export interface BaselineInput {
  /** Agency code → task queue, one queue per agency as the clearance has. */
  taskQueues: Record<string, string>;
}

/**
 * B0, the bare-Temporal baseline: the same fan-out shape as a fully automatic clearance (one
 * activity per agency, each on its own task queue, with the clearance's retry policy), and nothing
 * else: no status publishes, no search attributes, no memo.
 */
export async function baselineWorkflow(input: BaselineInput): Promise<number> {
  const results = await Promise.all(
    Object.entries(input.taskQueues).map(([agency, taskQueue]) =>
      proxyActivities<BaselineActivities>({
        taskQueue,
        startToCloseTimeout: '30s',
        retry: { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '10s', maximumAttempts: 5 },
      }).review({ agency }),
    ),
  );
  return results.filter((r) => r.outcome === 'APPROVED').length;
}

import { sleep } from '@temporalio/workflow';
import { clearanceWorkflow as current } from '../../workflows/clearance.workflow.js';
import type { ClearanceInput } from '../../workflows/messages.js';

/**
 * The clearance workflow with an unpatched change at its start (a timer before anything else),
 * exactly the kind of edit that breaks running clearances. The history-replay test replays the
 * fixtures against it to prove that the guard catches such a change, i.e. that it does not pass
 * when it should not.
 */
export async function clearanceWorkflow(input: ClearanceInput): Promise<unknown> {
  await sleep('1 minute');
  return current(input);
}

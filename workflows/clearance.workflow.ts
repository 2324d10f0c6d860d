import { allHandlersFinished, condition, continueAsNew, sleep } from '@temporalio/workflow';
import { isFinal } from '../domain/clearance-state.js';
import { durationMs } from '../domain/duration.js';
import { wireHandlers } from './clearance-handlers.js';
import { ClearanceRun } from './clearance-run.js';
import {
  continuesWhenClosed,
  cutForSize,
  nextRunInput,
  retentionLeft,
  shouldContinueAsNew,
} from './continue-as-new.js';
import type { ClearanceInput, ClearanceSnapshot } from './messages.js';

/**
 * One clearance per declaration: reviews every agency the routing requires, publishes each change
 * of status, and stays open a while after the final one. The rules are the reducer's
 * (domain/clearance-reducer.ts); this function only wires them to Temporal.
 */
export async function clearanceWorkflow(input: ClearanceInput): Promise<ClearanceSnapshot> {
  const run = new ClearanceRun(input);
  wireHandlers(run);
  for (const agency of run.opening) run.reviews.start(agency);
  if (input.carried) run.reviews.resume();

  while (!isFinal(run.state)) {
    // A full history wakes the loop too: the amendments it turns away leave no event that would.
    await condition(() => run.due || cutForSize(input, run.reviews.busy));
    if (run.due) await run.flush();
    if (shouldContinueAsNew(input, run.reviews.busy, run.dirty)) {
      await condition(allHandlersFinished);
      if (!run.dirty) return continueAsNew<typeof clearanceWorkflow>(nextRunInput(input, run.record));
    }
  }
  run.reviews.stopAll();
  if (run.failure) run.fail(run.failure);
  return stayOpen(run);
}

/**
 * Stays open for a while after the final status, so that duplicates and late messages get an
 * answer from the declaration itself instead of an error about a closed workflow.
 */
async function stayOpen(run: ClearanceRun): Promise<ClearanceSnapshot> {
  const { input } = run;
  const closedAt = run.publishedAt;
  // Only a run carried over after closing asks an activity for the time (each await is a promise).
  const retentionMs = input.carried?.closedAt
    ? await retentionLeft(input, run.kafka)
    : durationMs(input.closedRetention);
  let open = retentionMs > 0;
  if (open) void sleep(retentionMs).then(() => (open = false));
  while (open) {
    await condition(() => run.due || !open || (cutForSize(input, run.reviews.busy) && continuesWhenClosed()));
    if (run.due) await run.flush();
    // Messages keep arriving for a closed clearance too (amendments of a megabyte, duplicates):
    // its history is cut in the same way, and the next run waits out the rest of the retention.
    if (open && shouldContinueAsNew(input, run.reviews.busy, run.dirty) && continuesWhenClosed()) {
      await condition(allHandlersFinished);
      if (!run.dirty)
        return continueAsNew<typeof clearanceWorkflow>(nextRunInput(input, run.record, closedAt));
    }
  }
  if (!allHandlersFinished()) await condition(allHandlersFinished);
  return run.snapshot();
}

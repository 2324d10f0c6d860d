/**
 * The time of the workflow task being run, as an ISO string: the one clock workflow code reads.
 *
 * It is not the host's clock. In workflow code the Temporal SDK replaces `Date` with the start
 * time of the current workflow task, which the server records in history (`WorkflowTaskStarted`),
 * so a replay reads the same value. The lint rule "no clocks in workflows" exempts this file only;
 * everywhere else a workflow takes time from history through timers and activity results.
 */
export function taskTime(): string {
  return new Date().toISOString();
}

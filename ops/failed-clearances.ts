import { declarationIdOf } from '../clearance-client/workflow-ids.js';
import { defaultPayloadConverter, type Client, type WorkflowExecutionInfo } from '@temporalio/client';
import type { Config } from '../runtime/config.js';
import { CLEARANCE_WORKFLOW_TYPE } from '../workflows/messages.js';
import { FailedAgency } from '../workflows/search-attributes.js';

/**
 * How a clearance ended without a final status. Each of these closes the workflow, so Temporal's
 * reuse policy ALLOW_DUPLICATE_FAILED_ONLY lets an operator replay it (and nothing else).
 */
export const UNHAPPY_ENDINGS = ['FAILED', 'TIMED_OUT', 'TERMINATED', 'CANCELLED'] as const;
export type UnhappyEnding = (typeof UNHAPPY_ENDINGS)[number];

/** The same statuses as spelled in a visibility query. */
const VISIBILITY_NAMES: Record<UnhappyEnding, string> = {
  FAILED: 'Failed',
  TIMED_OUT: 'TimedOut',
  TERMINATED: 'Terminated',
  CANCELLED: 'Canceled',
};

export interface FailedClearance {
  declarationId: string;
  workflowId: string;
  /** The run that ended badly; a replay starts a new run under the same workflow ID. */
  runId: string;
  ending: UnhappyEnding;
  /** The agency whose review failed (search attribute FailedAgency); absent for timeouts and terminations. */
  agency?: string;
  cause: FailureCause;
  /** When the run closed. */
  at: string;
  startedAt: string;
}

export interface FailureCause {
  /** ApplicationFailure type (e.g. ClearanceFailed, InvalidRegistry), or the kind of ending. */
  type: string;
  message: string;
}

export interface FailedFilter {
  /** Only runs that closed at or after this time. */
  since?: Date;
  /** Only clearances whose review of this agency failed. */
  agency?: string;
}

export interface FailedListing {
  query: string;
  clearances: FailedClearance[];
  /** Failed runs left out because the declaration was replayed since (its latest run is newer). */
  replayed: number;
}

function quoted(value: string): string {
  if (/['"\\]/.test(value)) throw new Error(`cannot use ${JSON.stringify(value)} in a visibility query`);
  return `'${value}'`;
}

/**
 * The visibility query behind `ops failed`: clearance workflows on this deployment's task queue
 * whose run ended without a final status. Temporal visibility is the only source: there is no
 * second database to drift from what Temporal knows.
 */
export function failedClearancesQuery(config: Pick<Config, 'taskQueue'>, filter: FailedFilter = {}): string {
  const endings = UNHAPPY_ENDINGS.map((e) => quoted(VISIBILITY_NAMES[e])).join(', ');
  const clauses = [
    `WorkflowType = ${quoted(CLEARANCE_WORKFLOW_TYPE)}`,
    `TaskQueue = ${quoted(config.taskQueue)}`,
    `ExecutionStatus IN (${endings})`,
  ];
  if (filter.since) clauses.push(`CloseTime >= ${quoted(filter.since.toISOString())}`);
  if (filter.agency) clauses.push(`${FailedAgency.name} = ${quoted(filter.agency)}`);
  return clauses.join(' AND ');
}

/** Bounded parallelism for the per-clearance lookups (describe, close event). */
async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!);
    }
  });
  await Promise.all(lanes);
  return results;
}

/**
 * Failed, timed-out, terminated and cancelled clearances, newest first, each with its cause.
 * A declaration that was replayed since no longer counts: visibility keeps its old failed run, but
 * its latest run (the replay) is another one, so it is left out and only counted.
 */
export async function listFailedClearances(
  client: Client,
  config: Pick<Config, 'taskQueue'>,
  filter: FailedFilter = {},
): Promise<FailedListing> {
  const query = failedClearancesQuery(config, filter);
  const runs: WorkflowExecutionInfo[] = [];
  for await (const execution of client.workflow.list({ query })) runs.push(execution);
  const rows = await mapLimit(runs, 8, async (run) => {
    const latest = await client.workflow.getHandle(run.workflowId).describe();
    if (latest.runId !== run.runId) return undefined;
    return describeFailedRun(client, run);
  });
  const clearances = rows
    .filter((row): row is FailedClearance => row !== undefined)
    .sort((a, b) => b.at.localeCompare(a.at));
  return { query, clearances, replayed: runs.length - clearances.length };
}

/** The row of one unhappily ended run: the cause is read from the run's close event only. */
export async function describeFailedRun(
  client: Client,
  run: Pick<
    WorkflowExecutionInfo,
    'workflowId' | 'runId' | 'status' | 'closeTime' | 'startTime' | 'typedSearchAttributes'
  >,
): Promise<FailedClearance> {
  const cause = await closeCause(client, run.workflowId, run.runId);
  const agency = run.typedSearchAttributes.get(FailedAgency) ?? cause.agency;
  return {
    declarationId: declarationIdOf(run.workflowId),
    workflowId: run.workflowId,
    runId: run.runId,
    ending: run.status.name as UnhappyEnding,
    ...(agency ? { agency } : {}),
    cause: { type: cause.type, message: cause.message },
    at: (run.closeTime ?? run.startTime).toISOString(),
    startedAt: run.startTime.toISOString(),
  };
}

interface ProtoFailure {
  message?: string | null;
  cause?: ProtoFailure | null;
  applicationFailureInfo?: {
    type?: string | null;
    details?: { payloads?: Parameters<typeof defaultPayloadConverter.fromPayload>[0][] | null } | null;
  } | null;
}

/**
 * Reads only the close event of a run (HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT), however long the
 * history is, and turns it into a cause an operator can read.
 */
async function closeCause(
  client: Client,
  workflowId: string,
  runId: string,
): Promise<FailureCause & { agency?: string }> {
  const response = await client.workflowService.getWorkflowExecutionHistory({
    namespace: client.options.namespace,
    execution: { workflowId, runId },
    historyEventFilterType: 2, // HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT
  });
  const event = response.history?.events?.at(-1);
  const failed = event?.workflowExecutionFailedEventAttributes;
  if (failed?.failure) {
    const failure = failed.failure as ProtoFailure;
    return {
      type: failure.applicationFailureInfo?.type ?? 'WorkflowFailure',
      message: failureChain(failure),
      ...agencyOf(failure),
    };
  }
  const terminated = event?.workflowExecutionTerminatedEventAttributes;
  if (terminated) {
    return {
      type: 'Terminated',
      message: `terminated${terminated.identity ? ` by ${terminated.identity}` : ''}: ${terminated.reason || 'no reason given'}`,
    };
  }
  if (event?.workflowExecutionTimedOutEventAttributes) {
    return { type: 'TimedOut', message: 'the workflow run timed out (its run or execution timeout passed)' };
  }
  const canceled = event?.workflowExecutionCanceledEventAttributes;
  if (canceled) return { type: 'Cancelled', message: 'the workflow was cancelled' };
  return { type: 'Unknown', message: 'the run has no close event (was it reset or archived?)' };
}

/** "A: B: C" down the cause chain, without repeating a message its parent already includes. */
function failureChain(failure: ProtoFailure): string {
  const parts: string[] = [];
  for (let f: ProtoFailure | null | undefined = failure; f && parts.length < 5; f = f.cause) {
    const message = f.message ?? '';
    if (message && !parts.some((p) => p.includes(message))) parts.push(message);
  }
  return parts.join(': ') || 'no message';
}

function agencyOf(failure: ProtoFailure): { agency?: string } {
  const payload = failure.applicationFailureInfo?.details?.payloads?.[0];
  if (!payload) return {};
  try {
    const details = defaultPayloadConverter.fromPayload<{ agency?: unknown }>(payload);
    return typeof details?.agency === 'string' ? { agency: details.agency } : {};
  } catch {
    return {}; // details in an unexpected shape only cost the agency column, not the listing
  }
}

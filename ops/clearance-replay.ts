import { amendedDeclaration } from '../domain/clearance-state.js';
import {
  defaultPayloadConverter,
  WorkflowExecutionAlreadyStartedError,
  type Client,
} from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { History, Payload } from '@temporalio/common/lib/proto-utils.js';
import type { Config } from '../runtime/config.js';
import type { Amendment, Registry } from '../schemas/types.js';
import { declarationWorkflowId } from '../clearance-client/workflow-ids.js';
import {
  CLEARANCE_WORKFLOW_TYPE,
  type AmendmentCommand,
  type ClearanceInput,
  type UpdateAck,
} from '../workflows/messages.js';
import { clearanceInput, clearanceStart } from '../clearance-client/clearance-start.js';
import { failedClearancesQuery, UNHAPPY_ENDINGS, type UnhappyEnding } from './failed-clearances.js';
import { OpsError } from './ops-error.js';

/** Memo `source` of a clearance an operator replayed; intake's starts carry a Kafka record ref. */
export const REPLAY_SOURCE_PREFIX = 'ops-replay:';

export interface ReplayInput {
  input: ClearanceInput;
  /** Amendments the failed run had accepted, folded into the declaration the replay starts from. */
  amendments: string[];
  /** No status event of the failed run carried a sequence above this. */
  sequenceBound: number;
  /** What differs between the failed run's registry and the current one: the fix taking effect. */
  registryChanges: string[];
}

/**
 * The input of a replay, derived from the failed run's history only (no query, so no worker is
 * needed and a workflow bug cannot hide the input):
 * - the declaration as validated at intake (the first event's input, or the state carried by
 *   continue-as-new), with every amendment the run accepted applied, so the trader's accepted
 *   changes are not lost;
 * - the CURRENT registry and agency task queues, so the fix an operator rolled out takes effect;
 * - a sequenceBase above every sequence the failed run published, so traders' consumers, which
 *   drop events whose sequence they have already passed, see the replay's events;
 * - no carried state and run counter: the replay is a fresh clearance of the same declaration.
 * The original receivedAt, contentHash (intake's duplicate check), retention and continue-as-new
 * settings stay as they were.
 */
export function replayInputFromHistory(
  history: History,
  registry: Registry,
  config: Pick<
    Config,
    'agencyTaskQueuePrefix' | 'closedRetention' | 'continueAsNewAfterEvents' | 'continueAsNewAfterBytes'
  >,
  now: number = Date.now(),
): ReplayInput {
  const events = history.events ?? [];
  const payload = events[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new OpsError('the failed run has no recorded input (its first event is not a start)');
  const original = defaultPayloadConverter.fromPayload<ClearanceInput>(payload);
  if (!original?.declaration?.declarationId || typeof original.sequenceBase !== 'number') {
    throw new OpsError('the failed run was not started with a clearance input; refusing to guess one');
  }

  const accepted = acceptedAmendments(events);
  // Exactly what the workflow does with an accepted amendment.
  const declaration = accepted.reduce(
    amendedDeclaration,
    original.carried?.state.declaration ?? original.declaration,
  );

  // Each status publication is a local-activity marker in this run's history and raises the
  // sequence by at most one (plus RECEIVED once), so the history's length bounds the sequences.
  const sequenceBound = (original.carried?.sequence ?? original.sequenceBase) + events.length + 1;
  const fresh = clearanceInput(
    {
      agencyTaskQueuePrefix: config.agencyTaskQueuePrefix,
      closedRetention: original.closedRetention ?? config.closedRetention,
      continueAsNewAfterEvents: original.continueAsNewAfterEvents ?? config.continueAsNewAfterEvents,
      continueAsNewAfterBytes: original.continueAsNewAfterBytes ?? config.continueAsNewAfterBytes,
    },
    registry,
    declaration,
    Date.parse(original.receivedAt),
  );
  return {
    input: {
      ...fresh,
      receivedAt: original.receivedAt,
      // The hash of the declaration as submitted: a resubmission of it stays an exact duplicate.
      contentHash: original.contentHash,
      sequenceBase: Math.max(sequenceBound, now),
    },
    amendments: accepted.map((a) => a.amendmentId),
    sequenceBound,
    registryChanges: registryChanges(original.registry, registry),
  };
}

/** The differences an operator should see before a replay: agencies, their settings, the tables. */
export function registryChanges(before: Registry, after: Registry): string[] {
  const changes: string[] = [];
  if (before.version !== after.version) changes.push(`version ${before.version} → ${after.version}`);
  const codes = [...new Set([...before.agencies, ...after.agencies].map((a) => a.code))];
  for (const code of codes) {
    const was = before.agencies.find((a) => a.code === code);
    const now = after.agencies.find((a) => a.code === code);
    if (!was || !now) {
      changes.push(`${code} ${was ? 'removed' : 'added'}`);
      continue;
    }
    for (const field of ['mode', 'adapter', 'deadline', 'deadlinePolicy'] as const) {
      if (was[field] !== now[field]) changes.push(`${code} ${field} ${was[field]} → ${now[field]}`);
    }
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(before.routing, after.routing)) changes.push('routing rules changed');
  if (!same(before.embargo, after.embargo)) {
    changes.push(
      `embargo [${before.embargo.countries.join(', ')}] → [${after.embargo.countries.join(', ')}]`,
    );
  }
  if (!same(before.inspection, after.inspection)) changes.push('inspection settings changed');
  return changes;
}

/** Amendments whose update completed with `accepted: true` (not a duplicate), in acceptance order. */
function acceptedAmendments(events: NonNullable<History['events']>): Amendment[] {
  const requested = new Map<string, Amendment>();
  const order: string[] = [];
  const applied = new Set<string>();
  for (const event of events) {
    const accepted = event.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest;
    if (accepted?.input?.name === 'amend') {
      const updateId = accepted.meta?.updateId ?? '';
      const arg = accepted.input.args?.payloads?.[0];
      if (!arg) continue;
      requested.set(
        updateId,
        defaultPayloadConverter.fromPayload<AmendmentCommand>(arg as Payload).amendment,
      );
      order.push(updateId);
    }
    const completed = event.workflowExecutionUpdateCompletedEventAttributes;
    const result = completed?.outcome?.success?.payloads?.[0];
    if (completed && result) {
      const ack = defaultPayloadConverter.fromPayload<UpdateAck>(result as Payload);
      if (ack?.accepted && !ack.duplicate) applied.add(completed.meta?.updateId ?? '');
    }
  }
  return order.filter((id) => applied.has(id)).map((id) => requested.get(id)!);
}

export type ReplayOutcome =
  | {
      outcome: 'replayed' | 'would-replay';
      declarationId: string;
      workflowId: string;
      /** How the replayed run had ended. */
      ending: UnhappyEnding;
      failedRunId: string;
      /** The new run; absent on a dry run. */
      runId?: string;
      amendments: string[];
      /** Registry differences between the failed run and the replay (empty: the same registry). */
      registryChanges: string[];
      sequenceBase: number;
    }
  | {
      outcome: 'already-replayed';
      declarationId: string;
      workflowId: string;
      /** Temporal's status of the replayed (latest) run: RUNNING or COMPLETED. */
      execution: string;
      runId: string;
      message: string;
    }
  | { outcome: 'refused' | 'not-found'; declarationId: string; workflowId: string; message: string };

export interface ReplayDeps {
  client: Client;
  config: Pick<
    Config,
    | 'taskQueue'
    | 'agencyTaskQueuePrefix'
    | 'closedRetention'
    | 'continueAsNewAfterEvents'
    | 'continueAsNewAfterBytes'
  >;
  /** The registry as loaded now (after the fix), not the one the failed run started with. */
  registry: Registry;
  now?: () => number;
}

/**
 * Replays one failed clearance: a new run under the same workflow ID, from the failed run's input.
 * Idempotent: the start uses ALLOW_DUPLICATE_FAILED_ONLY with conflict policy FAIL, so Temporal
 * itself refuses a second run while the replay runs or after it completed; a second replay (or
 * two operators at once) gets `already-replayed`, never a second clearance.
 */
export async function replayClearance(
  deps: ReplayDeps,
  declarationId: string,
  options: { dryRun?: boolean } = {},
): Promise<ReplayOutcome> {
  const { client, config, registry } = deps;
  const workflowId = declarationWorkflowId(declarationId);
  const found = await failedRun(deps, declarationId, workflowId);
  if ('outcome' in found) return found;
  const { latest, ending } = found;
  const history = await client.workflow.getHandle(workflowId, latest.runId).fetchHistory();
  const now = deps.now ?? Date.now;
  const plan = replayInputFromHistory(history, registry, config, now());
  const result = {
    declarationId,
    workflowId,
    ending,
    failedRunId: latest.runId,
    amendments: plan.amendments,
    registryChanges: plan.registryChanges,
    sequenceBase: plan.input.sequenceBase,
  };
  if (options.dryRun) return { outcome: 'would-replay', ...result };
  try {
    const handle = await client.workflow.start(
      ...clearanceStart(config, plan.input, {
        source: `${REPLAY_SOURCE_PREFIX}${latest.runId}`,
        reusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
      }),
    );
    return { outcome: 'replayed', ...result, runId: handle.firstExecutionRunId };
  } catch (error) {
    if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    // Another replay won the race between our describe and our start.
    const current = await client.workflow.getHandle(workflowId).describe();
    return alreadyReplayed(declarationId, workflowId, current.status.name, current.runId);
  }
}

type Described = Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['describe']>>;

/** The clearance's latest run if it ended unhappily, or the outcome that says why there is none to replay. */
async function failedRun(
  { client, config }: ReplayDeps,
  declarationId: string,
  workflowId: string,
): Promise<{ latest: Described; ending: UnhappyEnding } | ReplayOutcome> {
  let latest: Described;
  try {
    latest = await client.workflow.getHandle(workflowId).describe();
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    const message = `no clearance for ${declarationId}; if its input was invalid it is a dead letter (ops dlq list)`;
    return { outcome: 'not-found', declarationId, workflowId, message };
  }
  if (latest.type !== CLEARANCE_WORKFLOW_TYPE) {
    const message = `${workflowId} is a ${latest.type}, not a clearance`;
    return { outcome: 'refused', declarationId, workflowId, message };
  }
  const ending = latest.status.name;
  if (isUnhappy(ending)) return { latest, ending };
  if (await wasReplayed(client, config, workflowId)) {
    return alreadyReplayed(declarationId, workflowId, ending, latest.runId);
  }
  const hint = ending === 'RUNNING' ? ` (npx ventanilla status ${declarationId})` : '';
  return {
    outcome: 'refused',
    declarationId,
    workflowId,
    message: `${declarationId} is not failed: its clearance is ${ending.toLowerCase()}${hint}; only failed, timed-out, terminated or cancelled clearances are replayed`,
  };
}

function isUnhappy(ending: string): ending is UnhappyEnding {
  return (UNHAPPY_ENDINGS as readonly string[]).includes(ending);
}

function alreadyReplayed(
  declarationId: string,
  workflowId: string,
  execution: string,
  runId: string,
): ReplayOutcome {
  return {
    outcome: 'already-replayed',
    declarationId,
    workflowId,
    execution,
    runId,
    message: `${declarationId} was already replayed: its clearance is ${execution.toLowerCase()} (run ${runId}); nothing to do`,
  };
}

/**
 * A clearance whose latest run is healthy but that has an earlier failed run was replayed:
 * REJECT_DUPLICATE lets nothing else start a second run of a declaration's workflow ID.
 */
async function wasReplayed(
  client: Client,
  config: Pick<Config, 'taskQueue'>,
  workflowId: string,
): Promise<boolean> {
  const query = `${failedClearancesQuery(config)} AND WorkflowId = '${workflowId.replace(/'/g, '')}'`;
  const { count } = await client.workflow.count(query);
  return count > 0;
}

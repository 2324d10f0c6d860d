import type { WorkflowStartOptions } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';
import { agencyTaskQueue, type Config } from '../runtime/config.js';
import type { Declaration, Registry, StatusEvent } from '../schemas/types.js';
import { clearanceSearch, searchUpdates, type ClearanceSearch } from '../workflows/clearance-search.js';
import { declarationWorkflowId } from './workflow-ids.js';
import { CLEARANCE_WORKFLOW_TYPE, type ClearanceInput } from '../workflows/messages.js';
import { agencyPolicies, openingEvents, openingTransition } from '../domain/opening.js';
import { DeclarationStatus, PendingAgencies, Regime, TraderTaxId } from '../workflows/search-attributes.js';
import { stampStatusEvents } from '../domain/status-events.js';
import { contentHash } from '../domain/canonical-json.js';

/** Everything a clearance starts from; recorded in its history, so a replay starts from the same. */
export function clearanceInput(
  config: Pick<
    Config,
    'agencyTaskQueuePrefix' | 'closedRetention' | 'continueAsNewAfterEvents' | 'continueAsNewAfterBytes'
  >,
  registry: Registry,
  declaration: Declaration,
  receivedAtMs: number,
): ClearanceInput {
  return {
    declaration,
    registry,
    taskQueues: Object.fromEntries(registry.agencies.map((a) => [a.code, agencyTaskQueue(config, a.code)])),
    sequenceBase: receivedAtMs,
    receivedAt: new Date(receivedAtMs).toISOString(),
    contentHash: contentHash(declaration),
    closedRetention: config.closedRetention,
    continueAsNewAfterEvents: config.continueAsNewAfterEvents,
    continueAsNewAfterBytes: config.continueAsNewAfterBytes,
    autoReviewsUnscoped: true,
    autoProgressHeld: true,
    statusBySink: true,
  };
}

export interface Opening {
  /** The input, marked so that the workflow starts from the opening events instead of publishing them. */
  input: ClearanceInput;
  /** RECEIVED and IN_REVIEW, stamped and checked against the status event schema. */
  events: StatusEvent[];
  search: ClearanceSearch;
}

/**
 * The opening intake publishes itself (see `ClearanceInput.openingPublished`). Undefined when it
 * cannot be built (the registry cannot route the declaration): the workflow then opens as it
 * would without intake's help, and fails saying why.
 */
export function intakeOpening(input: ClearanceInput, at: string): Opening | undefined {
  try {
    const { state } = openingTransition(input.declaration, input.registry);
    const workflowId = declarationWorkflowId(input.declaration.declarationId);
    return {
      input: { ...input, openingPublished: true },
      events: stampStatusEvents(openingEvents(state, input.sequenceBase), at, workflowId),
      search: clearanceSearch(state, agencyPolicies(input.registry), {}),
    };
  } catch {
    return undefined;
  }
}

export type ClearanceStart = [
  typeof CLEARANCE_WORKFLOW_TYPE,
  WorkflowStartOptions<(input: ClearanceInput) => Promise<unknown>>,
];

/** The one way a clearance is started (intake, operator replay, tests): same ID, same policies. */
export function clearanceStart(
  config: Pick<Config, 'taskQueue'>,
  input: ClearanceInput,
  options: {
    source: string;
    reusePolicy?: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY';
    /** The search attributes of the opened state, when intake publishes the opening itself. */
    opened?: ClearanceSearch;
  },
): ClearanceStart {
  const { declaration } = input;
  return [
    CLEARANCE_WORKFLOW_TYPE,
    {
      taskQueue: config.taskQueue,
      workflowId: declarationWorkflowId(declaration.declarationId),
      args: [input],
      // Never a second clearance for one declarationId: not while one runs, and not after one
      // closed, unless an operator replays a failed one (ALLOW_DUPLICATE_FAILED_ONLY).
      workflowIdConflictPolicy: 'FAIL',
      workflowIdReusePolicy: options.reusePolicy ?? 'REJECT_DUPLICATE',
      memo: { contentHash: input.contentHash, source: options.source },
      typedSearchAttributes: [
        { key: TraderTaxId, value: declaration.trader.taxId },
        { key: Regime, value: declaration.regime },
        ...(options.opened
          ? searchUpdates(options.opened).filter((pair): pair is SearchAttributePair => pair.value !== null)
          : [
              { key: DeclarationStatus, value: 'RECEIVED' },
              { key: PendingAgencies, value: [] },
            ]),
      ],
    },
  ];
}

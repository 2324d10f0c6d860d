import type { WorkflowStartOptions } from '@temporalio/client';
import { agencyTaskQueue, type Config } from '../runtime/config.js';
import type { Declaration, Registry } from '../schemas/types.js';
import {
  CLEARANCE_WORKFLOW_TYPE,
  declarationWorkflowId,
  type ClearanceInput,
} from '../workflows/messages.js';
import { DeclarationStatus, PendingAgencies, Regime, TraderTaxId } from '../workflows/search-attributes.js';
import { contentHash } from './intake-parse.js';

/** Everything a clearance starts from; recorded in its history, so a replay starts from the same. */
export function clearanceInput(
  config: Pick<Config, 'agencyTaskQueuePrefix' | 'closedRetention' | 'continueAsNewAfterEvents'>,
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
  };
}

export type ClearanceStart = [
  typeof CLEARANCE_WORKFLOW_TYPE,
  WorkflowStartOptions<(input: ClearanceInput) => Promise<unknown>>,
];

/** The one way a clearance is started (intake, operator replay, tests): same ID, same policies. */
export function clearanceStart(
  config: Pick<Config, 'taskQueue'>,
  input: ClearanceInput,
  options: { source: string; reusePolicy?: 'REJECT_DUPLICATE' | 'ALLOW_DUPLICATE_FAILED_ONLY' },
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
        { key: DeclarationStatus, value: 'RECEIVED' },
        { key: TraderTaxId, value: declaration.trader.taxId },
        { key: Regime, value: declaration.regime },
        { key: PendingAgencies, value: [] },
      ],
    },
  ];
}

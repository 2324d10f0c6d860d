import { ApplicationFailure, Context } from '@temporalio/activity';
import type { AdapterDecision, AgencyAdapter, ReviewInput } from './adapters/adapter.js';
import { BUILT_IN_ADAPTERS } from './adapters/index.js';
import type { ActivityDeps } from './activity-deps.js';

export type ReviewResult = AdapterDecision & { at: string };

/** Runs on the agency's own task queue: the automatic adapter the registry names decides. */
export function reviewActivity({ config, logger, extraAdapters = {}, now = () => new Date() }: ActivityDeps) {
  const adapters: Record<string, AgencyAdapter> = { ...BUILT_IN_ADAPTERS, ...extraAdapters };
  return async function reviewDeclaration(input: ReviewInput): Promise<ReviewResult> {
    const { request } = input;
    const adapter = adapters[input.adapter];
    if (!adapter) {
      // A registry entry names an adapter this worker does not have: only a deployment can fix that.
      throw ApplicationFailure.nonRetryable(
        `agency ${request.agency}: no adapter named "${input.adapter}" on this worker (known: ${Object.keys(adapters).join(', ')})`,
        'UnknownAdapter',
      );
    }
    const decision = adapter(input, { riskKey: config.riskKey });
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    logger.info(
      {
        declarationId: request.declarationId,
        workflowId,
        agency: request.agency,
        round: request.round,
        outcome: decision.outcome,
      },
      'automatic review decided',
    );
    return { ...decision, at: now().toISOString() };
  };
}

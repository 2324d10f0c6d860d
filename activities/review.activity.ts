import { ApplicationFailure, Context } from '@temporalio/activity';
import { boundedConditions, boundedReasons } from '../domain/bounded-text.js';
import type { AdapterContext, AdapterDecision, AgencyAdapter, ReviewInput } from './adapters/adapter.js';
import { BUILT_IN_ADAPTERS } from './adapters/index.js';
import type { ActivityDeps } from './activity-deps.js';

export type ReviewResult = AdapterDecision & { at: string };

/**
 * An adapter's decision cut to what the decision schema allows (at most 20 reasons of at most
 * 500 characters, the same for conditions), keeping only the decision's own properties. Every
 * adapter's answer passes through here, so one registered by a deployment or a test cannot make
 * the clearance publish a status event that breaks its schema either. A decision already within
 * bounds keeps its content.
 */
export function boundedDecision(decision: AdapterDecision): AdapterDecision {
  const { outcome, reasons, conditions, inspection } = decision;
  return {
    outcome,
    reasons: boundedReasons(Array.isArray(reasons) ? reasons : []),
    ...(Array.isArray(conditions) ? { conditions: boundedConditions(conditions) } : {}),
    ...(inspection ? { inspection } : {}),
  };
}

/** What the review activity decides, without the activity around it: the adapter, bounded. */
export function decideAutomatically(
  adapter: AgencyAdapter,
  input: ReviewInput,
  context: AdapterContext,
): AdapterDecision {
  return boundedDecision(adapter(input, context));
}

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
    const decision = decideAutomatically(adapter, input, { riskKey: config.riskKey });
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

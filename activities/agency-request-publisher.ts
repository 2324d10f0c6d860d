import { ApplicationFailure, Context } from '@temporalio/activity';
import { check, validateAgencyRequest } from '../schemas/validators.js';
import { agencyRequestsTopic } from '../runtime/config.js';
import type { Reason, ReviewRequest, ReviewWithdrawn } from '../schemas/types.js';
import type { ReviewDraft } from '../domain/agency-view.js';
import { durationMs } from '../domain/duration.js';
import type { ActivityDeps } from './activity-deps.js';

/**
 * Our own message that breaks the agencies' contract would break their systems: never send it.
 * Retrying cannot fix it, so the activity fails for good and the clearance shows FAILED.
 */
function assertValid(message: ReviewRequest | ReviewWithdrawn): void {
  const result = check(validateAgencyRequest, message);
  if (result.ok) return;
  const problems = result.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
  throw ApplicationFailure.nonRetryable(
    `${message.kind} for ${message.agency} violates its schema: ${problems}`,
    'InvalidAgencyRequest',
  );
}

export interface WithdrawalNotice {
  declarationId: string;
  agency: string;
  round: number;
  reason: Reason;
}

/** Sends agencies their views (queue mode) and tells them when a review they hold is withdrawn. */
export function agencyRequestPublisher({ config, producer, logger, now = () => new Date() }: ActivityDeps) {
  async function publishReviewRequest(
    draft: ReviewDraft,
    deadline: string,
  ): Promise<{ at: string; deadline: string }> {
    const at = now();
    const request: ReviewRequest = {
      ...draft,
      at: at.toISOString(),
      deadline: new Date(at.getTime() + durationMs(deadline)).toISOString(),
    };
    assertValid(request);
    await producer.send({
      topic: agencyRequestsTopic(config.topics, draft.agency),
      acks: -1,
      messages: [{ key: draft.declarationId, value: JSON.stringify(request) }],
    });
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    logger.info(
      { declarationId: draft.declarationId, workflowId, agency: draft.agency, round: draft.round },
      'review requested',
    );
    return { at: request.at, deadline: request.deadline };
  }

  async function publishReviewWithdrawn(notices: WithdrawalNotice[]): Promise<void> {
    const at = now().toISOString();
    await producer.sendBatch({
      topicMessages: notices.map((notice) => {
        const message: ReviewWithdrawn = { kind: 'review-withdrawn', at, ...notice };
        assertValid(message);
        return {
          topic: agencyRequestsTopic(config.topics, notice.agency),
          messages: [{ key: notice.declarationId, value: JSON.stringify(message) }],
        };
      }),
      acks: -1,
    });
  }

  return { publishReviewRequest, publishReviewWithdrawn };
}

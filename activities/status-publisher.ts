import { ApplicationFailure, Context } from '@temporalio/activity';
import type { StatusEvent } from '../schemas/types.js';
import { check, validateStatusEvent } from '../schemas/validators.js';
import type { ActivityDeps } from './activity-deps.js';

export type StatusDraft = Omit<StatusEvent, 'at'>;

/**
 * Publishes status events to the trader-facing topic, keyed by declarationId so one declaration's
 * events stay in order on one partition. A retry may publish an event twice; consumers drop the
 * repeat by its sequence, which is why the sequence is fixed by the workflow, not here.
 */
export function statusPublisher({ config, producer, logger, now = () => new Date() }: ActivityDeps) {
  return async function publishStatus(drafts: StatusDraft[]): Promise<void> {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    const at = now().toISOString();
    const events = drafts.map((draft) => ({ ...draft, at, ...(workflowId ? { workflowId } : {}) }));
    for (const event of events) {
      const result = check(validateStatusEvent, event);
      if (!result.ok) {
        // Our own event breaks the contract: retrying cannot fix it, and publishing it would break consumers.
        throw ApplicationFailure.nonRetryable(
          `status event violates its schema: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
          'InvalidStatusEvent',
        );
      }
    }
    await producer.send({
      topic: config.topics.status,
      acks: -1,
      messages: events.map((event) => ({ key: event.declarationId, value: JSON.stringify(event) })),
    });
    for (const event of events) {
      logger.info(
        { declarationId: event.declarationId, workflowId, sequence: event.sequence, status: event.status },
        'status published',
      );
    }
  };
}

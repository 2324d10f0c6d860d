import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CoalescingSender } from '../messaging/coalescing-sender.js';
import type { StatusEvent } from '../schemas/types.js';
import { InvalidStatusEvent, stampStatusEvents, type StatusDraft } from '../domain/status-events.js';
import { statusRecords } from '../messaging/status-records.js';
import type { ActivityDeps } from './activity-deps.js';

/**
 * Publishes status events to the trader-facing topic. A retry may publish an event twice;
 * consumers drop the repeat by its sequence, which is why the sequence is fixed by the workflow,
 * not here.
 */
export function statusPublisher(
  { config, logger, now = () => new Date() }: ActivityDeps,
  sender: CoalescingSender,
) {
  /** Returns the time the events were stamped with: the workflow has no clock of its own. */
  return async function publishStatus(drafts: StatusDraft[]): Promise<{ at: string }> {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    let events: StatusEvent[];
    const at = now().toISOString();
    try {
      events = stampStatusEvents(drafts, at, workflowId);
    } catch (error) {
      if (!(error instanceof InvalidStatusEvent)) throw error;
      // Retrying cannot fix our own event.
      throw ApplicationFailure.nonRetryable(error.message, 'InvalidStatusEvent');
    }
    await sender.send(config.topics.status, statusRecords(events));
    for (const event of events) {
      logger.info(
        { declarationId: event.declarationId, workflowId, sequence: event.sequence, status: event.status },
        'status published',
      );
    }
    return { at };
  };
}

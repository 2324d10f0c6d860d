import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Message } from 'kafkajs';
import type { CoalescingSender } from '../runtime/coalescing-sender.js';
import type { StatusEvent } from '../schemas/types.js';
import { check, validateStatusEvent } from '../schemas/validators.js';
import type { ActivityDeps } from './activity-deps.js';

export type StatusDraft = Omit<StatusEvent, 'at'>;

/** Our own event that breaks the contract: publishing it would break consumers. */
export class InvalidStatusEvent extends Error {}

/** Stamps the drafts with the publishing time and checks each against the status event schema. */
export function stampStatusEvents(drafts: StatusDraft[], at: string, workflowId?: string): StatusEvent[] {
  const events = drafts.map((draft) => ({ ...draft, at, ...(workflowId ? { workflowId } : {}) }));
  for (const event of events) {
    const result = check(validateStatusEvent, event);
    if (!result.ok)
      throw new InvalidStatusEvent(
        `status event violates its schema: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
      );
  }
  return events;
}

/** Keyed by declarationId, so one declaration's events stay in order on one partition. */
export function statusRecords(events: StatusEvent[]): Message[] {
  return events.map((event) => ({ key: event.declarationId, value: JSON.stringify(event) }));
}

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

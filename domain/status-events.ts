import type { StatusEvent } from '../schemas/types.js';
import { check, validateStatusEvent } from '../schemas/validators.js';

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

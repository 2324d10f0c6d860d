import type { ActivityDeps } from './activity-deps.js';
import { agencyRequestPublisher } from './agency-request-publisher.js';
import { reviewActivity } from './review.activity.js';
import { statusPublisher } from './status-publisher.js';
import type { CoalescingSender } from '../messaging/coalescing-sender.js';

/** The clearance task queue's activities: publishing to Kafka for the workflow. */
export function createClearanceActivities(deps: ActivityDeps, statusSender: CoalescingSender) {
  const now = deps.now ?? (() => new Date());
  return {
    publishStatus: statusPublisher(deps, statusSender),
    ...agencyRequestPublisher(deps),
    /** The time, for the workflow, which must not read a clock itself. */
    async now(): Promise<string> {
      return now().toISOString();
    },
  };
}

/** The activities an agency worker (task queue `agency-<code>`) runs. */
export function createAgencyActivities(deps: ActivityDeps) {
  return { reviewDeclaration: reviewActivity(deps) };
}

export type ClearanceActivities = ReturnType<typeof createClearanceActivities>;
export type AgencyActivities = ReturnType<typeof createAgencyActivities>;

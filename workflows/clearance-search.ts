import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { overallStatus, type AgencyPolicy, type ClearanceState } from '../domain/clearance-state.js';
import {
  DeclarationStatus,
  FailedAgency,
  NextDeadline,
  PendingAgencies,
  QueuedAgencies,
} from './search-attributes.js';

/** What officers' queues and operators' lists search by, derived from the clearance state. */
export interface ClearanceSearch {
  status: string;
  pending: string[];
  queued: string[];
  nextDeadline?: string;
  failedAgency?: string;
}

export function clearanceSearch(
  state: ClearanceState,
  policies: Record<string, Pick<AgencyPolicy, 'mode'>>,
  deadlines: Record<string, string>,
  failedAgency?: string,
): ClearanceSearch {
  const pending = state.reviews
    .filter((r) => r.state === 'PENDING' || r.state === 'OVERDUE')
    .map((r) => r.agency);
  const queued = pending.filter((agency) => policies[agency]?.mode === 'queue');
  const nextDeadline = queued
    .map((agency) => deadlines[agency])
    .filter((d): d is string => Boolean(d))
    .sort()[0];
  return { status: overallStatus(state), pending, queued, nextDeadline, failedAgency };
}

/** Equal keys mean an upsert would change nothing (every upsert is a history event). */
export function searchKey(search: ClearanceSearch): string {
  return JSON.stringify([
    search.status,
    search.pending,
    search.queued,
    search.nextDeadline,
    search.failedAgency,
  ]);
}

/** For an upsert: every key is written, a missing deadline is cleared. */
export function searchUpdates(search: ClearanceSearch): SearchAttributeUpdatePair[] {
  return [
    { key: DeclarationStatus, value: search.status },
    { key: PendingAgencies, value: search.pending },
    { key: QueuedAgencies, value: search.queued },
    { key: NextDeadline, value: search.nextDeadline ? new Date(search.nextDeadline) : null },
    ...(search.failedAgency ? [{ key: FailedAgency, value: search.failedAgency }] : []),
  ];
}

import { patched, workflowInfo } from '@temporalio/workflow';
import type { ClearanceActivities } from '../activities/create-activities.js';
import { carriedAudit, receivedEntry, boundedEntry, type AuditEntry } from '../domain/audit.js';
import type { ClearanceState } from '../domain/clearance-state.js';
import { durationMs } from '../domain/duration.js';
import type { StatusDraft } from '../domain/status-events.js';
import { DEFAULT_CONTINUE_AS_NEW_BYTES, type ClearanceInput } from './messages.js';

// When a clearance continues as new, and what it carries to the next run. A long history (many
// amendments, decisions, duplicates) is cut at a quiet moment: no automatic review in flight, so
// nothing is lost between the runs. Queue reviews' deadlines are carried as absolute times and
// their timers resume in the next run.

const IDS_CARRIED = 5000;
/** The status event carries the latest decisions only; older ones live in the audit trail. */
const DECISIONS_CARRIED = 50;
const DEFAULT_CONTINUE_AS_NEW_EVENTS = 2000;

/** patched() marker: continue-as-new also on history size, not only on the server's suggestion. */
const CONTINUE_AS_NEW_ON_SIZE = 'continue-as-new-on-history-size';
/** patched() marker: a closed clearance, still answering late messages, continues as new too. */
const CONTINUE_AS_NEW_WHEN_CLOSED = 'continue-as-new-when-closed';

/** What a run hands to the next. */
export interface RunRecord {
  state: ClearanceState;
  sequence: number;
  lastEvent?: StatusDraft;
  audit: AuditEntry[];
  auditDropped: number;
  applied: Set<string>;
  deadlines: Record<string, string>;
  lastAmendmentId?: string;
}

/** The run's starting record: carried over from the previous run, or fresh. */
export function resumed(input: ClearanceInput, state: ClearanceState): RunRecord {
  const carried = input.carried;
  return {
    state,
    sequence: carried?.sequence ?? input.sequenceBase,
    lastEvent: carried?.lastEvent,
    audit: (carried?.audit ?? [receivedEntry(input.receivedAt, input.signer)]).map(boundedEntry),
    auditDropped: carried?.auditDropped ?? 0,
    applied: new Set(carried?.appliedIds ?? []),
    deadlines: { ...carried?.deadlines },
    lastAmendmentId: carried?.lastAmendmentId,
  };
}

/** The carried state as the previous run left it; runs of this version carry the declaration once. */
export function carriedState(input: ClearanceInput): ClearanceState | undefined {
  const carried = input.carried?.state;
  return carried && { ...carried, declaration: carried.declaration ?? input.declaration };
}

/** Past the history size at which the clearance continues as new (at its next quiet moment). */
export function historyFull(input: ClearanceInput): boolean {
  return workflowInfo().historySize > (input.continueAsNewAfterBytes ?? DEFAULT_CONTINUE_AS_NEW_BYTES);
}

/**
 * Large amendments grow the history by megabytes with few events: its size counts as well, long
 * before Temporal's hard limit (50 MB), at which the server would terminate the clearance.
 */
function tooLarge(input: ClearanceInput): boolean {
  return historyFull(input) && patched(CONTINUE_AS_NEW_ON_SIZE);
}

export function shouldContinueAsNew(input: ClearanceInput, busy: boolean, dirty: boolean): boolean {
  const info = workflowInfo();
  const limit = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_EVENTS;
  const due = info.continueAsNewSuggested || info.historyLength > limit || tooLarge(input);
  return due && !busy && !dirty;
}

/** The history is to be cut for its size, and nothing is in flight that would be lost. */
export function cutForSize(input: ClearanceInput, busy: boolean): boolean {
  return !busy && tooLarge(input);
}

/** Whether a closed clearance continues as new too (not in runs recorded before it could). */
export function continuesWhenClosed(): boolean {
  return patched(CONTINUE_AS_NEW_WHEN_CLOSED);
}

/** The rest of the retention. Only a closed run carried over needs the time for it, from an activity. */
export async function retentionLeft(input: ClearanceInput, kafka: ClearanceActivities): Promise<number> {
  const full = durationMs(input.closedRetention);
  const closedAt = input.carried?.closedAt;
  if (!closedAt) return full;
  return Math.min(full, Date.parse(closedAt) + full - Date.parse(await kafka.now()));
}

/**
 * The next run's input. The carried state is bounded: the audit keeps its newest entries,
 * idempotency its newest ids. The declaration goes once, as the input's: carried inside the state
 * too, a large one would double the next run's input and could break Temporal's payload limit.
 */
export function nextRunInput(input: ClearanceInput, record: RunRecord, closedAt?: string): ClearanceInput {
  const keptAudit = carriedAudit(record.audit);
  const { declaration: current, ...rest } = record.state;
  return {
    ...input,
    declaration: current,
    run: (input.run ?? 1) + 1,
    carried: {
      state: { ...rest, decisions: rest.decisions.slice(-DECISIONS_CARRIED) },
      sequence: record.sequence,
      audit: keptAudit,
      auditDropped: record.auditDropped + (record.audit.length - keptAudit.length),
      appliedIds: [...record.applied].slice(-IDS_CARRIED),
      deadlines: record.deadlines,
      lastEvent: record.lastEvent!,
      ...(closedAt ? { closedAt } : {}),
      ...(record.lastAmendmentId ? { lastAmendmentId: record.lastAmendmentId } : {}),
    },
  };
}

import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  continueAsNew,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgencyActivities, ClearanceActivities } from '../activities/create-activities.js';
import type { WithdrawalNotice } from '../activities/agency-request-publisher.js';
import type { ReviewResult } from '../activities/review.activity.js';
import { OUTCOMES, PATTERNS } from '../schemas/common.schema.js';
import { agencyView } from '../domain/agency-view.js';
import {
  applyAmendment,
  applyDeadline,
  applyDecision,
  applyWithdrawal,
  decisionRefusal,
  isFinal,
  overallStatus,
  statusEvent,
  type ClearanceState,
  type DecisionInput,
  type StatusReason,
  type Transition,
} from '../domain/clearance-state.js';
import { clip } from '../domain/bounded-text.js';
import { durationMs } from '../domain/duration.js';
import {
  CONTINUING_AS_NEW,
  DEFAULT_CONTINUE_AS_NEW_BYTES,
  agencyViewQuery,
  amendUpdate,
  decideUpdate,
  duplicateSignal,
  rejectedInputSignal,
  statusQuery,
  withdrawUpdate,
  type AuditEntry,
  type ClearanceInput,
  type ClearanceSnapshot,
  type DecisionCommand,
  type UpdateAck,
} from './messages.js';
import { agencyPolicies, openingEvents, openingTransition } from '../domain/opening.js';
import { route } from '../domain/routing.js';
import { clearanceSearch, searchKey, searchUpdates } from './clearance-search.js';

/**
 * Publishing to Kafka runs as local activities in the workflow's own worker: no extra task-queue
 * round trip per status. They retry without limit, because Kafka being down is something that
 * heals; a clearance must wait for it, not fail.
 */
const kafkaActivities = proxyLocalActivities<ClearanceActivities>({
  startToCloseTimeout: '15s',
  retry: { initialInterval: '500ms', backoffCoefficient: 2, maximumInterval: '30s' },
});

/**
 * Local activities resolve in the order they complete when the workflow runs, but in the order
 * they were scheduled when it is replayed; two in flight at once could resume the workflow in
 * another order on replay (nondeterminism, caught by test/workflow/history-replay.test.ts). One at
 * a time, the orders agree. Built per run, never module state.
 */
function oneAtATime(activities: ClearanceActivities): ClearanceActivities {
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(call: () => Promise<T>): Promise<T> => {
    const result = tail.then(call);
    tail = result.catch(() => undefined);
    return result;
  };
  return {
    now: () => serially(() => activities.now()),
    publishStatus: (...args) => serially(() => activities.publishStatus(...args)),
    publishReviewRequest: (...args) => serially(() => activities.publishReviewRequest(...args)),
    publishReviewWithdrawn: (...args) => serially(() => activities.publishReviewWithdrawn(...args)),
  };
}

/**
 * An automatic review that still fails after these attempts fails the clearance (FAILED): the
 * cause is in the adapter or the agency's system, an operator must fix it and replay.
 */
const AUDIT_CARRIED = 1000;
/** Total detail text of the audit entries carried to the next run, so its input stays small. */
const AUDIT_CARRIED_CHARS = 256 * 1024;
/** One audit entry's detail; what an input says about itself can be long (every line, every error). */
const AUDIT_DETAIL_CHARS = 4000;
const IDS_CARRIED = 5000;
/** The status event carries the latest decisions only; older ones live in the audit trail. */
const DECISIONS_CARRIED = 50;

/** patched() marker: continue-as-new also on history size, not only on the server's suggestion. */
const CONTINUE_AS_NEW_ON_SIZE = 'continue-as-new-on-history-size';
/** patched() marker: a closed clearance, still answering late messages, continues as new too. */
const CONTINUE_AS_NEW_WHEN_CLOSED = 'continue-as-new-when-closed';

const REVIEW_RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 5,
} as const;

export async function clearanceWorkflow(input: ClearanceInput): Promise<ClearanceSnapshot> {
  const kafka = oneAtATime(kafkaActivities);
  const { declaration, registry } = input;
  const declarationId = declaration.declarationId;
  const policies = agencyPolicies(registry);
  const reroute = (d: typeof declaration) => route(d, registry);

  let state: ClearanceState;
  let startEffects: Transition['effects'] | undefined;
  try {
    const start = input.carried ? undefined : openingTransition(declaration, registry);
    // Runs continued by this version carry the declaration once, as the input's (see nextRunInput).
    state = input.carried
      ? { ...input.carried.state, declaration: input.carried.state.declaration ?? declaration }
      : start!.state;
    startEffects = start?.effects;
  } catch (error) {
    // The registry snapshot is inconsistent; replaying the same input cannot help.
    throw ApplicationFailure.nonRetryable(
      `cannot route the declaration: ${(error as Error).message}`,
      'InvalidRegistry',
    );
  }
  let sequence = input.carried?.sequence ?? input.sequenceBase;
  let lastEvent: ReturnType<typeof statusEvent> | undefined = input.carried?.lastEvent;
  const audit: AuditEntry[] = (
    input.carried?.audit ?? [
      { at: input.receivedAt, type: 'received', by: 'trader', detail: 'declaration received' },
    ]
  ).map(boundedEntry);
  const addAudit = (entry: AuditEntry) => audit.push(boundedEntry(entry));
  const auditDropped = input.carried?.auditDropped ?? 0;
  const run = input.run ?? 1;
  const appliedIds = new Set(input.carried?.appliedIds ?? []);
  const deadlines: Record<string, string> = { ...input.carried?.deadlines };
  const scopes = new Map<string, CancellationScope>();
  /** Agencies with an activity or inspection timer in flight, which continue-as-new cannot carry. */
  const inFlight = new Set<string>();
  let notices: StatusReason[] = [];
  let withdrawNotices: WithdrawalNotice[] = [];
  let lastAmendmentId: string | undefined = input.carried?.lastAmendmentId;
  let failure: { agency: string; message: string } | undefined;
  let dirty = true;
  let lastSearch = '';
  /** When the latest status event was stamped: after the final one, when the clearance closed. */
  let publishedAt: string | undefined = input.carried?.closedAt;
  if (startEffects && input.openingPublished) {
    // Intake published RECEIVED and IN_REVIEW, and set the matching search attributes at start.
    lastEvent = openingEvents(state, input.sequenceBase)[1];
    sequence = lastEvent.sequence;
    lastSearch = searchKey(clearanceSearch(state, policies, deadlines));
  }

  const reviewers = new Map<string, AgencyActivities>();
  function reviewer(agency: string): AgencyActivities {
    let proxy = reviewers.get(agency);
    if (!proxy) {
      proxy = proxyActivities<AgencyActivities>({
        taskQueue: input.taskQueues[agency],
        startToCloseTimeout: '30s',
        retry: REVIEW_RETRY,
      });
      reviewers.set(agency, proxy);
    }
    return proxy;
  }

  function apply(transition: Transition): void {
    state = transition.state;
    for (const withdrawn of transition.effects.withdrawReviews) {
      scopes.get(withdrawn.agency)?.cancel();
      scopes.delete(withdrawn.agency);
      delete deadlines[withdrawn.agency];
      withdrawNotices.push({ declarationId, ...withdrawn });
    }
    for (const agency of transition.effects.startReviews) startReview(agency);
    notices.push(...transition.effects.notices);
    dirty = true;
  }

  function decide(agency: string, round: number, decision: DecisionInput): void {
    const review = state.reviews.find((r) => r.agency === agency);
    if (!review || review.round !== round) return; // a stale round's answer: a newer review replaced it
    apply(applyDecision(state, decision));
    addAudit({
      at: decision.at,
      type: 'decision',
      by: decision.officer ?? decision.by,
      agency,
      detail: describeDecision(decision),
    });
  }

  /** `resumeDeadline`: a queue review carried over by continue-as-new, whose request was already sent. */
  function startReview(agency: string, resumeDeadline?: string): void {
    scopes.get(agency)?.cancel();
    const review = state.reviews.find((r) => r.agency === agency)!;
    const policy = policies[agency]!;
    const round = review.round;
    const draft = agencyView(state.declaration, review, { round, deadlinePolicy: policy.deadlinePolicy });
    const scope = new CancellationScope();
    scopes.set(agency, scope);
    const work =
      policy.mode === 'auto'
        ? async () => {
            const { inspection } = registry;
            inFlight.add(agency);
            const result: ReviewResult = await reviewer(agency).reviewDeclaration({
              request: draft,
              adapter: policy.adapter,
              embargo: registry.embargo.countries,
              inspection:
                inspection.agency === agency
                  ? { share: inspection.share, delay: inspection.delay }
                  : undefined,
            });
            if (result.inspection) {
              notices.push({
                agency,
                code: 'INSPECTION_SELECTED',
                message: 'selected for physical inspection; clearance waits for it',
              });
              dirty = true;
              await sleep(durationMs(result.inspection.delay));
            }
            inFlight.delete(agency);
            decide(agency, round, { agency, by: 'auto', ...result });
          }
        : async () => {
            let deadline = resumeDeadline;
            let waitMs: number;
            if (deadline) {
              // Time comes from an activity, never the workflow's host, so replays see the same.
              waitMs = Date.parse(deadline) - Date.parse(await kafka.now());
            } else {
              inFlight.add(agency);
              deadline = (await kafka.publishReviewRequest(draft, policy.deadline)).deadline;
              inFlight.delete(agency);
              waitMs = durationMs(policy.deadline);
              deadlines[agency] = deadline;
              dirty = true;
            }
            const stamped = { deadline };
            await sleep(Math.max(1, waitMs));
            const current = state.reviews.find((r) => r.agency === agency);
            if (current?.round !== round) return;
            apply(applyDeadline(state, agency, round, policy.deadlinePolicy, stamped.deadline));
            addAudit({
              at: stamped.deadline,
              type: 'deadline',
              agency,
              by: 'system',
              detail: `deadline passed; policy ${policy.deadlinePolicy}`,
            });
          };
    scope.run(work).catch((error: unknown) => {
      inFlight.delete(agency);
      if (isCancellation(error)) return;
      failure = { agency, message: failureMessage(error) };
      state = { ...state, failed: true };
      notices.push({
        agency,
        code: 'AGENCY_REVIEW_FAILED',
        message: `the ${agency} review failed: ${failure.message}`,
      });
      dirty = true;
    });
  }

  function ack(extra: Partial<UpdateAck> = {}): UpdateAck {
    return { accepted: true, status: overallStatus(state), ...extra };
  }

  function snapshot(): ClearanceSnapshot {
    return {
      workflowId: workflowInfo().workflowId,
      status: overallStatus(state),
      sequence,
      event: lastEvent ?? statusEvent(state, sequence, []),
      declaration: state.declaration,
      reviews: state.reviews.map((r) => ({
        ...r,
        mode: policies[r.agency]?.mode ?? 'auto',
        deadlinePolicy: policies[r.agency]?.deadlinePolicy ?? 'ESCALATE',
        ...(deadlines[r.agency] ? { deadline: deadlines[r.agency] } : {}),
      })),
      audit,
      auditDropped,
      receivedAt: input.receivedAt,
      run,
    };
  }

  setHandler(statusQuery, snapshot);

  setHandler(agencyViewQuery, (agency: string) => {
    const review = state.reviews.find((r) => r.agency === agency);
    const policy = policies[agency];
    const answer = { declarationId, status: overallStatus(state) };
    if (!review || !policy) return answer;
    const view = agencyView(state.declaration, review, {
      round: review.round,
      deadlinePolicy: policy.deadlinePolicy,
    });
    return {
      ...answer,
      review: {
        ...view,
        state: review.state,
        mode: policy.mode,
        receivedAt: input.receivedAt,
        ...(deadlines[agency] ? { deadline: deadlines[agency] } : {}),
      },
    };
  });

  setHandler(
    decideUpdate,
    ({ decision }: DecisionCommand): UpdateAck => {
      if (appliedIds.has(decision.decisionId)) return ack({ duplicate: true });
      appliedIds.add(decision.decisionId);
      // An officer's decision replaces whatever automatic review was still running for the agency.
      scopes.get(decision.agency)?.cancel();
      scopes.delete(decision.agency);
      const review = state.reviews.find((r) => r.agency === decision.agency)!;
      decide(decision.agency, review.round, {
        agency: decision.agency,
        outcome: decision.outcome,
        reasons: decision.reasons,
        by: 'officer',
        officer: decision.officer,
        at: decision.at,
        conditions: decision.conditions,
      });
      return ack();
    },
    {
      validator: ({ decision }: DecisionCommand): void => {
        assertDecisionShape(decision, declarationId);
        if (appliedIds.has(decision.decisionId)) return; // a repeat is accepted as a no-op
        if (!policies[decision.agency]) {
          throw ApplicationFailure.create({
            type: 'UNKNOWN_AGENCY',
            message: `unknown agency ${decision.agency}`,
            nonRetryable: true,
          });
        }
        const refusal = decisionRefusal(state, decision.agency);
        if (refusal)
          throw ApplicationFailure.create({
            type: refusal.code,
            message: refusal.message,
            nonRetryable: true,
          });
      },
    },
  );

  setHandler(
    amendUpdate,
    ({ amendment, receivedAt }): UpdateAck => {
      if (appliedIds.has(amendment.amendmentId)) return ack({ duplicate: true });
      appliedIds.add(amendment.amendmentId);
      const transition = applyAmendment(state, amendment, reroute, policies);
      const refusal = transition.effects.notices.find((n) => n.code === 'DECLARATION_CLOSED');
      if (refusal) {
        addAudit({
          at: receivedAt,
          type: 'refused',
          by: 'trader',
          ref: amendment.amendmentId,
          detail: refusal.message,
        });
        apply(transition);
        return ack({ accepted: false, refusal });
      }
      lastAmendmentId = amendment.amendmentId;
      apply(transition);
      const again = transition.effects.startReviews;
      addAudit({
        at: receivedAt,
        type: 'amendment',
        by: 'trader',
        ref: amendment.amendmentId,
        detail: again.length
          ? `amended; review again: ${again.join(', ')}`
          : 'amended; no agency needs to review again',
      });
      return ack();
    },
    {
      validator: ({ amendment }): void => {
        assertIdsMatch(amendment, declarationId, 'amendmentId');
        // Each amendment may be a megabyte. Past the size at which the history is to be cut, new
        // ones wait (the sender retries), so that the run reaches a quiet moment and continues as
        // new. A rejected update leaves no trace in the history.
        if (!appliedIds.has(amendment.amendmentId) && historyFull()) {
          throw ApplicationFailure.create({
            type: CONTINUING_AS_NEW,
            message: 'the clearance is continuing as new to keep its history small; send the amendment again',
          });
        }
      },
    },
  );

  setHandler(
    withdrawUpdate,
    ({ withdrawal, receivedAt, source }): UpdateAck => {
      // Without a withdrawalId, each withdrawal record is its own: a second one is refused and
      // recorded, and only a redelivery of the same record (same source) is a repeat.
      const ref = withdrawal.withdrawalId ?? source ?? 'withdrawal';
      if (appliedIds.has(ref)) return ack({ duplicate: true });
      appliedIds.add(ref);
      const transition = applyWithdrawal(state, withdrawal);
      const refusal = transition.effects.notices.find((n) => n.code === 'DECLARATION_CLOSED');
      addAudit({
        at: receivedAt,
        type: refusal ? 'refused' : 'withdrawal',
        by: 'trader',
        ref,
        detail: refusal?.message ?? withdrawal.reason,
      });
      apply(transition);
      return refusal ? ack({ accepted: false, refusal }) : ack();
    },
    { validator: ({ withdrawal }): void => assertIdsMatch(withdrawal, declarationId) },
  );

  setHandler(duplicateSignal, (notice) => {
    notices.push({
      code: 'DUPLICATE_CONFLICT',
      message: `a different declaration was submitted with the same declarationId (${notice.source}); it was not merged. Send an amendment to change a declaration.`,
    });
    addAudit({
      at: notice.receivedAt,
      type: 'duplicate',
      by: 'trader',
      ref: notice.source,
      detail: 'conflicting resubmission refused',
    });
    dirty = true;
  });

  setHandler(rejectedInputSignal, (notice) => {
    notices.push({
      code: 'INVALID_INPUT',
      message: `${notice.kind} rejected: ${notice.messages.join('; ')}`.slice(0, 2000),
    });
    addAudit({
      at: notice.receivedAt,
      type: 'input-rejected',
      by: 'trader',
      ref: notice.source,
      detail: notice.messages.join('; '),
    });
    dirty = true;
  });

  /** After continue-as-new: open queue reviews wait on for the rest of their deadline. */
  function resumeReviews(): void {
    for (const review of state.reviews) {
      if (review.state !== 'PENDING') continue;
      const deadline = deadlines[review.agency];
      if (policies[review.agency]?.mode === 'queue' && deadline) startReview(review.agency, deadline);
      else startReview(review.agency);
    }
  }

  /**
   * A long history (many amendments, decisions, duplicates) is cut by continue-as-new at a quiet
   * moment: no automatic review in flight, so nothing is lost between the runs. Queue reviews'
   * deadlines are carried as absolute times and their timers resume in the next run.
   */
  function shouldContinueAsNew(): boolean {
    const info = workflowInfo();
    const limit = input.continueAsNewAfterEvents ?? 2000;
    const due = info.continueAsNewSuggested || info.historyLength > limit || tooLarge();
    return due && inFlight.size === 0 && !dirty;
  }

  /** Past the history size at which the clearance continues as new (at its next quiet moment). */
  function historyFull(): boolean {
    return workflowInfo().historySize > (input.continueAsNewAfterBytes ?? DEFAULT_CONTINUE_AS_NEW_BYTES);
  }

  /**
   * Large amendments grow the history by megabytes with few events: its size counts as well, long
   * before Temporal's hard limit (50 MB), at which the server would terminate the clearance.
   */
  function tooLarge(): boolean {
    return historyFull() && patched(CONTINUE_AS_NEW_ON_SIZE);
  }

  /** The history is to be cut for its size, and nothing is in flight that would be lost. */
  function cutForSize(): boolean {
    return inFlight.size === 0 && tooLarge();
  }

  /** The rest of the retention. Only a closed run carried over needs the time for it, from an activity. */
  async function retentionLeft(): Promise<number> {
    const full = durationMs(input.closedRetention);
    const closedAt = input.carried?.closedAt;
    if (!closedAt) return full;
    return Math.min(full, Date.parse(closedAt) + full - Date.parse(await kafka.now()));
  }

  function nextRunInput(closedAt?: string): ClearanceInput {
    // The carried state is bounded: the audit keeps its newest entries, idempotency its newest ids.
    // The declaration goes once, as the input's: carried inside the state too, a large one would
    // double the next run's input and could break Temporal's payload limit.
    const keptAudit = carriedAudit(audit);
    const { declaration: current, ...rest } = state;
    return {
      ...input,
      declaration: current,
      run: run + 1,
      carried: {
        state: { ...rest, decisions: rest.decisions.slice(-DECISIONS_CARRIED) },
        sequence,
        audit: keptAudit,
        auditDropped: auditDropped + (audit.length - keptAudit.length),
        appliedIds: [...appliedIds].slice(-IDS_CARRIED),
        deadlines,
        lastEvent: lastEvent!,
        ...(closedAt ? { closedAt } : {}),
        ...(lastAmendmentId ? { lastAmendmentId } : {}),
      },
    };
  }

  async function flush(): Promise<void> {
    dirty = false;
    const drafts: ReturnType<typeof statusEvent>[] = [];
    if (!lastEvent) {
      drafts.push({ ...statusEvent(state, ++sequence, []), status: 'RECEIVED' });
    }
    const event = statusEvent(state, 0, notices);
    if (lastAmendmentId) event.amendmentId = lastAmendmentId;
    notices = [];
    if (!lastEvent || !sameEvent(event, lastEvent)) {
      event.sequence = ++sequence;
      drafts.push(event);
      lastEvent = event;
    }
    const withdrawing = withdrawNotices;
    withdrawNotices = [];
    const [published] = await Promise.all([
      drafts.length ? kafka.publishStatus(drafts) : undefined,
      withdrawing.length ? kafka.publishReviewWithdrawn(withdrawing) : undefined,
    ]);
    // Histories recorded before publishStatus returned its stamp replay with no result.
    if (published?.at) publishedAt = published.at;
    upsertSearch();
  }

  function upsertSearch(): void {
    const search = clearanceSearch(state, policies, deadlines, failure?.agency);
    const key = searchKey(search);
    if (key === lastSearch) return; // every upsert is a history event; skip the ones that change nothing
    lastSearch = key;
    upsertSearchAttributes(searchUpdates(search));
  }

  if (startEffects) for (const agency of startEffects.startReviews) startReview(agency);
  if (input.carried) resumeReviews();

  while (!isFinal(state)) {
    // A full history wakes the loop too: the amendments it turns away leave no event that would.
    await condition(() => dirty || cutForSize());
    if (dirty) await flush();
    if (shouldContinueAsNew()) {
      await condition(allHandlersFinished);
      if (!dirty) return continueAsNew<typeof clearanceWorkflow>(nextRunInput());
    }
  }
  for (const scope of scopes.values()) scope.cancel();
  if (failure) {
    addAudit({
      at: input.receivedAt,
      type: 'failure',
      agency: failure.agency,
      by: 'system',
      detail: failure.message,
    });
    throw ApplicationFailure.create({
      type: 'ClearanceFailed',
      message: `${failure.agency} review failed: ${failure.message}`,
      nonRetryable: true,
      details: [{ agency: failure.agency }],
    });
  }

  // Stay open for a while after the final status, so that duplicates and late messages get an
  // answer from the declaration itself instead of an error about a closed workflow.
  const closedAt = publishedAt;
  const retentionMs = await retentionLeft();
  let open = retentionMs > 0;
  if (open) void sleep(retentionMs).then(() => (open = false));
  while (open) {
    await condition(() => dirty || !open || (cutForSize() && patched(CONTINUE_AS_NEW_WHEN_CLOSED)));
    if (dirty) await flush();
    // Messages keep arriving for a closed clearance too (amendments of a megabyte, duplicates):
    // its history is cut in the same way, and the next run waits out the rest of the retention.
    if (open && shouldContinueAsNew() && patched(CONTINUE_AS_NEW_WHEN_CLOSED)) {
      await condition(allHandlersFinished);
      if (!dirty) return continueAsNew<typeof clearanceWorkflow>(nextRunInput(closedAt));
    }
  }
  await condition(allHandlersFinished);
  return snapshot();
}

function boundedEntry(entry: AuditEntry): AuditEntry {
  if (entry.detail.length <= AUDIT_DETAIL_CHARS) return entry;
  return {
    ...entry,
    detail: `${clip(entry.detail, AUDIT_DETAIL_CHARS - 40)} … (${entry.detail.length} characters in all)`,
  };
}

/** The newest audit entries, within a count and a total of detail text. */
function carriedAudit(audit: AuditEntry[]): AuditEntry[] {
  let chars = 0;
  let from = audit.length;
  while (from > 0 && audit.length - from < AUDIT_CARRIED) {
    chars += audit[from - 1]!.detail.length;
    if (chars > AUDIT_CARRIED_CHARS) break;
    from--;
  }
  return audit.slice(from);
}

function sameEvent(a: ReturnType<typeof statusEvent>, b: ReturnType<typeof statusEvent>): boolean {
  return JSON.stringify({ ...a, sequence: 0 }) === JSON.stringify({ ...b, sequence: 0 });
}

function describeDecision(decision: DecisionInput): string {
  const why = decision.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
  return `${decision.outcome}${why ? ` (${why})` : ''}`;
}

function failureMessage(error: unknown): string {
  const cause = (error as { cause?: { message?: string } }).cause;
  return cause?.message ?? (error as Error).message ?? String(error);
}

const ID = new RegExp(PATTERNS.id);
const AGENCY = new RegExp(PATTERNS.agency);

function reject(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/**
 * The callers validate against the JSON Schema before sending; this guards the invariants the
 * workflow itself relies on, so a malformed update never reaches the history.
 */
function assertDecisionShape(decision: DecisionCommand['decision'] | undefined, declarationId: string): void {
  if (!decision || typeof decision !== 'object') reject('MALFORMED', 'decision payload is missing');
  if (typeof decision.decisionId !== 'string' || !ID.test(decision.decisionId))
    reject('MALFORMED', 'decisionId is missing or malformed');
  if (decision.declarationId !== declarationId)
    reject('MALFORMED', `decision is for ${decision.declarationId}, not ${declarationId}`);
  if (typeof decision.agency !== 'string' || !AGENCY.test(decision.agency))
    reject('MALFORMED', 'agency is missing or malformed');
  if (!(OUTCOMES as readonly string[]).includes(decision.outcome))
    reject('MALFORMED', `outcome must be one of ${OUTCOMES.join(', ')}`);
  if (!Array.isArray(decision.reasons) || typeof decision.at !== 'string')
    reject('MALFORMED', 'reasons and at are required');
}

function assertIdsMatch(
  message: { declarationId?: unknown } & Record<string, unknown>,
  declarationId: string,
  idField?: string,
): void {
  if (!message || message.declarationId !== declarationId)
    reject('MALFORMED', `message is not for ${declarationId}`);
  if (idField && (typeof message[idField] !== 'string' || !ID.test(message[idField] as string))) {
    reject('MALFORMED', `${idField} is missing or malformed`);
  }
}

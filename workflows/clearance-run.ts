import { ApplicationFailure, proxySinks, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { WithdrawalNotice } from '../activities/agency-request-publisher.js';
import type { ClearanceActivities } from '../activities/create-activities.js';
import type { StatusSinks } from '../activities/status-publisher.js';
import { agencyView } from '../domain/agency-view.js';
import {
  reduce,
  type ClearanceCommand,
  type ClearanceRules,
  type Step,
} from '../domain/clearance-reducer.js';
import {
  overallStatus,
  statusEvent,
  type ClearanceState,
  type StatusReason,
} from '../domain/clearance-state.js';
import { FailureType } from '../domain/failures.js';
import type { OverallStatus } from '../schemas/types.js';
import { agencyPolicies, openingEvents, openingTransition, type AgencyPolicies } from '../domain/opening.js';
import { route } from '../domain/routing.js';
import { nextEvents } from '../domain/status-sequence.js';
import { clearanceSearch, searchKey, searchUpdates } from './clearance-search.js';
import { carriedState, resumed, type RunRecord } from './continue-as-new.js';
import type { AgencyViewAnswer, ClearanceInput, ClearanceSnapshot, UpdateAck } from './messages.js';
import { ReviewRunner, type ReviewEvents } from './review-runner.js';
import { serialKafkaActivities } from './serial-activities.js';
import { taskTime } from './task-time.js';
import type { StatusDraft } from '../domain/status-events.js';

const { clearanceStatus } = proxySinks<StatusSinks>();

/**
 * One run of a clearance: it keeps what the reducer returns, carries out the effects (reviews to
 * start and stop, agencies to tell, status events to publish) and answers queries. It decides
 * nothing itself: every rule is in domain/clearance-reducer.ts.
 */
export class ClearanceRun {
  readonly policies: AgencyPolicies;
  readonly record: RunRecord;
  readonly reviews: ReviewRunner;
  readonly kafka: ClearanceActivities = serialKafkaActivities();
  /** Agencies whose reviews the opening starts (none when the run continues a previous one). */
  readonly opening: string[];
  failure?: { agency: string; message: string };
  /** Something changed that the trader has not been told yet. */
  dirty = true;
  /** Of what changed, something must be told at once: not only automatic reviews' progress. */
  private urgent = true;
  /** When the latest status event was stamped: after the final one, when the clearance closed. */
  publishedAt?: string;
  private readonly rules: ClearanceRules;
  private notices: StatusReason[] = [];
  private withdrawNotices: WithdrawalNotice[] = [];
  private lastSearch = '';

  constructor(readonly input: ClearanceInput) {
    const { registry } = input;
    this.policies = agencyPolicies(registry);
    this.rules = { policies: this.policies, reroute: (d) => route(d, registry) };
    const start = input.carried ? undefined : openingOrFail(input);
    this.record = resumed(input, carriedState(input) ?? start!.state);
    this.opening = start?.effects.startReviews ?? [];
    this.publishedAt = input.carried?.closedAt;
    this.reviews = new ReviewRunner(
      input,
      this.policies,
      this.kafka,
      this.record.deadlines,
      this.reviewEvents(),
      () => this.state,
    );
    if (start && input.openingPublished) {
      // Intake published RECEIVED and IN_REVIEW, and set the matching search attributes at start.
      this.record.lastEvent = openingEvents(this.state, input.sequenceBase)[1];
      this.record.sequence = this.record.lastEvent.sequence;
      this.lastSearch = searchKey(clearanceSearch(this.state, this.policies, this.record.deadlines));
    }
  }

  get state(): ClearanceState {
    return this.record.state;
  }

  /** Reduces a command and keeps the step. A repeat, or a step that changes nothing, is not kept. */
  handle(command: ClearanceCommand): Step {
    const before = overallStatus(this.state);
    const step = reduce(this.state, this.record.applied, command, this.rules);
    if (step.duplicate) return step;
    if (step.remember) this.record.applied.add(step.remember);
    for (const agency of step.stopReviews ?? []) this.reviews.stop(agency);
    if (!step.unchanged) this.keep(step, command.kind !== 'review-decision' || changesMore(step, before));
    return step;
  }

  /**
   * Time to publish: something changed, and it is more than automatic reviews' progress, or no
   * other automatic review is about to answer (see `ClearanceInput.autoProgressHeld`).
   */
  get due(): boolean {
    if (!this.dirty) return false;
    return this.urgent || !this.input.autoProgressHeld || !this.reviews.answering;
  }

  ack(step: Step): UpdateAck {
    const status = overallStatus(this.state);
    if (step.duplicate) return { accepted: true, status, duplicate: true };
    if (step.refusal) return { accepted: false, status, refusal: step.refusal };
    return { accepted: true, status };
  }

  /** Publishes what changed: status events (numbered here) and agencies' withdrawn notices. */
  async flush(): Promise<void> {
    this.dirty = false;
    this.urgent = false;
    const { record } = this;
    const next = nextEvents(this.state, this.notices, record, record.lastAmendmentId);
    this.notices = [];
    record.sequence = next.sequence;
    record.lastEvent = next.lastEvent;
    const withdrawing = this.withdrawNotices;
    this.withdrawNotices = [];
    if (this.input.statusBySink) {
      if (next.drafts.length) this.publishedAt = publishBySink(next.drafts);
      if (withdrawing.length) await this.kafka.publishReviewWithdrawn(withdrawing);
    } else {
      await this.publishByActivity(next.drafts, withdrawing);
    }
    this.upsertSearch();
  }

  /** How runs started before `statusBySink` publish, as their histories recorded it. */
  private async publishByActivity(drafts: StatusDraft[], withdrawing: WithdrawalNotice[]): Promise<void> {
    // Both in flight at once (they run one after the other, see serial-activities.ts); most
    // flushes have status events only, and skip the extra promises of Promise.all.
    const published = withdrawing.length
      ? (
          await Promise.all([
            drafts.length ? this.kafka.publishStatus(drafts) : undefined,
            this.kafka.publishReviewWithdrawn(withdrawing),
          ])
        )[0]
      : drafts.length
        ? await this.kafka.publishStatus(drafts)
        : undefined;
    // Histories recorded before publishStatus returned its stamp replay with no result.
    if (published?.at) this.publishedAt = published.at;
  }

  /** The clearance failed: its last audit entry, then the failure that closes the workflow. */
  fail(failure: { agency: string; message: string }): never {
    this.handle({ kind: 'failure', ...failure, at: this.input.receivedAt });
    throw ApplicationFailure.create({
      type: FailureType.ClearanceFailed,
      message: `${failure.agency} review failed: ${failure.message}`,
      nonRetryable: true,
      details: [{ agency: failure.agency }],
    });
  }

  snapshot(): ClearanceSnapshot {
    const { record, policies } = this;
    const deadlines = record.deadlines;
    return {
      workflowId: workflowInfo().workflowId,
      status: overallStatus(this.state),
      sequence: record.sequence,
      event: record.lastEvent ?? statusEvent(this.state, record.sequence, []),
      declaration: this.state.declaration,
      reviews: this.state.reviews.map((r) => ({
        ...r,
        mode: policies[r.agency]?.mode ?? 'auto',
        deadlinePolicy: policies[r.agency]?.deadlinePolicy ?? 'ESCALATE',
        ...(deadlines[r.agency] ? { deadline: deadlines[r.agency] } : {}),
      })),
      audit: record.audit,
      auditDropped: record.auditDropped,
      receivedAt: this.input.receivedAt,
      run: this.input.run ?? 1,
    };
  }

  /** One agency's view only (its items and documents), for that agency's officers. */
  agencyAnswer(agency: string): AgencyViewAnswer {
    const review = this.state.reviews.find((r) => r.agency === agency);
    const policy = this.policies[agency];
    const answer = { declarationId: this.input.declaration.declarationId, status: overallStatus(this.state) };
    if (!review || !policy) return answer;
    const view = agencyView(this.state.declaration, review, {
      round: review.round,
      deadlinePolicy: policy.deadlinePolicy,
    });
    const deadline = this.record.deadlines[agency];
    return {
      ...answer,
      review: {
        ...view,
        state: review.state,
        mode: policy.mode,
        receivedAt: this.input.receivedAt,
        ...(deadline ? { deadline } : {}),
      },
    };
  }

  private keep(step: Step, urgent: boolean): void {
    const { record, reviews } = this;
    record.state = step.state;
    for (const withdrawn of step.effects.withdrawReviews) {
      reviews.withdraw(withdrawn.agency);
      this.withdrawNotices.push({ declarationId: this.input.declaration.declarationId, ...withdrawn });
    }
    for (const agency of step.effects.startReviews) reviews.start(agency);
    this.notices.push(...step.effects.notices);
    record.audit.push(...step.audit);
    if (step.amendmentId) record.lastAmendmentId = step.amendmentId;
    if (step.failed) this.failure = step.failed;
    this.dirty = true;
    if (urgent) this.urgent = true;
  }

  private reviewEvents(): ReviewEvents {
    return {
      decided: (agency, round, decision) => this.handle({ kind: 'review-decision', agency, round, decision }),
      deadlinePassed: (agency, round, at) => this.handle({ kind: 'deadline', agency, round, at }),
      inspectionSelected: (agency) => this.handle({ kind: 'inspection-selected', agency }),
      failed: (agency, message) => this.handle({ kind: 'review-failed', agency, message }),
      deadlineSet: () => {
        this.dirty = true;
        this.urgent = true; // officers' queues search by the deadline
      },
    };
  }

  private upsertSearch(): void {
    const search = clearanceSearch(this.state, this.policies, this.record.deadlines, this.failure?.agency);
    const key = searchKey(search);
    if (key === this.lastSearch) return; // every upsert is a history event; skip the ones that change nothing
    this.lastSearch = key;
    upsertSearchAttributes(searchUpdates(search));
  }
}

/**
 * Hands the events to the worker's status sink, which publishes them before this workflow task is
 * recorded (see `StatusSinks`). Stamped with the task's time, so a replay stamps the same.
 */
function publishBySink(drafts: StatusDraft[]): string {
  // The task's time, from history (see task-time.ts): no local activity just to read a clock.
  const at = taskTime();
  clearanceStatus.publish(drafts, at);
  return at;
}

/** An automatic review's decision that does more than report progress: the trader hears of it at once. */
function changesMore(step: Step, before: OverallStatus): boolean {
  const { notices, withdrawReviews, startReviews } = step.effects;
  return (
    overallStatus(step.state) !== before || notices.length + withdrawReviews.length + startReviews.length > 0
  );
}

function openingOrFail(input: ClearanceInput) {
  try {
    return openingTransition(input.declaration, input.registry);
  } catch (error) {
    // The registry snapshot is inconsistent; replaying the same input cannot help.
    throw ApplicationFailure.nonRetryable(
      `cannot route the declaration: ${error instanceof Error ? error.message : String(error)}`,
      FailureType.InvalidRegistry,
    );
  }
}

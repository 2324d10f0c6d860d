import { CancellationScope, isCancellation, proxyActivities, sleep } from '@temporalio/workflow';
import type { AgencyActivities, ClearanceActivities } from '../activities/create-activities.js';
import type { ReviewResult } from '../activities/review.activity.js';
import { agencyView } from '../domain/agency-view.js';
import type { ClearanceState, DecisionInput, Review } from '../domain/clearance-state.js';
import { durationMs } from '../domain/duration.js';
import type { AgencyPolicies } from '../domain/opening.js';
import type { ClearanceInput } from './messages.js';

/**
 * An automatic review that still fails after these attempts fails the clearance (FAILED): the
 * cause is in the adapter or the agency's system, an operator must fix it and replay.
 */
const REVIEW_RETRY = {
  initialInterval: '1s',
  backoffCoefficient: 2,
  maximumInterval: '10s',
  maximumAttempts: 5,
} as const;

/** What a running review reports back; the workflow turns each into a reducer command. */
export interface ReviewEvents {
  decided(agency: string, round: number, decision: DecisionInput): void;
  deadlinePassed(agency: string, round: number, at: string): void;
  inspectionSelected(agency: string): void;
  failed(agency: string, message: string): void;
  /** A queue review's request went out and its deadline is known. */
  deadlineSet(agency: string): void;
}

/**
 * Runs the agencies' reviews: an automatic review is an activity on the agency's task queue; a
 * queue review publishes its request and waits for its deadline (an officer's decision arrives
 * as an update instead). Each review runs in a scope of its own, so that one can be stopped when
 * an amendment, a rejection or an officer replaces it.
 */
export class ReviewRunner {
  private readonly scopes = new Map<string, CancellationScope>();
  /** Agencies with an activity or inspection timer in flight, which continue-as-new cannot carry. */
  private readonly inFlight = new Set<string>();
  private readonly proxies = new Map<string, AgencyActivities>();
  /** Per agency, the token of its current unscoped automatic review; a stopped one has none. */
  private readonly live = new Map<string, object>();
  /** Agencies whose automatic review activity has not answered yet (inspections excluded). */
  private readonly asking = new Set<string>();

  constructor(
    private readonly input: ClearanceInput,
    private readonly policies: AgencyPolicies,
    private readonly kafka: ClearanceActivities,
    /** Absolute deadlines of the queue reviews' current rounds, carried by continue-as-new. */
    readonly deadlines: Record<string, string>,
    private readonly events: ReviewEvents,
    private readonly state: () => ClearanceState,
  ) {}

  /** Something is in flight that continue-as-new would lose. */
  get busy(): boolean {
    return this.inFlight.size > 0;
  }

  /** An automatic review's answer is on its way (usually milliseconds away). */
  get answering(): boolean {
    return this.asking.size > 0;
  }

  /** `resumeDeadline`: a queue review carried over by continue-as-new, whose request was already sent. */
  start(agency: string, resumeDeadline?: string): void {
    this.scopes.get(agency)?.cancel();
    const review = this.state().reviews.find((r) => r.agency === agency)!;
    const auto = this.policies[agency]!.mode === 'auto';
    // Versioned by the input, not by patched(): a patch costs every clearance a marker and a
    // TemporalChangeVersion upsert, while the input is recorded anyway (runs started before keep
    // their scopes, so their histories replay unchanged).
    if (auto && this.input.autoReviewsUnscoped) return this.startUnscoped(review);
    const scope = new CancellationScope();
    this.scopes.set(agency, scope);
    const work = auto ? () => this.automatic(review) : () => this.queued(review, resumeDeadline);
    scope.run(work).catch((error: unknown) => {
      this.inFlight.delete(agency);
      this.asking.delete(agency);
      if (isCancellation(error)) return;
      this.events.failed(agency, failureMessage(error));
    });
  }

  /** Stops the agency's running review, if any: a scoped one is cancelled, an unscoped one abandoned. */
  stop(agency: string): void {
    this.scopes.get(agency)?.cancel();
    this.scopes.delete(agency);
    this.asking.delete(agency);
    if (this.live.delete(agency)) this.inFlight.delete(agency);
  }

  /** Stops the review and forgets its deadline: the agency is told separately (review-withdrawn). */
  withdraw(agency: string): void {
    this.stop(agency);
    delete this.deadlines[agency];
  }

  stopAll(): void {
    for (const scope of this.scopes.values()) scope.cancel();
    this.live.clear();
    this.asking.clear();
  }

  /** After continue-as-new: open queue reviews wait on for the rest of their deadline. */
  resume(): void {
    for (const review of this.state().reviews) {
      if (review.state !== 'PENDING') continue;
      const deadline = this.deadlines[review.agency];
      if (this.policies[review.agency]?.mode === 'queue' && deadline) this.start(review.agency, deadline);
      else this.start(review.agency);
    }
  }

  private draft(review: Review) {
    const { deadlinePolicy } = this.policies[review.agency]!;
    return agencyView(this.state().declaration, review, { round: review.round, deadlinePolicy });
  }

  private reviewer(agency: string): AgencyActivities {
    let proxy = this.proxies.get(agency);
    if (!proxy) {
      proxy = proxyActivities<AgencyActivities>({
        taskQueue: this.input.taskQueues[agency],
        startToCloseTimeout: '30s',
        retry: REVIEW_RETRY,
      });
      this.proxies.set(agency, proxy);
    }
    return proxy;
  }

  private startUnscoped(review: Review): void {
    const token = {};
    this.live.set(review.agency, token);
    const current = () => this.live.get(review.agency) === token;
    this.automatic(review, current).catch((error: unknown) => {
      if (!current()) return; // abandoned: its failure is no one's concern any more
      this.asking.delete(review.agency);
      this.live.delete(review.agency);
      this.inFlight.delete(review.agency);
      this.events.failed(review.agency, failureMessage(error));
    });
  }

  /** `current`: false once the review was stopped or replaced; its result is then dropped. */
  private async automatic(review: Review, current: () => boolean = () => true): Promise<void> {
    const { agency, round } = review;
    const { inspection, embargo } = this.input.registry;
    this.inFlight.add(agency);
    this.asking.add(agency);
    const result: ReviewResult = await this.reviewer(agency).reviewDeclaration({
      request: this.draft(review),
      adapter: this.policies[agency]!.adapter,
      embargo: embargo.countries,
      inspection:
        inspection.agency === agency ? { share: inspection.share, delay: inspection.delay } : undefined,
    });
    if (!current()) return;
    this.asking.delete(agency);
    if (result.inspection) {
      this.events.inspectionSelected(agency);
      await sleep(durationMs(result.inspection.delay));
      if (!current()) return;
    }
    this.inFlight.delete(agency);
    this.live.delete(agency);
    this.events.decided(agency, round, { agency, by: 'auto', ...result });
  }

  private async queued(review: Review, resumeDeadline?: string): Promise<void> {
    const { agency, round } = review;
    const policy = this.policies[agency]!;
    let deadline = resumeDeadline;
    let waitMs: number;
    if (deadline) {
      // Time comes from an activity, never the workflow's host, so replays see the same.
      waitMs = Date.parse(deadline) - Date.parse(await this.kafka.now());
    } else {
      this.inFlight.add(agency);
      deadline = (await this.kafka.publishReviewRequest(this.draft(review), policy.deadline)).deadline;
      this.inFlight.delete(agency);
      waitMs = durationMs(policy.deadline);
      this.deadlines[agency] = deadline;
      this.events.deadlineSet(agency);
    }
    await sleep(Math.max(1, waitMs));
    this.events.deadlinePassed(agency, round, deadline);
  }
}

/** An activity failure's own cause says what went wrong; the wrapper only says which activity. */
function failureMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.cause instanceof Error ? error.cause.message : error.message;
}

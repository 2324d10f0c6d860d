import { ApplicationFailure, Context } from '@temporalio/activity';
import type { InjectedSinks } from '@temporalio/worker';
import type { Sinks } from '@temporalio/workflow';
import type { CoalescingSender } from '../messaging/coalescing-sender.js';
import type { StatusEvent } from '../schemas/types.js';
import { InvalidStatusEvent, stampStatusEvents, type StatusDraft } from '../domain/status-events.js';
import { statusRecords } from '../messaging/status-records.js';
import type { ActivityDeps } from './activity-deps.js';

/**
 * The workflow's way to publish status events without a local activity (see
 * `ClearanceInput.statusBySink`). The SDK runs a workflow task's sink calls, and awaits them,
 * before it sends the task's completion to the server; so an event is on Kafka (acks=-1) before
 * the step that produced it is recorded. If the worker dies in between, the task runs again and
 * publishes the same event again, with the same sequence, which consumers drop as a repeat:
 * at least once, as the local activity was. test/workflow/status-sink.workflow.test.ts holds the
 * SDK to that order.
 */
export interface StatusSinks extends Sinks {
  clearanceStatus: {
    /** `at` is the workflow task's time: the workflow has no other clock, and it replays the same. */
    publish(drafts: StatusDraft[], at: string): void;
  };
}

/** Backoff between attempts while Kafka does not take a status event: it heals, so never give up. */
const RETRY_MS = { first: 500, max: 30_000 } as const;

/** One publish: stamp, check and send, then one log line per event. Shared by the sink and the activity. */
function sendStatusEvents({ config, logger }: ActivityDeps, sender: CoalescingSender) {
  return async (drafts: StatusDraft[], at: string, workflowId: string | undefined): Promise<void> => {
    const events: StatusEvent[] = stampStatusEvents(drafts, at, workflowId);
    await sender.send(config.topics.status, statusRecords(events));
    for (const event of events) {
      logger.info(
        { declarationId: event.declarationId, workflowId, sequence: event.sequence, status: event.status },
        'status published',
      );
    }
  };
}

/**
 * Publishes status events to the trader-facing topic. A retry may publish an event twice;
 * consumers drop the repeat by its sequence, which is why the sequence is fixed by the workflow,
 * not here. Runs started before `statusBySink` still call it on replay and while they finish.
 */
export function statusPublisher(deps: ActivityDeps, sender: CoalescingSender) {
  const send = sendStatusEvents(deps, sender);
  const now = deps.now ?? (() => new Date());
  /** Returns the time the events were stamped with: the workflow has no clock of its own. */
  return async function publishStatus(drafts: StatusDraft[]): Promise<{ at: string }> {
    const workflowId = Context.current().info.workflowExecution?.workflowId;
    const at = now().toISOString();
    try {
      await send(drafts, at, workflowId);
    } catch (error) {
      if (!(error instanceof InvalidStatusEvent)) throw error;
      // Retrying cannot fix our own event.
      throw ApplicationFailure.nonRetryable(error.message, 'InvalidStatusEvent');
    }
    return { at };
  };
}

/**
 * The clearance worker's status sink. A send that fails is retried with backoff until Kafka takes
 * it: the SDK swallows what a sink throws and would then record the step as done. While it waits,
 * the workflow task waits too (and may time out and run again, which publishes once more). An
 * event that breaks its schema is our bug, and no retry fixes it: it is logged with every
 * violation and not published, so consumers never see it.
 */
export function statusSinks(
  deps: ActivityDeps,
  sender: CoalescingSender,
  sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
): InjectedSinks<StatusSinks> {
  const send = sendStatusEvents(deps, sender);
  const publish = async (workflowId: string, drafts: StatusDraft[], at: string): Promise<void> => {
    for (let wait: number = RETRY_MS.first; ; wait = Math.min(wait * 2, RETRY_MS.max)) {
      try {
        return await send(drafts, at, workflowId);
      } catch (error) {
        const log = { workflowId, declarationId: drafts[0]?.declarationId, err: error };
        if (error instanceof InvalidStatusEvent) return deps.logger.error(log, 'status event not published');
        deps.logger.warn({ ...log, retryInMs: wait }, 'status event not taken by Kafka yet; retrying');
        await sleep(wait);
      }
    }
  };
  return {
    clearanceStatus: {
      publish: { fn: (info, drafts, at) => publish(info.workflowId, drafts, at), callDuringReplay: false },
    },
  };
}

/** For replay workers (tests, the benchmark's replay measure): they publish nothing. */
export const REPLAY_STATUS_SINKS: InjectedSinks<StatusSinks> = {
  clearanceStatus: { publish: { fn: () => undefined, callDuringReplay: false } },
};

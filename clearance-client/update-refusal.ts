import { WorkflowUpdateFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../domain/failures.js';

/** Why a clearance's update validator turned a message away. */
export interface UpdateRefusal {
  /** The failure type (domain/failures.ts), when the workflow gave one. */
  type?: string;
  message: string;
  /** The clearance is continuing as new: the same message succeeds when sent again. */
  retryable: boolean;
}

/** The refusal inside an update's failure, or undefined when the error is something else. */
export function updateRefusal(error: unknown): UpdateRefusal | undefined {
  if (!(error instanceof WorkflowUpdateFailedError)) return undefined;
  const cause = error.cause;
  if (cause instanceof ApplicationFailure) {
    const type = cause.type ?? undefined;
    return { type, message: cause.message, retryable: type === FailureType.ContinuingAsNew };
  }
  return { message: cause?.message ?? error.message, retryable: false };
}

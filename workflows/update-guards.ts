import { ApplicationFailure } from '@temporalio/workflow';
import { FailureType, type Refusal } from '../domain/failures.js';
import { matchesPattern, OUTCOMES } from '../schemas/common.schema.js';
import type { DecisionCommand } from './messages.js';

// Update validators' checks. The callers validate against the JSON Schema before sending; these
// guard the invariants the workflow itself relies on, so that a malformed update never reaches
// the history (a rejected update leaves no trace in it).

function reject(type: FailureType, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** A refusal of the reducer, raised as a failure of its code's type. */
export function refuse(refusal: Refusal): never {
  reject(refusal.code, refusal.message);
}

export function assertDecisionShape(
  decision: DecisionCommand['decision'] | undefined,
  declarationId: string,
): void {
  if (!decision || typeof decision !== 'object') reject(FailureType.Malformed, 'decision payload is missing');
  if (typeof decision.decisionId !== 'string' || !matchesPattern('id', decision.decisionId))
    reject(FailureType.Malformed, 'decisionId is missing or malformed');
  if (decision.declarationId !== declarationId)
    reject(FailureType.Malformed, `decision is for ${decision.declarationId}, not ${declarationId}`);
  if (typeof decision.agency !== 'string' || !matchesPattern('agency', decision.agency))
    reject(FailureType.Malformed, 'agency is missing or malformed');
  if (!(OUTCOMES as readonly string[]).includes(decision.outcome))
    reject(FailureType.Malformed, `outcome must be one of ${OUTCOMES.join(', ')}`);
  if (!Array.isArray(decision.reasons) || typeof decision.at !== 'string')
    reject(FailureType.Malformed, 'reasons and at are required');
}

export function assertIdsMatch(
  message: { declarationId?: unknown } & Record<string, unknown>,
  declarationId: string,
  idField?: string,
): void {
  if (!message || message.declarationId !== declarationId)
    reject(FailureType.Malformed, `message is not for ${declarationId}`);
  if (
    idField &&
    (typeof message[idField] !== 'string' || !matchesPattern('id', message[idField] as string))
  ) {
    reject(FailureType.Malformed, `${idField} is missing or malformed`);
  }
}

export function unknownAgency(agency: string): never {
  reject(FailureType.UnknownAgency, `unknown agency ${agency}`);
}

/** Each amendment may be a megabyte: past the size at which the history is cut, new ones wait. */
export function continuingAsNew(): never {
  throw ApplicationFailure.create({
    type: FailureType.ContinuingAsNew,
    message: 'the clearance is continuing as new to keep its history small; send the amendment again',
  });
}

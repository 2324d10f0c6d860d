// The one failure taxonomy of the project: every failure type, every reason code the system
// itself gives, and the classification of errors that decides what a consumer does with a record.
// Const objects plus unions, as the Temporal SDK does for TimeoutType: values are compared, never
// re-typed. Pure, so that workflow code, activities and every consumer import the same names.

import type { DeadLetterReason } from '../schemas/types.js';

/**
 * Types of the ApplicationFailures the clearance, its activities and its update validators raise.
 * They are recorded in histories and read by clients: never rename a value.
 */
export const FailureType = {
  /** The registry snapshot cannot route the declaration: replaying the same input cannot help. */
  InvalidRegistry: 'InvalidRegistry',
  /** An agency's automatic review kept failing: an operator fixes the cause and replays. */
  ClearanceFailed: 'ClearanceFailed',
  /** A status event we built breaks its own schema. */
  InvalidStatusEvent: 'InvalidStatusEvent',
  /** A review request or withdrawn notice we built breaks its own schema. */
  InvalidAgencyRequest: 'InvalidAgencyRequest',
  /** The registry names an adapter this worker does not have. */
  UnknownAdapter: 'UnknownAdapter',
  /** An update whose payload breaks an invariant the workflow relies on. */
  Malformed: 'MALFORMED',
  /** A decision for an agency the registry snapshot does not define. */
  UnknownAgency: 'UNKNOWN_AGENCY',
  /** The clearance turns a message away for a moment while it continues as new: send it again. */
  ContinuingAsNew: 'CONTINUING_AS_NEW',
  /** Refusals of a decision (the refusal's reason code is the failure's type). */
  DeclarationClosed: 'DECLARATION_CLOSED',
  AgencyNotRequired: 'AGENCY_NOT_REQUIRED',
  NotPending: 'NOT_PENDING',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** Why a message was received but changed nothing: the codes of a clearance's refusals. */
export const RefusalCode = {
  DeclarationClosed: FailureType.DeclarationClosed,
  AgencyNotRequired: FailureType.AgencyNotRequired,
  NotPending: FailureType.NotPending,
} as const;
export type RefusalCode = (typeof RefusalCode)[keyof typeof RefusalCode];

/** A typed refusal: the reducer returns it, update validators raise it as a failure of that type. */
export interface Refusal {
  code: RefusalCode;
  message: string;
}

/**
 * Why a signed message is refused (design.md §10): its dead-letter reason, and the reason code of
 * the REJECTED status event the trader gets.
 */
export const SignatureRefusal = {
  Missing: 'SIGNATURE_MISSING',
  Invalid: 'SIGNATURE_INVALID',
  Untrusted: 'CERTIFICATE_UNTRUSTED',
  Expired: 'CERTIFICATE_EXPIRED',
  Revoked: 'CERTIFICATE_REVOKED',
  SignerMismatch: 'SIGNER_MISMATCH',
} as const satisfies Record<string, DeadLetterReason>;
export type SignatureRefusal = (typeof SignatureRefusal)[keyof typeof SignatureRefusal];

const SIGNATURE_REFUSALS: ReadonlySet<string> = new Set(Object.values(SignatureRefusal));
export const isSignatureRefusal = (code: string): code is SignatureRefusal => SIGNATURE_REFUSALS.has(code);

/** Reason codes the system itself puts on status events and agency notices. */
export const ReasonCode = {
  ...RefusalCode,
  ...SignatureRefusal,
  RejectedByOtherAgency: 'REJECTED_BY_OTHER_AGENCY',
  SupersededByAmendment: 'SUPERSEDED_BY_AMENDMENT',
  NoLongerRequired: 'NO_LONGER_REQUIRED',
  WithdrawnByTrader: 'WITHDRAWN_BY_TRADER',
  DeadlineEscalated: 'DEADLINE_ESCALATED',
  /** Afirmativa ficta: the agency did not decide in time, and the law approves. */
  AfirmativaFicta: 'AFIRMATIVA_FICTA',
  /** Negativa ficta: the agency did not decide in time, and the law rejects. */
  DeadlineExpired: 'DEADLINE_EXPIRED',
  InspectionSelected: 'INSPECTION_SELECTED',
  Inspected: 'INSPECTED',
  AgencyReviewFailed: 'AGENCY_REVIEW_FAILED',
  DuplicateConflict: 'DUPLICATE_CONFLICT',
  InvalidInput: 'INVALID_INPUT',
  OriginEmbargoed: 'ORIGIN_EMBARGOED',
  MissingDocument: 'MISSING_DOCUMENT',
} as const;
export type ReasonCode = (typeof ReasonCode)[keyof typeof ReasonCode];

/** Why a record went to the dead-letter topic; the schema's enum is the list (design.md §4). */
export type { DeadLetterReason };

/**
 * How a failed hand-off of one record is treated. Every error is classified once, here:
 * - `transient`: the broker or Temporal is unavailable, overloaded or timed out. It would fail for
 *   every record alike and heals by itself, so the record is retried for as long as it takes.
 * - `permanent`: the service answered that this very request can never succeed (a message too
 *   large for the broker, an invalid argument). Retrying is pointless; the record is dead-lettered.
 * - `defect`: a programming error (TypeError, RangeError, ...) or anything unrecognised. It gets a
 *   few attempts, in case it was a fluke, and is then dead-lettered, so that one record never
 *   stalls its partition for ever.
 */
export const FailureClass = {
  Transient: 'transient',
  Permanent: 'permanent',
  Defect: 'defect',
} as const;
export type FailureClass = (typeof FailureClass)[keyof typeof FailureClass];

/**
 * How often a record whose handler fails with this class is tried before it is dead-lettered
 * (`HANDLER_ERROR`). Every consumer applies it through KeyedConsumer, the one point of retry.
 */
export const ATTEMPTS: Readonly<Record<FailureClass, number>> = {
  transient: Number.POSITIVE_INFINITY,
  permanent: 1,
  defect: 3,
};

/**
 * gRPC status codes (Temporal's API) that say this very request is wrong. Every other code is
 * about the service's state (UNAVAILABLE, DEADLINE_EXCEEDED, FAILED_PRECONDITION, which Temporal
 * uses for a workflow whose task just failed, say while it continues as new) or about our
 * credentials (PERMISSION_DENIED): it would hit every record alike, so it is retried for ever.
 * UNKNOWN and INTERNAL say nothing: they count as defects.
 */
const GRPC_PERMANENT = new Set([
  3, // INVALID_ARGUMENT
  11, // OUT_OF_RANGE
]);
const GRPC_UNCLEAR = new Set([
  2, // UNKNOWN
  13, // INTERNAL
]);
/** A refused login or permission hits every record alike: fix the credentials, nothing to dead-letter. */
const KAFKA_ACCESS = /AUTHORIZATION|AUTHENTICATION|SASL/;
/** Node's socket errors: the peer is away. */
const SYSTEM_TRANSIENT = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** kafkajs names of errors that only say a broker or the group could not be reached in time. */
const KAFKAJS_TRANSIENT = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSBrokerNotFound',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSTopicMetadataNotLoaded',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSTimeout',
]);
/**
 * PostgreSQL's SQLSTATE classes (the first two characters) that say the server is away, busy or
 * restarting, or that this transaction lost a race and may simply run again: 08 connection
 * exception, 40 transaction rollback (serialisation failure, deadlock), 53 insufficient resources,
 * 55 object not in prerequisite state (a lock not available), 57 operator intervention (shutdown,
 * cannot connect now), 58 system error.
 */
const SQLSTATE_TRANSIENT = new Set(['08', '40', '53', '55', '57', '58']);
/** 22 data exception and 23 integrity constraint violation: this row can never be written as it is. */
const SQLSTATE_PERMANENT = new Set(['22', '23']);
const SQLSTATE = /^[0-9A-Z]{5}$/;
/** runtime/postgres.ts's name for a connection that broke or could not be made (pg gives no SQLSTATE). */
const DATABASE_TRANSIENT = 'DatabaseUnavailableError';
/** Temporal client errors that only say the call did not complete in time. */
const TEMPORAL_TRANSIENT = new Set(['WorkflowUpdateRPCTimeoutOrCancelledError', 'TransportError']);
const PROGRAMMING = new Set([
  'TypeError',
  'RangeError',
  'ReferenceError',
  'SyntaxError',
  'EvalError',
  'URIError',
]);

/**
 * Thrown by a handler to say "not now": the record is right, but its clearance cannot take it at
 * this moment (it is continuing as new). Retried for as long as it takes, like an outage.
 */
export class RetryLater extends Error {
  override readonly name = 'RetryLater';
}

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  retriable?: unknown;
  type?: unknown;
  cause?: unknown;
}

/** The error and its causes, outermost first (bounded: a cause chain may be cyclic). */
function causes(error: unknown): ErrorLike[] {
  const chain: ErrorLike[] = [];
  for (let e = error; typeof e === 'object' && e !== null && chain.length < 8; e = (e as ErrorLike).cause) {
    chain.push(e as ErrorLike);
  }
  return chain;
}

function classifyOne(e: ErrorLike): FailureClass | undefined {
  const name = typeof e.name === 'string' ? e.name : '';
  // A broker's answer about this request (MESSAGE_TOO_LARGE, INVALID_RECORD, ...) that kafkajs
  // itself marks as not worth retrying. Its numeric code is Kafka's, not gRPC's: read it first.
  if (name === 'KafkaJSProtocolError') {
    if (typeof e.type === 'string' && KAFKA_ACCESS.test(e.type)) return 'transient';
    return e.retriable === false ? 'permanent' : 'transient';
  }
  if (typeof e.code === 'number' && e.code >= 1 && e.code <= 16) {
    if (GRPC_PERMANENT.has(e.code)) return 'permanent';
    return GRPC_UNCLEAR.has(e.code) ? 'defect' : 'transient';
  }
  if (typeof e.code === 'string' && SYSTEM_TRANSIENT.has(e.code)) return 'transient';
  if (name === 'error' || name === 'DatabaseError') {
    // pg's DatabaseError is named "error"; its code is the server's SQLSTATE.
    const sqlClass = typeof e.code === 'string' && SQLSTATE.test(e.code) ? e.code.slice(0, 2) : '';
    if (SQLSTATE_TRANSIENT.has(sqlClass)) return 'transient';
    if (SQLSTATE_PERMANENT.has(sqlClass)) return 'permanent';
    return 'defect'; // 42 (a wrong statement), XX (internal) and the rest: our bug, or the server's
  }
  if (name === DATABASE_TRANSIENT) return 'transient';
  if (KAFKAJS_TRANSIENT.has(name) || TEMPORAL_TRANSIENT.has(name) || name === 'RetryLater')
    return 'transient';
  if (PROGRAMMING.has(name)) return 'defect';
  return undefined;
}

/** The class of a failure: the innermost cause that says something decides. */
export function failureClass(error: unknown): FailureClass {
  const chain = causes(error);
  for (let i = chain.length - 1; i >= 0; i--) {
    const found = classifyOne(chain[i]!);
    if (found) return found;
  }
  return 'defect';
}

/** One line for logs and dead letters: `Name: message`, never a stack. */
export function describeFailure(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

import {
  KafkaJSConnectionError,
  KafkaJSNonRetriableError,
  KafkaJSNumberOfRetriesExceeded,
  KafkaJSProtocolError,
} from 'kafkajs';
import { ServiceError } from '@temporalio/client';
import { DatabaseError } from 'pg';
import { describe, expect, it } from 'vitest';
import { databaseFailure } from '../runtime/postgres.js';
import { describeFailure, failureClass, RetryLater } from './failures.js';

/** As pg reports the server's answer: a DatabaseError named "error" with the SQLSTATE in `code`. */
const sqlstate = (code: string) => Object.assign(new DatabaseError(`sqlstate ${code}`, 0, 'error'), { code });

const grpc = (code: number) => Object.assign(new Error(`grpc ${code}`), { code });
const protocol = (type: string, retriable: boolean) =>
  new KafkaJSProtocolError(Object.assign(new Error(type), { type, code: 10, retriable }));

/** As kafkajs's retrier wraps an error it does not retry. */
const nonRetriable = (e: Error) => {
  // kafkajs's type declarations omit the constructor's options, which its retrier passes.
  const Wrapper = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
  return new Wrapper(e, { cause: e });
};

describe('failureClass', () => {
  it.each([
    ['Temporal unavailable', new ServiceError('unavailable', { cause: grpc(14) })],
    ['a Temporal deadline', new ServiceError('deadline', { cause: grpc(4) })],
    [
      'a workflow whose task just failed (continue-as-new race)',
      new ServiceError('Workflow Update failed', { cause: grpc(9) }),
    ],
    ['Temporal refusing our credentials', new ServiceError('denied', { cause: grpc(7) })],
    ['a broker refusing our credentials', nonRetriable(protocol('TOPIC_AUTHORIZATION_FAILED', false))],
    ['a refused socket', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['a broker connection', new KafkaJSConnectionError('Connection error')],
    ['a clearance continuing as new', new RetryLater('clearance X is open again (continued as new)')],
    [
      'kafkajs giving up on a retriable error',
      new KafkaJSNumberOfRetriesExceeded(protocol('LEADER_NOT_AVAILABLE', true), {
        retryCount: 8,
        retryTime: 1000,
      }),
    ],
    ['PostgreSQL shutting down (57P01)', sqlstate('57P01')],
    ['PostgreSQL starting up (57P03)', sqlstate('57P03')],
    ['a serialisation failure (40001)', sqlstate('40001')],
    ['too many connections (53300)', sqlstate('53300')],
    ['a broken PostgreSQL connection', databaseFailure(new Error('Connection terminated unexpectedly'))],
    ['a pool that cannot connect', databaseFailure(new Error('timeout exceeded when trying to connect'))],
  ])('%s is transient', (_name, error) => expect(failureClass(error)).toBe('transient'));

  it.each([
    ['a message too large', nonRetriable(protocol('MESSAGE_TOO_LARGE', false))],
    ['an invalid record', protocol('INVALID_RECORD', false)],
    ['a Temporal invalid argument', new ServiceError('blob size exceeds limit', { cause: grpc(3) })],
    ['a value PostgreSQL cannot store (22P05)', sqlstate('22P05')],
    ['a violated constraint (23514)', sqlstate('23514')],
  ])('%s is permanent', (_name, error) => expect(failureClass(error)).toBe('permanent'));

  it.each([
    ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['a RangeError', new RangeError('Maximum call stack size exceeded')],
    ['an unknown error', new Error('something else')],
    ['a thrown string', 'boom'],
    ['a Temporal internal error', new ServiceError('internal', { cause: grpc(13) })],
    ['a wrong SQL statement (42P01, no such table)', sqlstate('42P01')],
    ['a TypeError inside a database call', databaseFailure(new TypeError('x is not a function'))],
    [
      'a cyclic cause chain',
      (() => {
        const e = new Error('a') as Error & { cause?: unknown };
        e.cause = e;
        return e;
      })(),
    ],
  ])('%s is a defect', (_name, error) => expect(failureClass(error)).toBe('defect'));

  it('describes a failure in one line', () => {
    expect(describeFailure(new TypeError('x is not a function'))).toBe('TypeError: x is not a function');
    expect(describeFailure('boom')).toBe('boom');
  });
});

import type { FastifyError, FastifyReply } from 'fastify';
import type { FieldError } from '../../schemas/types.js';

/** RFC 9457 problem details, as every error of the trader API is sent (design.md §11). */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** The same readable messages intake gives: where in the body, and what is wrong there. */
  errors?: FieldError[];
  /** A reason code of design.md §10 when a signature was refused. */
  code?: string;
}

export const PROBLEM_TYPE = 'application/problem+json';

export function sendProblem(reply: FastifyReply, problem: Omit<Problem, 'type'>): FastifyReply {
  return reply
    .code(problem.status)
    .type(PROBLEM_TYPE)
    .send({ type: 'about:blank', ...problem });
}

/** A body that is not JSON, whether Fastify or a handler finds it. */
export const NOT_JSON = {
  status: 415,
  title: 'Unsupported media type',
  detail: 'send the message as JSON, with "Content-Type: application/json"',
} as const;

/** What the rate limiter throws for a trader over its rate; fastifyProblem turns it into a 429. */
export function rateLimited(max: number, after: string): FastifyError {
  return Object.assign(new Error(`more than ${max} requests a minute; try again in ${after}`), {
    name: 'RateLimited',
    code: 'VENTANILLA_RATE_LIMITED',
    statusCode: 429,
  });
}

/** Fastify's own refusals (body size, media type, malformed parameters) as problems with their fix. */
export function fastifyProblem(error: FastifyError): Omit<Problem, 'type'> {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        title: 'Payload too large',
        detail: 'the body is over 1 MiB (1,048,576 bytes), the limit of design.md §4',
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return NOT_JSON;
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        status: 400,
        title: 'Bad request',
        detail: 'the body is not as long as its Content-Length says',
      };
    case 'VENTANILLA_RATE_LIMITED':
      return { status: 429, title: 'Too many requests', detail: error.message };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, title: 'Empty body', detail: 'the body is empty; send the message as JSON' };
    default:
      if (error.validation) {
        return {
          status: 400,
          title: 'Invalid request',
          detail: error.message,
          errors: error.validation.map((v) => ({
            path: `${error.validationContext ?? 'request'}${v.instancePath.replaceAll('/', '.')}`,
            message: v.message ?? 'is invalid',
          })),
        };
      }
      return {
        status: error.statusCode && error.statusCode < 500 ? error.statusCode : 500,
        title: 'Request failed',
        detail: error.message,
      };
  }
}

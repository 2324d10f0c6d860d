import { amendmentSchema } from '../../schemas/amendment.schema.js';
import { OVERALL_STATUSES, PATTERNS } from '../../schemas/common.schema.js';
import { declarationSchema } from '../../schemas/declaration.schema.js';
import { statusEventSchema } from '../../schemas/status-event.schema.js';
import { withdrawalSchema } from '../../schemas/withdrawal.schema.js';
import { notificationEndpointSchema } from '../../schemas/notification-endpoint.schema.js';

// The routes' schemas, built from schemas/ (never a second copy): Fastify validates path
// parameters and query strings with them, and @fastify/swagger writes /openapi.json from them.
// Bodies are validated by the handlers, on the exact bytes, as intake validates them.

/** A schema as OpenAPI embeds it: without the $id that registers it in Ajv. */
function embedded<S extends object>(schema: S): Omit<S, '$id'> {
  return JSON.parse(JSON.stringify(schema, (key, value) => (key === '$id' ? undefined : value))) as Omit<
    S,
    '$id'
  >;
}

const statusEvent = embedded(statusEventSchema);

export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: { type: 'string' },
    code: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: problemSchema } },
});

/** Answers every /v1 route may give, whatever its own. */
const COMMON = {
  401: problem('no valid bearer token, or one used before'),
  429: problem("over the trader's rate"),
  503: problem('a service behind the gateway does not answer; try again'),
};

export const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', maxLength: 64, pattern: PATTERNS.id } },
} as const;

const signatureHeader = {
  type: 'object',
  properties: {
    'ventanilla-signature': {
      type: 'string',
      description:
        'the detached JWS of the exact body bytes (design.md §10); required under VENTANILLA_SIGNATURES=required',
    },
  },
} as const;

const accepted = {
  description: 'on trade.declarations; follow it at statusUrl',
  type: 'object',
  required: ['declarationId', 'statusUrl'],
  properties: { declarationId: { type: 'string' }, statusUrl: { type: 'string' } },
} as const;

const pending = {
  description: 'submitted here, but no status event archived yet; ask again after Retry-After seconds',
  type: 'object',
  required: ['declarationId', 'statusUrl', 'submittedAt', 'detail'],
  properties: {
    declarationId: { type: 'string' },
    statusUrl: { type: 'string' },
    submittedAt: { type: 'string', format: 'date-time' },
    detail: { type: 'string' },
  },
} as const;

function submitSchema(summary: string, body: object, params?: object) {
  return {
    summary,
    security: [{ bearer: [] }],
    headers: signatureHeader,
    ...(params ? { params } : {}),
    body,
    response: {
      202: accepted,
      400: problem('the body is not valid: errors says where and why'),
      403: problem("the signature is refused, or the declaration is not the token holder's"),
      404: problem('no such declaration of yours'),
      413: problem('the body is over 1 MiB'),
      415: problem('the body is not application/json'),
      ...COMMON,
    },
  };
}

const endpoint = {
  type: 'object',
  required: ['url', 'state', 'failures'],
  properties: {
    url: { type: 'string' },
    state: { type: 'string', enum: ['ACTIVE', 'BLOCKED'] },
    failures: { type: 'integer', minimum: 0 },
    lastError: { type: ['string', 'null'] },
  },
} as const;

export const SCHEMAS = {
  putEndpoint: {
    summary: 'Set the webhook that status events are pushed to, signed with the secret',
    security: [{ bearer: [] }],
    body: embedded(notificationEndpointSchema),
    response: {
      200: endpoint,
      400: problem('the endpoint is not valid'),
      415: problem('not JSON'),
      ...COMMON,
    },
  },
  getEndpoint: {
    summary: 'The webhook and its state',
    security: [{ bearer: [] }],
    response: { 200: endpoint, 404: problem('no endpoint set'), ...COMMON },
  },
  unblockEndpoint: {
    summary: 'Resume delivery to a BLOCKED webhook, from the first undelivered event',
    security: [{ bearer: [] }],
    response: { 200: endpoint, 404: problem('no endpoint set'), ...COMMON },
  },
  undelivered: {
    summary: 'Status events not delivered to the webhook yet, oldest first',
    security: [{ bearer: [] }],
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: { undelivered: { type: 'string', enum: ['true'] } },
    },
    response: {
      200: {
        type: 'object',
        required: ['notifications'],
        properties: {
          notifications: {
            type: 'array',
            items: {
              type: 'object',
              required: ['declarationId', 'sequence', 'event'],
              properties: {
                declarationId: { type: 'string' },
                sequence: { type: 'integer' },
                event: statusEvent,
              },
            },
          },
        },
      },
      400: problem('a query parameter is not valid'),
      ...COMMON,
    },
  },
  submitDeclaration: submitSchema('Submit a declaration', embedded(declarationSchema)),
  submitAmendment: submitSchema('Amend a declaration', embedded(amendmentSchema), idParams),
  submitWithdrawal: submitSchema('Withdraw a declaration', embedded(withdrawalSchema), idParams),
  latest: {
    summary: 'The latest status of a declaration, from the archive',
    security: [{ bearer: [] }],
    params: idParams,
    response: {
      200: statusEvent,
      202: pending,
      400: problem('the declarationId in the path is not one'),
      404: problem('no such declaration of yours'),
      ...COMMON,
    },
  },
  events: {
    summary: 'Every status event of a declaration, in sequence order (or as text/event-stream)',
    security: [{ bearer: [] }],
    params: idParams,
    headers: { type: 'object', properties: { 'last-event-id': { type: 'string' } } },
    response: {
      200: {
        type: 'object',
        required: ['declarationId', 'events'],
        properties: { declarationId: { type: 'string' }, events: { type: 'array', items: statusEvent } },
      },
      400: problem('the declarationId in the path is not one'),
      404: problem('no such declaration of yours'),
      ...COMMON,
    },
  },
  list: {
    summary: "The caller's own declarations, newest first",
    security: [{ bearer: [] }],
    querystring: {
      type: 'object',
      additionalProperties: false,
      properties: {
        status: { type: 'string', enum: OVERALL_STATUSES },
        since: { type: 'string', format: 'date-time' },
        cursor: { type: 'string', maxLength: 200, pattern: '^[A-Za-z0-9_-]+$' },
      },
    },
    response: {
      200: {
        type: 'object',
        required: ['declarations'],
        properties: {
          declarations: {
            type: 'array',
            items: {
              type: 'object',
              required: ['declarationId', 'status', 'sequence', 'receivedAt', 'updatedAt'],
              properties: {
                declarationId: { type: 'string' },
                status: { type: 'string', enum: OVERALL_STATUSES },
                sequence: { type: 'integer' },
                receivedAt: { type: 'string', format: 'date-time' },
                updatedAt: { type: 'string', format: 'date-time' },
              },
            },
          },
          nextCursor: { type: 'string' },
        },
      },
      400: problem('a query parameter is not valid'),
      ...COMMON,
    },
  },
} as const;

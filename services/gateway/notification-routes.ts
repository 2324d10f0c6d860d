import type { FastifyInstance } from 'fastify';
import { endpointOf, setEndpoint, undelivered, unblockEndpoint } from '../../archive/notification-store.js';
import { decodeJsonRecord } from '../../messaging/intake-parse.js';
import { check, validateNotificationEndpoint } from '../../schemas/validators.js';
import type { FieldError, StatusEvent } from '../../schemas/types.js';
import type { GatewayDeps } from './gateway-server.js';
import { NOT_JSON, sendProblem } from './problem.js';
import { webhookUrlProblem } from '../webhook-post.js';
import { SCHEMAS } from './route-schemas.js';

const noEndpoint = {
  status: 404,
  title: 'No notification endpoint',
  detail: 'set one first: PUT /v1/notification-endpoint with {"url": ..., "secret": ...}',
};

/** Webhooks (design.md §11): the trader's endpoint, its unblocking, and a pull of what was not delivered. */
export function registerNotificationRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.put('/v1/notification-endpoint', { schema: SCHEMAS.putEndpoint }, async (request, reply) => {
    if (!Buffer.isBuffer(request.body)) return sendProblem(reply, NOT_JSON);
    const decoded = decodeJsonRecord(request.body);
    const checked = decoded.ok ? check(validateNotificationEndpoint, decoded.data) : decoded;
    const allowInternal = deps.config.webhookPrivateNetworks === 'allow';
    const errors = checked.ok ? urlProblems(checked.value.url, allowInternal) : checked.errors;
    if (!checked.ok || errors.length) {
      return sendProblem(reply, { status: 400, title: 'The endpoint is not valid', errors });
    }
    return setEndpoint(deps.pool, request.trader, checked.value.url, checked.value.secret);
  });

  app.get('/v1/notification-endpoint', { schema: SCHEMAS.getEndpoint }, async (request, reply) => {
    return (await endpointOf(deps.pool, request.trader)) ?? sendProblem(reply, noEndpoint);
  });

  app.post(
    '/v1/notification-endpoint/unblock',
    { schema: SCHEMAS.unblockEndpoint },
    async (request, reply) => {
      return (await unblockEndpoint(deps.pool, request.trader)) ?? sendProblem(reply, noEndpoint);
    },
  );

  app.get('/v1/notifications', { schema: SCHEMAS.undelivered }, async (request) => {
    const pending = await undelivered(deps.pool, request.trader);
    return {
      notifications: pending.map((n) => ({
        declarationId: n.declarationId,
        sequence: n.sequence,
        event: JSON.parse(n.body.toString('utf8')) as StatusEvent,
      })),
    };
  });
}

/**
 * What the schema's pattern cannot say: that the URL parses (a bracketed host, a port in range),
 * and that it is not an internal address (services/webhook-post.ts checks names as it connects).
 */
function urlProblems(url: string, allowInternal: boolean): FieldError[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [{ path: 'url', message: `"${url.slice(0, 100)}" is not a URL that can be called` }];
  }
  const problem = webhookUrlProblem(parsed, allowInternal);
  return problem ? [{ path: 'url', message: problem }] : [];
}

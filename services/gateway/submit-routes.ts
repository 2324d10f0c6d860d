import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { declarationOwner } from '../../archive/archive-reads.js';
import { recordSubmission } from '../../archive/submissions.js';
import { SIGNATURE_HEADER } from '../../identity/jws.js';
import { parseTraderMessage } from '../../messaging/intake-parse.js';
import type { TraderMessage } from '../../schemas/types.js';
import type { GatewayDeps } from './gateway-server.js';
import { NOT_JSON, sendProblem } from './problem.js';
import { statusUrl } from './read-routes.js';
import { SCHEMAS } from './route-schemas.js';

type Kind = TraderMessage['kind'];

/** Signature refusals that say the request is not authenticated (401); the rest are 403. */
const UNAUTHENTICATED = new Set(['SIGNATURE_MISSING', 'SIGNATURE_INVALID']);

/**
 * POST of declarations, amendments and withdrawals (design.md §11): the body is validated as
 * intake validates it, its signature verified, and its exact bytes produced to trade.declarations
 * with the signature header, keyed by declarationId, acknowledged by all in-sync replicas. The
 * answer comes once Kafka has it; intake takes it from there, as it would from any producer.
 */
export function registerSubmitRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  app.post('/v1/declarations', { schema: SCHEMAS.submitDeclaration }, (request, reply) =>
    submit(deps, request, reply, 'declaration'),
  );
  app.post<{ Params: { id: string } }>(
    '/v1/declarations/:id/amendments',
    { schema: SCHEMAS.submitAmendment },
    (request, reply) => submit(deps, request, reply, 'amendment', request.params.id),
  );
  app.post<{ Params: { id: string } }>(
    '/v1/declarations/:id/withdrawal',
    { schema: SCHEMAS.submitWithdrawal },
    (request, reply) => submit(deps, request, reply, 'withdrawal', request.params.id),
  );
}

async function submit(
  deps: GatewayDeps,
  request: FastifyRequest,
  reply: FastifyReply,
  kind: Kind,
  pathId?: string,
): Promise<FastifyReply> {
  const body = request.body;
  if (!Buffer.isBuffer(body)) return sendProblem(reply, NOT_JSON);
  const parsed = parseTraderMessage(body);
  if (!parsed.ok) {
    return sendProblem(reply, { status: 400, title: `The ${kind} is not valid`, errors: parsed.errors });
  }
  const message = parsed.message;
  const wrong = shapeProblem(message, kind, pathId);
  if (wrong) return sendProblem(reply, { status: 400, title: `The ${kind} is not valid`, errors: [wrong] });
  const owner = await ownerOf(deps, message, request.trader);
  if (owner !== request.trader) return notYours(reply, message, request.trader);
  const signature = request.headers[SIGNATURE_HEADER];
  const headers = typeof signature === 'string' ? { [SIGNATURE_HEADER]: signature } : {};
  const signed = await deps.gate.check({ value: body, headers }, Date.now(), { rfc: owner });
  if (!signed.ok) {
    return sendProblem(reply, {
      status: UNAUTHENTICATED.has(signed.code) ? 401 : 403,
      title: 'The signature is refused',
      code: signed.code,
      detail: signed.message,
    });
  }
  await deps.producer.send({
    topic: deps.config.topics.declarations,
    acks: -1,
    messages: [{ key: message.declarationId, value: body, headers }],
  });
  // So that the statusUrl answers before the projector has archived the first status event.
  if (kind === 'declaration') await recordSubmission(deps.pool, message.declarationId, owner);
  const location = statusUrl(message.declarationId);
  return reply
    .code(202)
    .header('Location', location)
    .send({ declarationId: message.declarationId, statusUrl: location });
}

function shapeProblem(message: TraderMessage, kind: Kind, pathId: string | undefined) {
  if (message.kind !== kind) {
    return { path: 'kind', message: `is "${message.kind}", but this path takes a ${kind}` };
  }
  if (pathId !== undefined && message.declarationId !== pathId) {
    return {
      path: 'declarationId',
      message: `is "${message.declarationId}", but the path names "${pathId}"`,
    };
  }
  return undefined;
}

/**
 * Whose message it is: a declaration names its trader; an amendment or a withdrawal belongs to
 * the trader of the declaration it changes, as far as the archive knows already. When it does
 * not know yet (the declaration was just submitted), the caller's own RFC is assumed, and intake
 * checks the signer against the declaration itself.
 */
async function ownerOf(deps: GatewayDeps, message: TraderMessage, caller: string): Promise<string | null> {
  if (message.kind === 'declaration') return message.trader.taxId;
  const known = await declarationOwner(deps.pool, message.declarationId);
  return known === undefined ? caller : known;
}

/** Another trader's declaration is not found, rather than forbidden: its existence is not ours to tell. */
function notYours(reply: FastifyReply, message: TraderMessage, caller: string): FastifyReply {
  if (message.kind === 'declaration') {
    return sendProblem(reply, {
      status: 403,
      title: 'Not your declaration',
      detail: `trader.taxId is ${message.trader.taxId}, but the token is of ${caller}; submit your own declarations`,
      errors: [{ path: 'trader.taxId', message: `is not the RFC of the token (${caller})` }],
    });
  }
  return sendProblem(reply, {
    status: 404,
    title: 'Not found',
    detail: `no declaration ${message.declarationId} of yours`,
  });
}

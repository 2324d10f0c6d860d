import type { FastifyReply, FastifyRequest } from 'fastify';
import { firstUseOfToken } from '../../archive/token-uses.js';
import { verifyBearerToken } from '../../identity/bearer-token.js';
import type { GatewayDeps } from './gateway-server.js';
import { sendProblem } from './problem.js';

/**
 * The onRequest hook of every /v1 route: a valid bearer token (identity/bearer-token.ts) used for
 * the first time, or 401 with why. It runs before the body is read, so an unauthenticated caller
 * cannot make the gateway parse a megabyte.
 */
export function authenticate(deps: Pick<GatewayDeps, 'pool' | 'tokens' | 'logger'>) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const verdict = await verifyBearerToken(deps.tokens, request.headers.authorization);
    if (!verdict.ok) return refuse(reply, verdict.message);
    const { holder, jti, exp } = verdict.token;
    if (!(await firstUseOfToken(deps.pool, { holderRfc: holder.rfc, jti, exp }))) {
      return refuse(
        reply,
        `the token (jti ${JSON.stringify(jti)}) was used before; each token is accepted once`,
      );
    }
    request.trader = holder.rfc;
    return undefined;
  };
}

/** Fastify ends a request in an async hook when the hook returns the reply it sent. */
function refuse(reply: FastifyReply, detail: string): FastifyReply {
  return sendProblem(reply.header('WWW-Authenticate', 'Bearer error="invalid_token"'), {
    status: 401,
    title: 'Unauthorized',
    detail,
  });
}

import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { failureClass } from '../../domain/failures.js';
import type { SignatureGate } from '../../identity/signature-gate.js';
import type { SignatureVerifier } from '../../identity/signature-verifier.js';
import { MAX_MESSAGE_BYTES } from '../../messaging/intake-parse.js';
import type { Config } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import type { StatusListener } from '../../archive/status-listener.js';
import { compileRequestPart } from '../../schemas/validators.js';
import { authenticate } from './authentication.js';
import { fastifyProblem, rateLimited, sendProblem } from './problem.js';
import { registerNotificationRoutes } from './notification-routes.js';
import { registerReadRoutes } from './read-routes.js';
import { registerSubmitRoutes } from './submit-routes.js';

export interface GatewayDeps {
  config: Config;
  logger: Logger;
  /** Connected; the gateway produces trader messages with it (acks from all in-sync replicas). */
  producer: Producer;
  /** The archive, migrated. */
  pool: Pool;
  /** VENTANILLA_SIGNATURES over message bodies, as intake applies it. */
  gate: SignatureGate;
  /** Bearer tokens' certificates, always checked whatever VENTANILLA_SIGNATURES says. */
  tokens: SignatureVerifier;
  /** Wakes the event streams when the projector commits an event. */
  listener: StatusListener;
  /** What /readyz asks besides the archive: Kafka and Temporal answer. */
  ready: () => Promise<string[]>;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The RFC of the token's holder, set by authentication before any /v1 handler runs. */
    trader: string;
  }
}

/**
 * The trader API of design.md §11 as a Fastify instance, not yet listening. Bodies are kept as
 * the exact bytes received (they are produced to Kafka as they are, under their signature), and
 * every error is problem+json.
 */
export function buildGateway(deps: GatewayDeps): FastifyInstance {
  // Event streams stay open for as long as their clients like: closing ends them too.
  const app = Fastify({
    bodyLimit: MAX_MESSAGE_BYTES,
    logger: false,
    return503OnClosing: true,
    forceCloseConnections: true,
    // A path parameter is judged by its route's schema (a 400 in problem+json), however long; the
    // router's own limit (100) would answer first, with a 414 in a format of its own.
    routerOptions: { maxParamLength: 4096 },
    // What the router refuses before any route is found (a malformed URL): problem+json as well.
    frameworkErrors: (error, _request, reply) =>
      sendProblem(reply, {
        status: error.statusCode ?? 400,
        title: 'Bad request',
        detail: error.message,
      }),
  });
  app.decorateRequest('trader', '');
  // Only JSON is taken, and as bytes: another media type is refused with 415 before any handler.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_request, body, done) =>
    done(null, body),
  );
  handleErrors(app, deps.logger);
  // Route schemas validate parameters on the schemas' own Ajv, and document the API; bodies are
  // checked by the handlers on their exact bytes, and answers are sent as they are.
  app.setValidatorCompiler(({ schema, httpPart }) =>
    httpPart === 'body' ? () => true : compileRequestPart(schema),
  );
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.register(swagger, OPENAPI);
  // Registered after swagger, so that its route hook sees them (root routes would come first).
  app.register(async (open) => registerOpenRoutes(open, app, deps));
  app.register(async (v1) => {
    v1.addHook('onRequest', authenticate(deps));
    // Per trader, once authentication named them; counted in this process (each gateway its own).
    await v1.register(rateLimit, {
      hook: 'preHandler',
      max: deps.config.httpRatePerMinute,
      timeWindow: 60_000,
      keyGenerator: (request) => request.trader,
      errorResponseBuilder: (_request, context) => rateLimited(context.max, context.after),
    });
    registerSubmitRoutes(v1, deps);
    registerReadRoutes(v1, deps);
    registerNotificationRoutes(v1, deps);
  });
  return app;
}

/** problem+json for every error; a 5xx tells the caller only what they can act on, and logs the rest. */
function handleErrors(app: FastifyInstance, logger: Logger): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error.statusCode && error.statusCode < 500) return sendProblem(reply, fastifyProblem(error));
    const transient = failureClass(error) === 'transient';
    logger.error({ err: error, reqId: request.id, url: request.url }, 'gateway request failed');
    if (transient) reply.header('Retry-After', '5');
    return sendProblem(reply, {
      status: transient ? 503 : 500,
      title: transient ? 'Service unavailable' : 'Internal error',
      detail: transient
        ? 'a service behind the gateway does not answer; try again shortly'
        : `the gateway failed on its side (request ${request.id}); the operators have the details`,
    });
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, {
      status: 404,
      title: 'Not found',
      detail: `no ${request.method} ${request.url.split('?')[0]}`,
    }),
  );
}

/** The routes that need no token: the API's description and the probes. */
function registerOpenRoutes(open: FastifyInstance, app: FastifyInstance, deps: GatewayDeps): void {
  open.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  open.get('/healthz', { schema: { summary: 'The gateway is up' } }, async () => ({ status: 'ok' }));
  open.get(
    '/readyz',
    { schema: { summary: 'Kafka, Temporal and the archive answer' } },
    async (_request, reply) => {
      const down = await readiness(deps);
      if (down.length === 0) return { status: 'ready' };
      return sendProblem(reply, {
        status: 503,
        title: 'Not ready',
        detail: `not answering: ${down.join(', ')}`,
      });
    },
  );
}

const OPENAPI = {
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'Ventanilla trader API',
      version: '1',
      description:
        'Submit declarations once and follow their clearance (design.md §11). Every /v1 call needs a bearer token, each accepted once; errors are application/problem+json.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http' as const, scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  },
};

async function readiness(deps: GatewayDeps): Promise<string[]> {
  const archive = deps.pool.query('select 1').then(
    () => [],
    () => ['the archive (PostgreSQL)'],
  );
  const [others, db] = await Promise.all([deps.ready().catch(() => ['Kafka or Temporal']), archive]);
  return [...others, ...db];
}

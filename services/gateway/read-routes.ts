import type { FastifyInstance } from 'fastify';
import { eventsAfter, latestStatus, listDeclarations } from '../../archive/archive-reads.js';
import type { OverallStatus, StatusEvent } from '../../schemas/types.js';
import type { GatewayDeps } from './gateway-server.js';
import { lastEventId, streamEvents, subscribeEarly, wantsEventStream } from './event-stream.js';
import { sendProblem } from './problem.js';
import { SCHEMAS } from './route-schemas.js';

const PAGE = 50;

/**
 * Reads of the trader's own declarations, from the archive (design.md §11–12), so they answer
 * long after the workflow has closed. Another trader's declaration is not found.
 */
export function registerReadRoutes(app: FastifyInstance, deps: GatewayDeps): void {
  const notFound = (id: string) => ({
    status: 404,
    title: 'Not found',
    detail: `no declaration ${id} of yours`,
  });

  app.get<{ Params: { id: string } }>(
    '/v1/declarations/:id',
    { schema: SCHEMAS.latest },
    async (request, reply) => {
      const { id } = request.params;
      const status = await latestStatus(deps.pool, request.trader, id);
      if (!status) return sendProblem(reply, notFound(id));
      if ('event' in status) return status.event;
      // Accepted, and on its way: the projector archives the first status event in a moment.
      return reply
        .code(202)
        .header('Retry-After', '1')
        .send({
          declarationId: id,
          statusUrl: statusUrl(id),
          submittedAt: status.submittedAt.toISOString(),
          detail: 'accepted; it has no status event yet, ask again in a second',
        });
    },
  );

  app.get<{ Params: { id: string } }>(
    '/v1/declarations/:id/events',
    { schema: SCHEMAS.events },
    async (request, reply) => {
      const { id } = request.params;
      const stream = wantsEventStream(request) ? subscribeEarly(deps.listener, id) : undefined;
      const after = stream ? lastEventId(request) : 0;
      let events: StatusEvent[] | undefined;
      try {
        events = await eventsAfter(deps.pool, request.trader, id, after);
      } finally {
        // No stream after all: the read failed, or the declaration is not the caller's.
        if (!events) stream?.unsubscribe();
      }
      if (!events) return sendProblem(reply, notFound(id));
      if (!stream) return { declarationId: id, events };
      streamEvents(deps, request, reply, id, events, stream);
      return reply;
    },
  );

  app.get<{ Querystring: { status?: OverallStatus; since?: string; cursor?: string } }>(
    '/v1/declarations',
    { schema: SCHEMAS.list },
    async (request, reply) => {
      const after = request.query.cursor ? readCursor(request.query.cursor) : undefined;
      if (after === null) {
        return sendProblem(reply, {
          status: 400,
          title: 'Invalid cursor',
          detail: 'use the nextCursor of a previous page as it was given',
        });
      }
      const { status } = request.query;
      const since = request.query.since === undefined ? undefined : utc(request.query.since);
      if (since === null) {
        return sendProblem(reply, {
          status: 400,
          title: 'Invalid since',
          detail: `since "${request.query.since}" is not a time this archive can compare with; give one like 2026-12-01T00:00:00Z`,
          errors: [{ path: 'since', message: 'is not a usable date-time' }],
        });
      }
      const page = await listDeclarations(deps.pool, request.trader, {
        status,
        since,
        after,
        limit: PAGE + 1,
      });
      const more = page.length > PAGE;
      const declarations = page.slice(0, PAGE);
      const last = declarations.at(-1);
      return {
        declarations,
        ...(more && last ? { nextCursor: writeCursor({ at: last.receivedAt, id: last.declarationId }) } : {}),
      };
    },
  );
}

/** Where a declaration's status is read (the 202 of a submission points there). */
export function statusUrl(declarationId: string): string {
  return `/v1/declarations/${encodeURIComponent(declarationId)}`;
}

/** Opaque to the trader: the (receivedAt, declarationId) the next page starts below. */
function writeCursor(position: { at: string; id: string }): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

function readCursor(cursor: string): { at: string; id: string } | null {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const when = typeof at === 'string' ? utc(at) : null;
    if (!when || typeof id !== 'string') return null;
    return { at: when, id };
  } catch {
    return null;
  }
}

/**
 * A time as UTC ISO text, or null. RFC 3339 allows what PostgreSQL and Date do not: offsets
 * beyond ±15:59, leap seconds (23:59:60). The archive is only ever given UTC.
 */
function utc(text: string): string | null {
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

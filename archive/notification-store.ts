import type { Pool, PoolClient } from 'pg';
import { archiveQuery } from './archive-query.js';

// The webhooks' state (design.md §11), in the archive's database so that a restart of the gateway
// or the notifier loses nothing: each trader's endpoint and the outbox the projector fills.

export interface Endpoint {
  url: string;
  state: 'ACTIVE' | 'BLOCKED';
  failures: number;
  lastError: string | null;
}

/** After this many failed deliveries in a row an endpoint is BLOCKED until it is unblocked. */
export const BLOCK_AFTER_FAILURES = 5;

/** The rows of one statement, through archiveQuery (classified failures). */
const query = async <R extends object>(db: Pool | PoolClient, sql: string, params: unknown[]): Promise<R[]> =>
  (await archiveQuery<R & Record<string, unknown>>(db, sql, params)).rows;

/** Sets the trader's endpoint (ACTIVE, no failures); events from now on are queued for it. */
export async function setEndpoint(
  pool: Pool,
  trader: string,
  url: string,
  secret: string,
): Promise<Endpoint> {
  await query(
    pool,
    `insert into notification_endpoints (trader_tax_id, url, secret) values ($1, $2, $3)
     on conflict (trader_tax_id) do update set url = excluded.url, secret = excluded.secret,
       state = 'ACTIVE', failures = 0, next_attempt_at = now(), last_error = null, updated_at = now()`,
    [trader, url, secret],
  );
  return { url, state: 'ACTIVE', failures: 0, lastError: null };
}

export async function endpointOf(pool: Pool, trader: string): Promise<Endpoint | undefined> {
  const rows = await query<{
    url: string;
    state: Endpoint['state'];
    failures: number;
    last_error: string | null;
  }>(pool, 'select url, state, failures, last_error from notification_endpoints where trader_tax_id = $1', [
    trader,
  ]);
  const row = rows[0];
  return row && { url: row.url, state: row.state, failures: row.failures, lastError: row.last_error };
}

/** Delivery resumes from the first undelivered event; undefined when the trader has no endpoint. */
export async function unblockEndpoint(pool: Pool, trader: string): Promise<Endpoint | undefined> {
  await query(
    pool,
    `update notification_endpoints set state = 'ACTIVE', failures = 0, next_attempt_at = now(), updated_at = now()
     where trader_tax_id = $1`,
    [trader],
  );
  return endpointOf(pool, trader);
}

export interface Notification {
  id: string;
  declarationId: string;
  sequence: number;
  body: Buffer;
}

/** The trader's events not delivered yet, oldest first. */
export async function undelivered(
  pool: Pool | PoolClient,
  trader: string,
  limit = 100,
): Promise<Notification[]> {
  const rows = await query<{ id: string; declaration_id: string; sequence: string; body: Buffer }>(
    pool,
    `select id, declaration_id, sequence, body from notifications
     where trader_tax_id = $1 and delivered_at is null order by id limit $2`,
    [trader, limit],
  );
  return rows.map((r) => ({
    id: r.id,
    declarationId: r.declaration_id,
    sequence: Number(r.sequence),
    body: r.body,
  }));
}

/** Traders whose endpoint is ACTIVE, due, and has something to deliver. */
export async function dueTraders(pool: Pool, limit = 20): Promise<string[]> {
  const rows = await query<{ trader_tax_id: string }>(
    pool,
    `select e.trader_tax_id from notification_endpoints e
     where e.state = 'ACTIVE' and e.next_attempt_at <= now()
       and exists (select 1 from notifications n where n.trader_tax_id = e.trader_tax_id and n.delivered_at is null)
     order by e.next_attempt_at limit $1`,
    [limit],
  );
  return rows.map((r) => r.trader_tax_id);
}

export async function endpointSecret(
  client: PoolClient,
  trader: string,
): Promise<{ url: string; secret: string; state: string } | undefined> {
  const rows = await query<{ url: string; secret: string; state: string }>(
    client,
    'select url, secret, state from notification_endpoints where trader_tax_id = $1',
    [trader],
  );
  return rows[0];
}

export async function markDelivered(client: PoolClient, trader: string, id: string): Promise<void> {
  await query(
    client,
    'update notifications set delivered_at = now(), attempts = attempts + 1 where id = $1',
    [id],
  );
  await query(
    client,
    'update notification_endpoints set failures = 0, last_error = null where trader_tax_id = $1 and failures > 0',
    [trader],
  );
}

/** One more failure in a row: the next attempt after `retryMs` doubled per failure, BLOCKED at 5. */
export async function markFailed(
  client: PoolClient,
  trader: string,
  id: string,
  error: string,
  retryMs: number,
): Promise<void> {
  await query(client, 'update notifications set attempts = attempts + 1 where id = $1', [id]);
  await query(
    client,
    `update notification_endpoints set failures = failures + 1, last_error = $2, updated_at = now(),
       state = case when failures + 1 >= $3 then 'BLOCKED' else state end,
       next_attempt_at = now() + make_interval(secs => least(300, $4::float8 * power(2, failures)))
     where trader_tax_id = $1`,
    [trader, error.slice(0, 500), BLOCK_AFTER_FAILURES, retryMs / 1000],
  );
}

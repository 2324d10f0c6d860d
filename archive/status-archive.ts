import type { Pool, PoolClient } from 'pg';
import { FINAL_STATUSES } from '../domain/clearance-state.js';
import { databaseFailure } from '../runtime/postgres.js';
import type { StatusDecision, StatusEvent } from '../schemas/types.js';
import { storableJson, storableText } from './storable-text.js';

/** One status event as it came off trade.status: the parsed event and where its exact bytes were. */
export interface ArchivableEvent {
  event: StatusEvent;
  raw: Buffer;
  partition: number;
  offset: string;
}

/** `archived`: written now; `duplicate`: this (declarationId, sequence) was already in the archive. */
export type ArchiveOutcome = 'archived' | 'duplicate';

/**
 * The channel on which each committed event is announced, as `<schema> <declarationId> <sequence>`
 * (the gateway's event streams listen; tests share one database, each in a schema of its own).
 * None of the three can hold a space.
 */
export const STATUS_CHANNEL = 'ventanilla_status';

const INSERT_EVENT = `insert into status_events
    (declaration_id, sequence, status, at, event, raw, kafka_partition, kafka_offset)
  values ($1, $2, $3, $4, $5, $6, $7, $8)
  on conflict (declaration_id, sequence) do nothing`;

// The latest event wins, whatever order events arrive in (a replayed partition, say); the first
// time seen and the trader, once known, stay.
const UPSERT_DECLARATION = `insert into declarations as d
    (declaration_id, trader_tax_id, regime, status, last_sequence, last_event, first_at, updated_at, final_at)
  values ($1, $2, $3, $4, $5, $6, $7, $7, $8)
  on conflict (declaration_id) do update set
    trader_tax_id = coalesce(d.trader_tax_id, excluded.trader_tax_id),
    regime = coalesce(d.regime, excluded.regime),
    first_at = least(d.first_at, excluded.first_at),
    status = case when excluded.last_sequence > d.last_sequence then excluded.status else d.status end,
    last_event = case when excluded.last_sequence > d.last_sequence then excluded.last_event else d.last_event end,
    updated_at = case when excluded.last_sequence > d.last_sequence then excluded.updated_at else d.updated_at end,
    final_at = case when excluded.last_sequence > d.last_sequence then excluded.final_at else d.final_at end,
    last_sequence = greatest(d.last_sequence, excluded.last_sequence)`;

const INSERT_DECISION = `insert into agency_decisions
    (declaration_id, agency, at, outcome, decided_by, officer, reasons, conditions,
     signer_rfc, signer_serial, signer_fingerprint, sequence)
  values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
  on conflict (declaration_id, agency, at, outcome) do nothing`;

// For the trader's webhook, if they have one: pushed later by the notifier, in id order.
const QUEUE_NOTIFICATION = `insert into notifications (trader_tax_id, declaration_id, sequence, body)
  select $1, $2, $3, $4 where exists (select 1 from notification_endpoints where trader_tax_id = $1)
  on conflict (declaration_id, sequence) do nothing`;

/**
 * Writes one status event, its declaration's row and the decisions it carries, in one
 * transaction, and announces it on STATUS_CHANNEL when the transaction commits. Idempotent by
 * (declarationId, sequence): a second delivery of the same event changes nothing. A failure
 * comes out classified (runtime/postgres.ts databaseFailure): an unavailable database is
 * transient, so the projector waits and the record is not committed.
 */
export async function archiveStatusEvent(pool: Pool, archivable: ArchivableEvent): Promise<ArchiveOutcome> {
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    await client.query('begin');
    const outcome = await writeEvent(client, archivable);
    await client.query('commit');
    client.release();
    return outcome;
  } catch (error) {
    // A connection in an unknown state is closed rather than handed back to the pool.
    client?.release(true);
    throw databaseFailure(error);
  }
}

async function writeEvent(client: PoolClient, { event: original, raw, partition, offset }: ArchivableEvent) {
  const event = storableJson(original);
  const { declarationId, sequence, status, at } = event;
  const inserted = await client.query(INSERT_EVENT, [
    declarationId,
    sequence,
    status,
    at,
    event,
    raw,
    partition,
    offset,
  ]);
  if (inserted.rowCount === 0) return 'duplicate';
  const finalAt = FINAL_STATUSES.has(status) ? at : null;
  await client.query(UPSERT_DECLARATION, [
    declarationId,
    event.traderTaxId ?? null,
    event.regime ?? null,
    status,
    sequence,
    event,
    at,
    finalAt,
  ]);
  for (const decision of event.decisions ?? [])
    await writeDecision(client, declarationId, sequence, decision);
  if (event.traderTaxId) {
    await client.query(QUEUE_NOTIFICATION, [event.traderTaxId, declarationId, sequence, raw]);
  }
  await client.query(`select pg_notify($1, current_schema() || ' ' || $2)`, [
    STATUS_CHANNEL,
    `${declarationId} ${sequence}`,
  ]);
  return 'archived';
}

function writeDecision(client: PoolClient, declarationId: string, sequence: number, d: StatusDecision) {
  return client.query(INSERT_DECISION, [
    declarationId,
    d.agency,
    d.at,
    d.outcome,
    d.by,
    d.officer ? storableText(d.officer) : null,
    JSON.stringify(d.reasons),
    d.conditions ? JSON.stringify(d.conditions) : null,
    d.signer?.rfc ?? null,
    d.signer?.serial ?? null,
    d.signer?.fingerprint ?? null,
    sequence,
  ]);
}

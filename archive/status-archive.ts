import type { Pool } from 'pg';
import { FINAL_STATUSES } from '../domain/clearance-state.js';
import { archiveQuery } from './archive-query.js';
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

// One statement, so one round trip and its own transaction: the event, its declaration's row, the
// decisions it carries and the trader's webhook notification are written together or not at all,
// and the announcement on STATUS_CHANNEL goes out when it commits. Nothing but the event's insert
// happens for a repeat: every other part selects from `ev`, which is empty then.
//   $1 declarationId, $2 sequence, $3 status, $4 at, $5 event, $6 raw bytes, $7 partition,
//   $8 offset, $9 traderTaxId, $10 regime, $11 final_at, $12 decisions (JSON), $13 the channel
const ARCHIVE_EVENT = `
with ev as (
  insert into status_events
    (declaration_id, sequence, status, at, event, raw, kafka_partition, kafka_offset)
  values ($1::text, $2::bigint, $3::text, $4::timestamptz, $5::jsonb, $6::bytea, $7::integer, $8::bigint)
  on conflict (declaration_id, sequence) do nothing
  returning declaration_id
),
-- The latest event wins, whatever order events arrive in (a replayed partition, say); the first
-- time seen and the trader, once known, stay.
declaration as (
  insert into declarations as d
    (declaration_id, trader_tax_id, regime, status, last_sequence, last_event, first_at, updated_at, final_at)
  select $1, $9::text, $10::text, $3, $2, $5, $4, $4, $11::timestamptz from ev
  on conflict (declaration_id) do update set
    trader_tax_id = coalesce(d.trader_tax_id, excluded.trader_tax_id),
    regime = coalesce(d.regime, excluded.regime),
    first_at = least(d.first_at, excluded.first_at),
    status = case when excluded.last_sequence > d.last_sequence then excluded.status else d.status end,
    last_event = case when excluded.last_sequence > d.last_sequence then excluded.last_event else d.last_event end,
    updated_at = case when excluded.last_sequence > d.last_sequence then excluded.updated_at else d.updated_at end,
    final_at = case when excluded.last_sequence > d.last_sequence then excluded.final_at else d.final_at end,
    last_sequence = greatest(d.last_sequence, excluded.last_sequence)
),
-- Status events repeat the latest decisions, so a decision is keyed by what identifies it there,
-- and kept with the first event that carried it.
decisions as (
  insert into agency_decisions
    (declaration_id, agency, at, outcome, decided_by, officer, reasons, conditions,
     signer_rfc, signer_serial, signer_fingerprint, sequence)
  select $1, x.agency, x.at, x.outcome, x.decided_by, x.officer, x.reasons, x.conditions,
         x.signer_rfc, x.signer_serial, x.signer_fingerprint, $2
  from ev, jsonb_to_recordset($12::jsonb) as x(
    agency text, at timestamptz, outcome text, decided_by text, officer text, reasons jsonb,
    conditions jsonb, signer_rfc text, signer_serial text, signer_fingerprint text)
  on conflict (declaration_id, agency, at, outcome) do nothing
),
-- For the trader's webhook, if they have one: pushed later by the notifier, in id order.
queued as (
  insert into notifications (trader_tax_id, declaration_id, sequence, body)
  select $9, $1, $2, $6 from ev
  where $9 is not null and exists (select 1 from notification_endpoints where trader_tax_id = $9)
  on conflict (declaration_id, sequence) do nothing
)
select count(*)::integer as archived
from ev, lateral (select pg_notify($13::text, current_schema() || ' ' || $1 || ' ' || $2)) announced`;

/**
 * Writes one status event, its declaration's row and the decisions it carries, in one
 * transaction, and announces it on STATUS_CHANNEL when the transaction commits. Idempotent by
 * (declarationId, sequence): a second delivery of the same event changes nothing. A failure
 * comes out classified (runtime/postgres.ts databaseFailure): an unavailable database is
 * transient, so the projector waits and the record is not committed.
 */
export async function archiveStatusEvent(
  pool: Pool,
  { event: original, raw, partition, offset }: ArchivableEvent,
): Promise<ArchiveOutcome> {
  const event = storableJson(original);
  const { declarationId, sequence, status, at } = event;
  const { rows } = await archiveQuery<{ archived: number }>(pool, ARCHIVE_EVENT, [
    declarationId,
    sequence,
    status,
    at,
    event,
    raw,
    partition,
    offset,
    event.traderTaxId ?? null,
    event.regime ?? null,
    FINAL_STATUSES.has(status) ? at : null,
    JSON.stringify((event.decisions ?? []).map(decisionRow)),
    STATUS_CHANNEL,
  ]);
  return rows[0]?.archived === 1 ? 'archived' : 'duplicate';
}

/** A decision as the statement's jsonb_to_recordset reads it. */
function decisionRow(d: StatusDecision) {
  return {
    agency: d.agency,
    at: d.at,
    outcome: d.outcome,
    decided_by: d.by,
    officer: d.officer ? storableText(d.officer) : null,
    reasons: d.reasons,
    conditions: d.conditions ?? null,
    signer_rfc: d.signer?.rfc ?? null,
    signer_serial: d.signer?.serial ?? null,
    signer_fingerprint: d.signer?.fingerprint ?? null,
  };
}

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
 * and, when it fits, ` <the event as archived, JSON>` (the gateway's event streams listen; tests
 * share one database, each in a schema of its own). None of the first three can hold a space.
 */
export const STATUS_CHANNEL = 'ventanilla_status';

/** PostgreSQL refuses a notification payload of 8000 bytes or more; a larger event goes without. */
const MAX_NOTIFY_BYTES = 7900;

// One statement for a batch of events, so one round trip and one transaction: each event, its
// declaration's row, the decisions it carries and the trader's webhook notification are written
// together or not at all, and each event is announced on STATUS_CHANNEL when the batch commits.
// Only the events' insert happens for a repeat: every other part reads `fresh`, the events just
// written. A batch holds at most one event per declaration (see CoalescingArchiver): an upsert
// may touch a row only once per statement.
//   $1..$12 one array each, an element per event: declarationId, sequence, status, at, event, raw
//   bytes, partition, offset, traderTaxId, regime, final_at, decisions (JSON); $13 the channel
const ARCHIVE_EVENTS = `
with input as (
  select * from unnest($1::text[], $2::bigint[], $3::text[], $4::timestamptz[], $5::jsonb[],
                       $6::bytea[], $7::integer[], $8::bigint[], $9::text[], $10::text[],
                       $11::timestamptz[], $12::jsonb[])
    as i(declaration_id, sequence, status, at, event, raw, kafka_partition, kafka_offset,
         trader_tax_id, regime, final_at, decisions)
),
ev as (
  insert into status_events
    (declaration_id, sequence, status, at, event, raw, kafka_partition, kafka_offset)
  select declaration_id, sequence, status, at, event, raw, kafka_partition, kafka_offset from input
  on conflict (declaration_id, sequence) do nothing
  returning declaration_id, sequence
),
fresh as (select input.* from input join ev using (declaration_id, sequence)),
-- The latest event wins, whatever order events arrive in (a replayed partition, say); the first
-- time seen and the trader, once known, stay.
declaration as (
  insert into declarations as d
    (declaration_id, trader_tax_id, regime, status, last_sequence, last_event, first_at, updated_at, final_at)
  select declaration_id, trader_tax_id, regime, status, sequence, event, at, at, final_at from fresh
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
  select f.declaration_id, x.agency, x.at, x.outcome, x.decided_by, x.officer, x.reasons, x.conditions,
         x.signer_rfc, x.signer_serial, x.signer_fingerprint, f.sequence
  from fresh f, jsonb_to_recordset(f.decisions) as x(
    agency text, at timestamptz, outcome text, decided_by text, officer text, reasons jsonb,
    conditions jsonb, signer_rfc text, signer_serial text, signer_fingerprint text)
  on conflict (declaration_id, agency, at, outcome) do nothing
),
-- For the trader's webhook, if they have one: pushed later by the notifier, in id order.
queued as (
  insert into notifications (trader_tax_id, declaration_id, sequence, body)
  select f.trader_tax_id, f.declaration_id, f.sequence, f.raw from fresh f
  where f.trader_tax_id is not null
    and exists (select 1 from notification_endpoints e where e.trader_tax_id = f.trader_tax_id)
  order by f.sequence
  on conflict (declaration_id, sequence) do nothing
)
select f.declaration_id, f.sequence::text as sequence
from fresh f,
  lateral (select current_schema() || ' ' || f.declaration_id || ' ' || f.sequence as head, f.event::text as body) n,
  lateral (
    select pg_notify($13::text, case when octet_length(n.head) + octet_length(n.body) < ${MAX_NOTIFY_BYTES}
                                     then n.head || ' ' || n.body else n.head end)
  ) announced`;

/**
 * Writes a batch of status events, each with its declaration's row and the decisions it carries,
 * in one transaction, and announces each on STATUS_CHANNEL when the transaction commits.
 * Idempotent by (declarationId, sequence): a second delivery of the same event changes nothing
 * (`duplicate`). The outcomes are in the order of `batch`. A failure comes out classified
 * (runtime/postgres.ts databaseFailure): an unavailable database is transient, so the projector
 * waits and the records are not committed.
 */
export async function archiveStatusEvents(pool: Pool, batch: ArchivableEvent[]): Promise<ArchiveOutcome[]> {
  const events = batch.map(({ event }) => storableJson(event));
  const column = <T>(pick: (event: StatusEvent) => T): T[] => events.map(pick);
  const { rows } = await archiveQuery<{ declaration_id: string; sequence: string }>(pool, ARCHIVE_EVENTS, [
    column((e) => e.declarationId),
    column((e) => e.sequence),
    column((e) => e.status),
    column((e) => e.at),
    column((e) => JSON.stringify(e)),
    batch.map(({ raw }) => raw),
    batch.map(({ partition }) => partition),
    batch.map(({ offset }) => offset),
    column((e) => e.traderTaxId ?? null),
    column((e) => e.regime ?? null),
    column((e) => (FINAL_STATUSES.has(e.status) ? e.at : null)),
    column((e) => JSON.stringify((e.decisions ?? []).map(decisionRow))),
    STATUS_CHANNEL,
  ]);
  const written = new Set(rows.map((row) => `${row.declaration_id} ${row.sequence}`));
  return events.map((e) => (written.has(`${e.declarationId} ${e.sequence}`) ? 'archived' : 'duplicate'));
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

-- The single window's record (design.md §12): every declaration, status event and agency decision,
-- kept long after Temporal and Kafka have forgotten them. The projector (services/projector.ts)
-- writes it from trade.status; the gateway reads it.

-- One row per declaration: whose it is, and its latest status event.
create table declarations (
  declaration_id text constraint declarations_pkey primary key,
  -- Null only for an input refused before its trader could be read; no trader can read those rows.
  trader_tax_id text,
  regime text,
  status text not null,
  last_sequence bigint not null,
  last_event jsonb not null,
  -- The time of the first status event archived (RECEIVED, normally) and of the latest.
  first_at timestamptz not null,
  updated_at timestamptz not null,
  -- When the status became final (CLEARED, REJECTED, WITHDRAWN); null while open.
  final_at timestamptz
);
-- A trader's own list, newest first (GET /v1/declarations).
create index declarations_by_trader on declarations (trader_tax_id, first_at desc, declaration_id desc);

-- Every status event, once: Kafka delivers again after a crash, and the key makes that harmless.
create table status_events (
  declaration_id text not null,
  sequence bigint not null,
  status text not null,
  at timestamptz not null,
  -- The event as JSON, with characters PostgreSQL cannot store in text (U+0000) replaced; the
  -- record's exact bytes are in `raw`.
  event jsonb not null,
  raw bytea not null,
  kafka_partition integer not null,
  kafka_offset bigint not null,
  -- When the row was written: the archive's lag is archived_at minus at.
  archived_at timestamptz not null default clock_timestamp(),
  constraint status_events_pkey primary key (declaration_id, sequence)
);

-- Each agency decision once, with its signer when an officer or agency system signed it. Status
-- events repeat the latest decisions, so a decision is keyed by what identifies it there.
create table agency_decisions (
  declaration_id text not null,
  agency text not null,
  at timestamptz not null,
  outcome text not null,
  decided_by text not null,
  officer text,
  reasons jsonb not null,
  conditions jsonb,
  signer_rfc text,
  signer_serial text,
  signer_fingerprint text,
  -- The first status event that carried it.
  sequence bigint not null,
  constraint agency_decisions_pkey primary key (declaration_id, agency, at, outcome)
);

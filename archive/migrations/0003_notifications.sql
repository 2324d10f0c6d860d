-- Webhooks (design.md §11): each trader's endpoint, and an outbox of the status events still to
-- push there. The projector fills the outbox in the transaction that archives an event; the
-- notifier (services/notifier.ts) delivers it in order, one trader at a time.
create table notification_endpoints (
  trader_tax_id text constraint notification_endpoints_pkey primary key,
  url text not null,
  -- The HMAC key the trader chose; it signs what is pushed, so it is kept as given.
  secret text not null,
  state text not null default 'ACTIVE' constraint notification_endpoints_state check (state in ('ACTIVE', 'BLOCKED')),
  -- Failed deliveries in a row; at 5 the endpoint is BLOCKED until the trader unblocks it.
  failures integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  updated_at timestamptz not null default now()
);

create table notifications (
  id bigserial constraint notifications_pkey primary key,
  trader_tax_id text not null,
  declaration_id text not null,
  sequence bigint not null,
  -- The status event's exact bytes, as trade.status carried them: what the webhook POSTs.
  body bytea not null,
  created_at timestamptz not null default now(),
  delivered_at timestamptz,
  attempts integer not null default 0,
  constraint notifications_event unique (declaration_id, sequence)
);
create index notifications_undelivered on notifications (trader_tax_id, id) where delivered_at is null;

-- What the gateway accepted (202) and produced, until the projector has archived its first status
-- event. The statusUrl a trader has just been given then answers at once ("accepted, no status
-- yet") instead of 404, and an amendment sent right after its declaration has a known owner.
-- The gateway forgets a submission once its declaration is archived.
create table submissions (
  declaration_id text constraint submissions_pkey primary key,
  trader_tax_id text not null,
  submitted_at timestamptz not null default now()
);
create index submissions_by_time on submissions (submitted_at);

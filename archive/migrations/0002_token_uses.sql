-- Bearer tokens are accepted once each (design.md §11): the gateway records every jti it accepts
-- until the token expires. Keyed by holder, since each holder makes its own jti values.
create table token_uses (
  holder_rfc text not null,
  jti text not null,
  expires_at timestamptz not null,
  used_at timestamptz not null default now(),
  constraint token_uses_pkey primary key (holder_rfc, jti)
);
create index token_uses_expiry on token_uses (expires_at);

import type { Pool } from 'pg';
import { archiveQuery } from './archive-query.js';

/**
 * Records a bearer token's first use; false when its jti was used before (a replay). In the
 * archive's database, so that every gateway process refuses the same replays.
 */
export async function firstUseOfToken(
  pool: Pool,
  token: { holderRfc: string; jti: string; exp: number },
): Promise<boolean> {
  const inserted = await archiveQuery(
    pool,
    `insert into token_uses (holder_rfc, jti, expires_at) values ($1, $2, to_timestamp($3))
     on conflict (holder_rfc, jti) do nothing`,
    [token.holderRfc, token.jti, token.exp],
  );
  return inserted.rowCount === 1;
}

/** Forgets tokens expired for a while: they are refused for their exp, whatever their jti. */
export async function forgetExpiredTokens(pool: Pool, graceSeconds = 300): Promise<number> {
  const deleted = await archiveQuery(
    pool,
    `delete from token_uses where expires_at < now() - make_interval(secs => $1)`,
    [graceSeconds],
  );
  return deleted.rowCount;
}

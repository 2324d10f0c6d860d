import { OpsError } from './ops-error.js';

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * `--since`: either an ISO 8601 time (`2026-05-01T08:00:00Z`, `2026-05-01`) or a duration back
 * from now (`90s`, `30m`, `2h`, `7d`). Anything else is refused rather than guessed at, so an
 * operator never acts on a wider or narrower set than they meant.
 */
export function parseSince(value: string, now: number = Date.now()): Date {
  const relative = /^(\d{1,7})(s|m|h|d)$/.exec(value.trim());
  if (relative) return new Date(now - Number(relative[1]) * UNITS[relative[2]!]!);
  if (/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(value.trim())) {
    const at = Date.parse(value.trim());
    if (!Number.isNaN(at)) return new Date(at);
  }
  throw new OpsError(
    `--since: expected an ISO time (2026-05-01T08:00:00Z) or a duration back from now (90s, 30m, 2h, 7d); got "${value}"`,
    2,
  );
}

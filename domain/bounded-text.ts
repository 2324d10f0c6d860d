import { conditions, matchesPattern, reasonCode, reasons } from '../schemas/common.schema.js';
import { statusEventSchema } from '../schemas/status-event.schema.js';

// Nothing we build may break our own schema (issue 10). These helpers summarise text and lists
// that grow with the input, so that adapters and the reducer always emit what the schemas allow.
// The limits are read off the schema objects, never repeated here. Pure: workflow code imports it.

/** How many entries a list may have and how long (in code points) each message may be. */
export interface ListLimits {
  maxItems: number;
  maxLength: number;
}

/** A decision's `reasons` (agency decisions, adapter decisions, status `decisions[].reasons`). */
export const DECISION_REASONS: ListLimits = {
  maxItems: reasons.maxItems,
  maxLength: reasons.items.properties.message.maxLength,
};

/** A decision's `conditions`. */
export const CONDITIONS: ListLimits = {
  maxItems: conditions.maxItems,
  maxLength: conditions.items.maxLength,
};

const statusProperties = statusEventSchema.properties;

/** The status event's own `reasons` (the agencies' reasons and the notices). */
export const STATUS_REASONS: ListLimits = {
  maxItems: statusProperties.reasons.maxItems,
  maxLength: statusProperties.reasons.items.properties.message.maxLength,
};

export const STATUS_DECISIONS_MAX = statusProperties.decisions.maxItems;
export const OFFICER_MAX = statusProperties.decisions.items.properties.officer.maxLength;

export const ELLIPSIS = '…';

/** Length as JSON Schema (and ajv) count it: in code points, not UTF-16 code units. */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * `text` cut to at most `max` code points, ending with "…" when cut. A surrogate pair is never
 * split. Text that already fits comes back as it is.
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text; // code units ≥ code points: it fits
  const points = Array.from(text);
  if (points.length <= max) return text;
  if (max < 1) return '';
  return (
    points
      .slice(0, max - 1)
      .join('')
      .trimEnd() + ELLIPSIS
  );
}

/** Consecutive line numbers as ranges, sorted and without repeats: `[1, 2, 3, 5, 7, 8]` → `1-3, 5, 7, 8`. */
function lineSegments(lineNos: readonly number[]): Array<{ text: string; count: number }> {
  const sorted = [...new Set(lineNos)].sort((a, b) => a - b);
  const segments: Array<{ text: string; count: number }> = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    const count = j - i + 1;
    if (count >= 3) segments.push({ text: `${sorted[i]}-${sorted[j]}`, count });
    else for (let k = i; k <= j; k++) segments.push({ text: String(sorted[k]), count: 1 });
    i = j + 1;
  }
  return segments;
}

/**
 * The line numbers as a readable list of at most `maxChars` characters: consecutive numbers as
 * ranges (`1-21`), and when the whole list does not fit, as many as fit followed by `and N more`
 * (N line numbers left out): `1, 3, 5, and 117 more`.
 */
export function lineList(lineNos: readonly number[], maxChars: number): string {
  const segments = lineSegments(lineNos);
  const total = segments.reduce((sum, s) => sum + s.count, 0);
  const full = segments.map((s) => s.text).join(', ');
  if (full.length <= maxChars) return full;
  let best: string | undefined;
  let listed = '';
  let covered = 0;
  for (const segment of segments) {
    listed = listed ? `${listed}, ${segment.text}` : segment.text;
    covered += segment.count;
    const candidate = `${listed}, and ${total - covered} more`;
    if (candidate.length > maxChars) break;
    best = candidate;
  }
  // Not even one entry fits with its "and N more": a cut list is the best there is.
  return best ?? clip(full, maxChars);
}

/**
 * Joins parts with `separator` and clips the result to `max` code points, without building more
 * of the string than the clip can keep (the parts may be many and long).
 */
export function joinClipped(parts: readonly string[], separator: string, max: number): string {
  let text = '';
  for (const [i, part] of parts.entries()) {
    text = i === 0 ? part : `${text}${separator}${part}`;
    if (text.length > 2 * max + 2) break; // ≥ max + 1 code points: it will be cut anyway
  }
  return clip(text, max);
}

const FALLBACK_CODE = 'UNSPECIFIED_REASON';

/** A valid reason code as it is; anything else made into one (upper case, `_` for other characters). */
export function boundedCode(code: string): string {
  if (typeof code !== 'string') return FALLBACK_CODE; // JavaScript adapters are not type-checked
  if (matchesPattern('reasonCode', code)) return code;
  const cleaned = code
    .toUpperCase()
    .replace(/[^A-Z0-9_]/g, '_')
    .slice(0, reasonCode.maxLength);
  return matchesPattern('reasonCode', cleaned) ? cleaned : FALLBACK_CODE;
}

export interface BoundedReason {
  agency?: string;
  code: string;
  message: string;
}

function boundedReason<R extends BoundedReason>(reason: R, maxLength: number): R {
  const code = boundedCode(reason.code);
  const text = typeof reason.message === 'string' ? reason.message : '';
  const message = clip(text || code, maxLength); // an empty message breaks minLength 1
  const keys = Object.keys(reason);
  const plain = keys.length === (reason.agency === undefined ? 2 : 3);
  if (plain && code === reason.code && message === reason.message) return reason;
  // Only the schema's properties: a custom adapter's extra ones would break additionalProperties.
  return { ...(reason.agency !== undefined ? { agency: reason.agency } : {}), code, message } as R;
}

/**
 * At most `limits.maxItems` reasons of at most `limits.maxLength` code points each. When there
 * are more, the last one kept says how many more there were and lists them as far as it can:
 * `and 5 more reasons: CODE: message; …`. Its code (and agency) are those the left-out reasons
 * share, or `MORE_REASONS`. A list already within the limits comes back as it is (same array).
 */
export function boundedReasons<R extends BoundedReason>(
  list: readonly R[],
  limits: ListLimits = DECISION_REASONS,
): R[] {
  const bounded = list.map((r) => boundedReason(r, limits.maxLength));
  if (bounded.length <= limits.maxItems) {
    return bounded.every((r, i) => r === list[i]) ? (list as R[]) : bounded;
  }
  const kept = bounded.slice(0, Math.max(0, limits.maxItems - 1));
  const rest = bounded.slice(kept.length);
  const codes = new Set(rest.map((r) => r.code));
  const agencies = new Set(rest.map((r) => r.agency));
  const agency = agencies.size === 1 ? [...agencies][0] : undefined;
  const summary = {
    ...(agency !== undefined ? { agency } : {}),
    code: codes.size === 1 ? rest[0]!.code : 'MORE_REASONS',
    message: joinClipped(
      rest.map((r) => `${r.code}: ${r.message}`),
      '; ',
      limits.maxLength - `and ${rest.length} more reasons: `.length,
    ),
  };
  summary.message = `and ${rest.length} more reasons: ${summary.message}`;
  return [...kept, summary as R];
}

/**
 * At most `limits.maxItems` non-empty conditions of at most `limits.maxLength` code points; the
 * overflow is merged into a last `and N more conditions: …`. Already within limits: same array.
 */
export function boundedConditions(list: readonly string[], limits: ListLimits = CONDITIONS): string[] {
  const bounded = list
    .filter((c) => typeof c === 'string' && c.length > 0)
    .map((c) => clip(c, limits.maxLength));
  if (bounded.length <= limits.maxItems) {
    return bounded.length === list.length && bounded.every((c, i) => c === list[i])
      ? (list as string[])
      : bounded;
  }
  const kept = bounded.slice(0, Math.max(0, limits.maxItems - 1));
  const rest = bounded.slice(kept.length);
  const head = `and ${rest.length} more conditions: `;
  return [...kept, head + joinClipped(rest, '; ', limits.maxLength - head.length)];
}

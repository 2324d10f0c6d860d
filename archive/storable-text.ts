/**
 * PostgreSQL refuses two things a JSON string may hold: U+0000, in `text` and in `jsonb`
 * ("invalid byte sequence", "unsupported Unicode escape sequence"), and a lone UTF-16 surrogate
 * in `jsonb`. Status events can carry both, quoted from a trader's input in a rejection's
 * messages. The archive stores such strings with U+FFFD in their place, as a UTF-8 decoder does
 * with bytes it cannot read; the exact bytes of each event are kept beside them (`raw`).
 */
// eslint-disable-next-line no-control-regex -- U+0000 is exactly what must be found
const UNSTORABLE = /\u0000|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const REPLACEMENT = '\uFFFD';

export function storableText(text: string): string {
  return text.replace(UNSTORABLE, REPLACEMENT);
}

/** A copy of a JSON value whose every string (keys included) PostgreSQL can store. */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return storableText(value) as T;
  if (Array.isArray(value)) return value.map(storableJson) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [storableText(key), storableJson(inner)]),
    ) as T;
  }
  return value;
}

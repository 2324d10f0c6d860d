// Stored inputs (a dead letter's original bytes) are shown to operators as JSON when they are
// JSON. They are anyone's bytes, so this is the one place that decides whether they can be: V8's
// JSON.parse reads any depth, but JSON.stringify, util.inspect and every recursive walk overflow
// the stack a few thousand levels down (RangeError: Maximum call stack size exceeded). The depth
// is measured on the text, without recursion, before anything walks the parsed value.

/** The deepest nesting shown as JSON; deeper values are shown as their text. */
export const MAX_SHOWN_JSON_DEPTH = 1000;

export type StoredJson =
  /** JSON that can be pretty-printed and re-serialized as it is. */
  | { kind: 'json'; json: unknown }
  /** JSON that must be shown as its text; `note` says why, for the operator. */
  | { kind: 'text'; note: string }
  | { kind: 'not-json' };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const COMMA = 0x2c;

/**
 * Calls `visit` for every bracket and comma outside strings, with the nesting depth after it, in
 * one pass without recursion; `visit` returns true to stop. The one scanner of JSON text here.
 */
function walkStructure(
  text: string,
  from: number,
  visit: (c: number, i: number, depth: number) => boolean,
): void {
  let depth = 0;
  let inString = false;
  for (let i = from; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (
      c === OPEN_ARRAY ||
      c === OPEN_OBJECT ||
      c === CLOSE_ARRAY ||
      c === CLOSE_OBJECT ||
      c === COMMA
    ) {
      if (c === OPEN_ARRAY || c === OPEN_OBJECT) depth++;
      else if (c !== COMMA) depth--;
      if (visit(c, i, depth)) return;
    }
  }
}

/**
 * The deepest nesting of arrays and objects in a JSON text (0 for a scalar); brackets inside
 * strings do not count. Returns as soon as the depth passes `stopAbove`. On text that is not JSON
 * the count means little, but it is still finite and cheap.
 */
export function jsonDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  let max = 0;
  walkStructure(text, 0, (_c, _i, depth) => {
    max = Math.max(max, depth);
    return max > stopAbove;
  });
  return max;
}

/** Why a value that is JSON is shown as text; `dlq show` prints it next to the value. */
export const SHOWN_AS_TEXT = {
  deep: `value shown as text: JSON nested deeper than ${MAX_SHOWN_JSON_DEPTH} levels`,
  nonFinite:
    'value shown as text: it holds a number too large to represent (such as 1e309), which JSON output would print as null',
} as const;

/**
 * Stored text, read for display. A value is shown as JSON only when printing it is safe and
 * faithful: nested at most MAX_SHOWN_JSON_DEPTH levels, and with no number that JSON.parse turned
 * into ±Infinity (JSON.stringify would print it as null, which is not what was sent).
 */
export function readStoredJson(text: string): StoredJson {
  const deep = jsonDepth(text, MAX_SHOWN_JSON_DEPTH) > MAX_SHOWN_JSON_DEPTH;
  let nonFinite = false;
  let json: unknown;
  try {
    // The reviver walks the value, so it only runs on values known to be shallow enough.
    json = deep
      ? JSON.parse(text)
      : JSON.parse(text, (_key, value: unknown) => {
          if (typeof value === 'number' && !Number.isFinite(value)) nonFinite = true;
          return value;
        });
  } catch (error) {
    // A SyntaxError means it is not JSON. Anything else (an engine limit on a huge deep value)
    // still leaves text worth showing, with the reason.
    if (deep && !(error instanceof SyntaxError)) return { kind: 'text', note: SHOWN_AS_TEXT.deep };
    return { kind: 'not-json' };
  }
  if (deep) return { kind: 'text', note: SHOWN_AS_TEXT.deep };
  if (nonFinite) return { kind: 'text', note: SHOWN_AS_TEXT.nonFinite };
  return { kind: 'json', json };
}

/**
 * The texts of a JSON array's elements, exactly as written (less surrounding whitespace), or
 * undefined when the text is not an array. Expects text that JSON.parse accepts.
 */
export function arrayElementTexts(text: string): string[] | undefined {
  const start = text.search(/\S/);
  if (start < 0 || text.charCodeAt(start) !== OPEN_ARRAY) return undefined;
  const elements: string[] = [];
  let from = start + 1;
  let closed = false;
  walkStructure(text, start, (c, i, depth) => {
    if (c === COMMA && depth === 1) {
      elements.push(text.slice(from, i).trim());
      from = i + 1;
    } else if ((c === CLOSE_ARRAY || c === CLOSE_OBJECT) && depth === 0) {
      const last = text.slice(from, i).trim();
      if (last !== '' || elements.length > 0) elements.push(last);
      closed = true;
    }
    return closed;
  });
  return closed ? elements : undefined;
}

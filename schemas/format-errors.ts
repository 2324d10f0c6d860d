// Turns ajv errors into messages a trader can act on. They travel back in status events and
// dead-letter records, so paths use JS notation and every line names the field it is about.
import type { ErrorObject } from 'ajv';
import { PATTERNS } from './common.schema.js';
import type { FieldError } from './types.js';

export const MAX_FIELD_ERRORS = 50;
const ROOT = '(root)';
const MAX_SHOWN_VALUE = 40;
const MAX_SHOWN_KEY = 64;

const PATTERN_WORDING: Record<string, string> = {
  [PATTERNS.hsCode]: 'must be 6–10 digits',
  [PATTERNS.id]: 'must be 8–64 letters, digits, "_" or "-", starting with a letter or digit',
  [PATTERNS.taxId]: 'must be an RFC of 12–13 characters: 3–4 letters, 6 digits (date), 3 letters or digits',
  [PATTERNS.country]: 'must be an ISO 3166-1 alpha-2 country code such as "MX"',
  [PATTERNS.currency]: 'must be an ISO 4217 currency code such as "USD"',
  [PATTERNS.agency]: 'must be an agency code in capitals such as "HEALTH"',
  [PATTERNS.reasonCode]: 'must be a code in capitals such as "MISSING_DOCUMENT"',
  [PATTERNS.digits]: 'must be a string of digits',
};

const FORMAT_WORDING: Record<string, string> = {
  'date-time': 'must be an RFC 3339 date-time such as "2025-03-14T09:30:00Z"',
};

const COMPARISON: Record<string, string> = {
  '>=': 'must be at least',
  '>': 'must be greater than',
  '<=': 'must be at most',
  '<': 'must be less than',
};

// Length errors on a patterned field only repeat what the pattern message already says.
const REDUNDANT_WITH_PATTERN = new Set(['minLength', 'maxLength']);

/**
 * Readable, deduplicated field errors, at most MAX_FIELD_ERRORS of them.
 * Expects errors from an Ajv instance built with `verbose: true` (it shows offending values).
 */
export function formatErrors(errors: readonly ErrorObject[] | null | undefined): FieldError[] {
  const formatted = collapseAnyOf(errors ?? []).flatMap(describe);
  const patterned = new Set(formatted.filter((f) => f.keyword === 'pattern').map((f) => f.path));
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const { path, message, keyword } of formatted) {
    if (REDUNDANT_WITH_PATTERN.has(keyword) && patterned.has(path)) continue;
    const line = `${path}: ${message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    out.push({ path, message });
  }
  if (out.length <= MAX_FIELD_ERRORS) return out;
  const shown = out.slice(0, MAX_FIELD_ERRORS - 1);
  shown.push({ path: ROOT, message: `${out.length - shown.length} more problems not shown` });
  return shown;
}

/** `path: message` lines, for logs and status-event reasons. */
export function errorLines(errors: readonly FieldError[]): string[] {
  return errors.map((e) => `${e.path}: ${e.message}`);
}

/** JSON pointer (`/items/3/hsCode`) to JS notation (`items[3].hsCode`). */
export function toJsPath(instancePath: string): string {
  if (instancePath === '') return ROOT;
  const segments = instancePath
    .slice(1)
    .split('/')
    .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
  return segments.reduce(appendKey, ROOT);
}

function appendKey(path: string, key: string): string {
  if (/^(0|[1-9][0-9]*)$/.test(key)) return `${path}[${key}]`;
  const base = path === ROOT ? '' : path;
  if (/^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) && key.length <= MAX_SHOWN_KEY) {
    return base === '' ? key : `${base}.${key}`;
  }
  return `${base}[${JSON.stringify(truncate(key, MAX_SHOWN_KEY))}]`;
}

type Described = FieldError & { keyword: string };

/**
 * An anyOf failure arrives as one error per branch plus a vague "must match a schema in anyOf".
 * When the branches are all "missing X" or all "wrong type", say it once; otherwise keep the
 * branch errors, which are more useful than the summary.
 */
function collapseAnyOf(errors: readonly ErrorObject[]): ErrorObject[] {
  const dropped = new Set<ErrorObject>();
  const replaced = new Map<ErrorObject, ErrorObject>();
  for (const e of errors) {
    if (e.keyword !== 'anyOf') continue;
    const branches = errors.filter(
      (b) => b.schemaPath.startsWith(`${e.schemaPath}/`) && b.instancePath === e.instancePath,
    );
    const keywords = new Set(branches.map((b) => b.keyword));
    if (branches.length > 0 && keywords.size === 1 && (keywords.has('required') || keywords.has('type'))) {
      branches.forEach((b) => dropped.add(b));
      const listed = branches.map((b) => String(b.params.missingProperty ?? b.params.type));
      replaced.set(e, {
        ...e,
        keyword: keywords.has('required') ? 'requiredAnyOf' : 'type',
        params: { listed },
      });
    } else {
      dropped.add(e);
    }
  }
  return errors.filter((e) => !dropped.has(e)).map((e) => replaced.get(e) ?? e);
}

function describe(e: ErrorObject): Described[] {
  const path = toJsPath(e.instancePath);
  const p = e.params as Record<string, unknown>;
  const at = (message: string, where = path): Described[] => [{ path: where, message, keyword: e.keyword }];
  const got = gotSuffix(e.data);

  // Inside propertyNames, ajv reports the object's path and names the bad key separately.
  if (e.propertyName !== undefined) {
    const inner = describe({ ...e, propertyName: undefined })[0]?.message ?? 'is invalid';
    return at(`key ${inner}`, appendKey(path, e.propertyName));
  }
  switch (e.keyword) {
    case 'required':
      return at('is required', appendKey(path, String(p.missingProperty)));
    case 'requiredAnyOf':
      return at(`must include at least one of: ${(p.listed as string[]).join(', ')}`);
    case 'additionalProperties':
      return at('is not allowed here', appendKey(path, String(p.additionalProperty)));
    case 'propertyNames':
      return []; // the error for the offending key itself has already been reported
    case 'type': {
      const types = Array.isArray(p.listed) ? (p.listed as string[]) : String(p.type).split(',');
      if (isNonFiniteNumber(e.data) && types.some((t) => t === 'number' || t === 'integer'))
        return at(nonFiniteMessage(types, e.data));
      return at(`must be ${types.map(withArticle).join(' or ')}, got ${valueKind(e.data)}`);
    }
    case 'enum':
      return at(
        `must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}${got}`,
      );
    case 'const':
      return at(`must be ${JSON.stringify(p.allowedValue)}${got}`);
    case 'pattern':
      return at(`${PATTERN_WORDING[String(p.pattern)] ?? `must match ${String(p.pattern)}`}${got}`);
    case 'format':
      return at(`${FORMAT_WORDING[String(p.format)] ?? `must be a valid ${String(p.format)}`}${got}`);
    case 'minLength':
      return at(p.limit === 1 ? 'must not be empty' : `must be at least ${String(p.limit)} characters`);
    case 'maxLength':
      return at(`must be at most ${String(p.limit)} characters, got ${[...String(e.data)].length}`);
    case 'minItems':
      return at(`must have at least ${entries(p.limit)}`);
    case 'maxItems':
      return at(`must have at most ${entries(p.limit)}, got ${Array.isArray(e.data) ? e.data.length : '?'}`);
    case 'minProperties':
      return at(`must have at least ${entries(p.limit)}`);
    case 'maxProperties':
      return at(`must have at most ${entries(p.limit)}`);
    case 'uniqueItems':
      return at(`must not repeat entries (entries ${String(p.j)} and ${String(p.i)} are the same)`);
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return at(`${COMPARISON[String(p.comparison)] ?? 'must be'} ${String(p.limit)}${got}`);
    case 'discriminator':
      return describeDiscriminator(e, path);
    default:
      return at(`${e.message ?? 'is invalid'}${got}`);
  }
}

/** Names the allowed tag values, read from the oneOf branches, instead of "must be in oneOf". */
function describeDiscriminator(e: ErrorObject, path: string): Described[] {
  const tag = String(e.params.tag);
  const branches = (e.parentSchema?.oneOf ?? []) as { properties?: Record<string, { const?: unknown }> }[];
  const allowed = branches.map((b) => JSON.stringify(b.properties?.[tag]?.const)).join(', ');
  const value: unknown = e.params.tagValue;
  const message =
    value === undefined
      ? `is required and must be one of ${allowed}`
      : `must be one of ${allowed}${gotSuffix(value)}`;
  return [{ path: appendKey(path, tag), message, keyword: e.keyword }];
}

function isNonFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && !Number.isFinite(value);
}

/**
 * JSON has no Infinity, but JSON.parse reads a literal beyond ±1.8e308 (1e309) as ±Infinity, and
 * ajv then reports "must be number" of a value whose typeof is number. Say what is wrong instead.
 */
function nonFiniteMessage(types: readonly string[], value: number): string {
  const wanted = types.map((t) => (t === 'number' || t === 'integer' ? `a finite ${t}` : withArticle(t)));
  const why = Number.isNaN(value)
    ? ''
    : ` (too large to represent, such as ${value > 0 ? '1e309' : '-1e309'})`;
  return `must be ${wanted.join(' or ')}, got ${String(value)}${why}`;
}

function gotSuffix(value: unknown): string {
  if (typeof value === 'string')
    return value.length <= MAX_SHOWN_VALUE ? `, got ${JSON.stringify(value)}` : '';
  if (typeof value === 'number' || typeof value === 'boolean' || value === null)
    return `, got ${String(value)}`;
  return '';
}

function valueKind(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  const shown = gotSuffix(value).replace(/^, got /, '');
  return shown === '' ? withArticle(typeof value) : `${withArticle(typeof value)} (${shown})`;
}

function withArticle(type: string): string {
  if (type === 'null') return 'null';
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function entries(n: unknown): string {
  return n === 1 ? '1 entry' : `${String(n)} entries`;
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

// The agency registry: agencies, routing rules, embargo list and risk selection, as data
// (design.md §6). Adding an agency is an entry here plus, if its checks are new, an adapter.
import { agencyCode, countryCode, deadlinePolicy, documentType, regime } from './common.schema.js';

/** Durations in the form Temporal timers accept: `90s`, `15m`, `72h`, `10d`. */
export const durationPattern = '^[0-9]{1,7}(ms|s|m|h|d)$';
const duration = { type: 'string', maxLength: 12, pattern: durationPattern } as const;
const chapterRange = { type: 'string', maxLength: 5, pattern: '^[0-9]{2}(-[0-9]{2})?$' } as const;
const chapterRanges = { type: 'array', minItems: 1, maxItems: 100, items: chapterRange } as const;

export const AGENCY_MODES = ['auto', 'queue'] as const;

export const agencyEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['code', 'name', 'mode', 'adapter', 'deadline', 'deadlinePolicy'],
  properties: {
    code: agencyCode,
    name: { type: 'string', minLength: 1, maxLength: 128 },
    mode: { type: 'string', enum: AGENCY_MODES },
    /** Which adapter decides in `auto` mode, e.g. `documents`, `customs`, `economy`. */
    adapter: { type: 'string', maxLength: 32, pattern: '^[a-z][a-z0-9-]{1,31}$' },
    deadline: duration,
    deadlinePolicy,
  },
} as const;

export const routingRule = {
  type: 'object',
  additionalProperties: false,
  required: ['agency', 'requires'],
  properties: {
    agency: agencyCode,
    /** Every declaration goes to this agency with all its items. */
    always: { type: 'boolean' },
    /** The rule applies only to these regimes (all when absent). */
    regimes: { type: 'array', minItems: 1, maxItems: 3, uniqueItems: true, items: regime },
    /** HS chapters (first two digits), single (`30`) or ranges (`01-14`). */
    chapters: chapterRanges,
    /** HS code prefixes, e.g. an export quota table. */
    hsPrefixes: {
      type: 'array',
      minItems: 1,
      maxItems: 1000,
      items: { type: 'string', maxLength: 10, pattern: '^[0-9]{2,10}$' },
    },
    /** Items whose origin is on the embargo list. */
    embargoedOrigin: { type: 'boolean' },
    requires: {
      type: 'array',
      maxItems: 20,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['document'],
        properties: { document: documentType, chapters: chapterRanges },
      },
    },
  },
} as const;

export const registrySchema = {
  $id: 'urn:ventanilla:schema:registry',
  type: 'object',
  additionalProperties: false,
  required: ['version', 'agencies', 'routing', 'embargo', 'inspection'],
  properties: {
    $schema: { type: 'string', maxLength: 256 },
    version: { type: 'string', minLength: 1, maxLength: 64 },
    agencies: { type: 'array', minItems: 1, maxItems: 32, items: agencyEntry },
    routing: { type: 'array', minItems: 1, maxItems: 500, items: routingRule },
    embargo: {
      type: 'object',
      additionalProperties: false,
      required: ['countries'],
      properties: { countries: { type: 'array', maxItems: 250, uniqueItems: true, items: countryCode } },
    },
    inspection: {
      type: 'object',
      additionalProperties: false,
      required: ['agency', 'share', 'delay'],
      properties: {
        agency: agencyCode,
        /** Share of declarations selected for physical inspection, 0..1. */
        share: { type: 'number', minimum: 0, maximum: 1 },
        /** How long an inspection holds the agency's approval. */
        delay: duration,
      },
    },
  },
} as const;

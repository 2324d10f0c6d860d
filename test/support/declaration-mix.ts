import { randomBytes } from 'node:crypto';
import type {
  DeadLetterReason,
  Declaration,
  DocumentType,
  Item,
  OverallStatus,
  Regime,
} from '../../schemas/types.js';

// A reproducible stream of trader messages for end-to-end tests: every routing combination of the
// baseline table, valid and invalid inputs, exact and conflicting duplicates, amendments and
// withdrawals. Expectations are written out by hand here, independently of the routing code.

type Category = 'machinery' | 'fruit' | 'fish' | 'medicine' | 'steel' | 'sugar';

interface CategorySpec {
  hsCode: string;
  regimes: readonly Regime[];
  agencies: (regime: Regime) => string[];
  documents: (regime: Regime) => DocumentType[];
}

const CATEGORIES: Record<Category, CategorySpec> = {
  machinery: {
    hsCode: '84713001',
    regimes: ['IMPORT', 'EXPORT', 'TRANSIT'],
    agencies: () => [],
    documents: () => [],
  },
  fruit: {
    hsCode: '08044000',
    regimes: ['IMPORT', 'EXPORT', 'TRANSIT'],
    agencies: () => ['AGRICULTURE'],
    documents: () => ['PHYTOSANITARY_CERTIFICATE'],
  },
  fish: {
    hsCode: '03038900',
    regimes: ['IMPORT', 'EXPORT', 'TRANSIT'],
    agencies: () => ['AGRICULTURE', 'HEALTH'],
    documents: () => ['ZOOSANITARY_CERTIFICATE', 'SANITARY_PERMIT'],
  },
  medicine: {
    hsCode: '30049099',
    regimes: ['IMPORT', 'EXPORT', 'TRANSIT'],
    agencies: () => ['HEALTH'],
    documents: () => ['SANITARY_PERMIT'],
  },
  // ECONOMY reviews steel imports only; exported or in transit it is customs' business alone.
  steel: {
    hsCode: '7208510300',
    regimes: ['IMPORT', 'EXPORT', 'TRANSIT'],
    agencies: (r) => (r === 'IMPORT' ? ['ECONOMY'] : []),
    documents: (r) => (r === 'IMPORT' ? ['IMPORT_PERMIT'] : []),
  },
  // Sugar is chapter 17 (HEALTH) and on the export quota table (ECONOMY, EXPORT only).
  sugar: {
    hsCode: '17011400',
    regimes: ['IMPORT', 'EXPORT', 'TRANSIT'],
    agencies: (r) => (r === 'EXPORT' ? ['HEALTH', 'ECONOMY'] : ['HEALTH']),
    documents: (r) => (r === 'EXPORT' ? ['SANITARY_PERMIT', 'EXPORT_PERMIT'] : ['SANITARY_PERMIT']),
  },
};

const CATEGORY_NAMES = Object.keys(CATEGORIES) as Category[];
const REGIMES: Regime[] = ['IMPORT', 'EXPORT', 'TRANSIT'];
type Scenario = 'clear' | 'embargo' | 'amend' | 'withdraw' | 'missing';
const INVALID_KINDS = [
  'not-json',
  'bad-hs',
  'unknown-kind',
  'missing-field',
  'too-large',
  'bad-utf8',
  'amend-unknown',
] as const;
type InvalidKind = (typeof INVALID_KINDS)[number];

export const EXPECTED_DLQ_REASON: Record<InvalidKind, DeadLetterReason> = {
  'not-json': 'INVALID_JSON',
  'bad-hs': 'SCHEMA_VIOLATION',
  'unknown-kind': 'UNKNOWN_KIND',
  'missing-field': 'SCHEMA_VIOLATION',
  'too-large': 'TOO_LARGE',
  'bad-utf8': 'INVALID_ENCODING',
  'amend-unknown': 'NO_OPEN_DECLARATION',
};

export interface MixRecord {
  key: string | null;
  value: Buffer;
  /** What must become of it. */
  expect:
    | { kind: 'declaration'; declarationId: string }
    | { kind: 'exact-duplicate'; declarationId: string }
    | { kind: 'conflict'; declarationId: string }
    | { kind: 'amendment'; declarationId: string; amendmentId: string }
    | { kind: 'withdrawal'; declarationId: string }
    | { kind: 'invalid'; reason: DeadLetterReason; declarationId?: string };
}

export interface ExpectedClearance {
  declarationId: string;
  status: OverallStatus;
  agencies: string[];
}

export interface DeclarationMix {
  records: MixRecord[];
  clearances: Map<string, ExpectedClearance>;
  invalidCount: number;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));

function item(lineNo: number, category: Category, originCountry: string): Item {
  return {
    lineNo,
    hsCode: CATEGORIES[category].hsCode,
    description: `${category} line ${lineNo}`,
    originCountry,
    quantity: 100 + lineNo,
    unit: 'kg',
    value: { amount: 1000 * lineNo, currency: 'USD' },
  };
}

/** Builds `count` valid declarations (each with its follow-ups) plus invalid inputs and duplicates. */
export function declarationMix(count: number, runId = randomBytes(3).toString('hex')): DeclarationMix {
  const records: MixRecord[] = [];
  const clearances = new Map<string, ExpectedClearance>();
  const declarations: Declaration[] = [];
  const scenarios: Scenario[] = [
    'clear',
    'clear',
    'clear',
    'embargo',
    'amend',
    'amend',
    'withdraw',
    'missing',
  ];
  for (let i = 0; i < count; i++) {
    const regime = REGIMES[i % REGIMES.length]!;
    // Walk through every subset of categories (with machinery as the plain case) across the run.
    const mask = (Math.floor(i / REGIMES.length) % (2 ** CATEGORY_NAMES.length - 1)) + 1;
    const categories = CATEGORY_NAMES.filter((_, bit) => mask & (1 << bit));
    const scenario = scenarios[i % scenarios.length]!;
    const declarationId = `MIX-${runId}-${String(i).padStart(4, '0')}`;
    const items = categories.map((c, n) => item(n + 1, c, scenario === 'embargo' && n === 0 ? 'KP' : 'US'));
    const agencies = new Set(['CUSTOMS', ...categories.flatMap((c) => CATEGORIES[c].agencies(regime))]);
    if (scenario === 'embargo') agencies.add('ECONOMY');
    const required = new Set<DocumentType>([
      'INVOICE',
      ...categories.flatMap((c) => CATEGORIES[c].documents(regime)),
    ]);
    const allDocuments = [...required].map((type, n) => ({ type, reference: `${type}-${i}-${n}` }));
    const missingOne = scenario === 'amend' || scenario === 'withdraw' || scenario === 'missing';
    const declaration: Declaration = {
      kind: 'declaration',
      declarationId,
      trader: { taxId: 'MIX010101AB1', name: `Trader ${i % 7}` },
      regime,
      customsOffice: String(100 + (i % 50)),
      items,
      // Leaving out the invoice makes CUSTOMS ask, whatever else the declaration needs.
      documents: missingOne ? allDocuments.filter((d) => d.type !== 'INVOICE') : allDocuments,
    };
    declarations.push(declaration);
    records.push({
      key: declarationId,
      value: json(declaration),
      expect: { kind: 'declaration', declarationId },
    });
    if (scenario === 'amend') {
      const amendmentId = `${declarationId}-A1`;
      records.push({
        key: declarationId,
        value: json({ kind: 'amendment', declarationId, amendmentId, documents: allDocuments }),
        expect: { kind: 'amendment', declarationId, amendmentId },
      });
    }
    if (scenario === 'withdraw') {
      records.push({
        key: declarationId,
        value: json({ kind: 'withdrawal', declarationId, reason: 'shipment cancelled' }),
        expect: { kind: 'withdrawal', declarationId },
      });
    }
    const status: Record<Scenario, OverallStatus> = {
      clear: 'CLEARED',
      embargo: 'REJECTED',
      amend: 'CLEARED',
      withdraw: 'WITHDRAWN',
      missing: 'AWAITING_TRADER',
    };
    clearances.set(declarationId, {
      declarationId,
      status: status[scenario],
      agencies: [...agencies].sort(),
    });
  }
  // About 10% exact duplicates (the same bytes again, as a redelivering producer would send).
  for (let i = 0; i < Math.ceil(count / 10); i++) {
    const original = declarations[(i * 7) % declarations.length]!;
    records.push({
      key: original.declarationId,
      value: json(original),
      expect: { kind: 'exact-duplicate', declarationId: original.declarationId },
    });
  }
  // A few conflicting duplicates: same ID, different content.
  for (let i = 0; i < 5; i++) {
    const original = declarations[(i * 11 + 3) % declarations.length]!;
    const changed = { ...original, customsOffice: `X${i}` };
    records.push({
      key: original.declarationId,
      value: json(changed),
      expect: { kind: 'conflict', declarationId: original.declarationId },
    });
  }
  // About 10% invalid inputs of every kind.
  const invalidCount = Math.ceil(count / 10);
  for (let i = 0; i < invalidCount; i++) {
    const kind = INVALID_KINDS[i % INVALID_KINDS.length]!;
    records.push(invalidRecord(kind, `BAD-${runId}-${String(i).padStart(4, '0')}`));
  }
  return { records: interleave(records), clearances, invalidCount };
}

function invalidRecord(kind: InvalidKind, declarationId: string): MixRecord {
  const reason = EXPECTED_DLQ_REASON[kind];
  const base = {
    kind: 'declaration',
    declarationId,
    trader: { taxId: 'MIX010101AB1', name: 'Bad Trader' },
    regime: 'IMPORT',
    customsOffice: '100',
    items: [item(1, 'machinery', 'US')],
    documents: [{ type: 'INVOICE', reference: 'INV' }],
  };
  switch (kind) {
    case 'not-json':
      return {
        key: declarationId,
        value: Buffer.from(`{"kind":"declaration","declarationId":"${declarationId}"`),
        expect: { kind: 'invalid', reason },
      };
    case 'bad-hs':
      return {
        key: declarationId,
        value: json({ ...base, items: [{ ...base.items[0], hsCode: '0804.40' }] }),
        expect: { kind: 'invalid', reason, declarationId },
      };
    case 'unknown-kind':
      return {
        key: declarationId,
        value: json({ ...base, kind: 'declaracion' }),
        expect: { kind: 'invalid', reason, declarationId },
      };
    case 'missing-field': {
      const { trader: _trader, ...rest } = base;
      return { key: declarationId, value: json(rest), expect: { kind: 'invalid', reason, declarationId } };
    }
    case 'too-large':
      return {
        key: null,
        value: json({ ...base, padding: 'x'.repeat(1024 * 1024 + 10) }),
        expect: { kind: 'invalid', reason },
      };
    case 'bad-utf8':
      return {
        key: null,
        value: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
        expect: { kind: 'invalid', reason },
      };
    case 'amend-unknown':
      return {
        key: declarationId,
        value: json({ kind: 'amendment', declarationId, amendmentId: `${declarationId}-A`, documents: [] }),
        expect: { kind: 'invalid', reason, declarationId },
      };
  }
}

/**
 * Spreads the records out while keeping each key's records in their original order, the only
 * order Kafka (and the contract) promises.
 */
function interleave(records: MixRecord[]): MixRecord[] {
  const queues = new Map<string, MixRecord[]>();
  records.forEach((record, i) => {
    const key = record.key ?? `null-${i}`;
    queues.set(key, [...(queues.get(key) ?? []), record]);
  });
  const out: MixRecord[] = [];
  const lanes = [...queues.values()];
  let round = 0;
  while (out.length < records.length) {
    for (let i = 0; i < lanes.length; i++) {
      const lane = lanes[(i * 31 + round) % lanes.length]!;
      const next = lane.shift();
      if (next) out.push(next);
    }
    round++;
  }
  return out;
}

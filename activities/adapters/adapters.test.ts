import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_TYPES } from '../../schemas/common.schema.js';
import { sampleAgencyDecision, sampleReviewRequest } from '../../test/support/fixtures.js';
import type { DocumentRef, DocumentType, Item, Outcome, Reason } from '../../schemas/types.js';
import { check, validateAgencyDecision } from '../../schemas/validators.js';
import type { ReviewDraft } from '../../domain/agency-view.js';
import type { ReviewInput } from './adapter.js';
import { customsAdapter, riskScore } from './customs.adapter.js';
import { checkRequiredDocuments, documentsAdapter } from './documents.adapter.js';
import { economyAdapter } from './economy.adapter.js';
import { BUILT_IN_ADAPTERS } from './index.js';

const context = { riskKey: 'test-risk-key' };

function item(lineNo: number, originCountry = 'US'): Item {
  return {
    lineNo,
    hsCode: '52010000',
    description: `cotton ${lineNo}`,
    originCountry,
    quantity: 1,
    unit: 'kg',
    value: { amount: 1, currency: 'USD' },
  };
}

function draft(overrides: Partial<ReviewDraft> = {}): ReviewDraft {
  const { at: _at, deadline: _deadline, ...request } = sampleReviewRequest();
  return { ...request, ...overrides };
}

const docs = (...types: DocumentType[]): DocumentRef[] =>
  types.map((type) => ({ type, reference: `${type}-REF` }));

function input(request: ReviewDraft, extra: Partial<ReviewInput> = {}): ReviewInput {
  return { request, adapter: 'documents', embargo: ['KP'], ...extra };
}

describe('documents adapter', () => {
  it('approves when every required document is present', () => {
    const request = draft({
      agency: 'HEALTH',
      requiredDocuments: ['SANITARY_PERMIT'],
      documents: docs('SANITARY_PERMIT'),
    });
    expect(documentsAdapter(input(request), context)).toEqual({ outcome: 'APPROVED', reasons: [] });
  });

  it('approves when the agency requires nothing', () => {
    expect(documentsAdapter(input(draft({ requiredDocuments: [], documents: [] })), context)).toEqual({
      outcome: 'APPROVED',
      reasons: [],
    });
  });

  it('asks for information naming each missing document, the agency and the items', () => {
    const request = draft({
      agency: 'AGRICULTURE',
      items: [item(3), item(7)],
      requiredDocuments: ['PHYTOSANITARY_CERTIFICATE', 'ZOOSANITARY_CERTIFICATE'],
      documents: docs('OTHER'),
    });
    const decision = documentsAdapter(input(request), context);
    expect(decision.outcome).toBe('REQUEST_INFO');
    expect(decision.reasons.map((r) => r.code)).toEqual(['MISSING_DOCUMENT', 'MISSING_DOCUMENT']);
    expect(decision.reasons[0]?.message).toBe(
      'AGRICULTURE requires document PHYTOSANITARY_CERTIFICATE for 2 items (lines 3, 7); amend the declaration to add it',
    );
    expect(decision.reasons[1]?.message).toContain('ZOOSANITARY_CERTIFICATE');
    expect(decision.inspection).toBeUndefined();
  });

  it('names only the documents that are missing', () => {
    const request = draft({
      requiredDocuments: ['PHYTOSANITARY_CERTIFICATE', 'ZOOSANITARY_CERTIFICATE'],
      documents: docs('ZOOSANITARY_CERTIFICATE'),
    });
    const decision = checkRequiredDocuments(request);
    expect(decision.outcome).toBe('REQUEST_INFO');
    expect(decision.reasons).toHaveLength(1);
    expect(decision.reasons[0]?.message).toContain('PHYTOSANITARY_CERTIFICATE');
    expect(decision.reasons[0]?.message).not.toContain('ZOOSANITARY_CERTIFICATE');
  });
});

describe('economy adapter', () => {
  const permitted = (items: Item[], extra: Partial<ReviewInput> = {}) =>
    input(
      draft({
        agency: 'ECONOMY',
        items,
        requiredDocuments: ['IMPORT_PERMIT'],
        documents: docs('IMPORT_PERMIT'),
      }),
      { adapter: 'economy', ...extra },
    );

  it('rejects ORIGIN_EMBARGOED naming the embargoed items, even with every permit present', () => {
    const decision = economyAdapter(permitted([item(1, 'US'), item(2, 'KP'), item(5, 'KP')]), context);
    expect(decision).toEqual({
      outcome: 'REJECTED',
      reasons: [
        { code: 'ORIGIN_EMBARGOED', message: '2 items originate in KP, which is under embargo: lines 2, 5' },
      ],
    });
    expect(economyAdapter(permitted([item(1, 'US'), item(2, 'KP')]), context).reasons).toEqual([
      { code: 'ORIGIN_EMBARGOED', message: 'item 2 originates in KP, which is under embargo' },
    ]);
  });

  it('names a single item needing a document as "item N"', () => {
    const request = draft({
      agency: 'HEALTH',
      items: [item(4)],
      requiredDocuments: ['SANITARY_PERMIT'],
      documents: [],
    });
    expect(documentsAdapter(input(request), context).reasons).toEqual([
      {
        code: 'MISSING_DOCUMENT',
        message: 'HEALTH requires document SANITARY_PERMIT for item 4; amend the declaration to add it',
      },
    ]);
  });

  it('rejects before checking documents', () => {
    const request = draft({
      agency: 'ECONOMY',
      items: [item(1, 'KP')],
      requiredDocuments: ['IMPORT_PERMIT'],
      documents: [],
    });
    expect(economyAdapter(input(request), context).outcome).toBe('REJECTED');
  });

  it('uses the configured embargo list', () => {
    expect(economyAdapter(permitted([item(1, 'KP')], { embargo: ['IR'] }), context).outcome).toBe('APPROVED');
    expect(economyAdapter(permitted([item(1, 'IR')], { embargo: ['IR'] }), context).reasons[0]?.code).toBe(
      'ORIGIN_EMBARGOED',
    );
    expect(economyAdapter(permitted([item(1, 'KP')], { embargo: [] }), context).outcome).toBe('APPROVED');
  });

  it('otherwise checks the documents it requires', () => {
    expect(economyAdapter(permitted([item(1, 'MX')]), context)).toEqual({ outcome: 'APPROVED', reasons: [] });
    const missing = input(
      draft({
        agency: 'ECONOMY',
        items: [item(1, 'MX')],
        requiredDocuments: ['IMPORT_PERMIT'],
        documents: docs('INVOICE'),
      }),
    );
    const decision = economyAdapter(missing, context);
    expect(decision.outcome).toBe('REQUEST_INFO');
    expect(decision.reasons[0]?.message).toContain('IMPORT_PERMIT');
  });
});

describe('customs adapter and risk selection', () => {
  const customs = (declarationId: string, share: number | undefined, documents = docs('INVOICE')) =>
    customsAdapter(
      input(draft({ agency: 'CUSTOMS', declarationId, requiredDocuments: ['INVOICE'], documents }), {
        adapter: 'customs',
        ...(share === undefined ? {} : { inspection: { share, delay: '15s' } }),
      }),
      context,
    );
  // Reproducible "random" declaration ids.
  const ids = (n: number, seed: number) =>
    fc.sample(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{7,40}$/), { numRuns: n, seed });

  it('riskScore is deterministic, in [0, 1), and depends on both the key and the id', () => {
    expect(riskScore('k', 'DEC-00000001')).toBe(riskScore('k', 'DEC-00000001'));
    const sample = ids(500, 1);
    for (const id of sample) {
      const score = riskScore('key-a', id);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThan(1);
    }
    const sameUnderOtherKey = sample.filter((id) => riskScore('key-a', id) === riskScore('key-b', id));
    expect(sameUnderOtherKey).toEqual([]);
    expect(riskScore('key-a', 'DEC-00000001')).not.toBe(riskScore('key-a', 'DEC-00000002'));
  });

  it('never inspects with share 0', () => {
    for (const id of ids(300, 2)) expect(customs(id, 0)).toEqual({ outcome: 'APPROVED', reasons: [] });
  });

  it('always inspects with share 1, still approving, with the inspection delay', () => {
    for (const id of ids(300, 3)) {
      expect(customs(id, 1)).toEqual({
        outcome: 'APPROVED',
        reasons: [
          {
            code: 'INSPECTED',
            message: 'selected for physical inspection by risk analysis; inspection completed',
          },
        ],
        inspection: { delay: '15s' },
      });
    }
  });

  it('never inspects without an inspection setting, and asks for a missing invoice before inspecting', () => {
    expect(customs('DEC-00000001', undefined)).toEqual({ outcome: 'APPROVED', reasons: [] });
    const missing = customs('DEC-00000001', 1, []);
    expect(missing.outcome).toBe('REQUEST_INFO');
    expect(missing.inspection).toBeUndefined();
  });

  it('selects exactly the declarations whose score is below the share', () => {
    for (const id of ids(300, 4)) {
      const inspected = customsAdapter(
        input(draft({ declarationId: id, requiredDocuments: [], documents: [] }), {
          inspection: { share: 0.3, delay: '1m' },
        }),
        context,
      ).inspection;
      expect(inspected !== undefined).toBe(riskScore(context.riskKey, id) < 0.3);
    }
  });

  it('selects 10% ± 3 percentage points of 2000 random declarations at share 0.1', () => {
    const sample = ids(2000, 5);
    const selected = sample.filter((id) => customs(id, 0.1).inspection !== undefined).length;
    expect(selected / sample.length).toBeGreaterThanOrEqual(0.07);
    expect(selected / sample.length).toBeLessThanOrEqual(0.13);
  });
});

describe('BUILT_IN_ADAPTERS', () => {
  it('names the three baseline adapters the registry refers to', () => {
    expect(BUILT_IN_ADAPTERS).toEqual({
      documents: documentsAdapter,
      customs: customsAdapter,
      economy: economyAdapter,
    });
  });
});

describe('adapter decisions stay within the decision schema (issue 10)', () => {
  const valid = (decision: { outcome: Outcome; reasons: Reason[]; conditions?: string[] }) => {
    const message = sampleAgencyDecision({
      agency: 'ECONOMY',
      outcome: decision.outcome,
      reasons: decision.reasons,
      ...(decision.conditions ? { conditions: decision.conditions } : {}),
    });
    return check(validateAgencyDecision, message);
  };
  const lines = (n: number, from = 1) => Array.from({ length: n }, (_, i) => from + i);

  it('21 items from an embargoed origin: one ORIGIN_EMBARGOED reason naming the count and the lines', () => {
    const request = draft({
      agency: 'ECONOMY',
      items: lines(21).map((n) => item(n, 'KP')),
      requiredDocuments: [],
      documents: [],
    });
    const decision = economyAdapter(input(request, { adapter: 'economy' }), context);
    expect(decision.outcome).toBe('REJECTED');
    expect(decision.reasons).toEqual([
      {
        code: 'ORIGIN_EMBARGOED',
        message: '21 items originate in KP, which is under embargo: lines 1-21',
      },
    ]);
    expect(valid(decision)).toEqual(expect.objectContaining({ ok: true }));
  });

  it('one reason per embargoed country, each with its own lines', () => {
    const request = draft({
      agency: 'ECONOMY',
      items: [item(1, 'KP'), item(2, 'US'), item(3, 'IR'), item(4, 'KP'), item(5, 'KP'), item(9, 'KP')],
      requiredDocuments: [],
      documents: [],
    });
    const decision = economyAdapter(input(request, { embargo: ['KP', 'IR'] }), context);
    expect(decision.reasons).toEqual([
      {
        code: 'ORIGIN_EMBARGOED',
        message: '4 items originate in KP, which is under embargo: lines 1, 4, 5, 9',
      },
      { code: 'ORIGIN_EMBARGOED', message: 'item 3 originates in IR, which is under embargo' },
    ]);
  });

  it('999 items from 250 embargoed countries still make at most 20 reasons of at most 500 characters', () => {
    const countries = Array.from({ length: 26 * 26 }, (_, i) =>
      String.fromCharCode(65 + Math.floor(i / 26), 65 + (i % 26)),
    ).slice(0, 250);
    const request = draft({
      agency: 'ECONOMY',
      items: lines(999).map((n) => item(n, countries[n % countries.length]!)),
      requiredDocuments: [],
      documents: [],
    });
    const decision = economyAdapter(input(request, { embargo: countries }), context);
    expect(decision.outcome).toBe('REJECTED');
    expect(decision.reasons).toHaveLength(20);
    expect(decision.reasons.at(-1)?.message).toMatch(/^and 231 more reasons: /);
    expect(valid(decision)).toEqual(expect.objectContaining({ ok: true }));
  });

  it('120 steel lines without IMPORT_PERMIT: one MISSING_DOCUMENT reason, count and a bounded line list', () => {
    // Every other line number, so no range can compress them.
    const steel = lines(120).map((n) => ({ ...item(n * 2 - 1, 'KR'), hsCode: '7208510300' }));
    const request = draft({
      agency: 'ECONOMY',
      items: steel,
      requiredDocuments: ['IMPORT_PERMIT'],
      documents: [],
    });
    const decision = economyAdapter(input(request, { adapter: 'economy' }), context);
    expect(decision.outcome).toBe('REQUEST_INFO');
    expect(decision.reasons).toHaveLength(1);
    const message = decision.reasons[0]!.message;
    expect(message.length).toBeLessThanOrEqual(500);
    expect(message).toMatch(/^ECONOMY requires document IMPORT_PERMIT for 120 items \(lines 1, 3, 5, /);
    expect(message).toMatch(/, and \d+ more\); amend the declaration to add it$/);
    expect(valid(decision)).toEqual(expect.objectContaining({ ok: true }));
  });

  it('120 consecutive steel lines compress into one range', () => {
    const steel = lines(120).map((n) => ({ ...item(n, 'KR'), hsCode: '7208510300' }));
    const request = draft({
      agency: 'ECONOMY',
      items: steel,
      requiredDocuments: ['IMPORT_PERMIT'],
      documents: [],
    });
    expect(documentsAdapter(input(request), context).reasons).toEqual([
      {
        code: 'MISSING_DOCUMENT',
        message:
          'ECONOMY requires document IMPORT_PERMIT for 120 items (lines 1-120); amend the declaration to add it',
      },
    ]);
  });

  it('999 items and every document type missing stay within the schema', () => {
    const request = draft({
      agency: 'A'.repeat(32),
      items: lines(999)
        .filter((n) => n % 3 !== 0)
        .map((n) => item(n)),
      requiredDocuments: [...DOCUMENT_TYPES],
      documents: [],
    });
    const decision = documentsAdapter(input(request), context);
    expect(decision.reasons).toHaveLength(DOCUMENT_TYPES.length);
    expect(valid(decision)).toEqual(expect.objectContaining({ ok: true }));
  });
});

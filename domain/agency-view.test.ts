import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../runtime/registry.js';
import { DOCUMENT_TYPES } from '../schemas/common.schema.js';
import { sampleDeclaration } from '../test/support/fixtures.js';
import type { Declaration, DocumentRef, DocumentType, Item } from '../schemas/types.js';
import { validateAgencyRequest } from '../schemas/validators.js';
import { canonicalJson } from './canonical-json.js';
import { agencyView, sameFingerprint, viewFingerprint } from './agency-view.js';
import { route, type AgencyRoute } from './routing.js';

const registry = loadRegistry({ registryFile: undefined, agencyModes: {} });

function item(lineNo: number, hsCode: string, description: string): Item {
  return {
    lineNo,
    hsCode,
    description,
    originCountry: 'US',
    quantity: 5,
    unit: 'kg',
    value: { amount: 250, currency: 'USD' },
  };
}

/** Meat (02: AGRICULTURE + HEALTH), avocados (08: AGRICULTURE), medicine (30: HEALTH), laptops (84: CUSTOMS only). */
function mixedDeclaration(overrides: Partial<Declaration> = {}): Declaration {
  return sampleDeclaration({
    declarationId: 'DEC-MIXED-0001',
    items: [
      item(1, '02013000', 'Frozen beef'),
      item(2, '08044000', 'Avocados'),
      item(3, '30049099', 'Paracetamol'),
      item(4, '84713000', 'Laptops'),
    ],
    documents: [
      { type: 'INVOICE', reference: 'INV-SECRET-77' },
      { type: 'ZOOSANITARY_CERTIFICATE', reference: 'ZOO-1' },
      { type: 'PHYTOSANITARY_CERTIFICATE', reference: 'PHY-1' },
      { type: 'SANITARY_PERMIT', reference: 'SAN-1' },
      { type: 'CERTIFICATE_OF_ORIGIN', reference: 'COO-1' },
    ],
    signature: 'c2lnbmF0dXJl',
    ...overrides,
  });
}

function routeFor(declaration: Declaration, agency: string): AgencyRoute {
  const found = route(declaration, registry).find((r) => r.agency === agency);
  if (!found) throw new Error(`${agency} is not routed`);
  return found;
}

function viewOf(declaration: Declaration, agency: string, round = 1) {
  return agencyView(declaration, routeFor(declaration, agency), { round, deadlinePolicy: 'AUTO_REJECT' });
}

const fingerprintOf = (declaration: Declaration, agency: string, round = 1) =>
  viewFingerprint(viewOf(declaration, agency, round));

describe('agencyView (data minimisation)', () => {
  it("a HEALTH view holds the header, HEALTH's items and only the SANITARY_PERMIT", () => {
    const declaration = mixedDeclaration();
    const view = viewOf(declaration, 'HEALTH', 2);
    expect(view).toEqual({
      kind: 'review-request',
      declarationId: 'DEC-MIXED-0001',
      agency: 'HEALTH',
      round: 2,
      regime: 'IMPORT',
      customsOffice: declaration.customsOffice,
      trader: declaration.trader,
      items: [declaration.items[0], declaration.items[2]],
      documents: [{ type: 'SANITARY_PERMIT', reference: 'SAN-1' }],
      requiredDocuments: ['SANITARY_PERMIT'],
      deadlinePolicy: 'AUTO_REJECT',
    });
    // Nothing meant for someone else leaks in, not even by value.
    const text = JSON.stringify(view);
    for (const secret of [
      'INV-SECRET-77',
      'Avocados',
      'Laptops',
      'PHY-1',
      'ZOO-1',
      'COO-1',
      'c2lnbmF0dXJl',
      'submittedAt',
    ]) {
      expect(text).not.toContain(secret);
    }
  });

  it('is a valid review request once stamped', () => {
    const view = viewOf(mixedDeclaration(), 'HEALTH');
    const ok = validateAgencyRequest({
      ...view,
      at: '2025-03-14T10:00:00Z',
      deadline: '2025-03-19T10:00:00Z',
    });
    expect(ok, JSON.stringify(validateAgencyRequest.errors)).toBe(true);
  });

  it.each<[string, number[], DocumentType[]]>([
    ['CUSTOMS', [1, 2, 3, 4], ['INVOICE']],
    // Documents keep the declaration's order.
    ['AGRICULTURE', [1, 2], ['ZOOSANITARY_CERTIFICATE', 'PHYTOSANITARY_CERTIFICATE']],
    ['HEALTH', [1, 3], ['SANITARY_PERMIT']],
  ])('%s sees items %j and documents %j', (agency, lineNos, documentTypes) => {
    const view = viewOf(mixedDeclaration(), agency);
    expect(view.items.map((i) => i.lineNo)).toEqual(lineNos);
    expect(view.documents.map((d) => d.type)).toEqual(documentTypes);
  });

  it('a required document the trader did not send is simply absent from the view', () => {
    const declaration = mixedDeclaration({ documents: [{ type: 'INVOICE', reference: 'INV-1' }] });
    const view = viewOf(declaration, 'HEALTH');
    expect(view.documents).toEqual([]);
    expect(view.requiredDocuments).toEqual(['SANITARY_PERMIT']);
  });
});

describe('viewFingerprint', () => {
  const base = mixedDeclaration();
  const withItem = (lineNo: number, change: Partial<Item>) => ({
    ...base,
    items: base.items.map((i) => (i.lineNo === lineNo ? { ...i, ...change } : i)),
  });
  const withDocuments = (documents: DocumentRef[]) => ({ ...base, documents });

  it('does not change with the round, the deadline policy, or anything outside the view', () => {
    const fp = fingerprintOf(base, 'HEALTH');
    expect(fingerprintOf(base, 'HEALTH', 3)).toBe(fp);
    expect(
      viewFingerprint(agencyView(base, routeFor(base, 'HEALTH'), { round: 1, deadlinePolicy: 'ESCALATE' })),
    ).toBe(fp);
    expect(fingerprintOf(withItem(4, { quantity: 999 }), 'HEALTH')).toBe(fp); // CUSTOMS-only item
    expect(fingerprintOf(withItem(2, { description: 'Limes' }), 'HEALTH')).toBe(fp); // AGRICULTURE-only item
    expect(
      fingerprintOf(
        withDocuments(base.documents.map((d) => (d.type === 'INVOICE' ? { ...d, reference: 'INV-2' } : d))),
        'HEALTH',
      ),
    ).toBe(fp);
    expect(fingerprintOf({ ...base, trader: { ...base.trader, name: 'Another name SA' } }, 'HEALTH')).toBe(
      fp,
    );
  });

  it.each<[string, Declaration]>([
    ['one of its items changes', withItem(3, { quantity: 6 })],
    [
      'its document reference changes',
      withDocuments(
        base.documents.map((d) => (d.type === 'SANITARY_PERMIT' ? { ...d, reference: 'SAN-2' } : d)),
      ),
    ],
    ['its document is removed', withDocuments(base.documents.filter((d) => d.type !== 'SANITARY_PERMIT'))],
    ['one of its items is removed', { ...base, items: base.items.filter((i) => i.lineNo !== 3) }],
  ])('changes when %s', (_name, changed) => {
    expect(fingerprintOf(changed, 'HEALTH')).not.toBe(fingerprintOf(base, 'HEALTH'));
  });

  it('changes when the required documents change', () => {
    const view = viewOf(base, 'HEALTH');
    expect(viewFingerprint({ ...view, requiredDocuments: ['SANITARY_PERMIT', 'OTHER'] })).not.toBe(
      viewFingerprint(view),
    );
  });

  it('is equal exactly when items, documents and required documents are equal', () => {
    const itemArb = fc.record(
      {
        lineNo: fc.integer({ min: 1, max: 2 }),
        hsCode: fc.constantFrom('30049099', '02013000'),
        description: fc.constantFrom('a', 'b'),
        originCountry: fc.constant('US'),
        quantity: fc.integer({ min: 1, max: 2 }),
        unit: fc.constant('kg'),
        value: fc.record(
          { amount: fc.integer({ min: 1, max: 2 }), currency: fc.constant('USD') },
          { noNullPrototype: true },
        ),
      },
      { noNullPrototype: true },
    );
    const documentArb = fc.record(
      {
        type: fc.constantFrom<DocumentType>('SANITARY_PERMIT', 'OTHER'),
        reference: fc.constantFrom('R-1', 'R-2'),
      },
      { noNullPrototype: true },
    );
    const viewArb = fc.record(
      {
        items: fc.array(itemArb, { maxLength: 2 }),
        documents: fc.array(documentArb, { maxLength: 2 }),
        requiredDocuments: fc.subarray<DocumentType>([...DOCUMENT_TYPES], { maxLength: 2 }),
      },
      { noNullPrototype: true },
    );
    fc.assert(
      fc.property(viewArb, viewArb, (a, b) => {
        expect(viewFingerprint(a) === viewFingerprint(b)).toBe(deepEqual(a, b));
      }),
      { numRuns: 2000 },
    );
  });
});

describe('fingerprint and key order', () => {
  it('does not change when the same items arrive with their keys in another order', () => {
    const declaration = sampleDeclaration();
    const reordered = declaration.items.map((i) => ({
      value: i.value,
      unit: i.unit,
      quantity: i.quantity,
      originCountry: i.originCountry,
      description: i.description,
      hsCode: i.hsCode,
      lineNo: i.lineNo,
    }));
    const route = { agency: 'CUSTOMS', lineNos: [1], requiredDocuments: ['INVOICE' as const] };
    const a = agencyView(declaration, route, { round: 1, deadlinePolicy: 'ESCALATE' });
    const b = agencyView({ ...declaration, items: reordered }, route, {
      round: 1,
      deadlinePolicy: 'ESCALATE',
    });
    expect(viewFingerprint(b)).toBe(viewFingerprint(a));
  });
});

describe('fingerprint size (issue 10, defect 7)', () => {
  const route = { agency: 'CUSTOMS', lineNos: [1], requiredDocuments: ['INVOICE' as const] };
  const view = agencyView(sampleDeclaration(), route, { round: 1, deadlinePolicy: 'ESCALATE' });

  it('is a SHA-256, however large the view: it is carried in every continue-as-new', () => {
    const big = {
      ...view,
      items: Array.from({ length: 999 }, () => ({ ...view.items[0]!, description: 'ñ'.repeat(512) })),
    };
    expect(viewFingerprint(big)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches a fingerprint carried by an older run as canonical JSON', () => {
    const legacy = canonicalJson([view.items, view.documents, view.requiredDocuments]);
    expect(sameFingerprint(legacy, viewFingerprint(view))).toBe(true);
    expect(sameFingerprint(viewFingerprint(view), viewFingerprint(view))).toBe(true);
    expect(sameFingerprint(legacy, viewFingerprint({ ...view, documents: [] }))).toBe(false);
  });
});

/** Deep equality without a Node import (workflow folders stay free of Node builtins). */
function deepEqual(a: unknown, b: unknown): boolean {
  try {
    expect(a).toStrictEqual(b);
    return true;
  } catch {
    return false;
  }
}

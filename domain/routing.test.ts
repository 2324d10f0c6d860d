import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../runtime/registry.js';
import { REGIMES } from '../schemas/common.schema.js';
import type { Declaration, DocumentType, Item, Regime, Registry } from '../schemas/types.js';
import { chapterInRanges, hsChapter, route, type AgencyRoute } from './routing.js';

const registry = loadRegistry({ registryFile: undefined, agencyModes: {} });

function item(lineNo: number, hsCode: string, originCountry = 'US'): Item {
  return {
    lineNo,
    hsCode,
    description: `goods of line ${lineNo}`,
    originCountry,
    quantity: 1,
    unit: 'kg',
    value: { amount: 10, currency: 'USD' },
  };
}

function routeOf(regime: Regime, ...items: Item[]): AgencyRoute[] {
  return route({ regime, items }, registry);
}

/** agency → required documents, in route order: the shape most assertions below compare. */
function agencies(routes: AgencyRoute[]): Array<[string, DocumentType[]]> {
  return routes.map((r) => [r.agency, r.requiredDocuments]);
}

/** An hsCode of chapter `ch` (two digits) that is not on the export quota table. */
const code = (ch: string) => `${ch}019000`;

describe('hsChapter and chapterInRanges', () => {
  it.each([
    ['08044000', 8],
    ['010121', 1],
    ['3004909900', 30],
    ['9701', 97],
  ])('hsChapter(%s) is %i', (hs, chapter) => {
    expect(hsChapter(hs)).toBe(chapter);
  });

  it.each<[number, string[], boolean]>([
    [1, ['01-14'], true],
    [14, ['01-14'], true],
    [15, ['01-14'], false],
    [0, ['01-14'], false],
    [30, ['30'], true],
    [31, ['30'], false],
    [29, ['30'], false],
    [33, ['02-04', '16-22', '30', '33'], true],
    [23, ['02-04', '16-22', '30', '33'], false],
    [5, [], false],
  ])('chapter %i in %j is %s', (chapter, ranges, expected) => {
    expect(chapterInRanges(chapter, ranges)).toBe(expected);
  });
});

describe('baseline routing table (design.md §6), one IMPORT item from the US', () => {
  const CUSTOMS: [string, DocumentType[]] = ['CUSTOMS', ['INVOICE']];
  const ZOO: [string, DocumentType[]] = ['AGRICULTURE', ['ZOOSANITARY_CERTIFICATE']];
  const PHYTO: [string, DocumentType[]] = ['AGRICULTURE', ['PHYTOSANITARY_CERTIFICATE']];
  const HEALTH: [string, DocumentType[]] = ['HEALTH', ['SANITARY_PERMIT']];
  const ECONOMY: [string, DocumentType[]] = ['ECONOMY', ['IMPORT_PERMIT']];

  it.each<[string, Array<[string, DocumentType[]]>]>([
    ['01', [CUSTOMS, ZOO]],
    ['02', [CUSTOMS, HEALTH, ZOO]],
    ['03', [CUSTOMS, HEALTH, ZOO]],
    ['04', [CUSTOMS, HEALTH, ZOO]],
    ['05', [CUSTOMS, ZOO]],
    ['06', [CUSTOMS, PHYTO]],
    ['08', [CUSTOMS, PHYTO]],
    ['14', [CUSTOMS, PHYTO]],
    ['15', [CUSTOMS]],
    ['16', [CUSTOMS, HEALTH]],
    ['19', [CUSTOMS, HEALTH]],
    ['22', [CUSTOMS, HEALTH]],
    ['23', [CUSTOMS]],
    ['29', [CUSTOMS]],
    ['30', [CUSTOMS, HEALTH]],
    ['31', [CUSTOMS]],
    ['32', [CUSTOMS]],
    ['33', [CUSTOMS, HEALTH]],
    ['34', [CUSTOMS]],
    ['49', [CUSTOMS]],
    ['50', [CUSTOMS, ECONOMY]],
    ['57', [CUSTOMS, ECONOMY]],
    ['64', [CUSTOMS, ECONOMY]],
    ['65', [CUSTOMS]],
    ['71', [CUSTOMS]],
    ['72', [CUSTOMS, ECONOMY]],
    ['73', [CUSTOMS, ECONOMY]],
    ['74', [CUSTOMS]],
    ['84', [CUSTOMS]],
    ['99', [CUSTOMS]],
  ])('chapter %s goes to %j', (chapter, expected) => {
    const routes = routeOf('IMPORT', item(1, code(chapter)));
    expect(agencies(routes)).toEqual(expected);
    for (const r of routes) expect(r.lineNos).toEqual([1]);
  });
});

describe('regimes', () => {
  it.each<[Regime, string, Array<[string, DocumentType[]]>]>([
    // ECONOMY's chapter rule is for IMPORT only.
    [
      'IMPORT',
      '52010000',
      [
        ['CUSTOMS', ['INVOICE']],
        ['ECONOMY', ['IMPORT_PERMIT']],
      ],
    ],
    ['EXPORT', '52010000', [['CUSTOMS', ['INVOICE']]]],
    ['TRANSIT', '52010000', [['CUSTOMS', ['INVOICE']]]],
    [
      'IMPORT',
      '73089000',
      [
        ['CUSTOMS', ['INVOICE']],
        ['ECONOMY', ['IMPORT_PERMIT']],
      ],
    ],
    ['EXPORT', '73089000', [['CUSTOMS', ['INVOICE']]]],
    // EXPORT of the quota-table prefixes 1701, 2601, 2603, 7108, 7204.
    [
      'EXPORT',
      '17011200',
      [
        ['CUSTOMS', ['INVOICE']],
        ['ECONOMY', ['EXPORT_PERMIT']],
        ['HEALTH', ['SANITARY_PERMIT']],
      ],
    ],
    [
      'IMPORT',
      '17011200',
      [
        ['CUSTOMS', ['INVOICE']],
        ['HEALTH', ['SANITARY_PERMIT']],
      ],
    ],
    [
      'EXPORT',
      '17020000',
      [
        ['CUSTOMS', ['INVOICE']],
        ['HEALTH', ['SANITARY_PERMIT']],
      ],
    ],
    [
      'EXPORT',
      '26011100',
      [
        ['CUSTOMS', ['INVOICE']],
        ['ECONOMY', ['EXPORT_PERMIT']],
      ],
    ],
    ['EXPORT', '26020000', [['CUSTOMS', ['INVOICE']]]],
    [
      'EXPORT',
      '26030000',
      [
        ['CUSTOMS', ['INVOICE']],
        ['ECONOMY', ['EXPORT_PERMIT']],
      ],
    ],
    [
      'EXPORT',
      '71081200',
      [
        ['CUSTOMS', ['INVOICE']],
        ['ECONOMY', ['EXPORT_PERMIT']],
      ],
    ],
    ['IMPORT', '71081200', [['CUSTOMS', ['INVOICE']]]],
    [
      'EXPORT',
      '72041000',
      [
        ['CUSTOMS', ['INVOICE']],
        ['ECONOMY', ['EXPORT_PERMIT']],
      ],
    ],
    [
      'IMPORT',
      '72041000',
      [
        ['CUSTOMS', ['INVOICE']],
        ['ECONOMY', ['IMPORT_PERMIT']],
      ],
    ],
    ['TRANSIT', '72041000', [['CUSTOMS', ['INVOICE']]]],
    // TRANSIT still follows the chapter rules that name no regime.
    [
      'TRANSIT',
      '08044000',
      [
        ['CUSTOMS', ['INVOICE']],
        ['AGRICULTURE', ['PHYTOSANITARY_CERTIFICATE']],
      ],
    ],
    [
      'TRANSIT',
      '30049099',
      [
        ['CUSTOMS', ['INVOICE']],
        ['HEALTH', ['SANITARY_PERMIT']],
      ],
    ],
    ['TRANSIT', '84713000', [['CUSTOMS', ['INVOICE']]]],
  ])('%s of %s goes to %j', (regime, hsCode, expected) => {
    expect(agencies(routeOf(regime, item(1, hsCode)))).toEqual(expected);
  });

  it.each(REGIMES)('%s from an embargoed origin (KP) goes to ECONOMY whatever the chapter', (regime) => {
    const routes = routeOf(regime, item(1, '84713000', 'US'), item(2, '84713000', 'KP'));
    expect(agencies(routes)).toEqual([
      ['CUSTOMS', ['INVOICE']],
      ['ECONOMY', []],
    ]);
    // ECONOMY sees the embargoed item only.
    expect(routes[1]?.lineNos).toEqual([2]);
  });

  it('an embargoed IMPORT in an ECONOMY chapter still needs the import permit', () => {
    expect(agencies(routeOf('IMPORT', item(1, '52010000', 'KP')))).toEqual([
      ['CUSTOMS', ['INVOICE']],
      ['ECONOMY', ['IMPORT_PERMIT']],
    ]);
  });

  it('the embargo list comes from the registry', () => {
    const noEmbargo: Registry = { ...registry, embargo: { countries: ['IR'] } };
    expect(
      route({ regime: 'IMPORT', items: [item(1, '84713000', 'KP')] }, noEmbargo).map((r) => r.agency),
    ).toEqual(['CUSTOMS']);
    expect(
      route({ regime: 'IMPORT', items: [item(1, '84713000', 'IR')] }, noEmbargo).map((r) => r.agency),
    ).toEqual(['CUSTOMS', 'ECONOMY']);
  });
});

describe('required documents and items per agency', () => {
  it('AGRICULTURE requires both certificates when a declaration mixes animal and plant chapters', () => {
    const routes = routeOf('IMPORT', item(1, '02013000'), item(2, '08044000'));
    expect(routes.find((r) => r.agency === 'AGRICULTURE')).toEqual({
      agency: 'AGRICULTURE',
      lineNos: [1, 2],
      requiredDocuments: ['PHYTOSANITARY_CERTIFICATE', 'ZOOSANITARY_CERTIFICATE'],
    });
  });

  it('each agency gets only the line numbers of its own items, sorted', () => {
    const routes = routeOf(
      'IMPORT',
      item(50, '02013000'), // meat: AGRICULTURE + HEALTH
      item(10, '84713000'), // laptop: CUSTOMS only
      item(40, '52010000'), // cotton: ECONOMY
      item(20, '08044000'), // avocados: AGRICULTURE
      item(30, '30049099'), // medicine: HEALTH
    );
    expect(routes).toEqual([
      { agency: 'CUSTOMS', lineNos: [10, 20, 30, 40, 50], requiredDocuments: ['INVOICE'] },
      { agency: 'ECONOMY', lineNos: [40], requiredDocuments: ['IMPORT_PERMIT'] },
      { agency: 'HEALTH', lineNos: [30, 50], requiredDocuments: ['SANITARY_PERMIT'] },
      {
        agency: 'AGRICULTURE',
        lineNos: [20, 50],
        requiredDocuments: ['PHYTOSANITARY_CERTIFICATE', 'ZOOSANITARY_CERTIFICATE'],
      },
    ]);
  });

  it('a document requirement with chapters looks only at the items its own rule matched', () => {
    // Here ECONOMY wants the import permit only for embargoed goods of chapters 50-64.
    const custom: Registry = {
      ...registry,
      routing: [
        { agency: 'CUSTOMS', always: true, requires: [{ document: 'INVOICE' }] },
        {
          agency: 'ECONOMY',
          embargoedOrigin: true,
          requires: [{ document: 'IMPORT_PERMIT', chapters: ['50-64'] }],
        },
      ],
    };
    const cottonFromUs = item(1, '52010000', 'US');
    const laptopFromKp = item(2, '84713000', 'KP');
    const cottonFromKp = item(3, '52010000', 'KP');
    expect(route({ regime: 'IMPORT', items: [cottonFromUs, laptopFromKp] }, custom)[1]).toEqual({
      agency: 'ECONOMY',
      lineNos: [2],
      requiredDocuments: [],
    });
    expect(route({ regime: 'IMPORT', items: [cottonFromUs, cottonFromKp] }, custom)[1]).toEqual({
      agency: 'ECONOMY',
      lineNos: [3],
      requiredDocuments: ['IMPORT_PERMIT'],
    });
  });

  it('agencies come back in registry order', () => {
    const reversed: Registry = { ...registry, agencies: [...registry.agencies].reverse() };
    const items = [item(1, '02013000'), item(2, '52010000')];
    expect(route({ regime: 'IMPORT', items }, registry).map((r) => r.agency)).toEqual([
      'CUSTOMS',
      'ECONOMY',
      'HEALTH',
      'AGRICULTURE',
    ]);
    expect(route({ regime: 'IMPORT', items }, reversed).map((r) => r.agency)).toEqual([
      'AGRICULTURE',
      'HEALTH',
      'ECONOMY',
      'CUSTOMS',
    ]);
  });
});

describe('properties', () => {
  const hsCodeArb = fc.oneof(
    fc
      .tuple(fc.integer({ min: 1, max: 99 }), fc.stringMatching(/^[0-9]{4,8}$/))
      .map(([ch, rest]) => `${String(ch).padStart(2, '0')}${rest}`),
    fc.constantFrom('17011200', '26011100', '26030000', '71081200', '72041000'),
  );
  const itemsArb = fc
    .uniqueArray(fc.integer({ min: 1, max: 999 }), { minLength: 1, maxLength: 12 })
    .chain((lineNos) =>
      fc.tuple(
        ...lineNos.map((lineNo) =>
          fc
            .tuple(hsCodeArb, fc.constantFrom('US', 'MX', 'KP'))
            .map(([hs, origin]) => item(lineNo, hs, origin)),
        ),
      ),
    )
    .map((items) => [...items]);
  const declarationArb = fc.record({ regime: fc.constantFrom(...REGIMES), items: itemsArb });

  it('every item goes to CUSTOMS, which requires the INVOICE', () => {
    fc.assert(
      fc.property(declarationArb, (declaration) => {
        const customs = route(declaration, registry)[0];
        expect(customs).toEqual({
          agency: 'CUSTOMS',
          lineNos: declaration.items.map((i) => i.lineNo).sort((a, b) => a - b),
          requiredDocuments: ['INVOICE'],
        });
      }),
    );
  });

  it('route is pure: same input, deep-equal output, input untouched, item order irrelevant', () => {
    fc.assert(
      fc.property(declarationArb, (declaration) => {
        const snapshot = structuredClone(declaration);
        const first = route(declaration, registry);
        const second = route(structuredClone(declaration), registry);
        expect(second).toEqual(first);
        expect(declaration).toEqual(snapshot);
        const reversed: Pick<Declaration, 'regime' | 'items'> = {
          ...declaration,
          items: [...declaration.items].reverse(),
        };
        expect(route(reversed, registry)).toEqual(first);
      }),
    );
  });

  it('every route names known items, no agency twice, and never an empty route', () => {
    fc.assert(
      fc.property(declarationArb, (declaration) => {
        const routes = route(declaration, registry);
        const lines = new Set(declaration.items.map((i) => i.lineNo));
        expect(new Set(routes.map((r) => r.agency)).size).toBe(routes.length);
        for (const r of routes) {
          expect(r.lineNos.length).toBeGreaterThan(0);
          for (const lineNo of r.lineNos) expect(lines.has(lineNo)).toBe(true);
        }
        // ECONOMY appears exactly when one of its three rules applies.
        const economy = declaration.items.some(
          (i) =>
            i.originCountry === 'KP' ||
            (declaration.regime === 'IMPORT' && chapterInRanges(hsChapter(i.hsCode), ['50-64', '72-73'])) ||
            (declaration.regime === 'EXPORT' &&
              ['1701', '2601', '2603', '7108', '7204'].some((p) => i.hsCode.startsWith(p))),
        );
        expect(routes.some((r) => r.agency === 'ECONOMY')).toBe(economy);
      }),
    );
  });
});

import type { Declaration } from '../schemas/types.js';

/**
 * The agencies the bench declaration is routed to under the default registry: CUSTOMS always,
 * AGRICULTURE and HEALTH for fish (chapter 03), ECONOMY for steel (chapter 72) on IMPORT. With
 * every document they require present, each approves automatically and the declaration CLEARs.
 */
export const EXPECTED_AGENCIES = ['CUSTOMS', 'ECONOMY', 'HEALTH', 'AGRICULTURE'];

/** The trader of every bench declaration; its certificate signs them (bench/bench-pki.ts). */
export const BENCH_TRADER = { taxId: 'BEN010101AB1', name: 'Benchmark Trading SA de CV' };

export function benchDeclaration(declarationId: string): Declaration {
  return {
    kind: 'declaration',
    declarationId,
    trader: BENCH_TRADER,
    regime: 'IMPORT',
    customsOffice: '240',
    items: [
      {
        lineNo: 1,
        hsCode: '03038900',
        description: 'Frozen fish',
        originCountry: 'US',
        quantity: 1200,
        unit: 'kg',
        value: { amount: 9600, currency: 'USD' },
      },
      {
        lineNo: 2,
        hsCode: '7208510300',
        description: 'Hot-rolled steel plate',
        originCountry: 'US',
        quantity: 20000,
        unit: 'kg',
        value: { amount: 18000, currency: 'USD' },
      },
    ],
    documents: [
      { type: 'INVOICE', reference: `INV-${declarationId}` },
      { type: 'ZOOSANITARY_CERTIFICATE', reference: `ZOO-${declarationId}` },
      { type: 'SANITARY_PERMIT', reference: `SAN-${declarationId}` },
      { type: 'IMPORT_PERMIT', reference: `IMP-${declarationId}` },
    ],
  };
}

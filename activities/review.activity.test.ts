import { describe, expect, it } from 'vitest';
import { sampleAgencyDecision, sampleReviewRequest } from '../test/support/fixtures.js';
import { check, validateAgencyDecision } from '../schemas/validators.js';
import type { AdapterDecision, AgencyAdapter, ReviewInput } from './adapters/adapter.js';
import { economyAdapter } from './adapters/economy.adapter.js';
import { boundedDecision, decideAutomatically } from './review.activity.js';

const context = { riskKey: 'test-risk-key' };
const { at: _at, deadline: _deadline, ...request } = sampleReviewRequest({ agency: 'ECONOMY' });
const input: ReviewInput = { request, adapter: 'custom', embargo: ['KP'] };

const asAgencyDecision = (d: AdapterDecision) =>
  check(
    validateAgencyDecision,
    sampleAgencyDecision({
      outcome: d.outcome,
      reasons: d.reasons,
      ...(d.conditions ? { conditions: d.conditions } : {}),
    }),
  );

describe('the automatic review bounds whatever an adapter returns', () => {
  it('a custom adapter with too many, too long, malformed reasons and conditions still fits the schema', () => {
    const unruly: AgencyAdapter = () =>
      ({
        outcome: 'REJECTED',
        reasons: [
          ...Array.from({ length: 60 }, (_, i) => ({ code: 'TOO_MANY', message: `${i} ${'x'.repeat(900)}` })),
          { code: 'lower-case code', message: '' },
          { code: 'EXTRA', message: 'with a property the schema does not know', severity: 'high' },
        ],
        conditions: ['', ...Array.from({ length: 30 }, (_, i) => `condition ${i} ${'c'.repeat(700)}`)],
        debug: { internal: true },
      }) as AdapterDecision;
    const decision = decideAutomatically(unruly, input, context);
    expect(asAgencyDecision(decision)).toEqual(expect.objectContaining({ ok: true }));
    expect(decision.reasons).toHaveLength(20);
    expect(decision.reasons[19]?.message).toMatch(/^and 43 more reasons: TOO_MANY: 19 x+/);
    expect(decision.conditions).toHaveLength(20);
    expect(Object.keys(decision).sort()).toEqual(['conditions', 'outcome', 'reasons']);
  });

  it('leaves a decision within bounds as it was', () => {
    const decision = {
      outcome: 'APPROVED' as const,
      reasons: [{ code: 'INSPECTED', message: 'ok' }],
      inspection: { delay: '1s' },
    };
    expect(boundedDecision(decision)).toEqual(decision);
    expect(boundedDecision({ outcome: 'APPROVED', reasons: [], conditions: ['keep cold'] })).toEqual({
      outcome: 'APPROVED',
      reasons: [],
      conditions: ['keep cold'],
    });
  });

  it('the built-in adapters go through it unchanged (they already summarise)', () => {
    const embargoed = {
      ...input,
      request: { ...request, items: request.items.map((i) => ({ ...i, originCountry: 'KP' })) },
    };
    expect(decideAutomatically(economyAdapter, embargoed, context)).toEqual(
      economyAdapter(embargoed, context),
    );
  });
});

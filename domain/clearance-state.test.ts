import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../runtime/registry.js';
import { AGENCY_STATES, DEADLINE_POLICIES, DOCUMENT_TYPES, OUTCOMES } from '../schemas/common.schema.js';
import { sampleDeclaration, sampleReviewWithdrawn } from '../test/support/fixtures.js';
import type {
  AgencyState,
  Declaration,
  DeadlinePolicy,
  DocumentRef,
  DocumentType,
  Item,
  OverallStatus,
  Outcome,
  Registry,
} from '../schemas/types.js';
import { check, validateAgencyRequest, validateStatusEvent } from '../schemas/validators.js';
import {
  applyAmendment,
  applyDeadline,
  applyDecision,
  applyWithdrawal,
  decisionRefusal,
  FINAL_STATUSES,
  initialState,
  isFinal,
  overallStatus,
  statusEvent,
  type AgencyPolicy,
  type ClearanceState,
  type DecisionInput,
  type Review,
  type Transition,
} from './clearance-state.js';
import { route } from './routing.js';

const AT = '2025-03-14T10:00:00Z';
const registry = loadRegistry({ registryFile: undefined, agencyModes: {} });
const basePolicies = policiesOf(registry);
const OPEN: ReadonlySet<AgencyState> = new Set(['PENDING', 'OVERDUE', 'REQUEST_INFO']);

function policiesOf(reg: Registry): Record<string, AgencyPolicy> {
  return Object.fromEntries(
    reg.agencies.map((a) => [
      a.code,
      { mode: a.mode, deadline: a.deadline, deadlinePolicy: a.deadlinePolicy },
    ]),
  );
}

function item(lineNo: number, hsCode: string, originCountry = 'US'): Item {
  return {
    lineNo,
    hsCode,
    description: `goods of line ${lineNo}`,
    originCountry,
    quantity: 10,
    unit: 'kg',
    value: { amount: 100, currency: 'USD' },
  };
}

function doc(type: DocumentType, reference = `${type}-1`): DocumentRef {
  return { type, reference };
}

const reroute = (d: Declaration) => route(d, registry);

function start(declaration: Declaration): ClearanceState {
  return initialState(declaration, reroute(declaration), basePolicies).state;
}

function decision(agency: string, outcome: Outcome, code = 'CHECKED'): DecisionInput {
  return {
    agency,
    outcome,
    by: 'officer',
    officer: 'officer-7',
    at: AT,
    reasons: [{ code, message: `${agency} says ${outcome}` }],
  };
}

/** Applies the decisions in order, failing the test if any is refused. */
function decide(state: ClearanceState, ...decisions: DecisionInput[]): ClearanceState {
  for (const d of decisions) {
    const t = applyDecision(state, d);
    expect(t.effects.notices, `decision of ${d.agency}`).toEqual([]);
    state = t.state;
  }
  return state;
}

function stateOf(state: ClearanceState, agency: string): Review | undefined {
  return state.reviews.find((r) => r.agency === agency);
}

function summary(state: ClearanceState): Record<string, [AgencyState, number]> {
  return Object.fromEntries(state.reviews.map((r) => [r.agency, [r.state, r.round]]));
}

// ---------------------------------------------------------------------------------------------
// The reducer
// ---------------------------------------------------------------------------------------------

/** design.md §5, written independently of the code: FAILED > WITHDRAWN > REJECTED > CLEARED > AWAITING_TRADER > IN_REVIEW. */
function oracle(states: readonly AgencyState[], withdrawn: boolean, failed: boolean): OverallStatus {
  if (failed) return 'FAILED';
  if (withdrawn) return 'WITHDRAWN';
  let rejected = 0;
  let approved = 0;
  let asking = 0;
  for (const s of states) {
    if (s === 'REJECTED') rejected++;
    if (s === 'APPROVED') approved++;
    if (s === 'REQUEST_INFO') asking++;
  }
  if (rejected > 0) return 'REJECTED';
  if (approved === states.length) return 'CLEARED';
  if (asking > 0) return 'AWAITING_TRADER';
  return 'IN_REVIEW';
}

function combinations(n: number): AgencyState[][] {
  if (n === 0) return [[]];
  return combinations(n - 1).flatMap((rest) => AGENCY_STATES.map((s) => [...rest, s]));
}

function reviewsIn(states: readonly AgencyState[]): Review[] {
  return states.map((state, i) => ({
    agency: `AGENCY_${i}`,
    state,
    round: 1,
    lineNos: [1],
    requiredDocuments: [],
    fingerprint: '',
    reasons: [],
  }));
}

describe('overallStatus (the status reducer of design.md §5)', () => {
  it.each([1, 2, 3])(
    'agrees with the oracle on every combination of %i agency state(s) × withdrawn × failed',
    (n) => {
      const mismatches: string[] = [];
      let checked = 0;
      for (const states of combinations(n)) {
        for (const withdrawn of [false, true]) {
          for (const failed of [false, true]) {
            const actual = overallStatus({ reviews: reviewsIn(states), withdrawn, failed });
            const expected = oracle(states, withdrawn, failed);
            checked++;
            if (actual !== expected)
              mismatches.push(
                `${states.join(',')} withdrawn=${withdrawn} failed=${failed}: ${actual}, expected ${expected}`,
              );
          }
        }
      }
      expect(checked).toBe(6 ** n * 4);
      expect(mismatches).toEqual([]);
    },
  );

  it('clears a declaration that needs no agency at all, unless withdrawn or failed', () => {
    expect(overallStatus({ reviews: [], withdrawn: false, failed: false })).toBe('CLEARED');
    expect(overallStatus({ reviews: [], withdrawn: true, failed: false })).toBe('WITHDRAWN');
    expect(overallStatus({ reviews: [], withdrawn: true, failed: true })).toBe('FAILED');
  });

  it.each<[AgencyState[], OverallStatus]>([
    [['APPROVED', 'APPROVED', 'APPROVED'], 'CLEARED'],
    [['APPROVED', 'PENDING'], 'IN_REVIEW'],
    [['APPROVED', 'OVERDUE'], 'IN_REVIEW'],
    [['REQUEST_INFO', 'PENDING'], 'AWAITING_TRADER'],
    [['REQUEST_INFO', 'REJECTED'], 'REJECTED'],
    [['APPROVED', 'WITHDRAWN'], 'IN_REVIEW'],
  ])('%j is %s', (states, expected) => {
    expect(overallStatus({ reviews: reviewsIn(states), withdrawn: false, failed: false })).toBe(expected);
  });

  it('FINAL_STATUSES are exactly the finals of §5 plus FAILED', () => {
    expect([...FINAL_STATUSES].sort()).toEqual(['CLEARED', 'FAILED', 'REJECTED', 'WITHDRAWN']);
  });
});

// ---------------------------------------------------------------------------------------------
// Initial state and decisions
// ---------------------------------------------------------------------------------------------

describe('initialState', () => {
  it('opens one PENDING round-1 review per routed agency and starts them all', () => {
    const d = sampleDeclaration({ items: [item(1, '08044000'), item(2, '30049099')] });
    const { state, effects } = initialState(d, reroute(d), basePolicies);
    expect(summary(state)).toEqual({
      CUSTOMS: ['PENDING', 1],
      HEALTH: ['PENDING', 1],
      AGRICULTURE: ['PENDING', 1],
    });
    expect(stateOf(state, 'HEALTH')?.lineNos).toEqual([2]);
    expect(stateOf(state, 'HEALTH')?.requiredDocuments).toEqual(['SANITARY_PERMIT']);
    expect(effects).toEqual({
      startReviews: ['CUSTOMS', 'HEALTH', 'AGRICULTURE'],
      withdrawReviews: [],
      notices: [],
    });
    expect(overallStatus(state)).toBe('IN_REVIEW');
    expect(state.decisions).toEqual([]);
  });

  it('throws when routing names an agency that has no policy', () => {
    const d = sampleDeclaration();
    const { AGRICULTURE: _dropped, ...withoutAgriculture } = basePolicies;
    expect(() => initialState(d, reroute(d), withoutAgriculture)).toThrow(/AGRICULTURE/);
  });
});

describe('applyDecision', () => {
  const declaration = () => sampleDeclaration({ items: [item(1, '08044000'), item(2, '30049099')] });

  it('clears when every required agency approves, and records who decided', () => {
    const state = decide(
      start(declaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('HEALTH', 'APPROVED'),
    );
    expect(overallStatus(state)).toBe('IN_REVIEW');
    const cleared = decide(state, { ...decision('AGRICULTURE', 'APPROVED'), by: 'auto', officer: undefined });
    expect(overallStatus(cleared)).toBe('CLEARED');
    expect(cleared.decisions.map((d) => [d.agency, d.outcome, d.by, d.officer])).toEqual([
      ['CUSTOMS', 'APPROVED', 'officer', 'officer-7'],
      ['HEALTH', 'APPROVED', 'officer', 'officer-7'],
      ['AGRICULTURE', 'APPROVED', 'auto', undefined],
    ]);
    expect('officer' in cleared.decisions[2]!).toBe(false);
  });

  it('keeps conditions only when there are some', () => {
    const s = start(declaration());
    const withConditions = applyDecision(s, {
      ...decision('CUSTOMS', 'APPROVED'),
      conditions: ['store below 8 °C'],
    }).state;
    expect(withConditions.decisions[0]?.conditions).toEqual(['store below 8 °C']);
    const withoutConditions = applyDecision(s, { ...decision('CUSTOMS', 'APPROVED'), conditions: [] }).state;
    expect('conditions' in withoutConditions.decisions[0]!).toBe(false);
  });

  it('a REQUEST_INFO makes the declaration AWAITING_TRADER and its reasons show on the status', () => {
    const state = decide(
      start(declaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('HEALTH', 'REQUEST_INFO', 'MISSING_DOCUMENT'),
    );
    expect(overallStatus(state)).toBe('AWAITING_TRADER');
    const event = statusEvent(state, 4, []);
    expect(event.status).toBe('AWAITING_TRADER');
    expect(event.sequence).toBe(4);
    expect(event.agencies).toEqual({ CUSTOMS: 'APPROVED', HEALTH: 'REQUEST_INFO', AGRICULTURE: 'PENDING' });
    // The approval's reasons are history; the open request's reasons tell the trader what to do.
    expect(event.reasons).toEqual([
      { agency: 'HEALTH', code: 'MISSING_DOCUMENT', message: 'HEALTH says REQUEST_INFO' },
    ]);
  });

  it('a rejection ends the declaration and withdraws every other open review', () => {
    let state = decide(
      start(declaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('AGRICULTURE', 'REQUEST_INFO'),
    );
    const t = applyDecision(state, decision('HEALTH', 'REJECTED', 'BANNED_SUBSTANCE'));
    state = t.state;
    expect(overallStatus(state)).toBe('REJECTED');
    expect(summary(state)).toEqual({
      CUSTOMS: ['APPROVED', 1],
      HEALTH: ['REJECTED', 1],
      AGRICULTURE: ['WITHDRAWN', 1],
    });
    expect(t.effects.withdrawReviews).toEqual([
      {
        agency: 'AGRICULTURE',
        round: 1,
        reason: { code: 'REJECTED_BY_OTHER_AGENCY', message: 'HEALTH rejected the declaration' },
      },
    ]);
    expect(t.effects.startReviews).toEqual([]);
  });

  it.each<[string, (s: ClearanceState) => ClearanceState, string, string]>([
    ['not required', (s) => s, 'ECONOMY', 'AGENCY_NOT_REQUIRED'],
    ['already approved', (s) => decide(s, decision('CUSTOMS', 'APPROVED')), 'CUSTOMS', 'NOT_PENDING'],
    [
      'waiting for the trader',
      (s) => decide(s, decision('CUSTOMS', 'REQUEST_INFO')),
      'CUSTOMS',
      'NOT_PENDING',
    ],
    ['closed', (s) => decide(s, decision('HEALTH', 'REJECTED')), 'CUSTOMS', 'DECLARATION_CLOSED'],
  ])(
    'refuses a decision of an agency that is %s, with a notice, changing nothing',
    (_name, setup, agency, code) => {
      const before = setup(start(declaration()));
      expect(decisionRefusal(before, agency)?.code).toBe(code);
      const t = applyDecision(before, decision(agency, 'APPROVED'));
      expect(t.state).toBe(before);
      expect(t.effects.startReviews).toEqual([]);
      expect(t.effects.withdrawReviews).toEqual([]);
      expect(t.effects.notices).toHaveLength(1);
      expect(t.effects.notices[0]).toMatchObject({ agency, code });
    },
  );

  it('accepts a decision from an OVERDUE agency', () => {
    const escalated = applyDeadline(start(declaration()), 'CUSTOMS', 1, 'ESCALATE', AT).state;
    expect(decisionRefusal(escalated, 'CUSTOMS')).toBeUndefined();
    expect(stateOf(decide(escalated, decision('CUSTOMS', 'APPROVED')), 'CUSTOMS')?.state).toBe('APPROVED');
  });
});

// ---------------------------------------------------------------------------------------------
// Withdrawal
// ---------------------------------------------------------------------------------------------

describe('applyWithdrawal', () => {
  it('withdraws the declaration and every open review, keeping decided ones', () => {
    const d = sampleDeclaration({ items: [item(1, '08044000'), item(2, '30049099')] });
    const state = decide(start(d), decision('CUSTOMS', 'APPROVED'), decision('HEALTH', 'REQUEST_INFO'));
    const t = applyWithdrawal(state, { reason: 'Shipment cancelled' });
    expect(overallStatus(t.state)).toBe('WITHDRAWN');
    expect(summary(t.state)).toEqual({
      CUSTOMS: ['APPROVED', 1],
      HEALTH: ['WITHDRAWN', 1],
      AGRICULTURE: ['WITHDRAWN', 1],
    });
    const reason = { code: 'WITHDRAWN_BY_TRADER', message: 'Shipment cancelled' };
    expect(t.effects.withdrawReviews).toEqual([
      { agency: 'HEALTH', round: 1, reason },
      { agency: 'AGRICULTURE', round: 1, reason },
    ]);
    expect(t.effects.notices).toEqual([reason]);
  });

  it('is refused once the declaration is final', () => {
    const cleared = decide(
      start(sampleDeclaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('AGRICULTURE', 'APPROVED'),
    );
    const t = applyWithdrawal(cleared, { reason: 'too late' });
    expect(t.state).toBe(cleared);
    expect(t.effects.notices.map((n) => n.code)).toEqual(['DECLARATION_CLOSED']);
    expect(t.effects.notices[0]?.message).toContain('CLEARED');
  });
});

// ---------------------------------------------------------------------------------------------
// FAILED, which only the workflow shell sets
// ---------------------------------------------------------------------------------------------

describe('a FAILED clearance', () => {
  // Reviews may still be PENDING when the shell gives up: FAILED must hold them all the same.
  const failed = (): ClearanceState => ({ ...start(sampleDeclaration()), failed: true });

  it('is final, with its reviews still pending', () => {
    const state = failed();
    expect(overallStatus(state)).toBe('FAILED');
    expect(isFinal(state)).toBe(true);
    expect(summary(state)).toEqual({ CUSTOMS: ['PENDING', 1], AGRICULTURE: ['PENDING', 1] });
  });

  it.each(DEADLINE_POLICIES)('ignores a %s deadline', (policy) => {
    const state = failed();
    const t = applyDeadline(state, 'CUSTOMS', 1, policy, AT);
    expect(t.state).toBe(state);
    expect(t.effects).toEqual({ startReviews: [], withdrawReviews: [], notices: [] });
  });

  it('refuses decisions, amendments and withdrawals with DECLARATION_CLOSED', () => {
    const state = failed();
    const transitions = [
      applyDecision(state, decision('CUSTOMS', 'APPROVED')),
      applyAmendment(state, { documents: [] }, reroute, basePolicies),
      applyWithdrawal(state, { reason: 'cancelled' }),
    ];
    for (const t of transitions) {
      expect(t.state).toBe(state);
      expect(t.effects.notices.map((n) => [n.code, n.message.includes('FAILED')])).toEqual([
        ['DECLARATION_CLOSED', true],
      ]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Amendments, with the baseline routing
// ---------------------------------------------------------------------------------------------

describe('applyAmendment', () => {
  // Avocados (chapter 08: AGRICULTURE) and a medicine (chapter 30: HEALTH), all documents present.
  const documents = [doc('INVOICE'), doc('PHYTOSANITARY_CERTIFICATE'), doc('SANITARY_PERMIT')];
  const declaration = () =>
    sampleDeclaration({ items: [item(1, '08044000'), item(2, '30049099')], documents });
  const amend = (state: ClearanceState, amendment: { items?: Item[]; documents?: DocumentRef[] }) =>
    applyAmendment(state, amendment, reroute, basePolicies);

  it('reviews again only the agency whose view changed (which also asked), at round 2', () => {
    const state = decide(
      start(declaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('HEALTH', 'REQUEST_INFO'),
      decision('AGRICULTURE', 'APPROVED'),
    );
    const t = amend(state, {
      documents: [doc('INVOICE'), doc('PHYTOSANITARY_CERTIFICATE'), doc('SANITARY_PERMIT', 'SAN-NEW')],
    });
    expect(summary(t.state)).toEqual({
      CUSTOMS: ['APPROVED', 1],
      HEALTH: ['PENDING', 2],
      AGRICULTURE: ['APPROVED', 1],
    });
    expect(t.effects.startReviews).toEqual(['HEALTH']);
    // HEALTH had already answered, so there is no running review of it to withdraw.
    expect(t.effects.withdrawReviews).toEqual([]);
    expect(overallStatus(t.state)).toBe('IN_REVIEW');
    expect(t.state.declaration.documents).toEqual([
      doc('INVOICE'),
      doc('PHYTOSANITARY_CERTIFICATE'),
      doc('SANITARY_PERMIT', 'SAN-NEW'),
    ]);
    // The new round starts without the old round's reasons.
    expect(stateOf(t.state, 'HEALTH')?.reasons).toEqual([]);
  });

  it('reviews again an agency that asked even when its view did not change', () => {
    const state = decide(
      start(declaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('HEALTH', 'REQUEST_INFO'),
      decision('AGRICULTURE', 'APPROVED'),
    );
    const t = amend(state, {
      documents: [doc('INVOICE'), doc('PHYTOSANITARY_CERTIFICATE', 'PHY-NEW'), doc('SANITARY_PERMIT')],
    });
    expect(summary(t.state)).toEqual({
      CUSTOMS: ['APPROVED', 1],
      HEALTH: ['PENDING', 2],
      AGRICULTURE: ['PENDING', 2],
    });
    expect(t.effects.startReviews).toEqual(['HEALTH', 'AGRICULTURE']);
  });

  it('keeps an unchanged approved agency APPROVED, and the same review object', () => {
    const state = decide(
      start(declaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('AGRICULTURE', 'APPROVED'),
    );
    const t = amend(state, { documents: [...documents, doc('CERTIFICATE_OF_ORIGIN')] });
    // No agency requires the certificate of origin, so no view changed.
    expect(summary(t.state)).toEqual({
      CUSTOMS: ['APPROVED', 1],
      HEALTH: ['PENDING', 1],
      AGRICULTURE: ['APPROVED', 1],
    });
    expect(stateOf(t.state, 'CUSTOMS')).toBe(stateOf(state, 'CUSTOMS'));
    expect(t.effects).toEqual({ startReviews: [], withdrawReviews: [], notices: [] });
  });

  it('withdraws a still-pending review whose view changed and starts the next round', () => {
    const state = decide(start(declaration()), decision('CUSTOMS', 'APPROVED'));
    const t = amend(state, { items: [item(1, '08044000'), { ...item(2, '30049099'), quantity: 20 }] });
    expect(summary(t.state)).toEqual({
      CUSTOMS: ['PENDING', 2],
      HEALTH: ['PENDING', 2],
      AGRICULTURE: ['PENDING', 1],
    });
    expect(t.effects.startReviews).toEqual(['CUSTOMS', 'HEALTH']);
    expect(t.effects.withdrawReviews).toEqual([
      {
        agency: 'HEALTH',
        round: 1,
        reason: {
          code: 'SUPERSEDED_BY_AMENDMENT',
          message: 'the declaration was amended; a new review follows',
        },
      },
    ]);
  });

  it('starts a newly required agency at round 1 with its documents', () => {
    const open = decide(
      start(declaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('HEALTH', 'APPROVED'),
    );
    const t = amend(open, { items: [item(1, '08044000'), item(2, '30049099'), item(3, '52010000')] });
    expect(summary(t.state)).toEqual({
      CUSTOMS: ['PENDING', 2],
      ECONOMY: ['PENDING', 1],
      HEALTH: ['APPROVED', 1],
      AGRICULTURE: ['PENDING', 1],
    });
    expect(stateOf(t.state, 'ECONOMY')).toMatchObject({ lineNos: [3], requiredDocuments: ['IMPORT_PERMIT'] });
    expect(t.effects.startReviews).toEqual(['CUSTOMS', 'ECONOMY']);
    expect(t.effects.withdrawReviews).toEqual([]);
  });

  it('drops an agency no longer required and withdraws its review when it was open', () => {
    const state = decide(
      start(declaration()),
      decision('CUSTOMS', 'APPROVED'),
      decision('AGRICULTURE', 'APPROVED'),
    );
    const t = amend(state, { items: [item(1, '08044000')] });
    expect(summary(t.state)).toEqual({ CUSTOMS: ['PENDING', 2], AGRICULTURE: ['APPROVED', 1] });
    expect(t.effects.withdrawReviews).toEqual([
      {
        agency: 'HEALTH',
        round: 1,
        reason: { code: 'NO_LONGER_REQUIRED', message: 'after the amendment no item needs this agency' },
      },
    ]);
    expect(statusEvent(t.state, 2, []).agencies).toEqual({ CUSTOMS: 'PENDING', AGRICULTURE: 'APPROVED' });
  });

  it('drops an agency no longer required without withdrawing it when it had already approved', () => {
    const state = decide(start(declaration()), decision('HEALTH', 'APPROVED'));
    const t = amend(state, { items: [item(1, '08044000')] });
    expect(summary(t.state)).toEqual({ CUSTOMS: ['PENDING', 2], AGRICULTURE: ['PENDING', 1] });
    // CUSTOMS was pending and its view lost item 2: superseded, not "no longer required".
    expect(t.effects.withdrawReviews.map((w) => [w.agency, w.reason.code])).toEqual([
      ['CUSTOMS', 'SUPERSEDED_BY_AMENDMENT'],
    ]);
  });

  it('is refused on a final declaration with a notice', () => {
    const rejected = decide(start(declaration()), decision('HEALTH', 'REJECTED'));
    const t = amend(rejected, { documents: [] });
    expect(t.state).toBe(rejected);
    expect(t.effects.notices.map((n) => n.code)).toEqual(['DECLARATION_CLOSED']);
    expect(t.effects.startReviews).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Deadlines
// ---------------------------------------------------------------------------------------------

describe('applyDeadline', () => {
  const declaration = () => sampleDeclaration({ items: [item(1, '08044000'), item(2, '30049099')] });

  it('ESCALATE marks the review OVERDUE and keeps waiting, with a DEADLINE_ESCALATED notice', () => {
    const t = applyDeadline(start(declaration()), 'AGRICULTURE', 1, 'ESCALATE', AT);
    expect(stateOf(t.state, 'AGRICULTURE')?.state).toBe('OVERDUE');
    expect(overallStatus(t.state)).toBe('IN_REVIEW');
    expect(t.effects.notices).toEqual([
      {
        agency: 'AGRICULTURE',
        code: 'DEADLINE_ESCALATED',
        message: 'AGRICULTURE missed its deadline; escalated',
      },
    ]);
    expect(t.state.decisions).toEqual([]);
    // Escalated once: the same deadline again does nothing.
    const again = applyDeadline(t.state, 'AGRICULTURE', 1, 'ESCALATE', AT);
    expect(again.state).toBe(t.state);
    expect(again.effects.notices).toEqual([]);
  });

  it('AUTO_APPROVE approves by afirmativa ficta, decided by rule', () => {
    const t = applyDeadline(start(declaration()), 'HEALTH', 1, 'AUTO_APPROVE', AT);
    expect(stateOf(t.state, 'HEALTH')?.state).toBe('APPROVED');
    expect(t.state.decisions).toHaveLength(1);
    expect(t.state.decisions[0]).toMatchObject({ agency: 'HEALTH', outcome: 'APPROVED', by: 'auto', at: AT });
    expect(t.state.decisions[0]?.reasons.map((r) => r.code)).toEqual(['AFIRMATIVA_FICTA']);
  });

  it('AUTO_REJECT rejects with DEADLINE_EXPIRED and withdraws the other open reviews', () => {
    const t = applyDeadline(start(declaration()), 'HEALTH', 1, 'AUTO_REJECT', AT);
    expect(overallStatus(t.state)).toBe('REJECTED');
    expect(stateOf(t.state, 'HEALTH')?.reasons.map((r) => r.code)).toEqual(['DEADLINE_EXPIRED']);
    expect(t.state.decisions[0]).toMatchObject({ agency: 'HEALTH', outcome: 'REJECTED', by: 'auto' });
    expect(t.effects.withdrawReviews.map((w) => w.agency)).toEqual(['CUSTOMS', 'AGRICULTURE']);
    expect(statusEvent(t.state, 9, []).reasons).toContainEqual(
      expect.objectContaining({ agency: 'HEALTH', code: 'DEADLINE_EXPIRED' }),
    );
  });

  it('ignores the deadline of an older round', () => {
    const d = declaration();
    const asked = decide(start(d), decision('HEALTH', 'REQUEST_INFO'));
    const amended = applyAmendment(
      asked,
      { documents: [doc('INVOICE'), doc('SANITARY_PERMIT')] },
      reroute,
      basePolicies,
    ).state;
    expect(stateOf(amended, 'HEALTH')?.round).toBe(2);
    for (const policy of DEADLINE_POLICIES) {
      const t = applyDeadline(amended, 'HEALTH', 1, policy, AT);
      expect(t.state).toBe(amended);
      expect(t.effects).toEqual({ startReviews: [], withdrawReviews: [], notices: [] });
    }
    expect(stateOf(applyDeadline(amended, 'HEALTH', 2, 'AUTO_APPROVE', AT).state, 'HEALTH')?.state).toBe(
      'APPROVED',
    );
  });

  it.each<[string, (s: ClearanceState) => ClearanceState, string]>([
    ['has decided', (s) => decide(s, decision('HEALTH', 'REQUEST_INFO')), 'HEALTH'],
    ['is not required', (s) => s, 'ECONOMY'],
    ['belongs to a closed declaration', (s) => applyWithdrawal(s, { reason: 'cancelled' }).state, 'HEALTH'],
  ])('ignores a deadline for an agency that %s', (_name, setup, agency) => {
    const before = setup(start(declaration()));
    const t = applyDeadline(before, agency, 1, 'AUTO_REJECT', AT);
    expect(t.state).toBe(before);
    expect(t.effects.notices).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over random operation sequences
// ---------------------------------------------------------------------------------------------

const AGENCIES = registry.agencies.map((a) => a.code);
const EXPORT_QUOTA_CODES = ['17011200', '26011100', '71081200', '72041000'];

const hsCodeArb = fc.oneof(
  fc
    .tuple(fc.integer({ min: 1, max: 97 }), fc.integer({ min: 0, max: 9999 }))
    .map(([ch, rest]) => `${String(ch).padStart(2, '0')}${String(rest).padStart(4, '0')}`),
  fc.constantFrom(...EXPORT_QUOTA_CODES),
);
const itemsArb = fc
  .array(
    fc.record({
      hsCode: hsCodeArb,
      origin: fc.constantFrom('US', 'MX', 'CN', 'KP'),
      quantity: fc.integer({ min: 1, max: 3 }),
    }),
    { minLength: 1, maxLength: 5 },
  )
  .map((list) =>
    list.map(({ hsCode, origin, quantity }, i) => ({ ...item(i + 1, hsCode, origin), quantity })),
  );
const documentsArb = fc
  .subarray([...DOCUMENT_TYPES])
  .chain((types) =>
    fc.tuple(...types.map((type) => fc.constantFrom(doc(type, `${type}-1`), doc(type, `${type}-2`)))),
  )
  .map((docs) => [...docs]);
const policyArb: fc.Arbitrary<AgencyPolicy> = fc.record({
  mode: fc.constantFrom('auto' as const, 'queue' as const),
  deadline: fc.constantFrom('90s', '48h', '10d'),
  deadlinePolicy: fc.constantFrom(...DEADLINE_POLICIES),
});
const policiesArb = fc
  .tuple(...AGENCIES.map(() => policyArb))
  .map((list) => Object.fromEntries(AGENCIES.map((a, i) => [a, list[i]!])));

// Approvals outnumber the rest, so that some sequences reach CLEARED before a rejection or withdrawal.
const outcomeArb = fc.constantFrom<Outcome>(...OUTCOMES, 'APPROVED', 'APPROVED', 'REQUEST_INFO');

type Op =
  | { kind: 'decision'; agency: string; outcome: Outcome }
  | { kind: 'amendment'; items?: Item[]; documents?: DocumentRef[] }
  | { kind: 'withdrawal'; reason: string }
  /** The workflow shell gave up on an activity: it sets `failed`, which no transition may undo. */
  | { kind: 'failure' }
  | { kind: 'deadline'; agency: string; roundShift: number; policy: DeadlinePolicy };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('decision' as const),
      agency: fc.constantFrom(...AGENCIES, 'DEFENSE'),
      outcome: outcomeArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({
        kind: fc.constant('amendment' as const),
        items: fc.option(itemsArb, { nil: undefined }),
        documents: fc.option(documentsArb, { nil: undefined }),
      })
      .filter((a) => a.items !== undefined || a.documents !== undefined),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('withdrawal' as const),
      reason: fc.constantFrom('cancelled', 'wrong office'),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'failure' as const }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('deadline' as const),
      agency: fc.constantFrom(...AGENCIES),
      roundShift: fc.constantFrom(-1, 0, 0, 1),
      policy: fc.constantFrom(...DEADLINE_POLICIES),
    }),
  },
);

const scenarioArb = fc.record({
  regime: fc.constantFrom('IMPORT' as const, 'EXPORT' as const, 'TRANSIT' as const),
  items: itemsArb,
  documents: documentsArb,
  policies: policiesArb,
  ops: fc.array(opArb, { minLength: 1, maxLength: 30 }),
});

function applyOp(state: ClearanceState, op: Op, policies: Record<string, AgencyPolicy>): Transition {
  switch (op.kind) {
    case 'decision':
      return applyDecision(state, decision(op.agency, op.outcome));
    case 'amendment':
      return applyAmendment(state, { items: op.items, documents: op.documents }, reroute, policies);
    case 'withdrawal':
      return applyWithdrawal(state, { reason: op.reason });
    case 'failure':
      if (isFinal(state)) return { state, effects: { startReviews: [], withdrawReviews: [], notices: [] } };
      return {
        state: { ...state, failed: true },
        effects: { startReviews: [], withdrawReviews: [], notices: [] },
      };
    case 'deadline': {
      const round = (stateOf(state, op.agency)?.round ?? 1) + op.roundShift;
      return applyDeadline(state, op.agency, round, op.policy, AT);
    }
  }
}

describe('properties of random operation sequences', () => {
  it('hold after every step', () => {
    fc.assert(
      fc.property(scenarioArb, ({ regime, items, documents, policies, ops }) => {
        const declaration = sampleDeclaration({
          declarationId: 'DEC-PROPERTY-0001',
          regime,
          items,
          documents,
        });
        let state = initialState(declaration, reroute(declaration), policies).state;
        let sequence = 1;
        for (const op of ops) {
          const before = state;
          const wasFinal = isFinal(before);
          const t = applyOp(before, op, policies);
          state = t.state;
          sequence++;

          // A final state is never left: transitions hand it back untouched and at most add notices.
          if (wasFinal) {
            expect(t.state).toBe(before);
            expect(t.effects.startReviews).toEqual([]);
            expect(t.effects.withdrawReviews).toEqual([]);
          }

          // The status lists exactly the agencies the current declaration routes to, each on its current items.
          const event = statusEvent(state, sequence, t.effects.notices);
          const routes = reroute(state.declaration);
          expect(Object.keys(event.agencies)).toEqual(routes.map((r) => r.agency));
          for (const r of routes) expect(stateOf(state, r.agency)?.lineNos).toEqual(r.lineNos);
          expect(validateStatusEvent({ ...event, at: AT }), JSON.stringify(validateStatusEvent.errors)).toBe(
            true,
          );
          expect(event.status).toBe(overallStatus(state));

          // One rejection leaves nothing open.
          const states = Object.values(event.agencies);
          if (states.includes('REJECTED')) {
            expect(states.filter((s) => OPEN.has(s))).toEqual([]);
            expect(event.status).toBe('REJECTED');
          }

          if (op.kind === 'decision') {
            const review = stateOf(before, op.agency);
            const awaiting = !wasFinal && (review?.state === 'PENDING' || review?.state === 'OVERDUE');
            if (!awaiting) {
              // Refused: nothing changes and the refusal is the only effect.
              expect(t.state).toBe(before);
              expect(t.effects.notices).toHaveLength(1);
              expect(t.effects.notices[0]?.agency).toBe(op.agency);
              expect(['DECLARATION_CLOSED', 'AGENCY_NOT_REQUIRED', 'NOT_PENDING']).toContain(
                t.effects.notices[0]?.code,
              );
            } else {
              expect(stateOf(state, op.agency)?.state).toBe(op.outcome);
              expect(state.decisions).toHaveLength(before.decisions.length + 1);
              // After a rejection every other open review is withdrawn, and its agency told.
              const expectedWithdrawn =
                op.outcome === 'REJECTED'
                  ? before.reviews
                      .filter((r) => r.agency !== op.agency && OPEN.has(r.state))
                      .map((r) => ({ agency: r.agency, round: r.round }))
                  : [];
              expect(t.effects.withdrawReviews.map(({ agency, round }) => ({ agency, round }))).toEqual(
                expectedWithdrawn,
              );
            }
          }

          // Rounds never go backwards, and a review that starts again is one round further.
          for (const review of state.reviews) {
            const previous = stateOf(before, review.agency);
            if (!previous) expect(review.round).toBe(1);
            else expect(review.round === previous.round || review.round === previous.round + 1).toBe(true);
            if (t.effects.startReviews.includes(review.agency)) expect(review.state).toBe('PENDING');
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Bounded output (issue 10): whatever the input, the status event fits the status schema
// ---------------------------------------------------------------------------------------------

describe('statusEvent stays within the status event schema', () => {
  const validEvent = (event: ReturnType<typeof statusEvent>) =>
    check(validateStatusEvent, { ...event, at: AT });
  const declaration = () => sampleDeclaration({ items: [item(1, '08044000'), item(2, '30049099')] });
  const codePoints = (text: string) => [...text].length;

  it('clips a notice with an arbitrarily long message (AGENCY_REVIEW_FAILED) to the status reason maxLength', () => {
    const state = { ...start(declaration()), failed: true };
    const long = `the HEALTH review failed: ${'connection refused; '.repeat(250)}`;
    expect(long.length).toBeGreaterThan(4900);
    const event = statusEvent(state, 7, [{ agency: 'HEALTH', code: 'AGENCY_REVIEW_FAILED', message: long }]);
    expect(validEvent(event)).toEqual(expect.objectContaining({ ok: true }));
    const notice = event.reasons.find((r) => r.code === 'AGENCY_REVIEW_FAILED')!;
    expect(notice.agency).toBe('HEALTH');
    expect(codePoints(notice.message)).toBe(2000);
    expect(notice.message.endsWith('…')).toBe(true);
    expect(long.startsWith(notice.message.slice(0, -1))).toBe(true);
  });

  it('never splits a surrogate pair when clipping (ajv counts code points)', () => {
    const state = start(declaration());
    const emoji = '🚢'.repeat(3000);
    const event = statusEvent(state, 3, [{ code: 'INVALID_INPUT', message: `x${emoji}` }]);
    expect(validEvent(event)).toEqual(expect.objectContaining({ ok: true }));
    const message = event.reasons[0]!.message;
    expect(codePoints(message)).toBe(2000);
    expect(message).toBe(`x${'🚢'.repeat(1998)}…`);
  });

  it('bounds the reasons list: agencies first, then notices, the last entry says how many were left out', () => {
    const d = sampleDeclaration({
      items: [item(1, '08044000'), item(2, '30049099'), item(3, '72085103')],
    });
    let state = start(d);
    for (const agency of ['CUSTOMS', 'ECONOMY', 'HEALTH', 'AGRICULTURE']) {
      state = applyDecision(state, {
        ...decision(agency, 'REQUEST_INFO'),
        reasons: Array.from({ length: 20 }, (_, i) => ({
          code: 'MISSING_DOCUMENT',
          message: `${agency} ${i}`,
        })),
      }).state;
    }
    const notices = Array.from({ length: 30 }, (_, i) => ({
      code: 'DUPLICATE_CONFLICT',
      message: `dup ${i}`,
    }));
    const event = statusEvent(state, 9, notices);
    expect(validEvent(event)).toEqual(expect.objectContaining({ ok: true }));
    expect(event.reasons).toHaveLength(100);
    expect(event.reasons.slice(0, 80).every((r) => r.agency !== undefined)).toBe(true);
    expect(event.reasons[80]).toEqual({ code: 'DUPLICATE_CONFLICT', message: 'dup 0' });
    expect(event.reasons[98]).toEqual({ code: 'DUPLICATE_CONFLICT', message: 'dup 18' });
    expect(event.reasons[99]).toEqual({
      code: 'DUPLICATE_CONFLICT',
      message: `and 11 more reasons: ${notices
        .slice(19)
        .map((n) => `DUPLICATE_CONFLICT: ${n.message}`)
        .join('; ')}`,
    });
  });

  it("bounds each decision's reasons, conditions and officer, and the reasons shown for it", () => {
    const state = applyDecision(start(declaration()), {
      agency: 'HEALTH',
      outcome: 'REJECTED',
      by: 'auto',
      officer: 'o'.repeat(100),
      at: AT,
      reasons: Array.from({ length: 21 }, (_, i) => ({
        code: 'ORIGIN_EMBARGOED',
        message: `${i} ${'x'.repeat(600)}`,
      })),
      conditions: Array.from({ length: 25 }, (_, i) => `condition ${i} ${'c'.repeat(600)}`),
    }).state;
    const event = statusEvent(state, 5, []);
    expect(validEvent(event)).toEqual(expect.objectContaining({ ok: true }));
    const recorded = event.decisions![0]!;
    expect(recorded.reasons).toHaveLength(20);
    expect(recorded.reasons[19]?.message).toMatch(/^and 2 more reasons: ORIGIN_EMBARGOED: 19 x+/);
    expect(recorded.conditions).toHaveLength(20);
    expect(recorded.conditions![19]).toMatch(/^and 6 more conditions: condition 19 c+/);
    expect(codePoints(recorded.officer!)).toBeLessThanOrEqual(64);
    expect(event.reasons.filter((r) => r.agency === 'HEALTH')).toHaveLength(21);
  });

  it('keeps the event unchanged for inputs already within bounds', () => {
    const state = decide(
      start(declaration()),
      { ...decision('CUSTOMS', 'APPROVED'), conditions: ['store below 8 °C'] },
      decision('HEALTH', 'REQUEST_INFO', 'MISSING_DOCUMENT'),
    );
    const notices = [
      {
        agency: 'AGRICULTURE',
        code: 'DEADLINE_ESCALATED',
        message: 'AGRICULTURE missed its deadline; escalated',
      },
    ];
    expect(statusEvent(state, 4, notices)).toEqual({
      declarationId: state.declaration.declarationId,
      sequence: 4,
      status: 'AWAITING_TRADER',
      agencies: { CUSTOMS: 'APPROVED', HEALTH: 'REQUEST_INFO', AGRICULTURE: 'PENDING' },
      reasons: [
        { agency: 'HEALTH', code: 'MISSING_DOCUMENT', message: 'HEALTH says REQUEST_INFO' },
        ...notices,
      ],
      decisions: state.decisions,
      // Whose it is and under which regime, so the archive can file it (design.md §11–12).
      traderTaxId: state.declaration.trader.taxId,
      regime: state.declaration.regime,
    });
  });

  it("a withdrawal reason that skipped intake's validation still makes a valid review-withdrawn", () => {
    const t = applyWithdrawal(start(declaration()), { reason: 'r'.repeat(3000) });
    for (const w of t.effects.withdrawReviews) {
      const message = sampleReviewWithdrawn({ agency: w.agency, round: w.round, reason: w.reason });
      expect(check(validateAgencyRequest, message)).toEqual(expect.objectContaining({ ok: true }));
    }
    expect(validEvent(statusEvent(t.state, 3, t.effects.notices))).toEqual(
      expect.objectContaining({ ok: true }),
    );
  });
});

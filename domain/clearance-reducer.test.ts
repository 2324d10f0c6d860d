import { describe, expect, it } from 'vitest';
import { loadRegistry } from '../runtime/registry.js';
import {
  sampleAgencyDecision,
  sampleAmendment,
  sampleDeclaration,
  sampleWithdrawal,
} from '../test/support/fixtures.js';
import { AUDIT_LIMITS } from './audit.js';
import { reduce, type ClearanceCommand, type ClearanceRules, type Step } from './clearance-reducer.js';
import { statusEvent, type ClearanceState, type DecisionInput } from './clearance-state.js';
import { ReasonCode } from './failures.js';
import { agencyPolicies, openingTransition } from './opening.js';
import { route } from './routing.js';

// The reducer owns the audit trail, idempotency and refusals: each command's step says what it
// writes and why it refuses, without a server.

const AT = '2026-12-01T10:00:00Z';
const registry = loadRegistry({ registryFile: undefined, agencyModes: {} });
const rules: ClearanceRules = { policies: agencyPolicies(registry), reroute: (d) => route(d, registry) };

function opened(): ClearanceState {
  return openingTransition(sampleDeclaration(), registry).state;
}

/** Runs commands as the workflow does: keeps each step's state and remembers its id. */
function run(state: ClearanceState, commands: ClearanceCommand[]): { state: ClearanceState; steps: Step[] } {
  const applied = new Set<string>();
  const steps: Step[] = [];
  for (const command of commands) {
    const step = reduce(state, applied, command, rules);
    if (step.remember) applied.add(step.remember);
    if (!step.duplicate && !step.unchanged) state = step.state;
    steps.push(step);
  }
  return { state, steps };
}

function officer(state: ClearanceState, agency: string, outcome: 'APPROVED' | 'REJECTED' = 'APPROVED') {
  const decision = sampleAgencyDecision({ declarationId: state.declaration.declarationId, agency, outcome });
  return { kind: 'officer-decision', decision } as const;
}

describe('clearance reducer: audit trail', () => {
  it('writes one entry per decision, attributed to the officer, with outcome and reasons', () => {
    const state = opened();
    const command = officer(state, 'AGRICULTURE', 'REJECTED');
    command.decision.reasons = [{ code: 'PEST_FOUND', message: 'fruit fly larvae in sample 3' }];
    const [step] = run(state, [command]).steps;
    expect(step!.audit).toEqual([
      {
        at: command.decision.at,
        type: 'decision',
        by: 'officer-17',
        agency: 'AGRICULTURE',
        detail: 'REJECTED (PEST_FOUND: fruit fly larvae in sample 3)',
      },
    ]);
    expect(step!.stopReviews).toEqual(['AGRICULTURE']);
    expect(step!.effects.withdrawReviews.map((w) => w.agency)).toEqual(['CUSTOMS']);
  });

  it("keeps an officer's signer with the decision, so status events (and the archive) carry it", () => {
    const state = opened();
    const signer = { rfc: 'OFI800101AB1', serial: '0a1b', fingerprint: 'f'.repeat(64) };
    const [step] = run(state, [{ ...officer(state, 'CUSTOMS'), signer }]).steps;
    expect(step!.state.decisions.at(-1)).toEqual(expect.objectContaining({ agency: 'CUSTOMS', signer }));
    expect(step!.audit[0]).toEqual(expect.objectContaining({ signer }));
    expect(statusEvent(step!.state, 3, []).decisions?.at(-1)?.signer).toEqual(signer);
    // An unsigned decision carries no signer at all, not an empty one.
    const [unsigned] = run(state, [officer(state, 'CUSTOMS')]).steps;
    expect(unsigned!.state.decisions.at(-1)).not.toHaveProperty('signer');
  });

  it('attributes automatic decisions to "auto" and ignores a stale round without an entry', () => {
    const state = opened();
    const decision: DecisionInput = {
      agency: 'CUSTOMS',
      outcome: 'APPROVED',
      reasons: [],
      by: 'auto',
      at: AT,
    };
    const { steps } = run(state, [
      { kind: 'review-decision', agency: 'CUSTOMS', round: 2, decision },
      { kind: 'review-decision', agency: 'CUSTOMS', round: 1, decision },
    ]);
    expect(steps[0]).toMatchObject({ unchanged: true, audit: [] });
    expect(steps[1]!.audit).toEqual([
      { at: AT, type: 'decision', by: 'auto', agency: 'CUSTOMS', detail: 'APPROVED' },
    ]);
  });

  it('records amendments with the agencies that review again, and withdrawals with their reason', () => {
    const state = opened();
    // More avocados: every agency that sees the items reviews again.
    const items = [{ ...state.declaration.items[0]!, quantity: 20_000 }];
    const amendment = sampleAmendment({ declarationId: state.declaration.declarationId, items });
    const withdrawal = sampleWithdrawal({
      declarationId: state.declaration.declarationId,
      withdrawalId: 'WDR-1',
    });
    const { steps } = run(state, [
      { kind: 'amendment', amendment, receivedAt: AT },
      { kind: 'withdrawal', withdrawal, receivedAt: AT },
    ]);
    expect(steps[0]!.audit).toEqual([
      {
        at: AT,
        type: 'amendment',
        by: 'trader',
        ref: amendment.amendmentId,
        detail: 'amended; review again: CUSTOMS, AGRICULTURE',
      },
    ]);
    expect(steps[0]!.amendmentId).toBe(amendment.amendmentId);
    expect(steps[1]!.audit).toEqual([
      { at: AT, type: 'withdrawal', by: 'trader', ref: 'WDR-1', detail: withdrawal.reason },
    ]);
  });

  it('records deadlines with their policy, duplicates, rejected inputs and the final failure', () => {
    const state = opened();
    const { steps } = run(state, [
      { kind: 'deadline', agency: 'AGRICULTURE', round: 1, at: AT },
      { kind: 'duplicate', receivedAt: AT, source: 'trade.declarations:0:7' },
      {
        kind: 'rejected-input',
        inputKind: 'amendment',
        receivedAt: AT,
        source: 'trade.declarations:0:8',
        messages: ['items: must have at least 1 item'],
      },
      { kind: 'failure', agency: 'CUSTOMS', message: 'adapter down', at: AT },
    ]);
    expect(steps.map((s) => s.audit.map((e) => [e.type, e.by, e.detail]))).toEqual([
      [['deadline', 'system', 'deadline passed; policy ESCALATE']],
      [['duplicate', 'trader', 'conflicting resubmission refused']],
      [['input-rejected', 'trader', 'items: must have at least 1 item']],
      [['failure', 'system', 'adapter down']],
    ]);
    expect(steps[1]!.effects.notices[0]!.code).toBe(ReasonCode.DuplicateConflict);
    expect(steps[2]!.effects.notices[0]).toMatchObject({
      code: ReasonCode.InvalidInput,
      message: 'amendment rejected: items: must have at least 1 item',
    });
  });

  it('bounds each entry, however long the input says it is', () => {
    const state = opened();
    const messages = Array.from(
      { length: 500 },
      (_, i) => `items/${i}/hsCode: must match pattern "^[0-9]{6,10}$"`,
    );
    const [step] = run(state, [
      { kind: 'rejected-input', inputKind: 'declaration', receivedAt: AT, source: 's', messages },
    ]).steps;
    expect(step!.audit[0]!.detail.length).toBeLessThanOrEqual(AUDIT_LIMITS.detailChars);
    expect(step!.audit[0]!.detail).toMatch(/characters in all\)$/);
  });

  it('writes nothing for a repeat', () => {
    const state = opened();
    const decide = officer(state, 'CUSTOMS');
    const amendment = sampleAmendment({ declarationId: state.declaration.declarationId });
    const { steps } = run(state, [
      decide,
      decide,
      { kind: 'amendment', amendment, receivedAt: AT },
      { kind: 'amendment', amendment, receivedAt: AT },
    ]);
    expect(steps.map((s) => [s.duplicate ?? false, s.audit.length])).toEqual([
      [false, 1],
      [true, 0],
      [false, 1],
      [true, 0],
    ]);
  });
});

describe('clearance reducer: refusals', () => {
  function closed(): ClearanceState {
    const state = opened();
    return run(state, [officer(state, 'CUSTOMS', 'REJECTED')]).state;
  }

  it('refuses an amendment of a closed declaration, typed, and records the refusal', () => {
    const state = closed();
    const amendment = sampleAmendment({ declarationId: state.declaration.declarationId });
    const [step] = run(state, [{ kind: 'amendment', amendment, receivedAt: AT }]).steps;
    expect(step!.refusal).toEqual({
      code: ReasonCode.DeclarationClosed,
      message: 'declaration is already REJECTED and cannot be amended',
    });
    expect(step!.audit).toMatchObject([{ type: 'refused', ref: amendment.amendmentId }]);
    expect(step!.state).toBe(state);
    expect(step!.remember).toBe(amendment.amendmentId);
    expect(step!.amendmentId).toBeUndefined();
  });

  it('refuses a withdrawal of a closed declaration; a second record without withdrawalId is refused too', () => {
    const state = closed();
    const withdrawal = sampleWithdrawal({ declarationId: state.declaration.declarationId });
    const { steps } = run(state, [
      { kind: 'withdrawal', withdrawal, receivedAt: AT, source: 'trade.declarations:0:1' },
      { kind: 'withdrawal', withdrawal, receivedAt: AT, source: 'trade.declarations:0:1' },
      { kind: 'withdrawal', withdrawal, receivedAt: AT, source: 'trade.declarations:0:2' },
    ]);
    expect(steps.map((s) => s.refusal?.code ?? (s.duplicate ? 'duplicate' : 'applied'))).toEqual([
      ReasonCode.DeclarationClosed,
      'duplicate',
      ReasonCode.DeclarationClosed,
    ]);
    expect(steps[0]!.audit[0]).toMatchObject({ type: 'refused', ref: 'trade.declarations:0:1' });
  });

  it('refuses a decision that cannot apply with a notice naming the agency', () => {
    const state = opened();
    const first = officer(state, 'CUSTOMS');
    const again = officer(state, 'CUSTOMS');
    const { steps } = run(state, [first, again]);
    expect(steps[1]!.effects.notices).toEqual([
      {
        agency: 'CUSTOMS',
        code: ReasonCode.NotPending,
        message: 'CUSTOMS is not awaiting a decision (it is APPROVED)',
      },
    ]);
  });

  it('marks the clearance failed when a review fails, naming the agency', () => {
    const state = opened();
    const [step] = run(state, [{ kind: 'review-failed', agency: 'CUSTOMS', message: 'adapter down' }]).steps;
    expect(step!.state.failed).toBe(true);
    expect(step!.failed).toEqual({ agency: 'CUSTOMS', message: 'adapter down' });
    expect(step!.effects.notices[0]).toMatchObject({
      agency: 'CUSTOMS',
      code: ReasonCode.AgencyReviewFailed,
    });
  });
});

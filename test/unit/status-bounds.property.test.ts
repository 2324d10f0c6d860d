// Issue 10: nothing we build may break our own schema. Over any valid declaration and any
// sequence of what can happen to it (automatic reviews by the real adapters through the review
// path, officers' decisions, amendments, withdrawal, deadlines, failures, notices of any length),
// every status event the reducer builds, once stamped as the publisher stamps it, validates; and
// so does every agency request and review-withdrawn message the transitions ask for.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AdapterDecision } from '../../activities/adapters/adapter.js';
import { BUILT_IN_ADAPTERS } from '../../activities/adapters/index.js';
import { decideAutomatically } from '../../activities/review.activity.js';
import { stampStatusEvents } from '../../domain/status-events.js';
import { loadRegistry } from '../../runtime/registry.js';
import { agencyDecisionSchema } from '../../schemas/agency-decision.schema.js';
import {
  conditions as conditionsSchema,
  DEADLINE_POLICIES,
  DOCUMENT_TYPES,
  documentRef,
  documents as documentsSchema,
  item as itemSchema,
  items as itemsSchema,
  OUTCOMES,
  reason as reasonSchema,
  reasons as reasonsSchema,
  REGIMES,
  trader as traderSchema,
} from '../../schemas/common.schema.js';
import { declarationSchema } from '../../schemas/declaration.schema.js';
import type {
  Declaration,
  DeadlinePolicy,
  DocumentRef,
  Item,
  Outcome,
  Reason,
  Registry,
} from '../../schemas/types.js';
import { check, validateAgencyRequest, validateDeclaration } from '../../schemas/validators.js';
import { withdrawalSchema } from '../../schemas/withdrawal.schema.js';
import { agencyView } from '../../domain/agency-view.js';
import {
  applyAmendment,
  applyDeadline,
  applyDecision,
  applyWithdrawal,
  initialState,
  isFinal,
  statusEvent,
  type AgencyPolicy,
  type ClearanceState,
  type StatusReason,
  type Transition,
} from '../../domain/clearance-state.js';
import { route } from '../../domain/routing.js';

const AT = '2026-03-14T10:00:00.000Z';
// Modest, so the unit suite stays fast; STATUS_BOUNDS_RUNS=1000 for a longer search.
const NUM_RUNS = Number(process.env.STATUS_BOUNDS_RUNS ?? 40);
const baseRegistry = loadRegistry({ registryFile: undefined, agencyModes: {} });
const AGENCIES = baseRegistry.agencies.map((a) => a.code);

// ---------------------------------------------------------------------------------------------
// Valid declarations at the schema's bounds
// ---------------------------------------------------------------------------------------------

/** A string the schema allows, at its maximum length (in code points) one time in three. */
function text(schema: { minLength?: number; maxLength: number }): fc.Arbitrary<string> {
  const min = schema.minLength ?? 0;
  const max = schema.maxLength;
  return fc.oneof(
    { weight: 4, arbitrary: fc.string({ minLength: Math.max(min, 1), maxLength: Math.min(max, 24) }) },
    { weight: 1, arbitrary: fc.constantFrom('x', 'é', '🚢', '中').map((c) => c.repeat(max)) },
    {
      weight: 1,
      // Any code points (astral ones too), repeated up to exactly the maximum: cheap to generate.
      arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 6 }).map((seed) => repeated(seed, max)),
    },
  );
}

const digits = (min: number, max: number) => fc.stringMatching(new RegExp(`^[0-9]{${min},${max}}$`));
// HS chapters that route to every agency (and the export-quota prefixes), plus any code at all.
const PREFIXES = ['01', '03', '08', '16', '30', '33', '52', '61', '72', '73', '1701', '7204'];
const hsCodeArb = (pool: readonly string[]) =>
  fc.oneof(
    {
      weight: 4,
      arbitrary: fc.tuple(fc.constantFrom(...pool), digits(4, 8)).map(([p, r]) => (p + r).slice(0, 10)),
    },
    { weight: 1, arbitrary: digits(6, 10) },
  );
const originArb = fc.oneof(
  { weight: 2, arbitrary: fc.constant('KP') },
  { weight: 3, arbitrary: fc.constantFrom('US', 'MX', 'CN', 'KR', 'IR') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Z]{2}$/) },
);
const p = itemSchema.properties;
const LINE_NOS = Array.from(
  { length: p.lineNo.maximum - p.lineNo.minimum + 1 },
  (_, i) => p.lineNo.minimum + i,
);

/** `seed` repeated up to exactly `length` code points. */
function repeated(seed: string, length: number): string {
  const points = Array.from(seed);
  return Array.from({ length }, (_, i) => points[i % points.length]).join('');
}

function itemArb(pool: readonly string[]): fc.Arbitrary<Item> {
  return fc.record({
    lineNo: fc.constant(1),
    hsCode: hsCodeArb(pool),
    description: text(p.description),
    originCountry: originArb,
    quantity: fc.oneof(fc.constant(1), fc.double({ min: 0.001, max: 1e9, noNaN: true })),
    unit: text(p.unit),
    value: fc.record({
      amount: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 1e12, noNaN: true })),
      currency: fc.constantFrom('USD', 'MXN', 'EUR'),
    }),
  });
}

/** 1–999 items with unique line numbers 1–999; few items usually, sometimes hundreds. */
const itemsArb: fc.Arbitrary<Item[]> = fc
  .tuple(
    fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 1, max: 12 }) },
      { weight: 1, arbitrary: fc.integer({ min: 13, max: itemsSchema.maxItems }) },
    ),
    fc.subarray(PREFIXES, { minLength: 1 }),
  )
  .chain(([n, pool]) =>
    fc
      .tuple(
        fc.shuffledSubarray(LINE_NOS, { minLength: n, maxLength: n }),
        fc.array(itemArb(pool), { minLength: n, maxLength: n }),
      )
      .map(([lineNos, items]) => items.map((item, i) => ({ ...item, lineNo: lineNos[i]! }))),
  );

const documentsArb: fc.Arbitrary<DocumentRef[]> = fc.array(
  fc.record({ type: fc.constantFrom(...DOCUMENT_TYPES), reference: text(documentRef.properties.reference) }),
  { maxLength: documentsSchema.maxItems },
);
const fewDocumentsArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .subarray([...DOCUMENT_TYPES])
      .map((types) => types.map((type) => ({ type, reference: `${type}-1` }))),
  },
  { weight: 1, arbitrary: documentsArb },
);

const declarationArb: fc.Arbitrary<Declaration> = fc.record({
  kind: fc.constant('declaration' as const),
  declarationId: fc.oneof(
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{7,20}$/),
    fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{63}$/),
  ),
  trader: fc.record({
    taxId: fc.constantFrom('AME970512KX3', 'GODE561231GR8', 'ÑAND010101AB1'),
    name: text(traderSchema.properties.name),
  }),
  regime: fc.constantFrom(...REGIMES),
  customsOffice: text(declarationSchema.properties.customsOffice),
  items: itemsArb,
  documents: fewDocumentsArb,
});

// ---------------------------------------------------------------------------------------------
// Registry variants, policies, and the operations
// ---------------------------------------------------------------------------------------------

/** The default registry, sometimes with a long embargo list (up to the schema's 250 countries). */
const registryArb: fc.Arbitrary<Registry> = fc
  .record({
    embargo: fc.oneof(
      fc.constant(baseRegistry.embargo.countries),
      fc
        .uniqueArray(fc.stringMatching(/^[A-Z]{2}$/), { maxLength: 250 })
        .map((list) => [...new Set(['KP', 'US', 'MX', 'CN', ...list])].slice(0, 250)),
    ),
    share: fc.constantFrom(0, 1),
    modes: fc.tuple(...AGENCIES.map(() => fc.constantFrom('auto' as const, 'queue' as const))),
    policies: fc.tuple(...AGENCIES.map(() => fc.constantFrom(...DEADLINE_POLICIES))),
  })
  .map(({ embargo, share, modes, policies }) => ({
    ...baseRegistry,
    agencies: baseRegistry.agencies.map((a, i) => ({ ...a, mode: modes[i]!, deadlinePolicy: policies[i]! })),
    embargo: { countries: embargo },
    inspection: { ...baseRegistry.inspection, share },
  }));

const codeArb = fc.oneof(
  fc.constantFrom('MISSING_DOCUMENT', 'QUOTA_EXHAUSTED', 'CHECKED'),
  fc.stringMatching(/^[A-Z][A-Z0-9_]{63}$/),
);
/** An officer's reasons as the decision schema allows them, often 20 of 500 code points. */
const officerReasonsArb: fc.Arbitrary<Reason[]> = fc.oneof(
  fc.array(fc.record({ code: codeArb, message: text(reasonSchema.properties.message) }), {
    maxLength: reasonsSchema.maxItems,
  }),
  fc.tuple(codeArb, fc.constantFrom('x', '🚢')).map(([code, c]) =>
    Array.from({ length: reasonsSchema.maxItems }, () => ({
      code,
      message: c.repeat(reasonSchema.properties.message.maxLength),
    })),
  ),
);
const officerConditionsArb = fc.option(
  fc.array(text(conditionsSchema.items), { maxLength: conditionsSchema.maxItems }),
  { nil: undefined },
);

/** Notices as the workflow raises them, with messages of any length. */
const longMessage = fc.oneof(
  fc.string({ minLength: 1, maxLength: 60 }),
  fc
    .tuple(fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }), fc.integer({ min: 1500, max: 6000 }))
    .map(([seed, n]) => repeated(seed, n)),
  fc.integer({ min: 1, max: 6000 }).map((n) => '🚢'.repeat(n)),
);
const noticeArb: fc.Arbitrary<StatusReason> = fc.record(
  {
    agency: fc.constantFrom(...AGENCIES),
    code: fc.constantFrom(
      'AGENCY_REVIEW_FAILED',
      'DUPLICATE_CONFLICT',
      'INVALID_INPUT',
      'INSPECTION_SELECTED',
    ),
    message: longMessage,
  },
  { requiredKeys: ['code', 'message'] },
);

type Op =
  | { kind: 'auto'; agency: string }
  | {
      kind: 'officer';
      agency: string;
      outcome: Outcome;
      reasons: Reason[];
      conditions?: string[];
      officer: string;
    }
  | { kind: 'amendment'; items?: Item[]; documents?: DocumentRef[] }
  | { kind: 'withdrawal'; reason: string }
  | { kind: 'deadline'; agency: string; roundShift: number; policy: DeadlinePolicy }
  | { kind: 'failure'; agency: string; message: string }
  | { kind: 'notices'; notices: StatusReason[] };

const agencyArb = fc.constantFrom(...AGENCIES);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('auto' as const), agency: agencyArb }) },
  {
    weight: 4,
    arbitrary: fc.record(
      {
        kind: fc.constant('officer' as const),
        agency: fc.constantFrom(...AGENCIES, 'DEFENSE'),
        outcome: fc.constantFrom(...OUTCOMES, 'APPROVED', 'REQUEST_INFO'),
        reasons: officerReasonsArb,
        conditions: officerConditionsArb,
        officer: text(agencyDecisionSchema.properties.officer),
      },
      { requiredKeys: ['kind', 'agency', 'outcome', 'reasons', 'officer'] },
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .record(
        {
          kind: fc.constant('amendment' as const),
          items: fc.option(itemsArb, { nil: undefined }),
          documents: fc.option(fewDocumentsArb, { nil: undefined }),
        },
        { requiredKeys: ['kind'] },
      )
      .filter((a) => a.items !== undefined || a.documents !== undefined),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('withdrawal' as const),
      reason: text(withdrawalSchema.properties.reason),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('deadline' as const),
      agency: agencyArb,
      roundShift: fc.constantFrom(-1, 0, 0, 1),
      policy: fc.constantFrom(...DEADLINE_POLICIES),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('failure' as const), agency: agencyArb, message: longMessage }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('notices' as const),
      notices: fc.oneof(
        fc.array(noticeArb, { minLength: 1, maxLength: 3 }),
        fc.array(noticeArb, { minLength: 90, maxLength: 150 }),
      ),
    }),
  },
);

// ---------------------------------------------------------------------------------------------
// The simulated workflow shell
// ---------------------------------------------------------------------------------------------

const policiesOf = (registry: Registry) =>
  Object.fromEntries(
    registry.agencies.map((a) => [
      a.code,
      { mode: a.mode, deadline: a.deadline, deadlinePolicy: a.deadlinePolicy, adapter: a.adapter },
    ]),
  ) as Record<string, AgencyPolicy & { adapter: string }>;

const noEffects = (): Transition['effects'] => ({ startReviews: [], withdrawReviews: [], notices: [] });

/** An automatic review as the workflow runs it: the agency's view, the registry's adapter, bounded. */
function automaticReview(
  state: ClearanceState,
  agency: string,
  registry: Registry,
  policies: ReturnType<typeof policiesOf>,
): Transition {
  const review = state.reviews.find((r) => r.agency === agency);
  const policy = policies[agency]!;
  if (!review) return { state, effects: noEffects() };
  const draft = agencyView(state.declaration, review, {
    round: review.round,
    deadlinePolicy: policy.deadlinePolicy,
  });
  const { inspection } = registry;
  const result: AdapterDecision = decideAutomatically(
    BUILT_IN_ADAPTERS[policy.adapter]!,
    {
      request: draft,
      adapter: policy.adapter,
      embargo: registry.embargo.countries,
      inspection:
        inspection.agency === agency ? { share: inspection.share, delay: inspection.delay } : undefined,
    },
    { riskKey: 'property-test-key' },
  );
  const t = applyDecision(state, { agency, by: 'auto', at: AT, ...result });
  if (!result.inspection) return t;
  const selected = {
    agency,
    code: 'INSPECTION_SELECTED',
    message: 'selected for physical inspection; clearance waits for it',
  };
  return { ...t, effects: { ...t.effects, notices: [selected, ...t.effects.notices] } };
}

function applyOp(
  state: ClearanceState,
  op: Op,
  registry: Registry,
  policies: ReturnType<typeof policiesOf>,
): Transition {
  const reroute = (d: Declaration) => route(d, registry);
  switch (op.kind) {
    case 'auto':
      return automaticReview(state, op.agency, registry, policies);
    case 'officer':
      return applyDecision(state, {
        agency: op.agency,
        outcome: op.outcome,
        reasons: op.reasons,
        by: 'officer',
        officer: op.officer,
        at: AT,
        conditions: op.conditions,
      });
    case 'amendment':
      return applyAmendment(state, { items: op.items, documents: op.documents }, reroute, policies);
    case 'withdrawal':
      return applyWithdrawal(state, { reason: op.reason });
    case 'deadline': {
      const round = (state.reviews.find((r) => r.agency === op.agency)?.round ?? 1) + op.roundShift;
      return applyDeadline(state, op.agency, round, op.policy, AT);
    }
    case 'failure':
      if (isFinal(state)) return { state, effects: noEffects() };
      return {
        state: { ...state, failed: true },
        effects: {
          ...noEffects(),
          notices: [
            {
              agency: op.agency,
              code: 'AGENCY_REVIEW_FAILED',
              message: `the ${op.agency} review failed: ${op.message}`,
            },
          ],
        },
      };
    case 'notices':
      return { state, effects: { ...noEffects(), notices: op.notices } };
  }
}

/** Every agency message a transition asks for must fit the agency-request schema too. */
function checkAgencyMessages(
  state: ClearanceState,
  t: Transition,
  policies: ReturnType<typeof policiesOf>,
): void {
  for (const w of t.effects.withdrawReviews) {
    const message = {
      kind: 'review-withdrawn' as const,
      at: AT,
      declarationId: state.declaration.declarationId,
      ...w,
    };
    const result = check(validateAgencyRequest, message);
    expect(result.ok, JSON.stringify(!result.ok && result.errors)).toBe(true);
  }
  for (const agency of t.effects.startReviews) {
    const review = t.state.reviews.find((r) => r.agency === agency)!;
    const draft = agencyView(t.state.declaration, review, {
      round: review.round,
      deadlinePolicy: policies[agency]!.deadlinePolicy,
    });
    const result = check(validateAgencyRequest, { ...draft, at: AT, deadline: AT });
    expect(result.ok, JSON.stringify(!result.ok && result.errors)).toBe(true);
  }
}

describe('status events stay within their schema (issue 10)', () => {
  it('for any valid declaration and any sequence of operations, every stamped status event validates', () => {
    let events = 0;
    let maxReasons = 0;
    let maxItems = 0;
    fc.assert(
      fc.property(
        declarationArb,
        registryArb,
        fc.array(opArb, { minLength: 1, maxLength: 25 }),
        (declaration, registry, ops) => {
          expect(validateDeclaration(declaration), JSON.stringify(validateDeclaration.errors)).toBe(true);
          maxItems = Math.max(maxItems, declaration.items.length);
          const policies = policiesOf(registry);
          const workflowId = `declaration-${declaration.declarationId}`;
          const opening = initialState(declaration, route(declaration, registry), policies);
          let state = opening.state;
          let sequence = 1;
          checkAgencyMessages(state, opening, policies);
          stampStatusEvents(
            [
              { ...statusEvent(state, sequence++, []), status: 'RECEIVED' },
              statusEvent(state, sequence++, []),
            ],
            AT,
            workflowId,
          );
          for (const op of ops) {
            if (op.kind === 'amendment') maxItems = Math.max(maxItems, op.items?.length ?? 0);
            const t = applyOp(state, op, registry, policies);
            state = t.state;
            checkAgencyMessages(state, t, policies);
            // Throws InvalidStatusEvent, naming every violation, when the event breaks its schema.
            const [event] = stampStatusEvents(
              [statusEvent(state, sequence++, t.effects.notices)],
              AT,
              workflowId,
            );
            events++;
            maxReasons = Math.max(maxReasons, event!.reasons.length);
          }
        },
      ),
      { numRuns: NUM_RUNS },
    );
    // The run reached the bounds it is meant to test.
    expect(events).toBeGreaterThan(NUM_RUNS);
    expect(maxReasons).toBe(100);
    expect(maxItems).toBeGreaterThan(100);
  });
});

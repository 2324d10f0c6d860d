// Type-level contract tests: `npx tsc --noEmit` fails here if a schema change alters a derived
// type. The firm parts of design.md §4–§5 are pinned literally on purpose.
import { describe, expectTypeOf, it } from 'vitest';
import { sampleDeclaration } from '../test/support/fixtures.js';
import type {
  AgencyDecision,
  AgencyRequest,
  AgencyState,
  Amendment,
  DeadLetterRecord,
  Declaration,
  DocumentRef,
  DocumentType,
  FieldError,
  Item,
  Outcome,
  OverallStatus,
  Reason,
  Regime,
  StatusEvent,
  TraderMessage,
  Withdrawal,
} from './types.js';
import {
  check,
  validateAgencyDecision,
  validateAgencyRequest,
  validateDeadLetter,
  validateDeclaration,
  validateStatusEvent,
  validateTraderMessage,
} from './validators.js';

type Equal<X, Y> = (<T>() => T extends X ? 1 : 2) extends <T>() => T extends Y ? 1 : 2 ? true : false;
type Expect<T extends true> = T;
type OptionalKeys<T> = { [K in keyof T]-?: object extends Pick<T, K> ? K : never }[keyof T];

export type Contract = [
  Expect<Equal<Declaration['regime'], 'IMPORT' | 'EXPORT' | 'TRANSIT'>>,
  Expect<Equal<Regime, Declaration['regime']>>,
  Expect<
    Equal<
      StatusEvent['status'],
      'RECEIVED' | 'IN_REVIEW' | 'AWAITING_TRADER' | 'CLEARED' | 'REJECTED' | 'WITHDRAWN' | 'FAILED'
    >
  >,
  Expect<Equal<OverallStatus, StatusEvent['status']>>,
  Expect<Equal<AgencyState, 'PENDING' | 'APPROVED' | 'REJECTED' | 'REQUEST_INFO' | 'WITHDRAWN' | 'OVERDUE'>>,
  Expect<Equal<StatusEvent['agencies'], Record<string, AgencyState>>>,
  Expect<Equal<Outcome, 'APPROVED' | 'REJECTED' | 'REQUEST_INFO'>>,
  Expect<Equal<AgencyDecision['outcome'], Outcome>>,
  Expect<
    Equal<
      DocumentType,
      | 'INVOICE'
      | 'CERTIFICATE_OF_ORIGIN'
      | 'PHYTOSANITARY_CERTIFICATE'
      | 'ZOOSANITARY_CERTIFICATE'
      | 'SANITARY_PERMIT'
      | 'IMPORT_PERMIT'
      | 'EXPORT_PERMIT'
      | 'OTHER'
    >
  >,
  Expect<Equal<TraderMessage['kind'], 'declaration' | 'amendment' | 'withdrawal'>>,
  Expect<Equal<TraderMessage, Declaration | Amendment | Withdrawal>>,
  Expect<Equal<AgencyRequest['kind'], 'review-request' | 'review-withdrawn'>>,
  Expect<
    Equal<
      Item,
      {
        lineNo: number;
        hsCode: string;
        description: string;
        originCountry: string;
        quantity: number;
        unit: string;
        value: { amount: number; currency: string };
      }
    >
  >,
  Expect<Equal<DocumentRef, { type: DocumentType; reference: string }>>,
  Expect<Equal<Reason, { code: string; message: string }>>,
  Expect<Equal<Declaration['trader'], { taxId: string; name: string }>>,
  Expect<
    Equal<
      keyof Declaration,
      | 'kind'
      | 'declarationId'
      | 'trader'
      | 'regime'
      | 'customsOffice'
      | 'items'
      | 'documents'
      | 'submittedAt'
      | 'signature'
    >
  >,
  Expect<Equal<OptionalKeys<Declaration>, 'submittedAt' | 'signature'>>,
  Expect<Equal<OptionalKeys<Withdrawal>, 'withdrawalId' | 'submittedAt'>>,
  Expect<Equal<OptionalKeys<AgencyDecision>, 'conditions'>>,
  Expect<
    Equal<OptionalKeys<StatusEvent>, 'decisions' | 'amendmentId' | 'workflowId' | 'traderTaxId' | 'regime'>
  >,
  Expect<Equal<NonNullable<StatusEvent['decisions']>[number]['by'], 'auto' | 'officer'>>,
  Expect<Equal<DeadLetterRecord['key'], string | null>>,
  Expect<Equal<DeadLetterRecord['errors'], FieldError[]>>,
  Expect<Equal<FieldError, { path: string; message: string }>>,
];

describe('derived types', () => {
  it('an amendment carries items, documents or both', () => {
    expectTypeOf<{
      kind: 'amendment';
      declarationId: string;
      amendmentId: string;
    }>().not.toExtend<Amendment>();
    expectTypeOf<{
      kind: 'amendment';
      declarationId: string;
      amendmentId: string;
      documents: DocumentRef[];
    }>().toExtend<Amendment>();
  });

  it('validators narrow unknown to the message type', () => {
    const input: unknown = sampleDeclaration();
    if (validateDeclaration(input)) expectTypeOf(input).toEqualTypeOf<Declaration>();
    if (validateTraderMessage(input)) expectTypeOf(input).toEqualTypeOf<TraderMessage>();
    if (validateAgencyDecision(input)) expectTypeOf(input).toEqualTypeOf<AgencyDecision>();
    if (validateAgencyRequest(input)) expectTypeOf(input).toEqualTypeOf<AgencyRequest>();
    if (validateStatusEvent(input)) expectTypeOf(input).toEqualTypeOf<StatusEvent>();
    if (validateDeadLetter(input)) expectTypeOf(input).toEqualTypeOf<DeadLetterRecord>();

    const result = check(validateTraderMessage, input);
    if (result.ok) expectTypeOf(result.value).toEqualTypeOf<TraderMessage>();
    else expectTypeOf(result.errors).toEqualTypeOf<FieldError[]>();
  });
});

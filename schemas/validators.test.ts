import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DOCUMENT_TYPES, PATTERNS, REGIMES } from './common.schema.js';
import {
  sampleAgencyDecision,
  sampleAmendment,
  sampleDeadLetter,
  sampleDeclaration,
  sampleReviewRequest,
  sampleReviewWithdrawn,
  sampleStatusEvent,
  sampleWithdrawal,
} from '../test/support/fixtures.js';
import { errorLines, formatErrors, MAX_FIELD_ERRORS, toJsPath } from './format-errors.js';
import { checkTraderMessage } from './trader-message-check.js';
import type { Declaration, FieldError, Item } from './types.js';
import {
  check,
  validateAgencyDecision,
  validateAgencyRequest,
  validateAmendment,
  validateDeadLetter,
  validateDeclaration,
  validateStatusEvent,
  validateTraderMessage,
  validateWithdrawal,
  type Validator,
} from './validators.js';

/** The errors a trader would get back, or [] when the data is valid. */
function errorsOf<T>(validate: Validator<T>, data: unknown): FieldError[] {
  const result = check(validate, data);
  return result.ok ? [] : result.errors;
}

/** The same as `path: message` lines, which read best in assertions. */
function problems<T>(validate: Validator<T>, data: unknown): string[] {
  return errorLines(errorsOf(validate, data));
}

const item = (overrides: Partial<Item> = {}): Item => ({ ...sampleDeclaration().items[0]!, ...overrides });

describe('valid messages pass', () => {
  it.each([
    ['declaration', validateDeclaration, sampleDeclaration()],
    [
      'declaration without optional fields',
      validateDeclaration,
      sampleDeclaration({ submittedAt: undefined }),
    ],
    ['declaration with no documents', validateDeclaration, sampleDeclaration({ documents: [] })],
    ['amendment with documents only', validateAmendment, sampleAmendment()],
    [
      'amendment with items only',
      validateAmendment,
      { ...sampleAmendment(), documents: undefined, items: [item()] },
    ],
    ['withdrawal', validateWithdrawal, sampleWithdrawal({ withdrawalId: 'WDR-0000001' })],
    ['agency decision', validateAgencyDecision, sampleAgencyDecision()],
    [
      'agency decision with reasons and conditions',
      validateAgencyDecision,
      sampleAgencyDecision({
        outcome: 'REQUEST_INFO',
        reasons: [{ code: 'MISSING_DOCUMENT', message: 'PHYTOSANITARY_CERTIFICATE is missing' }],
        conditions: ['Cold chain below 7 °C'],
      }),
    ],
    ['review request', validateAgencyRequest, sampleReviewRequest()],
    ['review withdrawn', validateAgencyRequest, sampleReviewWithdrawn()],
    ['status event', validateStatusEvent, sampleStatusEvent()],
    [
      'rejected-at-intake status event',
      validateStatusEvent,
      sampleStatusEvent({
        status: 'REJECTED',
        agencies: {},
        decisions: undefined,
        reasons: [{ code: 'INVALID_INPUT', message: 'items[0].hsCode: must be 6–10 digits, got "0804.40"' }],
      }),
    ],
    ['dead letter', validateDeadLetter, sampleDeadLetter()],
    [
      'dead letter with a key',
      validateDeadLetter,
      sampleDeadLetter({ key: 'DEC-1234567', declarationId: 'DEC-1234567' }),
    ],
  ] as [string, Validator<unknown>, unknown][])('%s', (_name, validate, data) => {
    expect(problems(validate, data)).toEqual([]);
  });

  it.each([sampleDeclaration(), sampleAmendment(), sampleWithdrawal()])(
    'the trader-message union accepts a $kind',
    (message) => {
      expect(problems(validateTraderMessage, message)).toEqual([]);
    },
  );

  it('accepts an RFC of a person (13 characters, with Ñ)', () => {
    const trader = { taxId: 'MUÑO800101AB1', name: 'Ana Muñoz' };
    expect(problems(validateDeclaration, sampleDeclaration({ trader }))).toEqual([]);
  });

  it('returns the same object as the typed value', () => {
    const declaration = sampleDeclaration();
    expect(check(validateTraderMessage, declaration)).toEqual({ ok: true, value: declaration });
  });
});

describe('invalid declarations are explained field by field', () => {
  it('rejects an hsCode with dots', () => {
    const declaration = sampleDeclaration({ items: [item(), item({ lineNo: 2, hsCode: '0804.40' })] });
    expect(problems(validateTraderMessage, declaration)).toEqual([
      'items[1].hsCode: must be 6–10 digits, got "0804.40"',
    ]);
  });

  it.each(['ABC12345678', 'ABCD1234567890'])(
    'rejects taxId %s with one message, not one per rule',
    (taxId) => {
      const declaration = sampleDeclaration({ trader: { taxId, name: 'X' } });
      expect(problems(validateDeclaration, declaration)).toEqual([
        `trader.taxId: must be an RFC of 12–13 characters: 3–4 letters, 6 digits (date), 3 letters or digits, got "${taxId}"`,
      ]);
    },
  );

  it('rejects unknown properties, at any depth', () => {
    const declaration = {
      ...sampleDeclaration({ items: [{ ...item(), colour: 'green' } as Item] }),
      urgent: true,
    };
    expect(problems(validateTraderMessage, declaration)).toEqual([
      'urgent: is not allowed here',
      'items[0].colour: is not allowed here',
    ]);
  });

  it('rejects 1000 items', () => {
    const items = Array.from({ length: 1000 }, (_, i) => item({ lineNo: (i % 999) + 1 }));
    expect(problems(validateDeclaration, sampleDeclaration({ items }))).toEqual([
      'items: must have at most 999 entries, got 1000',
    ]);
  });

  it('accepts exactly 999 items', () => {
    const items = Array.from({ length: 999 }, (_, i) => item({ lineNo: i + 1 }));
    expect(problems(validateDeclaration, sampleDeclaration({ items }))).toEqual([]);
  });

  it('rejects 0 items', () => {
    expect(problems(validateDeclaration, sampleDeclaration({ items: [] }))).toEqual([
      'items: must have at least 1 entry',
    ]);
  });

  it('reports missing fields with their full path', () => {
    const declaration = sampleDeclaration({ trader: { taxId: 'AME970512KX3' } as Declaration['trader'] });
    expect(problems(validateDeclaration, declaration)).toEqual(['trader.name: is required']);
  });

  it('rejects a document type outside the list, naming the allowed ones', () => {
    const declaration = sampleDeclaration({
      documents: [{ type: 'FACTURA', reference: 'F-1' } as unknown as Declaration['documents'][number]],
    });
    expect(problems(validateDeclaration, declaration)).toEqual([
      `documents[0].type: must be one of ${DOCUMENT_TYPES.map((t) => `"${t}"`).join(', ')}, got "FACTURA"`,
    ]);
  });

  it('rejects a date-time without a time zone', () => {
    const declaration = sampleDeclaration({ submittedAt: '2025-03-14 09:30' });
    expect(problems(validateDeclaration, declaration)).toEqual([
      'submittedAt: must be an RFC 3339 date-time such as "2025-03-14T09:30:00Z", got "2025-03-14 09:30"',
    ]);
  });

  it('reports every problem at once', () => {
    const declaration = sampleDeclaration({
      declarationId: 'short',
      regime: 'IMPORTS' as Declaration['regime'],
      items: [item({ originCountry: 'USA', quantity: 0, value: { amount: 10, currency: 'usd' } })],
    });
    expect(problems(validateDeclaration, declaration)).toEqual([
      'declarationId: must be 8–64 letters, digits, "_" or "-", starting with a letter or digit, got "short"',
      'regime: must be one of "IMPORT", "EXPORT", "TRANSIT", got "IMPORTS"',
      'items[0].originCountry: must be an ISO 3166-1 alpha-2 country code such as "MX", got "USA"',
      'items[0].quantity: must be greater than 0, got 0',
      'items[0].value.currency: must be an ISO 4217 currency code such as "USD", got "usd"',
    ]);
  });

  it('says what type was expected and what came', () => {
    expect(problems(validateTraderMessage, [])).toEqual(['(root): must be an object, got an array']);
    expect(
      problems(validateDeclaration, sampleDeclaration({ customsOffice: 240 as unknown as string })),
    ).toEqual(['customsOffice: must be a string, got a number (240)']);
  });

  it(`caps the list at ${MAX_FIELD_ERRORS} and says how many more there are`, () => {
    const items = Array.from({ length: 120 }, (_, i) => item({ lineNo: i + 1, hsCode: '0804.40' }));
    const errors = errorsOf(validateDeclaration, sampleDeclaration({ items }));
    expect(errors).toHaveLength(MAX_FIELD_ERRORS);
    expect(errors[0]).toEqual({ path: 'items[0].hsCode', message: 'must be 6–10 digits, got "0804.40"' });
    expect(errors.at(-1)).toEqual({ path: '(root)', message: '71 more problems not shown' });
  });
});

describe('numbers too large to represent (1e309 parses as Infinity)', () => {
  // JSON.parse turns 1e309 into Infinity (and -1e309 into -Infinity). ajv refuses both for
  // "number" and "integer"; the message must say why instead of "must be a number, got a number".
  /** A declaration as a trader would send it, with one number field written as `literal`. */
  function declarationText(field: 'quantity' | 'amount' | 'lineNo', literal: string): unknown {
    const text = JSON.stringify(sampleDeclaration()).replace(
      field === 'quantity' ? '"quantity":18000' : field === 'amount' ? '"amount":41400' : '"lineNo":1',
      `"${field}":${literal}`,
    );
    expect(text).toContain(literal);
    return JSON.parse(text) as unknown;
  }

  const TOO_LARGE = '(too large to represent, such as 1e309)';
  const TOO_SMALL = '(too large to represent, such as -1e309)';

  it.each([
    ['quantity', '1e309', `items[0].quantity: must be a finite number, got Infinity ${TOO_LARGE}`],
    ['quantity', '-1e309', `items[0].quantity: must be a finite number, got -Infinity ${TOO_SMALL}`],
    ['amount', '1e309', `items[0].value.amount: must be a finite number, got Infinity ${TOO_LARGE}`],
    ['amount', '-1E400', `items[0].value.amount: must be a finite number, got -Infinity ${TOO_SMALL}`],
    ['lineNo', '1e309', `items[0].lineNo: must be a finite integer, got Infinity ${TOO_LARGE}`],
  ] as const)('%s written as %s', (field, literal, expected) => {
    expect(problems(validateTraderMessage, declarationText(field, literal))).toEqual([expected]);
    expect(problems(validateDeclaration, declarationText(field, literal))).toEqual([expected]);
  });

  it('says the same in amendments, through the trader-message check intake uses', () => {
    const text = JSON.stringify({ ...sampleAmendment(), items: [item()] })
      .replace('"quantity":18000', '"quantity":1e309')
      .replace('"amount":41400', '"amount":-1e309');
    const result = checkTraderMessage(JSON.parse(text));
    expect(result.ok ? [] : errorLines(result.errors)).toEqual([
      `items[0].quantity: must be a finite number, got Infinity ${TOO_LARGE}`,
      `items[0].value.amount: must be a finite number, got -Infinity ${TOO_SMALL}`,
    ]);
  });

  it('names NaN without calling it too large', () => {
    expect(problems(validateDeclaration, sampleDeclaration({ items: [item({ quantity: NaN })] }))).toEqual([
      'items[0].quantity: must be a finite number, got NaN',
    ]);
  });

  it('covers the number fields of the other schemas too', () => {
    const request = sampleReviewRequest({ round: Infinity });
    expect(problems(validateAgencyRequest, request)).toEqual([
      'round: must be a finite integer, got Infinity (too large to represent, such as 1e309)',
    ]);
    const event = sampleStatusEvent({ sequence: -Infinity });
    expect(problems(validateStatusEvent, event)).toEqual([
      'sequence: must be a finite integer, got -Infinity (too large to represent, such as -1e309)',
    ]);
    const letter = sampleDeadLetter({ valueSize: Infinity });
    expect(problems(validateDeadLetter, letter)).toEqual([
      'valueSize: must be a finite integer, got Infinity (too large to represent, such as 1e309)',
    ]);
  });

  it('keeps the plain wording for a finite number of the wrong type, and for a huge finite one', () => {
    expect(
      problems(validateDeclaration, sampleDeclaration({ customsOffice: Infinity as unknown as string })),
    ).toEqual(['customsOffice: must be a string, got a number (Infinity)']);
    expect(problems(validateDeclaration, sampleDeclaration({ items: [item({ quantity: 1e308 })] }))).toEqual(
      [],
    );
  });

  it('never accepts a non-finite number anywhere a declaration has one', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('quantity', 'amount', 'lineNo'),
        fc.constantFrom(Infinity, -Infinity, NaN),
        (field, bad) => {
          const base = item();
          const broken =
            field === 'amount'
              ? { ...base, value: { ...base.value, amount: bad } }
              : { ...base, [field]: bad };
          const errors = errorsOf(validateTraderMessage, sampleDeclaration({ items: [broken] }));
          expect(errors).toHaveLength(1);
          expect(errors[0]?.message).toMatch(/^must be a finite (number|integer), got (-?Infinity|NaN)/);
        },
      ),
    );
  });
});

describe('the trader-message union', () => {
  it('gives one clear error for an unknown kind', () => {
    expect(problems(validateTraderMessage, { ...sampleDeclaration(), kind: 'declaracion' })).toEqual([
      'kind: must be one of "declaration", "amendment", "withdrawal", got "declaracion"',
    ]);
  });

  it('gives one clear error for a missing kind', () => {
    const { kind: _kind, ...noKind } = sampleDeclaration();
    expect(problems(validateTraderMessage, noKind)).toEqual([
      'kind: is required and must be one of "declaration", "amendment", "withdrawal"',
    ]);
  });

  it('validates only the branch that kind names', () => {
    expect(problems(validateTraderMessage, { kind: 'withdrawal', declarationId: 'DEC-1234567' })).toEqual([
      'reason: is required',
    ]);
  });

  it('rejects an amendment with neither items nor documents', () => {
    const { documents: _documents, ...empty } = sampleAmendment();
    expect(problems(validateTraderMessage, empty)).toEqual([
      '(root): must include at least one of: items, documents',
    ]);
  });
});

describe('other messages', () => {
  it('rejects a decision with an unknown outcome', () => {
    const decision = sampleAgencyDecision({ outcome: 'APPROVE' as 'APPROVED' });
    expect(problems(validateAgencyDecision, decision)).toEqual([
      'outcome: must be one of "APPROVED", "REJECTED", "REQUEST_INFO", got "APPROVE"',
    ]);
  });

  it('rejects a decision with a lower-case agency and a bad reason code', () => {
    const decision = sampleAgencyDecision({
      agency: 'health',
      reasons: [{ code: 'missing doc', message: 'x' }],
    });
    expect(problems(validateAgencyDecision, decision)).toEqual([
      'agency: must be an agency code in capitals such as "HEALTH", got "health"',
      'reasons[0].code: must be a code in capitals such as "MISSING_DOCUMENT", got "missing doc"',
    ]);
  });

  it('rejects a status event with a bad agency key or state', () => {
    const event = sampleStatusEvent({ agencies: { health: 'APPROVED', CUSTOMS: 'DONE' as 'APPROVED' } });
    expect(problems(validateStatusEvent, event)).toEqual([
      'agencies.health: key must be an agency code in capitals such as "HEALTH", got "health"',
      'agencies.CUSTOMS: must be one of "PENDING", "APPROVED", "REJECTED", "REQUEST_INFO", "WITHDRAWN", "OVERDUE", got "DONE"',
    ]);
  });

  it('rejects a review request with an unknown deadline policy', () => {
    const request = sampleReviewRequest({ deadlinePolicy: 'IGNORE' as 'ESCALATE' });
    expect(problems(validateAgencyRequest, request)).toEqual([
      'deadlinePolicy: must be one of "ESCALATE", "AUTO_APPROVE", "AUTO_REJECT", got "IGNORE"',
    ]);
  });

  it('rejects a dead letter whose key is neither a string nor null', () => {
    const record = sampleDeadLetter({ key: 7 as unknown as string });
    expect(problems(validateDeadLetter, record)).toEqual(['key: must be a string or null, got a number (7)']);
  });

  it('dead-letters its own validation errors in a shape its schema accepts', () => {
    const errors = errorsOf(validateTraderMessage, { kind: 'nope' });
    expect(errors).toHaveLength(1);
    expect(problems(validateDeadLetter, sampleDeadLetter({ errors }))).toEqual([]);
  });
});

describe('formatErrors', () => {
  it('turns JSON pointers into JS paths', () => {
    expect(toJsPath('')).toBe('(root)');
    expect(toJsPath('/items/3/hsCode')).toBe('items[3].hsCode');
    expect(toJsPath('/headers/a~1b~0c')).toBe('headers["a/b~c"]');
    expect(toJsPath('/agencies/CUSTOMS')).toBe('agencies.CUSTOMS');
  });

  it('treats no errors as an empty list', () => {
    expect(formatErrors(null)).toEqual([]);
    expect(formatErrors(undefined)).toEqual([]);
  });

  it('keeps paths short even for absurd property names', () => {
    const errors = errorsOf(validateWithdrawal, { ...sampleWithdrawal(), ['x'.repeat(10_000)]: 1 });
    expect(errors).toHaveLength(1);
    expect(errors[0]?.path.length).toBeLessThan(80);
  });
});

describe('properties', () => {
  const idArb = fc.stringMatching(new RegExp(PATTERNS.id));
  const itemArb = fc.record({
    lineNo: fc.integer({ min: 1, max: 999 }),
    hsCode: fc.stringMatching(new RegExp(PATTERNS.hsCode)),
    description: fc.string({ unit: 'binary', minLength: 1, maxLength: 512 }),
    originCountry: fc.stringMatching(new RegExp(PATTERNS.country)),
    quantity: fc.double({ min: Number.MIN_VALUE, max: 1e12, noNaN: true }),
    unit: fc.string({ minLength: 1, maxLength: 16 }),
    value: fc.record({
      amount: fc.double({ min: 0, max: 1e12, noNaN: true }),
      currency: fc.stringMatching(new RegExp(PATTERNS.currency)),
    }),
  });
  const declarationArb: fc.Arbitrary<Declaration> = fc.record(
    {
      kind: fc.constant('declaration' as const),
      declarationId: idArb,
      trader: fc.record({
        taxId: fc.stringMatching(new RegExp(PATTERNS.taxId)),
        name: fc.string({ minLength: 1, maxLength: 256 }),
      }),
      regime: fc.constantFrom(...REGIMES),
      customsOffice: fc.string({ minLength: 1, maxLength: 64 }),
      items: fc.array(itemArb, { minLength: 1, maxLength: 20 }),
      documents: fc.array(
        fc.record({
          type: fc.constantFrom(...DOCUMENT_TYPES),
          reference: fc.string({ minLength: 1, maxLength: 128 }),
        }),
        { maxLength: 50 },
      ),
      submittedAt: fc
        .date({
          min: new Date('2000-01-01T00:00:00Z'),
          max: new Date('2100-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
      signature: fc.base64String({ minLength: 4, maxLength: 8192 }),
    },
    { requiredKeys: ['kind', 'declarationId', 'trader', 'regime', 'customsOffice', 'items', 'documents'] },
  );

  it('every generated declaration validates, alone and as a trader message', () => {
    fc.assert(
      fc.property(declarationArb, (declaration) => {
        expect(problems(validateDeclaration, declaration)).toEqual([]);
        expect(problems(validateTraderMessage, declaration)).toEqual([]);
      }),
      { numRuns: 200 },
    );
  });

  it('an hsCode with a dot always fails, at that item’s hsCode', () => {
    fc.assert(
      fc.property(declarationArb, fc.nat(), fc.nat(), (declaration, pick, cut) => {
        const index = pick % declaration.items.length;
        const target = declaration.items[index]!;
        const at = cut % (target.hsCode.length + 1);
        const hsCode = `${target.hsCode.slice(0, at)}.${target.hsCode.slice(at)}`;
        const items = declaration.items.map((it, i) => (i === index ? { ...it, hsCode } : it));

        const errors = errorsOf(validateTraderMessage, { ...declaration, items });
        expect(errors.map((e) => e.path)).toEqual([`items[${index}].hsCode`]);
        expect(errors[0]?.path.endsWith('.hsCode')).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

import { describe, expect, it } from 'vitest';
import { sampleAmendment, sampleDeclaration, sampleWithdrawal } from '../test/support/fixtures.js';
import { contentHash } from '../domain/canonical-json.js';
import { traderMessageKindSchemas } from '../schemas/trader-message.schema.js';
import { MAX_MESSAGE_BYTES, parseTraderMessage, type Parsed } from './intake-parse.js';

const bytes = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');

function failure(parsed: Parsed): Exclude<Parsed, { ok: true }> {
  if (parsed.ok) throw new Error(`expected a failure, got ${JSON.stringify(parsed.message)}`);
  return parsed;
}

const lines = (parsed: Parsed) => failure(parsed).errors.map((e) => `${e.path}: ${e.message}`);

describe('parseTraderMessage: inputs that are not messages', () => {
  it.each([
    ['an empty buffer', Buffer.alloc(0)],
    ['a null value (tombstone)', null],
  ])('refuses %s as INVALID_JSON saying it is empty', (_name, value) => {
    const parsed = failure(parseTraderMessage(value));
    expect(parsed.reason).toBe('INVALID_JSON');
    expect(parsed.errors).toEqual([{ path: '(root)', message: 'the message is empty' }]);
    expect(parsed.declarationId).toBeUndefined();
  });

  it('refuses more than 1 MiB as TOO_LARGE without decoding or parsing it', () => {
    expect(MAX_MESSAGE_BYTES).toBe(1_048_576);
    // Invalid UTF-8 throughout: had it been decoded, the reason would be INVALID_ENCODING.
    const parsed = failure(parseTraderMessage(Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0xff)));
    expect(parsed.reason).toBe('TOO_LARGE');
    expect(parsed.errors).toEqual([
      { path: '(root)', message: 'the message is 1048577 bytes; the limit is 1048576 (1 MiB)' },
    ]);
  });

  it('accepts a valid message of exactly 1 MiB and refuses it one byte longer', () => {
    const declaration = sampleDeclaration();
    const json = JSON.stringify(declaration);
    const padded = (size: number) => Buffer.from(json + ' '.repeat(size - Buffer.byteLength(json)), 'utf8');
    const atLimit = parseTraderMessage(padded(MAX_MESSAGE_BYTES));
    expect(atLimit).toEqual({ ok: true, message: declaration });
    expect(failure(parseTraderMessage(padded(MAX_MESSAGE_BYTES + 1))).reason).toBe('TOO_LARGE');
  });

  it.each([
    ['a stray 0xff byte', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x7d])],
    ['an overlong encoding of "/"', Buffer.from([0x22, 0xc0, 0xaf, 0x22])],
    ['a truncated multi-byte character', Buffer.concat([Buffer.from('{"name":"Ñ'), Buffer.from([0xc3])])],
    ['Latin-1 text', Buffer.from('{"name":"Compañía"}', 'latin1')],
  ])('refuses %s as INVALID_ENCODING', (_name, value) => {
    const parsed = failure(parseTraderMessage(value));
    expect(parsed.reason).toBe('INVALID_ENCODING');
    expect(parsed.errors).toEqual([{ path: '(root)', message: 'the message is not valid UTF-8' }]);
  });

  it.each(['{"kind":"declaration",', 'not json', "{'kind':'declaration'}", '{"kind":"withdrawal"}}'])(
    'refuses %j as INVALID_JSON',
    (text) => {
      const parsed = failure(parseTraderMessage(bytes(text)));
      expect(parsed.reason).toBe('INVALID_JSON');
      expect(parsed.errors).toHaveLength(1);
      expect(parsed.errors[0]?.path).toBe('(root)');
      expect(parsed.errors[0]?.message).toMatch(/^not valid JSON: /);
    },
  );
});

describe('parseTraderMessage: kind and schema', () => {
  it('refuses an unknown kind as UNKNOWN_KIND, naming the kinds it knows', () => {
    const parsed = failure(
      parseTraderMessage(
        bytes({ ...sampleDeclaration({ declarationId: 'DEC-20250314-0001' }), kind: 'declaracion' }),
      ),
    );
    expect(parsed.reason).toBe('UNKNOWN_KIND');
    expect(parsed.kind).toBeUndefined();
    expect(parsed.declarationId).toBe('DEC-20250314-0001');
    expect(lines(parsed)).toEqual([
      'kind: must be one of "declaration", "amendment", "withdrawal", got "declaracion"',
    ]);
  });

  it('refuses a message without kind as UNKNOWN_KIND', () => {
    const { kind: _kind, ...withoutKind } = sampleWithdrawal();
    const parsed = failure(parseTraderMessage(bytes(withoutKind)));
    expect(parsed.reason).toBe('UNKNOWN_KIND');
    expect(lines(parsed)).toEqual([
      'kind: is required and must be one of "declaration", "amendment", "withdrawal"',
    ]);
  });

  it.each(['declaration', 'amendment', 'withdrawal'])(
    'knows the kind %s from the schema: a broken one is a SCHEMA_VIOLATION of that kind',
    (kind) => {
      const parsed = failure(parseTraderMessage(bytes({ kind, declarationId: 'DEC-20250314-0003' })));
      expect(parsed.reason).toBe('SCHEMA_VIOLATION');
      expect(parsed.kind).toBe(kind);
    },
  );

  it('reads its kinds from the schema, every branch of it', () => {
    const kinds = traderMessageKindSchemas.map((s) => s.properties.kind.const);
    expect(kinds).toEqual(['declaration', 'amendment', 'withdrawal']);
    for (const kind of kinds) expect(failure(parseTraderMessage(bytes({ kind }))).kind).toBe(kind);
  });

  it('refuses a schema violation with readable errors and still reads a well-formed declarationId', () => {
    const declaration = sampleDeclaration({ declarationId: 'DEC-20250314-0002' });
    const { customsOffice: _office, ...rest } = declaration;
    const broken = { ...rest, items: [{ ...declaration.items[0]!, hsCode: '0804.40' }], colour: 'green' };
    const parsed = failure(parseTraderMessage(bytes(broken)));
    expect(parsed.reason).toBe('SCHEMA_VIOLATION');
    expect(parsed.kind).toBe('declaration');
    expect(parsed.declarationId).toBe('DEC-20250314-0002');
    expect(lines(parsed).sort()).toEqual(
      [
        'customsOffice: is required',
        'colour: is not allowed here',
        'items[0].hsCode: must be 6–10 digits, got "0804.40"',
      ].sort(),
    );
  });

  it.each([
    ['too short', 'DEC-1'],
    ['with a space', 'DEC 2025 0314'],
    ['starting with "-"', '-DEC-20250314'],
  ])('does not read a malformed declarationId (%s)', (_name, declarationId) => {
    const parsed = failure(parseTraderMessage(bytes(sampleWithdrawal({ declarationId }))));
    expect(parsed.reason).toBe('SCHEMA_VIOLATION');
    expect(parsed.kind).toBe('withdrawal');
    expect(parsed.declarationId).toBeUndefined();
    expect(lines(parsed)).toEqual([
      `declarationId: must be 8–64 letters, digits, "_" or "-", starting with a letter or digit, got "${declarationId}"`,
    ]);
  });

  it('does not read a declarationId that is not a string', () => {
    const parsed = failure(parseTraderMessage(bytes({ ...sampleWithdrawal(), declarationId: 12345678 })));
    expect(parsed.declarationId).toBeUndefined();
    expect(parsed.reason).toBe('SCHEMA_VIOLATION');
  });

  it('refuses an amendment that changes nothing', () => {
    const { documents: _documents, ...empty } = sampleAmendment();
    const parsed = failure(parseTraderMessage(bytes(empty)));
    expect(parsed.reason).toBe('SCHEMA_VIOLATION');
    expect(parsed.kind).toBe('amendment');
    expect(lines(parsed)).toEqual(['(root): must include at least one of: items, documents']);
  });

  it.each([
    ['declaration', sampleDeclaration()],
    [
      'declaration with non-ASCII text',
      sampleDeclaration({ trader: { taxId: 'ÑAÑ970512KX3', name: 'Compañía Agrícola del Bajío' } }),
    ],
    ['amendment', sampleAmendment()],
    ['withdrawal', sampleWithdrawal({ withdrawalId: 'WDR-00000001' })],
  ])('parses a valid %s', (_name, message) => {
    expect(parseTraderMessage(bytes(message))).toEqual({ ok: true, message });
  });
});

describe('contentHash', () => {
  it('is the same for the same content with keys in another order, at every depth', () => {
    const declaration = sampleDeclaration();
    const reordered = Object.fromEntries(
      Object.entries({
        ...declaration,
        items: declaration.items.map((i) => Object.fromEntries(Object.entries(i).reverse())),
      }).reverse(),
    );
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(declaration));
    expect(contentHash(reordered)).toBe(contentHash(declaration));
    expect(contentHash(declaration)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('survives a round trip through the wire', () => {
    const declaration = sampleDeclaration();
    const parsed = parseTraderMessage(bytes(declaration));
    expect(parsed.ok && contentHash(parsed.message)).toBe(contentHash(declaration));
  });

  it.each([
    [
      'another quantity',
      (d: ReturnType<typeof sampleDeclaration>) => ({ ...d, items: [{ ...d.items[0]!, quantity: 18001 }] }),
    ],
    [
      'documents in another order',
      (d: ReturnType<typeof sampleDeclaration>) => ({ ...d, documents: [...d.documents].reverse() }),
    ],
    ['one field fewer', (d: ReturnType<typeof sampleDeclaration>) => ({ ...d, submittedAt: undefined })],
    ['a number as a string', (d: ReturnType<typeof sampleDeclaration>) => ({ ...d, customsOffice: 240 })],
  ])('differs for different content: %s', (_name, change) => {
    const declaration = sampleDeclaration();
    const changed = JSON.parse(JSON.stringify(change(declaration))) as unknown;
    expect(contentHash(changed)).not.toBe(contentHash(declaration));
  });
});

describe('business rules beyond the schema', () => {
  it('rejects a declaration that uses one line number twice, naming the repeated line', () => {
    const declaration = sampleDeclaration();
    const items = [
      declaration.items[0]!,
      { ...declaration.items[0]!, hsCode: '84713000', description: 'laptop' },
    ];
    const parsed = parseTraderMessage(Buffer.from(JSON.stringify({ ...declaration, items })));
    expect(parsed).toMatchObject({
      ok: false,
      reason: 'SCHEMA_VIOLATION',
      declarationId: declaration.declarationId,
      errors: [
        {
          path: 'items[1].lineNo',
          message: 'line 1 is already used by items[0]; line numbers must be unique',
        },
      ],
    });
  });
});

describe('parseTraderMessage: the record key (issue 10, defect 4)', () => {
  const id = 'AVO-2026-000042';
  const key = Buffer.from(id);

  it.each([
    ['an empty value', Buffer.alloc(0), 'INVALID_JSON'],
    ['a tombstone', null, 'INVALID_JSON'],
    ['non-object JSON', bytes('[1, 2, 3]'), 'UNKNOWN_KIND'],
    ['a JSON string', bytes('"hello"'), 'UNKNOWN_KIND'],
    ['invalid UTF-8 without an id inside', Buffer.from([0x7b, 0xff, 0x7d]), 'INVALID_ENCODING'],
    ['a value over 1 MiB', Buffer.alloc(MAX_MESSAGE_BYTES + 1, 0x20), 'TOO_LARGE'],
  ])('reads the declarationId from the key of %s', (_name, value, reason) => {
    const parsed = failure(parseTraderMessage(value, key));
    expect(parsed.reason).toBe(reason);
    expect(parsed.declarationId).toBe(id);
  });

  it('reads the declarationId inside a value that is not valid UTF-8', () => {
    const text = JSON.stringify(sampleWithdrawal({ declarationId: id, reason: 'Compañía' }));
    const latin1 = Buffer.from(text, 'latin1');
    const parsed = failure(parseTraderMessage(latin1, null));
    expect(parsed.reason).toBe('INVALID_ENCODING');
    expect(parsed.declarationId).toBe(id);
  });

  it('reads the declarationId inside a value over 1 MiB', () => {
    const declaration = sampleDeclaration({ declarationId: id });
    const json = JSON.stringify(declaration);
    const big = Buffer.from(json.slice(0, -1) + ' '.repeat(MAX_MESSAGE_BYTES) + '}');
    const parsed = failure(parseTraderMessage(big, null));
    expect(parsed.reason).toBe('TOO_LARGE');
    expect(parsed.declarationId).toBe(id);
  });

  it('does not take a key that is not a declarationId', () => {
    expect(failure(parseTraderMessage(null, Buffer.alloc(700_000, 0xff))).declarationId).toBeUndefined();
    expect(failure(parseTraderMessage(null, Buffer.from('short'))).declarationId).toBeUndefined();
  });

  it('accepts a message keyed by its declarationId', () => {
    const message = sampleDeclaration({ declarationId: id });
    expect(parseTraderMessage(bytes(message), key)).toEqual({ ok: true, message });
  });

  it.each([
    ['another declarationId', Buffer.from('AVO-2026-999999'), 'the record key "AVO-2026-999999"'],
    ['no key', null, 'the record has no key'],
    ['a hostile key', Buffer.alloc(700_000, 0xff), '(700000 bytes, shown cut)'],
  ])('refuses a valid message keyed by %s as KEY_MISMATCH', (_name, recordKey, says) => {
    const parsed = failure(parseTraderMessage(bytes(sampleWithdrawal({ declarationId: id })), recordKey));
    expect(parsed.reason).toBe('KEY_MISMATCH');
    expect(parsed.declarationId).toBe(id);
    expect(parsed.kind).toBe('withdrawal');
    expect(lines(parsed)).toHaveLength(1);
    expect(lines(parsed)[0]).toContain(says);
    expect(lines(parsed)[0]).toContain(
      `not the declarationId "${id}"; key every message by its declarationId`,
    );
  });

  it('refuses a value whose declarationId field appears twice, the last differing from the key', () => {
    const text = JSON.stringify(sampleDeclaration({ declarationId: id })).replace(
      /}$/,
      ',"declarationId":"AVO-2026-666666"}',
    );
    const parsed = failure(parseTraderMessage(bytes(text), key));
    expect(parsed.reason).toBe('KEY_MISMATCH');
    expect(parsed.declarationId).toBe('AVO-2026-666666');
  });
});

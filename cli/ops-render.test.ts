import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DeadLetterRecord } from '../schemas/types.js';
import {
  decodeValue,
  parseDeadLetterRecord,
  replayMessage,
  summarize,
  type StoredDeadLetter,
} from '../ops/dead-letter-store.js';
import { SHOWN_AS_TEXT } from '../ops/stored-json.js';
import { CliError } from './cli-error.js';
import { CliContext } from './cli-context.js';
import { deadLetterDocument, renderDeadLetter, renderDeadLetters, renderDlqReplay } from './ops-render.js';

// Every path that prints a dead letter's stored input, human and --json, with inputs that make
// JSON.stringify overflow the stack: JSON nested 100,000 levels deep.

const DEPTH = 100_000;
const deepArrays = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
const deepObjects = '{"a":'.repeat(DEPTH) + '1' + '}'.repeat(DEPTH);

function letter(value: string, extra: Partial<DeadLetterRecord> = {}): StoredDeadLetter {
  const bytes = Buffer.from(value);
  return {
    dlqRef: 'trade.deadletter:0:7',
    record: {
      ref: 'trade.declarations:3:41',
      at: '2026-05-01T10:00:00.000Z',
      source: { topic: 'trade.declarations', partition: 3, offset: '41' },
      key: null,
      headers: {},
      valueBase64: bytes.toString('base64'),
      valueSize: bytes.length,
      reason: 'UNKNOWN_KIND',
      errors: [{ path: '(root)', message: 'must be an object, got an array' }],
      ...extra,
    },
  };
}

/** What `ctx.print` writes to stdout in --json mode (or in human mode, with json: false). */
function printed(json: boolean, value: unknown, human: () => string): string {
  const log = vi.spyOn(console, 'log').mockImplementation(() => undefined);
  try {
    new CliContext({ json }).print(value, human);
    return log.mock.calls.map((c) => String(c[0])).join('\n');
  } finally {
    log.mockRestore();
  }
}

afterEach(() => vi.restoreAllMocks());

describe.each([
  ['nested arrays', deepArrays],
  ['nested objects', deepObjects],
])('a dead letter whose value is JSON 100,000 levels deep (%s)', (_, deep) => {
  const stored = letter(deep);

  it('ops dlq show: the value as text, with the note', () => {
    const value = decodeValue(stored.record);
    expect(value.json).toBeUndefined();
    expect(value.note).toBe(SHOWN_AS_TEXT.deep);
    const human = printed(false, deadLetterDocument(stored, value, 1), () =>
      renderDeadLetter(stored, value, 1),
    );
    expect(human).toContain(`note          ${SHOWN_AS_TEXT.deep}`);
    expect(human).toContain(`  value (${deep.length} bytes, text)`);
    expect(human).toContain(`    ${deep}`);
  });

  it('ops dlq show --json: the value as a string, with the note', () => {
    const value = decodeValue(stored.record);
    const out = JSON.parse(
      printed(true, deadLetterDocument(stored, value, 1), () => renderDeadLetter(stored, value, 1)),
    ) as Record<string, unknown>;
    expect(out.value).toBe(deep);
    expect(out.valueNote).toBe(SHOWN_AS_TEXT.deep);
    expect(out.valueBase64).toBe(stored.record.valueBase64);
    expect(out.ref).toBe('trade.declarations:3:41');
  });

  it('ops dlq list, human and --json', () => {
    const summaries = summarize([stored]);
    const human = printed(false, { count: 1, deadLetters: summaries }, () =>
      renderDeadLetters(summaries, 'trade.deadletter'),
    );
    expect(human).toContain('trade.declarations:3:41');
    expect(human).toContain('(root): must be an object, got an array');
    const json = JSON.parse(
      printed(true, { count: 1, deadLetters: summaries }, () => renderDeadLetters(summaries, 'x')),
    ) as { deadLetters: unknown[] };
    expect(json.deadLetters).toEqual([expect.objectContaining({ ref: 'trade.declarations:3:41' })]);
  });

  it('ops dlq replay sends the bytes as they were, and reports it, human and --json', () => {
    expect(replayMessage(stored.record).value.toString()).toBe(deep);
    const sent = [{ ref: stored.record.ref, reason: stored.record.reason }];
    expect(printed(false, sent, () => renderDlqReplay(sent, 'trade.declarations', true))).toContain(
      'would send trade.declarations:3:41 (UNKNOWN_KIND, no declarationId) back to trade.declarations',
    );
    expect(JSON.parse(printed(true, { replayed: sent }, () => ''))).toEqual({ replayed: sent });
  });
});

describe('other values a dead letter can hold', () => {
  it('pretty-prints ordinary JSON, as before', () => {
    const stored = letter('{"kind":"amendment","amendmentId":"AMD-00000001"}');
    const value = decodeValue(stored.record);
    expect(renderDeadLetter(stored, value, 1)).toContain('      "amendmentId": "AMD-00000001"');
    expect(renderDeadLetter(stored, value, 1)).not.toContain('note');
    expect(deadLetterDocument(stored, value, 1)).toMatchObject({
      value: { kind: 'amendment', amendmentId: 'AMD-00000001' },
    });
    expect(deadLetterDocument(stored, value, 1)).not.toHaveProperty('valueNote');
  });

  it('shows a number too large to represent as written, not as null', () => {
    const text = '{"kind":"declaration","items":[{"quantity":1e309}]}';
    const stored = letter(text);
    const value = decodeValue(stored.record);
    const human = renderDeadLetter(stored, value, 1);
    expect(human).toContain(`note          ${SHOWN_AS_TEXT.nonFinite}`);
    expect(human).toContain(`    ${text}`);
    expect(human).not.toContain('"quantity": null');
    const json = JSON.parse(printed(true, deadLetterDocument(stored, value, 1), () => '')) as {
      value: unknown;
      valueNote: string;
    };
    expect(json).toMatchObject({ value: text, valueNote: SHOWN_AS_TEXT.nonFinite });
  });

  it('keeps text that is not JSON, and bytes that are not UTF-8, as before', () => {
    const text = letter('['.repeat(DEPTH));
    expect(renderDeadLetter(text, decodeValue(text.record), 1)).toContain(`  value (${DEPTH} bytes, text)`);
    expect(deadLetterDocument(text, decodeValue(text.record), 1)).toMatchObject({ value: '['.repeat(DEPTH) });
    const binary = letter('');
    binary.record.valueBase64 = Buffer.from([0xff, 0xfe]).toString('base64');
    expect(deadLetterDocument(binary, decodeValue(binary.record), 1)).toMatchObject({ value: null });
  });
});

describe('dead-letter records themselves', () => {
  it('reads a record written by intake', () => {
    const { record } = letter('[]');
    expect(parseDeadLetterRecord(Buffer.from(JSON.stringify(record)))).toEqual(record);
  });

  it('treats a record nested 100,000 levels deep as unreadable instead of printing it', () => {
    const { record } = letter('[]');
    const hostile = JSON.stringify(record).replace('"headers":{}', `"headers":${deepObjects}`);
    expect(parseDeadLetterRecord(Buffer.from(hostile))).toBeUndefined();
  });
});

describe('--json output', () => {
  it('fails with a clear CLI error, not a stack overflow, on a value too deep to print', () => {
    let deep: unknown = 1;
    for (let i = 0; i < DEPTH; i++) deep = [deep];
    expect(() => printed(true, { deep }, () => '')).toThrow(CliError);
    expect(() => printed(true, { deep }, () => '')).toThrow(/cannot print the result as JSON/);
  });
});

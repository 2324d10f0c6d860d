import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { KafkaMessage } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { validateDeadLetter } from '../schemas/validators.js';
import {
  compactDeadLetter,
  deadLetterMessage,
  deadLetterRecord,
  needsCompacting,
  type RecordSource,
} from './dead-letter.js';

const AT = '2026-12-01T10:00:00.000Z';
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function source(message: Pick<KafkaMessage, 'key' | 'value' | 'headers'>): RecordSource {
  const base = { timestamp: '0', attributes: 0, offset: '17' };
  return { topic: 'trade.declarations', partition: 3, message: { ...base, ...message } as KafkaMessage };
}

/** Broker limit of the local stack (message.max.bytes), which every dead letter must fit under. */
const BROKER_LIMIT = 2 * 1024 * 1024;

describe('deadLetterRecord bounds every part of a hostile input (issue 10, defect 2)', () => {
  it('keeps a 1.1 MB value with eight 100 KB headers under the broker limit, with sizes and digests', () => {
    const value = Buffer.alloc(1_100_000, 0x61);
    const headers = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`h${i}`, Buffer.alloc(100_000, 0x62)]),
    );
    const record = deadLetterRecord(source({ key: null, value, headers }), 'TOO_LARGE', [], { at: AT });
    expect(validateDeadLetter(record)).toBe(true);
    expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(BROKER_LIMIT - 100_000);
    expect(record.valueSize).toBe(1_100_000);
    expect(record.truncated?.value).toEqual({ size: 1_100_000, sha256: sha(value) });
    expect(record.truncated?.headers?.cut).toBe(8);
    expect(Object.values(record.headers).every((v) => v.length <= 8192)).toBe(true);
  });

  it('keeps 1 KiB of a 700 KB key of 0xFF bytes, with its size and digest', () => {
    const key = Buffer.alloc(700_000, 0xff);
    const record = deadLetterRecord(
      source({ key, value: Buffer.from('{}'), headers: {} }),
      'UNKNOWN_KIND',
      [],
      {
        at: AT,
      },
    );
    expect(validateDeadLetter(record)).toBe(true);
    expect(record.key!.length).toBeLessThanOrEqual(1024);
    expect(record.truncated?.key).toEqual({ size: 700_000, sha256: sha(key) });
  });

  it('leaves a normal input whole, with no truncation note', () => {
    const value = Buffer.from('{"kind":"declaracion"}');
    const record = deadLetterRecord(
      source({ key: Buffer.from('AVO-2026-000001'), value, headers: { a: Buffer.from('b') } }),
      'UNKNOWN_KIND',
      [{ path: 'kind', message: 'unknown' }],
      { at: AT, declarationId: 'AVO-2026-000001' },
    );
    expect(record).toMatchObject({ key: 'AVO-2026-000001', headers: { a: 'b' }, valueSize: value.length });
    expect(record.truncated).toBeUndefined();
    expect(Buffer.from(record.valueBase64, 'base64').equals(value)).toBe(true);
  });

  it('compacts a record for a broker with a smaller limit, keeping sizes and digests', () => {
    const value = Buffer.alloc(900_000, 0x61);
    const full = deadLetterRecord(
      source({ key: null, value, headers: { a: Buffer.from('b') } }),
      'INVALID_JSON',
      [],
      {
        at: AT,
      },
    );
    const compact = compactDeadLetter(full);
    expect(validateDeadLetter(compact)).toBe(true);
    expect(compact.valueBase64).toBe('');
    expect(compact.truncated?.value).toEqual({ size: 900_000, sha256: sha(value) });
    expect(compact.truncated?.headers?.size).toBe(4);
    expect(Buffer.byteLength(JSON.stringify(compact))).toBeLessThan(10_000);
  });

  it('is always schema-valid and under the broker limit, whatever arrived', () => {
    const bytes = (max: number) => fc.uint8Array({ maxLength: max }).map((a) => Buffer.from(a));
    const big = fc.oneof(
      bytes(64),
      fc.integer({ min: 0, max: 1_300_000 }).map((n) => Buffer.alloc(n, 0xf0)),
    );
    const text = fc.string({ unit: 'binary', maxLength: 3000 });
    fc.assert(
      fc.property(
        fc.option(big),
        fc.option(big),
        fc.dictionary(text, fc.oneof(big, fc.array(bytes(20_000), { maxLength: 3 })), { maxKeys: 80 }),
        fc.array(fc.record({ path: text, message: text }), { maxLength: 300 }),
        (key, value, headers, errors) => {
          const record = deadLetterRecord(
            source({ key: key ?? null, value: value ?? null, headers }),
            'INVALID_JSON',
            errors,
            {
              at: AT,
              replayOf: 'x'.repeat(1000),
            },
          );
          if (!validateDeadLetter(record)) expect(validateDeadLetter.errors).toEqual([]);
          expect(Buffer.byteLength(JSON.stringify(record))).toBeLessThan(BROKER_LIMIT - 100_000);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('the dead-letter message and its compact fallback', () => {
  // What kafkajs throws when the broker refuses a message over its limit.
  const tooLarge = Object.assign(new Error('The request included a message larger than the max'), {
    name: 'KafkaJSProtocolError',
    type: 'MESSAGE_TOO_LARGE',
    retriable: false,
  });

  it('is keyed by the declarationId, else by its own ref, never by the original key', () => {
    const hostile = source({ key: Buffer.alloc(5000, 0xff), value: Buffer.from('{}'), headers: {} });
    const plain = deadLetterRecord(hostile, 'UNKNOWN_KIND', [], { at: AT });
    expect(deadLetterMessage(plain).key).toBe('trade.declarations:3:17');
    const known = deadLetterRecord(hostile, 'UNKNOWN_KIND', [], { at: AT, declarationId: 'AVO-2026-000001' });
    expect(deadLetterMessage(known).key).toBe('AVO-2026-000001');
    expect(JSON.parse(deadLetterMessage(known).value as string)).toEqual(known);
  });

  it('compacts a letter the broker refuses as too large once, and nothing else', () => {
    const full = deadLetterRecord(
      source({ key: null, value: Buffer.from('x'), headers: { a: Buffer.from('b') } }),
      'INVALID_JSON',
      [],
      { at: AT },
    );
    expect(needsCompacting(tooLarge, full)).toBe(true);
    expect(needsCompacting(tooLarge, compactDeadLetter(full))).toBe(false);
    expect(needsCompacting(new Error('ECONNREFUSED'), full)).toBe(false);
  });
});

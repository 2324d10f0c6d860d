import { describe, expect, it } from 'vitest';
import type { DeadLetterRecord } from '../schemas/types.js';
import {
  decodeValue,
  findDeadLetter,
  parseDeadLetterRecord,
  REPLAY_OF_HEADER,
  replayCandidates,
  replayMessage,
  summarize,
  type StoredDeadLetter,
} from './dead-letter-store.js';
import { OpsError } from './ops-error.js';

function letter(
  ref: string,
  value: Buffer | string,
  extra: Partial<DeadLetterRecord> = {},
  dlqOffset = 0,
): StoredDeadLetter {
  const bytes = Buffer.isBuffer(value) ? value : Buffer.from(value);
  const [topic, partition, offset] = ref.split(':') as [string, string, string];
  return {
    dlqRef: `trade.deadletter:0:${dlqOffset}`,
    record: {
      ref,
      at: '2026-05-01T10:00:00.000Z',
      source: { topic, partition: Number(partition), offset },
      key: 'AVO-2026-000001',
      headers: { 'content-type': 'application/json' },
      valueBase64: bytes.toString('base64'),
      valueSize: bytes.length,
      reason: 'NO_OPEN_DECLARATION',
      errors: [{ path: 'declarationId', message: 'no open declaration AVO-2026-000001' }],
      declarationId: 'AVO-2026-000001',
      ...extra,
    },
  };
}

describe('dead-letter replay', () => {
  it.each(['key', 'headers'] as const)('refuses a dead letter whose %s was cut to fit', (part) => {
    const digest = { size: 700_000, sha256: 'a'.repeat(64), ...(part === 'headers' ? { cut: 8 } : {}) };
    const cut = letter('trade.declarations:2:18', '{}', { truncated: { [part]: digest } });
    expect(() => replayMessage(cut.record)).toThrow(new RegExp(`its ${part} was cut to fit`));
  });

  it('reads only records that fit the dead-letter schema', () => {
    const { record } = letter('trade.declarations:2:19', '{}');
    expect(parseDeadLetterRecord(Buffer.from(JSON.stringify(record)))).toEqual(record);
    const wrong = { ...record, errors: 'not a list' };
    expect(parseDeadLetterRecord(Buffer.from(JSON.stringify(wrong)))).toBeUndefined();
  });

  it('sends back the original bytes, key and headers, plus the replay-of header', () => {
    const original = Buffer.from('{"kind":"amendment","declarationId":"AVO-2026-000001"}');
    const message = replayMessage(letter('trade.declarations:2:17', original).record);
    expect(message.value.equals(original)).toBe(true);
    expect(message.key).toBe('AVO-2026-000001');
    expect(message.headers).toEqual({
      'content-type': 'application/json',
      [REPLAY_OF_HEADER]: 'trade.declarations:2:17',
    });
  });

  it('names the dead letter being replayed, not an older one it was itself a replay of', () => {
    const again = letter('trade.declarations:2:40', '{}', {
      headers: { [REPLAY_OF_HEADER]: 'trade.declarations:2:17' },
      replayOf: 'trade.declarations:2:17',
    });
    expect(replayMessage(again.record).headers[REPLAY_OF_HEADER]).toBe('trade.declarations:2:40');
  });

  it('refuses a dead letter whose bytes were truncated (over 1 MiB)', () => {
    const big = letter('trade.declarations:0:1', 'x'.repeat(10), {
      valueSize: 2 * 1024 * 1024,
      reason: 'TOO_LARGE',
    });
    expect(() => replayMessage(big.record)).toThrow(OpsError);
    expect(() => replayMessage(big.record)).toThrow(/cannot be replayed/);
  });

  it('replays each unresolved input once: the newest of a replay chain, one of duplicate records', () => {
    const first = letter('trade.declarations:1:5', 'a', {}, 0);
    const copy = letter('trade.declarations:1:5', 'a', {}, 1); // intake crashed after the write, before the commit
    const refusedAgain = letter('trade.declarations:1:9', 'a', { replayOf: 'trade.declarations:1:5' }, 2);
    const other = letter('trade.declarations:0:3', 'b', {}, 3);
    expect(replayCandidates([first, copy, refusedAgain, other]).map((l) => l.record.ref)).toEqual([
      'trade.declarations:1:9',
      'trade.declarations:0:3',
    ]);
  });
});

describe('dead-letter listing', () => {
  it('summarizes with the first error and links replays both ways', () => {
    const first = letter('trade.declarations:1:5', 'a');
    const again = letter('trade.declarations:1:9', 'a', { replayOf: 'trade.declarations:1:5' }, 1);
    const [a, b] = summarize([first, again]);
    expect(a).toMatchObject({
      ref: 'trade.declarations:1:5',
      firstError: 'declarationId: no open declaration AVO-2026-000001',
      errorCount: 1,
      replayedAs: ['trade.declarations:1:9'],
    });
    expect(b).toMatchObject({ replayOf: 'trade.declarations:1:5', replayedAs: [] });
  });

  it('finds by the input ref or by the position in the dead-letter topic', () => {
    const letters = [letter('trade.declarations:1:5', 'a', {}, 7)];
    expect(findDeadLetter(letters, 'trade.declarations:1:5')).toHaveLength(1);
    expect(findDeadLetter(letters, 'trade.deadletter:0:7')).toHaveLength(1);
    expect(findDeadLetter(letters, 'trade.declarations:1:6')).toHaveLength(0);
  });

  it('decodes UTF-8 and JSON values, and keeps other bytes as bytes', () => {
    expect(decodeValue(letter('t:0:1', '{"a":1}').record)).toMatchObject({
      text: '{"a":1}',
      json: { a: 1 },
      truncated: false,
    });
    expect(decodeValue(letter('t:0:1', 'not json').record)).toMatchObject({ text: 'not json' });
    const binary = decodeValue(letter('t:0:1', Buffer.from([0xff, 0xfe, 0x00])).record);
    expect(binary.text).toBeUndefined();
    expect(binary.bytes).toHaveLength(3);
  });
});

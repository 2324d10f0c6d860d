import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { conditions, reasons } from '../schemas/common.schema.js';
import { statusEventSchema } from '../schemas/status-event.schema.js';
import {
  boundedCode,
  boundedConditions,
  boundedReasons,
  clip,
  codePointLength,
  CONDITIONS,
  DECISION_REASONS,
  ELLIPSIS,
  joinClipped,
  lineList,
  OFFICER_MAX,
  STATUS_DECISIONS_MAX,
  STATUS_REASONS,
} from './bounded-text.js';

describe('limits', () => {
  it('are read off the schemas', () => {
    expect(DECISION_REASONS).toEqual({
      maxItems: reasons.maxItems,
      maxLength: reasons.items.properties.message.maxLength,
    });
    expect(DECISION_REASONS).toEqual({ maxItems: 20, maxLength: 500 });
    expect(CONDITIONS).toEqual({ maxItems: conditions.maxItems, maxLength: conditions.items.maxLength });
    const status = statusEventSchema.properties;
    expect(STATUS_REASONS).toEqual({ maxItems: 100, maxLength: 2000 });
    expect(STATUS_REASONS.maxLength).toBe(status.reasons.items.properties.message.maxLength);
    expect(STATUS_DECISIONS_MAX).toBe(200);
    expect(OFFICER_MAX).toBe(64);
  });
});

describe('clip', () => {
  it('leaves text that fits alone', () => {
    expect(clip('', 5)).toBe('');
    expect(clip('hello', 5)).toBe('hello');
    // 5 code points in 10 code units still fit in 5.
    expect(clip('🚢🚢🚢🚢🚢', 5)).toBe('🚢🚢🚢🚢🚢');
  });

  it('cuts to max code points, ending with an ellipsis', () => {
    expect(clip('hello world', 8)).toBe('hello w…');
    expect(clip('hello world', 7)).toBe('hello…'); // no space before the ellipsis
    expect(clip('abc', 1)).toBe(ELLIPSIS);
    expect(clip('a🚢🚢🚢', 3)).toBe('a🚢…');
  });

  it('never exceeds max, never splits a surrogate pair, and keeps a prefix (property)', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary', maxLength: 300 }),
        fc.integer({ min: 1, max: 200 }),
        (text, max) => {
          const out = clip(text, max);
          expect(codePointLength(out)).toBeLessThanOrEqual(max);
          if (codePointLength(text) <= max) expect(out).toBe(text);
          else {
            expect(out.endsWith(ELLIPSIS)).toBe(true);
            expect(text.startsWith(out.slice(0, -1))).toBe(true);
            // The cut falls between code points: the kept part has no lone high surrogate at its end.
            const kept = out.slice(0, -1);
            const last = kept.charCodeAt(kept.length - 1);
            if (kept.length > 0 && last >= 0xd800 && last <= 0xdbff) {
              expect(text.charCodeAt(kept.length)).not.toBeGreaterThanOrEqual(0xdc00);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('lineList', () => {
  it('compresses runs of three or more into ranges, sorted, without repeats', () => {
    expect(lineList([1], 100)).toBe('1');
    expect(lineList([3, 7], 100)).toBe('3, 7');
    expect(lineList([2, 1], 100)).toBe('1, 2');
    expect(lineList([5, 1, 2, 3, 9, 8, 7, 2], 100)).toBe('1-3, 5, 7-9');
    expect(
      lineList(
        Array.from({ length: 21 }, (_, i) => i + 1),
        100,
      ),
    ).toBe('1-21');
  });

  it('caps the list and says how many line numbers it left out', () => {
    const odd = Array.from({ length: 120 }, (_, i) => 2 * i + 1);
    expect(lineList(odd, 21)).toBe('1, 3, 5, and 117 more');
    expect(lineList(odd, 20)).toBe('1, 3, and 118 more');
    const out = lineList(odd, 300);
    expect(out.length).toBeLessThanOrEqual(300);
    const listed = out.replace(/, and \d+ more$/, '').split(', ').length;
    expect(out).toMatch(new RegExp(`, and ${120 - listed} more$`));
  });

  it('falls back to a cut list when not even one entry fits', () => {
    expect(lineList([100, 200, 300], 6)).toBe('100,…');
  });

  it('never exceeds maxChars and accounts for every line number (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 999 }), { minLength: 1, maxLength: 999 }),
        fc.integer({ min: 10, max: 500 }),
        (lineNos, max) => {
          const out = lineList(lineNos, max);
          expect(out.length).toBeLessThanOrEqual(max);
          const more = /, and (\d+) more$/.exec(out);
          if (!more) return;
          const listed = out
            .slice(0, more.index)
            .split(', ')
            .reduce((n, s) => {
              const [a, b] = s.split('-').map(Number);
              return n + (b === undefined ? 1 : b - a! + 1);
            }, 0);
          expect(listed + Number(more[1])).toBe(lineNos.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('joinClipped', () => {
  it('joins and clips', () => {
    expect(joinClipped(['a', 'b', 'c'], '; ', 100)).toBe('a; b; c');
    expect(joinClipped(['aaaa', 'bbbb', 'cccc'], '; ', 8)).toBe('aaaa; b…');
    expect(codePointLength(joinClipped(Array(100_000).fill('x'.repeat(500)), '; ', 500))).toBe(500);
  });
});

describe('boundedCode', () => {
  it('keeps a valid code and makes a valid one of anything else', () => {
    expect(boundedCode('MISSING_DOCUMENT')).toBe('MISSING_DOCUMENT');
    expect(boundedCode('missing-document')).toBe('MISSING_DOCUMENT');
    expect(boundedCode('X'.repeat(100))).toBe('X'.repeat(64));
    expect(boundedCode('')).toBe('UNSPECIFIED_REASON');
    expect(boundedCode('9LIVES')).toBe('UNSPECIFIED_REASON');
    expect(boundedCode(undefined as unknown as string)).toBe('UNSPECIFIED_REASON');
  });
});

describe('boundedReasons', () => {
  const reason = (i: number, code = 'CHECKED') => ({ code, message: `reason ${i}` });

  it('returns a list within the limits as it is', () => {
    const list = Array.from({ length: 20 }, (_, i) => reason(i));
    expect(boundedReasons(list)).toBe(list);
    expect(boundedReasons([])).toEqual([]);
  });

  it('clips long messages, fills empty ones with the code, and drops unknown properties', () => {
    const out = boundedReasons([
      { code: 'LONG', message: 'x'.repeat(600) },
      { code: 'EMPTY', message: '' },
      { code: 'EXTRA', message: 'm', severity: 'high' } as { code: string; message: string },
    ]);
    expect(out[0]?.message).toBe(`${'x'.repeat(499)}…`);
    expect(out[1]).toEqual({ code: 'EMPTY', message: 'EMPTY' });
    expect(out[2]).toEqual({ code: 'EXTRA', message: 'm' });
  });

  it('copes with what an untyped (JavaScript) adapter may return', () => {
    const odd = [{ code: 42, message: { text: 'not a string' } }] as unknown as {
      code: string;
      message: string;
    }[];
    expect(boundedReasons(odd)).toEqual([{ code: 'UNSPECIFIED_REASON', message: 'UNSPECIFIED_REASON' }]);
    expect(boundedConditions([7, 'keep cold', null] as unknown as string[])).toEqual(['keep cold']);
  });

  it('merges the overflow into a last reason that says how many more there were', () => {
    const list = Array.from({ length: 25 }, (_, i) => reason(i, 'ORIGIN_EMBARGOED'));
    const out = boundedReasons(list);
    expect(out).toHaveLength(20);
    expect(out.slice(0, 19)).toEqual(list.slice(0, 19));
    expect(out[19]).toEqual({
      code: 'ORIGIN_EMBARGOED',
      message:
        'and 6 more reasons: ORIGIN_EMBARGOED: reason 19; ORIGIN_EMBARGOED: reason 20; ORIGIN_EMBARGOED: reason 21; ' +
        'ORIGIN_EMBARGOED: reason 22; ORIGIN_EMBARGOED: reason 23; ORIGIN_EMBARGOED: reason 24',
    });
    const mixed = boundedReasons([...list.slice(0, 20), reason(99, 'OTHER')]);
    expect(mixed[19]?.code).toBe('MORE_REASONS');
  });

  it('keeps the agency on the merged reason only when the left-out ones share it', () => {
    const of = (agency: string | undefined, i: number) => ({ ...(agency ? { agency } : {}), ...reason(i) });
    const limits = { maxItems: 3, maxLength: 2000 };
    expect(boundedReasons([of('A', 1), of('A', 2), of('B', 3), of('B', 4)], limits)[2]).toMatchObject({
      agency: 'B',
    });
    expect(
      boundedReasons([of('A', 1), of('A', 2), of('B', 3), of(undefined, 4)], limits)[2],
    ).not.toHaveProperty('agency');
  });

  it('always stays within the limits (property)', () => {
    const reasonArb = fc.record({
      code: fc.oneof(fc.constantFrom('A_CODE', 'B_CODE'), fc.string({ maxLength: 80 })),
      message: fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ unit: 'grapheme', minLength: 400, maxLength: 700 }),
      ),
    });
    fc.assert(
      fc.property(
        fc.array(reasonArb, { maxLength: 60 }),
        fc.integer({ min: 1, max: 30 }),
        fc.integer({ min: 40, max: 600 }),
        (list, maxItems, maxLength) => {
          const out = boundedReasons(list, { maxItems, maxLength });
          expect(out.length).toBeLessThanOrEqual(maxItems);
          expect(out.length).toBe(Math.min(list.length, maxItems));
          for (const r of out) {
            expect(codePointLength(r.message)).toBeLessThanOrEqual(maxLength);
            expect(r.message.length).toBeGreaterThan(0);
            expect(r.code).toMatch(/^[A-Z][A-Z0-9_]{1,63}$/);
          }
          if (list.length > maxItems) expect(out.at(-1)?.message).toMatch(/^and \d+ more reasons: /);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('boundedConditions', () => {
  it('returns conditions within the limits as they are', () => {
    const list = ['store below 8 °C'];
    expect(boundedConditions(list)).toBe(list);
  });

  it('drops empty ones, clips long ones, merges the overflow', () => {
    const out = boundedConditions([
      '',
      'c'.repeat(501),
      ...Array.from({ length: 24 }, (_, i) => `cond ${i}`),
    ]);
    expect(out).toHaveLength(20);
    expect(out[0]).toBe(`${'c'.repeat(499)}…`);
    expect(out[19]).toBe('and 6 more conditions: cond 18; cond 19; cond 20; cond 21; cond 22; cond 23');
  });
});

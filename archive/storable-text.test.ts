import { describe, expect, it } from 'vitest';
import { storableJson, storableText } from './storable-text.js';

describe('storableText', () => {
  it('replaces NUL and lone surrogates, and keeps everything else', () => {
    expect(storableText('a\u0000b')).toBe('a\uFFFDb');
    expect(storableText('x\uD800y')).toBe('x\uFFFDy');
    expect(storableText('x\uDC00')).toBe('x\uFFFD');
    expect(storableText('ok 😀 ñ')).toBe('ok 😀 ñ');
  });

  it('reaches every string of a JSON value, keys too, without changing the input', () => {
    const input = { reasons: [{ code: 'X', message: 'bad \u0000' }], ['k\u0000']: 1, n: null, t: true };
    const copy = storableJson(input);
    expect(copy).toEqual({
      reasons: [{ code: 'X', message: 'bad \uFFFD' }],
      ['k\uFFFD']: 1,
      n: null,
      t: true,
    });
    expect(input.reasons[0]!.message).toBe('bad \u0000');
    // What PostgreSQL's jsonb will be given has no escape it refuses.
    expect(JSON.stringify(copy)).not.toMatch(/\\u0000|\\ud[89ab]/i);
  });
});

import { describe, expect, it } from 'vitest';
import {
  arrayElementTexts,
  jsonDepth,
  MAX_SHOWN_JSON_DEPTH,
  readStoredJson,
  SHOWN_AS_TEXT,
} from './stored-json.js';

const nestedArrays = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
const nestedObjects = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);

describe('jsonDepth', () => {
  it('counts nesting of arrays and objects, not brackets inside strings', () => {
    expect(jsonDepth('1')).toBe(0);
    expect(jsonDepth('"[[["')).toBe(0);
    expect(jsonDepth('[]')).toBe(1);
    expect(jsonDepth('{"a":[1,{"b":[]}]}')).toBe(4);
    expect(jsonDepth('["\\"[[", {"k\\\\": ["]"]}]')).toBe(3);
    expect(jsonDepth(nestedArrays(100_000))).toBe(100_000);
    expect(jsonDepth(nestedObjects(100_000))).toBe(100_000);
  });

  it('stops as soon as the bound is passed', () => {
    expect(jsonDepth(nestedArrays(100_000), 10)).toBe(11);
  });
});

describe('readStoredJson', () => {
  it('reads ordinary JSON as JSON', () => {
    expect(readStoredJson('{"a":[1,2]}')).toEqual({ kind: 'json', json: { a: [1, 2] } });
    expect(readStoredJson(nestedArrays(MAX_SHOWN_JSON_DEPTH)).kind).toBe('json');
  });

  it.each([
    ['arrays', nestedArrays],
    ['objects', nestedObjects],
  ])('shows JSON nested 100,000 levels deep (%s) as text, with the reason', (_, nested) => {
    expect(readStoredJson(nested(100_000))).toEqual({ kind: 'text', note: SHOWN_AS_TEXT.deep });
    expect(readStoredJson(nested(MAX_SHOWN_JSON_DEPTH + 1))).toEqual({
      kind: 'text',
      note: SHOWN_AS_TEXT.deep,
    });
    expect(SHOWN_AS_TEXT.deep).toBe('value shown as text: JSON nested deeper than 1000 levels');
  });

  it('shows JSON with a number too large to represent as text, since it would print as null', () => {
    expect(readStoredJson('{"items":[{"quantity":1e309}]}')).toEqual({
      kind: 'text',
      note: SHOWN_AS_TEXT.nonFinite,
    });
    expect(readStoredJson('[-1E400]').kind).toBe('text');
    expect(readStoredJson('[1e308]')).toEqual({ kind: 'json', json: [1e308] });
  });

  it('says when text is not JSON, however deep its brackets go', () => {
    expect(readStoredJson('not json')).toEqual({ kind: 'not-json' });
    expect(readStoredJson('['.repeat(100_000))).toEqual({ kind: 'not-json' });
  });
});

describe('arrayElementTexts', () => {
  it('gives each element of an array exactly as written', () => {
    expect(arrayElementTexts(' [ {"a": "x,]"} , 1e309,\n[1,[2]] ] ')).toEqual([
      '{"a": "x,]"}',
      '1e309',
      '[1,[2]]',
    ]);
    expect(arrayElementTexts('[]')).toEqual([]);
    expect(arrayElementTexts('[ ]')).toEqual([]);
    expect(arrayElementTexts('{"a":[1,2]}')).toBeUndefined();
    expect(arrayElementTexts('"[1]"')).toBeUndefined();
  });

  it('splits an array holding a value nested 100,000 levels deep', () => {
    const deep = nestedObjects(100_000);
    expect(arrayElementTexts(`[${deep},{"b":2}]`)).toEqual([deep, '{"b":2}']);
  });
});

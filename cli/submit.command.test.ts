import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sampleDeclaration } from '../test/support/fixtures.js';
import { recordValues } from './submit.command.js';

// submit --force sends invalid messages as they are, so the pipeline dead-letters what the trader
// wrote. Re-serializing them would crash on deep nesting and turn 1e309 into null.

const dir = mkdtempSync(join(tmpdir(), 'ventanilla-submit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);

describe('the record values submit sends', () => {
  it('sends a value nested 100,000 levels deep as written, alone or in an array', () => {
    expect(recordValues(file('deep.json', `${deep}\n`))).toEqual([
      {
        value: deep,
        key: null,
        kind: undefined,
        problems: ['kind: is required and must be one of "declaration", "amendment", "withdrawal"'],
      },
    ]);
    const listed = recordValues(
      file('deep-list.json', `[${deep}, ${'['.repeat(100_000)}${']'.repeat(100_000)}]`),
    );
    expect(listed.map((r) => r.value)).toEqual([deep, '['.repeat(100_000) + ']'.repeat(100_000)]);
  });

  it('sends 1e309 as 1e309, not as null', () => {
    const declaration = sampleDeclaration();
    const text = JSON.stringify(declaration).replace('"quantity":18000', '"quantity":1e309');
    const [record] = recordValues(file('infinite.json', text));
    expect(record?.value).toBe(text);
    expect(record?.key).toBe(declaration.declarationId);
    expect(record?.kind).toBe('declaration');
    expect(record?.problems).toEqual([
      'items[0].quantity: must be a finite number, got Infinity (too large to represent, such as 1e309)',
    ]);
  });

  it('sends valid messages as compact JSON, as before', () => {
    const declaration = sampleDeclaration();
    const [record] = recordValues(file('valid.json', JSON.stringify([declaration], null, 2)));
    expect(record).toEqual({
      value: JSON.stringify(declaration),
      key: declaration.declarationId,
      kind: 'declaration',
      trader: declaration.trader.taxId,
      problems: [],
    });
  });

  it('reports only a string kind', () => {
    const [record] = recordValues(file('kind.json', `{"kind":${deep}}`));
    expect(record?.kind).toBeUndefined();
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDeclaration, uniqueId } from '../support/fixtures.js';
import type { DeadLetterSummary } from '../../ops/dead-letter-store.js';
import { SHOWN_AS_TEXT } from '../../ops/stored-json.js';
import { runCli, runCliJson } from '../support/cli-process.js';
import { waitFor } from '../support/helpers.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

/**
 * Hostile inputs, end to end as a trader and an operator would meet them: the trader sends them
 * with `ventanilla submit --force` (or any Kafka producer), intake dead-letters them, and the
 * operator inspects them with `ventanilla ops dlq ...`, human and --json. Nothing may crash.
 */

const DEPTH = 100_000;
let pipeline: TestPipeline;
let tmp: string;

beforeAll(async () => {
  pipeline = await TestPipeline.start({ workflowBundle: await bundleClearanceWorkflows() });
  tmp = mkdtempSync(join(tmpdir(), 'ventanilla-hostile-'));
});

afterAll(async () => {
  await pipeline?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

function file(name: string, text: string): string {
  const path = join(tmp, name);
  writeFileSync(path, text);
  return path;
}

async function deadLetters(): Promise<DeadLetterSummary[]> {
  return (await runCliJson<{ deadLetters: DeadLetterSummary[] }>(['ops', 'dlq', 'list'], pipeline.env))
    .deadLetters;
}

/** Waits for the dead letter that matches, as `ops dlq list --json` shows it. */
function deadLetter(what: string, match: (l: DeadLetterSummary) => boolean): Promise<DeadLetterSummary> {
  return waitFor(`${what} in the dead-letter topic`, async () => (await deadLetters()).find(match), 60_000);
}

interface Shown {
  ref: string;
  reason: string;
  value: unknown;
  valueNote?: string;
  errors: Array<{ path: string; message: string }>;
}

describe('ops dlq on dead letters whose value is JSON nested 100,000 levels deep', () => {
  it('shows them as text with a note, lists and dry-run replays them, human and --json', async () => {
    // A trader's file: a declaration with a member nested 100,000 levels deep, sent with submit --force.
    const declarationId = uniqueId('DEEP');
    const nestedObjects = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
    const declarationText = `{"kind":"declaration","declarationId":"${declarationId}","x":${nestedObjects}}`;
    const submitted = await runCli(['submit', file('deep.json', declarationText), '--force'], pipeline.env);
    expect(submitted.code, submitted.stderr).toBe(0);
    expect(submitted.stdout).toContain(`sent declaration ${declarationId}`);
    // Any producer: 100,000 nested arrays, keyed so the test can find it.
    const key = uniqueId('KEY');
    const nestedArrays = '['.repeat(DEPTH) + ']'.repeat(DEPTH);
    await pipeline.producer.send({
      topic: pipeline.config.topics.declarations,
      messages: [{ key, value: nestedArrays }],
    });

    const byDeclaration = await deadLetter('the deep declaration', (l) => l.declarationId === declarationId);
    expect(byDeclaration.reason).toBe('SCHEMA_VIOLATION');
    const byKey = await deadLetter('the deep array', (l) => l.key === key);
    expect(byKey).toMatchObject({
      reason: 'UNKNOWN_KIND',
      firstError: '(root): must be an object, got an array',
    });

    for (const [letter, text] of [
      [byDeclaration, declarationText],
      [byKey, nestedArrays],
    ] as const) {
      const human = await runCli(['ops', 'dlq', 'show', letter.ref], pipeline.env);
      expect(human.code, human.stderr).toBe(0);
      expect(human.stderr).not.toContain('RangeError');
      expect(human.stdout).toContain(`note          ${SHOWN_AS_TEXT.deep}`);
      // The whole value, to its last byte (not cut off when the CLI exits).
      expect(
        human.stdout.includes(`  value (${text.length} bytes, text)\n    ${text}\n`),
        `the value in full (printed ${human.stdout.length} characters)`,
      ).toBe(true);

      const json = await runCli(['ops', 'dlq', 'show', letter.ref, '--json'], pipeline.env);
      expect(json.code, json.stderr).toBe(0);
      const shown = JSON.parse(json.stdout) as Shown;
      expect(shown.value === text, 'the value in full, as a string').toBe(true);
      expect(shown).toMatchObject({ ref: letter.ref, valueNote: SHOWN_AS_TEXT.deep });

      const dry = await runCli(['ops', 'dlq', 'replay', letter.ref, '--dry-run'], pipeline.env);
      expect(dry.code, dry.stderr).toBe(0);
      expect(dry.stdout).toContain(`would send ${letter.ref}`);
    }

    const list = await runCli(['ops', 'dlq', 'list'], pipeline.env);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain(byDeclaration.ref);
    expect(list.stdout).toContain(byKey.ref);
    const listJson = await runCli(['ops', 'dlq', 'list', '--json'], pipeline.env);
    expect(listJson.code, listJson.stderr).toBe(0);
    const refs = (JSON.parse(listJson.stdout) as { deadLetters: DeadLetterSummary[] }).deadLetters.map(
      (l) => l.ref,
    );
    expect(refs).toEqual(expect.arrayContaining([byDeclaration.ref, byKey.ref]));
  });
});

describe('a declaration with a quantity of 1e309', () => {
  it('is rejected with "must be a finite number", and dlq show shows the 1e309 the trader sent', async () => {
    const declaration = sampleDeclaration({ declarationId: uniqueId('INF') });
    const text = JSON.stringify(declaration).replace('"quantity":18000', '"quantity":1e309');
    expect(text).toContain('1e309');

    // submit refuses it, saying why; with --force it goes to the pipeline as written.
    const refused = await runCli(['submit', file('infinite.json', text)], pipeline.env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'message 1: items[0].quantity: must be a finite number, got Infinity (too large to represent, such as 1e309)',
    );
    const forced = await runCli(['submit', file('infinite.json', text), '--force'], pipeline.env);
    expect(forced.code, forced.stderr).toBe(0);

    // The trader is told, and the operator finds it.
    const rejected = await pipeline.waitForStatus(declaration.declarationId, 'REJECTED');
    expect(JSON.stringify(rejected.reasons)).toContain('items[0].quantity: must be a finite number');
    expect(JSON.stringify(rejected.reasons)).not.toContain('got a number');
    const listed = await deadLetter(
      'the 1e309 declaration',
      (l) => l.declarationId === declaration.declarationId,
    );
    expect(listed).toMatchObject({
      reason: 'SCHEMA_VIOLATION',
      firstError:
        'items[0].quantity: must be a finite number, got Infinity (too large to represent, such as 1e309)',
    });
    const human = await runCli(['ops', 'dlq', 'show', listed.ref], pipeline.env);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain(`note          ${SHOWN_AS_TEXT.nonFinite}`);
    expect(human.stdout).toContain(`    ${text}`);
    const shown = await runCliJson<Shown>(['ops', 'dlq', 'show', listed.ref], pipeline.env);
    expect(shown).toMatchObject({ value: text, valueNote: SHOWN_AS_TEXT.nonFinite });
  });
});

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BUILT_IN_ADAPTERS } from '../activities/adapters/index.js';
import { sampleDeclaration } from '../test/support/fixtures.js';
import type { Item, Registry } from '../schemas/types.js';
import { agencyView } from '../domain/agency-view.js';
import { durationMs } from '../domain/duration.js';
import { route } from '../domain/routing.js';
import { ConfigError } from './config.js';
import { checkRegistry, DEFAULT_REGISTRY_FILE, loadRegistry } from './registry.js';

const dir = mkdtempSync(join(tmpdir(), 'ventanilla-registry-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh, mutable copy of the baseline registry as raw JSON. */
const baseline = (): Registry => JSON.parse(readFileSync(DEFAULT_REGISTRY_FILE, 'utf8')) as Registry;

function writeRegistry(name: string, content: unknown): string {
  const file = join(dir, name);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

/** The message of the ConfigError `fn` throws (fails the test if it throws anything else or nothing). */
function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

function item(lineNo: number, hsCode: string): Item {
  return {
    lineNo,
    hsCode,
    description: `goods of line ${lineNo}`,
    originCountry: 'US',
    quantity: 1,
    unit: 'kg',
    value: { amount: 1, currency: 'USD' },
  };
}

describe('loadRegistry', () => {
  it('loads the built-in baseline registry', () => {
    const registry = loadRegistry({ registryFile: undefined, agencyModes: {} });
    expect(registry.agencies.map((a) => [a.code, a.mode, a.adapter, a.deadlinePolicy])).toEqual([
      ['CUSTOMS', 'auto', 'customs', 'ESCALATE'],
      ['ECONOMY', 'auto', 'economy', 'AUTO_APPROVE'],
      ['HEALTH', 'auto', 'documents', 'AUTO_REJECT'],
      ['AGRICULTURE', 'auto', 'documents', 'ESCALATE'],
    ]);
    expect(registry.embargo.countries).toEqual(['KP']);
    expect(registry.inspection).toEqual({ agency: 'CUSTOMS', share: 0.05, delay: '15s' });
    for (const agency of registry.agencies) expect(BUILT_IN_ADAPTERS[agency.adapter]).toBeTypeOf('function');
  });

  it('applies agency mode overrides to the named agencies only, without leaking into the next load', () => {
    const overridden = loadRegistry({
      registryFile: undefined,
      agencyModes: { HEALTH: 'queue', ECONOMY: 'auto' },
    });
    expect(Object.fromEntries(overridden.agencies.map((a) => [a.code, a.mode]))).toEqual({
      CUSTOMS: 'auto',
      ECONOMY: 'auto',
      HEALTH: 'queue',
      AGRICULTURE: 'auto',
    });
    expect(
      loadRegistry({ registryFile: undefined, agencyModes: {} }).agencies.find((a) => a.code === 'HEALTH')
        ?.mode,
    ).toBe('auto');
  });

  it('refuses a mode override for an agency the registry does not define', () => {
    expect(
      configErrorOf(() => loadRegistry({ registryFile: undefined, agencyModes: { DEFENSE: 'queue' } })),
    ).toBe(
      'VENTANILLA_AGENCY_MODES names DEFENSE, which is not in the registry (CUSTOMS, ECONOMY, HEALTH, AGRICULTURE)',
    );
  });

  it('names the file when it is missing or not JSON', () => {
    const missing = join(dir, 'does-not-exist.json');
    expect(configErrorOf(() => loadRegistry({ registryFile: missing, agencyModes: {} }))).toContain(
      `agency registry ${missing}:`,
    );
    const broken = writeRegistry('broken.json', '{"version": ');
    expect(configErrorOf(() => loadRegistry({ registryFile: broken, agencyModes: {} }))).toContain(
      `agency registry ${broken}:`,
    );
  });
});

describe('checkRegistry refuses inconsistent registries, naming the problem', () => {
  it.each<[string, (r: Registry) => void, string]>([
    [
      'a rule for an undefined agency',
      (r) => r.routing.push({ agency: 'DEFENSE', chapters: ['93'], requires: [] }),
      'routing[6].agency: DEFENSE is not in agencies',
    ],
    [
      'a duplicate agency code',
      (r) => r.agencies.push({ ...r.agencies[2]!, name: 'Health again' }),
      'agency HEALTH is defined twice',
    ],
    [
      'a reversed chapter range',
      (r) => (r.routing[2] = { ...r.routing[2]!, chapters: ['22-16'] }),
      'routing[2]: chapter range "22-16" is not within 01-99 in order',
    ],
    [
      'a reversed chapter range in a document requirement',
      (r) =>
        (r.routing[1] = {
          ...r.routing[1]!,
          requires: [{ document: 'ZOOSANITARY_CERTIFICATE', chapters: ['05-01'] }],
        }),
      'routing[1]: chapter range "05-01" is not within 01-99 in order',
    ],
    [
      'chapter 00',
      (r) => (r.routing[2] = { ...r.routing[2]!, chapters: ['00-04'] }),
      'routing[2]: chapter range "00-04" is not within 01-99 in order',
    ],
    [
      'a rule with no criterion',
      (r) => r.routing.push({ agency: 'HEALTH', requires: [{ document: 'SANITARY_PERMIT' }] }),
      'routing[6]: names no criterion (always, chapters, hsPrefixes or embargoedOrigin), so it matches nothing',
    ],
    [
      'a rule with only a regime and false flags',
      (r) =>
        r.routing.push({
          agency: 'HEALTH',
          regimes: ['IMPORT'],
          always: false,
          embargoedOrigin: false,
          requires: [],
        }),
      'routing[6]: names no criterion',
    ],
    [
      'an inspection agency that is not defined',
      (r) => (r.inspection.agency = 'PORTS'),
      'inspection.agency: PORTS is not in agencies',
    ],
    [
      'a zero deadline',
      (r) => (r.agencies[0]!.deadline = '0h'),
      'agencies.CUSTOMS.deadline must be longer than 0',
    ],
  ])('%s', (_name, breakIt, problem) => {
    const raw = baseline();
    breakIt(raw);
    const message = configErrorOf(() => checkRegistry(raw, 'test-registry.json'));
    expect(message).toMatch(/^agency registry test-registry\.json is inconsistent:\n/);
    expect(message).toContain(problem);
  });

  it('lists every problem at once', () => {
    const raw = baseline();
    raw.inspection.agency = 'PORTS';
    raw.routing.push({ agency: 'DEFENSE', chapters: ['93'], requires: [] });
    const problems = configErrorOf(() => checkRegistry(raw))
      .split('\n')
      .slice(1);
    expect(problems.map((p) => p.trim())).toEqual([
      'routing[6].agency: DEFENSE is not in agencies',
      'inspection.agency: PORTS is not in agencies',
    ]);
  });

  it.each<[string, (r: Record<string, unknown>) => void, string]>([
    [
      'an unknown property',
      (r) => ((r.agencies as Record<string, unknown>[])[0]!.colour = 'green'),
      'agencies[0].colour: is not allowed here',
    ],
    [
      'an unknown deadline policy',
      (r) => ((r.agencies as Record<string, unknown>[])[1]!.deadlinePolicy = 'IGNORE'),
      'agencies[1].deadlinePolicy: must be one of',
    ],
    [
      'a malformed chapter',
      (r) => ((r.routing as Record<string, unknown>[])[2]!.chapters = ['2-4']),
      'routing[2].chapters[0]',
    ],
    [
      'an inspection share above 1',
      (r) => ((r.inspection as Record<string, unknown>).share = 1.5),
      'inspection.share: must be at most 1',
    ],
    ['a missing embargo', (r) => delete r.embargo, 'embargo: is required'],
  ])('a schema violation: %s', (_name, breakIt, problem) => {
    const raw = baseline() as unknown as Record<string, unknown>;
    breakIt(raw);
    const message = configErrorOf(() => checkRegistry(raw, 'test-registry.json'));
    expect(message).toMatch(/^agency registry test-registry\.json is invalid:\n/);
    expect(message).toContain(problem);
  });
});

describe('a fifth agency is data, not code (design.md §6)', () => {
  const withEnvironment = (): Registry => {
    const raw = baseline();
    raw.agencies.push({
      code: 'ENVIRONMENT',
      name: 'Environment protection',
      mode: 'auto',
      adapter: 'documents',
      deadline: '5d',
      deadlinePolicy: 'ESCALATE',
    });
    raw.routing.push({ agency: 'ENVIRONMENT', chapters: ['25-27'], requires: [{ document: 'OTHER' }] });
    return raw;
  };

  it('loads from a registry file, accepts a mode override for it, and routes chapters 25-27 to it', () => {
    const file = writeRegistry('five-agencies.json', withEnvironment());
    const registry = loadRegistry({ registryFile: file, agencyModes: { ENVIRONMENT: 'queue' } });
    expect(registry.agencies.map((a) => a.code)).toEqual([
      'CUSTOMS',
      'ECONOMY',
      'HEALTH',
      'AGRICULTURE',
      'ENVIRONMENT',
    ]);
    expect(registry.agencies[4]?.mode).toBe('queue');

    const items = [item(1, '27090000'), item(2, '84713000'), item(3, '28000000'), item(4, '25010000')];
    expect(route({ regime: 'IMPORT', items }, registry)).toEqual([
      { agency: 'CUSTOMS', lineNos: [1, 2, 3, 4], requiredDocuments: ['INVOICE'] },
      { agency: 'ENVIRONMENT', lineNos: [1, 4], requiredDocuments: ['OTHER'] },
    ]);
  });

  it('is decided by the built-in documents adapter through its own view', () => {
    const registry = checkRegistry(withEnvironment());
    const declaration = sampleDeclaration({
      items: [item(1, '27090000')],
      documents: [{ type: 'INVOICE', reference: 'INV-1' }],
    });
    const environment = route(declaration, registry).find((r) => r.agency === 'ENVIRONMENT')!;
    const request = agencyView(declaration, environment, { round: 1, deadlinePolicy: 'ESCALATE' });
    const adapter = BUILT_IN_ADAPTERS[registry.agencies[4]!.adapter]!;
    const decision = adapter(
      { request, adapter: 'documents', embargo: registry.embargo.countries },
      { riskKey: 'k' },
    );
    expect(decision.outcome).toBe('REQUEST_INFO');
    expect(decision.reasons[0]?.message).toContain('ENVIRONMENT requires document OTHER');
  });
});

describe('durationMs', () => {
  it.each([
    ['250ms', 250],
    ['90s', 90_000],
    ['15m', 900_000],
    ['72h', 259_200_000],
    ['10d', 864_000_000],
    ['0s', 0],
  ])('%s is %i ms', (duration, ms) => {
    expect(durationMs(duration)).toBe(ms);
  });

  it.each(['', '10', 'h', '1.5h', '10 d', '-5s', '3w', '5S'])('refuses %j', (duration) => {
    expect(() => durationMs(duration)).toThrow(RangeError);
  });
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The production worker settings, copied from workers/temporal-workers.ts (which does not export
 * them), so that the baseline runs under exactly the same ones. `settingsDrift()` compares this
 * copy with that file's source text on every run, so a change there cannot silently skew the
 * comparison.
 */
export const CLEARANCE_WORKER_SETTINGS = {
  maxCachedWorkflows: 2000,
  maxConcurrentWorkflowTaskExecutions: 100,
  maxConcurrentLocalActivityExecutions: 200,
  reuseV8Context: true,
} as const;

export const AGENCY_WORKER_SETTINGS = {
  maxConcurrentActivityTaskExecutions: 100,
} as const;

const PRODUCTION_SOURCE = fileURLToPath(new URL('../workers/temporal-workers.ts', import.meta.url));

/** Settings whose value in workers/temporal-workers.ts differs from the copy above (empty: none). */
export function settingsDrift(): string[] {
  const source = readFileSync(PRODUCTION_SOURCE, 'utf8');
  const drift: string[] = [];
  for (const [name, value] of Object.entries({ ...CLEARANCE_WORKER_SETTINGS, ...AGENCY_WORKER_SETTINGS })) {
    const found = new RegExp(`\\b${name}:\\s*([^,\\n]+)`).exec(source)?.[1]?.trim();
    if (found !== String(value))
      drift.push(`${name}: bench copy ${value}, production ${found ?? '(not set)'}`);
  }
  return drift;
}

/**
 * Worker option overrides for an experiment (`--wf-worker-options`, `--activity-worker-options`).
 * Only plain numbers and booleans: enough for pollers, slots, cache sizes and eager dispatch.
 */
export type WorkerOverrides = Record<string, number | boolean>;

export function parseOverrides(name: string, json: string | undefined): WorkerOverrides {
  if (!json) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw new Error(`${name}: not JSON (${(error as Error).message}): ${json}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${name}: expected a JSON object such as {"maxConcurrentWorkflowTaskPolls":20}`);
  for (const [key, value] of Object.entries(parsed)) {
    if (typeof value !== 'number' && typeof value !== 'boolean')
      throw new Error(`${name}: ${key} must be a number or a boolean`);
  }
  return parsed as WorkerOverrides;
}

import type { WorkerOverrides } from '../services/temporal-workers.js';

export type { WorkerOverrides } from '../services/temporal-workers.js';

/**
 * Worker option overrides for an experiment (`--wf-worker-options`, `--activity-worker-options`).
 * Only plain numbers and booleans: enough for pollers, slots, cache sizes and eager dispatch.
 */
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

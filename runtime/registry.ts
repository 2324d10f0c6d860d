import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Registry } from '../schemas/types.js';
import { check, validateRegistry } from '../schemas/validators.js';
import { durationMs } from '../domain/duration.js';
import { ConfigError, type Config } from './config.js';

/**
 * The checkout's registry/default-registry.json, from the sources (runtime/) and from the build
 * (dist/runtime/) alike: the build does not copy it, so an edit to it applies without a rebuild.
 */
export const DEFAULT_REGISTRY_FILE = fileURLToPath(
  new URL(
    `${import.meta.url.endsWith('.ts') ? '..' : '../..'}/registry/default-registry.json`,
    import.meta.url,
  ),
);

/**
 * Loads the agency registry (built-in or VENTANILLA_REGISTRY), validates it against its schema and
 * for consistency, and applies VENTANILLA_AGENCY_MODES. Runs once at startup: a bad registry stops
 * the process with every problem listed, instead of failing declarations one by one later.
 */
export function loadRegistry(config: Pick<Config, 'registryFile' | 'agencyModes'>): Registry {
  const file = config.registryFile ?? DEFAULT_REGISTRY_FILE;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(`agency registry ${file}: ${(error as Error).message}`);
  }
  return withModes(checkRegistry(raw, file), config.agencyModes);
}

export function checkRegistry(raw: unknown, source = 'registry'): Registry {
  const result = check(validateRegistry, raw);
  if (!result.ok) {
    throw new ConfigError(
      `agency registry ${source} is invalid:\n  ${result.errors.map((e) => `${e.path}: ${e.message}`).join('\n  ')}`,
    );
  }
  const problems = consistencyProblems(result.value);
  if (problems.length > 0)
    throw new ConfigError(`agency registry ${source} is inconsistent:\n  ${problems.join('\n  ')}`);
  return result.value;
}

function consistencyProblems(registry: Registry): string[] {
  const problems: string[] = [];
  const codes = registry.agencies.map((a) => a.code);
  const known = new Set(codes);
  for (const code of known)
    if (codes.indexOf(code) !== codes.lastIndexOf(code)) problems.push(`agency ${code} is defined twice`);
  for (const agency of registry.agencies) {
    if (durationMs(agency.deadline) <= 0)
      problems.push(`agencies.${agency.code}.deadline must be longer than 0`);
  }
  registry.routing.forEach((rule, i) => {
    if (!known.has(rule.agency)) problems.push(`routing[${i}].agency: ${rule.agency} is not in agencies`);
    if (!rule.always && !rule.chapters && !rule.hsPrefixes && !rule.embargoedOrigin) {
      problems.push(
        `routing[${i}]: names no criterion (always, chapters, hsPrefixes or embargoedOrigin), so it matches nothing`,
      );
    }
    for (const range of [...(rule.chapters ?? []), ...rule.requires.flatMap((r) => r.chapters ?? [])]) {
      const [from, to = from] = range.split('-').map(Number) as [number, number?];
      if (from < 1 || to > 99 || from > to)
        problems.push(`routing[${i}]: chapter range "${range}" is not within 01-99 in order`);
    }
  });
  if (!known.has(registry.inspection.agency))
    problems.push(`inspection.agency: ${registry.inspection.agency} is not in agencies`);
  return problems;
}

function withModes(registry: Registry, modes: Config['agencyModes']): Registry {
  for (const agency of Object.keys(modes)) {
    if (!registry.agencies.some((a) => a.code === agency)) {
      throw new ConfigError(
        `VENTANILLA_AGENCY_MODES names ${agency}, which is not in the registry (${registry.agencies.map((a) => a.code).join(', ')})`,
      );
    }
  }
  return { ...registry, agencies: registry.agencies.map((a) => ({ ...a, mode: modes[a.code] ?? a.mode })) };
}

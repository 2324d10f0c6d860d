import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { devHolders } from '../identity/dev-holders.js';
import { ensureDevPki } from '../identity/pki.js';
import type { Config } from '../runtime/config.js';
import type { Registry } from '../schemas/types.js';

/** examples/ beside the sources (`npm run dev`) or two levels above dist/services (`npm start`). */
function examplesDir(): string | undefined {
  return ['../examples/', '../../examples/']
    .map((path) => fileURLToPath(new URL(path, import.meta.url)))
    .find((dir) => existsSync(dir));
}

/** The traders named by the example declarations, so that `submit examples/...` just works. */
function exampleTraders(): Array<{ taxId: string; name: string }> {
  const dir = examplesDir();
  if (!dir) return [];
  return readdirSync(dir)
    .filter((file) => file.endsWith('.json'))
    .flatMap((file) => {
      const data: unknown = JSON.parse(readFileSync(`${dir}${file}`, 'utf8'));
      return (Array.isArray(data) ? data : [data]).flatMap(
        (m: { trader?: { taxId: string; name: string } }) => (m?.trader ? [m.trader] : []),
      );
    });
}

export interface DevPki {
  createdCa: boolean;
  issued: string[];
  pkiDir: string;
  trustDir: string;
}

/**
 * The development PKI of design.md §10: a CA, and certificates for the examples' traders, one
 * officer per agency and one operator, made when missing. Never with a trust store of one's own
 * (VENTANILLA_TRUST_DIR): production certificates come from the real CA.
 */
export async function ensureDevelopmentPki(config: Config, registry: Registry): Promise<DevPki | undefined> {
  if (config.signatures === 'off' || config.trustDirExternal) return undefined;
  const holders = devHolders(
    registry.agencies.map((a) => a.code),
    exampleTraders(),
  );
  const made = await ensureDevPki({ pkiDir: config.pkiDir, trustDir: config.trustDir }, holders);
  return { ...made, pkiDir: config.pkiDir, trustDir: config.trustDir };
}

import type { TestProject } from 'vitest/node';
import { loadConfig } from '../../runtime/config.js';
import { stackDown, stackUp } from '../../infra/stack.js';
import { ensureTestPki } from './test-pki.js';

/**
 * Uses the same infra code as `npm run stack:up`. When KAFKA_BROKERS / TEMPORAL_ADDRESS are set,
 * those services are used and nothing is started. Whatever this setup starts, it stops again.
 */
export default async function setup(_project: TestProject): Promise<() => Promise<void>> {
  const config = loadConfig();
  const say = (line: string) => console.log(`[stack] ${line}`);
  const { started } = await stackUp(config, say);
  await ensureTestPki();
  return async () => {
    if (started.length > 0) await stackDown(config, say, started);
  };
}

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { bundleWorkflowCode, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyFromJSON } from '../support/history-json.js';
import { bundleClearanceWorkflows } from '../support/pipeline.js';
import { REPLAY_STATUS_SINKS } from '../../activities/status-publisher.js';

/**
 * The determinism guard: every recorded history (test/fixtures/histories, refreshed with
 * `npm run fixtures:histories`) must replay against the current workflow code. A change that
 * would break clearances already running in production fails here, before it is deployed.
 */
const HISTORIES = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));
/** Each path of the clearance must keep a recorded history. */
const REQUIRED = ['cleared', 'rejected', 'amended', 'withdrawn', 'deadline', 'failed'];

/**
 * Every *.json under the folder, subfolders included: before re-recording for a release, the
 * previous set can be kept in a subfolder (e.g. `2026-11/`) while clearances of that release may
 * still be running, and a history exported from production can be dropped in the same way.
 */
function fixtures(dir = HISTORIES, prefix = ''): Array<{ name: string; history: History }> {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      if (entry.isDirectory()) return fixtures(join(dir, entry.name), `${prefix}${entry.name}/`);
      if (!entry.name.endsWith('.json')) return [];
      const json: unknown = JSON.parse(readFileSync(join(dir, entry.name), 'utf8'));
      return [{ name: `${prefix}${basename(entry.name, '.json')}`, history: historyFromJSON(json) }];
    });
}

async function replayAll(
  workflowBundle: WorkflowBundleWithSourceMap,
): Promise<Array<{ name: string; error?: Error }>> {
  const results: Array<{ name: string; error?: Error }> = [];
  const all = fixtures();
  const replay = Worker.runReplayHistories(
    { workflowBundle, replayName: 'history-replay', sinks: REPLAY_STATUS_SINKS },
    all.map(({ name, history }) => ({ workflowId: `fixture-${name}`, history })),
  );
  for await (const result of replay) {
    results.push({ name: result.workflowId.replace(/^fixture-/, ''), error: result.error });
  }
  return results;
}

let current: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  current = await bundleClearanceWorkflows();
});

describe('recorded clearance histories', () => {
  it('cover every path of the clearance', () => {
    const names = fixtures().map((f) => f.name);
    for (const path of REQUIRED) expect(names, `missing fixture ${path}.json`).toContain(path);
  });

  it('replay against the current workflow code without nondeterminism', async () => {
    const results = await replayAll(current);
    expect(results.map((r) => r.name)).toEqual(fixtures().map((f) => f.name));
    const broken = results
      .filter((r) => r.error)
      .map((r) => `${r.name}: ${r.error!.name}: ${r.error!.message}`);
    expect(broken, broken.join('\n')).toEqual([]);
  });

  it('catch an unpatched change (the guard itself works)', async () => {
    const altered = await bundleWorkflowCode({
      workflowsPath: fileURLToPath(new URL('../support/altered-clearance.workflow.ts', import.meta.url)),
      logger: { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} },
    });
    const results = await replayAll(altered);
    expect(results.length).toBeGreaterThan(0);
    for (const result of results) {
      expect(result.error?.name, result.name).toBe('DeterminismViolationError');
    }
  });
});

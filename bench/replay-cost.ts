/**
 * The workflow code's own CPU cost, without a server, Kafka or load: replays a recorded S history
 * and a recorded B0 history many times each, in interleaved rounds, and reports CPU-ms per replay
 * and the S / B0 ratio. A replay runs the same workflow code, promises and SDK plumbing as the
 * live workflow thread (but no activities), so a workflow-code change shows here within a few
 * percent, where the full benchmark's scatter is larger than the change.
 *
 *   npx tsx bench/replay-cost.ts bench/results/<run>-S.history.json bench/results/<run>-B0.history.json
 *
 * A full or quick `npm run bench` writes both files. Replaying an S history recorded before a
 * change measures the old path of the new code (runs started before keep it); record a new one
 * (e.g. `npm run bench -- --quick`) to measure the new path.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { CLEARANCE_WORKER_SETTINGS } from '../services/temporal-workers.js';
import { bundleClearanceWorkflow } from '../services/clearance-bundle.js';
import { historyFromJSON } from '../test/support/history-json.js';
import { BASELINE_WORKFLOWS_PATH } from './host-protocol.js';
import { REPLAY_STATUS_SINKS } from '../activities/status-publisher.js';

const HELP = `Usage: npx tsx bench/replay-cost.ts S.history.json B0.history.json [--times N] [--rounds R]

  --times N    replays of each history per round (default 300)
  --rounds R   interleaved rounds per side; the median is reported (default 5)
  --json       print the result as JSON only`;

const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** CPU-ms per replay of `history`, replayed `times` times by one replay worker. */
async function costPerReplay(
  bundle: WorkflowBundleWithSourceMap,
  history: History,
  times: number,
): Promise<number> {
  const started = process.cpuUsage();
  const replays = Worker.runReplayHistories(
    {
      workflowBundle: bundle,
      reuseV8Context: CLEARANCE_WORKER_SETTINGS.reuseV8Context,
      sinks: REPLAY_STATUS_SINKS,
    },
    Array.from({ length: times }, (_, i) => ({ workflowId: `replay-${i}`, history })),
  );
  for await (const result of replays) {
    if (result.error) throw result.error;
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / 1000 / times;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round2 = (x: number) => Math.round(x * 100) / 100;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      times: { type: 'string', default: '300' },
      rounds: { type: 'string', default: '5' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals.length !== 2) {
    console.log(HELP);
    process.exitCode = values.help ? 0 : 2;
    return;
  }
  const [sFile, b0File] = positionals as [string, string];
  // Each replay worker logs its start and stop at info; only trouble matters here.
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const read = (file: string) => historyFromJSON(JSON.parse(readFileSync(file, 'utf8')));
  const sides = [
    {
      name: 'S',
      history: read(sFile),
      bundle: await bundleClearanceWorkflow(),
    },
    {
      name: 'B0',
      history: read(b0File),
      bundle: await bundleWorkflowCode({ workflowsPath: BASELINE_WORKFLOWS_PATH, logger: quiet }),
    },
  ];
  const times = Number(values.times);
  const costs: Record<string, number[]> = { S: [], B0: [] };
  // One short round each first: the JIT and the replay worker's start-up are not the code's cost.
  for (const side of sides) await costPerReplay(side.bundle, side.history, Math.ceil(times / 5));
  for (let round = 0; round < Number(values.rounds); round++) {
    for (const side of sides) {
      costs[side.name]!.push(await costPerReplay(side.bundle, side.history, times));
      if (!values.json)
        console.log(`round ${round + 1} ${side.name}: ${round2(costs[side.name]!.at(-1)!)} CPU-ms/replay`);
    }
  }
  const s = median(costs.S!);
  const b0 = median(costs.B0!);
  const result = {
    s_ms_per_replay: round2(s),
    b0_ms_per_replay: round2(b0),
    ratio: round2(s / b0),
    times,
    rounds: costs.S!.length,
  };
  console.log(values.json ? JSON.stringify(result) : `RESULT ${JSON.stringify(result)}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});

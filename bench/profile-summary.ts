/**
 * Summarises the V8 CPU profiles a `--cpu-prof` run writes (bench/results/<run>-prof/): per
 * profile (one per thread of each worker process), where the CPU went, by package or source
 * folder of the leaf frame, by the nearest frame of our own code on the stack (who caused it), and
 * the heaviest functions. Samples inside the workflow bundler (webpack, at start) are left out, so
 * the figures are those of the measured phases.
 *
 *   npx tsx bench/profile-summary.ts bench/results/<run>-prof [--top N] [--declarations N] [--skip-seconds S]
 *
 * --skip-seconds leaves out the first S seconds of each profile (a process's start: loading
 * modules, compiling schemas), so that what remains is the steady state of the measured phases.
 *
 * With --declarations (how many declarations or workflows the process handled while profiled),
 * times are also given in ms per declaration.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const ROOT = process.cwd();

/** The package of a node_modules path, our own top folder, or V8's and Node's own. */
function area(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return 'node:' + url.slice(5).split('/')[0];
  const path = url.replace(/^file:\/\//, '');
  if (path.startsWith(ROOT + '/')) {
    const rel = path.slice(ROOT.length + 1);
    return rel.includes('/') ? rel : rel;
  }
  // The workflow bundle is evaluated from a generated script: its frames carry webpack:// urls.
  if (url.includes('webpack')) {
    const inner = url.replace(/^.*webpack(-internal)?:\/\/\/?[^/]*\/?/, '');
    const m = inner.indexOf('node_modules/');
    if (m >= 0) {
      const rest = inner.slice(m + 'node_modules/'.length).split('/');
      return 'bundle:' + (rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!);
    }
    return 'bundle:' + inner.replace(/^\.\//, '');
  }
  return url;
}

/** Our own code (not node_modules, not Node's): the first such frame on the stack says who caused a sample. */
function ownFile(url: string): string | undefined {
  const a = area(url, '');
  if (a.startsWith('bundle:')) {
    const inner = a.slice('bundle:'.length);
    return /^(workflows|domain|schemas|activities|clearance-client|runtime|bench)\//.test(inner)
      ? 'bundle:' + inner
      : undefined;
  }
  return /^(services|messaging|activities|domain|schemas|runtime|clearance-client|workflows|bench)\//.test(a)
    ? a
    : undefined;
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

function top(map: Map<string, number>, n: number): Array<[string, number]> {
  return [...map].sort((a, b) => b[1] - a[1]).slice(0, n);
}

export function summarise(profile: CpuProfile, skipUs = 0) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const leafArea = new Map<string, number>();
  const cause = new Map<string, number>();
  const selfFn = new Map<string, number>();
  const inclusiveArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  let skipped = 0;
  let elapsed = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const us = profile.timeDeltas[i + 1] ?? 0; // a sample's delta is the time until the next one
    elapsed += profile.timeDeltas[i] ?? 0;
    if (elapsed < skipUs) continue;
    const leaf = byId.get(profile.samples[i]!)!;
    const stack: ProfileNode[] = [];
    for (let id: number | undefined = leaf.id; id !== undefined; id = parent.get(id))
      stack.push(byId.get(id)!);
    if (
      stack.some((n) =>
        /node_modules\/(webpack|memfs|unionfs)\/|bundleWorkflowCode/.test(
          n.callFrame.url + ' ' + n.callFrame.functionName,
        ),
      )
    ) {
      skipped += us;
      continue;
    }
    const { functionName, url, lineNumber } = leaf.callFrame;
    if (functionName === '(idle)') {
      idle += us;
      continue;
    }
    total += us;
    add(leafArea, area(url, functionName), us);
    const own = stack.map((n) => ownFile(n.callFrame.url)).find((f) => f !== undefined);
    add(cause, own ?? '(no own frame)', us);
    add(selfFn, `${functionName || '(anonymous)'} ${area(url, functionName)}:${lineNumber + 1}`, us);
    const seen = new Set<string>();
    for (const n of stack) {
      const a = area(n.callFrame.url, n.callFrame.functionName);
      if (!seen.has(a)) {
        seen.add(a);
        add(inclusiveArea, a, us);
      }
    }
  }
  return { total, idle, skipped, leafArea, cause, selfFn, inclusiveArea };
}

function main(): void {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      top: { type: 'string', default: '25' },
      declarations: { type: 'string' },
      'skip-seconds': { type: 'string', default: '0' },
    },
  });
  const dir = positionals[0];
  if (!dir)
    throw new Error(
      'usage: bench/profile-summary.ts <profile dir> [--top N] [--declarations N] [--skip-seconds S]',
    );
  const n = Number(values.top);
  const decls = values.declarations ? Number(values.declarations) : undefined;
  const fmt = (us: number, total: number) =>
    `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%` +
    (decls ? ` ${(us / 1000 / decls).toFixed(2).padStart(6)} ms/decl` : '');
  for (const file of readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()) {
    const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile;
    const s = summarise(profile, Number(values['skip-seconds']) * 1e6);
    console.log(
      `\n=== ${file}: busy ${(s.total / 1e6).toFixed(2)} s, idle ${(s.idle / 1e6).toFixed(2)} s, ` +
        `bundler (left out) ${(s.skipped / 1e6).toFixed(2)} s`,
    );
    if (s.total < 50_000) continue;
    console.log('-- by area of the leaf frame (self time)');
    for (const [k, v] of top(s.leafArea, n)) console.log(`${fmt(v, s.total)}  ${k}`);
    console.log('-- by area anywhere on the stack (inclusive)');
    for (const [k, v] of top(s.inclusiveArea, n)) console.log(`${fmt(v, s.total)}  ${k}`);
    console.log('-- by the nearest frame of our own code (who caused it)');
    for (const [k, v] of top(s.cause, n)) console.log(`${fmt(v, s.total)}  ${k}`);
    console.log('-- heaviest functions (self time)');
    for (const [k, v] of top(s.selfFn, n)) console.log(`${fmt(v, s.total)}  ${k}`);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();

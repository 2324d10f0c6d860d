import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import type { Kafka } from 'kafkajs';
import { stackDown, stackStatus, stackUp } from '../infra/stack.js';
import { KAFKA_VERSION, TEMPORAL_CLI_VERSION } from '../infra/stack-settings.js';
import { loadConfig } from '../runtime/config.js';
import { createKafka, createProducer, ensureTopics, pipelineTopics } from '../messaging/kafka.js';
import { createRootLogger } from '../runtime/logger.js';
import { loadRegistry } from '../runtime/registry.js';
import { connectTemporal } from '../runtime/temporal.js';
import { declarationWorkflowId } from '../clearance-client/workflow-ids.js';
import { Bench, fmtMs, type PhaseCost, type Side, type SideName, type StepResult } from './bench.js';
import { EXPECTED_AGENCIES } from './declaration.js';
import type { HostSettings } from './host-protocol.js';
import { Host } from './hosts.js';
import { PrivateTemporal } from './private-temporal.js';
import { historyProfile, type HistoryProfile } from './history.js';
import { benchSigner } from './bench-pki.js';
import { median, percentiles, SideLedger } from './load.js';
import { submitOverHttp } from './gateway-side.js';
import { freePort } from '../infra/processes.js';
import { createPool } from '../runtime/postgres.js';
import type { Pool } from 'pg';
import {
  printSummary,
  sideIntegrity,
  sideReport,
  type Integrity,
  type LatencyRound,
  type SideIntegrity,
  type SideReport,
} from './report.js';
import {
  observeStatuses,
  produceDeclarations,
  startBaselineWorkflows,
  type StatusObserver,
} from './sides.js';
import { AGENCY_WORKER_SETTINGS, CLEARANCE_WORKER_SETTINGS } from '../services/temporal-workers.js';
import { parseOverrides, type WorkerOverrides } from './worker-settings.js';

const HELP = `Usage: npm run bench [-- options]

Measures Ventanilla end to end (S: a declaration produced to the declarations topic, until its
final CLEARED status event) side by side with a bare Temporal workflow of the same shape (B0: a
client's start call, until the result of a workflow that fans out to 4 no-op activities on one
task queue per agency), and with the trader's way in (G: an HTTP POST to the gateway, then the
declaration's SSE stream until the final status, read back from the PostgreSQL archive once the
projector has committed it), on the local stack (started if it is not running) with the
production worker settings. Each side's processes are children of their own (S: the pipeline
and the projector that archives its declarations; G: the pipeline, the projector and the
gateway; as npm start runs them); this process only offers load and observes. Phases alternate
B0, S, G, B0, S, G, ... after a warm-up of each.

  1. capacity: a ramp of offered rates per side (open loop). A step passes when completions keep
     within 10% of the offered rate and the step's p99 stays under --p99-cap-ms. A side's
     sustainable maximum is the completion rate of its highest passing step (median of rounds).
  2. latency: both sides at --load-fraction of B0's maximum, --rounds rounds each; the figures
     are the median of the rounds' percentiles. A round disturbed by other processes (see
     --quiet-cores) is left out and another one run, while time allows.
  3. cost: worker CPU per declaration (each side's processes), Temporal server and Kafka broker
     CPU, history events per workflow from a sample of histories.

G's own figures: its throughput and p99 against S's (gateway_vs_kafka_*), and the archive's lag,
status event produced to its row written (archive_lag_p50_ms, archive_lag_p99_ms).

Writes bench/results/<run>.json (plus one log file per worker process) and prints a last line
"RESULT {json}". Exits 1 if a declaration was lost, duplicated or did not clear.

Options:
  --quick                 a short run (under 3 minutes): 1 capacity round, short phases
  --rounds N              latency rounds (default 3)
  --capacity-rounds N     capacity rounds (default 3; --quick 1)
  --warmup-seconds S      warm-up per side (default 15; --quick 4)
  --step-seconds S        length of a capacity step (default 8; --quick 4)
  --latency-seconds S     length of a latency phase (default 20; --quick 5)
  --start-rate R          first rate of the first ramp, per second (default: 85% of the CPU
                          ceiling estimated from the warm-up)
  --max-rate R            never offer more than this per second (default 2000)
  --p99-cap-ms MS         a capacity step whose p99 exceeds this fails (default 2000)
  --load-fraction F       latency phases run at F x B0's maximum (default 0.5)
  --history-sample N      histories fetched per side (default 20; --quick 10)
  --quiet-cores C         before a ramp or latency phase, wait while processes outside the
                          benchmark use more than C cores (default 0.3), and repeat a capacity
                          step that fell behind while they did (twice per ramp; --quick once)...
  --quiet-budget-seconds S  ...but wait no longer than S over the whole run (default 90; --quick 12)
  --log-level LEVEL       LOG_LEVEL of the worker processes (default: LOG_LEVEL, else info, as in
                          production); their logs go to bench/results/<run>-<process>.log
  --partitions N          partitions of the run's topics (default VENTANILLA_TOPIC_PARTITIONS, 6)
  --temporal private|shared  private (the default): a Temporal dev server of the run's own, built
                          and configured as the stack's (same CLI, same SQLite pragmas) on a
                          fresh database, so that other tests on this machine do not share its
                          CPU and SQLite lock; shared: the stack's server (TEMPORAL_ADDRESS, or
                          127.0.0.1:7233). Set TEMPORAL_ADDRESS and shared is the default.

Experiments (each moves the run away from production; the result file records them):
  --layout single|split   S as npm start runs it: one process with the workers, intake (which
                          starts clearances eagerly, on the workers' connection) and the decision
                          bridge (single, the default); or intake in a process of its own, with
                          its own connection, as npm start -- --split runs it (split)
  --wf-worker-options J   JSON merged into the workflow workers' options, both sides, e.g.
                          '{"maxConcurrentWorkflowTaskPolls":20}'
  --activity-worker-options J   the same for the activity (agency) workers
  --b0-eager-activities   B0's activities on the workflow's own task queue (eager dispatch)
  --dynamic-config K=V    with --temporal private: a server dynamic-config value, e.g.
                          system.enableActivityEagerExecution=true; repeat for several
  --fixed-rate R          no capacity ramps: the latency rounds run at R per second (to compare
                          the CPU cost of a change at equal load; the throughput keys are null)
  --sqlite-pragma P       with --temporal private: use this pragma instead of the stack's
                          (journal_mode=wal, synchronous=normal); repeat for several
  --without-gateway       no G side (a run about a third shorter)
  --without-kafka-archive S without its projector: by default S archives its declarations as
                          npm start does for every declaration, whichever way it came in
  --unsigned              S unsigned (VENTANILLA_SIGNATURES=off) instead of signed and verified
  --with-unsigned         a third side, SU: the same pipeline unsigned, in its own processes,
                          interleaved with B0 and S; reports what signing costs (S/SU), in one
                          run (about half as long again)
  --cpu-prof              write V8 CPU profiles of the worker processes to bench/results/<run>-prof/
  -h, --help              this text
`;

interface Settings {
  quick: boolean;
  latencyRounds: number;
  capacityRounds: number;
  warmupMs: number;
  stepMs: number;
  latencyMs: number;
  startRate: number | undefined;
  maxRate: number;
  p99CapMs: number;
  loadFraction: number;
  historySample: number;
  quietCores: number;
  quietBudgetMs: number;
  retries: number;
  patienceUntil: number;
  rampUntil: number;
  /** Latency rounds added at most for disturbed ones, and only before this time (epoch ms). */
  extraRounds: number;
  extraRoundsUntil: number;
  logLevel: string;
  partitions: number | undefined;
  layout: 'split' | 'single';
  wfOverrides: WorkerOverrides;
  actOverrides: WorkerOverrides;
  b0EagerActivities: boolean;
  temporal: 'private' | 'shared';
  sqlitePragmas: string[] | undefined;
  dynamicConfig: string[] | undefined;
  cpuProf: boolean;
  unsigned: boolean;
  withUnsigned: boolean;
  gateway: boolean;
  /** S runs a projector into an archive schema of its own, as the product archives every declaration. */
  kafkaArchive: boolean;
  fixedRate: number | undefined;
  /** First ramp: multiply the rate by `growth` until a step fails, then bisect to `precision`. */
  growth: number;
  precision: number;
  maxSteps: number;
}

function parseSettings(): Settings | undefined {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      'capacity-rounds': { type: 'string' },
      'warmup-seconds': { type: 'string' },
      'step-seconds': { type: 'string' },
      'latency-seconds': { type: 'string' },
      'start-rate': { type: 'string' },
      'max-rate': { type: 'string' },
      'p99-cap-ms': { type: 'string' },
      'load-fraction': { type: 'string' },
      'history-sample': { type: 'string' },
      'quiet-cores': { type: 'string' },
      'quiet-budget-seconds': { type: 'string' },
      'log-level': { type: 'string' },
      unsigned: { type: 'boolean', default: false },
      'with-unsigned': { type: 'boolean', default: false },
      'without-gateway': { type: 'boolean', default: false },
      'without-kafka-archive': { type: 'boolean', default: false },
      partitions: { type: 'string' },
      layout: { type: 'string', default: 'single' },
      'wf-worker-options': { type: 'string' },
      'activity-worker-options': { type: 'string' },
      'b0-eager-activities': { type: 'boolean', default: false },
      temporal: { type: 'string' },
      'sqlite-pragma': { type: 'string', multiple: true },
      'dynamic-config': { type: 'string', multiple: true },
      'cpu-prof': { type: 'boolean', default: false },
      'fixed-rate': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(HELP);
    return undefined;
  }
  const quick = values.quick;
  const num = (name: string, value: string | undefined, fallback: number, min: number, max: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isFinite(n) || n < min || n > max)
      throw new Error(`--${name}: expected a number from ${min} to ${max}, got ${value}`);
    return n;
  };
  if (values.layout !== 'split' && values.layout !== 'single')
    throw new Error(`--layout: expected split or single, got ${values.layout}`);
  const temporal = values.temporal ?? (loadConfig().temporalExternal ? 'shared' : 'private');
  if (temporal !== 'private' && temporal !== 'shared')
    throw new Error(`--temporal: expected private or shared, got ${temporal}`);
  if ((values['sqlite-pragma'] || values['dynamic-config']) && temporal !== 'private')
    throw new Error('--sqlite-pragma and --dynamic-config need --temporal private');
  if (values.unsigned && values['with-unsigned'])
    throw new Error(
      '--unsigned and --with-unsigned exclude each other: --with-unsigned adds SU beside a signed S',
    );
  // The time budgets below are for two sides; each side more takes half as long again.
  const sides = 2 + (values['with-unsigned'] ? 1 : 0) + (values['without-gateway'] ? 0 : 1);
  const span = (seconds: number) => T0 + seconds * (sides / 2) * 1000;
  return {
    quick,
    latencyRounds: num('rounds', values.rounds, 3, 1, 10),
    capacityRounds: num('capacity-rounds', values['capacity-rounds'], quick ? 1 : 3, 1, 10),
    warmupMs: num('warmup-seconds', values['warmup-seconds'], quick ? 4 : 15, 1, 120) * 1000,
    stepMs: num('step-seconds', values['step-seconds'], quick ? 4 : 8, 2, 60) * 1000,
    latencyMs: num('latency-seconds', values['latency-seconds'], quick ? 5 : 20, 2, 120) * 1000,
    startRate:
      values['start-rate'] === undefined ? undefined : num('start-rate', values['start-rate'], 0, 1, 5000),
    maxRate: num('max-rate', values['max-rate'], 2000, 1, 10_000),
    p99CapMs: num('p99-cap-ms', values['p99-cap-ms'], 2000, 50, 60_000),
    loadFraction: num('load-fraction', values['load-fraction'], 0.5, 0.05, 1),
    historySample: num('history-sample', values['history-sample'], quick ? 10 : 20, 1, 200),
    quietCores: num('quiet-cores', values['quiet-cores'], 0.3, 0, 64),
    quietBudgetMs:
      num('quiet-budget-seconds', values['quiet-budget-seconds'], quick ? 20 : 90, 0, 600) * 1000,
    logLevel: values['log-level'] ?? loadConfig().logLevel,
    partitions: values.partitions === undefined ? undefined : num('partitions', values.partitions, 6, 1, 100),
    layout: values.layout,
    wfOverrides: parseOverrides('--wf-worker-options', values['wf-worker-options']),
    actOverrides: parseOverrides('--activity-worker-options', values['activity-worker-options']),
    b0EagerActivities: values['b0-eager-activities'],
    temporal,
    sqlitePragmas: values['sqlite-pragma'],
    dynamicConfig: values['dynamic-config'],
    cpuProf: values['cpu-prof'],
    unsigned: values.unsigned,
    withUnsigned: values['with-unsigned'],
    gateway: !values['without-gateway'],
    kafkaArchive: !values['without-kafka-archive'],
    fixedRate:
      values['fixed-rate'] === undefined ? undefined : num('fixed-rate', values['fixed-rate'], 0, 0.5, 5000),
    retries: quick ? 1 : 2,
    // Past this point the run stops waiting for other processes, to stay within its time.
    patienceUntil: span(quick ? 110 : 600),
    rampUntil: span(quick ? 100 : 560),
    extraRounds: quick ? 1 : 3,
    extraRoundsUntil: span(quick ? 140 : 700),
    growth: quick ? 1.2 : 1.15,
    precision: quick ? 0.12 : 0.08,
    maxSteps: quick ? 6 : 9,
  };
}

const T0 = Date.now();
function say(line: string): void {
  const s = Math.floor((Date.now() - T0) / 1000);
  const clock = `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  console.log(`[bench ${clock}] ${line}`);
}

const round1 = (n: number) => Math.round(n * 10) / 10;
/** A side-by-side ratio, to three decimals. */
const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;

/** Declarations per second all cores could carry if this cost per declaration were all there was. */
function cpuCeiling(cost: PhaseCost): number | undefined {
  if (cost.temporalCpuS === undefined || cost.kafkaCpuS === undefined || cost.completed === 0)
    return undefined;
  const perDecl = (cost.workersCpuS + cost.loadgenCpuS + cost.temporalCpuS + cost.kafkaCpuS) / cost.completed;
  return cpus().length / perDecl;
}

async function main(): Promise<number> {
  const settings = parseSettings();
  if (!settings) return 0;
  const base = loadConfig();
  const { started } = await stackUp(base, (line) => say(`[stack] ${line}`));
  const stamp = new Date().toISOString().replace(/[-:]/g, '').slice(0, 15);
  const runId = `bench-${stamp}-${randomBytes(3).toString('hex')}`;
  const resultsDir = fileURLToPath(new URL('./results/', import.meta.url));
  mkdirSync(resultsDir, { recursive: true });
  const agencies = loadRegistry(base).agencies.map((a) => a.code);
  if (agencies.length !== EXPECTED_AGENCIES.length || agencies.some((a) => !EXPECTED_AGENCIES.includes(a)))
    throw new Error(
      `the bench declaration goes to ${EXPECTED_AGENCIES.join(', ')}; the registry has ${agencies}`,
    );
  const signing = await benchSigner(base.home);
  // The pipeline's own topics, queues and groups, isolated as the tests isolate theirs; every
  // agency automatic; a clearance closes as soon as it has cleared (no retention).
  const env: Record<string, string> = {
    VENTANILLA_TOPIC_PREFIX: `${runId}.`,
    VENTANILLA_TASK_QUEUE: `${runId}-clearance`,
    VENTANILLA_AGENCY_TASK_QUEUE_PREFIX: `${runId}-agency-`,
    VENTANILLA_INTAKE_GROUP: `${runId}-intake`,
    VENTANILLA_DECISIONS_GROUP: `${runId}-decisions`,
    VENTANILLA_CLOSED_RETENTION: '0s',
    // As in production: every declaration signed by its trader and verified at intake.
    VENTANILLA_SIGNATURES: settings.unsigned ? 'off' : 'required',
    VENTANILLA_TRUST_DIR: signing.dirs.trustDir,
    VENTANILLA_AGENCY_MODES: agencies.map((a) => `${a}=auto`).join(','),
    LOG_LEVEL: settings.logLevel,
    ...(settings.partitions ? { VENTANILLA_TOPIC_PARTITIONS: String(settings.partitions) } : {}),
  };
  /** The topics, queues and groups of a side of its own beside S, told apart by `tag`. */
  const ownNames = (tag: string) => ({
    VENTANILLA_TOPIC_PREFIX: `${runId}-${tag}.`,
    VENTANILLA_TASK_QUEUE: `${runId}-${tag}-clearance`,
    VENTANILLA_AGENCY_TASK_QUEUE_PREFIX: `${runId}-${tag}-agency-`,
    VENTANILLA_INTAKE_GROUP: `${runId}-${tag}-intake`,
    VENTANILLA_DECISIONS_GROUP: `${runId}-${tag}-decisions`,
  });
  // SU, with --with-unsigned: the same pipeline unsigned.
  const envSU: Record<string, string> = { ...env, ...ownNames('u'), VENTANILLA_SIGNATURES: 'off' };
  let temporal: PrivateTemporal | undefined;
  if (settings.temporal === 'private') {
    say('starting a private Temporal dev server...');
    temporal = await PrivateTemporal.start(
      base.home,
      `${resultsDir}${runId}-temporal.log`,
      settings.sqlitePragmas,
      settings.dynamicConfig,
    );
    env.TEMPORAL_ADDRESS = envSU.TEMPORAL_ADDRESS = temporal.address;
  }
  // The product archives every declaration, whichever way it came in: S's projector, into an
  // archive schema of S's own.
  const archiveSchema = runId.replaceAll('-', '_').toLowerCase();
  const envArchiveS: Record<string, string> = {
    ...env,
    VENTANILLA_PROJECTOR_GROUP: `${runId}-s-projector`,
    VENTANILLA_DATABASE_SCHEMA: `${archiveSchema}_s`,
  };
  // G: the same pipeline behind the trader API, with a projector, a gateway and an archive schema
  // of its own, as npm start runs them.
  const envG: Record<string, string> = {
    ...env,
    ...ownNames('g'),
    VENTANILLA_PROJECTOR_GROUP: `${runId}-g-projector`,
    VENTANILLA_DATABASE_SCHEMA: `${archiveSchema}_g`,
    VENTANILLA_HTTP_HOST: '127.0.0.1',
    VENTANILLA_HTTP_PORT: String(settings.gateway ? await freePort() : 0),
    // One trader sends the whole load: production's limit per trader would refuse most of it.
    VENTANILLA_HTTP_RATE_PER_MINUTE: '1000000',
  };
  const config = loadConfig({ ...process.env, ...env });
  const configSU = loadConfig({ ...process.env, ...envSU });
  const configG = loadConfig({ ...process.env, ...envG });
  const b0Queue = `${runId}-b0`;
  const b0AgencyQueues = Object.fromEntries(
    agencies.map((a) => [a, settings.b0EagerActivities ? b0Queue : `${runId}-b0-agency-${a.toLowerCase()}`]),
  );
  say(
    `run ${runId} (${settings.quick ? 'quick' : 'full'}): ${cpus().length} CPUs, ${cpus()[0]?.model ?? '?'}; ` +
      `load average ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
  );

  const logFds: number[] = [];
  const logFile = (name: string) => {
    const fd = openSync(`${resultsDir}${runId}-${name}.log`, 'a');
    logFds.push(fd);
    return fd;
  };
  const overrides = { wfOverrides: settings.wfOverrides, actOverrides: settings.actOverrides };
  const pipelineHosts = (side: Exclude<SideName, 'B0'>, sideEnv: Record<string, string>): HostPlan[] => {
    const log = side.toLowerCase();
    return settings.layout === 'split'
      ? [
          { host: { kind: 'pipeline-workers', ...overrides }, log: `${log}-workers`, side, env: sideEnv },
          { host: { kind: 'pipeline-intake' }, log: `${log}-intake`, side, env: sideEnv },
        ]
      : [{ host: { kind: 'pipeline', ...overrides }, log: `${log}-pipeline`, side, env: sideEnv }];
  };
  const hostPlan: HostPlan[] = [
    {
      host: {
        kind: 'baseline',
        baseline: { taskQueue: b0Queue, agencyQueues: b0AgencyQueues },
        ...overrides,
      },
      log: 'b0-workers',
      side: 'B0',
      env,
    },
    ...pipelineHosts('S', env),
    ...(settings.kafkaArchive
      ? [{ host: { kind: 'projector' }, log: 's-projector', side: 'S', env: envArchiveS } satisfies HostPlan]
      : []),
    ...(settings.gateway
      ? [
          ...pipelineHosts('G', envG),
          { host: { kind: 'projector' }, log: 'g-projector', side: 'G', env: envG } satisfies HostPlan,
          { host: { kind: 'gateway' }, log: 'g-gateway', side: 'G', env: envG } satisfies HostPlan,
        ]
      : []),
    ...(settings.withUnsigned ? pipelineHosts('SU', envSU) : []),
  ];
  const hosts: Array<Host & { side?: SideName }> = [];
  const kafka = createKafka(config, createRootLogger('warn', 'bench'), `${runId}-loadgen`);
  const producer = createProducer(kafka);
  let client: Client | undefined;
  let observer: StatusObserver | undefined;
  let observerSU: StatusObserver | undefined;
  // The run's archive schemas (S's, G's), read for their lag and dropped at the end.
  const archiveSchemas = [
    ...(settings.kafkaArchive ? [envArchiveS.VENTANILLA_DATABASE_SCHEMA!] : []),
    ...(settings.gateway ? [configG.databaseSchema!] : []),
  ];
  const archive =
    archiveSchemas.length > 0 ? createPool(configG, { applicationName: 'bench', max: 2 }) : undefined;
  let exitCode = 0;
  try {
    const temporalClient = (client = await connectTemporal(config));
    await ensureTopics(kafka, pipelineTopics(config, agencies), config.topicPartitions);
    if (settings.withUnsigned)
      await ensureTopics(kafka, pipelineTopics(configSU, agencies), config.topicPartitions);
    if (settings.gateway)
      await ensureTopics(kafka, pipelineTopics(configG, agencies), config.topicPartitions);
    await producer.connect();
    const b0 = new SideLedger('B0', `${runId}-b0`, (offers) =>
      startBaselineWorkflows(temporalClient, b0Queue, b0AgencyQueues, offers, b0),
    );
    const s = new SideLedger('S', `${runId.toUpperCase()}-S`, (offers) =>
      produceDeclarations(producer, config, offers, s, settings.unsigned ? undefined : signing.sign),
    );
    observer = await observeStatuses(kafka, config, s);
    const events = observer.events;
    const su = new SideLedger('SU', `${runId.toUpperCase()}-U`, (offers) =>
      produceDeclarations(producer, configSU, offers, su, undefined),
    );
    if (settings.withUnsigned) observerSU = await observeStatuses(kafka, configSU, su);
    const trader = {
      url: `http://127.0.0.1:${configG.httpPort}`,
      signer: signing.signer,
      sign: signing.sign,
    };
    const g = new SideLedger('G', `${runId.toUpperCase()}-G`, (offers) => submitOverHttp(trader, offers, g));
    say('starting the worker processes (bundling workflow code)...');
    const launched = await Promise.allSettled(
      hostPlan.map(async (plan) => {
        const prof = settings.cpuProf ? `${resultsDir}${runId}-prof` : undefined;
        const host = await Host.start(plan.host, plan.env, logFile(plan.log), prof);
        return Object.assign(host, { side: plan.side });
      }),
    );
    for (const r of launched) if (r.status === 'fulfilled') hosts.push(r.value);
    const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const sideOf = (name: SideName, ledger: SideLedger): Side => ({
      name,
      ledger,
      hosts: hosts.filter((h) => h.side === name),
      fillMs: 1000,
    });
    const B0 = sideOf('B0', b0);
    const S = sideOf('S', s);
    const G = sideOf('G', g);
    const SU = sideOf('SU', su);
    const order = [B0, S, ...(settings.gateway ? [G] : []), ...(settings.withUnsigned ? [SU] : [])];
    const status = await stackStatus(base);
    const pids = {
      temporal: temporal?.pid ?? status.temporal.pid,
      kafka: status.kafka.pid,
      postgres: status.postgres.pid,
    };
    const bench = new Bench(settings, order, pids, say);

    // Warm-up: JIT, worker caches, connections, consumer-group joins. It also gives each side's
    // fill time (a capacity step skips that much) and a first CPU ceiling to start the ramp near.
    const warmRate = 15;
    const ceilings: Record<SideName, number | undefined> = {
      B0: undefined,
      S: undefined,
      G: undefined,
      SU: undefined,
    };
    for (const side of order) {
      await bench.awaitQuiet(`${side.name}'s warm-up`);
      say(`warm-up ${side.name} at ${warmRate}/s for ${settings.warmupMs / 1000}s`);
      const { latency, drained, cost } = await bench.phase(side, warmRate, settings.warmupMs, 60_000);
      if (!drained)
        throw new Error(`${side.name} did not complete its warm-up (${side.ledger.outstanding} open)`);
      side.fillMs = Math.min(0.4 * settings.stepMs, Math.max(500, 2 * latency.p50));
      ceilings[side.name] = cpuCeiling(cost);
      say(
        `  ${side.name} warm: p50 ${fmtMs(latency.p50)} p99 ${fmtMs(latency.p99)}; ` +
          `CPU ceiling ~${round1(ceilings[side.name] ?? NaN)}/s`,
      );
    }

    // Capacity, interleaved. Later rounds start just under the first round's figure.
    const maxima: Record<SideName, number[]> = { B0: [], S: [], G: [], SU: [] };
    const capacitySteps: Record<SideName, StepResult[][]> = { B0: [], S: [], G: [], SU: [] };
    const capacityRounds = settings.fixedRate === undefined ? settings.capacityRounds : 0;
    for (let round = 1; round <= capacityRounds; round++) {
      for (const side of order) {
        say(`capacity round ${round}/${settings.capacityRounds}: ${side.name}`);
        const known = maxima[side.name];
        const start = known.length
          ? 0.85 * median(known)
          : (settings.startRate ?? Math.max(2, 0.85 * (ceilings[side.name] ?? 20)));
        const { max, steps } = await bench.findMax(
          side,
          start,
          known.length ? 1 + settings.precision : settings.growth,
        );
        maxima[side.name].push(max);
        capacitySteps[side.name].push(steps);
        say(`  ${side.name} sustains ${round1(max)}/s`);
      }
    }
    const b0Max = median(maxima.B0);
    if (settings.fixedRate === undefined && !(b0Max > 0))
      throw new Error('B0 sustained no rate at all; see the log files');

    // Latency at a fraction of B0's maximum (or the fixed rate), interleaved.
    const latencyRate = settings.fixedRate ?? round1(settings.loadFraction * b0Max);
    const latencyIds: Record<SideName, string[]> = { B0: [], S: [], G: [], SU: [] };
    const rounds: Record<SideName, LatencyRound[]> = { B0: [], S: [], G: [], SU: [] };
    const costs: Record<SideName, PhaseCost[]> = { B0: [], S: [], G: [], SU: [] };
    // A round in which other processes took CPU is repeated (a few times, while there is time);
    // the figures then come from the undisturbed rounds.
    let planned = settings.latencyRounds;
    const disturbedRounds: number[] = [];
    for (let round = 1; round <= planned; round++) {
      let disturbed = false;
      for (const side of order) {
        await bench.awaitQuiet(`${side.name}'s latency round`);
        const { offered, latency, cost, drained } = await bench.phase(
          side,
          latencyRate,
          settings.latencyMs,
          30_000,
        );
        latencyIds[side.name].push(...offered.ids);
        const foreignCores = cost.foreignCpuS === undefined ? undefined : cost.foreignCpuS / cost.wallS;
        const noisy = foreignCores !== undefined && foreignCores > settings.quietCores;
        disturbed ||= noisy;
        rounds[side.name].push({ ...latency, foreignCores });
        costs[side.name].push(cost);
        say(
          `latency round ${round}/${planned} ${side.name} at ${latencyRate}/s: ` +
            `p50 ${fmtMs(latency.p50)} p95 ${fmtMs(latency.p95)} p99 ${fmtMs(latency.p99)}; ` +
            `workers ${round1((cost.workersCpuS * 1000) / Math.max(1, cost.completed))} CPU-ms/decl` +
            (noisy ? ` [other processes: ${foreignCores.toFixed(2)} cores]` : '') +
            (drained ? '' : ` (not drained: ${side.ledger.outstanding} open)`),
        );
      }
      if (disturbed) {
        disturbedRounds.push(round - 1);
        if (
          planned < settings.latencyRounds + settings.extraRounds &&
          Date.now() < settings.extraRoundsUntil
        ) {
          planned++;
          say('  (disturbed by other processes: one more round)');
        }
      }
    }
    const clean = rounds.B0.map((_, i) => i).filter((i) => !disturbedRounds.includes(i));
    const used = clean.length > 0 ? clean : rounds.B0.map((_, i) => i);

    say('fetching a sample of histories...');
    const sample = (ids: string[]) => {
      const n = Math.min(settings.historySample, ids.length);
      return Array.from({ length: n }, (_, i) => ids[Math.floor((i * ids.length) / n)]!);
    };
    const history: Record<SideName, HistoryProfile | undefined> = {
      SU: undefined,
      G: undefined,
      B0: await historyProfile(
        temporalClient,
        sample(latencyIds.B0),
        `${resultsDir}${runId}-B0.history.json`,
      ),
      S: await historyProfile(
        temporalClient,
        sample(latencyIds.S).map(declarationWorkflowId),
        `${resultsDir}${runId}-S.history.json`,
      ),
    };

    // Every offer must complete exactly once, the ramps' overloads included.
    say('waiting for stragglers...');
    await bench.drain(S, 60_000);
    await bench.drain(B0, 60_000);
    if (settings.gateway) await bench.drain(G, 60_000);
    if (settings.withUnsigned) await bench.drain(SU, 60_000);
    for (const side of order) reportOpen(side);
    const integrity: Integrity = {
      S: {
        ...sideIntegrity(s),
        redelivered_final_events: s.redeliveries,
        foreign_final_events: s.strangers,
        status_events_per_declaration: Math.round((events() / Math.max(1, s.offered)) * 1000) / 1000,
      },
      B0: sideIntegrity(b0),
      ...(settings.gateway ? { G: sideIntegrity(g) } : {}),
      ...(settings.withUnsigned ? { SU: sideIntegrity(su) } : {}),
    };

    const report = (side: Side): SideReport =>
      sideReport({
        maxima: maxima[side.name],
        steps: capacitySteps[side.name],
        rounds: used.map((i) => rounds[side.name][i]!),
        allRounds: rounds[side.name],
        pooled: percentiles(side.ledger.latencies(latencyIds[side.name])),
        costs: costs[side.name],
        history: history[side.name],
        cores: cpus().length,
      });
    const rB0 = report(B0);
    const rS = report(S);
    const segment = (side: Side, from: string, to: string) => {
      const p = side.ledger.segment(latencyIds[side.name], from, to);
      return { p50: Math.round(p.p50), p99: Math.round(p.p99) };
    };
    rS.latency_breakdown = {
      record_to_received_event: segment(S, 'sent', 'received'),
      received_to_cleared_event: segment(S, 'received', 'final'),
      cleared_event_to_observed: segment(S, 'final', 'done'),
    };
    if (settings.kafkaArchive && archive) {
      rS.archive_lag_ms = await archiveLag(archive, envArchiveS.VENTANILLA_DATABASE_SCHEMA!, latencyIds.S);
    }
    const rG = settings.gateway ? report(G) : undefined;
    if (rG && archive) {
      rG.latency_breakdown = {
        post_to_accepted: segment(G, 'sent', 'accepted'),
        accepted_to_received_event: segment(G, 'accepted', 'received'),
        received_to_cleared_event: segment(G, 'received', 'final'),
        cleared_event_to_read_from_archive: segment(G, 'final', 'done'),
      };
      rG.archive_lag_ms = await archiveLag(archive, configG.databaseSchema!, latencyIds.G);
    }
    const rSU = settings.withUnsigned ? report(SU) : undefined;
    const sidesIntegrity = Object.values(integrity) as SideIntegrity[];
    const lost = sidesIntegrity.reduce((a, i) => a + i.lost, 0);
    const duplicated = sidesIntegrity.reduce((a, i) => a + i.duplicated, 0);
    const result = {
      pipeline_per_s: rS.sustained_per_s,
      baseline_per_s: rB0.sustained_per_s,
      throughput_ratio: ratio(rS.sustained_per_s, rB0.sustained_per_s),
      pipeline_p50_ms: rS.latency.p50,
      pipeline_p95_ms: rS.latency.p95,
      pipeline_p99_ms: rS.latency.p99,
      baseline_p50_ms: rB0.latency.p50,
      baseline_p95_ms: rB0.latency.p95,
      baseline_p99_ms: rB0.latency.p99,
      latency_ratio_p50: ratio(rS.latency.p50, rB0.latency.p50),
      latency_ratio_p99: ratio(rS.latency.p99, rB0.latency.p99),
      latency_at_per_s: latencyRate,
      pipeline_cpu_ms_per_decl: rS.cpu_per_declaration_ms.workers,
      baseline_cpu_ms_per_decl: rB0.cpu_per_declaration_ms.workers,
      pipeline_history_events: rS.history?.events_per_workflow,
      baseline_history_events: rB0.history?.events_per_workflow,
      lost,
      duplicated,
      not_cleared: sidesIntegrity.reduce((a, i) => a + i.not_cleared, 0),
      ...(rG ? gatewayCost(rS, rG) : {}),
      ...(rSU ? signingCost(rS, rSU) : {}),
      mode: settings.quick ? 'quick' : 'full',
      experiment: experimentLabel(settings),
    };
    const file = `${resultsDir}${runId}.json`;
    const machine = {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memoryGb: round1(totalmem() / 2 ** 30),
      node: process.version,
      temporalCli: TEMPORAL_CLI_VERSION,
      kafka: KAFKA_VERSION,
      loadAverageAtEnd: loadavg(),
    };
    const recorded = {
      ...settings,
      baselineWorkerSettings: { workflow: CLEARANCE_WORKER_SETTINGS, activities: AGENCY_WORKER_SETTINGS },
      topicPartitions: config.topicPartitions,
    };
    const document = {
      run: runId,
      at: new Date().toISOString(),
      result,
      sides: { B0: rB0, S: rS, ...(rG ? { G: rG } : {}), ...(rSU ? { SU: rSU } : {}) },
      integrity,
    };
    writeFileSync(file, JSON.stringify({ ...document, settings: recorded, machine }, null, 2));
    printSummary(result, rB0, rS, integrity, rG, rSU);
    say(`wrote ${file}`);
    if (lost > 0 || duplicated > 0 || result.not_cleared > 0) {
      say(`FAILED: ${lost} lost, ${duplicated} duplicated, ${result.not_cleared} did not clear`);
      exitCode = 1;
    }
    console.log(`RESULT ${JSON.stringify(result)}`);
  } finally {
    await observer?.consumer.disconnect().catch(() => undefined);
    await observerSU?.consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await Promise.all(hosts.map((h) => h.stop().catch(() => undefined)));
    await client?.connection.close().catch(() => undefined);
    await temporal?.stop().catch(() => undefined);
    // The run's topics served this run only; the shared broker need not keep them.
    const runTopics = [
      config,
      ...(settings.gateway ? [configG] : []),
      ...(settings.withUnsigned ? [configSU] : []),
    ].flatMap((c) => pipelineTopics(c, agencies));
    if (archive) {
      // The run's archive schemas served this run only, too.
      for (const schema of archiveSchemas) {
        await archive
          .query(`drop schema if exists ${schema} cascade`)
          .catch((error: unknown) => say(`could not drop the run's archive schema: ${String(error)}`));
      }
      await archive.end().catch(() => undefined);
    }
    await deleteTopics(kafka, runTopics).catch((error: unknown) =>
      say(`could not delete the run's topics: ${String(error)}`),
    );
    for (const fd of logFds) closeSync(fd);
    if (started.length > 0) await stackDown(base, (line) => say(`[stack] ${line}`), started);
  }
  return exitCode;
}

/** A worker process to start: what it runs, its log file's name, the side it serves and its env. */
interface HostPlan {
  host: HostSettings;
  log: string;
  side: SideName;
  env: Record<string, string>;
}

/** What is left open of a side after the drain, and why as far as the ledger knows. */
function reportOpen({ name, ledger }: Side): void {
  if (ledger.outstanding === 0 && ledger.errors === 0) return;
  const open = [...ledger.sentAt.keys()].filter((id) => !ledger.doneAt.has(id));
  const sample = open
    .slice(0, 3)
    .map((id) => `${id} ${JSON.stringify(ledger.marks.get(id) ?? {})}`)
    .join('; ');
  say(
    `  ${name}: ${open.length} open${sample ? ` (${sample})` : ''}; ` +
      `${ledger.errors} errors${ledger.lastError ? `, the last: ${ledger.lastError}` : ''}`,
  );
}

/** The trader API's path (G) against Kafka's (S), measured in the same run. */
function gatewayCost(S: SideReport, G: SideReport) {
  return {
    gateway_per_s: G.sustained_per_s,
    gateway_vs_kafka_throughput_ratio: ratio(G.sustained_per_s, S.sustained_per_s),
    gateway_p50_ms: G.latency.p50,
    gateway_p99_ms: G.latency.p99,
    gateway_vs_kafka_latency_ratio_p99: ratio(G.latency.p99, S.latency.p99),
    gateway_cpu_ms_per_decl: G.cpu_per_declaration_ms.workers,
    archive_lag_p50_ms: G.archive_lag_ms?.p50,
    archive_lag_p99_ms: G.archive_lag_ms?.p99,
  };
}

/**
 * The archive's lag over these declarations' status events: from the event's `at` (stamped as the
 * publishing activity produces it) to its row's archived_at (the clock when the projector wrote it).
 */
async function archiveLag(
  pool: Pool,
  schema: string,
  ids: string[],
): Promise<{ p50: number; p99: number; n: number }> {
  const { rows } = await pool.query<{ n: number; p50: number | null; p99: number | null }>(
    `select count(*)::int as n,
            percentile_cont(0.5) within group (order by ms) as p50,
            percentile_cont(0.99) within group (order by ms) as p99
     from (select extract(epoch from archived_at - at) * 1000 as ms
           from ${schema}.status_events where declaration_id = any($1)) lag`,
    [ids],
  );
  const row = rows[0]!;
  return { p50: Math.round(row.p50 ?? NaN), p99: Math.round(row.p99 ?? NaN), n: row.n };
}

/** What signing and verifying cost: S (signed) against SU (unsigned), measured in the same run. */
function signingCost(S: SideReport, SU: SideReport) {
  return {
    unsigned_per_s: SU.sustained_per_s,
    signed_vs_unsigned_throughput_ratio: ratio(S.sustained_per_s, SU.sustained_per_s),
    unsigned_p99_ms: SU.latency.p99,
    signed_vs_unsigned_latency_ratio_p99: ratio(S.latency.p99, SU.latency.p99),
    unsigned_cpu_ms_per_decl: SU.cpu_per_declaration_ms.workers,
    verification_cpu_ms_per_decl: round1(
      S.cpu_per_declaration_ms.workers - SU.cpu_per_declaration_ms.workers,
    ),
    signing_loadgen_cpu_ms_per_decl: round1(
      S.cpu_per_declaration_ms.loadgen - SU.cpu_per_declaration_ms.loadgen,
    ),
  };
}

async function deleteTopics(kafka: Kafka, topics: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics, timeout: 10_000 });
  } finally {
    await admin.disconnect();
  }
}

/** What this run changed from production, in a few words ('production' when nothing). */
function experimentLabel(settings: Settings): string {
  const parts: string[] = [];
  if (settings.layout !== 'single') parts.push(`layout=${settings.layout}`);
  if (Object.keys(settings.wfOverrides).length) parts.push(`wf=${JSON.stringify(settings.wfOverrides)}`);
  if (Object.keys(settings.actOverrides).length) parts.push(`act=${JSON.stringify(settings.actOverrides)}`);
  if (settings.b0EagerActivities) parts.push('b0-eager-activities');
  if (settings.partitions) parts.push(`partitions=${settings.partitions}`);
  if (settings.logLevel !== 'info') parts.push(`log=${settings.logLevel}`);
  if (settings.temporal !== 'private') parts.push(`temporal=${settings.temporal}`);
  if (settings.fixedRate !== undefined) parts.push(`fixed-rate=${settings.fixedRate}`);
  if (settings.sqlitePragmas) parts.push(`sqlite=${settings.sqlitePragmas.join(',')}`);
  if (settings.dynamicConfig) parts.push(`dynamic-config=${settings.dynamicConfig.join(',')}`);
  if (settings.unsigned) parts.push('unsigned');
  if (settings.withUnsigned) parts.push('with-unsigned');
  if (!settings.gateway) parts.push('without-gateway');
  if (!settings.kafkaArchive) parts.push('without-kafka-archive');
  return parts.join(' ') || 'production';
}

// Exit explicitly: a client connection left half-closed by a failure must not keep the run alive.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    process.exit(1);
  },
);

import type { PhaseCost, StepResult } from './bench.js';
import type { HistoryProfile } from './history.js';
import { median, type Percentiles, type SideLedger } from './load.js';

export type LatencyRound = Percentiles & { foreignCores: number | undefined };

export interface SideReport {
  /** Median over the capacity rounds of each round's sustainable maximum. */
  sustained_per_s: number;
  capacity_rounds: number[];
  capacity_steps: Array<Array<{ rate: number; achieved: number; p99: number; ok: boolean }>>;
  /** Median over the (undisturbed) latency rounds of each round's percentiles. */
  latency: { p50: number; p95: number; p99: number };
  /** All latency rounds' samples together (one bad round weighs on these). */
  latency_pooled: Percentiles;
  /** How many (undisturbed) rounds the headline figures come from. */
  latency_rounds_used: number;
  /** Every latency round, disturbed ones too. */
  latency_rounds: Array<{
    p50: number;
    p95: number;
    p99: number;
    n: number;
    other_cores: number | undefined;
  }>;
  /** CPU milliseconds per declaration in the latency phases. */
  cpu_per_declaration_ms: {
    workers: number;
    by_process: Record<string, number>;
    loadgen: number;
    temporal_server: number | undefined;
    kafka_broker: number | undefined;
    /** The archive's server and its backends (G writes and reads it; the others leave it idle). */
    postgres_server: number | undefined;
  };
  /** Declarations per second all cores could carry at that cost per declaration. */
  cpu_ceiling_per_s: number | undefined;
  /** CPU seconds other processes used during the latency phases. */
  other_processes_cpu_s: number | undefined;
  history: HistoryProfile | undefined;
  /** S and G: where the latency goes (latency phases), as p50/p99 of each segment. */
  latency_breakdown?: Record<string, { p50: number; p99: number }>;
  /** S (with its projector) and G: status event produced (its `at`) to its archive row written, over the latency phases. */
  archive_lag_ms?: { p50: number; p99: number; n: number };
}

/** Every offer of a side, and where it ended. */
export interface SideIntegrity {
  offered: number;
  cleared: number;
  lost: number;
  duplicated: number;
  not_cleared: number;
  errors: number;
  last_error: string | undefined;
}

export interface Integrity {
  S: SideIntegrity & {
    redelivered_final_events: number;
    foreign_final_events: number;
    status_events_per_declaration: number;
  };
  B0: SideIntegrity;
  G?: SideIntegrity;
  SU?: SideIntegrity;
}

const r1 = (n: number) => (Number.isFinite(n) ? Math.round(n * 10) / 10 : n);
const r0 = (n: number) => (Number.isFinite(n) ? Math.round(n) : n);

export function sideReport(input: {
  maxima: number[];
  steps: StepResult[][];
  rounds: LatencyRound[];
  allRounds: LatencyRound[];
  pooled: Percentiles;
  costs: PhaseCost[];
  history: HistoryProfile | undefined;
  cores: number;
}): SideReport {
  const { costs } = input;
  const completed = costs.reduce((a, c) => a + c.completed, 0);
  const perDecl = (values: Array<number | undefined>) =>
    values.some((v) => v === undefined)
      ? undefined
      : Math.round(((values as number[]).reduce((a, b) => a + b, 0) * 1000 * 100) / Math.max(1, completed)) /
        100;
  const processes = [...new Set(costs.flatMap((c) => Object.keys(c.byProcess)))];
  const cpu = {
    workers: perDecl(costs.map((c) => c.workersCpuS))!,
    by_process: Object.fromEntries(
      processes.map((p) => [p, perDecl(costs.map((c) => c.byProcess[p] ?? 0))!]),
    ),
    loadgen: perDecl(costs.map((c) => c.loadgenCpuS))!,
    temporal_server: perDecl(costs.map((c) => c.temporalCpuS)),
    kafka_broker: perDecl(costs.map((c) => c.kafkaCpuS)),
    postgres_server: perDecl(costs.map((c) => c.postgresCpuS)),
  };
  const total =
    cpu.temporal_server === undefined || cpu.kafka_broker === undefined
      ? undefined
      : cpu.workers + cpu.loadgen + cpu.temporal_server + cpu.kafka_broker + (cpu.postgres_server ?? 0);
  const other = costs.map((c) => c.foreignCpuS);
  return {
    sustained_per_s: r1(median(input.maxima)),
    capacity_rounds: input.maxima.map(r1),
    capacity_steps: input.steps.map((steps) =>
      steps.map((s) => ({ rate: r1(s.rate), achieved: r1(s.achieved), p99: r0(s.latency.p99), ok: s.ok })),
    ),
    latency: {
      p50: r0(median(input.rounds.map((r) => r.p50))),
      p95: r0(median(input.rounds.map((r) => r.p95))),
      p99: r0(median(input.rounds.map((r) => r.p99))),
    },
    latency_pooled: {
      n: input.pooled.n,
      p50: r0(input.pooled.p50),
      p95: r0(input.pooled.p95),
      p99: r0(input.pooled.p99),
      max: r0(input.pooled.max),
      mean: r0(input.pooled.mean),
    },
    latency_rounds_used: input.rounds.length,
    latency_rounds: input.allRounds.map((r) => ({
      p50: r0(r.p50),
      p95: r0(r.p95),
      p99: r0(r.p99),
      n: r.n,
      other_cores: r.foreignCores === undefined ? undefined : Math.round(r.foreignCores * 100) / 100,
    })),
    cpu_per_declaration_ms: cpu,
    cpu_ceiling_per_s: total === undefined ? undefined : r1((input.cores * 1000) / total),
    other_processes_cpu_s: other.some((o) => o === undefined)
      ? undefined
      : r1(other.reduce((a, b) => a! + b!, 0)!),
    history: input.history,
  };
}

export function printSummary(
  result: {
    throughput_ratio: number;
    latency_ratio_p50: number;
    latency_ratio_p99: number;
    latency_at_per_s: number;
  },
  B0: SideReport,
  S: SideReport,
  integrity: Integrity,
  G?: SideReport,
  SU?: SideReport,
): void {
  const row = (label: string, b: unknown, s: unknown, ratio?: unknown) =>
    console.log(
      `  ${label.padEnd(40)}${String(b ?? 'n/a').padStart(10)}${String(s ?? 'n/a').padStart(10)}` +
        (ratio === undefined ? '' : String(ratio).padStart(10)),
    );
  const ratio = (s: number | undefined, b: number | undefined) =>
    s === undefined || b === undefined ? undefined : Math.round((s / b) * 100) / 100;
  const cpu = (r: SideReport) => r.cpu_per_declaration_ms;
  console.log('');
  row('', 'B0', 'S', 'S/B0');
  row('sustained declarations per second', B0.sustained_per_s, S.sustained_per_s, result.throughput_ratio);
  row(
    `latency p50 ms (at ${result.latency_at_per_s}/s)`,
    B0.latency.p50,
    S.latency.p50,
    result.latency_ratio_p50,
  );
  row('latency p95 ms', B0.latency.p95, S.latency.p95, ratio(S.latency.p95, B0.latency.p95));
  row('latency p99 ms', B0.latency.p99, S.latency.p99, result.latency_ratio_p99);
  row(
    'worker CPU-ms per declaration',
    cpu(B0).workers,
    cpu(S).workers,
    ratio(cpu(S).workers, cpu(B0).workers),
  );
  for (const [name, value] of Object.entries(cpu(S).by_process)) row(`  of which ${name}`, '', value);
  row('Temporal server CPU-ms per declaration', cpu(B0).temporal_server, cpu(S).temporal_server);
  row('Kafka broker CPU-ms per declaration', cpu(B0).kafka_broker, cpu(S).kafka_broker);
  row('PostgreSQL CPU-ms per declaration', cpu(B0).postgres_server, cpu(S).postgres_server);
  row('load generator CPU-ms per declaration', cpu(B0).loadgen, cpu(S).loadgen);
  row(
    'CPU ceiling per second (all cores)',
    B0.cpu_ceiling_per_s,
    S.cpu_ceiling_per_s,
    ratio(S.cpu_ceiling_per_s, B0.cpu_ceiling_per_s),
  );
  row('history events per workflow', B0.history?.events_per_workflow, S.history?.events_per_workflow);
  row('status events per declaration', '-', integrity.S.status_events_per_declaration);
  for (const [name, p] of Object.entries(S.latency_breakdown ?? {}))
    row(`  S latency: ${name.replaceAll('_', ' ')}`, '', `${p.p50}/${p.p99}`, 'p50/p99');
  row(
    'offered / lost / duplicated',
    `${integrity.B0.offered}/${integrity.B0.lost}/${integrity.B0.duplicated}`,
    `${integrity.S.offered}/${integrity.S.lost}/${integrity.S.duplicated}`,
  );
  row('other processes, CPU-s in latency phases', B0.other_processes_cpu_s, S.other_processes_cpu_s);
  if (G) printGateway(S, G, integrity.G!);
  if (SU) printUnsigned(S, SU);
  console.log('');
}

/** The trader API (G: HTTP POST, then SSE from the archive) beside Kafka (S), in the same run. */
function printGateway(S: SideReport, G: SideReport, integrity: SideIntegrity): void {
  const ratio = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? '' : Math.round((a / b) * 1000) / 1000;
  const cpu = (r: SideReport) => r.cpu_per_declaration_ms;
  console.log('');
  console.log(`  ${''.padEnd(40)}${'S'.padStart(10)}${'G'.padStart(10)}${'G/S'.padStart(10)}`);
  const row = (
    label: string,
    s: number | string | undefined,
    g: number | string | undefined,
    r: unknown = '',
  ) =>
    console.log(
      `  ${label.padEnd(40)}${String(s ?? '').padStart(10)}${String(g ?? 'n/a').padStart(10)}${String(r).padStart(10)}`,
    );
  row(
    'sustained declarations per second',
    S.sustained_per_s,
    G.sustained_per_s,
    ratio(G.sustained_per_s, S.sustained_per_s),
  );
  row('latency p50 ms', S.latency.p50, G.latency.p50, ratio(G.latency.p50, S.latency.p50));
  row('latency p99 ms', S.latency.p99, G.latency.p99, ratio(G.latency.p99, S.latency.p99));
  row('worker CPU-ms per declaration', cpu(S).workers, cpu(G).workers, ratio(cpu(G).workers, cpu(S).workers));
  const processes = new Set([...Object.keys(cpu(S).by_process), ...Object.keys(cpu(G).by_process)]);
  for (const name of processes) row(`  of which ${name}`, cpu(S).by_process[name], cpu(G).by_process[name]);
  row('PostgreSQL CPU-ms per declaration', cpu(S).postgres_server, cpu(G).postgres_server);
  row('load generator CPU-ms per declaration', cpu(S).loadgen, cpu(G).loadgen);
  for (const [name, p] of Object.entries(G.latency_breakdown ?? {}))
    row(`  G latency: ${name.replaceAll('_', ' ')}`, undefined, `${p.p50}/${p.p99}`, 'p50/p99');
  const lag = (r: SideReport) =>
    r.archive_lag_ms ? `${r.archive_lag_ms.p50}/${r.archive_lag_ms.p99}` : undefined;
  row('archive lag ms, event to row (p50/p99)', lag(S), lag(G), `n=${G.archive_lag_ms?.n}`);
  row(
    'offered / lost / duplicated',
    undefined,
    `${integrity.offered}/${integrity.lost}/${integrity.duplicated}`,
  );
}

/** The same pipeline signed (S) beside unsigned (SU), measured in the same run. */
function printUnsigned(S: SideReport, SU: SideReport): void {
  const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
  const cpu = (r: SideReport) => r.cpu_per_declaration_ms;
  console.log('');
  console.log(`  ${''.padEnd(40)}${'SU'.padStart(10)}${'S'.padStart(10)}${'S/SU'.padStart(10)}`);
  const row = (label: string, u: number, s: number) =>
    console.log(
      `  ${label.padEnd(40)}${String(u).padStart(10)}${String(s).padStart(10)}${String(ratio(s, u)).padStart(10)}`,
    );
  row('sustained declarations per second', SU.sustained_per_s, S.sustained_per_s);
  row('latency p99 ms', SU.latency.p99, S.latency.p99);
  row('worker CPU-ms per declaration', cpu(SU).workers, cpu(S).workers);
  row('load generator CPU-ms per declaration', cpu(SU).loadgen, cpu(S).loadgen);
}

/** Where a side's offers ended (the shape both sides share). */
export function sideIntegrity(ledger: SideLedger): SideIntegrity {
  return {
    offered: ledger.offered,
    cleared: ledger.doneAt.size - ledger.unexpected.size,
    lost: ledger.lost().length,
    duplicated: ledger.duplicated().length,
    not_cleared: ledger.unexpected.size,
    errors: ledger.errors,
    last_error: ledger.lastError,
  };
}

import { setTimeout as sleep } from 'node:timers/promises';
import type { Host } from './hosts.js';
import {
  offerAtRate,
  percentiles,
  waitUntil,
  type Offered,
  type Percentiles,
  type SideLedger,
} from './load.js';
import { machineBusy, ownCpu, procCpu, procTreeCpu } from './machine.js';

/**
 * B0 the bare baseline, S the system as deployed (signed, on Kafka), G the same through the trader
 * API and the archive, SU the system unsigned (--with-unsigned).
 */
export type SideName = 'B0' | 'S' | 'G' | 'SU';

export interface Side {
  name: SideName;
  ledger: SideLedger;
  hosts: Host[];
  /** How long an offer takes at light load; a capacity step skips this much before counting. */
  fillMs: number;
}

export interface BenchSettings {
  stepMs: number;
  p99CapMs: number;
  growth: number;
  precision: number;
  maxSteps: number;
  maxRate: number;
  /** Other processes may use this many cores before a phase waits for them (at most the budget). */
  quietCores: number;
  quietBudgetMs: number;
  /** Repeat a step that fell behind while other processes took CPU, this many times per ramp. */
  retries: number;
  /** After this time (epoch ms) no more waiting for quiet or repeating steps: the run must end. */
  patienceUntil: number;
  /** After this time (epoch ms) a ramp ends with the step under way, precise or not. */
  rampUntil: number;
}

/** CPU seconds so far of everything a phase can be charged to. */
interface CpuSnapshot {
  at: number;
  hosts: Map<Host, number>;
  loadgen: number;
  temporal: number | undefined;
  kafka: number | undefined;
  /** The PostgreSQL server and its backends. */
  postgres: number | undefined;
  busy: number | undefined;
}

/** What a phase cost, in CPU seconds. */
export interface PhaseCost {
  completed: number;
  wallS: number;
  /** The side's worker processes, by kind (baseline, pipeline-workers, pipeline-intake). */
  byProcess: Record<string, number>;
  workersCpuS: number;
  loadgenCpuS: number;
  temporalCpuS: number | undefined;
  kafkaCpuS: number | undefined;
  postgresCpuS: number | undefined;
  /**
   * CPU the machine spent outside the benchmark meanwhile (other people's tests), not counting
   * their share of the shared Temporal server and Kafka broker, which cannot be told apart.
   */
  foreignCpuS: number | undefined;
}

export interface StepResult {
  rate: number;
  achieved: number;
  ratio: number;
  latency: Percentiles;
  ok: boolean;
  foreignCores: number | undefined;
}

export interface PhaseResult {
  offered: Offered;
  drained: boolean;
  latency: Percentiles;
  cost: PhaseCost;
}

export class Bench {
  private quietSpentMs = 0;

  constructor(
    private readonly settings: BenchSettings,
    private readonly sides: Side[],
    private readonly pids: { temporal?: number; kafka?: number; postgres?: number },
    private readonly say: (line: string) => void,
  ) {}

  private get allHosts(): Host[] {
    return this.sides.flatMap((s) => s.hosts);
  }

  async snapshot(): Promise<CpuSnapshot> {
    const hosts = this.allHosts;
    const cpu = await Promise.all(hosts.map((h) => h.cpu()));
    return {
      at: Date.now(),
      hosts: new Map(hosts.map((h, i) => [h, cpu[i]!])),
      loadgen: ownCpu(),
      temporal: procCpu(this.pids.temporal),
      kafka: procCpu(this.pids.kafka),
      postgres: procTreeCpu(this.pids.postgres),
      busy: machineBusy(),
    };
  }

  cost(side: Side, before: CpuSnapshot, after: CpuSnapshot, completed: number): PhaseCost {
    const d = (a: number | undefined, b: number | undefined) =>
      a === undefined || b === undefined ? undefined : b - a;
    const host = (h: Host) => after.hosts.get(h)! - before.hosts.get(h)!;
    const byProcess = Object.fromEntries(side.hosts.map((h) => [h.kind, host(h)]));
    const ours = this.allHosts.reduce((a, h) => a + host(h), 0);
    const loadgenCpuS = after.loadgen - before.loadgen;
    const temporalCpuS = d(before.temporal, after.temporal);
    const kafkaCpuS = d(before.kafka, after.kafka);
    const postgresCpuS = d(before.postgres, after.postgres);
    const busy = d(before.busy, after.busy);
    return {
      completed,
      wallS: (after.at - before.at) / 1000,
      byProcess,
      workersCpuS: side.hosts.reduce((a, h) => a + host(h), 0),
      loadgenCpuS,
      temporalCpuS,
      kafkaCpuS,
      postgresCpuS,
      foreignCpuS:
        busy === undefined
          ? undefined
          : Math.max(
              0,
              busy - ours - loadgenCpuS - (temporalCpuS ?? 0) - (kafkaCpuS ?? 0) - (postgresCpuS ?? 0),
            ),
    };
  }

  private checkHosts(): void {
    for (const side of this.sides)
      for (const host of side.hosts)
        if (host.failed) throw new Error(`${side.name} ${host.kind} process stopped: ${host.failed}`);
  }

  /** Waits until every offer of the side completed, at most `timeoutMs`; true if it did. */
  drain(side: Side, timeoutMs: number): Promise<boolean> {
    return waitUntil(() => side.ledger.outstanding === 0 || this.allHosts.some((h) => h.failed), timeoutMs);
  }

  /**
   * Other people's tests share this machine (and the Temporal server and Kafka broker). Before a
   * measurement, while the benchmark itself is idle, look at what everything else uses, and wait
   * (within a budget for the whole run) while it is more than `quietCores`.
   */
  async awaitQuiet(label: string): Promise<void> {
    const { quietCores, quietBudgetMs } = this.settings;
    let waited = 0;
    for (let probe = 0; probe < 60; probe++) {
      const before = await this.snapshot();
      await sleep(700);
      const after = await this.snapshot();
      if (before.busy === undefined || after.busy === undefined) return;
      const ours = this.allHosts.reduce((a, h) => a + after.hosts.get(h)! - before.hosts.get(h)!, 0);
      const others =
        (after.busy - before.busy - ours - (after.loadgen - before.loadgen)) /
        ((after.at - before.at) / 1000);
      if (others <= quietCores) return;
      if (this.quietSpentMs >= quietBudgetMs || Date.now() > this.settings.patienceUntil) {
        if (probe === 0)
          this.say(
            `  (other processes use ${others.toFixed(2)} cores; quiet-wait budget spent, measuring anyway)`,
          );
        return;
      }
      if (probe === 0) this.say(`  waiting before ${label}: other processes use ${others.toFixed(2)} cores`);
      const pause = 1000;
      await sleep(pause);
      waited += pause + 700;
      this.quietSpentMs += pause + 700;
    }
    if (waited > 0) this.say(`  waited ${Math.round(waited / 1000)}s for the machine to calm down`);
  }

  /** Offers `rate` for `durationMs` and waits (bounded) for the offers to complete. */
  async phase(side: Side, rate: number, durationMs: number, drainMs: number): Promise<PhaseResult> {
    this.checkHosts();
    const before = await this.snapshot();
    const offered = await offerAtRate(side.ledger, rate, durationMs);
    const drained = await this.drain(side, drainMs);
    this.checkHosts();
    const after = await this.snapshot();
    const latency = percentiles(side.ledger.latencies(offered.ids));
    return { offered, drained, latency, cost: this.cost(side, before, after, offered.ids.length) };
  }

  /** One capacity step: does the side keep up with `rate`? */
  async step(side: Side, rate: number): Promise<StepResult> {
    this.checkHosts();
    const { stepMs, p99CapMs } = this.settings;
    const before = await this.snapshot();
    const offered = await offerAtRate(side.ledger, rate, stepMs);
    // Judge once the offers had time to finish: a system that keeps up completes them within
    // its fill time; one that fell behind still has a backlog then.
    const ids = offered.ids;
    await waitUntil(
      () => ids.every((id) => side.ledger.doneAt.has(id)),
      Math.max(1000, 2 * side.fillMs),
      100,
    );
    const from = offered.t0 + side.fillMs;
    const achieved = side.ledger.completedBetween(from, offered.tEnd) / ((offered.tEnd - from) / 1000);
    const latency = percentiles(side.ledger.latencies(ids));
    const ratio = achieved / rate;
    const ok = ratio >= 0.9 && latency.p99 <= p99CapMs;
    // Let a backlog clear before the next step, so that it is not charged to that one.
    const drained = await this.drain(side, Math.max(15_000, 4 * stepMs));
    const after = await this.snapshot();
    this.checkHosts();
    const cost = this.cost(side, before, after, ids.length);
    const foreignCores = cost.foreignCpuS === undefined ? undefined : cost.foreignCpuS / cost.wallS;
    // Where S's time went: up to the RECEIVED event (intake, start, first workflow task), then on.
    const split =
      side.ledger.marks.size > 0
        ? ` [to RECEIVED p50 ${fmtMs(side.ledger.segment(ids, 'sent', 'received').p50)}, ` +
          `then p50 ${fmtMs(side.ledger.segment(ids, 'received', 'done').p50)}]`
        : '';
    this.say(
      `  ${side.name} ${rate.toFixed(1)}/s: completed ${achieved.toFixed(1)}/s (${Math.round(ratio * 100)}%), ` +
        `p50 ${fmtMs(latency.p50)} p99 ${fmtMs(latency.p99)}${split} → ${ok ? 'keeps up' : 'falls behind'}` +
        (foreignCores !== undefined && foreignCores > this.settings.quietCores
          ? ` [other processes: ${foreignCores.toFixed(2)} cores]`
          : '') +
        (drained ? '' : ` (backlog of ${side.ledger.outstanding} not drained)`),
    );
    if (!ok) {
      // The server still works off what the overload left (transfer and visibility tasks) after
      // the last workflow completed; give it a moment so the next step starts clean.
      await sleep(Math.min(5000, stepMs / 2));
    }
    return { rate, achieved, ratio, latency, ok, foreignCores };
  }

  /**
   * The highest rate the side sustains: from `start`, multiply by `factor` until a step falls
   * behind, then bisect between the highest passing and the lowest failing rate.
   */
  async findMax(side: Side, start: number, factor: number): Promise<{ max: number; steps: StepResult[] }> {
    const { precision, maxSteps, maxRate } = this.settings;
    await this.awaitQuiet(`${side.name}'s ramp`);
    const steps: StepResult[] = [];
    let rate = Math.min(start, maxRate);
    let pass: StepResult | undefined;
    let fail: number | undefined;
    let retries = this.settings.retries;
    for (let i = 0; i < maxSteps && rate >= 1; i++) {
      if (i > 0 && Date.now() > this.settings.rampUntil) {
        this.say('  (out of time for this ramp; taking what it found so far)');
        break;
      }
      const result = await this.step(side, rate);
      steps.push(result);
      // A step that fell behind while other processes took CPU says nothing about this side:
      // wait for quiet and try the same rate again (twice per ramp at most).
      const disturbed = (result.foreignCores ?? 0) > this.settings.quietCores;
      if (!result.ok && disturbed && Date.now() < this.settings.patienceUntil && retries-- > 0) {
        this.say(`  (disturbed by other processes; repeating ${rate.toFixed(1)}/s)`);
        await this.awaitQuiet(`repeating ${rate.toFixed(1)}/s`);
        i--;
        continue;
      }
      if (result.ok && (!pass || result.rate > pass.rate)) pass = result;
      if (!result.ok) fail = Math.min(fail ?? Infinity, result.rate);
      if (fail === undefined) {
        if (rate >= maxRate) break;
        rate = Math.min(maxRate, rate * factor);
      } else if (!pass) rate = fail / factor;
      else if (fail / pass.rate <= 1 + precision) break;
      else rate = Math.sqrt(pass.rate * fail);
    }
    // The sustainable figure is what came out at the highest passing step, never more than offered.
    return { max: pass ? Math.min(pass.achieved, pass.rate) : 0, steps };
  }
}

export function fmtMs(n: number): string {
  return Number.isFinite(n) ? `${Math.round(n)}ms` : 'inf';
}

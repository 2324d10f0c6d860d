import { setTimeout as sleep } from 'node:timers/promises';
import type { SideName } from './bench.js';

/** One record (S) or workflow (B0) the load generator offered. */
export interface Offer {
  id: string;
  /** Epoch ms; for S also the Kafka record timestamp, so latency runs from the record's time. */
  at: number;
}

/**
 * What one side of the benchmark has been offered and what came out of it. Completion is the
 * final status event (S) or the workflow's result (B0); every ID must complete exactly once.
 */
export class SideLedger {
  readonly sentAt = new Map<string, number>();
  readonly doneAt = new Map<string, number>();
  /** Completion times in the order they were seen; Date.now() at each, so non-decreasing. */
  readonly completions: number[] = [];
  /** Distinct final events per ID (by status sequence): more than one is a duplicated declaration. */
  readonly finals = new Map<string, Set<number>>();
  /** IDs whose final status was not the expected one. */
  readonly unexpected = new Map<string, string>();
  /** Final events seen again with a sequence already seen (at-least-once redelivery, harmless). */
  redeliveries = 0;
  /** Final events for IDs this run never offered. */
  strangers = 0;
  errors = 0;
  lastError: string | undefined;
  /** Intermediate times (epoch ms) per ID, for a latency breakdown, e.g. S's first status event. */
  readonly marks = new Map<string, Record<string, number>>();
  private counter = 0;

  constructor(
    readonly name: SideName,
    readonly idPrefix: string,
    private readonly submit: (offers: Offer[]) => void,
  ) {}

  get offered(): number {
    return this.sentAt.size;
  }

  get outstanding(): number {
    return this.sentAt.size - this.doneAt.size;
  }

  offer(count: number, at: number): string[] {
    const offers: Offer[] = [];
    for (let i = 0; i < count; i++) {
      const id = `${this.idPrefix}-${String(this.counter++).padStart(7, '0')}`;
      this.sentAt.set(id, at);
      offers.push({ id, at });
    }
    this.submit(offers);
    return offers.map((o) => o.id);
  }

  complete(id: string, at: number, sequence = 0, status = 'OK', expected = 'OK'): void {
    if (!this.sentAt.has(id)) {
      this.strangers++;
      return;
    }
    const seen = this.finals.get(id) ?? new Set<number>();
    if (seen.has(sequence)) {
      this.redeliveries++;
      return;
    }
    seen.add(sequence);
    this.finals.set(id, seen);
    if (status !== expected) this.unexpected.set(id, status);
    if (!this.doneAt.has(id)) {
      this.doneAt.set(id, at);
      this.completions.push(at);
    }
  }

  /** Records when `id` passed `point`, the first time only. */
  mark(id: string, point: string, at: number): void {
    const marks = this.marks.get(id) ?? {};
    marks[point] ??= at;
    this.marks.set(id, marks);
  }

  /**
   * Percentiles of the time between two points (`sent`, `done` or a mark) over these IDs; those
   * missing either point are left out.
   */
  segment(ids: string[], from: string, to: string): Percentiles {
    const point = (id: string, name: string) =>
      name === 'sent'
        ? this.sentAt.get(id)
        : name === 'done'
          ? this.doneAt.get(id)
          : this.marks.get(id)?.[name];
    const values: number[] = [];
    for (const id of ids) {
      const a = point(id, from);
      const b = point(id, to);
      if (a !== undefined && b !== undefined) values.push(b - a);
    }
    return percentiles(values);
  }

  fail(error: unknown): void {
    this.errors++;
    this.lastError = error instanceof Error ? error.message : String(error);
  }

  /** Completions (of any offer of this side) seen within [from, to). */
  completedBetween(from: number, to: number): number {
    let n = 0;
    for (let i = this.completions.length - 1; i >= 0; i--) {
      const t = this.completions[i]!;
      if (t < from) break;
      if (t < to) n++;
    }
    return n;
  }

  /** Latencies (ms) of these IDs; one not complete counts as Infinity. */
  latencies(ids: string[]): number[] {
    return ids.map((id) => {
      const done = this.doneAt.get(id);
      return done === undefined ? Infinity : done - this.sentAt.get(id)!;
    });
  }

  lost(): string[] {
    return [...this.sentAt.keys()].filter((id) => !this.doneAt.has(id));
  }

  duplicated(): string[] {
    return [...this.finals].filter(([, s]) => s.size > 1).map(([id]) => id);
  }
}

export interface Offered {
  ids: string[];
  t0: number;
  tEnd: number;
}

/**
 * Offers `rate` per second for `durationMs`, open loop: the schedule never waits for the system,
 * so a system that falls behind builds a backlog instead of slowing the offer down. Offers due
 * since the last tick go out together (a tick is a few ms).
 */
export async function offerAtRate(ledger: SideLedger, rate: number, durationMs: number): Promise<Offered> {
  const total = Math.max(1, Math.round((rate * durationMs) / 1000));
  const ids: string[] = [];
  const t0 = Date.now();
  // Bounded by time as well as by count: the loop ends at the scheduled end plus a tick at most.
  while (ids.length < total) {
    const now = Date.now();
    const due = Math.min(total, Math.floor(((now - t0) * rate) / 1000) + 1);
    if (due > ids.length) ids.push(...ledger.offer(due - ids.length, now));
    if (now - t0 > durationMs + 1000) break;
    await sleep(Math.max(1, Math.min(10, 1000 / rate)));
  }
  return { ids, t0, tEnd: Date.now() };
}

/** Waits until `ready()` or `timeoutMs`; true when ready. */
export async function waitUntil(ready: () => boolean, timeoutMs: number, pollMs = 50): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) return false;
    await sleep(pollMs);
  }
  return true;
}

export interface Percentiles {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles; Infinity (an incomplete offer) sorts last and so shows in the tail. */
export function percentiles(values: number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;
  const finite = sorted.filter(Number.isFinite);
  return {
    n: sorted.length,
    p50: at(0.5),
    p95: at(0.95),
    p99: at(0.99),
    max: sorted.at(-1) ?? NaN,
    mean: finite.reduce((a, b) => a + b, 0) / Math.max(1, finite.length),
  };
}

export function median(values: number[]): number {
  return percentiles(values).p50;
}

import type { Pool } from 'pg';
import { failureClass } from '../domain/failures.js';
import { archiveStatusEvents, type ArchivableEvent, type ArchiveOutcome } from './status-archive.js';

interface PendingEvent {
  item: ArchivableEvent;
  resolve: (outcome: ArchiveOutcome) => void;
  reject: (error: unknown) => void;
}

/** Bounds on one statement: its events, and the exact bytes they carry (sent hex-encoded). */
const MAX_EVENTS_PER_STATEMENT = 200;
const MAX_RAW_BYTES_PER_STATEMENT = 4 * 1024 * 1024;

/**
 * The projector archives events of many declarations at nearly the same moment, one call per
 * record. A statement and its commit (a WAL flush) cost about the same for one event as for
 * fifty, so while one statement is in flight, later events wait and then go together in the next:
 * one event per statement under light load, as many as arrived during a commit under heavy load,
 * and never an added delay. Each caller's promise settles with the statement that carried its
 * event, so success means the event is committed, and a failure is retried by its caller.
 *
 * A batch holds at most one event per declaration, because an upsert may touch a row only once
 * per statement; a second event of the same declaration waits for the next batch (the consumer
 * hands a key's records over one at a time, so this happens only for a redelivered record). An
 * event the database refuses outright fails the statement for every event in it: such a batch is
 * written again one event per statement, so that only the refused one fails.
 */
export class CoalescingArchiver {
  private queue: PendingEvent[] = [];
  private writing = false;

  constructor(private readonly pool: Pool) {}

  archive(item: ArchivableEvent): Promise<ArchiveOutcome> {
    return new Promise<ArchiveOutcome>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.next();
    });
  }

  private next(): void {
    if (this.writing || this.queue.length === 0) return;
    const batch = this.take();
    this.writing = true;
    void this.write(batch).finally(() => {
      this.writing = false;
      this.next();
    });
  }

  private async write(batch: PendingEvent[]): Promise<void> {
    try {
      const outcomes = await archiveStatusEvents(
        this.pool,
        batch.map((pending) => pending.item),
      );
      batch.forEach((pending, i) => pending.resolve(outcomes[i]!));
    } catch (error) {
      if (batch.length === 1 || failureClass(error) === 'transient') {
        batch.forEach((pending) => pending.reject(error));
        return;
      }
      for (const pending of batch) await this.write([pending]);
    }
  }

  /** The oldest events within the bounds, one per declaration (a single larger event goes alone). */
  private take(): PendingEvent[] {
    const batch: PendingEvent[] = [];
    const rest: PendingEvent[] = [];
    const declarations = new Set<string>();
    let bytes = 0;
    for (const pending of this.queue) {
      const { declarationId } = pending.item.event;
      const size = pending.item.raw.length;
      const fits =
        batch.length === 0 ||
        (batch.length < MAX_EVENTS_PER_STATEMENT && bytes + size <= MAX_RAW_BYTES_PER_STATEMENT);
      if (fits && !declarations.has(declarationId)) {
        batch.push(pending);
        declarations.add(declarationId);
        bytes += size;
      } else rest.push(pending);
    }
    this.queue = rest;
    return batch;
  }
}

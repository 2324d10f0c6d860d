import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CoalescingArchiver } from '../../archive/coalescing-archiver.js';
import type { ArchivableEvent } from '../../archive/status-archive.js';
import { loadConfig } from '../../runtime/config.js';
import type { StatusEvent } from '../../schemas/types.js';
import { openTestArchive, type TestArchive } from '../support/archive.js';
import { isolatedEnv } from '../support/helpers.js';

// The projector's batches on the real PostgreSQL: events that arrive together are written in one
// statement, yet each keeps its own outcome, and one the database refuses fails alone.

let archive: TestArchive;

beforeAll(async () => {
  archive = await openTestArchive(loadConfig({ ...process.env, ...isolatedEnv() }));
});

afterAll(async () => {
  await archive?.drop();
});

function item(declarationId: string, sequence: number, at?: string): ArchivableEvent {
  const event: StatusEvent = {
    declarationId,
    at: at ?? new Date(Date.UTC(2026, 11, 8, 10, 0, sequence)).toISOString(),
    sequence,
    status: sequence === 3 ? 'CLEARED' : 'IN_REVIEW',
    agencies: { CUSTOMS: sequence === 3 ? 'APPROVED' : 'PENDING' },
    reasons: [],
    decisions: [],
    traderTaxId: 'AAA010101AAA',
    regime: 'IMPORT',
  };
  return { event, raw: Buffer.from(JSON.stringify(event)), partition: 0, offset: String(sequence) };
}

async function rows(sql: string): Promise<unknown[]> {
  return (await archive.pool.query(sql)).rows;
}

describe('the coalescing archiver', () => {
  it('writes events that arrive together in few statements, each with its own outcome', async () => {
    const archiver = new CoalescingArchiver(archive.pool);
    const items = Array.from({ length: 40 }, (_, i) => item(`BATCH-${i}`, 1));
    // Three events of one declaration at once, and a repeat: each must land, in any batch.
    items.push(item('BATCH-0', 2), item('BATCH-0', 3), item('BATCH-1', 1));
    const outcomes = await Promise.all(items.map((i) => archiver.archive(i)));
    expect(outcomes.slice(0, 42)).toEqual(Array(42).fill('archived'));
    expect(outcomes[42]).toBe('duplicate');
    expect(
      await rows(`select count(*)::int as n from status_events where declaration_id like 'BATCH-%'`),
    ).toEqual([{ n: 42 }]);
    expect(
      await rows(`select status, last_sequence from declarations where declaration_id = 'BATCH-0'`),
    ).toEqual([{ status: 'CLEARED', last_sequence: '3' }]);
    // The transactions that wrote the rows: the first event alone, then the rest together (less
    // the second and third events of BATCH-0, each in a batch after the one before it).
    const [written] = (await rows(
      `select count(distinct xmin::text)::int as transactions from status_events where declaration_id like 'BATCH-%'`,
    )) as Array<{ transactions: number }>;
    expect(written!.transactions).toBeGreaterThanOrEqual(3);
    expect(written!.transactions).toBeLessThanOrEqual(5);
  });

  it('fails only the event that the database refuses, when it came in a batch with others', async () => {
    const archiver = new CoalescingArchiver(archive.pool);
    const good = Array.from({ length: 5 }, (_, i) => item(`REFUSED-OK-${i}`, 1));
    // A timestamp PostgreSQL refuses (the schema's date-time check would stop it before; this is
    // the database's own refusal, as a defect elsewhere could let through).
    const bad = item('REFUSED-BAD', 1, '2026-13-45T99:00:00Z');
    const settled = await Promise.allSettled([...good, bad].map((i) => archiver.archive(i)));
    expect(settled.slice(0, 5).map((s) => s.status)).toEqual(Array(5).fill('fulfilled'));
    expect(settled[5]!.status).toBe('rejected');
    expect(
      await rows(`select count(*)::int as n from status_events where declaration_id like 'REFUSED-%'`),
    ).toEqual([{ n: 5 }]);
  });
});

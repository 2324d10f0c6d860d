import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS_AFTER, LATEST_STATUS } from '../../archive/archive-reads.js';
import { loadConfig } from '../../runtime/config.js';
import { openTestArchive, type TestArchive } from '../support/archive.js';
import { isolatedEnv } from '../support/helpers.js';

// The trader API's reads run at every request and at every event of every open stream: each must
// find its rows by index, whatever the archive's size, or it grows slower with every declaration
// archived.

let archive: TestArchive;

/** The generic plan of a read (what a prepared statement settles on), as text. */
async function genericPlan(sql: string, types: string, args: string): Promise<string> {
  const client = await archive.pool.connect();
  try {
    await client.query('set plan_cache_mode = force_generic_plan');
    await client.query(`prepare read_plan(${types}) as ${sql}`);
    const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain execute read_plan(${args})`);
    await client.query('deallocate read_plan');
    return rows.map((r) => r['QUERY PLAN']).join('\n');
  } finally {
    client.release();
  }
}

beforeAll(async () => {
  archive = await openTestArchive(loadConfig({ ...process.env, ...isolatedEnv() }));
});

/** 2,000 declarations of 5 events each, and the statistics of them, as an archive in use has. */
async function fill(): Promise<void> {
  await archive.pool.query(`
    insert into declarations (declaration_id, trader_tax_id, regime, status, last_sequence, last_event, first_at, updated_at)
      select 'PLAN-' || d, 'AME970512KX3', 'IMPORT', 'CLEARED', 5, '{}', now(), now() from generate_series(1, 2000) d;
    insert into status_events (declaration_id, sequence, status, at, event, raw, kafka_partition, kafka_offset)
      select 'PLAN-' || d, s, 'IN_REVIEW', now(), '{}', '\\x7b7d', 0, d * 5 + s
      from generate_series(1, 2000) d, generate_series(1, 5) s;
    insert into submissions (declaration_id, trader_tax_id)
      select 'PLAN-' || d, 'AME970512KX3' from generate_series(1, 2000) d;
    analyze declarations; analyze status_events; analyze submissions;`);
}

afterAll(async () => {
  await archive?.drop();
});

describe('the archive reads', () => {
  // Both on a new archive (no statistics yet: what a prepared statement may settle on at first)
  // and on one in use.
  const events = () =>
    genericPlan(EVENTS_AFTER, 'text, text, bigint, integer', "'PLAN-7', 'AME970512KX3', 0, 1000");
  const latest = () => genericPlan(LATEST_STATUS, 'text, text', "'PLAN-7', 'AME970512KX3'");

  it("read a declaration's events and its latest status by index, never by scanning a table", async () => {
    for (const stage of ['new', 'in use']) {
      if (stage === 'in use') await fill();
      const plans = { events: await events(), latest: await latest() };
      expect(plans.events, stage).toMatch(/status_events_pkey/);
      expect(plans.latest, stage).toMatch(/declarations_pkey[\s\S]*submissions_pkey/);
      for (const plan of Object.values(plans)) expect(plan, stage).not.toMatch(/Seq Scan/);
    }
  });
});

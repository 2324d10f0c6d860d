import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pool } from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../runtime/config.js';
import { migrate, MigrationError } from '../../runtime/migrations.js';
import { createPool, openDatabase } from '../../runtime/postgres.js';

// The stack's own PostgreSQL (or DATABASE_URL's), no mocks. Each test migrates a schema of its own
// from a folder of its own, and drops both afterwards.

const config = loadConfig();
const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fresh schema, pools on it, and a migrations folder holding `files`. */
async function scratch(files: Record<string, string>) {
  const schema = `test_${randomBytes(6).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'ventanilla-migrations-'));
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  const pools: Pool[] = [];
  const pool = () => {
    const created = createPool(config, { schema, max: 2, applicationName: 'postgres-stack.test' });
    pools.push(created);
    return created;
  };
  cleanups.push(async () => {
    const admin = await openDatabase(config);
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
    await Promise.all(pools.map((p) => p.end()));
    rmSync(dir, { recursive: true, force: true });
  });
  return { schema, dir, pool };
}

/** Each file logs itself in `applied_log` (no primary key: applying a file twice would show). */
const FILES = {
  '0001_log.sql': `create table applied_log (file text not null);
    select pg_sleep(0.3); -- keeps the first runner inside its transaction while the second arrives
    insert into applied_log values ('0001');`,
  '0002_items.sql': `create table items (id integer constraint items_pkey primary key, label text not null);
    insert into applied_log values ('0002');`,
};

describe("the stack's PostgreSQL", () => {
  it('answers select version() with 15 or newer, in UTF-8, in its own database', async () => {
    const pool = await openDatabase(config);
    try {
      const { rows } = await pool.query<{ version: string; num: string; encoding: string }>(
        `select version() as version, current_setting('server_version_num') as num,
                current_setting('server_encoding') as encoding`,
      );
      expect(rows[0]!.version).toMatch(/^PostgreSQL \d+/);
      expect(Number(rows[0]!.num)).toBeGreaterThanOrEqual(150000);
      expect(rows[0]!.encoding).toBe('UTF8');
    } finally {
      await pool.end();
    }
  });
});

describe('migrations', () => {
  it('apply each file exactly once when two runners start at the same moment', async () => {
    const { schema, dir, pool } = await scratch(FILES);
    const [first, second] = await Promise.all([
      migrate(pool(), { dir, schema }),
      migrate(pool(), { dir, schema }),
    ]);
    // One runner applied both files, the other waited on the lock and then found them applied.
    expect([first.applied.length, second.applied.length].sort()).toEqual([0, 2]);
    expect([first.alreadyApplied, second.alreadyApplied].sort()).toEqual([0, 2]);

    const check = pool();
    const log = await check.query<{ file: string }>('select file from applied_log order by file');
    expect(log.rows.map((r) => r.file)).toEqual(['0001', '0002']);
    const recorded = await check.query<{ version: number; name: string; sha256: string; applied_at: Date }>(
      'select version, name, sha256, applied_at from schema_migrations order by version',
    );
    expect(recorded.rows.map((r) => [r.version, r.name])).toEqual([
      [1, 'log'],
      [2, 'items'],
    ]);
    expect(recorded.rows.every((r) => /^[0-9a-f]{64}$/.test(r.sha256) && r.applied_at instanceof Date)).toBe(
      true,
    );
  });

  it('apply nothing when run again, and only a new file when one is added', async () => {
    const { schema, dir, pool } = await scratch(FILES);
    await migrate(pool(), { dir, schema });
    const again = await migrate(pool(), { dir, schema });
    expect(again).toEqual({ applied: [], alreadyApplied: 2, unknown: [] });

    writeFileSync(join(dir, '0003_more.sql'), `insert into applied_log values ('0003');`);
    const third = await migrate(pool(), { dir, schema });
    expect(third.applied.map((m) => m.file)).toEqual(['0003_more.sql']);
    const log = await pool().query('select file from applied_log order by file');
    expect(log.rows.map((r: { file: string }) => r.file)).toEqual(['0001', '0002', '0003']);
  });

  it('refuse a file changed after it was applied, and apply nothing else', async () => {
    const { schema, dir, pool } = await scratch(FILES);
    await migrate(pool(), { dir, schema });
    writeFileSync(join(dir, '0002_items.sql'), `${FILES['0002_items.sql']}\n-- an afterthought`);
    writeFileSync(join(dir, '0003_more.sql'), `insert into applied_log values ('0003');`);

    const refusal = await migrate(pool(), { dir, schema }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(MigrationError);
    expect((refusal as MigrationError).reason).toMatch(
      /^migration 0002_items\.sql was changed after it was applied/,
    );
    expect((refusal as MigrationError).fix).toContain('new migration');
    const log = await pool().query('select count(*)::int as n from applied_log');
    expect(log.rows[0]).toEqual({ n: 2 });
  });

  it('apply a failing file not at all, and say which file failed', async () => {
    const { schema, dir, pool } = await scratch({
      '0001_half.sql': `create table half (id integer);
        insert into half values ('not a number');`,
    });
    const refusal = await migrate(pool(), { dir, schema }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(MigrationError);
    expect((refusal as MigrationError).reason).toMatch(
      /^migration 0001_half\.sql failed, and nothing of it was applied: invalid input syntax for type integer/,
    );
    const left = await pool().query<{ half: string | null; count: number }>(
      `select to_regclass('half')::text as half, (select count(*)::int from schema_migrations) as count`,
    );
    expect(left.rows[0]).toEqual({ half: null, count: 0 });
  });

  it("keep each caller's tables in its own schema", async () => {
    const a = await scratch(FILES);
    const b = await scratch({ '0001_other.sql': 'create table other (id integer);' });
    await Promise.all([
      migrate(a.pool(), { dir: a.dir, schema: a.schema }),
      migrate(b.pool(), { dir: b.dir, schema: b.schema }),
    ]);
    const { rows } = await a.pool().query<{ schema: string; name: string }>(
      `select table_schema as schema, table_name as name from information_schema.tables
        where table_schema = any($1) order by 1, 2`,
      [[a.schema, b.schema]],
    );
    expect(rows).toEqual(
      [
        { schema: a.schema, name: 'applied_log' },
        { schema: a.schema, name: 'items' },
        { schema: a.schema, name: 'schema_migrations' },
        { schema: b.schema, name: 'other' },
        { schema: b.schema, name: 'schema_migrations' },
      ].sort((x, y) => x.schema.localeCompare(y.schema) || x.name.localeCompare(y.name)),
    );
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  MigrationError,
  parseMigrationFileName,
  pendingMigrations,
  readMigrations,
  type Migration,
} from './migrations.js';

// The pure parts of the runner; applying under the lock is test/integration/postgres-stack.test.ts.

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'ventanilla-migrations-'));
  dirs.push(dir);
  for (const [name, sql] of Object.entries(files)) writeFileSync(join(dir, name), sql);
  return dir;
}

const migration = (version: number, sha = 'a'.repeat(64)): Migration => ({
  version,
  name: `m${version}`,
  file: `${String(version).padStart(4, '0')}_m${version}.sql`,
  sql: '',
  sha256: sha,
});

describe('parseMigrationFileName', () => {
  it.each([
    ['0001_archive.sql', { version: 1, name: 'archive' }],
    ['0042_add_decisions.sql', { version: 42, name: 'add_decisions' }],
    ['12345_big.sql', { version: 12345, name: 'big' }],
  ])('%s', (file, parsed) => expect(parseMigrationFileName(file)).toEqual(parsed));

  it.each(['1_short.sql', '0001-dash.sql', '0001_Upper.sql', '0001_.sql', '0001_x.sql.bak', 'archive.sql'])(
    'refuses %s',
    (file) => expect(parseMigrationFileName(file)).toBeUndefined(),
  );
});

describe('readMigrations', () => {
  it('reads .sql files in version order with the SHA-256 of their bytes, ignoring other files', () => {
    const dir = folder({ '0002_b.sql': 'select 2;', '0001_a.sql': 'select 1;', 'README.md': '#' });
    const migrations = readMigrations(dir);
    expect(migrations.map((m) => m.file)).toEqual(['0001_a.sql', '0002_b.sql']);
    // sha256sum of the bytes `select 1;`
    expect(migrations[0]!.sha256).toBe('354b7196c9ba5fb4b21cf615bb6ec4cd5c07503c34229feef033fc081a8c03f4');
    expect(migrations[0]!.sql).toBe('select 1;');
  });

  it('refuses a misnamed .sql file, saying how to name it', () => {
    const dir = folder({ '0001_a.sql': '', 'add-index.sql': '' });
    expect(() => readMigrations(dir)).toThrow(MigrationError);
    expect(() => readMigrations(dir)).toThrow(
      /add-index\.sql is not named <version>_<name>\.sql\n {2}fix: rename it/,
    );
  });

  it('refuses two files with one version', () => {
    expect(() => readMigrations(folder({ '0001_a.sql': '', '0001_b.sql': '' }))).toThrow(
      /0001_a\.sql and 0001_b\.sql in .* have the same version 1/,
    );
  });
});

describe('pendingMigrations', () => {
  const applied = (m: Migration) => ({ version: m.version, name: m.name, sha256: m.sha256 });

  it('is every file not yet applied, in order', () => {
    const files = [migration(1), migration(2), migration(3)];
    expect(pendingMigrations(files, [applied(files[0]!)]).map((m) => m.version)).toEqual([2, 3]);
    expect(pendingMigrations(files, files.map(applied))).toEqual([]);
  });

  it('refuses an applied file whose bytes changed', () => {
    const files = [migration(1, 'b'.repeat(64))];
    expect(() => pendingMigrations(files, [applied(migration(1))])).toThrow(
      /migration 0001_m1\.sql was changed after it was applied \(applied sha256 aaaaaaaaaaaa…, the file now bbbbbbbbbbbb…\)/,
    );
  });

  it('refuses a file older than one already applied', () => {
    expect(() => pendingMigrations([migration(1), migration(2)], [applied(migration(2))])).toThrow(
      /migration 0001_m1\.sql is not applied, but the later version 2 is/,
    );
  });

  it('leaves alone versions a newer release applied', () => {
    expect(pendingMigrations([migration(1)], [applied(migration(1)), applied(migration(7))])).toEqual([]);
  });
});

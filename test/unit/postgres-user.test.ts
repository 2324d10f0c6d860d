import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  asPostgresUser,
  postgresBase,
  postgresUser,
  reachableBy,
  relocatedBase,
  RELOCATED_ROOT,
  type PostgresUser,
} from '../../infra/postgres-user.js';

// Who runs the local PostgreSQL and where its files go (infra/postgres-user.ts), without running it.

/** A user who owns nothing here and is in none of its groups: "others" to every folder. */
const stranger: PostgresUser = { name: 'stranger', uid: 4_000_000, gid: 4_000_000 };
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function tree(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ventanilla-pguser-'));
  dirs.push(dir);
  chmodSync(dir, 0o755);
  return dir;
}

describe('postgresUser', () => {
  it('is nobody for root, and nobody at all for anyone else', () => {
    expect(postgresUser(() => 1000)).toBeUndefined();
    expect(postgresUser(() => 0)).toMatchObject({ name: 'nobody', uid: expect.any(Number) });
  });
});

describe('reachableBy', () => {
  it('needs search permission on every folder down to the target', () => {
    const root = tree();
    mkdirSync(join(root, 'open', 'inner'), { recursive: true, mode: 0o755 });
    mkdirSync(join(root, 'closed', 'inner'), { recursive: true, mode: 0o755 });
    chmodSync(join(root, 'closed'), 0o700);
    expect(reachableBy(stranger, join(root, 'open', 'inner'))).toBe(true);
    expect(reachableBy(stranger, join(root, 'closed', 'inner'))).toBe(false);
    // Not made yet: the stack makes it 0755 (and checks again once it exists).
    expect(reachableBy(stranger, join(root, 'open', 'later', 'data'))).toBe(true);
  });

  it("reads the owner's bits for the owner", () => {
    const root = tree();
    chmodSync(root, 0o700);
    expect(reachableBy({ ...stranger, uid: process.getuid!() }, root)).toBe(true);
  });
});

describe('postgresBase', () => {
  it('is VENTANILLA_HOME for a normal user, whatever its permissions', () => {
    const home = tree();
    chmodSync(home, 0o700);
    expect(postgresBase(home, undefined)).toBe(home);
  });

  it("is VENTANILLA_HOME for root when nobody can reach it, else a folder of that home's own under /var/lib", () => {
    const open = tree();
    expect(postgresBase(open, stranger)).toBe(open);
    const closed = tree();
    chmodSync(closed, 0o700);
    expect(postgresBase(closed, stranger)).toBe(relocatedBase(closed));
    expect(relocatedBase(closed)).toMatch(new RegExp(`^${RELOCATED_ROOT}/home-[0-9a-f]{12}$`));
    expect(relocatedBase(closed)).not.toBe(relocatedBase(open));
  });

  it('stays where a cluster already is, even if permissions changed since', () => {
    const home = tree();
    mkdirSync(join(home, 'data', 'postgres'), { recursive: true });
    writeFileSync(join(home, 'data', 'postgres', 'PG_VERSION'), '17\n');
    chmodSync(home, 0o700);
    expect(postgresBase(home, stranger)).toBe(home);
  });
});

describe('asPostgresUser', () => {
  it('runs the command as it is for a normal user, through setpriv for root', () => {
    expect(asPostgresUser(undefined, '/pg/bin/initdb', ['-D', 'x'])).toEqual({
      command: '/pg/bin/initdb',
      args: ['-D', 'x'],
    });
    expect(asPostgresUser({ name: 'nobody', uid: 65534, gid: 65534 }, '/pg/bin/initdb', ['-D', 'x'])).toEqual(
      {
        command: 'setpriv',
        args: ['--reuid=65534', '--regid=65534', '--clear-groups', '/pg/bin/initdb', '-D', 'x'],
      },
    );
  });
});

import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/**
 * Who runs the local PostgreSQL, and where its files must be for that user to reach them.
 *
 * PostgreSQL refuses to run as root ("initdb: cannot be run as root"), so that a bug in the server
 * cannot own the machine. As any other user, initdb and postgres run as that user, and nothing in
 * this file applies. As root, they run as `nobody` (`setpriv --reuid --regid --clear-groups`),
 * which owns the data and socket folders; the binaries stay root's, readable but not writable.
 *
 * `nobody` must be able to enter every folder on the way to the binaries and the data. The default
 * VENTANILLA_HOME, `/root/.cache/ventanilla`, is under `/root` (mode 700), and opening `/root` up
 * is not ours to do. So root keeps PostgreSQL in VENTANILLA_HOME only when nobody can reach it
 * there, and otherwise in `/var/lib/ventanilla/home-<hash of VENTANILLA_HOME>/`, with the same
 * layout (`postgres/<version>`, `data/postgres`, `run/postgres`): persistent state, where
 * distributions keep PostgreSQL's own, one folder per VENTANILLA_HOME.
 */
export interface PostgresUser {
  name: string;
  uid: number;
  gid: number;
}

/** Where root's PostgreSQL goes when nobody cannot reach VENTANILLA_HOME. */
export const RELOCATED_ROOT = '/var/lib/ventanilla';

/** `nobody`, when this process is root; undefined otherwise (PostgreSQL then runs as us). */
export function postgresUser(getuid = process.getuid): PostgresUser | undefined {
  if (getuid?.() !== 0) return undefined;
  // 65534 is nobody/nogroup on Debian and Red Hat alike, and setpriv takes numbers, so a missing
  // passwd entry is no reason to fail. Looked up once: stackPaths() asks on every stack command.
  nobody ??= { name: 'nobody', uid: idOf('-u') ?? 65534, gid: idOf('-g') ?? 65534 };
  return nobody;
}

let nobody: PostgresUser | undefined;

function idOf(flag: '-u' | '-g'): number | undefined {
  const result = spawnSync('id', [flag, 'nobody'], { encoding: 'utf8' });
  const id = Number(result.stdout.trim());
  return result.status === 0 && Number.isInteger(id) ? id : undefined;
}

/** The folder under RELOCATED_ROOT that belongs to `home`. */
export function relocatedBase(home: string): string {
  const id = createHash('sha256').update(resolve(home)).digest('hex').slice(0, 12);
  return join(RELOCATED_ROOT, `home-${id}`);
}

/**
 * The folder holding `postgres/`, `data/postgres` and `run/postgres`: `home`, unless root's
 * `nobody` cannot reach it. A cluster initdb has made stays where it is even if permissions
 * change later, so that a chmod never quietly starts an empty database elsewhere.
 */
export function postgresBase(home: string, user: PostgresUser | undefined): string {
  if (!user) return home;
  const away = relocatedBase(home);
  for (const base of [home, away]) {
    if (existsSync(join(base, 'data', 'postgres', 'PG_VERSION'))) return base;
  }
  return reachableBy(user, home) ? home : away;
}

/**
 * Whether `user` may enter every folder from `/` down to `dir`. A folder not made yet counts as
 * reachable: the stack makes its folders with mode 0755 (and checks again once they exist).
 */
export function reachableBy(user: PostgresUser, dir: string): boolean {
  for (let path = resolve(dir); ; path = dirname(path)) {
    if (existsSync(path) && !canEnter(user, statSync(path))) return false;
    if (dirname(path) === path) return true;
  }
}

function canEnter(user: PostgresUser, stat: Stats): boolean {
  if (stat.uid === user.uid) return (stat.mode & 0o100) !== 0;
  if (stat.gid === user.gid) return (stat.mode & 0o010) !== 0;
  return (stat.mode & 0o001) !== 0;
}

/** `command args` as they run for PostgreSQL: unchanged for a normal user, through setpriv for root. */
export function asPostgresUser(
  user: PostgresUser | undefined,
  command: string,
  args: string[],
): { command: string; args: string[] } {
  if (!user) return { command, args };
  return {
    command: 'setpriv',
    args: [`--reuid=${user.uid}`, `--regid=${user.gid}`, '--clear-groups', command, ...args],
  };
}

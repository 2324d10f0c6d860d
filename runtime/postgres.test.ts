import { DatabaseError } from 'pg';
import { describe, expect, it } from 'vitest';
import { freePort } from '../test/support/helpers.js';
import { loadConfig } from './config.js';
import { assertSchemaName, DatabaseUnreachableError, openDatabase, unreachableMessage } from './postgres.js';

// Server-free: a port nobody listens on, and the messages for what a server would answer.

function serverError(code: string, message: string): DatabaseError {
  const error = new DatabaseError(message, message.length, 'error');
  error.code = code;
  return error;
}

describe('openDatabase', () => {
  it('says in one line that PostgreSQL does not answer, where, from which variable and what to do', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const config = loadConfig({ DATABASE_URL: `postgres://app:s3cret@${address}/archive` });
    const error = await openDatabase(config).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DatabaseUnreachableError);
    expect((error as Error).message).toBe(
      `PostgreSQL does not answer at ${address} (DATABASE_URL). Point DATABASE_URL at a running PostgreSQL, or unset it to use the local stack ("npm run stack:up" starts it).`,
    );
    expect((error as Error).message).not.toContain('s3cret');
    expect((error as Error).cause).toBeDefined();
  });
});

describe('unreachableMessage', () => {
  const external = loadConfig({ DATABASE_URL: 'postgres://app@db.internal:6432/archive' });
  const local = loadConfig({});

  it('tells a refusal by the server apart from silence', () => {
    expect(
      unreachableMessage(external, serverError('28P01', 'password authentication failed for user "app"')),
    ).toBe(
      'PostgreSQL at db.internal:6432 refused the connection: password authentication failed for user "app" (DATABASE_URL). Check the user, password and database in DATABASE_URL.',
    );
  });

  it('counts a server that is starting up as not answering yet', () => {
    expect(unreachableMessage(external, serverError('57P03', 'the database system is starting up'))).toMatch(
      /^PostgreSQL does not answer at db.internal:6432 \(DATABASE_URL\)\./,
    );
  });

  it('points at the local stack when DATABASE_URL is not set', () => {
    expect(unreachableMessage(local, new Error('connect ECONNREFUSED 127.0.0.1:5432'))).toBe(
      'PostgreSQL does not answer at 127.0.0.1:5432 (the local stack; DATABASE_URL is not set). Start it with "npm run stack:up", or set DATABASE_URL to a running PostgreSQL.',
    );
    expect(unreachableMessage(local, serverError('3D000', 'database "ventanilla" does not exist'))).toBe(
      'PostgreSQL at 127.0.0.1:5432 (the local stack) refused the connection: database "ventanilla" does not exist. Run "npm run stack:up", which creates the database, or set DATABASE_URL.',
    );
  });
});

describe('assertSchemaName', () => {
  it.each(['test_0a1b2c', 'archive', '_x'])('accepts %s', (name) =>
    expect(assertSchemaName(name)).toBe(name),
  );
  it.each(['Archive', 'a-b', 'a b', '1abc', 'x; drop table t', ''])('refuses %j', (name) =>
    expect(() => assertSchemaName(name)).toThrow(/must match/),
  );
});

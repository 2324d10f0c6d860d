import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../infra/processes.js';
import { loadConfig } from '../../runtime/config.js';

// `npm start` with KAFKA_BROKERS, TEMPORAL_ADDRESS or DATABASE_URL pointing at nothing: one line per service
// that does not answer (where, from which variable, what to do) and a non-zero exit within
// seconds, instead of a minute of client retries, their JSON logs and a stack trace.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Well below the clients' own retry budget (kafkajs gave up after about 50 s). */
const PROMPT_MS = 20_000;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `npm start`'s program from the sources, as `npm run dev` does. */
function start(env: Record<string, string>): Promise<Run> {
  const began = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'services/start.ts'], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: Date.now() - began });
    });
  });
}

let home: string;
let nowhere: string;
let kafka: string;
let temporal: string;
let database: string;

beforeAll(async () => {
  // Every service is always given from the environment, so nothing local is started or touched.
  home = mkdtempSync(join(tmpdir(), 'ventanilla-startup-'));
  nowhere = `127.0.0.1:${await freePort()}`;
  const config = loadConfig();
  kafka = config.kafkaBrokers.join(',');
  temporal = config.temporalAddress;
  database = config.databaseUrl;
});

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('npm start with a service that does not answer', () => {
  it('names Kafka, its address and KAFKA_BROKERS in one line, and exits 1', async () => {
    const run = await start({
      VENTANILLA_HOME: home,
      KAFKA_BROKERS: nowhere,
      TEMPORAL_ADDRESS: temporal,
      DATABASE_URL: database,
    });
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `error: Kafka does not answer at ${nowhere} (KAFKA_BROKERS). Point KAFKA_BROKERS at a running broker, or unset it to use the local stack ("npm run stack:up" starts it).\n`,
    );
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(PROMPT_MS);
  });

  it('names Temporal, its address and TEMPORAL_ADDRESS in one line, and exits 1', async () => {
    const run = await start({
      VENTANILLA_HOME: home,
      KAFKA_BROKERS: kafka,
      TEMPORAL_ADDRESS: nowhere,
      DATABASE_URL: database,
    });
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `error: Temporal does not answer at ${nowhere} (TEMPORAL_ADDRESS). Point TEMPORAL_ADDRESS at a running Temporal frontend, or unset it to use the local stack ("npm run stack:up" starts it).\n`,
    );
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(PROMPT_MS);
  });

  it('names PostgreSQL, its address and DATABASE_URL in one line, never its password, and exits 1', async () => {
    const run = await start({
      VENTANILLA_HOME: home,
      KAFKA_BROKERS: kafka,
      TEMPORAL_ADDRESS: temporal,
      DATABASE_URL: `postgres://app:s3cret@${nowhere}/archive`,
    });
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      `error: PostgreSQL does not answer at ${nowhere} (DATABASE_URL). Point DATABASE_URL at a running PostgreSQL, or unset it to use the local stack ("npm run stack:up" starts it).\n`,
    );
    expect(run.code).toBe(1);
    expect(run.ms).toBeLessThan(PROMPT_MS);
  });

  it('gives one line to each service when all are down', async () => {
    const run = await start({
      VENTANILLA_HOME: home,
      KAFKA_BROKERS: nowhere,
      TEMPORAL_ADDRESS: nowhere,
      DATABASE_URL: `postgres://app@${nowhere}/archive`,
    });
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^error: Kafka does not answer at .* \(KAFKA_BROKERS\)\./);
    expect(lines[1]).toMatch(/^error: Temporal does not answer at .* \(TEMPORAL_ADDRESS\)\./);
    expect(lines[2]).toMatch(/^error: PostgreSQL does not answer at .* \(DATABASE_URL\)\./);
    expect(run.stdout).toBe('');
    expect(run.code).toBe(1);
  });
});

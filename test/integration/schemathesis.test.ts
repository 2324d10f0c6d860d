import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holderFiles } from '../../identity/pki.js';
import { loadConfig } from '../../runtime/config.js';
import { TEST_PKI } from '../support/test-pki.js';
import { startTradeApi, type TradeApi } from '../support/trade-api.js';

// schemathesis (from PyPI) against the gateway's /openapi.json: thousands of generated requests,
// each with a bearer token and a body signature that Python's `cryptography` makes
// (test/schemathesis/hooks.py). It must find no 5xx, and no answer that its schema does not
// describe (status, content type, headers, body).

const HERE = fileURLToPath(new URL('../schemathesis/', import.meta.url));
const REQUIREMENTS = join(HERE, 'requirements.txt');
const TRADER = 'AME970512KX3';
const CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_headers_conformance',
  'response_schema_conformance',
].join(',');

/** A venv with the pinned requirements, made once per requirements file under VENTANILLA_HOME. */
function schemathesisPython(): string {
  const digest = createHash('sha256').update(readFileSync(REQUIREMENTS)).digest('hex').slice(0, 12);
  const venv = join(loadConfig().home, 'tools', `schemathesis-${digest}`);
  const python = join(venv, 'bin', 'python');
  if (existsSync(join(venv, '.installed'))) return python;
  const run = (command: string, args: string[]) => {
    const result = spawnSync(command, args, { stdio: 'inherit', timeout: 600_000 });
    if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} failed (exit ${result.status})`);
  };
  run('python3', ['-m', 'venv', venv]);
  run(python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '-r', REQUIREMENTS]);
  run('touch', [join(venv, '.installed')]);
  return python;
}

/** The exit status and output of a command, whether it succeeded or not. */
async function run(command: string, args: string[], options: Parameters<typeof execFile>[2]) {
  try {
    const { stdout, stderr } = await promisify(execFile)(command, args, { ...options, encoding: 'utf8' });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { status: failed.code ?? 1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
}

let api: TradeApi;
let python: string;

beforeAll(async () => {
  python = schemathesisPython();
  // Thousands of requests from one trader in a minute: the rate limit is not what is tested here.
  api = await startTradeApi({ VENTANILLA_HTTP_RATE_PER_MINUTE: '1000000' });
}, 900_000);

afterAll(async () => {
  await api?.stop();
});

describe('schemathesis against /openapi.json', () => {
  it('finds no server error and no answer outside the schema', async () => {
    const files = holderFiles(TEST_PKI, TRADER);
    const x5c = [readFileSync(files.certFile).toString('base64')];
    // Asynchronously: the gateway answering it runs in this very process.
    const result = await run(
      python,
      [
        '-m',
        'schemathesis.cli',
        'run',
        `${api.gateway.url}/openapi.json`,
        '--checks',
        CHECKS,
        '--max-time',
        '45',
        // One worker: with two, hypothesis (under schemathesis's coverage phase) sometimes fails in
        // its own AST parsing across threads ("AST constructor recursion depth mismatch").
        '--workers',
        '1',
        '--no-color',
      ],
      {
        cwd: HERE,
        timeout: 300_000,
        maxBuffer: 64 * 1024 * 1024,
        env: {
          ...process.env,
          SCHEMATHESIS_HOOKS: 'hooks',
          ST_KEY_FILE: files.keyFile,
          ST_KEY_PASSWORD: readFileSync(files.passwordFile, 'utf8').trim(),
          ST_X5C: JSON.stringify(x5c),
          ST_RFC: TRADER,
        },
      },
    );
    const output = `${result.stdout}\n${result.stderr}`;
    // The summary goes to the test's output either way: it is what the closing note quotes.
    console.log(output.slice(output.indexOf('SUMMARY') - 40));
    expect(result.status, output).toBe(0);
    expect(output).toMatch(/(\d+) generated, \1 passed/);
  }, 400_000);
});

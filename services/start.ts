import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stackDown, stackUp } from '../infra/stack.js';
import { ServiceUnreachableError, StackError } from '../infra/processes.js';
import { ConfigError, displayDatabaseUrl, loadConfig, type Config } from '../runtime/config.js';
import { ensureDevelopmentPki, type DevPki } from './dev-pki.js';
import { createRootLogger } from '../runtime/logger.js';
import { openPipeline } from './process-lifecycle.js';
import { prebuiltWorkflowBundle } from './temporal-workers.js';

const HELP = `Usage: npm start [-- --keep-stack] [-- --json-logs] [-- --split]

Brings up the local Kafka, Temporal and PostgreSQL (unless KAFKA_BROKERS / TEMPORAL_ADDRESS /
DATABASE_URL point elsewhere), then runs the pipeline in the foreground: one process with the
Temporal workers, intake and the decision bridge (services/pipeline.worker.ts), and the projector,
which archives every status event in PostgreSQL (services/projector.worker.ts), and the trader
API (services/gateway.worker.ts). Ctrl-C stops them, and the stack too if this command started it (--keep-stack leaves it running).

  --keep-stack   leave Kafka, Temporal and PostgreSQL running after Ctrl-C
  --json-logs    print the processes' pino JSON lines as they are
  --split        run the pipeline's three roles as processes of their own (temporal-worker,
                 intake, decision-bridge), as a deployment that scales them apart would`;

/** Beside the pipeline in either layout: the archive's writer and the trader API. */
const FRONT = [
  { name: 'projector', script: 'projector.worker' },
  { name: 'gateway', script: 'gateway.worker' },
];

/** The whole pipeline in one process: the cheapest layout, and what the benchmark measures. */
const SINGLE = [{ name: 'pipeline', script: 'pipeline.worker' }, ...FRONT];

/** The roles apart; each could run on its own host. */
const SPLIT = [
  { name: 'temporal-worker', script: 'temporal.worker' },
  { name: 'intake', script: 'intake.worker' },
  { name: 'decision-bridge', script: 'decision-bridge.worker' },
  ...FRONT,
];

/**
 * `npm start` runs dist/services/start.js, and its workers from dist/ too; `npm run dev` runs the
 * sources through tsx, and so do its workers, so that neither mixes a build with newer sources.
 */
const FROM_SOURCES = import.meta.url.endsWith('.ts');

function workerArgs(script: string): string[] {
  const path = fileURLToPath(new URL(`./${script}${FROM_SOURCES ? '.ts' : '.js'}`, import.meta.url));
  return FROM_SOURCES ? ['--import', 'tsx', path] : [path];
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'keep-stack': { type: 'boolean', default: false },
      'json-logs': { type: 'boolean', default: false },
      split: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return console.log(HELP);
  const config = loadConfig();
  // A missing build stops here, before the stack is brought up for workers that cannot start.
  if (!FROM_SOURCES) prebuiltWorkflowBundle();
  const say = (line: string) => console.log(`[stack] ${line}`);
  const { started } = await stackUp(config, say);
  const { registry } = await openPipeline(config, createRootLogger('warn', 'start'), 'ventanilla-start');
  const pki = await ensureDevelopmentPki(config, registry);

  const children = (values.split ? SPLIT : SINGLE).map(({ name, script }) => {
    const child = spawn(process.execPath, workerArgs(script), {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) =>
        console.log(values['json-logs'] ? line : formatLogLine(name, line)),
      );
    }
    return { name, child };
  });
  printBanner(
    config,
    registry.agencies.map((a) => `${a.code}=${a.mode}`),
    pki,
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping workers...');
    await Promise.all(children.map(({ child }) => terminate(child)));
    if (started.length > 0 && !values['keep-stack']) await stackDown(config, say, started);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (const { name, child } of children) {
    child.on('exit', (code) => {
      if (stopping) return;
      console.error(`[${name}] exited with code ${code}; stopping everything (see its log lines above)`);
      void stop(1);
    });
  }
}

function signaturesLine(config: Config, pki: DevPki | undefined): string {
  if (config.signatures === 'off') return 'off (VENTANILLA_SIGNATURES=off): nothing is verified';
  const made = pki?.createdCa ? 'dev CA created; ' : '';
  const issued = pki?.issued.length ? `${pki.issued.length} certificate(s) issued; ` : '';
  const where = pki ? `\n                  certificates and keys in ${pki.pkiDir}/holders` : '';
  return `${config.signatures}; ${made}${issued}trust store ${config.trustDir}${where}`;
}

function printBanner(config: Config, modes: string[], pki: DevPki | undefined): void {
  const t = config.topics;
  const api = `http://${config.httpHost}:${config.httpPort}`;
  console.log(`
Ventanilla is running.
  Kafka           ${config.kafkaBrokers.join(',')}
  Temporal        ${config.temporalAddress} (namespace ${config.temporalNamespace})
  Temporal UI     ${config.temporalUiUrl}
  PostgreSQL      ${displayDatabaseUrl(config.databaseUrl)}${config.databaseExternal ? '' : ' (local stack)'}
  trader API      ${api}/v1/declarations (described at ${api}/openapi.json)
  topics          ${t.declarations} (in), ${t.status} (out), ${t.decisions} (agency decisions in),
                  ${t.deadletter} (rejected inputs), ${t.agencyRequestsPrefix}<agency>.requests (agency views)
  agencies        ${modes.join(', ')}
  signatures      ${signaturesLine(config, pki)}

Try it (in another terminal), over Kafka:
  npx ventanilla submit examples/avocado-import.json
  npx ventanilla status AVO-2026-000001 --watch
or over HTTP (each token is accepted once, so each call makes its own):
  curl -i -X POST ${api}/v1/declarations \\
    -H "Authorization: Bearer $(npx ventanilla token --rfc ANO970512KX3)" \\
    -H "Content-Type: application/json" \\
    -H "Ventanilla-Signature: $(npx ventanilla sign examples/avocado-import.json)" \\
    --data-binary @examples/avocado-import.json
  curl -H "Authorization: Bearer $(npx ventanilla token --rfc ANO970512KX3)" \\
    ${api}/v1/declarations/AVO-2026-000001
Ctrl-C stops.
`);
}

function terminate(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

const LEVELS: Record<number, string> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
const HIDDEN = new Set(['level', 'time', 'pid', 'hostname', 'msg', 'component']);

/** Pino JSON made readable for a person at a terminal; anything that is not JSON passes through. */
function formatLogLine(name: string, line: string): string {
  try {
    const entry = JSON.parse(line) as Record<string, unknown>;
    const fields = Object.entries(entry)
      .filter(([k]) => !HIDDEN.has(k))
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
      .join(' ');
    return `[${name}] ${LEVELS[entry.level as number] ?? ''} ${String(entry.msg ?? '')} ${fields}`.trimEnd();
  } catch {
    return `[${name}] ${line}`;
  }
}

main().catch((error: unknown) => {
  const known = [StackError, ConfigError, ServiceUnreachableError].some((type) => error instanceof type);
  if (known) console.error(`error: ${(error as Error).message}`);
  else console.error(error);
  process.exit(1);
});

import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../runtime/config.js';
import { ServiceUnreachableError, StackError } from './processes.js';
import { stackDown, stackInstall, stackStatus, stackUp, type StackStatus } from './stack.js';

const HELP = `Usage: npm run stack:<command> [-- --json]

Manages the local Kafka broker, Temporal dev server and PostgreSQL that Ventanilla runs on.

Commands:
  install   download the Kafka jars and the PostgreSQL binaries (Maven) and build the Temporal CLI
            (go install), start nothing
  up        install if needed, start the services, and wait until each is healthy
  down      stop the services this stack started (by PID); anything else is left alone
  status    report whether each service answers its health check (exit 1 when one is down)

Options:
  --json    machine-readable output
  --help    this text

Environment:
  VENTANILLA_HOME     downloads and data (default ~/.cache/ventanilla)
  KAFKA_BROKERS       use this Kafka instead of starting one (e.g. broker1:9092,broker2:9092)
  TEMPORAL_ADDRESS    use this Temporal instead of starting one (e.g. temporal.internal:7233)
  TEMPORAL_NAMESPACE  namespace (default: default)
  DATABASE_URL        use this PostgreSQL instead of starting one (e.g. postgres://app:pw@db:5432/archive)`;

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals[0];
  if (values.help || !command) {
    console.log(HELP);
    return command || values.help ? 0 : 2;
  }
  const config = loadConfig();
  const say = values.json ? (line: string) => console.error(line) : (line: string) => console.log(line);
  switch (command) {
    case 'install':
      await stackInstall(config, say);
      say('Installed.');
      return 0;
    case 'up': {
      const { started } = await stackUp(config, say);
      const status = await stackStatus(config);
      if (values.json) console.log(JSON.stringify({ started, ...status }));
      else printStatus(status);
      return allHealthy(status) ? 0 : 1;
    }
    case 'down':
      await stackDown(config, say);
      return 0;
    case 'status': {
      const status = await stackStatus(config);
      if (values.json) console.log(JSON.stringify(status));
      else printStatus(status);
      return allHealthy(status) ? 0 : 1;
    }
    default:
      console.error(`Unknown command "${command}".\n\n${HELP}`);
      return 2;
  }
}

function allHealthy(status: StackStatus): boolean {
  return status.kafka.healthy && status.temporal.healthy && status.postgres.healthy;
}

function printStatus(status: StackStatus): void {
  for (const s of [status.kafka, status.temporal, status.postgres]) {
    const state = s.healthy ? 'healthy' : 'DOWN';
    const pid = s.pid ? `, pid ${s.pid}` : '';
    console.log(
      `${s.service.padEnd(9)} ${state.padEnd(8)} ${s.address} (${s.managedBy}, ${s.version}${pid})`,
    );
  }
  console.log(`ui        ${status.ui}`);
  console.log(`data      ${status.home}`);
  // Root's PostgreSQL may live outside VENTANILLA_HOME (infra/postgres-user.ts): say where.
  if (status.postgres.dataDir) console.log(`pgdata    ${status.postgres.dataDir}`);
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (
      error instanceof StackError ||
      error instanceof ConfigError ||
      error instanceof ServiceUnreachableError
    ) {
      console.error(`error: ${error.message}`);
    } else {
      console.error(error);
    }
    process.exit(1);
  },
);

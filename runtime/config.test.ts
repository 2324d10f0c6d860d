import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  agencyRequestsTopic,
  agencyTaskQueue,
  ConfigError,
  displayDatabaseUrl,
  loadConfig,
} from './config.js';

/** The ConfigError loadConfig throws for this environment (fails the test if it does not throw one). */
function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig defaults (design.md §2)', () => {
  const config = loadConfig({});

  it('uses the local stack', () => {
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
    expect(config.kafkaExternal).toBe(false);
    expect(config.temporalAddress).toBe('127.0.0.1:7233');
    expect(config.temporalExternal).toBe(false);
    expect(config.temporalNamespace).toBe('default');
    expect(config.temporalUiUrl).toBe('http://127.0.0.1:8233');
    expect(config.home).toBe(join(homedir(), '.cache', 'ventanilla'));
    expect(config.databaseUrl).toBe('postgres://ventanilla@127.0.0.1:5432/ventanilla');
    expect(config.databaseAddress).toBe('127.0.0.1:5432');
    expect(config.databaseExternal).toBe(false);
  });

  it('uses the topics of design.md §3', () => {
    expect(config.topics).toEqual({
      declarations: 'trade.declarations',
      status: 'trade.status',
      decisions: 'trade.agency.decisions',
      deadletter: 'trade.deadletter',
      agencyRequestsPrefix: 'trade.agency.',
    });
    expect(agencyRequestsTopic(config.topics, 'HEALTH')).toBe('trade.agency.health.requests');
  });

  it('has the remaining defaults', () => {
    expect(config).toMatchObject({
      taskQueue: 'clearance',
      logLevel: 'info',
      registryFile: undefined,
      agencyModes: {},
      closedRetention: '24h',
      topicPartitions: 6,
    });
    expect(agencyTaskQueue(config, 'AGRICULTURE')).toBe('agency-agriculture');
  });
});

describe('loadConfig overrides', () => {
  it('KAFKA_BROKERS selects an external cluster (comma-separated, spaces trimmed)', () => {
    const config = loadConfig({ KAFKA_BROKERS: 'kafka-1.internal:9092, kafka-2.internal:9093' });
    expect(config.kafkaBrokers).toEqual(['kafka-1.internal:9092', 'kafka-2.internal:9093']);
    expect(config.kafkaExternal).toBe(true);
    expect(config.temporalExternal).toBe(false);
  });

  it('TEMPORAL_ADDRESS selects an external server, independently of Kafka', () => {
    const config = loadConfig({
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_NAMESPACE: 'ventanilla-prod',
    });
    expect(config.temporalAddress).toBe('temporal.internal:7233');
    expect(config.temporalExternal).toBe(true);
    expect(config.temporalNamespace).toBe('ventanilla-prod');
    expect(config.kafkaExternal).toBe(false);
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
  });

  it('an empty value counts as unset', () => {
    const config = loadConfig({ KAFKA_BROKERS: '', TEMPORAL_ADDRESS: '' });
    expect(config.kafkaExternal).toBe(false);
    expect(config.temporalExternal).toBe(false);
    expect(config.kafkaBrokers).toEqual(['127.0.0.1:9092']);
  });

  it('the topic prefix applies to every topic, including per-agency request topics', () => {
    const config = loadConfig({ VENTANILLA_TOPIC_PREFIX: 'blue.', VENTANILLA_TOPIC_STATUS: 'status-v2' });
    expect(config.topics).toEqual({
      declarations: 'blue.trade.declarations',
      status: 'blue.status-v2',
      decisions: 'blue.trade.agency.decisions',
      deadletter: 'blue.trade.deadletter',
      agencyRequestsPrefix: 'blue.trade.agency.',
    });
    expect(agencyRequestsTopic(config.topics, 'ECONOMY')).toBe('blue.trade.agency.economy.requests');
  });

  it('parses VENTANILLA_AGENCY_MODES', () => {
    expect(loadConfig({ VENTANILLA_AGENCY_MODES: 'HEALTH=queue, ECONOMY=auto' }).agencyModes).toEqual({
      HEALTH: 'queue',
      ECONOMY: 'auto',
    });
  });

  it.each(['debug', 'silent', 'trace'])('accepts LOG_LEVEL=%s', (level) => {
    expect(loadConfig({ LOG_LEVEL: level }).logLevel).toBe(level);
  });
});

describe('loadConfig refuses bad values with a clear ConfigError', () => {
  it.each([
    [{ TEMPORAL_ADDRESS: 'localhost' }, 'TEMPORAL_ADDRESS: expected host:port, got "localhost"'],
    [{ TEMPORAL_ADDRESS: 'localhost:70000' }, 'TEMPORAL_ADDRESS: expected host:port, got "localhost:70000"'],
    [{ TEMPORAL_ADDRESS: ':7233' }, 'TEMPORAL_ADDRESS: expected host:port, got ":7233"'],
    [{ KAFKA_BROKERS: 'kafka-1:9092,kafka-2' }, 'KAFKA_BROKERS: expected host:port, got "kafka-2"'],
    [{ KAFKA_BROKERS: 'kafka-1:port' }, 'KAFKA_BROKERS: expected host:port, got "kafka-1:port"'],
    [{ KAFKA_BROKERS: ' , ' }, 'KAFKA_BROKERS is empty; expected host:port[,host:port...]'],
  ])('%j', (env, message) => {
    expect(configError(env).message).toBe(message);
  });

  it.each(['verbose', 'INFO', 'warning'])('LOG_LEVEL=%s', (level) => {
    expect(configError({ LOG_LEVEL: level }).message).toBe(
      `LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "${level}"`,
    );
  });

  it.each([
    ['HEALTH=manual', 'HEALTH=manual'],
    ['HEALTH', 'HEALTH'],
    ['health=queue', 'health=queue'],
    ['HEALTH=queue,=auto', '=auto'],
  ])('VENTANILLA_AGENCY_MODES=%s', (value, pair) => {
    const { message } = configError({ VENTANILLA_AGENCY_MODES: value });
    expect(message).toContain('VENTANILLA_AGENCY_MODES: expected AGENCY=auto|queue pairs');
    expect(message).toContain(`got "${pair}"`);
  });

  it.each([
    [
      { VENTANILLA_TOPIC_PARTITIONS: '0' },
      /VENTANILLA_TOPIC_PARTITIONS: expected a whole number from 1 to 1000, got "0"/,
    ],
    [{ VENTANILLA_TOPIC_PARTITIONS: 'six' }, /VENTANILLA_TOPIC_PARTITIONS/],
    [
      { VENTANILLA_CLOSED_RETENTION: '1 day' },
      /VENTANILLA_CLOSED_RETENTION: expected a duration such as 90s/,
    ],
  ])('%j', (env, message) => {
    expect(configError(env).message).toMatch(message);
  });

  it('is a ConfigError by name, so startup can report it without a stack trace', () => {
    expect(configError({ LOG_LEVEL: 'loud' }).name).toBe('ConfigError');
  });
});

describe('VENTANILLA_AGENCY_MODES with too many parts', () => {
  it('refuses HEALTH=queue=auto instead of silently keeping the first mode', () => {
    expect(configError({ VENTANILLA_AGENCY_MODES: 'HEALTH=queue=auto' }).message).toContain(
      'got "HEALTH=queue=auto"',
    );
  });
});

describe('DATABASE_URL', () => {
  it('selects an external database, and its address is host:port without credentials', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://app:s3cret@db.internal/archive?sslmode=require',
    });
    expect(config.databaseExternal).toBe(true);
    expect(config.databaseUrl).toBe('postgresql://app:s3cret@db.internal/archive?sslmode=require');
    expect(config.databaseAddress).toBe('db.internal:5432');
    expect(config.kafkaExternal).toBe(false);
  });

  it('accepts a Unix socket directory given as ?host=', () => {
    expect(
      loadConfig({ DATABASE_URL: 'postgres:///archive?host=/run/postgresql&user=app' }).databaseAddress,
    ).toBe('/run/postgresql');
  });

  it.each([
    ['mysql://app@db:3306/archive', 'got "mysql://app@db:3306/archive"'],
    ['db.internal:5432', 'got "db.internal:5432"'],
    ['not a url', 'got a value that is not a URL'],
  ])('refuses %s', (value, got) => {
    expect(configError({ DATABASE_URL: value }).message).toBe(
      `DATABASE_URL: expected postgres://user[:password]@host[:port]/database, ${got}`,
    );
  });

  it('never echoes a password', () => {
    const { message } = configError({ DATABASE_URL: 'http://app:s3cret@db/archive' });
    expect(message).not.toContain('s3cret');
    expect(message).toContain('http://app:***@db/archive');
    expect(displayDatabaseUrl('postgres://app:s3cret@db:5432/archive')).toBe(
      'postgres://app:***@db:5432/archive',
    );
  });
});

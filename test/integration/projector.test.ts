import type { Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, type Config } from '../../runtime/config.js';
import { createRootLogger } from '../../runtime/logger.js';
import { createKafka } from '../../messaging/kafka.js';
import type { StatusEvent } from '../../schemas/types.js';
import { Projector } from '../../services/projector.js';
import {
  openTestArchive,
  privatePostgres,
  type PrivatePostgres,
  type TestArchive,
} from '../support/archive.js';
import {
  collectTopic,
  createTopics,
  deleteTopicsWithPrefix,
  isolatedEnv,
  uniqueName,
  waitFor,
  type Collected,
} from '../support/helpers.js';

// The projector on the real stack: Kafka's trade.status into PostgreSQL's archive, no mocks.

const TRADER = 'AAA010101AAA';

function event(declarationId: string, sequence: number, overrides: Partial<StatusEvent> = {}): StatusEvent {
  return {
    declarationId,
    at: new Date(Date.UTC(2026, 11, 2, 10, 0, sequence)).toISOString(),
    sequence,
    status: sequence === 1 ? 'RECEIVED' : 'IN_REVIEW',
    agencies: { CUSTOMS: 'PENDING' },
    reasons: [],
    decisions: [],
    traderTaxId: TRADER,
    regime: 'IMPORT',
    ...overrides,
  };
}

const cleared = (declarationId: string, sequence: number): StatusEvent =>
  event(declarationId, sequence, {
    status: 'CLEARED',
    agencies: { CUSTOMS: 'APPROVED' },
    decisions: [
      {
        agency: 'CUSTOMS',
        outcome: 'APPROVED',
        by: 'officer',
        officer: 'OFFICER-1',
        at: '2026-12-02T10:00:30.000Z',
        reasons: [{ code: 'DOCUMENTS_COMPLETE', message: 'all documents present' }],
        signer: { rfc: 'OFI800101AB1', serial: '0a1b', fingerprint: 'f'.repeat(64) },
      },
    ],
  });

interface Running {
  config: Config;
  producer: Producer;
  projector: Projector;
  deadletters: { messages: Collected[]; stop(): Promise<void> };
  send(records: Array<{ key: string; value: string | Buffer }>): Promise<void>;
  stop(): Promise<void>;
}

/** A projector on its own topics and schema, with `databaseUrl` as its archive when given. */
async function startProjector(archive: TestArchive, config: Config): Promise<Running> {
  const logger = createRootLogger(config.logLevel, 'test');
  const kafka = createKafka(config, logger, 'test');
  await createTopics(kafka, [config.topics.status, config.topics.deadletter], 2);
  const producer = kafka.producer({ idempotent: true });
  await producer.connect();
  const projector = new Projector({ config, logger, kafka, pool: archive.pool });
  await projector.start();
  const collected = await collectTopic(kafka, config.topics.deadletter);
  return {
    config,
    producer,
    projector,
    deadletters: { messages: collected.messages, stop: () => collected.consumer.disconnect() },
    async send(records) {
      await producer.send({ topic: config.topics.status, acks: -1, messages: records });
    },
    async stop() {
      await projector.stop();
      await collected.consumer.disconnect();
      await producer.disconnect();
      await deleteTopicsWithPrefix(kafka, config.topics.status.split('.')[0]!);
    },
  };
}

const count = async (archive: TestArchive, sql: string, params: unknown[] = []) =>
  Number((await archive.pool.query<{ n: string }>(`select count(*) as n from ${sql}`, params)).rows[0]!.n);

describe('the projector', () => {
  let archive: TestArchive;
  let running: Running;

  beforeAll(async () => {
    const config = loadConfig({ ...process.env, ...isolatedEnv() });
    archive = await openTestArchive(config);
    running = await startProjector(archive, config);
  });

  afterAll(async () => {
    await running?.stop();
    await archive?.drop();
  });

  it('archives each event once, keeps the latest per declaration, and the decisions with their signer', async () => {
    const id = uniqueName('DECL').replace(/-/g, '_');
    const records = [event(id, 1), event(id, 2), cleared(id, 3)].map((e) => ({
      key: id,
      value: JSON.stringify(e),
    }));
    // The second delivery of every record (a crash before the commit) must change nothing.
    await running.send([...records, ...records]);
    await waitFor(
      'three events archived',
      async () => (await count(archive, 'status_events where declaration_id = $1', [id])) === 3,
    );
    const { rows } = await archive.pool.query(
      'select status, last_sequence, trader_tax_id, regime, final_at from declarations where declaration_id = $1',
      [id],
    );
    expect(rows).toEqual([
      expect.objectContaining({
        status: 'CLEARED',
        last_sequence: '3',
        trader_tax_id: TRADER,
        regime: 'IMPORT',
      }),
    ]);
    expect(rows[0].final_at).toBeInstanceOf(Date);
    const decisions = await archive.pool.query(
      'select agency, outcome, decided_by, signer_rfc, signer_serial from agency_decisions where declaration_id = $1',
      [id],
    );
    expect(decisions.rows).toEqual([
      {
        agency: 'CUSTOMS',
        outcome: 'APPROVED',
        decided_by: 'officer',
        signer_rfc: 'OFI800101AB1',
        signer_serial: '0a1b',
      },
    ]);
    // The exact bytes of each record are kept.
    const raw = await archive.pool.query<{ raw: Buffer }>(
      'select raw from status_events where declaration_id = $1 and sequence = 3',
      [id],
    );
    expect(raw.rows[0]!.raw.toString()).toBe(records[2]!.value);
  });

  it('stores text PostgreSQL refuses (NUL, lone surrogates) with U+FFFD, and the exact bytes beside it', async () => {
    const id = uniqueName('NUL').replace(/-/g, '_');
    const value = JSON.stringify(
      event(id, 1, {
        status: 'REJECTED',
        reasons: [{ code: 'INVALID_INPUT', message: 'items/0/description: bad \u0000 and \ud800' }],
      }),
    );
    await running.send([{ key: id, value }]);
    const row = await waitFor('the event archived', async () => {
      const found = await archive.pool.query<{ event: StatusEvent; raw: Buffer }>(
        'select event, raw from status_events where declaration_id = $1',
        [id],
      );
      return found.rows[0];
    });
    expect(row.event.reasons[0]!.message).toBe('items/0/description: bad \uFFFD and \uFFFD');
    expect(row.raw.toString()).toBe(value);
  });

  it('dead-letters a record that is not a status event, with its bytes, and goes on', async () => {
    const id = uniqueName('BAD').replace(/-/g, '_');
    await running.send([
      { key: id, value: Buffer.from([0x7b, 0xff, 0xfe]) },
      { key: id, value: JSON.stringify({ declarationId: id, sequence: 'one' }) },
      { key: id, value: JSON.stringify(event(id, 1)) },
    ]);
    await waitFor(
      'the valid event after them archived',
      async () => (await count(archive, 'status_events where declaration_id = $1', [id])) === 1,
    );
    const letters = await waitFor('two dead letters', () => {
      const mine = running.deadletters.messages.filter(
        (m) => m.message.value!.toString().includes(id) || m.message.key?.toString() === id,
      );
      return mine.length >= 2 && mine;
    });
    const reasons = letters.map((l) => JSON.parse(l.message.value!.toString()).reason).sort();
    expect(reasons).toEqual(['INVALID_ENCODING', 'SCHEMA_VIOLATION'].sort());
  });
});

describe('the projector while PostgreSQL is down', () => {
  let postgres: PrivatePostgres;
  let archive: TestArchive;
  let running: Running;

  beforeAll(async () => {
    const shared = loadConfig();
    postgres = await privatePostgres(shared.home);
    const config = loadConfig({ ...process.env, ...isolatedEnv(), DATABASE_URL: postgres.databaseUrl });
    archive = await openTestArchive(config);
    running = await startProjector(archive, config);
  }, 240_000);

  afterAll(async () => {
    await running?.stop();
    await archive?.drop().catch(() => undefined);
    await postgres?.remove();
  });

  it('holds its partitions, waits, and archives every event once it is back', async () => {
    const ids = Array.from({ length: 6 }, (_, i) => `OUTAGE_${i}_${Date.now().toString(36)}`);
    const send = (sequence: number) =>
      running.send(ids.map((id) => ({ key: id, value: JSON.stringify(event(id, sequence)) })));
    await send(1);
    await waitFor(
      'the first events archived',
      async () => (await count(archive, 'status_events')) === ids.length,
    );
    await postgres.stop();
    await send(2);
    // Long enough for several failed attempts, and for the consumer to park the partitions.
    await new Promise((resolve) => setTimeout(resolve, 8_000));
    await postgres.start();
    await send(3);
    await waitFor(
      'every event archived',
      async () => (await count(archive, 'status_events')) === ids.length * 3,
      120_000,
    );
    const latest = await archive.pool.query<{ last_sequence: string }>(
      'select last_sequence from declarations',
    );
    expect(latest.rows.map((r) => r.last_sequence)).toEqual(ids.map(() => '3'));
    // Nothing was given up on: no status event went to the dead-letter topic.
    expect(running.deadletters.messages).toEqual([]);
  }, 240_000);
});

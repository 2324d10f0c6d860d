import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { archiveStatusEvents } from '../../archive/status-archive.js';
import { StatusListener } from '../../archive/status-listener.js';
import { loadConfig } from '../../runtime/config.js';
import { createRootLogger } from '../../runtime/logger.js';
import type { StatusEvent } from '../../schemas/types.js';
import { openTestArchive, type TestArchive } from '../support/archive.js';
import { isolatedEnv, waitFor } from '../support/helpers.js';

// The gateway's event streams hear of each committed event from PostgreSQL itself (LISTEN), with
// the event in the notification when it fits in one, so that a stream need not read it back.

let archive: TestArchive;
let listener: StatusListener;

beforeAll(async () => {
  const config = loadConfig({ ...process.env, ...isolatedEnv() });
  archive = await openTestArchive(config);
  listener = new StatusListener(config.databaseUrl, createRootLogger('warn', 'test'));
  await listener.start(archive.pool);
});

afterAll(async () => {
  await listener?.stop();
  await archive?.drop();
});

function event(declarationId: string, message: string): StatusEvent {
  return {
    declarationId,
    at: '2026-12-08T10:00:00.000Z',
    sequence: 1,
    status: 'IN_REVIEW',
    agencies: { CUSTOMS: 'PENDING' },
    reasons: [{ code: 'DOCUMENTS_COMPLETE', message }],
    decisions: [],
    traderTaxId: 'AAA010101AAA',
    regime: 'IMPORT',
  };
}

async function heard(item: StatusEvent): Promise<Array<StatusEvent | undefined>> {
  const calls: Array<StatusEvent | undefined> = [];
  const unsubscribe = listener.subscribe(item.declarationId, (e) => calls.push(e));
  const raw = Buffer.from(JSON.stringify(item));
  await archiveStatusEvents(archive.pool, [{ event: item, raw, partition: 0, offset: '1' }]);
  await waitFor('the notification', () => calls.length > 0);
  unsubscribe();
  return calls;
}

describe('the status listener', () => {
  it('hands a stream the committed event itself, as the archive holds it', async () => {
    const item = event('LISTEN-SMALL', 'all documents present (\u00e1\u00e9\u00ed, "quoted")');
    expect(await heard(item)).toEqual([item]);
  });

  it('hands a bare hint for an event too large for a notification, so the stream reads it', async () => {
    expect(await heard(event('LISTEN-LARGE', 'x'.repeat(9000)))).toEqual([undefined]);
  });
});

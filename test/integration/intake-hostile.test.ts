import { createHash } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Consumer, Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDeclaration, sampleWithdrawal, uniqueId } from '../support/fixtures.js';
import type { DeadLetterRecord, StatusEvent } from '../../schemas/types.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { statusQuery } from '../../workflows/messages.js';
import { collectTopic, waitFor, type Collected } from '../support/helpers.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';
import { withSignatures } from '../support/test-pki.js';

// Issue 10: inputs an attacker or a careless trader sends. Each must end in exactly one place, with
// the trader told whenever the declaration can be identified, and none may hold up the others.

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;
let deadLetters: { messages: Collected[]; consumer: Consumer };

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    env: { VENTANILLA_CLOSED_RETENTION: '1h', VENTANILLA_AGENCY_MODES: 'AGRICULTURE=queue' },
  });
  deadLetters = await collectTopic(pipeline.kafka, pipeline.config.topics.deadletter);
});
afterAll(async () => {
  await deadLetters?.consumer.disconnect();
  await pipeline?.stop();
});

function lettersFor(ref: (l: DeadLetterRecord) => boolean): DeadLetterRecord[] {
  return deadLetters.messages
    .map(({ message }) => JSON.parse(message.value!.toString()) as DeadLetterRecord)
    .filter(ref);
}

/** Valid messages go signed by their trader, as any trader's tool sends them; garbage as it is. */
async function produce(messages: Message[]): Promise<void> {
  await pipeline.producer.send({
    topic: pipeline.config.topics.declarations,
    acks: -1,
    messages: await withSignatures(messages),
  });
}

/** A declaration that clears with no officer: CUSTOMS only (no chapter routes to AGRICULTURE). */
function machinery(declarationId = uniqueId('MCH')) {
  const base = sampleDeclaration({ declarationId });
  return {
    ...base,
    items: [{ ...base.items[0]!, hsCode: '84713000', description: 'laptops' }],
    documents: [{ type: 'INVOICE' as const, reference: 'INV-1' }],
  };
}

describe('poison records on one partition (defect 2)', () => {
  it('dead-letters them, bounded, while valid declarations on every partition clear on time', async () => {
    const bigId = uniqueId('BIG');
    const bigValue = Buffer.alloc(1_100_000, 0x20);
    const bigHeaders = Object.fromEntries(
      Array.from({ length: 8 }, (_, i) => [`x-pad-${i}`, Buffer.alloc(100_000, 0x41)]),
    );
    const hostileKey = Buffer.alloc(700_000, 0xff);
    // One request each: together they would pass the broker's 2 MiB request limit.
    await produce([{ partition: 0, key: bigId, value: bigValue, headers: bigHeaders }]);
    await produce([{ partition: 0, key: hostileKey, value: Buffer.from('{"kind":"declaration"}') }]);
    const started = Date.now();
    const valid = Array.from({ length: 9 }, () => machinery());
    await produce(
      valid.map((d, i) => ({ partition: i % 3, key: d.declarationId, value: JSON.stringify(d) })),
    );

    const cleared = await Promise.all(
      valid.map(async (d) => {
        await pipeline.waitForStatus(d.declarationId, 'CLEARED', 60_000);
        return Date.now() - started;
      }),
    );
    // On time: the poison costs its partition at most a few seconds, the others nothing.
    expect(Math.max(...cleared)).toBeLessThan(30_000);

    const [big] = await waitFor('the big record in the dead-letter topic', () => {
      const found = lettersFor((l) => l.declarationId === bigId);
      return found.length ? found : undefined;
    });
    expect(big!.reason).toBe('TOO_LARGE');
    expect(big!.valueSize).toBe(1_100_000);
    expect(big!.truncated?.value).toEqual({ size: 1_100_000, sha256: sha(bigValue) });
    expect(big!.truncated?.headers?.cut).toBe(8);
    const told = await pipeline.waitForStatus(bigId, 'REJECTED');
    expect(told.reasons[0]).toMatchObject({ code: 'INVALID_INPUT' });

    const [keyed] = await waitFor('the hostile key in the dead-letter topic', () => {
      const found = lettersFor((l) => l.truncated?.key?.sha256 === sha(hostileKey));
      return found.length ? found : undefined;
    });
    expect(keyed!.truncated?.key?.size).toBe(700_000);
    expect(keyed!.key!.length).toBeLessThanOrEqual(1024);
    expect(keyed!.reason).toBe('SCHEMA_VIOLATION');
    // Exactly one place each.
    expect(lettersFor((l) => l.declarationId === bigId)).toHaveLength(1);
    expect(lettersFor((l) => l.ref === keyed!.ref)).toHaveLength(1);
  });
});

describe('every readable input gets an answer (defect 4)', () => {
  const cases: Array<[string, (id: string) => Buffer | null, string]> = [
    ['invalid UTF-8', () => Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0xff, 0x7d]), 'INVALID_ENCODING'],
    ['a value over 1 MiB', () => Buffer.alloc(1024 * 1024 + 10, 0x20), 'TOO_LARGE'],
    ['an empty value', () => Buffer.alloc(0), 'INVALID_JSON'],
    ['a tombstone', () => null, 'INVALID_JSON'],
    ['non-object JSON', () => Buffer.from('[1,2,3]'), 'UNKNOWN_KIND'],
    [
      'invalid UTF-8 whose id is only inside',
      (id) =>
        Buffer.from(JSON.stringify(sampleWithdrawal({ declarationId: id, reason: 'Compañía' })), 'latin1'),
      'INVALID_ENCODING',
    ],
  ];

  it.each(cases)('tells the trader about %s identified by its key or value', async (name, value, reason) => {
    const id = uniqueId('RDB');
    const keyOnlyInside = name.includes('only inside');
    await produce([{ key: keyOnlyInside ? null : id, value: value(id) }]);
    const event = await pipeline.waitForStatus(id, 'REJECTED');
    expect(event.reasons[0]?.code).toBe('INVALID_INPUT');
    const letters = await waitFor('its dead letter', () => {
      const found = lettersFor((l) => l.declarationId === id);
      return found.length ? found : undefined;
    });
    expect(letters.map((l) => l.reason)).toEqual([reason]);
  });

  it('refuses a declaration keyed by another declarationId as KEY_MISMATCH, and starts nothing', async () => {
    const declaration = machinery();
    await produce([{ key: uniqueId('OTHER'), value: JSON.stringify(declaration) }]);
    const event = await pipeline.waitForStatus(declaration.declarationId, 'REJECTED');
    expect(event.reasons[0]?.message).toContain('key every message by its declarationId');
    const letters = await waitFor('its dead letter', () => {
      const found = lettersFor((l) => l.declarationId === declaration.declarationId);
      return found.length ? found : undefined;
    });
    expect(letters.map((l) => l.reason)).toEqual(['KEY_MISMATCH']);
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
    await expect(handle.describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('refuses a value with declarationId twice, the last one not its key', async () => {
    const declaration = machinery();
    const other = uniqueId('TWICE');
    const text = JSON.stringify(declaration).replace(/}$/, `,"declarationId":"${other}"}`);
    await produce([{ key: declaration.declarationId, value: text }]);
    await pipeline.waitForStatus(other, 'REJECTED');
    const letters = await waitFor('its dead letter', () => {
      const found = lettersFor((l) => l.declarationId === other);
      return found.length ? found : undefined;
    });
    expect(letters.map((l) => l.reason)).toEqual(['KEY_MISMATCH']);
  });
});

describe('record timestamps a producer chose', () => {
  it.each(['0', '-1', '9000000000000000000'])(
    'clears a declaration whose record timestamp is %s',
    async (timestamp) => {
      const declaration = machinery();
      const sent = await pipeline.producer
        .send({
          topic: pipeline.config.topics.declarations,
          acks: -1,
          messages: await withSignatures([
            { key: declaration.declarationId, value: JSON.stringify(declaration), timestamp },
          ]),
        })
        .then(
          () => true,
          (error: Error) => error.message, // the broker may refuse a timestamp far in the future itself
        );
      if (sent !== true) {
        expect(sent).toMatch(/timestamp/i);
        return;
      }
      const final = await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
      expect(final.sequence).toBeGreaterThanOrEqual(1);
    },
  );
});

describe('a second withdrawal (defect 5)', () => {
  it('is refused, recorded in the audit trail and told to the trader', async () => {
    const declaration = sampleDeclaration(); // AGRICULTURE waits for an officer: it stays open
    await pipeline.submit(declaration);
    await pipeline.waitForStatus(declaration.declarationId, 'IN_REVIEW');
    const withdrawal = {
      kind: 'withdrawal',
      declarationId: declaration.declarationId,
      reason: 'sold elsewhere',
    };
    await pipeline.submit(withdrawal);
    await pipeline.waitForStatus(declaration.declarationId, 'WITHDRAWN');
    const before = pipeline.eventsFor(declaration.declarationId).length;
    await pipeline.submit({ ...withdrawal, reason: 'withdrawn again' });
    const answer: StatusEvent = await waitFor(
      'an event for the second withdrawal',
      () => pipeline.eventsFor(declaration.declarationId)[before],
    );
    expect(answer.status).toBe('WITHDRAWN');
    expect(answer.reasons.map((r) => r.code)).toContain('DECLARATION_CLOSED');
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
    const { audit } = await handle.query(statusQuery);
    expect(audit.filter((e) => e.type === 'withdrawal')).toHaveLength(1);
    expect(audit.filter((e) => e.type === 'refused')).toMatchObject([
      { by: 'trader', detail: expect.stringContaining('cannot be withdrawn') },
    ]);
  });
});

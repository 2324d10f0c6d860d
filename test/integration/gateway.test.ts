import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WorkflowNotFoundError } from '@temporalio/client';
import { EventSourceParserStream } from 'eventsource-parser/stream';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBearerToken } from '../../identity/bearer-token.js';
import { holderFiles } from '../../identity/pki.js';
import { loadSigner } from '../../identity/signing-key.js';
import { ensureTopics } from '../../messaging/kafka.js';
import { loadConfig } from '../../runtime/config.js';
import type { StatusEvent } from '../../schemas/types.js';
import { startGateway, type RunningGateway } from '../../services/gateway/start-gateway.js';
import type { TestArchive } from '../support/archive.js';
import { sampleDeclaration } from '../support/fixtures.js';
import { collectTopic, waitFor, type Collected } from '../support/helpers.js';
import type { TestPipeline } from '../support/pipeline.js';
import { startTradeApi, type TradeApi } from '../support/trade-api.js';
import { signatureHeaders, TEST_PKI } from '../support/test-pki.js';

// The trader API on the real stack: HTTP in, Kafka, intake, Temporal, the projector, the archive,
// and HTTP out again. No part of it is replaced.

const TRADER = 'AME970512KX3';
const OTHER = 'OTR010101AB1';

let api: TradeApi;
let pipeline: TestPipeline;
let archive: TestArchive;
let gateway: RunningGateway;
let declarations: { messages: Collected[]; consumer: { disconnect(): Promise<void> } };

const token = (rfc = TRADER, options: Parameters<typeof signBearerToken>[1] = {}) =>
  signBearerToken(loadSigner(holderFiles(TEST_PKI, rfc)), options);

async function call(
  method: string,
  path: string,
  options: {
    rfc?: string;
    body?: string | Buffer;
    headers?: Record<string, string>;
    auth?: string | null;
  } = {},
) {
  const headers: Record<string, string> = {};
  if (options.auth !== null) headers.authorization = options.auth ?? `Bearer ${await token(options.rfc)}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  Object.assign(headers, options.headers);
  const response = await fetch(`${gateway.url}${path}`, { method, headers, body: options.body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

interface StreamedEvent {
  id: string;
  data: StatusEvent;
}

/** An SSE stream of the declaration's events, read event by event. */
async function openStream(id: string, lastEventId?: string) {
  const controller = new AbortController();
  const response = await fetch(`${gateway.url}/v1/declarations/${id}/events`, {
    headers: {
      authorization: `Bearer ${await token()}`,
      accept: 'text/event-stream',
      ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
    },
    signal: controller.signal,
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
  const reader = response
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new EventSourceParserStream())
    .getReader();
  return {
    async next(count: number): Promise<StreamedEvent[]> {
      const parsed: StreamedEvent[] = [];
      const deadline = Date.now() + 30_000;
      while (parsed.length < count && Date.now() < deadline) {
        const { value, done } = await reader.read();
        if (done) break;
        parsed.push({ id: value.id!, data: JSON.parse(value.data) as StatusEvent });
      }
      return parsed;
    },
    close: () => controller.abort(),
  };
}

async function signedPost(path: string, message: object, rfc = TRADER) {
  const body = JSON.stringify(message);
  return call('POST', path, { rfc, body, headers: await signatureHeaders(body, rfc) });
}

/**
 * The events API gives exactly what the pipeline published on trade.status, in order, once each:
 * RECEIVED first, CLEARED last, and however many IN_REVIEW steps the reviews made in between.
 */
async function expectArchivedAsPublished(id: string): Promise<void> {
  await pipeline.waitForStatus(id, 'CLEARED');
  const archived = (await call('GET', `/v1/declarations/${id}/events`)).body.events as StatusEvent[];
  expect(archived).toEqual(pipeline.eventsFor(id));
  expect(archived[0]!.status).toBe('RECEIVED');
  expect(archived.at(-1)!.status).toBe('CLEARED');
}

/** Another gateway on the test's archive and Kafka, with some settings of its own. */
async function secondGateway(env: Record<string, string>): Promise<RunningGateway> {
  const config = loadConfig({ ...process.env, ...pipeline.env, VENTANILLA_HTTP_PORT: '0', ...env });
  await ensureTopics(pipeline.kafka, [config.topics.declarations], 1);
  return startGateway({ config, logger: pipeline.logger, kafka: pipeline.kafka, pool: archive.pool });
}

beforeAll(async () => {
  api = await startTradeApi();
  ({ pipeline, archive, gateway } = api);
  declarations = await collectTopic(pipeline.kafka, pipeline.config.topics.declarations);
});

afterAll(async () => {
  await declarations?.consumer.disconnect();
  await api?.stop();
});

describe('the trader API', () => {
  it('takes a signed declaration, produces its exact bytes, and answers CLEARED from the archive', async () => {
    const declaration = sampleDeclaration();
    const body = JSON.stringify(declaration);
    const signature = await signatureHeaders(body, TRADER);
    const posted = await call('POST', '/v1/declarations', { body, headers: signature });
    expect(posted.status).toBe(202);
    expect(posted.body).toEqual({
      declarationId: declaration.declarationId,
      statusUrl: `/v1/declarations/${declaration.declarationId}`,
    });
    expect(posted.headers.get('location')).toBe(posted.body.statusUrl);
    // The very bytes, under the very signature: intake verifies what the trader signed.
    const record = await waitFor('the record on trade.declarations', () =>
      declarations.messages.find((m) => m.message.key?.toString() === declaration.declarationId),
    );
    expect(record.message.value!.toString()).toBe(body);
    expect(record.message.headers!['ventanilla-signature']!.toString()).toBe(
      signature['ventanilla-signature'],
    );

    const cleared = await waitFor('CLEARED in the archive', async () => {
      const got = await call('GET', `/v1/declarations/${declaration.declarationId}`);
      return got.status === 200 && (got.body as StatusEvent).status === 'CLEARED' && got.body;
    });
    expect(cleared.traderTaxId).toBe(TRADER);
    await expectArchivedAsPublished(declaration.declarationId);
    const list = await call('GET', '/v1/declarations?status=CLEARED');
    expect(list.body.declarations.map((d: { declarationId: string }) => d.declarationId)).toContain(
      declaration.declarationId,
    );
  });

  it('still answers a closed declaration from the archive after its workflow is deleted', async () => {
    const declaration = sampleDeclaration();
    const id = declaration.declarationId;
    expect((await signedPost('/v1/declarations', declaration)).status).toBe(202);
    await waitFor(
      'CLEARED archived',
      async () => (await call('GET', `/v1/declarations/${id}`)).body?.status === 'CLEARED',
    );
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(id));
    await pipeline.client.workflowService.deleteWorkflowExecution({
      namespace: pipeline.config.temporalNamespace,
      workflowExecution: { workflowId: handle.workflowId },
    });
    await waitFor('the workflow gone from Temporal', () =>
      handle.describe().then(
        () => false,
        (error: unknown) => error instanceof WorkflowNotFoundError,
      ),
    );
    const got = await call('GET', `/v1/declarations/${id}`);
    expect(got).toEqual(
      expect.objectContaining({ status: 200, body: expect.objectContaining({ status: 'CLEARED' }) }),
    );
    await expectArchivedAsPublished(id);
  });

  it("answers 404 for another trader's declaration, the same as for one that does not exist", async () => {
    const declaration = sampleDeclaration();
    expect((await signedPost('/v1/declarations', declaration)).status).toBe(202);
    await waitFor(
      'the declaration archived',
      async () => (await call('GET', `/v1/declarations/${declaration.declarationId}`)).status === 200,
    );
    const theirs = await call('GET', `/v1/declarations/${declaration.declarationId}`, { rfc: OTHER });
    const nobodys = await call('GET', '/v1/declarations/NO_SUCH_DECLARATION_1', { rfc: OTHER });
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(nobodys.status).toBe(404);
    expect(
      (await call('GET', `/v1/declarations/${declaration.declarationId}/events`, { rfc: OTHER })).status,
    ).toBe(404);
    const withdrawal = { kind: 'withdrawal', declarationId: declaration.declarationId, reason: 'not mine' };
    expect(
      (await signedPost(`/v1/declarations/${declaration.declarationId}/withdrawal`, withdrawal, OTHER))
        .status,
    ).toBe(404);
    // Nor does another trader's list show it.
    const list = await call('GET', '/v1/declarations', { rfc: OTHER });
    expect(JSON.stringify(list.body)).not.toContain(declaration.declarationId);
  });

  it('refuses a declarationId in the path that is not one with a 400 problem, however long', async () => {
    for (const id of ['not an id', 'x'.repeat(300), encodeURIComponent('Ṱ̺o͞ i̲n̝v'.repeat(30))]) {
      const got = await call('GET', `/v1/declarations/${id}`);
      expect(got.status, id.slice(0, 20)).toBe(400);
      expect(got.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('refuses an invalid body with the readable messages intake gives, and produces nothing', async () => {
    const declaration = { ...sampleDeclaration(), regime: 'SMUGGLING', items: [] };
    const before = declarations.messages.length;
    const refused = await signedPost('/v1/declarations', declaration);
    expect(refused.status).toBe(400);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body.errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'regime' }),
        expect.objectContaining({ path: 'items' }),
      ]),
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(declarations.messages.slice(before).map((m) => m.message.key?.toString())).not.toContain(
      declaration.declarationId,
    );
  });

  it('refuses a missing, bad, expired or replayed token with 401', async () => {
    const declaration = JSON.stringify(sampleDeclaration());
    expect((await call('POST', '/v1/declarations', { body: declaration, auth: null })).status).toBe(401);
    expect((await call('GET', '/v1/declarations', { auth: 'Bearer abc.def.ghi' })).status).toBe(401);
    const expired = await token(TRADER, { now: new Date(Date.now() - 600_000) });
    const late = await call('GET', '/v1/declarations', { auth: `Bearer ${expired}` });
    expect(late.status).toBe(401);
    expect(late.body.detail).toMatch(/expired/);
    const once = `Bearer ${await token()}`;
    expect((await call('GET', '/v1/declarations', { auth: once })).status).toBe(200);
    const replayed = await call('GET', '/v1/declarations', { auth: once });
    expect(replayed.status).toBe(401);
    expect(replayed.body.detail).toMatch(/used before/);
  });

  it('refuses an unsigned declaration (401) and one signed by another trader (403)', async () => {
    const body = JSON.stringify(sampleDeclaration());
    const unsigned = await call('POST', '/v1/declarations', { body });
    expect(unsigned).toEqual(
      expect.objectContaining({ status: 401, body: expect.objectContaining({ code: 'SIGNATURE_MISSING' }) }),
    );
    const foreign = await call('POST', '/v1/declarations', {
      body,
      headers: await signatureHeaders(body, OTHER),
    });
    expect(foreign).toEqual(
      expect.objectContaining({ status: 403, body: expect.objectContaining({ code: 'SIGNER_MISMATCH' }) }),
    );
  });

  it('answers 413 over 1 MiB and 415 for a body that is not JSON', async () => {
    const huge = Buffer.alloc(1024 * 1024 + 1, 0x20);
    expect((await call('POST', '/v1/declarations', { body: huge })).status).toBe(413);
    const text = await call('POST', '/v1/declarations', {
      body: 'hello',
      headers: { 'content-type': 'text/plain' },
    });
    expect(text.status).toBe(415);
    expect(text.body.detail).toMatch(/application\/json/);
  });

  it('streams events as SSE, live (a large one too), and resumes after Last-Event-ID without a loss or a repeat', async () => {
    const declaration = sampleDeclaration();
    const id = declaration.declarationId;
    expect((await signedPost('/v1/declarations', declaration)).status).toBe(202);
    await waitFor('CLEARED archived', async () => {
      const got = await call('GET', `/v1/declarations/${id}`);
      return got.status === 200 && got.body.status === 'CLEARED';
    });
    await pipeline.waitForStatus(id, 'CLEARED');
    const first = await openStream(id);
    const opening = await first.next(pipeline.eventsFor(id).length);
    expect(opening.map((e) => e.data)).toEqual(pipeline.eventsFor(id));
    expect(opening.at(-1)!.data.status).toBe('CLEARED');
    expect(opening.map((e) => e.id)).toEqual(opening.map((e) => String(e.data.sequence)));
    // A new event while the stream is open (as the pipeline would publish a late notice): it
    // arrives live, through the projector, the archive and its notification.
    const late = {
      ...opening.at(-1)!.data,
      sequence: opening.at(-1)!.data.sequence + 1,
      at: new Date().toISOString(),
    };
    await pipeline.producer.send({
      topic: pipeline.config.topics.status,
      acks: -1,
      messages: [{ key: id, value: JSON.stringify(late) }],
    });
    expect((await first.next(1)).map((e) => e.data.sequence)).toEqual([late.sequence]);
    // One too large for a notification to carry (about 10 KB; PostgreSQL takes under 8000 bytes),
    // then a small one: the stream reads the first from the archive, and goes on.
    const reasons = Array.from({ length: 20 }, (_, i) => ({
      code: 'DOCUMENTS_COMPLETE',
      message: `${i}`.repeat(500),
    }));
    const large = { ...late, sequence: late.sequence + 1, reasons };
    const after = { ...late, sequence: late.sequence + 2 };
    const publish = (event: StatusEvent) =>
      pipeline.producer.send({
        topic: pipeline.config.topics.status,
        acks: -1,
        messages: [{ key: id, value: JSON.stringify(event) }],
      });
    const sentAt = Date.now();
    await publish(large);
    const [read] = await first.next(1);
    expect(read!.data).toMatchObject({ sequence: large.sequence, reasons });
    // Through the bare hint and a read, not through the keepalive's poll of the archive (15 s).
    expect(Date.now() - sentAt).toBeLessThan(10_000);
    await publish(after);
    expect((await first.next(1)).map((e) => e.data.sequence)).toEqual([after.sequence]);
    first.close();
    // Back with the id of the first event seen: everything after it, once.
    const resumed = await openStream(id, opening[0]!.id);
    const rest = [
      ...opening.slice(1).map((e) => e.data.sequence),
      late.sequence,
      large.sequence,
      after.sequence,
    ];
    expect((await resumed.next(rest.length)).map((e) => e.data.sequence)).toEqual(rest);
    resumed.close();
  });

  it('answers a statusUrl at once: 202 until the first status event is archived, then the event', async () => {
    // A gateway whose declarations topic no intake reads: the declaration stays unarchived for as
    // long as the test needs, instead of for the projector's few milliseconds.
    const held = await secondGateway({
      VENTANILLA_TOPIC_PREFIX: `${pipeline.env.VENTANILLA_TOPIC_PREFIX}held.`,
    });
    try {
      const declaration = sampleDeclaration();
      const id = declaration.declarationId;
      const body = JSON.stringify(declaration);
      const auth = async (rfc = TRADER) => ({ authorization: `Bearer ${await token(rfc)}` });
      const posted = await fetch(`${held.url}/v1/declarations`, {
        method: 'POST',
        headers: {
          ...(await auth()),
          'content-type': 'application/json',
          ...(await signatureHeaders(body, TRADER)),
        },
        body,
      });
      expect(posted.status).toBe(202);
      const pending = await fetch(`${held.url}/v1/declarations/${id}`, { headers: await auth() });
      expect(pending.status).toBe(202);
      expect(pending.headers.get('retry-after')).toBe('1');
      expect(await pending.json()).toMatchObject({ declarationId: id, statusUrl: `/v1/declarations/${id}` });
      const events = await fetch(`${held.url}/v1/declarations/${id}/events`, { headers: await auth() });
      expect(await events.json()).toEqual({ declarationId: id, events: [] });
      // Nobody else learns of it.
      expect((await fetch(`${held.url}/v1/declarations/${id}`, { headers: await auth(OTHER) })).status).toBe(
        404,
      );
      // The stream opens at once (well before its first keepalive, 15 s on), and the first event
      // arrives as soon as it is archived.
      const opening = Date.now();
      const stream = await openStream(id);
      expect(Date.now() - opening).toBeLessThan(5000);
      const received: StatusEvent = {
        declarationId: id,
        traderTaxId: TRADER,
        regime: 'IMPORT',
        sequence: 1,
        at: new Date().toISOString(),
        status: 'RECEIVED',
        agencies: { CUSTOMS: 'PENDING' },
        reasons: [],
      };
      await pipeline.producer.send({
        topic: pipeline.config.topics.status,
        acks: -1,
        messages: [{ key: id, value: JSON.stringify(received) }],
      });
      expect((await stream.next(1)).map((e) => e.data)).toEqual([received]);
      stream.close();
      const archived = await fetch(`${held.url}/v1/declarations/${id}`, { headers: await auth() });
      expect(archived.status).toBe(200);
      expect(await archived.json()).toEqual(received);
    } finally {
      await held.stop();
    }
  });

  it('answers 429 to a trader over its rate, with Retry-After, and not to another trader', async () => {
    const strict = await secondGateway({ VENTANILLA_HTTP_RATE_PER_MINUTE: '3' });
    try {
      const get = async (rfc: string) =>
        fetch(`${strict.url}/v1/declarations`, { headers: { authorization: `Bearer ${await token(rfc)}` } });
      for (let i = 0; i < 3; i++) expect((await get(TRADER)).status).toBe(200);
      const over = await get(TRADER);
      expect(over.status).toBe(429);
      expect(over.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(((await over.json()) as { detail: string }).detail).toMatch(/more than 3 requests a minute/);
      expect((await get(OTHER)).status).toBe(200);
    } finally {
      await strict.stop();
    }
  });

  it('pushes events to a webhook, signed; blocks it after 5 failures; delivers the rest in order, once, when unblocked', async () => {
    const secret = 'a-webhook-secret-of-the-trader';
    const received: Array<{ body: string; signature: string }> = [];
    let failing = true;
    let failures = 0;
    const receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (failing) {
          failures++;
          response.writeHead(500).end();
          return;
        }
        received.push({
          body: Buffer.concat(chunks).toString(),
          signature: String(request.headers['ventanilla-webhook-signature']),
        });
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    try {
      const put = await call('PUT', '/v1/notification-endpoint', {
        rfc: OTHER,
        body: JSON.stringify({ url, secret }),
      });
      expect(put).toEqual(
        expect.objectContaining({ status: 200, body: expect.objectContaining({ url, state: 'ACTIVE' }) }),
      );
      const declaration = sampleDeclaration({ trader: { taxId: OTHER, name: 'Otro Comerciante SA de CV' } });
      const id = declaration.declarationId;
      expect((await signedPost('/v1/declarations', declaration, OTHER)).status).toBe(202);
      await pipeline.waitForStatus(id, 'CLEARED');
      const blocked = await waitFor('the endpoint BLOCKED', async () => {
        const got = await call('GET', '/v1/notification-endpoint', { rfc: OTHER });
        return got.body.state === 'BLOCKED' && got.body;
      });
      expect(blocked.failures).toBe(5);
      expect(failures).toBe(5);
      const published = pipeline.eventsFor(id);
      const pending = await waitFor('every event queued', async () => {
        const got = (await call('GET', '/v1/notifications?undelivered=true', { rfc: OTHER })).body;
        return got.notifications.length === published.length && got.notifications;
      });
      expect(pending.map((n: { sequence: number }) => n.sequence)).toEqual(published.map((e) => e.sequence));
      failing = false;
      expect((await call('POST', '/v1/notification-endpoint/unblock', { rfc: OTHER })).body.state).toBe(
        'ACTIVE',
      );
      await waitFor('every event delivered', () => received.length >= published.length);
      await new Promise((resolve) => setTimeout(resolve, 500)); // nothing more may follow
      expect(received.map((r) => (JSON.parse(r.body) as StatusEvent).sequence)).toEqual(
        published.map((e) => e.sequence),
      );
      for (const { body, signature } of received) {
        const [, t, mac] = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature)!;
        expect(mac).toBe(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
      }
      expect(
        (await call('GET', '/v1/notifications?undelivered=true', { rfc: OTHER })).body.notifications,
      ).toEqual([]);
    } finally {
      receiver.close();
    }
  });

  it('refuses a webhook on an internal address (400) unless private networks are allowed', async () => {
    const guarded = await secondGateway({ VENTANILLA_WEBHOOK_PRIVATE_NETWORKS: 'refuse' });
    try {
      const put = async (url: string) =>
        fetch(`${guarded.url}/v1/notification-endpoint`, {
          method: 'PUT',
          headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json' },
          body: JSON.stringify({ url, secret: 'a-webhook-secret-of-the-trader' }),
        });
      const metadata = await put('http://169.254.169.254/latest/meta-data/');
      expect(metadata.status).toBe(400);
      expect(metadata.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(((await metadata.json()) as { errors: unknown[] }).errors).toEqual([
        {
          path: 'url',
          message: expect.stringMatching(/169\.254\.169\.254 is an internal address/) as unknown,
        },
      ]);
      expect((await put('http://[::1]:8080/hook')).status).toBe(400);
      expect((await put('https://hooks.example.com/ventanilla')).status).toBe(200);
    } finally {
      await guarded.stop();
    }
  });

  it('serves /openapi.json (3.1), generated from the schemas, without a token', async () => {
    const doc = (await call('GET', '/openapi.json', { auth: null })).body;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/readyz',
        '/v1/notification-endpoint',
        '/v1/notification-endpoint/unblock',
        '/v1/notifications',
        '/v1/declarations',
        '/v1/declarations/{id}',
        '/v1/declarations/{id}/amendments',
        '/v1/declarations/{id}/events',
        '/v1/declarations/{id}/withdrawal',
      ].sort(),
    );
    const post = doc.paths['/v1/declarations'].post;
    // The declaration's own schema, not a copy: its pattern for declarationId is schemas/'.
    expect(post.requestBody.content['application/json'].schema.properties.declarationId.pattern).toBe(
      '^[A-Za-z0-9][A-Za-z0-9_-]{7,63}$',
    );
    expect(Object.keys(post.responses)).toEqual(
      expect.arrayContaining(['202', '400', '401', '413', '415', '429']),
    );
  });

  it('answers /healthz and /readyz without a token', async () => {
    expect((await call('GET', '/healthz', { auth: null })).body).toEqual({ status: 'ok' });
    expect((await call('GET', '/readyz', { auth: null })).body).toEqual({ status: 'ready' });
  });
});

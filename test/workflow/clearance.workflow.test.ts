import { NativeConnection, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createAgencyActivities } from '../../activities/create-activities.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgencyAdapter } from '../../activities/adapters/adapter.js';
import { checkRequiredDocuments } from '../../activities/adapters/documents.adapter.js';
import { agencyRequestsTopic } from '../../runtime/config.js';
import { sampleDeclaration, sampleItem, uniqueId } from '../support/fixtures.js';
import type { AgencyRequest, Declaration, Registry, StatusEvent } from '../../schemas/types.js';
import { clearanceInput, clearanceStart, intakeOpening } from '../../clearance-client/clearance-start.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import {
  amendUpdate,
  decideUpdate,
  statusQuery,
  withdrawUpdate,
  type ClearanceInput,
} from '../../workflows/messages.js';
import { collectTopic, waitFor } from '../support/helpers.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;

const item = sampleItem;

async function start(
  p: TestPipeline,
  declaration: Declaration,
  receivedAtMs = Date.now(),
  overrides: Partial<ClearanceInput> = {},
): Promise<void> {
  const input = { ...clearanceInput(p.config, p.registry, declaration, receivedAtMs), ...overrides };
  await p.client.workflow.start(...clearanceStart(p.config, input, { source: 'workflow-test' }));
}

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  // HEALTH waits for an officer here, so a rejection elsewhere has an open review to withdraw.
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    intake: false,
    env: { VENTANILLA_CLOSED_RETENTION: '0s', VENTANILLA_AGENCY_MODES: 'HEALTH=queue' },
  });
});
afterAll(async () => pipeline?.stop());

describe('clearance workflow', () => {
  it('clears when every required agency approves, publishing strictly increasing sequences', async () => {
    const declaration = sampleDeclaration();
    await start(pipeline, declaration);
    const final = await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    expect(final.agencies).toEqual({ CUSTOMS: 'APPROVED', AGRICULTURE: 'APPROVED' });
    expect(final.decisions?.map((d) => [d.agency, d.outcome, d.by]).sort()).toEqual([
      ['AGRICULTURE', 'APPROVED', 'auto'],
      ['CUSTOMS', 'APPROVED', 'auto'],
    ]);
    const events = pipeline.eventsFor(declaration.declarationId);
    expect(events[0]!.status).toBe('RECEIVED');
    expect(events.map((e) => e.sequence)).toEqual([...events.map((e) => e.sequence)].sort((a, b) => a - b));
    expect(new Set(events.map((e) => e.sequence)).size).toBe(events.length);
    const result = await pipeline.client.workflow
      .getHandle(declarationWorkflowId(declaration.declarationId))
      .result();
    expect(result.status).toBe('CLEARED');
  });

  it('opened by intake, starts from the opening events intake publishes and publishes only what follows', async () => {
    const sequenceBase = Date.now();
    const plain = sampleDeclaration();
    const opened = { ...sampleDeclaration(), items: plain.items, documents: plain.documents };
    await start(pipeline, plain, sequenceBase);
    const opening = intakeOpening(
      clearanceInput(pipeline.config, pipeline.registry, opened, sequenceBase),
      new Date().toISOString(),
    )!;
    await pipeline.client.workflow.start(
      ...clearanceStart(pipeline.config, opening.input, { source: 'workflow-test', opened: opening.search }),
    );
    await pipeline.waitForStatus(plain.declarationId, 'CLEARED');
    await pipeline.waitForStatus(opened.declarationId, 'CLEARED');

    // Intake's opening events are exactly those the workflow publishes when it opens by itself.
    const comparable = (e: StatusEvent) => ({ ...e, declarationId: 'X', at: 'T', workflowId: 'W' });
    const own = pipeline.eventsFor(plain.declarationId);
    expect(own.slice(0, 2).map((e) => e.status)).toEqual(['RECEIVED', 'IN_REVIEW']);
    expect(opening.events.map(comparable)).toEqual(own.slice(0, 2).map(comparable));
    // The workflow opened by intake publishes only what follows, numbered right after intake's events
    // (how many events follow depends on whether both reviews answer in one workflow task).
    const rest = pipeline.eventsFor(opened.declarationId);
    expect(rest[0]!.sequence).toBe(sequenceBase + 3);
    expect(rest.map((e) => e.status)).not.toContain('RECEIVED');
    const outcome = (e: StatusEvent) => [
      e.status,
      e.agencies,
      e.decisions?.map((d) => `${d.agency}:${d.outcome}`).sort(),
    ];
    expect(outcome(rest.at(-1)!)).toEqual(outcome(own.at(-1)!));

    // Its first workflow task only starts the reviews: no local-activity marker, no upsert.
    const history = await pipeline.client.workflow
      .getHandle(declarationWorkflowId(opened.declarationId))
      .fetchHistory();
    const events = history.events!;
    const firstTask = events.slice(
      0,
      events.findIndex((e) => e.activityTaskStartedEventAttributes),
    );
    expect(firstTask.filter((e) => e.activityTaskScheduledEventAttributes)).toHaveLength(2);
    expect(
      firstTask.filter(
        (e) => e.markerRecordedEventAttributes || e.upsertWorkflowSearchAttributesEventAttributes,
      ),
    ).toEqual([]);
  });

  it('rejects on one rejection and withdraws the other open reviews, telling their agencies', async () => {
    const healthRequests = await collectTopic(
      pipeline.kafka,
      agencyRequestsTopic(pipeline.config.topics, 'HEALTH'),
    );
    // Frozen fish from an embargoed origin: ECONOMY rejects at once while HEALTH (queue) still waits.
    const declaration = sampleDeclaration({
      items: [item(1, '03038900', 'KP')],
      documents: [
        { type: 'INVOICE', reference: 'INV-1' },
        { type: 'ZOOSANITARY_CERTIFICATE', reference: 'ZOO-1' },
        { type: 'SANITARY_PERMIT', reference: 'SAN-1' },
      ],
    });
    await start(pipeline, declaration);
    const final = await pipeline.waitForStatus(declaration.declarationId, 'REJECTED');
    expect(final.agencies.ECONOMY).toBe('REJECTED');
    expect(final.agencies.HEALTH).toBe('WITHDRAWN');
    expect(final.reasons).toContainEqual(
      expect.objectContaining({ agency: 'ECONOMY', code: 'ORIGIN_EMBARGOED' }),
    );
    const kinds = await waitFor('HEALTH told of the withdrawal', () => {
      const mine = healthRequests.messages
        .map((m) => JSON.parse(m.message.value!.toString()) as AgencyRequest)
        .filter((r) => r.declarationId === declaration.declarationId)
        .map((r) => r.kind);
      return mine.includes('review-withdrawn') ? mine : undefined;
    });
    expect(kinds).toEqual(['review-request', 'review-withdrawn']);
    await healthRequests.consumer.disconnect();
  });

  it('waits for the trader on REQUEST_INFO, and after an amendment only the asking agency reviews again', async () => {
    const declaration = sampleDeclaration({
      items: [item(1, '7208510300', 'KR')],
      documents: [{ type: 'INVOICE', reference: 'INV-STEEL' }],
    });
    // Open after it clears, so that the repeated amendment below cannot find it closed already.
    await start(pipeline, declaration, Date.now(), { closedRetention: '1h' });
    // CUSTOMS may still be deciding when ECONOMY asks; wait until both have answered.
    const waiting = await waitFor('ECONOMY to ask and CUSTOMS to approve', () => {
      const last = pipeline.latest(declaration.declarationId);
      return last?.agencies.CUSTOMS === 'APPROVED' && last.status === 'AWAITING_TRADER' ? last : undefined;
    });
    expect(waiting.agencies).toEqual({ CUSTOMS: 'APPROVED', ECONOMY: 'REQUEST_INFO' });
    expect(waiting.reasons).toContainEqual(
      expect.objectContaining({ agency: 'ECONOMY', code: 'MISSING_DOCUMENT' }),
    );

    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
    const amendment = {
      kind: 'amendment' as const,
      declarationId: declaration.declarationId,
      amendmentId: uniqueId('AMD'),
      documents: [...declaration.documents, { type: 'IMPORT_PERMIT' as const, reference: 'SE-1' }],
    };
    const ack = await handle.executeUpdate(amendUpdate, {
      args: [{ amendment, receivedAt: new Date().toISOString() }],
    });
    expect(ack).toMatchObject({ accepted: true });
    const again = await handle.executeUpdate(amendUpdate, {
      args: [{ amendment, receivedAt: new Date().toISOString() }],
    });
    expect(again).toMatchObject({ accepted: true, duplicate: true });

    const final = await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    expect(final.amendmentId).toBe(amendment.amendmentId);
    const snapshot = await handle.query(statusQuery);
    await handle.terminate('test over');
    const rounds = Object.fromEntries(snapshot.reviews.map((r) => [r.agency, r.round]));
    expect(rounds).toEqual({ CUSTOMS: 1, ECONOMY: 2 });
    expect(snapshot.audit.filter((a) => a.type === 'amendment')).toHaveLength(1);
  });

  it('ends as WITHDRAWN when the trader withdraws', async () => {
    const declaration = sampleDeclaration({
      items: [item(1, '7208510300', 'KR')],
      documents: [{ type: 'INVOICE', reference: 'INV-W' }],
    });
    await start(pipeline, declaration);
    // ECONOMY's request for information can come before CUSTOMS's approval; wait for both.
    await waitFor('ECONOMY to ask and CUSTOMS to approve', () => {
      const last = pipeline.latest(declaration.declarationId);
      return last?.status === 'AWAITING_TRADER' && last.agencies.CUSTOMS === 'APPROVED' ? last : undefined;
    });
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
    const withdrawal = {
      kind: 'withdrawal' as const,
      declarationId: declaration.declarationId,
      reason: 'order cancelled',
    };
    await handle.executeUpdate(withdrawUpdate, {
      args: [{ withdrawal, receivedAt: new Date().toISOString() }],
    });
    const final = await pipeline.waitForStatus(declaration.declarationId, 'WITHDRAWN');
    expect(final.agencies).toEqual({ CUSTOMS: 'APPROVED', ECONOMY: 'WITHDRAWN' });
    expect(final.reasons).toContainEqual(
      expect.objectContaining({ code: 'WITHDRAWN_BY_TRADER', message: 'order cancelled' }),
    );
  });
});

describe("automatic reviews' progress", () => {
  it('is published once no other automatic review is about to answer, while an officer still decides', async () => {
    // Fish and steel: CUSTOMS and ECONOMY answer at once, AGRICULTURE only once its worker
    // starts (its task queue has none yet), HEALTH waits for an officer.
    const declaration = sampleDeclaration({
      items: [item(1, '03038900', 'US'), item(2, '7208510300', 'KR')],
      documents: [
        { type: 'INVOICE', reference: 'INV-P' },
        { type: 'ZOOSANITARY_CERTIFICATE', reference: 'ZOO-P' },
        { type: 'SANITARY_PERMIT', reference: 'SAN-P' },
        { type: 'IMPORT_PERMIT', reference: 'IMP-P' },
      ],
    });
    const lateQueue = uniqueId('late-agriculture');
    const input = clearanceInput(pipeline.config, pipeline.registry, declaration, Date.now());
    input.taskQueues = { ...input.taskQueues, AGRICULTURE: lateQueue };
    await pipeline.client.workflow.start(
      ...clearanceStart(pipeline.config, input, { source: 'workflow-test' }),
    );
    const approved = (e: StatusEvent) =>
      Object.keys(e.agencies)
        .filter((a) => e.agencies[a] === 'APPROVED')
        .sort();
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
    await waitFor('CUSTOMS and ECONOMY to answer', async () => {
      const snapshot = await handle.query(statusQuery);
      return snapshot.reviews.filter((r) => r.state === 'APPROVED').length === 2 ? snapshot : undefined;
    });
    // Both answered, but AGRICULTURE's answer is still to come: nothing is published yet.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pipeline.eventsFor(declaration.declarationId).map(approved)).toEqual([[], []]);

    const agriculture = await Worker.create({
      connection: await NativeConnection.connect({ address: pipeline.config.temporalAddress }),
      namespace: pipeline.config.temporalNamespace,
      taskQueue: lateQueue,
      activities: createAgencyActivities({
        config: pipeline.config,
        producer: pipeline.producer,
        logger: pipeline.logger,
      }),
    });
    const running = agriculture.run();
    try {
      const progress = await waitFor('the three automatic approvals', () => {
        const last = pipeline.latest(declaration.declarationId);
        return last && approved(last).length === 3 ? last : undefined;
      });
      expect(progress.status).toBe('IN_REVIEW');
      expect(progress.agencies.HEALTH).toBe('PENDING');
      // One event for the three answers, after the two of the opening.
      expect(pipeline.eventsFor(declaration.declarationId).map(approved)).toEqual([
        [],
        [],
        ['AGRICULTURE', 'CUSTOMS', 'ECONOMY'],
      ]);
    } finally {
      agriculture.shutdown();
      await running;
      await handle.terminate('test over');
    }
  });
});

describe('a fifth agency', () => {
  it('is added with a registry entry, its routing rule and an adapter, with no workflow change', async () => {
    const calls: string[] = [];
    const environmentAdapter: AgencyAdapter = (input) => {
      calls.push(input.request.declarationId);
      const decision = checkRequiredDocuments(input.request);
      return { ...decision, conditions: ['file the emissions report within 30 days'] };
    };
    const withEnvironment = (base: Registry): Registry => ({
      ...base,
      agencies: [
        ...base.agencies,
        {
          code: 'ENVIRONMENT',
          name: 'Environment',
          mode: 'auto',
          adapter: 'environment',
          deadline: '5d',
          deadlinePolicy: 'ESCALATE',
        },
      ],
      routing: [
        ...base.routing,
        { agency: 'ENVIRONMENT', chapters: ['25-27'], requires: [{ document: 'OTHER' }] },
      ],
    });
    const five = await TestPipeline.start({
      workflowBundle: bundle,
      intake: false,
      env: { VENTANILLA_CLOSED_RETENTION: '0s' },
      registry: withEnvironment,
      extraAdapters: { environment: environmentAdapter },
    });
    try {
      const declaration = sampleDeclaration({
        items: [item(1, '2710124100'), item(2, '08044000')],
        documents: [
          { type: 'INVOICE', reference: 'INV-5' },
          { type: 'PHYTOSANITARY_CERTIFICATE', reference: 'PHY-5' },
          { type: 'OTHER', reference: 'EIA-2026-1' },
        ],
      });
      await start(five, declaration);
      const final = await five.waitForStatus(declaration.declarationId, 'CLEARED');
      expect(final.agencies).toEqual({
        CUSTOMS: 'APPROVED',
        AGRICULTURE: 'APPROVED',
        ENVIRONMENT: 'APPROVED',
      });
      expect(final.decisions?.find((d) => d.agency === 'ENVIRONMENT')?.conditions).toEqual([
        'file the emissions report within 30 days',
      ]);
      expect(calls).toEqual([declaration.declarationId]);
    } finally {
      await five.stop();
    }
  });
});

describe('a long-lived clearance', () => {
  it('continues as new under many amendments, keeping its audit trail, sequence and pending review', async () => {
    const long = await TestPipeline.start({
      workflowBundle: bundle,
      intake: false,
      env: {
        VENTANILLA_CLOSED_RETENTION: '0s',
        VENTANILLA_AGENCY_MODES: 'HEALTH=queue',
        VENTANILLA_CONTINUE_AS_NEW_EVENTS: '50',
      },
    });
    try {
      const declaration = sampleDeclaration({
        items: [item(1, '30049099')],
        documents: [
          { type: 'INVOICE', reference: 'INV-L' },
          { type: 'SANITARY_PERMIT', reference: 'SAN-0' },
        ],
      });
      await start(long, declaration);
      const handle = long.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
      const amendments = 30;
      for (let n = 1; n <= amendments; n++) {
        // Each amendment changes HEALTH's view, so HEALTH gets a new round (and a new request).
        const amendment = {
          kind: 'amendment' as const,
          declarationId: declaration.declarationId,
          amendmentId: `${declaration.declarationId}-A${n}`,
          documents: [declaration.documents[0]!, { type: 'SANITARY_PERMIT' as const, reference: `SAN-${n}` }],
        };
        await retryAcrossContinueAsNew(() =>
          handle.executeUpdate(amendUpdate, { args: [{ amendment, receivedAt: new Date().toISOString() }] }),
        );
      }
      const before = await waitFor('HEALTH at the last round', async () => {
        const s = await handle.query(statusQuery);
        return s.reviews.find((r) => r.agency === 'HEALTH')?.round === amendments + 1 ? s : undefined;
      });
      expect(before.run).toBeGreaterThan(1);
      expect(before.audit.filter((a) => a.type === 'amendment')).toHaveLength(amendments);

      await handle.executeUpdate(decideUpdate, {
        args: [
          {
            decision: {
              decisionId: uniqueId('DCS'),
              declarationId: declaration.declarationId,
              agency: 'HEALTH',
              officer: 'ana',
              at: new Date().toISOString(),
              outcome: 'APPROVED',
              reasons: [],
            },
          },
        ],
      });
      const final = await long.waitForStatus(declaration.declarationId, 'CLEARED');
      const events = long.eventsFor(declaration.declarationId);
      expect(events.map((e) => e.sequence)).toEqual(
        [...new Set(events.map((e) => e.sequence))].sort((a, b) => a - b),
      );
      expect(final.amendmentId).toBe(`${declaration.declarationId}-A${amendments}`);
      const history = await handle.fetchHistory();
      expect(history.events!.length).toBeLessThan(200);
    } finally {
      await long.stop();
    }
  });
});

/**
 * An update that reaches a run just as it continues as new is refused by the closing run; the
 * caller sends it again (intake and the decision bridge do the same). Amendments are idempotent by
 * amendmentId, so a resend never applies twice.
 */
async function retryAcrossContinueAsNew<T>(send: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send();
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

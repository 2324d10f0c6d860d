// Issue 10, defect 1, on the real stack: declarations whose adapters' answers or notices grow with
// the input used to end FAILED without a final status, because the workflow built a status event
// that broke its own schema. Now they end as the rules say, and every event on the topic validates.
import { ApplicationFailure } from '@temporalio/common';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgencyAdapter } from '../../activities/adapters/adapter.js';
import { sampleDeclaration, sampleItem, uniqueId } from '../support/fixtures.js';
import type { Declaration, Item, Registry, StatusEvent } from '../../schemas/types.js';
import { check, validateStatusEvent } from '../../schemas/validators.js';
import { clearanceInput, clearanceStart } from '../../clearance-client/clearance-start.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { amendUpdate } from '../../workflows/messages.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;

const codePoints = (text: string) => [...text].length;
const lines = (n: number, lineNo: (i: number) => number, hsCode: string, origin: string): Item[] =>
  Array.from({ length: n }, (_, i) => sampleItem(lineNo(i), hsCode, origin));

/**
 * HEALTH's adapter in this pipeline misbehaves as a deployment's own adapter might: it answers
 * with far more and far longer reasons and conditions than the schema allows, or it fails with an
 * error message thousands of characters long.
 */
const unrulyAdapter: AgencyAdapter = (input) => {
  if (input.request.items.some((i) => i.description.includes('FAIL'))) {
    throw ApplicationFailure.nonRetryable(`lab system says: ${'connection reset by peer; '.repeat(200)}`);
  }
  return {
    outcome: 'REJECTED',
    reasons: Array.from({ length: 60 }, (_, i) => ({
      code: 'LAB_RESULT',
      message: `sample ${i}: ${'contaminant found; '.repeat(60)}`,
    })),
    conditions: Array.from({ length: 30 }, (_, i) => `condition ${i}: ${'destroy the batch; '.repeat(40)}`),
  };
};
const withUnrulyHealth = (base: Registry): Registry => ({
  ...base,
  agencies: base.agencies.map((a) => (a.code === 'HEALTH' ? { ...a, mode: 'auto', adapter: 'unruly' } : a)),
});

async function start(declaration: Declaration): Promise<void> {
  const input = clearanceInput(pipeline.config, pipeline.registry, declaration, Date.now());
  await pipeline.client.workflow.start(
    ...clearanceStart(pipeline.config, input, { source: 'workflow-test' }),
  );
}

/** Every event of the declaration on the topic, checked against the status event schema. */
function expectAllValid(declarationId: string): StatusEvent[] {
  const events = pipeline.eventsFor(declarationId);
  expect(events.length).toBeGreaterThan(0);
  for (const event of events) {
    const result = check(validateStatusEvent, event);
    expect(result.ok, JSON.stringify(!result.ok && result.errors)).toBe(true);
  }
  return events;
}

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    intake: false,
    env: { VENTANILLA_CLOSED_RETENTION: '0s' },
    registry: withUnrulyHealth,
    extraAdapters: { unruly: unrulyAdapter },
  });
});
afterAll(async () => pipeline?.stop());

describe('status events stay within their schema on the real stack', () => {
  it('21 items from an embargoed origin end REJECTED with one ORIGIN_EMBARGOED reason, not FAILED', async () => {
    const declaration = sampleDeclaration({
      items: lines(21, (i) => i + 1, '84713001', 'KP'),
      documents: [{ type: 'INVOICE', reference: 'INV-KP-21' }],
    });
    await start(declaration);
    const final = await pipeline.waitForStatus(declaration.declarationId, ['REJECTED', 'FAILED']);
    expect(final.status).toBe('REJECTED');
    expect(final.agencies.ECONOMY).toBe('REJECTED');
    expect(final.reasons).toContainEqual({
      agency: 'ECONOMY',
      code: 'ORIGIN_EMBARGOED',
      message: '21 items originate in KP, which is under embargo: lines 1-21',
    });
    expect(final.decisions?.find((d) => d.agency === 'ECONOMY')?.reasons).toHaveLength(1);
    expectAllValid(declaration.declarationId);
    const result = await pipeline.client.workflow
      .getHandle(declarationWorkflowId(declaration.declarationId))
      .result();
    expect(result.status).toBe('REJECTED');
  });

  it('120 steel lines without IMPORT_PERMIT wait for the trader with a summarised MISSING_DOCUMENT, then clear', async () => {
    // Odd line numbers 1..239: no range compresses them, so the list must be capped.
    const declaration = sampleDeclaration({
      items: lines(120, (i) => 2 * i + 1, '7208510300', 'KR'),
      documents: [{ type: 'INVOICE', reference: 'INV-STEEL-120' }],
    });
    await start(declaration);
    const waiting = await pipeline.waitForStatus(declaration.declarationId, ['AWAITING_TRADER', 'FAILED']);
    expect(waiting.status).toBe('AWAITING_TRADER');
    expect(waiting.agencies.ECONOMY).toBe('REQUEST_INFO');
    const missing = waiting.reasons.filter((r) => r.agency === 'ECONOMY');
    expect(missing).toHaveLength(1);
    expect(missing[0]!.code).toBe('MISSING_DOCUMENT');
    expect(missing[0]!.message).toMatch(
      /^ECONOMY requires document IMPORT_PERMIT for 120 items \(lines 1, 3, 5, .*, and \d+ more\); amend the declaration to add it$/,
    );
    expect(codePoints(missing[0]!.message)).toBeLessThanOrEqual(500);

    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
    const amendment = {
      kind: 'amendment' as const,
      declarationId: declaration.declarationId,
      amendmentId: uniqueId('AMD'),
      documents: [...declaration.documents, { type: 'IMPORT_PERMIT' as const, reference: 'SE-120' }],
    };
    await handle.executeUpdate(amendUpdate, { args: [{ amendment, receivedAt: new Date().toISOString() }] });
    await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    expectAllValid(declaration.declarationId);
  });

  it("an adapter's 60 long reasons and 30 conditions reach the trader bounded, and the clearance ends REJECTED", async () => {
    const declaration = sampleDeclaration({
      items: [sampleItem(1, '30049099')],
      documents: [
        { type: 'INVOICE', reference: 'INV-LAB' },
        { type: 'SANITARY_PERMIT', reference: 'SAN-LAB' },
      ],
    });
    await start(declaration);
    const final = await pipeline.waitForStatus(declaration.declarationId, ['REJECTED', 'FAILED']);
    expect(final.status).toBe('REJECTED');
    const decision = final.decisions!.find((d) => d.agency === 'HEALTH')!;
    expect(decision.reasons).toHaveLength(20);
    expect(decision.reasons[19]!.message).toMatch(/^and 41 more reasons: LAB_RESULT: sample 19: /);
    expect(decision.conditions).toHaveLength(20);
    expectAllValid(declaration.declarationId);
  });

  it('a review that fails with a 5000-character error still tells the trader FAILED, with the message clipped', async () => {
    const declaration = sampleDeclaration({
      items: [{ ...sampleItem(1, '30049099'), description: 'FAIL this lab review' }],
      documents: [
        { type: 'INVOICE', reference: 'INV-FAIL' },
        { type: 'SANITARY_PERMIT', reference: 'SAN-FAIL' },
      ],
    });
    await start(declaration);
    const final = await pipeline.waitForStatus(declaration.declarationId, 'FAILED');
    const failure = final.reasons.find((r) => r.code === 'AGENCY_REVIEW_FAILED')!;
    expect(failure.agency).toBe('HEALTH');
    expect(failure.message).toMatch(/^the HEALTH review failed: lab system says: connection reset by peer; /);
    expect(codePoints(failure.message)).toBe(2000);
    expect(failure.message.endsWith('…')).toBe(true);
    expectAllValid(declaration.declarationId);
  });

  it('every status event collected from the topic validates against the status event schema', () => {
    expect(pipeline.statuses.length).toBeGreaterThan(8);
    const invalid = pipeline.statuses
      .map(({ message }) => JSON.parse(message.value!.toString()) as unknown)
      .map((event) => check(validateStatusEvent, event))
      .filter((result) => !result.ok);
    expect(invalid).toEqual([]);
  });
});

import type { WorkflowStartOptions } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { Message } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearanceInput, clearanceStart } from '../../clearance-client/clearance-start.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import type { Declaration, StatusEvent } from '../../schemas/types.js';
import { sampleDeclaration } from '../support/fixtures.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

// The workflow publishes its status events through the worker's status sink (StatusSinks in
// activities/status-publisher.ts), not a local activity. That is at least once only because the
// SDK awaits a task's sink calls before it reports the task done. These tests hold the SDK to it.

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;

/** The CLEARED event of one declaration is held back until `release` resolves. */
let hold: { declarationId: string; reached: () => void; release: Promise<void> } | undefined;

function holdCleared(declarationId: string) {
  let reached!: () => void;
  let release!: () => void;
  const wasReached = new Promise<void>((resolve) => (reached = resolve));
  hold = { declarationId, reached, release: new Promise<void>((resolve) => (release = resolve)) };
  return { reached: wasReached, release };
}

async function beforeStatusSend(messages: Message[]): Promise<void> {
  const held = hold;
  const events = messages.map((m) => JSON.parse(String(m.value)) as StatusEvent);
  if (!held || !events.some((e) => e.declarationId === held.declarationId && e.status === 'CLEARED')) return;
  held.reached();
  await held.release;
}

async function start(declaration: Declaration, options: Partial<WorkflowStartOptions> = {}) {
  const input = clearanceInput(pipeline.config, pipeline.registry, declaration, Date.now());
  const [type, startOptions] = clearanceStart(pipeline.config, input, { source: 'workflow-test' });
  await pipeline.client.workflow.start(type, { ...startOptions, ...options } as typeof startOptions);
  return pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
}

const eventTypes = async (handle: Awaited<ReturnType<typeof start>>) =>
  ((await handle.fetchHistory()).events ?? []).map((e) => temporal.api.enums.v1.EventType[e.eventType ?? 0]);

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    intake: false,
    env: { VENTANILLA_CLOSED_RETENTION: '0s' },
    beforeStatusSend,
  });
});
afterAll(async () => pipeline?.stop());

describe('status events through the worker sink', () => {
  it('reach Kafka before the workflow task that made them is recorded, with no local activity', async () => {
    const declaration = sampleDeclaration();
    const held = holdCleared(declaration.declarationId);
    const handle = await start(declaration);
    await held.reached;
    // Held for a second: the task that decided CLEARED stays open, so nothing after it is recorded.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const whileHeld = await eventTypes(handle);
    expect(whileHeld.at(-1)).toBe('EVENT_TYPE_WORKFLOW_TASK_STARTED');
    expect(whileHeld).not.toContain('EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED');
    expect(pipeline.eventsFor(declaration.declarationId).map((e) => e.status)).not.toContain('CLEARED');

    held.release();
    await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    expect((await handle.result()).status).toBe('CLEARED');
    const types = await eventTypes(handle);
    expect(types).not.toContain('EVENT_TYPE_MARKER_RECORDED');
    expect(types).not.toContain('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT');
  });

  it('are published again, with the same sequence, when the task times out while Kafka waits', async () => {
    const declaration = sampleDeclaration();
    const held = holdCleared(declaration.declarationId);
    const handle = await start(declaration, { workflowTaskTimeout: '1s' });
    await held.reached;
    await new Promise((resolve) => setTimeout(resolve, 3000)); // past the task's timeout
    expect(await eventTypes(handle)).toContain('EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT');

    held.release();
    expect((await handle.result()).status).toBe('CLEARED');
    await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    const cleared = pipeline.eventsFor(declaration.declarationId).filter((e) => e.status === 'CLEARED');
    expect(new Set(cleared.map((e) => e.sequence)).size).toBe(1);
  });
});

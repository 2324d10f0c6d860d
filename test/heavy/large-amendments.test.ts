import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDeclaration, uniqueId } from '../support/fixtures.js';
import type { Amendment, Declaration, Item } from '../../schemas/types.js';
import { MAX_MESSAGE_BYTES } from '../../messaging/intake-parse.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { decideUpdate, statusQuery } from '../../workflows/messages.js';
import { waitFor } from '../support/helpers.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

// Issue 10, defect 7: large amendments in a row must not grow a clearance's history towards
// Temporal's 50 MB limit (where the server terminates it), nor write events near the 2 MB payload
// limit. Continue-as-new cuts on history size, and the workflow passes references, not copies.

const AMENDMENTS = 30;
/** Amendments sent after the clearance closed: refused, but each still a megabyte of history. */
const LATE = 6;
/** Temporal warns at 10 MB of history; each run must stay well under it. */
const RUN_HISTORY_BOUND = 10 * 1024 * 1024;
/** The payload limit is 2 MB; no event may come near it. */
const EVENT_BOUND = 1.5 * 1024 * 1024;

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  // ECONOMY waits for an officer, so that every amendment reaches an open clearance.
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    env: { VENTANILLA_CLOSED_RETENTION: '1h', VENTANILLA_AGENCY_MODES: 'ECONOMY=queue' },
  });
});
afterAll(async () => pipeline?.stop());

/** 999 steel lines with long descriptions ("ñ" is two bytes): about 1 MiB of JSON. */
function steelItems(round: number): Item[] {
  return Array.from({ length: 999 }, (_, i) => ({
    lineNo: i + 1,
    hsCode: '72085100',
    description: `${round}:${'ñ'.repeat(440)}`,
    originCountry: 'JP',
    quantity: 1000,
    unit: 'kg',
    value: { amount: 12_345.67, currency: 'USD' },
  }));
}

describe('a run of large amendments', () => {
  it(`clears after ${AMENDMENTS} amendments of about 1 MiB each, every run and event well within Temporal's limits`, async () => {
    const declarationId = uniqueId('BIGAMD');
    const declaration: Declaration = {
      ...sampleDeclaration({ declarationId }),
      items: steelItems(0),
      documents: [
        { type: 'INVOICE', reference: 'INV-1' },
        { type: 'IMPORT_PERMIT', reference: 'PERMIT-1' },
      ],
    };
    const amendments: Amendment[] = Array.from({ length: AMENDMENTS }, (_, n) => ({
      kind: 'amendment',
      declarationId,
      amendmentId: `${declarationId}-A${n + 1}`,
      items: steelItems(n + 1),
    }));
    const size = Buffer.byteLength(JSON.stringify(amendments[0]));
    expect(size).toBeGreaterThan(0.95 * MAX_MESSAGE_BYTES);
    expect(size).toBeLessThanOrEqual(MAX_MESSAGE_BYTES);

    await pipeline.submit(declaration);
    for (const amendment of amendments) await pipeline.submit(amendment);
    const workflowId = declarationWorkflowId(declarationId);
    const handle = pipeline.client.workflow.getHandle(workflowId);
    const amended = await waitFor(
      'every amendment applied',
      async () => {
        const s = await handle.query(statusQuery).catch(() => undefined);
        return s && s.audit.filter((a) => a.type === 'amendment').length === AMENDMENTS ? s : undefined;
      },
      300_000,
    );
    expect(amended.run).toBeGreaterThan(1);
    await approveEconomy(declarationId);
    const last = amendments.at(-1)!.amendmentId;
    const final = await pipeline.waitForStatus(declarationId, 'CLEARED', 60_000);
    expect(final.amendmentId).toBe(last);
    expect(final.agencies).toEqual({ CUSTOMS: 'APPROVED', ECONOMY: 'APPROVED' });

    // More large amendments to the closed clearance are refused, and cut its history as well.
    const late = Array.from({ length: LATE }, (_, n) => ({
      ...amendments[0]!,
      amendmentId: `${declarationId}-L${n + 1}`,
      items: steelItems(100 + n),
    }));
    for (const amendment of late) await pipeline.submit(amendment);
    await waitFor(
      'every late amendment refused',
      async () => {
        const s = await handle.query(statusQuery).catch(() => undefined);
        return s && s.audit.filter((a) => a.type === 'refused').length === LATE ? s : undefined;
      },
      300_000,
    );
    const closed = await handle.query(statusQuery);
    expect(closed.status).toBe('CLEARED');
    expect(closed.run).toBeGreaterThan(amended.run);

    const runs = await allRuns(workflowId, closed.run);
    let largest = 0;
    let largestRun = 0;
    for (const runId of runs) {
      const handle = pipeline.client.workflow.getHandle(workflowId, runId);
      const described = await handle.describe();
      largestRun = Math.max(largestRun, described.historySize ?? 0);
      expect(described.historySize, `history of run ${runId}`).toBeLessThan(RUN_HISTORY_BOUND);
      for (const event of (await handle.fetchHistory()).events ?? []) {
        largest = Math.max(largest, payloadBytes(event));
      }
    }
    console.log(
      `large amendments: ${AMENDMENTS} + ${LATE} late × ${(size / 1024).toFixed(0)} KiB in ${runs.length} runs; largest run ${(largestRun / 2 ** 20).toFixed(1)} MiB of history; largest event payload ${(largest / 1024).toFixed(0)} KiB`,
    );
    expect(largest).toBeLessThan(EVENT_BOUND);
  }, 420_000);
});

async function approveEconomy(declarationId: string): Promise<void> {
  const decision = {
    decisionId: uniqueId('DCS'),
    declarationId,
    agency: 'ECONOMY',
    officer: 'ana.lopez',
    at: new Date().toISOString(),
    outcome: 'APPROVED' as const,
    reasons: [],
  };
  await waitFor('the decision to be applied', async () => {
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declarationId));
    // A decision racing a continue-as-new is refused by the closing run; send it again.
    return handle.executeUpdate(decideUpdate, { args: [{ decision }] }).then(
      () => true,
      () => false,
    );
  });
}

async function allRuns(workflowId: string, count: number): Promise<string[]> {
  return waitFor(`visibility to list ${count} runs`, async () => {
    const runs: string[] = [];
    for await (const run of pipeline.client.workflow.list({ query: `WorkflowId = '${workflowId}'` })) {
      runs.push(run.runId);
    }
    return runs.length >= count ? runs : undefined;
  });
}

/** Bytes of every payload an event holds (inputs, results, markers, update arguments). */
function payloadBytes(event: unknown): number {
  let total = 0;
  const walk = (node: unknown): void => {
    if (node instanceof Uint8Array) total += node.length;
    else if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') Object.values(node).forEach(walk);
  };
  walk(event);
  return total;
}

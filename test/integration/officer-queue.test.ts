import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { devOfficerRfc } from '../../identity/dev-holders.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleDeclaration, uniqueId } from '../support/fixtures.js';
import type { AgencyDecision, DeadLetterRecord, Declaration, Item, Registry } from '../../schemas/types.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { statusQuery, type ClearanceSnapshot } from '../../workflows/messages.js';
import { runCli, runCliJson } from '../support/cli.js';
import { collectTopic, waitFor } from '../support/helpers.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

// Officers' permit queues on the real stack: HEALTH and ECONOMY decide by hand (queue mode).
// Decisions arrive through the CLI (a child process, as an officer runs it) and through the
// agency decisions topic (the decision bridge), and deadlines apply their policies.

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;

const item = (lineNo: number, hsCode: string, description: string): Item => ({
  lineNo,
  hsCode,
  description,
  originCountry: 'IN',
  quantity: 100,
  unit: 'box',
  value: { amount: 5000, currency: 'USD' },
});
const medicine = item(1, '30049099', 'Amoxicillin capsules');
const steel = item(2, '7208510300', 'Hot-rolled steel plate');

function pharmaImport(extra: Partial<Declaration> = {}): Declaration {
  return sampleDeclaration({
    declarationId: uniqueId('PHARMA'),
    items: [medicine],
    documents: [
      { type: 'INVOICE', reference: 'INV-1' },
      { type: 'SANITARY_PERMIT', reference: 'SAN-1' },
    ],
    ...extra,
  });
}

/** Medicine and steel: HEALTH and ECONOMY both wait for officers. */
function mixedImport(): Declaration {
  return pharmaImport({
    items: [medicine, steel],
    documents: [
      { type: 'INVOICE', reference: 'INV-1' },
      { type: 'SANITARY_PERMIT', reference: 'SAN-1' },
      { type: 'IMPORT_PERMIT', reference: 'IMP-1' },
    ],
  });
}

function decision(
  declarationId: string,
  agency: string,
  outcome: AgencyDecision['outcome'],
  extra: Partial<AgencyDecision> = {},
): AgencyDecision {
  return {
    decisionId: uniqueId('DCS'),
    declarationId,
    agency,
    officer: 'backoffice-1',
    at: new Date().toISOString(),
    outcome,
    reasons: outcome === 'APPROVED' ? [] : [{ code: 'POLICY', message: `${agency} says ${outcome}` }],
    ...extra,
  };
}

/** Waits until the agency's queue shows the declaration, i.e. its request was published. */
async function inQueue(p: TestPipeline, agency: string, declarationId: string) {
  return waitFor(`${declarationId} in ${agency}'s queue`, async () => {
    const queue = await runCliJson<{
      pending: Array<{ declarationId: string; deadline?: string; items: unknown[] }>;
    }>(p.env, ['queue', agency]);
    return queue.pending.find((r) => r.declarationId === declarationId && r.deadline);
  });
}

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    bridge: true,
    env: { VENTANILLA_AGENCY_MODES: 'HEALTH=queue,ECONOMY=queue', VENTANILLA_CLOSED_RETENTION: '1h' },
    // Officers here have all the time they need: a deadline that fires while a slow CLI process
    // starts would race the decision. Deadlines are watched in their own pipelines below.
    registry: (base) => withDeadline(base, 'HEALTH', '10m', 'ESCALATE'),
  });
});
afterAll(async () => pipeline?.stop());

function withDeadline(
  base: Registry,
  agency: string,
  deadline: string,
  policy: Registry['agencies'][number]['deadlinePolicy'],
): Registry {
  return {
    ...base,
    agencies: base.agencies.map((a) => (a.code === agency ? { ...a, deadline, deadlinePolicy: policy } : a)),
  };
}

describe('officer console and decision bridge', () => {
  it('an officer finds a pharmaceutical import in the HEALTH queue, sees only its view, approves, and the trader sees CLEARED', async () => {
    const declaration = pharmaImport();
    await pipeline.submit(declaration);
    const row = await inQueue(pipeline, 'HEALTH', declaration.declarationId);
    expect(row.items).toEqual([{ lineNo: 1, hsCode: '30049099', description: 'Amoxicillin capsules' }]);

    const shown = await runCliJson<{ review: { items: Item[]; documents: Array<{ type: string }> } }>(
      pipeline.env,
      ['show', 'health', declaration.declarationId],
    );
    expect(shown.review.documents.map((d) => d.type)).toEqual(['SANITARY_PERMIT']);

    // The officer recorded is the certificate's holder: a typed name that is somebody else's is refused.
    const impostor = await runCli(pipeline.env, [
      'decide',
      'HEALTH',
      declaration.declarationId,
      'approve',
      '--officer',
      'ana.lopez',
    ]);
    expect(impostor.code).toBe(2);
    expect(impostor.stderr).toContain("--officer ana.lopez is not the certificate's holder");
    const decided = await runCli(pipeline.env, ['decide', 'HEALTH', declaration.declarationId, 'approve']);
    expect(decided.code, decided.stderr).toBe(0);
    expect(decided.stdout).toContain('HEALTH APPROVED');
    const final = await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    const officer = devOfficerRfc('HEALTH');
    expect(final.decisions).toContainEqual(
      expect.objectContaining({ agency: 'HEALTH', by: 'officer', officer }),
    );
    const status = await runCliJson<{ snapshot: ClearanceSnapshot }>(pipeline.env, [
      'status',
      declaration.declarationId,
    ]);
    const signed = status.snapshot.audit.find((a) => a.type === 'decision' && a.agency === 'HEALTH');
    expect(signed?.signer).toMatchObject({ rfc: officer });
    expect(signed?.signer?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('a rejection over Kafka withdraws the other pending agency', async () => {
    const declaration = mixedImport();
    await pipeline.submit(declaration);
    await inQueue(pipeline, 'ECONOMY', declaration.declarationId);
    await pipeline.sendDecisions(decision(declaration.declarationId, 'ECONOMY', 'REJECTED'));
    const final = await pipeline.waitForStatus(declaration.declarationId, 'REJECTED');
    expect(final.agencies).toMatchObject({ ECONOMY: 'REJECTED', HEALTH: 'WITHDRAWN' });
    // The withdrawn agency's officer can no longer decide.
    const late = await runCli(pipeline.env, ['decide', 'HEALTH', declaration.declarationId, 'approve']);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('already REJECTED');
  });

  it('request-info, then an amendment, then approval clears it; the agency reviews a new round', async () => {
    const declaration = pharmaImport();
    await pipeline.submit(declaration);
    await inQueue(pipeline, 'HEALTH', declaration.declarationId);
    const asked = await runCli(pipeline.env, [
      'decide',
      'HEALTH',
      declaration.declarationId,
      'request-info',
      '--reason',
      'MISSING_DOCUMENT:laboratory analysis certificate',
    ]);
    expect(asked.code, asked.stderr).toBe(0);
    const waiting = await pipeline.waitForStatus(declaration.declarationId, 'AWAITING_TRADER');
    expect(waiting.reasons).toContainEqual({
      agency: 'HEALTH',
      code: 'MISSING_DOCUMENT',
      message: 'laboratory analysis certificate',
    });

    await pipeline.submit({
      kind: 'amendment',
      declarationId: declaration.declarationId,
      amendmentId: uniqueId('AMD'),
      documents: [...declaration.documents, { type: 'OTHER', reference: 'LAB-2026-1' }],
    });
    await pipeline.waitForStatus(declaration.declarationId, 'IN_REVIEW');
    await pipeline.sendDecisions(decision(declaration.declarationId, 'HEALTH', 'APPROVED'));
    await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    const snapshot = await pipeline.client.workflow
      .getHandle(declarationWorkflowId(declaration.declarationId))
      .query(statusQuery);
    expect(snapshot.reviews.find((r) => r.agency === 'HEALTH')?.round).toBe(2);
    // CUSTOMS (automatic) decided once and was not asked again: its view did not change.
    const trail = snapshot.audit.map((a) => `${a.type}${a.agency ? `:${a.agency}` : ''}`);
    expect(trail.filter((t) => t !== 'decision:CUSTOMS')).toEqual([
      'received',
      'decision:HEALTH',
      'amendment',
      'decision:HEALTH',
    ]);
    expect(trail.filter((t) => t === 'decision:CUSTOMS')).toHaveLength(1);
  });

  it('applies a repeated decision once, and refuses decisions for the wrong agency', async () => {
    const deadLetters = await collectTopic(pipeline.kafka, pipeline.config.topics.deadletter);
    const declaration = pharmaImport();
    await pipeline.submit(declaration);
    await inQueue(pipeline, 'HEALTH', declaration.declarationId);

    const wrong = await runCli(pipeline.env, ['decide', 'ECONOMY', declaration.declarationId, 'approve']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('ECONOMY is not required for this declaration');
    const unknown = await runCli(pipeline.env, ['decide', 'FISHERIES', declaration.declarationId, 'approve']);
    expect(unknown.stderr).toContain('unknown agency "FISHERIES"');
    const wrongOverKafka = decision(declaration.declarationId, 'ECONOMY', 'APPROVED');
    await pipeline.sendDecisions(wrongOverKafka);

    const once = decision(declaration.declarationId, 'HEALTH', 'APPROVED');
    await pipeline.sendDecisions(once, once);
    await pipeline.waitForStatus(declaration.declarationId, 'CLEARED');
    const again = await runCli(pipeline.env, [
      'decide',
      'HEALTH',
      declaration.declarationId,
      'approve',
      '--decision-id',
      once.decisionId,
    ]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('already applied');

    const letters = await waitFor('the wrong-agency decision dead-lettered', () => {
      const mine = deadLetters.messages
        .map((m) => JSON.parse(m.message.value!.toString()) as DeadLetterRecord)
        .filter((l) => l.declarationId === declaration.declarationId);
      return mine.length > 0 ? mine : undefined;
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]).toMatchObject({ reason: 'REJECTED_BY_WORKFLOW' });
    expect(letters[0]!.errors[0]!.message).toContain('ECONOMY is not required');
    const snapshot = await pipeline.client.workflow
      .getHandle(declarationWorkflowId(declaration.declarationId))
      .query(statusQuery);
    expect(snapshot.audit.filter((a) => a.type === 'decision' && a.agency === 'HEALTH')).toHaveLength(1);
    await deadLetters.consumer.disconnect();
  });

  it('a decision racing a withdrawal ends in exactly one place, and the clearance in one final status', async () => {
    const deadLetters = await collectTopic(pipeline.kafka, pipeline.config.topics.deadletter);
    const declaration = pharmaImport();
    await pipeline.submit(declaration);
    await inQueue(pipeline, 'HEALTH', declaration.declarationId);
    const approve = decision(declaration.declarationId, 'HEALTH', 'APPROVED');
    await Promise.all([
      pipeline.sendDecisions(approve),
      pipeline.submit({
        kind: 'withdrawal',
        declarationId: declaration.declarationId,
        reason: 'buyer cancelled',
      }),
    ]);
    const final = await pipeline.waitForStatus(declaration.declarationId, ['CLEARED', 'WITHDRAWN']);
    const handle = pipeline.client.workflow.getHandle(declarationWorkflowId(declaration.declarationId));
    const audit = await waitFor('both inputs accounted for', async () => {
      const entries = (await handle.query(statusQuery)).audit;
      const decisionApplied = entries.some((a) => a.type === 'decision' && a.agency === 'HEALTH');
      const decisionDead = deadLetters.messages.some((m) => {
        const letter = JSON.parse(m.message.value!.toString()) as DeadLetterRecord;
        return Buffer.from(letter.valueBase64, 'base64').toString().includes(approve.decisionId);
      });
      const withdrawalSeen = entries.some((a) => a.type === 'withdrawal' || a.type === 'refused');
      return withdrawalSeen && decisionApplied !== decisionDead ? { entries, decisionApplied } : undefined;
    });
    if (final.status === 'CLEARED') {
      expect(audit.decisionApplied).toBe(true);
      expect(audit.entries.find((a) => a.type === 'refused')?.detail).toContain('cannot be withdrawn');
    } else {
      expect(audit.decisionApplied).toBe(false);
      expect(final.agencies.HEALTH).toBe('WITHDRAWN');
    }
    await deadLetters.consumer.disconnect();
  });
});

describe('deadline policies', () => {
  it('ESCALATE marks the agency OVERDUE at its deadline and keeps waiting for the officer', async () => {
    const escalating = await TestPipeline.start({
      workflowBundle: bundle,
      bridge: true,
      env: { VENTANILLA_AGENCY_MODES: 'HEALTH=queue,ECONOMY=queue', VENTANILLA_CLOSED_RETENTION: '0s' },
      registry: (base) => withDeadline(base, 'HEALTH', '3s', 'ESCALATE'),
    });
    try {
      const declaration = pharmaImport();
      await escalating.submit(declaration);
      const overdue = await waitFor(
        'HEALTH to become OVERDUE',
        () => {
          const last = escalating.latest(declaration.declarationId);
          return last?.agencies.HEALTH === 'OVERDUE' ? last : undefined;
        },
        30_000,
      );
      expect(overdue.status).toBe('IN_REVIEW');
      expect(overdue.reasons).toContainEqual(
        expect.objectContaining({ agency: 'HEALTH', code: 'DEADLINE_ESCALATED' }),
      );
      await escalating.sendDecisions(decision(declaration.declarationId, 'HEALTH', 'APPROVED'));
      await escalating.waitForStatus(declaration.declarationId, 'CLEARED');
    } finally {
      await escalating.stop();
    }
  });

  it('AUTO_APPROVE (afirmativa ficta) approves and AUTO_REJECT (negativa ficta) rejects when nobody decides', async () => {
    const ficta = await TestPipeline.start({
      workflowBundle: bundle,
      env: { VENTANILLA_AGENCY_MODES: 'HEALTH=queue,ECONOMY=queue', VENTANILLA_CLOSED_RETENTION: '0s' },
      registry: (base) =>
        withDeadline(withDeadline(base, 'HEALTH', '2s', 'AUTO_APPROVE'), 'ECONOMY', '3s', 'AUTO_REJECT'),
    });
    try {
      const approved = pharmaImport();
      const rejected = mixedImport();
      await ficta.submit(approved, rejected);
      const a = await ficta.waitForStatus(approved.declarationId, 'CLEARED', 30_000);
      expect(a.decisions).toContainEqual(
        expect.objectContaining({
          agency: 'HEALTH',
          outcome: 'APPROVED',
          by: 'auto',
          reasons: [expect.objectContaining({ code: 'AFIRMATIVA_FICTA' })],
        }),
      );
      // HEALTH's shorter deadline approves first; ECONOMY's then rejects.
      const r = await ficta.waitForStatus(rejected.declarationId, 'REJECTED', 30_000);
      expect(r.agencies).toMatchObject({ HEALTH: 'APPROVED', ECONOMY: 'REJECTED' });
      expect(r.reasons).toContainEqual(
        expect.objectContaining({ agency: 'ECONOMY', code: 'DEADLINE_EXPIRED' }),
      );
    } finally {
      await ficta.stop();
    }
  });
});

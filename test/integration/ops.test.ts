import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgencyAdapter } from '../../activities/adapters/adapter.js';
import { checkRequiredDocuments } from '../../activities/adapters/documents.adapter.js';
import { sampleDeclaration, sampleItem, uniqueId } from '../support/fixtures.js';
import type { Amendment, Declaration, Registry, StatusEvent } from '../../schemas/types.js';
import type { ReplayOutcome } from '../../ops/clearance-replay.js';
import type { DeadLetterSummary } from '../../ops/dead-letter-store.js';
import type { FailedListing } from '../../ops/failed-clearances.js';
import { declarationWorkflowId } from '../../clearance-client/workflow-ids.js';
import { statusQuery } from '../../workflows/messages.js';
import { runCli, runCliJson } from '../support/cli-process.js';
import { waitFor } from '../support/helpers.js';
import { bundleClearanceWorkflows, TestPipeline } from '../support/pipeline.js';

/**
 * Operators on the real stack. Two real causes of failure:
 * - HEALTH's registry entry names an adapter ("sanitary-v2") that no worker has: its review
 *   throws the non-retryable UnknownAdapter at once. The fix is a registry change.
 * - AGRICULTURE's adapter throws while its agency system is "down" (a flag): the review fails
 *   5 times, then the clearance fails. The fix is the agency system coming back.
 * The CLI runs as a child process with the pipeline's environment, as an operator would run it.
 */

let bundle: WorkflowBundleWithSourceMap;
let pipeline: TestPipeline;
let tmp: string;
/** The pipeline's environment plus the FIXED registry, as the operator runs the CLI after the fix. */
let cli: Record<string, string>;

const agricultureSystem = { down: false };
const phytoAdapter: AgencyAdapter = (input) => {
  if (agricultureSystem.down) throw new Error('phytosanitary register refused the connection (ECONNREFUSED)');
  return checkRequiredDocuments(input.request);
};

const brokenRegistry = (base: Registry): Registry => ({
  ...base,
  agencies: base.agencies.map((a) =>
    a.code === 'HEALTH'
      ? { ...a, adapter: 'sanitary-v2' }
      : a.code === 'AGRICULTURE'
        ? { ...a, adapter: 'phyto' }
        : a,
  ),
});

const item = sampleItem;

const pharma = (): Declaration =>
  sampleDeclaration({
    declarationId: uniqueId('PHARMA'),
    items: [item(1, '30049099', 'IN')],
    documents: [
      { type: 'INVOICE', reference: 'INV-FAR-1' },
      { type: 'SANITARY_PERMIT', reference: 'COFEPRIS-1' },
    ],
  });

beforeAll(async () => {
  bundle = await bundleClearanceWorkflows();
  // Clearances stay open after their final status (as in production, where it is 24h), so a
  // repeated input reaches the clearance itself and is answered as a duplicate.
  pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    env: { VENTANILLA_CLOSED_RETENTION: '1h' },
    registry: brokenRegistry,
    extraAdapters: { phyto: phytoAdapter },
  });
  tmp = mkdtempSync(join(tmpdir(), 'ventanilla-ops-'));
  const fixed: Registry = {
    ...pipeline.registry,
    version: `${pipeline.registry.version}-fix1`,
    agencies: pipeline.registry.agencies.map((a) =>
      a.code === 'HEALTH' ? { ...a, adapter: 'documents' } : a,
    ),
  };
  const registryFile = join(tmp, 'registry.json');
  writeFileSync(registryFile, JSON.stringify(fixed, null, 2));
  cli = { ...pipeline.env, VENTANILLA_REGISTRY: registryFile };
});

afterAll(async () => {
  await pipeline?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

/** Runs (not events) of one declaration's workflow ID, from Temporal visibility. */
async function runsOf(declarationId: string): Promise<string[]> {
  const statuses: string[] = [];
  const query = `WorkflowId = '${declarationWorkflowId(declarationId)}'`;
  for await (const run of pipeline.client.workflow.list({ query })) statuses.push(run.status.name);
  return statuses.sort();
}

/** How many distinct status events of a declaration had this status (repeats by sequence dropped). */
function countStatus(declarationId: string, status: StatusEvent['status']): number {
  return pipeline.eventsFor(declarationId).filter((e) => e.status === status).length;
}

/** Resolves once intake has committed its consumer offset past a record (`topic:partition:offset`). */
async function intakeHandled(position: string): Promise<void> {
  // Kafka topic names cannot contain ':', so a position splits cleanly.
  const [topic, partition, offset] = position.split(':') as [string, string, string];
  const admin = pipeline.kafka.admin();
  await admin.connect();
  try {
    await waitFor(`intake to hand off ${position}`, async () => {
      const [committed] = await admin.fetchOffsets({
        groupId: pipeline.config.intakeGroupId,
        topics: [topic],
      });
      const mine = committed?.partitions.find((p) => p.partition === Number(partition));
      return mine && BigInt(mine.offset) > BigInt(offset) ? true : undefined;
    });
  } finally {
    await admin.disconnect();
  }
}

async function failedListing(extra: string[] = []): Promise<FailedListing> {
  return runCliJson<FailedListing>(['ops', 'failed', ...extra], cli);
}

async function waitUntilListed(declarationIds: string[], extra: string[] = []): Promise<FailedListing> {
  // Visibility is eventually consistent: the failed run appears shortly after the FAILED event.
  return waitFor(
    `ops failed to list ${declarationIds.join(', ')}`,
    async () => {
      const listing = await failedListing(extra);
      const listed = new Set(listing.clearances.map((c) => c.declarationId));
      return declarationIds.every((id) => listed.has(id)) ? listing : undefined;
    },
    60_000,
  );
}

describe('ops failed and ops replay', () => {
  it('lists a clearance failed by a registry mistake, and after the fix replays it to CLEARED exactly once', async () => {
    const declaration = pharma();
    const id = declaration.declarationId;
    await pipeline.submit(declaration);

    // The trader is told: FAILED, with the agency and the cause.
    const failed = await pipeline.waitForStatus(id, 'FAILED');
    expect(failed.reasons).toContainEqual(
      expect.objectContaining({ agency: 'HEALTH', code: 'AGENCY_REVIEW_FAILED' }),
    );
    const failedSequences = pipeline.eventsFor(id).map((e) => e.sequence);

    // The operator finds it, with cause, agency and time.
    const listing = await waitUntilListed([id]);
    const row = listing.clearances.find((c) => c.declarationId === id)!;
    expect(row).toMatchObject({ ending: 'FAILED', agency: 'HEALTH', workflowId: declarationWorkflowId(id) });
    expect(row.cause.type).toBe('ClearanceFailed');
    expect(row.cause.message).toContain('no adapter named "sanitary-v2"');
    expect(Date.parse(row.at)).toBeGreaterThan(Date.now() - 5 * 60_000);
    expect(
      (await failedListing(['--agency', 'AGRICULTURE'])).clearances.map((c) => c.declarationId),
    ).not.toContain(id);
    expect(
      (await failedListing(['--since', '10m', '--agency', 'health'])).clearances.map((c) => c.declarationId),
    ).toContain(id);
    const human = await runCli(['ops', 'failed', '--agency', 'HEALTH'], cli);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(id);
    expect(human.stdout).toContain('cause     ClearanceFailed: HEALTH review failed');

    // A dry run changes nothing.
    const dry = await runCliJson<ReplayOutcome>(['ops', 'replay', id, '--dry-run'], cli);
    expect(dry).toMatchObject({ outcome: 'would-replay', ending: 'FAILED', failedRunId: row.runId });
    expect(await runsOf(id)).toEqual(['FAILED']);

    // After the registry fix, the replay clears it.
    const replayed = await runCliJson<ReplayOutcome>(['ops', 'replay', id], cli);
    expect(replayed).toMatchObject({ outcome: 'replayed', failedRunId: row.runId, amendments: [] });
    expect(replayed).toHaveProperty(
      'registryChanges',
      expect.arrayContaining(['HEALTH adapter sanitary-v2 → documents']),
    );
    const cleared = await pipeline.waitForStatus(id, 'CLEARED');
    expect(cleared.agencies).toEqual({ CUSTOMS: 'APPROVED', HEALTH: 'APPROVED' });
    // Every event of the replay sorts after every event of the failed run, so a trader's
    // consumer (which drops sequences it has passed) sees them.
    const replayEvents = pipeline.eventsFor(id).filter((e) => !failedSequences.includes(e.sequence));
    expect(Math.min(...replayEvents.map((e) => e.sequence))).toBeGreaterThan(Math.max(...failedSequences));
    expect(pipeline.latest(id)?.status).toBe('CLEARED');

    // Replaying again is harmless and says why.
    const again = await runCli(['ops', 'replay', id], cli);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`${id} was already replayed`);
    const againJson = await runCliJson<ReplayOutcome>(['ops', 'replay', id], cli);
    expect(againJson).toMatchObject({ outcome: 'already-replayed', execution: 'RUNNING' });

    // Exactly one clearance: one workflow ID, the failed run plus one replay, one CLEARED.
    expect(await runsOf(id)).toEqual(['FAILED', 'RUNNING']);
    expect(countStatus(id, 'CLEARED')).toBe(1);
    const afterwards = await failedListing();
    expect(afterwards.clearances.map((c) => c.declarationId)).not.toContain(id);
    expect(afterwards.replayed).toBeGreaterThanOrEqual(1);
  });

  it('refuses to replay a clearance that did not fail, or does not exist', async () => {
    const healthy = sampleDeclaration();
    await pipeline.submit(healthy);
    await pipeline.waitForStatus(healthy.declarationId, 'CLEARED');
    const refused = await runCli(['ops', 'replay', healthy.declarationId], cli);
    expect(refused.code).toBe(1);
    expect(refused.stdout).toContain(`${healthy.declarationId} is not failed: its clearance is running`);
    const json = await runCli(['ops', 'replay', healthy.declarationId, '--json'], cli);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ outcome: 'refused' });
    const missing = await runCli(['ops', 'replay', uniqueId('NOPE')], cli);
    expect(missing.code).toBe(1);
    expect(missing.stdout).toContain('no clearance for');
    expect(await runsOf(healthy.declarationId)).toEqual(['RUNNING']);
  });

  it('lists a terminated clearance with who terminated it and why, and replays it', async () => {
    // Steel: ECONOMY asks for an import permit, so the clearance waits for the trader.
    const declaration = sampleDeclaration({
      items: [item(1, '7208510300', 'KR')],
      documents: [{ type: 'INVOICE', reference: 'INV-T' }],
    });
    const id = declaration.declarationId;
    await pipeline.submit(declaration);
    await pipeline.waitForStatus(id, 'AWAITING_TRADER');
    const before = Math.max(...pipeline.eventsFor(id).map((e) => e.sequence));
    await pipeline.client.workflow.getHandle(declarationWorkflowId(id)).terminate('stuck after a bad deploy');

    const listing = await waitUntilListed([id]);
    const row = listing.clearances.find((c) => c.declarationId === id)!;
    expect(row).toMatchObject({ ending: 'TERMINATED', cause: { type: 'Terminated' } });
    expect(row.cause.message).toContain('stuck after a bad deploy');
    expect(row.agency).toBeUndefined();

    expect(await runCliJson<ReplayOutcome>(['ops', 'replay', id], cli)).toMatchObject({
      outcome: 'replayed',
      ending: 'TERMINATED',
    });
    await waitFor('the replay to wait for the trader again', () =>
      pipeline.eventsFor(id).find((e) => e.sequence > before && e.status === 'AWAITING_TRADER'),
    );
    expect(await runsOf(id)).toEqual(['RUNNING', 'TERMINATED']);
  });

  it('fails clearances whose agency keeps failing, and replays them all once the agency is back', async () => {
    agricultureSystem.down = true;
    const declarations = [sampleDeclaration(), sampleDeclaration()];
    const ids = declarations.map((d) => d.declarationId);
    try {
      await pipeline.submit(...declarations);
      // Five attempts with backoff (1+2+4+8 s), then FAILED.
      for (const id of ids) await pipeline.waitForStatus(id, 'FAILED', 90_000);
    } finally {
      agricultureSystem.down = false;
    }
    const listing = await waitUntilListed(ids, ['--agency', 'AGRICULTURE']);
    for (const row of listing.clearances.filter((c) => ids.includes(c.declarationId))) {
      expect(row.cause.message).toContain('ECONNREFUSED');
    }

    // Bulk replay asks first; with no terminal it refuses and says how to confirm.
    const unconfirmed = await runCli(['ops', 'replay', '--all-failed'], cli);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('Pass --yes to confirm');
    const dry = await runCliJson<{ total: number; counts: Record<string, number> }>(
      ['ops', 'replay', '--all-failed', '--agency', 'AGRICULTURE', '--dry-run'],
      cli,
    );
    expect(dry.counts['would-replay']).toBe(dry.total);
    for (const id of ids) expect(await runsOf(id)).toEqual(['FAILED']);

    const bulk = await runCli(['ops', 'replay', '--all-failed', '--since', '30m', '--yes'], cli);
    expect(bulk.code, bulk.stderr).toBe(0);
    // Only the still-failed ones: the first test's clearance was replayed already.
    expect(bulk.stdout).toContain('[1/2]');
    expect(bulk.stdout).toContain('[2/2]');
    expect(bulk.stdout).toContain('done: 2 replayed');
    for (const id of ids) {
      await pipeline.waitForStatus(id, 'CLEARED');
      expect(await runsOf(id)).toEqual(['FAILED', 'RUNNING']);
      expect(countStatus(id, 'CLEARED')).toBe(1);
    }
    const nothing = await runCli(['ops', 'replay', '--all-failed', '--yes'], cli);
    expect(nothing.stdout).toContain('no failed clearances to replay');
  });
});

describe('ops dlq', () => {
  it('replays an amendment dead-lettered while its clearance was failed, once, however often it is replayed', async () => {
    // Steel (ECONOMY asks for an import permit) and avocados (AGRICULTURE, whose system is down).
    const declaration = sampleDeclaration({
      items: [item(1, '7208510300', 'KR'), item(2, '08044000')],
      documents: [
        { type: 'INVOICE', reference: 'INV-DLQ' },
        { type: 'PHYTOSANITARY_CERTIFICATE', reference: 'PHY-DLQ' },
      ],
    });
    const id = declaration.declarationId;
    agricultureSystem.down = true;
    try {
      await pipeline.submit(declaration);
      await pipeline.waitForStatus(id, 'FAILED', 90_000);
    } finally {
      agricultureSystem.down = false;
    }

    // The trader sends the permit ECONOMY asked for, but the clearance is closed (failed):
    // intake dead-letters the amendment as NO_OPEN_DECLARATION.
    const amendment: Amendment = {
      kind: 'amendment',
      declarationId: id,
      amendmentId: uniqueId('AMD'),
      documents: [...declaration.documents, { type: 'IMPORT_PERMIT', reference: 'SE-DLQ-1' }],
    };
    await pipeline.submit(amendment);
    const listed = await waitFor('the amendment in the dead-letter topic', async () => {
      const list = await runCliJson<{ deadLetters: DeadLetterSummary[] }>(['ops', 'dlq', 'list'], cli);
      return list.deadLetters.find((l) => l.declarationId === id);
    });
    expect(listed).toMatchObject({ reason: 'NO_OPEN_DECLARATION', replayedAs: [] });
    expect(listed.firstError).toContain(`no open declaration ${id}`);
    const ref = listed.ref;

    const shown = await runCliJson<{ value: Amendment; dlqRef: string; reason: string }>(
      ['ops', 'dlq', 'show', ref],
      cli,
    );
    expect(shown.value).toEqual(amendment);
    const showText = await runCli(['ops', 'dlq', 'show', ref], cli);
    expect(showText.stdout).toContain(`"amendmentId": "${amendment.amendmentId}"`);

    // Replay the clearance first (the agency is back): ECONOMY asks for the permit again.
    await runCliJson(['ops', 'replay', id], cli);
    await waitFor('ECONOMY to ask again', () => {
      const last = pipeline.latest(id);
      return last?.status === 'AWAITING_TRADER' && last.agencies.AGRICULTURE === 'APPROVED'
        ? last
        : undefined;
    });

    // Then the dead letter: the original amendment reaches the running clearance.
    const unconfirmed = await runCli(['ops', 'dlq', 'replay', '--all'], cli);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('--yes');
    const dry = await runCliJson<{ count: number }>(
      ['ops', 'dlq', 'replay', '--all', 'NO_OPEN_DECLARATION', '--dry-run'],
      cli,
    );
    expect(dry.count).toBe(1);
    const first = await runCliJson<{ replayed: Array<{ ref: string; sentTo: string }> }>(
      ['ops', 'dlq', 'replay', ref],
      cli,
    );
    expect(first.replayed).toEqual([expect.objectContaining({ ref, sentTo: expect.any(String) })]);
    const cleared = await pipeline.waitForStatus(id, 'CLEARED');
    expect(cleared.agencies).toEqual({ CUSTOMS: 'APPROVED', ECONOMY: 'APPROVED', AGRICULTURE: 'APPROVED' });
    expect(cleared.amendmentId).toBe(amendment.amendmentId);

    // The same dead letter again: intake hands it to the clearance, which knows the amendmentId.
    const second = await runCliJson<{ replayed: Array<{ sentTo: string }> }>(
      ['ops', 'dlq', 'replay', ref],
      cli,
    );
    await intakeHandled(second.replayed[0]!.sentTo);
    const snapshot = await pipeline.client.workflow.getHandle(declarationWorkflowId(id)).query(statusQuery);
    expect(snapshot.audit.filter((a) => a.type === 'amendment')).toHaveLength(1);
    expect(snapshot.status).toBe('CLEARED');
    expect(countStatus(id, 'CLEARED')).toBe(1);
    expect(pipeline.latest(id)?.status).toBe('CLEARED');
    // The original dead letter is still there, and no replay of it was refused again.
    const after = await runCliJson<{ deadLetters: DeadLetterSummary[] }>(['ops', 'dlq', 'list'], cli);
    expect(after.deadLetters.filter((l) => l.declarationId === id).map((l) => [l.ref, l.replayedAs])).toEqual(
      [[ref, []]],
    );
    expect(await runsOf(id)).toEqual(['FAILED', 'RUNNING']);
  });

  it('refuses unknown refs and bad arguments with a clear message', async () => {
    const unknown = await runCli(['ops', 'dlq', 'show', 'nope:0:0'], cli);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no dead letter nope:0:0');
    const noRef = await runCli(['ops', 'dlq', 'replay'], cli);
    expect(noRef.code).toBe(2);
    const badSince = await runCli(['ops', 'failed', '--since', 'yesterday'], cli);
    expect(badSince.code).toBe(2);
    expect(badSince.stderr).toContain('--since');
  });
});

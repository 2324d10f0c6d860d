/**
 * Records the clearance workflow's histories from real runs of each path into
 * test/fixtures/histories/<path>.json, for the determinism guard
 * (test/workflow/history-replay.test.ts). Run it with `npm run fixtures:histories` after a
 * deliberate, patched workflow change; it needs the local stack (npm run stack:up) and takes
 * about a minute. Each file is Temporal's standard history JSON, the same the Temporal CLI and
 * Web UI export, so a history from production can be dropped in next to them.
 */
import './quiet-temporal.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  WorkflowFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { Worker } from '@temporalio/worker';
import { sampleDeclaration, sampleItem, uniqueId } from './fixtures.js';
import type { AgencyEntry, Declaration, Registry, StatusEvent } from '../../schemas/types.js';
import { clearanceInput, clearanceStart } from '../../clearance-client/clearance-start.js';
import {
  amendUpdate,
  decideUpdate,
  duplicateSignal,
  rejectedInputSignal,
  withdrawUpdate,
  type ClearanceInput,
} from '../../workflows/messages.js';
import { waitFor } from './helpers.js';
import { historyToJSON } from './history-json.js';
import { bundleClearanceWorkflows, TestPipeline } from './pipeline.js';
import { REPLAY_STATUS_SINKS } from '../../activities/status-publisher.js';

export const HISTORIES_DIR = fileURLToPath(new URL('../fixtures/histories/', import.meta.url));

const item = sampleItem;

const steel = () =>
  sampleDeclaration({
    items: [item(1, '7208510300', 'KR')],
    documents: [{ type: 'INVOICE', reference: 'INV-S' }],
  });
const pharma = () =>
  sampleDeclaration({
    items: [item(1, '30049099', 'IN')],
    documents: [
      { type: 'INVOICE', reference: 'INV-P' },
      { type: 'SANITARY_PERMIT', reference: 'SAN-P' },
    ],
  });

/** Registry variants per start: the registry is part of the workflow's input. */
function withAgency(registry: Registry, code: string, change: Partial<AgencyEntry>): Registry {
  return { ...registry, agencies: registry.agencies.map((a) => (a.code === code ? { ...a, ...change } : a)) };
}

async function main(): Promise<void> {
  const bundle = await bundleClearanceWorkflows();
  // A short retention, so each clearance completes (its retention timer is part of the history).
  const pipeline = await TestPipeline.start({
    workflowBundle: bundle,
    intake: false,
    env: { VENTANILLA_CLOSED_RETENTION: '1s', VENTANILLA_AGENCY_MODES: 'HEALTH=queue' },
  });
  // No random inspection in the baseline paths; the `inspected` path asks for one.
  const base: Registry = { ...pipeline.registry, inspection: { ...pipeline.registry.inspection, share: 0 } };
  const recorded: string[] = [];
  const histories: Array<{ workflowId: string; history: History }> = [];

  async function start(
    declaration: Declaration,
    registry: Registry = base,
    tweak: (input: ClearanceInput) => ClearanceInput = (i) => i,
  ): Promise<WorkflowHandleWithFirstExecutionRunId> {
    const input = tweak(clearanceInput(pipeline.config, registry, declaration, Date.now()));
    return pipeline.client.workflow.start(...clearanceStart(pipeline.config, input, { source: 'fixtures' }));
  }

  async function record(name: string, handle: WorkflowHandle, runId?: string): Promise<void> {
    const run = runId ? pipeline.client.workflow.getHandle(handle.workflowId, runId) : handle;
    if (!runId) {
      await pipeline.client.connection.withDeadline(Date.now() + 60_000, () =>
        handle.result().catch((error: unknown) => {
          if (!(error instanceof WorkflowFailedError) || name !== 'failed') throw error;
        }),
      );
    }
    const history = await run.fetchHistory();
    histories.push({ workflowId: name, history });
    const json = JSON.stringify(JSON.parse(historyToJSON(history)), null, 2);
    writeFileSync(`${HISTORIES_DIR}${name}.json`, `${json}\n`);
    recorded.push(`${name} (${history.events?.length ?? 0} events)`);
  }

  const waitStatus = (declaration: Declaration, status: StatusEvent['status']) =>
    pipeline.waitForStatus(declaration.declarationId, status, 60_000);

  try {
    mkdirSync(HISTORIES_DIR, { recursive: true });

    // cleared: CUSTOMS and AGRICULTURE approve automatically.
    const cleared = sampleDeclaration();
    await record('cleared', await start(cleared));

    // inspected: CUSTOMS selects it for inspection, which delays the approval.
    const inspected = sampleDeclaration();
    await record(
      'inspected',
      await start(inspected, { ...base, inspection: { ...base.inspection, share: 1, delay: '1s' } }),
    );

    // rejected: ECONOMY rejects an embargoed origin; HEALTH's open queue review is withdrawn.
    const rejected = sampleDeclaration({
      items: [item(1, '03038900', 'KP')],
      documents: [
        { type: 'INVOICE', reference: 'INV-R' },
        { type: 'ZOOSANITARY_CERTIFICATE', reference: 'ZOO-R' },
        { type: 'SANITARY_PERMIT', reference: 'SAN-R' },
      ],
    });
    await record('rejected', await start(rejected));

    // amended: ECONOMY asks for the import permit, the trader amends, ECONOMY approves.
    const amended = steel();
    const amendedHandle = await start(amended);
    await waitStatus(amended, 'AWAITING_TRADER');
    await amendedHandle.executeUpdate(amendUpdate, {
      args: [
        {
          amendment: {
            kind: 'amendment',
            declarationId: amended.declarationId,
            amendmentId: uniqueId('AMD'),
            documents: [...amended.documents, { type: 'IMPORT_PERMIT', reference: 'SE-1' }],
          },
          receivedAt: new Date().toISOString(),
        },
      ],
    });
    await record('amended', amendedHandle);

    // withdrawn: the trader withdraws while ECONOMY waits for information.
    const withdrawn = steel();
    const withdrawnHandle = await start(withdrawn);
    await waitStatus(withdrawn, 'AWAITING_TRADER');
    await withdrawnHandle.executeUpdate(withdrawUpdate, {
      args: [
        {
          withdrawal: {
            kind: 'withdrawal',
            declarationId: withdrawn.declarationId,
            reason: 'order cancelled',
          },
          receivedAt: new Date().toISOString(),
        },
      ],
    });
    await record('withdrawn', withdrawnHandle);

    // deadline: HEALTH (queue) lets its deadline pass; AUTO_APPROVE (afirmativa ficta) clears it.
    const deadline = pharma();
    await record(
      'deadline',
      await start(deadline, withAgency(base, 'HEALTH', { deadline: '1s', deadlinePolicy: 'AUTO_APPROVE' })),
    );

    // officer: a HEALTH officer approves; a conflicting duplicate and a rejected input are reported meanwhile.
    const officer = pharma();
    const officerHandle = await start(officer, withAgency(base, 'HEALTH', { deadline: '1h' }));
    await waitFor('HEALTH to wait for an officer', () => {
      const last = pipeline.latest(officer.declarationId);
      return last?.agencies.HEALTH === 'PENDING' && last.agencies.CUSTOMS === 'APPROVED' ? last : undefined;
    });
    const now = () => new Date().toISOString();
    await officerHandle.signal(duplicateSignal, {
      contentHash: 'f'.repeat(64),
      receivedAt: now(),
      source: 'fixtures:0:1',
    });
    await officerHandle.signal(rejectedInputSignal, {
      kind: 'amendment',
      receivedAt: now(),
      source: 'fixtures:0:2',
      messages: ['items[0].hsCode: must match pattern'],
    });
    await officerHandle.executeUpdate(decideUpdate, {
      args: [
        {
          decision: {
            decisionId: uniqueId('DEC'),
            declarationId: officer.declarationId,
            agency: 'HEALTH',
            officer: 'officer-17',
            at: now(),
            outcome: 'APPROVED',
            reasons: [],
          },
        },
      ],
    });
    await record('officer-approved', officerHandle);

    // failed: HEALTH's registry entry names an adapter no worker has (UnknownAdapter, not retried).
    const failed = pharma();
    await record(
      'failed',
      await start(failed, withAgency(base, 'HEALTH', { mode: 'auto', adapter: 'no-such-adapter' })),
    );

    // continued-as-new: a long wait for the trader (many notices) is cut into a second run.
    const long = steel();
    const longHandle = await start(long, base, (input) => ({ ...input, continueAsNewAfterEvents: 50 }));
    await waitStatus(long, 'AWAITING_TRADER');
    const firstRunId = longHandle.firstExecutionRunId;
    await waitFor(
      'the clearance to continue as new',
      async () => {
        const latest = await longHandle.describe();
        if (latest.runId !== firstRunId) return true;
        await longHandle.signal(duplicateSignal, {
          contentHash: 'e'.repeat(64),
          receivedAt: now(),
          source: 'fixtures:0:3',
        });
        return undefined;
      },
      60_000,
    );
    await longHandle.executeUpdate(amendUpdate, {
      args: [
        {
          amendment: {
            kind: 'amendment',
            declarationId: long.declarationId,
            amendmentId: uniqueId('AMD'),
            documents: [...long.documents, { type: 'IMPORT_PERMIT', reference: 'SE-2' }],
          },
          receivedAt: now(),
        },
      ],
    });
    await record('continued-as-new-run1', longHandle, firstRunId);
    await record('continued-as-new-run2', longHandle);
  } finally {
    await pipeline.stop();
  }
  console.log(`recorded into ${HISTORIES_DIR}:\n  ${recorded.join('\n  ')}`);

  // Replay each new history at once: a history that does not replay against the code that just
  // wrote it shows nondeterminism in the workflow itself (e.g. an order that depends on timing).
  const broken: string[] = [];
  for await (const result of Worker.runReplayHistories(
    { workflowBundle: bundle, replayName: 'fixtures', sinks: REPLAY_STATUS_SINKS },
    histories,
  )) {
    if (result.error) broken.push(`${result.workflowId}: ${result.error.message}`);
  }
  if (broken.length > 0) {
    console.error(
      `NONDETERMINISTIC: these histories do not replay against the code that recorded them:\n  ${broken.join('\n  ')}`,
    );
    process.exitCode = 1;
  } else {
    console.log('every recorded history replays against the current workflow code');
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

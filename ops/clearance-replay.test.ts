import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultPayloadConverter } from '@temporalio/common';
import type { History } from '@temporalio/common/lib/proto-utils.js';
import { historyFromJSON } from '../test/support/history-json.js';
import type { Registry } from '../schemas/types.js';
import type { ClearanceInput } from '../workflows/messages.js';
import { replayInputFromHistory } from './clearance-replay.js';

// Recorded from real runs (npm run fixtures:histories); see test/fixtures/histories.
function fixture(name: string): History {
  const url = new URL(`../test/fixtures/histories/${name}.json`, import.meta.url);
  return historyFromJSON(JSON.parse(readFileSync(url, 'utf8')));
}

function startInput(history: History): ClearanceInput {
  const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
  return defaultPayloadConverter.fromPayload<ClearanceInput>(payload);
}

const config = {
  agencyTaskQueuePrefix: 'prod-agency-',
  closedRetention: '24h',
  continueAsNewAfterEvents: 2000,
  continueAsNewAfterBytes: 4 * 1024 * 1024,
};

function fixedRegistry(original: Registry): Registry {
  return {
    ...original,
    version: 'fixed',
    agencies: original.agencies.map((a) =>
      a.code === 'HEALTH' ? { ...a, mode: 'auto', adapter: 'documents' } : a,
    ),
  };
}

describe('replayInputFromHistory', () => {
  it('starts from the recorded input, with the current registry and task queues', () => {
    const history = fixture('failed');
    const original = startInput(history);
    const registry = fixedRegistry(original.registry);
    const { input, amendments } = replayInputFromHistory(history, registry, config, 0);
    expect(input.declaration).toEqual(original.declaration);
    expect(input.registry).toEqual(registry);
    expect(input.taskQueues.HEALTH).toBe('prod-agency-health');
    // What the trader submitted and when stay the same; the duplicate check keeps working.
    expect(input.receivedAt).toBe(original.receivedAt);
    expect(input.contentHash).toBe(original.contentHash);
    expect(input.closedRetention).toBe(original.closedRetention);
    expect(input.carried).toBeUndefined();
    expect(input.run).toBeUndefined();
    expect(amendments).toEqual([]);
  });

  it('lists the registry changes that the replay brings in', () => {
    const history = fixture('failed');
    const original = startInput(history);
    const { registryChanges } = replayInputFromHistory(history, fixedRegistry(original.registry), config, 0);
    expect(registryChanges).toEqual([
      `version ${original.registry.version} → fixed`,
      'HEALTH adapter no-such-adapter → documents',
    ]);
    expect(replayInputFromHistory(history, original.registry, config, 0).registryChanges).toEqual([]);
  });

  it('starts its sequences above every sequence the failed run can have published', () => {
    const history = fixture('failed');
    const original = startInput(history);
    const { input, sequenceBound } = replayInputFromHistory(history, original.registry, config, 0);
    expect(sequenceBound).toBeGreaterThan(original.sequenceBase + history.events!.length);
    expect(input.sequenceBase).toBe(sequenceBound);
    // Normally the clock is further ahead still.
    const later = original.sequenceBase + 60_000;
    expect(replayInputFromHistory(history, original.registry, config, later).input.sequenceBase).toBe(later);
  });

  it('keeps the amendments the run accepted', () => {
    const history = fixture('amended');
    const original = startInput(history);
    const { input, amendments } = replayInputFromHistory(history, original.registry, config, 0);
    expect(amendments).toHaveLength(1);
    expect(input.declaration.documents.map((d) => d.type)).toContain('IMPORT_PERMIT');
    expect(original.declaration.documents.map((d) => d.type)).not.toContain('IMPORT_PERMIT');
    expect(input.declaration.items).toEqual(original.declaration.items);
  });

  it('after continue-as-new, starts from the declaration the run carried', () => {
    const history = fixture('continued-as-new-run2');
    const original = startInput(history);
    expect(original.carried).toBeDefined();
    const { input, sequenceBound } = replayInputFromHistory(history, original.registry, config, 0);
    expect(input.carried).toBeUndefined();
    expect(sequenceBound).toBeGreaterThan(original.carried!.sequence);
    // The run also accepted the amendment that cleared it.
    expect(input.declaration.documents.map((d) => d.type)).toContain('IMPORT_PERMIT');
  });
});

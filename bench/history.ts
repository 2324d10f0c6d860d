import { writeFileSync } from 'node:fs';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '../test/support/history-json.js';

export interface HistoryProfile {
  sampled: number;
  /** Mean history events per workflow: each is a state transition the server persisted. */
  events_per_workflow: number;
  min: number;
  max: number;
  /** Mean count per workflow of each event type, e.g. ActivityTaskScheduled, MarkerRecorded. */
  by_type: Record<string, number>;
}

/** The event type's name, from the one `<type>EventAttributes` field a history event carries. */
function eventName(event: object): string {
  const key = Object.keys(event).find(
    (k) => k.endsWith('EventAttributes') && (event as Record<string, unknown>)[k],
  );
  return key ? key[0]!.toUpperCase() + key.slice(1, -'EventAttributes'.length) : 'Unknown';
}

/**
 * Fetches these workflows' histories (one at a time, to stay light) and counts their events.
 * `keepFirst`: a file to write the first history to, as Temporal's history JSON, for
 * `bench/replay-cost.ts` (which measures the workflow code's CPU by replaying it).
 */
export async function historyProfile(
  client: Client,
  workflowIds: string[],
  keepFirst?: string,
): Promise<HistoryProfile | undefined> {
  const counts: number[] = [];
  const byType = new Map<string, number>();
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    if (keepFirst && counts.length === 0) writeFileSync(keepFirst, historyToJSON(history));
    const events = history.events ?? [];
    counts.push(events.length);
    for (const event of events) {
      const name = eventName(event);
      byType.set(name, (byType.get(name) ?? 0) + 1);
    }
  }
  if (counts.length === 0) return undefined;
  const per = (n: number) => Math.round((n / counts.length) * 100) / 100;
  return {
    sampled: counts.length,
    events_per_workflow: per(counts.reduce((a, b) => a + b, 0)),
    min: Math.min(...counts),
    max: Math.max(...counts),
    by_type: Object.fromEntries(
      [...byType].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, per(v)]),
    ),
  };
}

import type { Registry } from '../schemas/types.js';
import type { ReplayOutcome } from '../ops/clearance-replay.js';
import type {
  DeadLetterReplayed,
  DeadLetterSummary,
  DecodedValue,
  StoredDeadLetter,
} from '../ops/dead-letter-store.js';
import type { FailedListing } from '../ops/failed-clearances.js';

// Human-readable text of the ops commands; --json prints the same data as JSON instead.

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export function renderFailed(listing: FailedListing, taskQueue: string): string {
  const { clearances, replayed } = listing;
  const lines = [
    clearances.length === 0
      ? `no failed clearances on task queue ${taskQueue}`
      : `${plural(clearances.length, 'failed clearance')} on task queue ${taskQueue}, newest first`,
  ];
  for (const c of clearances) {
    lines.push(
      '',
      `${c.declarationId}  ${c.ending}${c.agency ? `  agency ${c.agency}` : ''}  at ${c.at}`,
      `  cause     ${c.cause.type}: ${c.cause.message}`,
      `  workflow  ${c.workflowId} run ${c.runId} (started ${c.startedAt})`,
    );
  }
  if (replayed > 0)
    lines.push('', `(${plural(replayed, 'failed run')} of declarations replayed since are not shown)`);
  if (clearances.length > 0) {
    lines.push(
      '',
      'Fix the cause (adapter, agency system, registry), then replay:',
      '  npx ventanilla ops replay <declarationId>      or      npx ventanilla ops replay --all-failed',
    );
  }
  return lines.join('\n');
}

export function renderReplay(outcome: ReplayOutcome, registry: Registry): string {
  switch (outcome.outcome) {
    case 'replayed':
    case 'would-replay': {
      const head =
        outcome.outcome === 'replayed'
          ? `replayed ${outcome.declarationId}: new run ${outcome.runId} (the run ${outcome.failedRunId} had ${outcome.ending})`
          : `would replay ${outcome.declarationId} (the run ${outcome.failedRunId} had ${outcome.ending}); dry run, nothing started`;
      return [
        head,
        `  from its validated input, with the current registry (${registry.version})`,
        `  registry changes taking effect: ${
          outcome.registryChanges.length
            ? outcome.registryChanges.join('; ')
            : 'none (same registry as the failed run; replay only helps if the agency or adapter is fixed)'
        }`,
        `  amendments re-applied: ${outcome.amendments.length ? outcome.amendments.join(', ') : 'none'}`,
        `  status sequences continue above ${outcome.sequenceBase}`,
        ...(outcome.outcome === 'replayed'
          ? [`  follow it: npx ventanilla status ${outcome.declarationId} --watch`]
          : []),
      ].join('\n');
    }
    default:
      return outcome.message;
  }
}

/** One progress line of a bulk replay: `[2/5] AVO-1 replayed (run …)`. */
export function replayProgressLine(
  index: number,
  total: number,
  outcome: ReplayOutcome | Error,
  id: string,
): string {
  const prefix = `[${index}/${total}] ${id}`;
  if (outcome instanceof Error) return `${prefix} error: ${outcome.message}`;
  switch (outcome.outcome) {
    case 'replayed':
      return `${prefix} replayed: new run ${outcome.runId}`;
    case 'would-replay':
      return `${prefix} would replay (had ${outcome.ending}; amendments re-applied: ${outcome.amendments.length}; registry changes: ${outcome.registryChanges.join('; ') || 'none'})`;
    default:
      return `${prefix} ${outcome.outcome}: ${outcome.message}`;
  }
}

export function renderDeadLetters(summaries: DeadLetterSummary[], topic: string): string {
  if (summaries.length === 0) return `no dead letters in ${topic}`;
  const byReason = new Map<string, number>();
  for (const s of summaries) byReason.set(s.reason, (byReason.get(s.reason) ?? 0) + 1);
  const reasons = [...byReason].map(([reason, n]) => `${n} ${reason}`).join(', ');
  const lines = [`${plural(summaries.length, 'dead letter')} in ${topic} (${reasons}), oldest first`];
  for (const s of summaries) {
    lines.push(
      '',
      `${s.ref}  ${s.at}  ${s.reason}  ${s.declarationId ?? '(no declarationId)'}`,
      `  ${s.firstError}${s.errorCount > 1 ? `  (+${s.errorCount - 1} more)` : ''}`,
    );
    if (s.replayOf) lines.push(`  a replay of ${s.replayOf}`);
    if (s.replayedAs.length) lines.push(`  replayed already, refused again as ${s.replayedAs.join(', ')}`);
  }
  lines.push(
    '',
    'Inspect one:        npx ventanilla ops dlq show <ref>',
    'Replay after a fix: npx ventanilla ops dlq replay <ref>   or   npx ventanilla ops dlq replay --all [REASON]',
  );
  return lines.join('\n');
}

/**
 * What `ops dlq show --json` prints: the record, and its value as JSON when it can be printed as
 * JSON, otherwise as text with `valueNote` saying why (the exact bytes are in valueBase64).
 */
export function deadLetterDocument(
  letter: StoredDeadLetter,
  value: DecodedValue,
  copies: number,
): Record<string, unknown> {
  return {
    ...letter.record,
    dlqRef: letter.dlqRef,
    copies,
    value: value.json ?? value.text ?? null,
    ...(value.note ? { valueNote: value.note } : {}),
    truncated: value.truncated,
  };
}

export function renderDeadLetter(letter: StoredDeadLetter, value: DecodedValue, copies: number): string {
  const { record } = letter;
  const lines = [
    `dead letter ${record.ref}`,
    `  stored at     ${letter.dlqRef}${copies > 1 ? ` (and ${copies - 1} more copies of the same input)` : ''}`,
    `  dead-lettered ${record.at}`,
    `  reason        ${record.reason}`,
    `  declaration   ${record.declarationId ?? '(none readable)'}`,
    `  key           ${record.key ?? '(none)'}`,
    `  from          ${record.source.topic} partition ${record.source.partition} offset ${record.source.offset}`,
  ];
  if (record.replayOf) lines.push(`  replay of     ${record.replayOf}`);
  const headers = Object.entries(record.headers);
  lines.push(
    `  headers       ${headers.length ? headers.map(([k, v]) => `${k}=${v}`).join(', ') : '(none)'}`,
  );
  lines.push(`  errors (${record.errors.length})`);
  for (const e of record.errors) lines.push(`    ${e.path}: ${e.message}`);
  const size = `${record.valueSize} bytes${value.truncated ? `, only the first ${value.bytes.length} kept` : ''}`;
  if (value.json !== undefined) {
    lines.push(`  value (${size}, JSON)`, indent(JSON.stringify(value.json, null, 2), 4));
  } else if (value.text !== undefined) {
    if (value.note) lines.push(`  note          ${value.note}`);
    lines.push(`  value (${size}, text)`, indent(value.text, 4));
  } else {
    lines.push(`  value (${size}) is not UTF-8; its base64 is in --json output (valueBase64)`);
  }
  return lines.join('\n');
}

export function renderDlqReplay(sent: DeadLetterReplayed[], topic: string, dryRun: boolean): string {
  if (sent.length === 0) return 'no dead letters to replay';
  const lines = sent.map((s) =>
    dryRun
      ? `would send ${s.ref} (${s.reason}, ${s.declarationId ?? 'no declarationId'}) back to ${topic}`
      : `sent ${s.ref} (${s.reason}, ${s.declarationId ?? 'no declarationId'}) back to ${topic} as ${s.sentTo}`,
  );
  lines.push(
    dryRun
      ? `dry run: ${plural(sent.length, 'dead letter')} would be replayed; nothing was sent`
      : `replayed ${plural(sent.length, 'dead letter')}; the originals stay in the dead-letter topic. ` +
          'Intake handles each like a new arrival: check with npx ventanilla status <declarationId>, or ops dlq list if one is refused again.',
  );
  return lines.join('\n');
}

function indent(text: string, spaces: number): string {
  const pad = ' '.repeat(spaces);
  return text
    .split('\n')
    .map((line) => pad + line)
    .join('\n');
}

import { matchesPattern } from '../schemas/common.schema.js';
import { loadRegistry } from '../runtime/registry.js';
import { createProducer } from '../messaging/kafka.js';
import type { Flags } from './flags.js';
import { replayClearance, type ReplayOutcome } from '../ops/clearance-replay.js';
import { confirmBulk } from './confirm.js';
import {
  decodeValue,
  findDeadLetter,
  readDeadLetters,
  replayCandidates,
  replayMessage,
  sendReplays,
  summarize,
  type DeadLetterReplayed,
  type StoredDeadLetter,
} from '../ops/dead-letter-store.js';
import { listFailedClearances } from '../ops/failed-clearances.js';
import { OpsError } from '../ops/ops-error.js';
import { parseSince } from '../ops/time-filter.js';
import { CliError } from './cli-error.js';
import type { CliContext } from './cli-context.js';
import {
  deadLetterDocument,
  renderDeadLetter,
  renderDeadLetters,
  renderDlqReplay,
  renderFailed,
  renderReplay,
  replayProgressLine,
} from './ops-render.js';

export const OPS_HELP = `Usage: ventanilla ops <command> [options] [--json]

Operators: find what failed and why, fix the cause, replay it. Nothing is cleared twice.

  ops failed [--since T] [--agency A]
      Failed, timed-out, terminated and cancelled clearances, newest first, with the cause, the
      agency whose review failed and the time (from Temporal visibility).
  ops replay <declarationId> [--dry-run]
  ops replay --all-failed [--since T] [--agency A] [--dry-run] [--yes]
      Re-runs failed clearances from their validated input (plus the amendments they had
      accepted) with the registry as it is now, under the same workflow ID. Replaying twice is
      harmless: the second finds the clearance running or completed and says so.
  ops dlq list [REASON] [--since T]
      Dead letters (inputs the pipeline could not accept), oldest first, with reason and first error.
  ops dlq show <ref>
      One dead letter in full, with its original value decoded.
  ops dlq replay <ref> [--dry-run]
  ops dlq replay --all [REASON] [--since T] [--dry-run] [--yes]
      Sends the original bytes, key and headers back to the declarations topic, with the header
      ventanilla-replay-of: <ref>. The dead letter itself is kept. Intake deduplicates, so a
      dead letter replayed twice still makes one clearance.

  --since T   an ISO time (2026-05-01T08:00:00Z) or a duration back from now (90s, 30m, 2h, 7d)
  --agency A  only clearances whose review of agency A failed
  --dry-run   show what would be replayed; change nothing
  --yes       confirm a bulk replay (without a terminal to ask on, a bulk replay needs it)

<ref> is the input's position as dlq list prints it, <topic>:<partition>:<offset>.
Replay reads the registry from VENTANILLA_REGISTRY (or the built-in one) and VENTANILLA_AGENCY_MODES,
like the workers: run it with the same environment as the pipeline.`;

export async function opsCommand(ctx: CliContext, args: string[], flags: Flags): Promise<void> {
  const [command, ...rest] = args;
  try {
    switch (command) {
      case 'failed':
        return await failedCommand(ctx, flags);
      case 'replay':
        return await replayCommand(ctx, rest, flags);
      case 'dlq':
        return await dlqCommand(ctx, rest, flags);
      default:
        throw new CliError(
          `${command ? `unknown ops command "${command}"` : 'ops needs a command'}\n\n${OPS_HELP}`,
          2,
        );
    }
  } catch (error) {
    if (error instanceof OpsError) throw new CliError(error.message, error.exitCode);
    throw error;
  }
}

/** Progress goes to stderr under --json, so stdout stays one JSON document. */
function progress(ctx: CliContext, line: string): void {
  if (ctx.options.json) console.error(line);
  else console.log(line);
}

function since(flags: Flags): Date | undefined {
  return flags.since === undefined ? undefined : parseSince(flags.since);
}

function agency(flags: Flags): string | undefined {
  if (flags.agency === undefined) return undefined;
  const code = flags.agency.trim().toUpperCase();
  if (!matchesPattern('agency', code))
    throw new CliError(`--agency: "${flags.agency}" is not an agency code`, 2);
  return code;
}

async function failedCommand(ctx: CliContext, flags: Flags): Promise<void> {
  const filter = { since: since(flags), agency: agency(flags) }; // usage errors before any connection
  const listing = await listFailedClearances(await ctx.temporal(), ctx.config, filter);
  ctx.print({ ...listing, count: listing.clearances.length }, () =>
    renderFailed(listing, ctx.config.taskQueue),
  );
}

async function replayCommand(ctx: CliContext, args: string[], flags: Flags): Promise<void> {
  const declarationId = args[0];
  if (Boolean(declarationId) === flags['all-failed']) {
    throw new CliError(`ops replay needs one declarationId or --all-failed\n\n${OPS_HELP}`, 2);
  }
  const filter = { since: since(flags), agency: agency(flags) };
  // The registry as it is NOW: a replay is how a registry fix reaches a failed clearance.
  const registry = loadRegistry(ctx.config);
  const deps = { client: await ctx.temporal(), config: ctx.config, registry };
  const dryRun = flags['dry-run'];

  if (declarationId) {
    const outcome = await replayClearance(deps, declarationId, { dryRun });
    ctx.print(outcome, () => renderReplay(outcome, registry));
    if (outcome.outcome === 'refused' || outcome.outcome === 'not-found') {
      throw new CliError(ctx.options.json ? outcome.message : 'nothing replayed', 1);
    }
    return;
  }

  const listing = await listFailedClearances(deps.client, ctx.config, filter);
  const ids = listing.clearances.map((c) => c.declarationId);
  if (ids.length === 0) {
    ctx.print({ total: 0, results: [] }, () => 'no failed clearances to replay');
    return;
  }
  if (!dryRun) {
    await confirmBulk(
      `Replay ${ids.length} failed clearance${ids.length === 1 ? '' : 's'} with registry ${registry.version}?`,
      { yes: flags.yes },
    );
  }
  const results: Array<ReplayOutcome | { outcome: 'error'; declarationId: string; message: string }> = [];
  for (const [i, id] of ids.entries()) {
    try {
      const outcome = await replayClearance(deps, id, { dryRun });
      results.push(outcome);
      progress(ctx, replayProgressLine(i + 1, ids.length, outcome, id));
    } catch (error) {
      // One bad clearance must not stop the others; it is reported and counted.
      const message = error instanceof Error ? error.message : String(error);
      results.push({ outcome: 'error', declarationId: id, message });
      progress(ctx, replayProgressLine(i + 1, ids.length, new Error(message), id));
    }
  }
  const counts: Record<string, number> = {};
  for (const r of results) counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
  const summary = Object.entries(counts)
    .map(([outcome, n]) => `${n} ${outcome}`)
    .join(', ');
  ctx.print({ total: ids.length, counts, results }, () =>
    dryRun
      ? `dry run over ${ids.length} failed clearance(s): ${summary}; nothing was started`
      : `done: ${summary} (of ${ids.length}). Follow them: npx ventanilla status <declarationId>`,
  );
  const bad = (counts.error ?? 0) + (counts.refused ?? 0) + (counts['not-found'] ?? 0);
  if (bad > 0) throw new CliError(`${bad} of ${ids.length} not replayed; see above`, 1);
}

async function dlqCommand(ctx: CliContext, args: string[], flags: Flags): Promise<void> {
  const [command, ...rest] = args;
  if (command !== 'list' && command !== 'show' && command !== 'replay') {
    throw new CliError(`ops dlq needs list, show or replay\n\n${OPS_HELP}`, 2);
  }
  if (command === 'show' && !rest[0]) throw new CliError('ops dlq show needs a <ref> (see ops dlq list)', 2);
  if (command === 'replay' && (flags.all ? isRef(rest[0]) : !rest[0])) {
    throw new CliError(`ops dlq replay needs one <ref> or --all [REASON]\n\n${OPS_HELP}`, 2);
  }
  const after = since(flags); // a malformed --since fails before the topic is read
  const read = await readAll(ctx, ctx.config.topics.deadletter);
  if (command === 'show') return dlqShow(ctx, read, rest[0]!);
  const reason = flags.all || command === 'list' ? rest[0]?.toUpperCase() : undefined;
  const selected = read.filter(
    (l) => (!reason || l.record.reason === reason) && (!after || Date.parse(l.record.at) >= after.getTime()),
  );
  if (command === 'list') {
    const topic = ctx.config.topics.deadletter;
    const summaries = summarize(selected);
    ctx.print({ topic, count: summaries.length, deadLetters: summaries }, () =>
      renderDeadLetters(summaries, topic),
    );
    return;
  }
  const { chosen, skipped } = flags.all
    ? await chooseAll(ctx, selected, flags)
    : { chosen: [findOne(ctx, read, rest[0]!)], skipped: [] };
  await dlqReplay(ctx, chosen, skipped, flags['dry-run']);
}

function findOne(ctx: CliContext, read: StoredDeadLetter[], ref: string): StoredDeadLetter {
  const found = findDeadLetter(read, ref)[0];
  if (!found)
    throw new CliError(`no dead letter ${ref} in ${ctx.config.topics.deadletter} (see ops dlq list)`, 1);
  replayMessage(found.record); // refuses a truncated one before anything is sent
  return found;
}

function dlqShow(ctx: CliContext, read: StoredDeadLetter[], ref: string): void {
  const matches = findDeadLetter(read, ref);
  const first = matches[0];
  if (!first)
    throw new CliError(`no dead letter ${ref} in ${ctx.config.topics.deadletter} (see ops dlq list)`, 1);
  const value = decodeValue(first.record);
  ctx.print(deadLetterDocument(first, value, matches.length), () =>
    renderDeadLetter(first, value, matches.length),
  );
}

/** Every replayable letter of the selection; the others are reported as skipped, with why. */
async function chooseAll(
  ctx: CliContext,
  selected: StoredDeadLetter[],
  flags: Flags,
): Promise<{ chosen: StoredDeadLetter[]; skipped: Array<{ ref: string; message: string }> }> {
  const chosen: StoredDeadLetter[] = [];
  const skipped: Array<{ ref: string; message: string }> = [];
  for (const letter of replayCandidates(selected)) {
    try {
      replayMessage(letter.record);
      chosen.push(letter);
    } catch (error) {
      skipped.push({
        ref: letter.record.ref,
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }
  for (const s of skipped) progress(ctx, `skipped ${s.ref}: ${s.message}`);
  if (chosen.length > 0 && !flags['dry-run']) {
    await confirmBulk(
      `Replay ${chosen.length} dead letter${chosen.length === 1 ? '' : 's'} to ${ctx.config.topics.declarations}?`,
      { yes: flags.yes },
    );
  }
  return { chosen, skipped };
}

async function dlqReplay(
  ctx: CliContext,
  chosen: StoredDeadLetter[],
  skipped: Array<{ ref: string; message: string }>,
  dryRun: boolean,
): Promise<void> {
  const declarations = ctx.config.topics.declarations;
  let sent: DeadLetterReplayed[];
  if (dryRun) {
    sent = chosen.map(({ record }) => ({
      ref: record.ref,
      reason: record.reason,
      ...(record.declarationId ? { declarationId: record.declarationId } : {}),
    }));
  } else {
    const producer = createProducer(ctx.kafka());
    await connectKafka(ctx, () => producer.connect());
    try {
      sent = await sendReplays(producer, declarations, chosen, (done, i) => {
        if (chosen.length > 1)
          progress(ctx, `[${i + 1}/${chosen.length}] ${done.ref} sent as ${done.sentTo}`);
      });
    } finally {
      await producer.disconnect();
    }
  }
  ctx.print({ topic: declarations, dryRun, count: sent.length, replayed: sent, skipped }, () =>
    renderDlqReplay(sent, declarations, dryRun),
  );
}

/** A ref names a record (`topic:partition:offset`); a REASON filter never contains a colon. */
function isRef(value: string | undefined): boolean {
  return value !== undefined && value.includes(':');
}

async function connectKafka(ctx: CliContext, connect: () => Promise<void>): Promise<void> {
  try {
    await connect();
  } catch (error) {
    throw new CliError(
      `cannot reach Kafka at ${ctx.config.kafkaBrokers.join(',')} (${(error as Error).message}). Is the stack up? Try: npm run stack:status`,
    );
  }
}

/** Reads the whole dead-letter topic once, with a progress line on stderr. */
async function readAll(ctx: CliContext, topic: string): Promise<StoredDeadLetter[]> {
  const started = Date.now();
  const live = process.stderr.isTTY;
  let result;
  try {
    result = await readDeadLetters(ctx.kafka(), topic, {
      timeoutMs: 60_000,
      onProgress: (n, total) => {
        if (live) process.stderr.write(`\rreading ${topic}: ${n}/${total}`);
      },
    });
  } catch (error) {
    if (live) process.stderr.write('\n');
    throw new CliError(
      `cannot read ${topic} from Kafka at ${ctx.config.kafkaBrokers.join(',')} (${(error as Error).message}). Is the stack up? Try: npm run stack:status`,
    );
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const line = `read ${result.letters.length + result.unreadable.length} record(s) of ${topic} in ${seconds}s`;
  process.stderr.write(live ? `\r${line}\n` : `${line}\n`);
  if (!result.complete) {
    console.error(`warning: stopped after 60s before the end of ${topic}; the list below is incomplete`);
  }
  if (result.unreadable.length > 0) {
    console.error(
      `warning: ${result.unreadable.length} record(s) are not dead-letter records: ${result.unreadable.join(', ')}`,
    );
  }
  return result.letters;
}

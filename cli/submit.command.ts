import { readFileSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import { errorLines } from '../schemas/format-errors.js';
import { checkTraderMessage } from '../schemas/trader-message-check.js';
import { arrayElementTexts } from '../ops/stored-json.js';
import { CliError } from './cli-error.js';
import type { SigningFlags } from './signing-choice.js';
import { signatureHeaders } from './submit-signing.js';
import type { CliContext } from './cli-context.js';

export const SUBMIT_HELP = `Usage: ventanilla submit <file.json | -> [--force] [--cert F --key F --password-file F] [--json]

Sends a declaration, amendment or withdrawal to ${'trade.declarations'}, keyed by its declarationId.
The file holds one JSON message or an array of them; "-" reads standard input.
Messages are validated first and nothing is sent if one is invalid; --force sends them anyway
(the pipeline then dead-letters the invalid ones, as it would for any trader).

Each message is signed (header ventanilla-signature, a detached JWS over the exact bytes sent) by
the trader's certificate: --cert/--key/--password-file, or else the development PKI's certificate
for the trader's RFC (made by npm start; see ventanilla pki list). An amendment or withdrawal is
signed by the trader of the declaration it changes.

Example:
  npx ventanilla submit examples/avocado-import.json
  npx ventanilla status AVO-2026-000001 --watch`;

export async function submitCommand(
  ctx: CliContext,
  args: string[],
  flags: { force: boolean } & SigningFlags,
): Promise<void> {
  const path = args[0];
  if (!path) throw new CliError(`submit needs a file (or - for standard input)\n\n${SUBMIT_HELP}`, 2);
  const records = recordValues(path);
  const problems = records.flatMap((r, i) => r.problems.map((line) => `message ${i + 1}: ${line}`));
  if (problems.length > 0 && !flags.force) {
    throw new CliError(
      `not sent; fix these first (or use --force to let the pipeline dead-letter them):\n  ${problems.join('\n  ')}`,
    );
  }
  const headers = await signatureHeaders(ctx, records, flags);
  const producer = ctx
    .kafka()
    .producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
  try {
    await producer.connect();
  } catch (error) {
    throw new CliError(
      `cannot reach Kafka at ${ctx.config.kafkaBrokers.join(',')} (${(error as Error).message}). Is the stack up? Try: npm run stack:status`,
    );
  }
  try {
    const topic = ctx.config.topics.declarations;
    const sent = await producer.send({
      topic,
      acks: -1,
      messages: records.map(({ key, value }, i) => ({ key, value, headers: headers[i] })),
    });
    const summary = records.map((r, i) => ({
      kind: r.kind,
      declarationId: r.key,
      topic,
      partition: sent[0]?.partition,
      index: i,
      signed: headers[i] !== undefined,
    }));
    ctx.print({ sent: summary }, () =>
      summary
        .map(
          (s) =>
            `sent ${s.signed ? 'signed ' : ''}${s.kind ?? '(no kind)'} ${s.declarationId ?? '(no declarationId)'} to ${topic}\n  follow it: npx ventanilla status ${s.declarationId ?? '<id>'} --watch`,
        )
        .join('\n'),
    );
  } finally {
    await producer.disconnect();
  }
}

export interface RecordValue {
  /** What goes on the topic. */
  value: string;
  key: string | null;
  /** The message's kind, when it is a string. */
  kind: string | undefined;
  /** The declaration's trader RFC, whose certificate signs it. */
  trader: string | undefined;
  /** Why the pipeline would refuse it (`path: message`); empty when it is valid. */
  problems: string[];
}

/**
 * The file's messages as the records submit sends. A valid message is sent as compact JSON. An
 * invalid one (sent with --force) is sent exactly as written, so the pipeline sees and
 * dead-letters what the trader wrote: re-serializing could not even be done for a value nested
 * thousands of levels deep (JSON.stringify overflows the stack), and would turn 1e309 into null.
 */
export function recordValues(path: string): RecordValue[] {
  const text = readText(path);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const messages = Array.isArray(data) ? data : [data];
  if (messages.length === 0) throw new CliError(`${path} holds an empty array; nothing to send`);
  const texts = Array.isArray(data) ? arrayElementTexts(text) : [text.trim()];
  if (texts?.length !== messages.length) throw new Error(`could not split ${path} into its messages`);
  return messages.map((message: unknown, i) => {
    const result = checkTraderMessage(message);
    const kind = (message as { kind?: unknown } | null)?.kind;
    return {
      value: result.ok ? JSON.stringify(message) : texts[i]!,
      key: keyOf(message),
      kind: typeof kind === 'string' ? kind : undefined,
      trader: traderOf(message),
      problems: result.ok ? [] : errorLines(result.errors),
    };
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
}

function traderOf(message: unknown): string | undefined {
  const taxId = (message as { trader?: { taxId?: unknown } } | null)?.trader?.taxId;
  return typeof taxId === 'string' ? taxId : undefined;
}

function keyOf(message: unknown): string | null {
  const id = (message as { declarationId?: unknown })?.declarationId;
  return typeof id === 'string' ? id : null;
}

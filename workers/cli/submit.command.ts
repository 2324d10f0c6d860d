import { readFileSync } from 'node:fs';
import { Partitioners } from 'kafkajs';
import { errorLines } from '../../schemas/format-errors.js';
import { checkTraderMessage } from '../../schemas/trader-message-check.js';
import { CliError, type CliContext } from './cli-context.js';

export const SUBMIT_HELP = `Usage: ventanilla submit <file.json | -> [--force] [--json]

Sends a declaration, amendment or withdrawal to ${'trade.declarations'}, keyed by its declarationId.
The file holds one JSON message or an array of them; "-" reads standard input.
Messages are validated first and nothing is sent if one is invalid; --force sends them anyway
(the pipeline then dead-letters the invalid ones, as it would for any trader).

Example:
  npx ventanilla submit examples/avocado-import.json
  npx ventanilla status AVO-2026-000001 --watch`;

export async function submitCommand(
  ctx: CliContext,
  args: string[],
  flags: { force: boolean },
): Promise<void> {
  const path = args[0];
  if (!path) throw new CliError(`submit needs a file (or - for standard input)\n\n${SUBMIT_HELP}`, 2);
  const messages = readMessages(path);
  const problems = messages.flatMap((message, i) => {
    const result = checkTraderMessage(message);
    return result.ok ? [] : errorLines(result.errors).map((line) => `message ${i + 1}: ${line}`);
  });
  if (problems.length > 0 && !flags.force) {
    throw new CliError(
      `not sent; fix these first (or use --force to let the pipeline dead-letter them):\n  ${problems.join('\n  ')}`,
    );
  }
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
      messages: messages.map((m) => ({ key: keyOf(m), value: JSON.stringify(m) })),
    });
    const summary = messages.map((m, i) => ({
      kind: (m as { kind?: unknown }).kind,
      declarationId: keyOf(m),
      topic,
      partition: sent[0]?.partition,
      index: i,
    }));
    ctx.print({ sent: summary }, () =>
      summary
        .map(
          (s) =>
            `sent ${String(s.kind)} ${s.declarationId ?? '(no declarationId)'} to ${topic}\n  follow it: npx ventanilla status ${s.declarationId ?? '<id>'} --watch`,
        )
        .join('\n'),
    );
  } finally {
    await producer.disconnect();
  }
}

function readMessages(path: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(path === '-' ? 0 : path, 'utf8');
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const messages = Array.isArray(data) ? data : [data];
  if (messages.length === 0) throw new CliError(`${path} holds an empty array; nothing to send`);
  return messages;
}

function keyOf(message: unknown): string | null {
  const id = (message as { declarationId?: unknown })?.declarationId;
  return typeof id === 'string' ? id : null;
}

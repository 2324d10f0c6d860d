import { clearanceTrader } from '../clearance-client/clearance-calls.js';
import { SIGNATURE_HEADER, signDetached } from '../identity/jws.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { signerFor, type SigningFlags } from './signing-choice.js';
import type { RecordValue } from './submit.command.js';

/**
 * Signs each record as design.md §10 asks: a detached JWS over the exact bytes sent, by the
 * trader's certificate (`--cert`/`--key`, or the development PKI's for the trader's RFC). An
 * amendment or withdrawal names no trader: it is signed by the trader of the declaration it
 * changes, looked up in its clearance. Under VENTANILLA_SIGNATURES=off nothing is signed.
 */
export async function signatureHeaders(
  ctx: CliContext,
  records: RecordValue[],
  flags: SigningFlags,
): Promise<Array<Record<string, string> | undefined>> {
  if (ctx.config.signatures === 'off') return records.map(() => undefined);
  const headers: Array<Record<string, string> | undefined> = [];
  for (const record of records) {
    try {
      headers.push(await signatureHeader(ctx, record, flags));
    } catch (error) {
      // An invalid message sent with --force may name no trader, or one without a certificate:
      // it goes unsigned, and the pipeline dead-letters it for what is wrong with it anyway.
      if (record.problems.length === 0) throw error;
      headers.push(undefined);
    }
  }
  return headers;
}

async function signatureHeader(
  ctx: CliContext,
  record: RecordValue,
  flags: SigningFlags,
): Promise<Record<string, string>> {
  const rfc = flags.cert ? undefined : await signerRfc(ctx, record);
  if (!flags.cert && !rfc) {
    throw new CliError(
      `cannot tell who signs ${record.kind ?? 'message'} ${record.key ?? ''}: no open declaration names its trader. Pass --cert and --key.`,
    );
  }
  const signer = signerFor(ctx, flags, rfc);
  return { [SIGNATURE_HEADER]: await signDetached(Buffer.from(record.value), signer) };
}

async function signerRfc(ctx: CliContext, record: RecordValue): Promise<string | undefined> {
  if (record.trader) return record.trader;
  if (!record.key || (record.kind !== 'amendment' && record.kind !== 'withdrawal')) return undefined;
  return clearanceTrader(await ctx.temporal(), record.key);
}

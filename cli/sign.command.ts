import { readFileSync } from 'node:fs';
import { fileProblem } from '../identity/certificate.js';
import { SIGNATURE_HEADER, signDetached } from '../identity/jws.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { signerFor, type SigningFlags } from './signing-choice.js';

export const SIGN_HELP = `Usage: ventanilla sign <file|-> [--cert F --key F [--password-file F]] [--json]

Prints the detached signature (design.md §10) of the file's exact bytes, as sent in the
${SIGNATURE_HEADER} Kafka header or the Ventanilla-Signature HTTP header:
<base64url(protected header)>..<base64url(signature)>. Sign the very bytes you send: any change
to the file, a reformatting or a final newline included, makes the signature invalid.

Without --cert/--key, a declaration is signed with the development certificate of its
trader.taxId ($VENTANILLA_HOME/pki/holders/<RFC>.cer, with the password beside the key).`;

export async function signCommand(
  ctx: Pick<CliContext, 'config' | 'print'>,
  args: string[],
  flags: SigningFlags,
): Promise<void> {
  const [file, extra] = args;
  if (!file || extra !== undefined)
    throw new CliError(`sign needs one file (or - for stdin)\n\n${SIGN_HELP}`, 2);
  const value = readInput(file);
  const explicit = Boolean(flags.cert || flags.key);
  const trader = explicit ? undefined : traderOf(value);
  if (!explicit && !trader) {
    throw new CliError(
      `${file} is not a declaration with a trader.taxId, so there is no development certificate to pick: pass --cert F --key F [--password-file F]`,
      2,
    );
  }
  const signer = signerFor(ctx, flags, trader);
  const iat = Math.floor(Date.now() / 1000);
  const signature = await signDetached(value, signer, iat);
  const { rfc, serial, fingerprint } = signer.info;
  ctx.print(
    { header: SIGNATURE_HEADER, signature, iat, signer: { rfc, serial, fingerprint } },
    () => signature,
  );
}

function readInput(file: string): Buffer {
  try {
    // The bytes as they are: the signature covers exactly what will be sent.
    return readFileSync(file === '-' ? 0 : file);
  } catch (error) {
    throw new CliError(`cannot read ${file === '-' ? 'stdin' : file}: ${fileProblem(error)}`);
  }
}

/** `trader.taxId` of a declaration, or undefined for anything else (which needs --cert/--key). */
function traderOf(value: Buffer): string | undefined {
  let message: unknown;
  try {
    message = JSON.parse(value.toString('utf8'));
  } catch {
    return undefined;
  }
  const taxId = (message as { trader?: { taxId?: unknown } } | null)?.trader?.taxId;
  return typeof taxId === 'string' ? taxId : undefined;
}

import type { SignerRecord } from '../domain/audit.js';
import { devOfficerRfc } from '../identity/dev-holders.js';
import { SIGNATURE_HEADER, signDetached } from '../identity/jws.js';
import { SignatureGate } from '../identity/signature-gate.js';
import type { AgencyDecision } from '../schemas/types.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { signerFor, type SigningFlags } from './signing-choice.js';

/**
 * An officer's decision, signed by the officer's certificate (design.md §10): the officer recorded
 * is the certificate's holder, whose `OU` must be the deciding agency. The signature is verified
 * against the trust store before anything is sent, by the same gate as the decision bridge's,
 * so an expired or revoked certificate is refused here with its reason code.
 */
export async function signedDecision(
  ctx: CliContext,
  draft: Omit<AgencyDecision, 'officer'>,
  flags: SigningFlags & { officer?: string },
): Promise<{ decision: AgencyDecision; signer: SignerRecord }> {
  const signer = signerFor(ctx, flags, devOfficerRfc(draft.agency));
  const { info } = signer;
  if (flags.officer && flags.officer !== info.rfc) {
    throw new CliError(
      `--officer ${flags.officer} is not the certificate's holder (${info.rfc}); the officer recorded is the one who signs. Drop --officer, or sign with that officer's --cert/--key.`,
      2,
    );
  }
  const decision: AgencyDecision = { ...draft, officer: info.rfc };
  const value = Buffer.from(JSON.stringify(decision));
  const header = await signDetached(value, signer);
  const verdict = await SignatureGate.strict(ctx.config.trustDir).check(
    { value, headers: { [SIGNATURE_HEADER]: header } },
    Date.now(),
    { ou: draft.agency },
  );
  if (!verdict.ok) throw new CliError(`refused: ${verdict.code}: ${verdict.message}`);
  // A strict gate names the signer of every message it accepts; this is for the type checker.
  if (!verdict.signer) throw new CliError('refused: the decision carries no signature');
  return { decision, signer: verdict.signer };
}

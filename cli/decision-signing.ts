import type { SignerRecord } from '../domain/audit.js';
import { devOfficerRfc } from '../identity/dev-holders.js';
import { signDetached } from '../identity/jws.js';
import { SignatureVerifier, signerMismatch } from '../identity/signature-verifier.js';
import { TrustStore } from '../identity/trust-store.js';
import type { AgencyDecision } from '../schemas/types.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';
import { signerFor, type SigningFlags } from './signing-choice.js';

/**
 * An officer's decision, signed by the officer's certificate (design.md §10): the officer recorded
 * is the certificate's holder, whose `OU` must be the deciding agency. The signature is verified
 * against the trust store before anything is sent, by the same verifier as the decision bridge's,
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
  const verifier = new SignatureVerifier(TrustStore.load(ctx.config.trustDir));
  const verdict = await verifier.verify(value, header, Date.now());
  if (!verdict.ok) throw new CliError(`refused: ${verdict.code}: ${verdict.message}`);
  const mismatch = signerMismatch(verdict.signer, { ou: draft.agency });
  if (mismatch) throw new CliError(`refused: SIGNER_MISMATCH: ${mismatch}`);
  const { rfc, serial, fingerprint } = verdict.signer;
  return { decision, signer: { rfc, serial, fingerprint } };
}

import type { KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';

/**
 * The Kafka header that carries a message's signature (design.md §10); HTTP calls it
 * `Ventanilla-Signature`, and HTTP header names are case-insensitive.
 */
export const SIGNATURE_HEADER = 'ventanilla-signature';

/** The one algorithm signed and accepted: RSASSA-PKCS1-v1_5 with SHA-256, as the e.firma. */
export const SIGNATURE_ALG = 'RS256';

/**
 * A detached JWS (RFC 7515 Appendix F) over the exact bytes given, never a re-serialisation:
 * `<b64url(protected header)>..<b64url(signature)>`, the header `{"alg":"RS256","x5c":[...],"iat":n}`.
 */
export async function signDetached(
  value: Uint8Array,
  signer: { key: KeyObject; chain: Uint8Array[] },
  iat = Math.floor(Date.now() / 1000),
): Promise<string> {
  // jose writes the header with JSON.stringify, so the key order here is the order on the wire.
  const header = {
    alg: SIGNATURE_ALG,
    x5c: signer.chain.map((der) => Buffer.from(der).toString('base64')),
    iat,
  };
  const compact = await new CompactSign(value).setProtectedHeader(header).sign(signer.key);
  const [protectedHeader, , signature] = compact.split('.');
  return `${protectedHeader}..${signature}`;
}

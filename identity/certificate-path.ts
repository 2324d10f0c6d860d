import type { ParsedCertificate } from './certificate.js';
import type { TrustSnapshot } from './trust-store.js';
import { x509 } from './x509.js';

/** From the signer's certificate up to a CA of the trust store, each signed by the next. */
export type CertificatePath =
  | { trusted: true; path: ParsedCertificate[] }
  | { trusted: false; path: ParsedCertificate[]; message: string };

/**
 * Builds the path of design.md §10: the leaf, then intermediates from x5c, ending at a trust
 * anchor found by the issuer's name and a verified signature. Every signature is checked;
 * validity dates and revocation are not, as they depend on the moment of each message.
 */
export async function buildPath(
  leaf: ParsedCertificate,
  intermediates: readonly ParsedCertificate[],
  trust: TrustSnapshot,
): Promise<CertificatePath> {
  const path = [leaf];
  for (let current = leaf; path.length <= intermediates.length + 1;) {
    const issuer = current.info.issuer;
    const anchor = await signerOf(current, trust.anchorsNamed(issuer));
    if (anchor) return { trusted: true, path: [...path, anchor] };
    // A certificate can appear once: a chain that loops back on itself ends nowhere.
    const candidates = intermediates.filter((c) => !path.includes(c) && c.info.subject === issuer);
    const next = await signerOf(current, candidates);
    if (!next) return { trusted: false, path, message: untrusted(current, leaf, trust) };
    // Without this, any holder could sign a certificate for someone else with their own key.
    if (!mayIssue(next.cert)) {
      return { trusted: false, path, message: `"${next.info.subject}" in x5c is not a CA certificate` };
    }
    path.push(next);
    current = next;
  }
  return { trusted: false, path, message: untrusted(path.at(-1)!, leaf, trust) };
}

async function signerOf(
  cert: ParsedCertificate,
  candidates: readonly ParsedCertificate[],
): Promise<ParsedCertificate | undefined> {
  for (const candidate of candidates) {
    const signed = await cert.cert
      .verify({ publicKey: candidate.cert.publicKey, signatureOnly: true })
      .catch(() => false);
    if (signed) return candidate;
  }
  return undefined;
}

function mayIssue(cert: x509.X509Certificate): boolean {
  const constraints = cert.getExtension(x509.BasicConstraintsExtension);
  if (!constraints?.ca) return false;
  const usage = cert.getExtension(x509.KeyUsagesExtension);
  return !usage || (usage.usages & x509.KeyUsageFlags.keyCertSign) !== 0;
}

function untrusted(last: ParsedCertificate, leaf: ParsedCertificate, trust: TrustSnapshot): string {
  const anchors = trust.anchors.length === 0 ? ` (${trust.problems.join('; ') || 'it has no CA'})` : '';
  const via = last === leaf ? '' : ` (through "${last.info.subject}")`;
  return (
    `the certificate of "${leaf.info.subject}" is issued${via} by "${last.info.issuer}", ` +
    `which is not a CA of the trust store ${trust.dir}${anchors}`
  );
}

import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { errors, flattenedVerify } from 'jose';
import { parseCertificate, type CertificateInfo, type ParsedCertificate } from './certificate.js';
import { buildPath } from './certificate-path.js';
import { reason } from './identity-error.js';
import { SIGNATURE_ALG } from './jws.js';
import { readDetachedJws, type DetachedJws } from './jws-header.js';
import type { TrustSnapshot, TrustStore } from './trust-store.js';
import type { SignatureRefusal } from '../domain/failures.js';

/** The refusal reasons of design.md §10; domain/failures.ts owns the list. */
export type SignatureRefusalCode = SignatureRefusal;

/** Who signed: what the audit trail keeps (RFC, serial, fingerprint) and what callers match. */
export interface VerifiedSigner {
  rfc: string;
  name: string;
  ou?: string;
  serial: string;
  fingerprint: string;
}

export type SignatureVerdict =
  { ok: true; signer: VerifiedSigner } | { ok: false; code: SignatureRefusalCode; message: string };

export interface SignatureVerifierOptions {
  /** Distinct x5c chains kept parsed and verified; default 1000. */
  chainCacheSize?: number;
  /** Longer header values are refused unread; default 64 KiB. */
  maxHeaderBytes?: number;
  /** How far iat may be from the record's timestamp; default 10 minutes. */
  maxSkewMs?: number;
}

const MIN_RSA_BITS = 2048;

/** What one x5c comes to, worked out once: parsing and path building cost milliseconds. */
type Chain =
  | { generation: number; ok: false; code: SignatureRefusalCode; message: string }
  | { generation: number; ok: true; key: KeyObject; path: CertificateInfo[]; untrusted?: string };

type Refusal = Extract<SignatureVerdict, { ok: false }>;

const refuse = (code: SignatureRefusalCode, message: string): Refusal => ({
  ok: false,
  code,
  message,
});

/**
 * Verifies the detached signature of a message (design.md §10) against the trust store. Never
 * throws: any input, however malformed, comes back as a refusal with a message for the trader.
 */
export class SignatureVerifier {
  private readonly chains = new Map<string, Promise<Chain>>();
  private readonly chainCacheSize: number;
  private readonly maxHeaderBytes: number;
  private readonly maxSkewMs: number;

  constructor(
    private readonly trust: TrustStore,
    options: SignatureVerifierOptions = {},
  ) {
    this.chainCacheSize = options.chainCacheSize ?? 1000;
    this.maxHeaderBytes = options.maxHeaderBytes ?? 64 * 1024;
    this.maxSkewMs = options.maxSkewMs ?? 600_000;
  }

  async verify(
    value: Uint8Array,
    header: string | Buffer | undefined | null,
    recordTimestampMs: number,
  ): Promise<SignatureVerdict> {
    try {
      return await this.check(value, header, recordTimestampMs);
    } catch (error) {
      // Only a bug of ours gets here; the message is still refused, and says what happened.
      return refuse('SIGNATURE_INVALID', `the signature could not be verified: ${reason(error)}`);
    }
  }

  private async check(value: unknown, header: unknown, timestampMs: number): Promise<SignatureVerdict> {
    const jws = readDetachedJws(header, this.maxHeaderBytes);
    if ('code' in jws) return refuse(jws.code, jws.message);
    if (!(value instanceof Uint8Array)) return refuse('SIGNATURE_INVALID', 'the signed value is not bytes');
    const skew = this.skewProblem(jws.iat, timestampMs);
    if (skew) return refuse('SIGNATURE_INVALID', skew);
    const trust = await this.trust.current();
    const chain = await this.chainFor(jws.x5c, trust);
    if (!chain.ok) return refuse(chain.code, chain.message);
    const badSignature = await signatureProblem(value, jws, chain.key);
    if (badSignature) return refuse('SIGNATURE_INVALID', badSignature);
    if (chain.untrusted) return refuse('CERTIFICATE_UNTRUSTED', chain.untrusted);
    return verdictAt(chain.path, jws.iat, trust);
  }

  /**
   * The key and holder of an x5c chain that ends in the trust store, checked as for a signature
   * made at `atSeconds` (validity, revocation, an RFC): for JWS forms other than the detached
   * signature of a message, such as the gateway's bearer tokens (identity/bearer-token.ts).
   */
  async holderOf(
    x5c: string[],
    atSeconds: number,
  ): Promise<
    { ok: true; key: KeyObject; signer: VerifiedSigner } | Extract<SignatureVerdict, { ok: false }>
  > {
    try {
      const trust = await this.trust.current();
      const chain = await this.chainFor(x5c, trust);
      if (!chain.ok) return refuse(chain.code, chain.message);
      if (chain.untrusted) return refuse('CERTIFICATE_UNTRUSTED', chain.untrusted);
      const verdict = verdictAt(chain.path, atSeconds, trust);
      return verdict.ok ? { ok: true, key: chain.key, signer: verdict.signer } : verdict;
    } catch (error) {
      return refuse('SIGNATURE_INVALID', `the certificate could not be checked: ${reason(error)}`);
    }
  }

  private skewProblem(iat: number, timestampMs: number): string | undefined {
    if (typeof timestampMs !== 'number' || !Number.isFinite(timestampMs)) {
      return 'the message has no timestamp to compare the signature time (iat) with';
    }
    const skew = iat * 1000 - timestampMs;
    if (Math.abs(skew) <= this.maxSkewMs) return undefined;
    const seconds = Math.round(Math.abs(skew) / 1000);
    return (
      `signed at ${new Date(iat * 1000).toISOString()} (iat), ${seconds} s ${skew > 0 ? 'after' : 'before'} ` +
      `the message's timestamp ${new Date(timestampMs).toISOString()}; at most ${this.maxSkewMs / 1000} s apart are accepted`
    );
  }

  /** The chain of an x5c from a bounded LRU, built again when the trust store was re-read. */
  private chainFor(x5c: string[], trust: TrustSnapshot): Promise<Chain> {
    const id = createHash('sha256').update(x5c.join(',')).digest('base64url');
    const cached = this.chains.get(id);
    this.chains.delete(id);
    if (cached) {
      this.chains.set(id, cached);
      // Built on an older reading of the trust store: build it again, a CA may have gone since.
      return cached.then((chain) =>
        chain.generation === trust.generation ? chain : this.rebuild(id, x5c, trust),
      );
    }
    return this.rebuild(id, x5c, trust);
  }

  private rebuild(id: string, x5c: string[], trust: TrustSnapshot): Promise<Chain> {
    const chain = buildChain(x5c, trust);
    this.chains.delete(id);
    this.chains.set(id, chain);
    while (this.chains.size > this.chainCacheSize) this.chains.delete(this.chains.keys().next().value!);
    return chain;
  }
}

/** Never rejects: a rejected promise in the cache would outlive a change of the trust store. */
async function buildChain(x5c: string[], trust: TrustSnapshot): Promise<Chain> {
  try {
    return await parseAndBuild(x5c, trust);
  } catch (error) {
    const message = `the certificates of x5c cannot be used: ${reason(error)}`;
    return { generation: trust.generation, ok: false, code: 'SIGNATURE_INVALID', message };
  }
}

async function parseAndBuild(x5c: string[], trust: TrustSnapshot): Promise<Chain> {
  const generation = trust.generation;
  const certs: ParsedCertificate[] = [];
  for (const [index, text] of x5c.entries()) {
    try {
      certs.push(parseCertificate(Buffer.from(text, 'base64')));
    } catch (error) {
      return { generation, ok: false, code: 'SIGNATURE_INVALID', message: `x5c[${index}]: ${reason(error)}` };
    }
  }
  const [leaf, ...intermediates] = certs as [ParsedCertificate, ...ParsedCertificate[]];
  const key = createPublicKey({ key: Buffer.from(leaf.cert.publicKey.rawData), format: 'der', type: 'spki' });
  // Checked before the signature, which jose would refuse with a less telling TypeError.
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS) {
    const what = key.asymmetricKeyType === 'rsa' ? `RSA ${bits}` : (key.asymmetricKeyType ?? 'unknown');
    const message = `the signer's key is ${what}; ${SIGNATURE_ALG} needs RSA of at least ${MIN_RSA_BITS} bits`;
    return { generation, ok: false, code: 'CERTIFICATE_UNTRUSTED', message };
  }
  const built = await buildPath(leaf, intermediates, trust);
  const path = built.path.map((c) => c.info);
  return { generation, ok: true, key, path, ...(built.trusted ? {} : { untrusted: built.message }) };
}

async function signatureProblem(
  value: Uint8Array,
  jws: DetachedJws,
  key: KeyObject,
): Promise<string | undefined> {
  // The signing input of RFC 7515 is over base64url(value): the exact bytes, never re-serialised.
  const payload = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64url');
  try {
    await flattenedVerify({ protected: jws.encodedHeader, payload, signature: jws.signature }, key, {
      algorithms: [SIGNATURE_ALG],
    });
    return undefined;
  } catch (error) {
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return 'the signature does not match the message: it was changed after signing, or signed by another key';
    }
    return `the signature cannot be checked: ${reason(error)}`;
  }
}

/** The per-message checks of a trusted path: validity at iat, revocation, an RFC to match. */
function verdictAt(path: CertificateInfo[], iat: number, trust: TrustSnapshot): SignatureVerdict {
  const at = iat * 1000;
  const leaf = path[0]!;
  for (const cert of path) {
    const who =
      cert === leaf ? `the signer's certificate ${cert.serial}` : `the CA certificate "${cert.subject}"`;
    if (at < cert.notBefore.getTime()) {
      return refuse(
        'CERTIFICATE_EXPIRED',
        `${who} is valid only from ${cert.notBefore.toISOString()}, after iat`,
      );
    }
    if (at > cert.notAfter.getTime()) {
      return refuse('CERTIFICATE_EXPIRED', `${who} expired on ${cert.notAfter.toISOString()}, before iat`);
    }
  }
  for (const cert of path) {
    const listed = trust.revocation(cert);
    if (listed)
      return refuse(
        'CERTIFICATE_REVOKED',
        `certificate ${cert.serial} (${cert.subject}) is revoked in ${listed}`,
      );
  }
  if (!leaf.rfc) {
    return refuse(
      'CERTIFICATE_UNTRUSTED',
      `the signer's certificate has no RFC (x500UniqueIdentifier, 2.5.4.45)`,
    );
  }
  const { rfc, name, ou, serial, fingerprint } = leaf;
  return { ok: true, signer: { rfc, name, ...(ou ? { ou } : {}), serial, fingerprint } };
}

/**
 * Why a verified signer is not who the message needs (SIGNER_MISMATCH), or undefined: the trader
 * of the declaration by RFC, the deciding agency by OU.
 */
export function signerMismatch(
  signer: Pick<VerifiedSigner, 'rfc' | 'ou'>,
  expected: { rfc?: string; ou?: string },
): string | undefined {
  if (expected.rfc !== undefined && signer.rfc.toUpperCase() !== expected.rfc.toUpperCase()) {
    return `signed by RFC ${signer.rfc}, but the message is of RFC ${expected.rfc}`;
  }
  if (expected.ou !== undefined && signer.ou?.toUpperCase() !== expected.ou.toUpperCase()) {
    const by = signer.ou ? `OU=${signer.ou}` : 'a certificate without OU';
    return `signed by ${by}, but the message needs a certificate of OU=${expected.ou}`;
  }
  return undefined;
}

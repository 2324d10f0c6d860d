import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { IdentityError, reason } from './identity-error.js';
import { x509 } from './x509.js';

/** `x500UniqueIdentifier`: where SAT's certificates, and ours, carry the holder's RFC (design.md §10). */
export const RFC_OID = '2.5.4.45';

export interface CertificateInfo {
  /** The holder's RFC from the subject's x500UniqueIdentifier; '' when the certificate has none. */
  rfc: string;
  /** The subject's CN. */
  name: string;
  /** The subject's OU: the agency of an officer, OPERATIONS for an operator. */
  ou?: string;
  /** Lower-case hex without leading zeros (see normaliseSerial), the form revoked.txt is matched in. */
  serial: string;
  /** SHA-256 of the DER, lower-case hex: what the audit trail records. */
  fingerprint: string;
  notBefore: Date;
  notAfter: Date;
  subject: string;
  issuer: string;
  der: Uint8Array;
}

/**
 * One form for a serial wherever it comes from: a certificate's DER integer (with a 00 pad when
 * its high bit is set), `openssl x509 -serial` (upper case), or a person typing `0A:1B:...`.
 * Undefined when the text is not hex.
 */
export function normaliseSerial(text: string): string | undefined {
  const hex = text.replace(/[\s:]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) return undefined;
  return hex.replace(/^0+/, '') || '0';
}

/** A parsed certificate and its summary, for callers that go on to check signatures with it. */
export interface ParsedCertificate {
  cert: x509.X509Certificate;
  info: CertificateInfo;
}

export function parseCertificate(der: Uint8Array): ParsedCertificate {
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(der);
  } catch (error) {
    throw new IdentityError(`not an X.509 certificate (${reason(error)})`);
  }
  return { cert, info: summary(cert, der) };
}

export function certificateInfo(der: Uint8Array): CertificateInfo {
  return parseCertificate(der).info;
}

function summary(cert: x509.X509Certificate, der: Uint8Array): CertificateInfo {
  const field = (id: string) => cert.subjectName.getField(id)[0]?.trim() || undefined;
  // SAT writes "RFC / CURP" (or the representative's RFC) in this attribute: the RFC comes first.
  const rfc = (field(RFC_OID) ?? '').split('/')[0]!.trim();
  const ou = field('OU');
  return {
    rfc,
    name: field('CN') ?? '',
    ...(ou ? { ou } : {}),
    serial: normaliseSerial(cert.serialNumber) ?? cert.serialNumber.toLowerCase(),
    fingerprint: createHash('sha256').update(der).digest('hex'),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
    subject: cert.subject,
    issuer: cert.issuer,
    der: new Uint8Array(der),
  };
}

/** Every certificate in a file: a DER `.cer`, or each CERTIFICATE block of a PEM file. */
export function readCertificates(path: string): Uint8Array[] {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new IdentityError(`cannot read certificate ${path}: ${fileProblem(error)}`);
  }
  const text = bytes.subarray(0, 64).toString('latin1');
  if (!text.includes('-----BEGIN')) return [new Uint8Array(bytes)];
  let blocks: x509.PemStruct[];
  try {
    blocks = x509.PemConverter.decodeWithHeaders(bytes.toString('latin1'));
  } catch (error) {
    throw new IdentityError(`cannot read certificate ${path}: bad PEM (${reason(error)})`);
  }
  const certificates = blocks.filter((block) => block.type === x509.PemConverter.CertificateTag);
  if (certificates.length === 0) {
    throw new IdentityError(`cannot read certificate ${path}: the PEM file has no CERTIFICATE block`);
  }
  return certificates.map((block) => new Uint8Array(block.rawData));
}

/** The certificate of a `.cer` (DER) or PEM file (its first, when a PEM file holds several). */
export function readCertificateFile(path: string): CertificateInfo {
  const [der] = readCertificates(path);
  try {
    return certificateInfo(der!);
  } catch (error) {
    throw new IdentityError(`cannot read certificate ${path}: ${reason(error)}`);
  }
}

/** "no such file" rather than ENOENT and a stack: the reader can act on it. */
export function fileProblem(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES' || code === 'EPERM') return 'permission denied';
  if (code === 'EISDIR') return 'is a directory, not a file';
  return reason(error);
}

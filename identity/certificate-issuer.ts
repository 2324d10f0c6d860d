import { generateKeyPair, randomBytes, webcrypto, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { certificateInfo, RFC_OID, type CertificateInfo } from './certificate.js';
import { x509 } from './x509.js';

type CryptoKey = webcrypto.CryptoKey;

// Certificates of the e.firma shape (design.md §10): X.509 v3, RSA 2048, SHA-256 with
// RSASSA-PKCS1-v1_5, the RFC in x500UniqueIdentifier. No files here: pki.ts keeps them.

const RSA_BITS = 2048;
const SIGNING = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

/** A new key pair: the node KeyObject to export encrypted, and WebCrypto keys for @peculiar/x509. */
export interface NewKey {
  privateKey: KeyObject;
  keys: webcrypto.CryptoKeyPair;
}

export async function newRsaKey(): Promise<NewKey> {
  // Asynchronous: a 2048-bit key takes a few hundred milliseconds, npm start should not freeze.
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: RSA_BITS });
  return {
    privateKey,
    keys: {
      privateKey: await signingKey(privateKey),
      publicKey: await webcrypto.subtle.importKey(
        'spki',
        publicKey.export({ type: 'spki', format: 'der' }),
        SIGNING,
        true,
        ['verify'],
      ),
    },
  };
}

/** A node private key as the WebCrypto key @peculiar/x509 signs with. */
export function signingKey(privateKey: KeyObject): Promise<CryptoKey> {
  return webcrypto.subtle.importKey(
    'pkcs8',
    privateKey.export({ type: 'pkcs8', format: 'der' }),
    SIGNING,
    false,
    ['sign'],
  );
}

/** 16 random bytes, high bit clear: a positive DER integer, unguessable as RFC 5280 advises. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 1;
  return bytes.toString('hex');
}

export async function createCaCertificate(
  name: string,
  key: NewKey,
  validity: { notBefore: Date; notAfter: Date },
): Promise<CertificateInfo> {
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: new x509.Name([
      { CN: [{ utf8String: name }] },
      { O: [{ utf8String: 'Ventanilla (development)' }] },
    ]),
    ...validity,
    keys: key.keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(key.keys.publicKey),
    ],
  });
  return certificateInfo(new Uint8Array(cert.rawData));
}

export interface HolderSubject {
  rfc: string;
  name: string;
  /** The agency of an officer, OPERATIONS for an operator, none for a trader. */
  ou?: string;
}

export async function createHolderCertificate(
  subject: HolderSubject,
  holderKey: CryptoKey,
  ca: { cert: CertificateInfo; key: CryptoKey },
  validity: { notBefore: Date; notAfter: Date },
): Promise<CertificateInfo> {
  // SAT writes the RFC as a PrintableString; an RFC with Ñ or & cannot be one, so UTF-8 then.
  const rfc = x509.Name.isPrintableString(subject.rfc)
    ? { printableString: subject.rfc }
    : { utf8String: subject.rfc };
  const caCert = new x509.X509Certificate(ca.cert.der);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: new x509.Name([
      { CN: [{ utf8String: subject.name }] },
      { [RFC_OID]: [rfc] },
      ...(subject.ou ? [{ OU: [{ utf8String: subject.ou }] }] : []),
    ]),
    issuer: caCert.subjectName,
    ...validity,
    publicKey: holderKey,
    signingKey: ca.key,
    signingAlgorithm: SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(holderKey),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return certificateInfo(new Uint8Array(cert.rawData));
}

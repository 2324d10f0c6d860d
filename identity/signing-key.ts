import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readCertificates, fileProblem, parseCertificate, type CertificateInfo } from './certificate.js';
import { IdentityError, reason } from './identity-error.js';

/** What signDetached needs: the private key and the chain that goes in `x5c`. */
export interface Signer {
  key: KeyObject;
  /** DER certificates, the signer's first, then any intermediates up to (not necessarily incl.) the CA. */
  chain: Uint8Array[];
  info: CertificateInfo;
}

export interface SignerFiles {
  certFile: string;
  keyFile: string;
  /** Where the key's password is; without it (and without `password`), `<key>.password` beside the key. */
  passwordFile?: string;
  password?: string;
  /** Intermediate CA certificates to send after the signer's (DER or PEM, several per PEM file). */
  chainFiles?: string[];
}

/** The beside-the-key password file of the development PKI (`<RFC>.key` → `<RFC>.password`). */
export const passwordFileBeside = (keyFile: string): string => `${keyFile.replace(/\.key$/i, '')}.password`;

/** Opens a certificate and its encrypted PKCS#8 key (DER, or PEM as openssl writes it). */
export function loadSigner(files: SignerFiles): Signer {
  const [leaf, ...bundled] = readCertificates(files.certFile);
  let info: CertificateInfo;
  let spki: Buffer;
  try {
    const parsed = parseCertificate(leaf!);
    info = parsed.info;
    spki = Buffer.from(parsed.cert.publicKey.rawData);
  } catch (error) {
    throw new IdentityError(`cannot read certificate ${files.certFile}: ${reason(error)}`);
  }
  const password = passwordOf(files, info);
  const where = password.file ? `read from ${password.file}; ` : '';
  const hint = `${where}in development the password is in ${info.rfc || '<rfc>'}.password beside the key`;
  const key = openKey(files.keyFile, password.text, hint);
  // A key of another certificate would sign what every verifier refuses: say so here instead.
  const keySpki = createPublicKey(key).export({ type: 'spki', format: 'der' });
  if (!keySpki.equals(spki)) {
    throw new IdentityError(
      `the key ${files.keyFile} does not belong to the certificate ${files.certFile} (${info.rfc || info.subject})`,
    );
  }
  const chain = [leaf!, ...bundled, ...(files.chainFiles ?? []).flatMap((file) => readCertificates(file))];
  return { key, chain, info };
}

/** The password, and the file it came from (for the error that says it is wrong). */
function passwordOf(files: SignerFiles, info: CertificateInfo): { text: string; file?: string } {
  if (files.password !== undefined) return { text: files.password };
  const file = files.passwordFile ?? passwordFileBeside(files.keyFile);
  if (!files.passwordFile && !existsSync(file)) {
    throw new IdentityError(
      `no password for ${files.keyFile}: pass --password-file (in development it is ${info.rfc || 'the holder'}.password beside the key)`,
    );
  }
  try {
    // The first line, as `openssl -passin file:` reads it: an editor's final newline is not part of it.
    const text = readFileSync(file, 'utf8').split(/\r?\n/)[0]!;
    return { text, file };
  } catch (error) {
    throw new IdentityError(`cannot read the password file ${file}: ${fileProblem(error)}`);
  }
}

function openKey(keyFile: string, passphrase: string, hint: string): KeyObject {
  let bytes: Buffer;
  try {
    bytes = readFileSync(keyFile);
  } catch (error) {
    throw new IdentityError(`cannot read key ${keyFile}: ${fileProblem(error)}`);
  }
  const pem = bytes.subarray(0, 64).toString('latin1').includes('-----BEGIN');
  let key: KeyObject;
  try {
    key = pem
      ? createPrivateKey({ key: bytes, format: 'pem', passphrase })
      : createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8', passphrase });
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === 'ERR_OSSL_BAD_DECRYPT' || code === 'ERR_MISSING_PASSPHRASE') {
      throw new IdentityError(`cannot open ${keyFile}: wrong password (${hint})`);
    }
    // A wrong password can also decrypt to garbage that happens to pass the padding check.
    throw new IdentityError(
      `cannot open ${keyFile}: not an encrypted PKCS#8 private key, or a wrong password (${hint}; ${reason(error)})`,
    );
  }
  if (key.asymmetricKeyType !== 'rsa') {
    throw new IdentityError(`${keyFile} holds a ${key.asymmetricKeyType ?? 'non-RSA'} key; RS256 needs RSA`);
  }
  return key;
}

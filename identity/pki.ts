import { randomBytes, type KeyObject } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileProblem, normaliseSerial, readCertificateFile, type CertificateInfo } from './certificate.js';
import { createCaCertificate, createHolderCertificate, newRsaKey, signingKey } from './certificate-issuer.js';
import { IdentityError } from './identity-error.js';
import { loadSigner } from './signing-key.js';
import { parseRevokedList, REVOKED_FILE, TrustStore } from './trust-store.js';
import { x509 } from './x509.js';

// The development PKI of design.md §10, on disk:
//   <pkiDir>/ca/ca.cer|ca.key|ca.password            the CA (key encrypted, password 0600)
//   <pkiDir>/holders/<RFC>.cer|<RFC>.key|<RFC>.password  traders, officers, operators
//   <trustDir>/<ca-name>-<serial>.cer, revoked.txt   what verifiers trust and refuse
// Production keys and passwords never live here: production points the trust store elsewhere.

export interface PkiDirs {
  pkiDir: string;
  trustDir: string;
}

export type HolderKind = 'trader' | 'officer' | 'operator';
const HOLDER_KINDS: readonly HolderKind[] = ['trader', 'officer', 'operator'];

/** The OU of an operator's certificate (an officer's is the agency code). */
export const OPERATIONS_OU = 'OPERATIONS';
const DEFAULT_CA_NAME = 'Ventanilla Development CA';
const DEFAULT_CA_DAYS = 3650;
const DEFAULT_HOLDER_DAYS = 730;
/** notBefore is set this far back, so that a clock a little behind still finds the certificate valid. */
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
/** SAT's RFC: 3 letters (a company) or 4 (a person), a date, a three-character homoclave. */
const RFC_SHAPE = /^[A-ZÑ&]{3,4}\d{6}[A-Z0-9]{3}$/u;
const AGENCY_SHAPE = /^[A-Z][A-Z0-9_]*$/;

export interface HolderFiles {
  certFile: string;
  keyFile: string;
  passwordFile: string;
}

const caFiles = (caDir: string): HolderFiles => ({
  certFile: join(caDir, 'ca.cer'),
  keyFile: join(caDir, 'ca.key'),
  passwordFile: join(caDir, 'ca.password'),
});

/** Where the development PKI keeps a holder's certificate, key and password. */
export function holderFiles(dirs: Pick<PkiDirs, 'pkiDir'>, rfc: string): HolderFiles {
  const name = checkedRfc(rfc);
  const dir = join(dirs.pkiDir, 'holders');
  return {
    certFile: join(dir, `${name}.cer`),
    keyFile: join(dir, `${name}.key`),
    passwordFile: join(dir, `${name}.password`),
  };
}

/** Creates the CA unless there is one, and makes sure the trust store has its certificate. */
export async function initPki(
  dirs: PkiDirs,
  options: { name?: string; validDays?: number } = {},
): Promise<{ created: boolean; ca: CertificateInfo; caFile: string }> {
  const caDir = join(dirs.pkiDir, 'ca');
  const files = caFiles(caDir);
  if (existsSync(files.certFile)) return kept(dirs, files.certFile);
  const key = await newRsaKey();
  const notBefore = new Date(Date.now() - BACKDATE_MS);
  const notAfter = new Date(notBefore.getTime() + (options.validDays ?? DEFAULT_CA_DAYS) * DAY_MS);
  const ca = await createCaCertificate(options.name ?? DEFAULT_CA_NAME, key, { notBefore, notAfter });
  // Made aside and renamed into place at once: two processes starting together agree on one CA.
  mkdirSync(dirs.pkiDir, { recursive: true, mode: 0o700 });
  const staging = mkdtempSync(join(dirs.pkiDir, '.ca-'));
  const password = newPassword();
  const staged = caFiles(staging);
  writeSecret(staged.keyFile, encryptedKey(key.privateKey, password));
  writeSecret(staged.passwordFile, `${password}\n`);
  writeFileSync(staged.certFile, ca.der);
  try {
    renameSync(staging, caDir);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ENOTEMPTY' || code === 'EEXIST') && existsSync(files.certFile))
      return kept(dirs, files.certFile);
    throw new IdentityError(
      `cannot create the CA in ${caDir}: ${fileProblem(error)} (remove ${caDir} and retry)`,
    );
  }
  publishCa(dirs.trustDir, ca);
  return { created: true, ca, caFile: files.certFile };
}

function kept(dirs: PkiDirs, caFile: string): { created: false; ca: CertificateInfo; caFile: string } {
  const ca = readCertificateFile(caFile);
  publishCa(dirs.trustDir, ca);
  return { created: false, ca, caFile };
}

/** The CA certificate in the trust store, and an empty revocation list to add serials to. */
function publishCa(trustDir: string, ca: CertificateInfo): void {
  mkdirSync(trustDir, { recursive: true });
  const slug =
    ca.name
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-|-$/g, '') || 'ca';
  const file = join(trustDir, `${slug}-${ca.serial}.cer`);
  if (!existsSync(file)) writeAtomic(file, ca.der);
  const revoked = join(trustDir, REVOKED_FILE);
  if (!existsSync(revoked)) {
    writeAtomic(
      revoked,
      '# Revoked certificates: one hex serial per line (ventanilla pki revoke <serial>).\n',
    );
  }
}

export interface HolderRequest {
  kind: HolderKind;
  rfc: string;
  name: string;
  /** The officer's agency code, the certificate's OU (officers only). */
  agency?: string;
  validFrom?: Date;
  validTo?: Date;
  validDays?: number;
  /** Another CA's directory (its ca.cer, ca.key, ca.password) instead of `<pkiDir>/ca`. */
  caDir?: string;
}

export interface IssuedCertificate {
  info: CertificateInfo;
  certFile: string;
  keyFile: string;
  passwordFile: string;
  password: string;
}

/** A new key and certificate for a holder, replacing any it had; the password comes back once. */
export async function issueCertificate(dirs: PkiDirs, request: HolderRequest): Promise<IssuedCertificate> {
  const subject = holderSubject(request);
  const caDir = request.caDir ?? join(dirs.pkiDir, 'ca');
  const ca = openCa(caDir);
  const notBefore = request.validFrom ?? new Date(Date.now() - BACKDATE_MS);
  const notAfter =
    request.validTo ?? new Date(notBefore.getTime() + (request.validDays ?? DEFAULT_HOLDER_DAYS) * DAY_MS);
  if (!(notAfter.getTime() > notBefore.getTime())) {
    throw new IdentityError(`a certificate must end after it starts (${notBefore.toISOString()})`);
  }
  const key = await newRsaKey();
  const info = await createHolderCertificate(
    subject,
    key.keys.publicKey,
    { cert: ca.info, key: await signingKey(ca.key) },
    { notBefore, notAfter },
  );
  const password = newPassword();
  const files = holderFiles(dirs, subject.rfc);
  mkdirSync(join(dirs.pkiDir, 'holders'), { recursive: true, mode: 0o700 });
  // The certificate last: a holder whose .cer exists has its key and password too.
  writeSecret(files.keyFile, encryptedKey(key.privateKey, password));
  writeSecret(files.passwordFile, `${password}\n`);
  writeAtomic(files.certFile, info.der);
  return { info, ...files, password };
}

function holderSubject(request: HolderRequest): { rfc: string; name: string; ou?: string } {
  if (!HOLDER_KINDS.includes(request.kind)) {
    throw new IdentityError(`unknown holder kind "${request.kind}": one of ${HOLDER_KINDS.join(', ')}`);
  }
  const rfc = checkedRfc(request.rfc);
  const name = request.name?.trim();
  if (!name) throw new IdentityError(`a certificate needs the holder's name (RFC ${rfc})`);
  const agency = request.agency?.trim().toUpperCase();
  if (request.kind !== 'officer') {
    if (agency)
      throw new IdentityError(`only an officer's certificate has an agency, not a ${request.kind}'s`);
    return { rfc, name, ...(request.kind === 'operator' ? { ou: OPERATIONS_OU } : {}) };
  }
  if (!agency || !AGENCY_SHAPE.test(agency)) {
    throw new IdentityError(
      `an officer's certificate needs the agency code (its OU, e.g. HEALTH), got "${agency ?? ''}"`,
    );
  }
  return { rfc, name, ou: agency };
}

function checkedRfc(text: string): string {
  const rfc = String(text ?? '')
    .trim()
    .toUpperCase();
  if (!RFC_SHAPE.test(rfc)) {
    throw new IdentityError(
      `"${text}" is not an RFC: 3 or 4 letters, 6 digits (a date) and 3 letters or digits, e.g. ANO970512KX3`,
    );
  }
  return rfc;
}

function openCa(caDir: string): { info: CertificateInfo; key: KeyObject } {
  const files = caFiles(caDir);
  if (!existsSync(files.certFile)) {
    throw new IdentityError(`there is no CA in ${caDir}: run "ventanilla pki init" first`);
  }
  return loadSigner(files);
}

/**
 * Adds a serial to revoked.txt (verifiers pick it up within seconds); `added` is false when it was
 * already there. `serial` comes back normalised, as listed.
 */
export async function revokeCertificate(
  dirs: PkiDirs,
  serial: string,
): Promise<{ added: boolean; serial: string; file: string }> {
  const normal = normaliseSerial(serial);
  if (!normal)
    throw new IdentityError(`"${serial}" is not a certificate serial (hex digits, colons allowed)`);
  const file = join(dirs.trustDir, REVOKED_FILE);
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (parseRevokedList(before).serials.has(normal)) return { added: false, serial: normal, file };
  mkdirSync(dirs.trustDir, { recursive: true });
  // The whole file again, renamed into place: a verifier reading it never sees half a line.
  const separator = before && !before.endsWith('\n') ? '\n' : '';
  writeAtomic(file, `${before}${separator}${normal}\n`);
  return { added: true, serial: normal, file };
}

export type ListedCertificate = CertificateInfo & { kind: HolderKind | 'ca'; file: string; revoked: boolean };

/** The CA, the other CAs of the trust store and every holder, each marked revoked or not. */
export async function listCertificates(dirs: PkiDirs): Promise<ListedCertificate[]> {
  const revocations = await trustSnapshot(dirs.trustDir);
  const listed: ListedCertificate[] = [];
  const add = (file: string, kind: (info: CertificateInfo) => ListedCertificate['kind']) => {
    let info: CertificateInfo;
    try {
      info = readCertificateFile(file);
    } catch {
      return; // Not a certificate (a stray file): a listing is no place to stop over it.
    }
    if (listed.some((other) => other.fingerprint === info.fingerprint)) return;
    listed.push({ ...info, kind: kind(info), file, revoked: revocations?.revocation(info) !== undefined });
  };
  const caFile = caFiles(join(dirs.pkiDir, 'ca')).certFile;
  if (existsSync(caFile)) add(caFile, () => 'ca');
  for (const file of filesIn(dirs.trustDir, /\.(cer|pem|crt)$/i)) add(file, () => 'ca');
  for (const file of filesIn(join(dirs.pkiDir, 'holders'), /\.cer$/i)) add(file, kindOf);
  return listed;
}

async function trustSnapshot(trustDir: string) {
  try {
    return await TrustStore.load(trustDir).current();
  } catch {
    return undefined; // No trust store yet: nothing can be revoked in it either.
  }
}

const kindOf = (info: CertificateInfo): HolderKind =>
  info.ou === OPERATIONS_OU ? 'operator' : info.ou ? 'officer' : 'trader';

function filesIn(dir: string, pattern: RegExp): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => pattern.test(name))
    .sort()
    .map((name) => join(dir, name));
}

/**
 * What `npm start` needs to sign in development: the CA, and a usable certificate for every
 * holder (made when missing, expiring within a day, of another CA, or unreadable).
 */
export async function ensureDevPki(
  dirs: PkiDirs,
  holders: Array<{ kind: HolderKind; rfc: string; name: string; agency?: string }>,
): Promise<{ createdCa: boolean; issued: string[] }> {
  const { created, ca } = await initPki(dirs);
  const caCert = new x509.X509Certificate(ca.der);
  const issued: string[] = [];
  for (const holder of holders) {
    if (await usable(dirs, holder, caCert)) continue;
    const { info } = await issueCertificate(dirs, holder);
    issued.push(info.rfc);
  }
  return { createdCa: created, issued };
}

async function usable(
  dirs: PkiDirs,
  holder: { kind: HolderKind; rfc: string; agency?: string },
  caCert: x509.X509Certificate,
): Promise<boolean> {
  const files = holderFiles(dirs, holder.rfc);
  if (!existsSync(files.certFile)) return false;
  try {
    const { info } = loadSigner(files);
    const expected = holderSubject({ ...holder, name: info.name || 'x' }).ou;
    if (info.ou !== expected || info.notAfter.getTime() < Date.now() + DAY_MS) return false;
    const cert = new x509.X509Certificate(info.der);
    return await cert.verify({ publicKey: caCert.publicKey, signatureOnly: true });
  } catch {
    return false; // A wrong password, a key of another certificate: issue a working pair instead.
  }
}

const newPassword = () => randomBytes(24).toString('base64url');

const encryptedKey = (key: KeyObject, passphrase: string): Buffer =>
  key.export({ format: 'der', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase });

/** Written aside and renamed: a reader never sees half a file. */
function writeAtomic(file: string, data: Uint8Array | string, mode = 0o644): void {
  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeFileSync(temporary, data, { mode });
    renameSync(temporary, file);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw new IdentityError(`cannot write ${file}: ${fileProblem(error)}`);
  }
}

/** Keys and passwords: readable by their owner only. */
const writeSecret = (file: string, data: Uint8Array | string) => writeAtomic(file, data, 0o600);

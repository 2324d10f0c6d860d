import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { fileProblem, normaliseSerial, parseCertificate, readCertificates } from './certificate.js';
import type { CertificateInfo } from './certificate.js';
import { IdentityError, reason } from './identity-error.js';
import { x509 } from './x509.js';

/** The revocation list kept as text beside the CA certificates (design.md §10). */
export const REVOKED_FILE = 'revoked.txt';
const ANCHOR_EXTENSIONS = new Set(['.cer', '.pem', '.crt']);
const CRL_EXTENSION = '.crl';
/** How often a verifier looks for changed files: a revocation takes effect within this, no restart. */
const DEFAULT_RECHECK_MS = 5_000;

export interface TrustAnchor {
  cert: x509.X509Certificate;
  info: CertificateInfo;
  file: string;
}

/** One reading of the trust directory: its CAs and what they revoke. Immutable. */
export class TrustSnapshot {
  private readonly bySubject = new Map<string, TrustAnchor[]>();

  constructor(
    readonly dir: string,
    /** Increases at every re-reading, so that caches built on an older one can tell. */
    readonly generation: number,
    readonly anchors: readonly TrustAnchor[],
    private readonly revokedSerials: ReadonlySet<string>,
    /** `<issuer>\n<serial>` → the CRL file that revokes it. */
    private readonly crlEntries: ReadonlyMap<string, string>,
    /** Files that were skipped and why (a bad line, an unsigned CRL): for the process to log. */
    readonly problems: readonly string[],
  ) {
    for (const anchor of anchors) {
      const list = this.bySubject.get(anchor.info.subject) ?? [];
      this.bySubject.set(anchor.info.subject, [...list, anchor]);
    }
  }

  /** The CAs that may have issued a certificate of this issuer name (several while rotating keys). */
  anchorsNamed(issuer: string): readonly TrustAnchor[] {
    return this.bySubject.get(issuer) ?? [];
  }

  /** Where the certificate is revoked (`revoked.txt`, or a CRL file), or undefined. */
  revocation(cert: Pick<CertificateInfo, 'serial' | 'issuer'>): string | undefined {
    if (this.revokedSerials.has(cert.serial)) return join(this.dir, REVOKED_FILE);
    return this.crlEntries.get(`${cert.issuer}\n${cert.serial}`);
  }
}

export interface TrustStoreOptions {
  /** Default 5 s; 0 looks at every call (tests). */
  recheckMs?: number;
  now?: () => number;
}

/**
 * The trust store of design.md §10 on disk: every `.cer`/`.pem`/`.crt` file is a trust anchor,
 * `revoked.txt` and `.crl` files revoke. It is read again when a file changes, checked at most
 * every few seconds, so that `ventanilla pki revoke` or a new CRL needs no restart.
 */
export class TrustStore {
  private checkedAt: number;
  private stamp: string;
  private generation = 0;
  private snapshot: Promise<TrustSnapshot>;
  private readonly recheckMs: number;
  private readonly now: () => number;

  private constructor(
    readonly dir: string,
    stamp: string,
    first: Reading,
    options: TrustStoreOptions,
  ) {
    this.recheckMs = options.recheckMs ?? DEFAULT_RECHECK_MS;
    this.now = options.now ?? Date.now;
    this.checkedAt = this.now();
    this.stamp = stamp;
    this.snapshot = verifyCrls(dir, this.generation, first);
  }

  /** Reads the directory; a missing one, or one without a CA, is an error that says the fix. */
  static load(dir: string, options: TrustStoreOptions = {}): TrustStore {
    let stamp: string;
    try {
      stamp = stampOf(dir);
    } catch (error) {
      throw new IdentityError(`cannot open the trust store ${dir}: ${fileProblem(error)}. ${FIX}`);
    }
    const reading = read(dir);
    if (reading.anchors.length === 0) {
      const why = reading.problems.length ? ` (${reading.problems.join('; ')})` : '';
      throw new IdentityError(
        `the trust store ${dir} has no CA certificate (.cer, .pem or .crt)${why}. ${FIX}`,
      );
    }
    return new TrustStore(dir, stamp, reading, options);
  }

  /** The current reading; re-read first when a file changed since the last look. */
  current(): Promise<TrustSnapshot> {
    const now = this.now();
    if (now - this.checkedAt < this.recheckMs) return this.snapshot;
    this.checkedAt = now;
    let stamp: string;
    let reading: () => Reading;
    try {
      stamp = stampOf(this.dir);
      reading = () => read(this.dir);
    } catch (error) {
      // Fails closed: a trust store that vanished trusts nobody, rather than what it used to.
      stamp = `unreadable: ${fileProblem(error)}`;
      reading = () => ({ anchors: [], revoked: new Set(), crls: [], problems: [`${this.dir}: ${stamp}`] });
    }
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      this.generation++;
      this.snapshot = verifyCrls(this.dir, this.generation, reading());
    }
    return this.snapshot;
  }
}

const FIX =
  'Run "ventanilla pki init" for the development CA, or set VENTANILLA_TRUST_DIR to a directory with your CA certificates.';

const isTrustFile = (name: string) =>
  name === REVOKED_FILE ||
  ANCHOR_EXTENSIONS.has(extname(name).toLowerCase()) ||
  extname(name).toLowerCase() === CRL_EXTENSION;

/** Names, times and sizes of the files that matter: cheap to take every few seconds. */
function stampOf(dir: string): string {
  return readdirSync(dir)
    .filter(isTrustFile)
    .sort()
    .map((name) => {
      // A file removed between the listing and this look is simply not part of the stamp.
      const stat = statSync(join(dir, name), { throwIfNoEntry: false });
      return stat ? `${name}:${stat.mtimeMs}:${stat.size}` : '';
    })
    .join('|');
}

interface Reading {
  anchors: TrustAnchor[];
  revoked: Set<string>;
  crls: Array<{ file: string; crl: x509.X509Crl }>;
  problems: string[];
}

function read(dir: string): Reading {
  const reading: Reading = { anchors: [], revoked: new Set(), crls: [], problems: [] };
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    reading.problems.push(`${dir}: ${fileProblem(error)}`);
    return reading;
  }
  for (const name of names) {
    const file = join(dir, name);
    const ext = extname(name).toLowerCase();
    try {
      if (name === REVOKED_FILE) readRevoked(file, reading);
      else if (ANCHOR_EXTENSIONS.has(ext)) {
        for (const der of readCertificates(file)) reading.anchors.push({ file, ...parseCertificate(der) });
      } else if (ext === CRL_EXTENSION)
        reading.crls.push({ file, crl: new x509.X509Crl(readFileSync(file)) });
    } catch (error) {
      reading.problems.push(`${file} skipped: ${reason(error)}`);
    }
  }
  return reading;
}

/** revoked.txt: one hex serial a line, any case, colons allowed; `#` starts a comment. */
export function parseRevokedList(text: string): { serials: Set<string>; problems: string[] } {
  const serials = new Set<string>();
  const problems: string[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const entry = line.replace(/#.*/, '').trim();
    if (!entry) return;
    const serial = normaliseSerial(entry);
    if (serial) serials.add(serial);
    else problems.push(`line ${index + 1}: "${entry.slice(0, 80)}" is not a hex serial; ignored`);
  });
  return { serials, problems };
}

function readRevoked(file: string, reading: Reading): void {
  const { serials, problems } = parseRevokedList(readFileSync(file, 'utf8'));
  for (const serial of serials) reading.revoked.add(serial);
  reading.problems.push(...problems.map((problem) => `${file} ${problem}`));
}

/** A CRL counts only when a CA of the store signed it: anyone can write a file into a directory. */
async function verifyCrls(dir: string, generation: number, reading: Reading): Promise<TrustSnapshot> {
  const entries = new Map<string, string>();
  const problems = [...reading.problems];
  for (const { file, crl } of reading.crls) {
    // Never rejects: the snapshot is a promise that a verifier awaits much later, if at all.
    try {
      if (!(await signedByAnchor(crl, reading.anchors))) {
        problems.push(`${file} ignored: not signed by a CA of the trust store (issuer ${crl.issuer})`);
        continue;
      }
      for (const entry of crl.entries) {
        const serial = normaliseSerial(entry.serialNumber);
        if (serial) entries.set(`${crl.issuer}\n${serial}`, file);
      }
    } catch (error) {
      problems.push(`${file} ignored: ${reason(error)}`);
    }
  }
  return new TrustSnapshot(dir, generation, reading.anchors, reading.revoked, entries, problems);
}

async function signedByAnchor(crl: x509.X509Crl, anchors: readonly TrustAnchor[]): Promise<boolean> {
  for (const anchor of anchors.filter((a) => a.info.subject === crl.issuer)) {
    if (await crl.verify({ publicKey: anchor.cert }).catch(() => false)) return true;
  }
  return false;
}

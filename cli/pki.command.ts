import { IdentityError } from '../identity/identity-error.js';
import type { CertificateInfo } from '../identity/certificate.js';
import {
  initPki,
  issueCertificate,
  listCertificates,
  revokeCertificate,
  type HolderKind,
  type IssuedCertificate,
} from '../identity/pki.js';
import type { CliContext } from './cli-context.js';
import { CliError } from './cli-error.js';

export const PKI_HELP = `Usage: ventanilla pki init [--json]
       ventanilla pki issue trader|officer|operator --rfc RFC --name "..." [--agency CODE] [--days N] [--json]
       ventanilla pki revoke <serial> [--json]
       ventanilla pki list [--json]

The development PKI (design.md §10), under $VENTANILLA_HOME/pki:
  init    creates the CA once (run again, it keeps it) and puts its certificate in the trust store
          (VENTANILLA_TRUST_DIR, default $VENTANILLA_HOME/pki/trust)
  issue   a certificate and key for a holder: pki/holders/<RFC>.cer, <RFC>.key (encrypted PKCS#8)
          and <RFC>.password (mode 0600); prints the key's password. An officer needs --agency,
          the certificate's OU (e.g. HEALTH); an operator's OU is OPERATIONS. --days: validity
          (default 730)
  revoke  adds a certificate serial (hex) to the trust store's revoked.txt; verifiers refuse it
          within seconds, without a restart
  list    the CA and every holder's certificate: kind, RFC, serial, expiry, revoked`;

interface PkiFlags {
  rfc?: string;
  name?: string;
  agency?: string;
  days?: string;
}

type PkiContext = Pick<CliContext, 'config' | 'print'>;

export async function pkiCommand(ctx: PkiContext, args: string[], flags: PkiFlags): Promise<void> {
  const [verb, ...rest] = args;
  try {
    switch (verb) {
      case 'init':
        return await init(ctx);
      case 'issue':
        return await issue(ctx, rest[0], flags);
      case 'revoke':
        return await revoke(ctx, rest[0]);
      case 'list':
        return await list(ctx);
      default:
        throw new CliError(
          `pki needs init, issue, revoke or list${verb ? `, not "${verb}"` : ''}\n\n${PKI_HELP}`,
          2,
        );
    }
  } catch (error) {
    // Its message says what to do; the stack would only bury it.
    if (error instanceof IdentityError) throw new CliError(error.message);
    throw error;
  }
}

const dirsOf = (ctx: PkiContext) => ({ pkiDir: ctx.config.pkiDir, trustDir: ctx.config.trustDir });

async function init(ctx: PkiContext): Promise<void> {
  const { created, ca, caFile } = await initPki(dirsOf(ctx));
  const { trustDir } = ctx.config;
  ctx.print({ created, caFile, trustDir, ...summary(ca) }, () =>
    [
      created
        ? `created the development CA "${ca.subject}"`
        : `the development CA "${ca.subject}" already exists; kept it`,
      `  serial       ${ca.serial}`,
      `  valid until  ${ca.notAfter.toISOString()}`,
      `  certificate  ${caFile}`,
      `  trust store  ${trustDir}`,
    ].join('\n'),
  );
}

const KINDS: readonly HolderKind[] = ['trader', 'officer', 'operator'];

async function issue(ctx: PkiContext, kind: string | undefined, flags: PkiFlags): Promise<void> {
  if (!KINDS.includes(kind as HolderKind)) {
    throw new CliError(
      `pki issue needs trader, officer or operator${kind ? `, not "${kind}"` : ''}\n\n${PKI_HELP}`,
      2,
    );
  }
  if (!flags.rfc || !flags.name) throw new CliError('pki issue needs --rfc RFC and --name "holder name"', 2);
  if (kind === 'officer' && !flags.agency) {
    throw new CliError('an officer certificate needs --agency CODE: the agency it decides for (its OU)', 2);
  }
  const issued = await issueCertificate(dirsOf(ctx), {
    kind: kind as HolderKind,
    rfc: flags.rfc,
    name: flags.name,
    ...(flags.agency ? { agency: flags.agency } : {}),
    ...(flags.days !== undefined ? { validDays: days(flags.days) } : {}),
  });
  ctx.print(issuedJson(kind as HolderKind, issued), () => issuedText(kind as HolderKind, issued));
}

function days(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 36_500) {
    throw new CliError(`--days must be a whole number of days from 1 to 36500, got "${text}"`, 2);
  }
  return n;
}

function issuedJson(kind: HolderKind, issued: IssuedCertificate) {
  const { info, certFile, keyFile, passwordFile, password } = issued;
  return { kind, ...summary(info), certFile, keyFile, passwordFile, password };
}

function issuedText(
  kind: HolderKind,
  { info, certFile, keyFile, passwordFile, password }: IssuedCertificate,
) {
  return [
    `issued ${kind === 'trader' ? 'a' : 'an'} ${kind} certificate for ${info.rfc} (${info.name})${info.ou ? `, OU=${info.ou}` : ''}`,
    `  serial       ${info.serial}`,
    `  valid        ${info.notBefore.toISOString()} to ${info.notAfter.toISOString()}`,
    `  certificate  ${certFile}`,
    `  key          ${keyFile}`,
    `  password     ${password}`,
    `               (kept in ${passwordFile}, readable by you only; development keys only)`,
  ].join('\n');
}

async function revoke(ctx: PkiContext, serial: string | undefined): Promise<void> {
  if (!serial) throw new CliError(`pki revoke needs the certificate's serial (see: ventanilla pki list)`, 2);
  const revoked = await revokeCertificate(dirsOf(ctx), serial);
  ctx.print(revoked, () =>
    revoked.added
      ? `revoked ${revoked.serial}: listed in ${revoked.file}; verifiers refuse it within seconds`
      : `${revoked.serial} was already revoked (${revoked.file}); nothing changed`,
  );
}

async function list(ctx: PkiContext): Promise<void> {
  const certificates = await listCertificates(dirsOf(ctx));
  const rows = certificates.map(({ kind, file, revoked, ...info }) => ({
    kind,
    ...summary(info),
    file,
    revoked,
  }));
  ctx.print({ pkiDir: ctx.config.pkiDir, trustDir: ctx.config.trustDir, certificates: rows }, () => {
    if (rows.length === 0) return `no certificates under ${ctx.config.pkiDir}: run "ventanilla pki init"`;
    const lines = rows.map(
      (r) =>
        `${r.kind.padEnd(8)} ${(r.rfc || '-').padEnd(13)} ${(r.ou ?? '-').padEnd(12)} ${r.serial.padEnd(32)} ` +
        `${r.notAfter.slice(0, 10)}  ${status(r).padEnd(7)}  ${r.name}`,
    );
    return [
      `${'KIND'.padEnd(8)} ${'RFC'.padEnd(13)} ${'OU'.padEnd(12)} ${'SERIAL'.padEnd(32)} NOT AFTER   STATUS   NAME`,
      ...lines,
    ].join('\n');
  });
}

const status = (r: { revoked: boolean; notAfter: string }) =>
  r.revoked ? 'REVOKED' : Date.parse(r.notAfter) < Date.now() ? 'expired' : 'valid';

/** A certificate as printed: dates as ISO text, and no DER bytes. */
function summary(info: CertificateInfo) {
  const { rfc, name, ou, serial, fingerprint, subject, issuer } = info;
  return {
    rfc,
    name,
    ...(ou ? { ou } : {}),
    serial,
    fingerprint,
    subject,
    issuer,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
  };
}

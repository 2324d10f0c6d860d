import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { certificateInfo, normaliseSerial, readCertificateFile } from './certificate.js';
import { IdentityError } from './identity-error.js';
import {
  ensureDevPki,
  holderFiles,
  initPki,
  issueCertificate,
  listCertificates,
  revokeCertificate,
  type PkiDirs,
} from './pki.js';
import { loadSigner } from './signing-key.js';
import { x509 } from './x509.js';

const made: string[] = [];
afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshDirs(): PkiDirs {
  const pkiDir = mkdtempSync(join(tmpdir(), 'ventanilla-pki-'));
  made.push(pkiDir);
  return { pkiDir, trustDir: join(pkiDir, 'trust') };
}

describe('the development PKI', () => {
  it('creates a CA once and keeps it, with its certificate in the trust store', async () => {
    const dirs = freshDirs();
    const first = await initPki(dirs);
    expect(first.created).toBe(true);
    const again = await initPki(dirs);
    expect(again).toMatchObject({ created: false, caFile: first.caFile });
    expect(again.ca.fingerprint).toBe(first.ca.fingerprint);
    expect(readdirSync(dirs.trustDir).sort()).toEqual([
      'revoked.txt',
      `ventanilla-development-ca-${first.ca.serial}.cer`,
    ]);
    const cert = new x509.X509Certificate(readFileSync(first.caFile));
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(true);
    expect(cert.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
    );
    expect(await cert.isSelfSigned()).toBe(true);
    const years = (first.ca.notAfter.getTime() - first.ca.notBefore.getTime()) / (365 * 86_400_000);
    expect(Math.round(years)).toBe(10);
    expect(statSync(join(dirs.pkiDir, 'ca', 'ca.password')).mode & 0o777).toBe(0o600);
  });

  it('issues the e.firma shape: RFC in 2.5.4.45, OU of officers and operators, RSA 2048 SHA-256', async () => {
    const dirs = freshDirs();
    await initPki(dirs);
    const officer = await issueCertificate(dirs, {
      kind: 'officer',
      rfc: 'heal800101of1',
      name: 'Oficial de Salud',
      agency: 'health',
    });
    expect(officer.info).toMatchObject({ rfc: 'HEAL800101OF1', name: 'Oficial de Salud', ou: 'HEALTH' });
    expect(officer.certFile).toBe(holderFiles(dirs, 'HEAL800101OF1').certFile);
    const cert = new x509.X509Certificate(readFileSync(officer.certFile));
    expect(cert.subjectName.getField('2.5.4.45')).toEqual(['HEAL800101OF1']);
    expect(cert.signatureAlgorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', hash: { name: 'SHA-256' } });
    expect(cert.publicKey.algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 });
    expect(cert.getExtension(x509.KeyUsagesExtension)?.usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation,
    );
    expect(cert.getExtension(x509.BasicConstraintsExtension)?.ca).toBe(false);
    expect(officer.info.serial).toMatch(/^[1-9a-f][0-9a-f]{29,31}$/);
    expect(statSync(officer.passwordFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(officer.passwordFile, 'utf8')).toBe(`${officer.password}\n`);
    expect(officer.password).toMatch(/^[A-Za-z0-9_-]{32}$/);

    const operator = await issueCertificate(dirs, {
      kind: 'operator',
      rfc: 'OPER800101OP1',
      name: 'Operador',
    });
    expect(operator.info.ou).toBe('OPERATIONS');
    const trader = await issueCertificate(dirs, { kind: 'trader', rfc: 'ÑA&970512KX3', name: 'Ñandú & Cía' });
    expect(trader.info).toMatchObject({ rfc: 'ÑA&970512KX3', name: 'Ñandú & Cía' });
    expect(trader.info.ou).toBeUndefined();
  });

  it('refuses what is not an RFC, an officer without an agency, a trader with one', async () => {
    const dirs = freshDirs();
    await initPki(dirs);
    const issue = (request: Partial<Parameters<typeof issueCertificate>[1]>) =>
      issueCertificate(dirs, { kind: 'trader', rfc: 'ANO970512KX3', name: 'A', ...request });
    await expect(issue({ rfc: 'ANO97051KX3' })).rejects.toThrow(
      /"ANO97051KX3" is not an RFC: 3 or 4 letters/,
    );
    await expect(issue({ rfc: '../../etc/x' })).rejects.toThrow(IdentityError);
    await expect(issue({ kind: 'officer' })).rejects.toThrow(/needs the agency code/);
    await expect(issue({ agency: 'HEALTH' })).rejects.toThrow(/only an officer's certificate has an agency/);
    await expect(issue({ name: ' ' })).rejects.toThrow(/needs the holder's name/);
    await expect(issue({ kind: 'admin' as never })).rejects.toThrow(/unknown holder kind "admin"/);
    const empty = freshDirs();
    await expect(issueCertificate(empty, { kind: 'trader', rfc: 'ANO970512KX3', name: 'A' })).rejects.toThrow(
      /there is no CA in .*: run "ventanilla pki init" first/,
    );
  });

  it('lists the CA and holders, marking the revoked', async () => {
    const dirs = freshDirs();
    const { ca } = await initPki(dirs);
    const trader = await issueCertificate(dirs, { kind: 'trader', rfc: 'ANO970512KX3', name: 'A' });
    const officer = await issueCertificate(dirs, {
      kind: 'officer',
      rfc: 'CUST800101OF1',
      name: 'O',
      agency: 'CUSTOMS',
    });
    await revokeCertificate(dirs, `00${officer.info.serial.toUpperCase()}`);
    const listed = await listCertificates(dirs);
    expect(listed.map(({ kind, rfc, serial, revoked }) => ({ kind, rfc, serial, revoked }))).toEqual([
      { kind: 'ca', rfc: '', serial: ca.serial, revoked: false },
      { kind: 'trader', rfc: 'ANO970512KX3', serial: trader.info.serial, revoked: false },
      { kind: 'officer', rfc: 'CUST800101OF1', serial: officer.info.serial, revoked: true },
    ]);
    await expect(revokeCertificate(dirs, 'xyz')).rejects.toThrow(/"xyz" is not a certificate serial/);
  });

  it('makes the missing holders for npm start, and again those of a CA made anew', async () => {
    const dirs = freshDirs();
    const holders = [
      { kind: 'trader' as const, rfc: 'ANO970512KX3', name: 'Aguacates' },
      { kind: 'officer' as const, rfc: 'HEAL800101OF1', name: 'Oficial', agency: 'HEALTH' },
    ];
    expect(await ensureDevPki(dirs, holders)).toEqual({
      createdCa: true,
      issued: ['ANO970512KX3', 'HEAL800101OF1'],
    });
    expect(await ensureDevPki(dirs, holders)).toEqual({ createdCa: false, issued: [] });
    // A lost password file makes the key unusable: that holder is issued again.
    rmSync(holderFiles(dirs, 'ANO970512KX3').passwordFile);
    expect(await ensureDevPki(dirs, holders)).toEqual({ createdCa: false, issued: ['ANO970512KX3'] });
    rmSync(join(dirs.pkiDir, 'ca'), { recursive: true });
    expect(await ensureDevPki(dirs, holders)).toEqual({
      createdCa: true,
      issued: ['ANO970512KX3', 'HEAL800101OF1'],
    });
  });
});

describe('loadSigner', () => {
  it('says the password is wrong, and where it was read, without a stack', async () => {
    const dirs = freshDirs();
    await initPki(dirs);
    const issued = await issueCertificate(dirs, { kind: 'trader', rfc: 'ANO970512KX3', name: 'A' });
    expect(loadSigner(issued).info.rfc).toBe('ANO970512KX3');
    const wrong = join(dirs.pkiDir, 'wrong.password');
    writeFileSync(wrong, 'not the password\n');
    const attempt = () => loadSigner({ ...holderFiles(dirs, 'ANO970512KX3'), passwordFile: wrong });
    expect(attempt).toThrow(IdentityError);
    expect(attempt).toThrow(
      `cannot open ${issued.keyFile}: wrong password (read from ${wrong}; in development the password is in ANO970512KX3.password beside the key)`,
    );
    expect(() => loadSigner({ certFile: issued.certFile, keyFile: issued.keyFile, password: 'x' })).toThrow(
      /wrong password/,
    );
  });

  it('finds the password beside the key, and names missing files and mismatched keys', async () => {
    const dirs = freshDirs();
    await initPki(dirs);
    const a = await issueCertificate(dirs, { kind: 'trader', rfc: 'ANO970512KX3', name: 'A' });
    const b = await issueCertificate(dirs, { kind: 'trader', rfc: 'OTR010101AB1', name: 'B' });
    expect(loadSigner({ certFile: a.certFile, keyFile: a.keyFile }).chain).toHaveLength(1);
    expect(() => loadSigner({ certFile: a.certFile, keyFile: b.keyFile })).toThrow(
      `the key ${b.keyFile} does not belong to the certificate ${a.certFile} (ANO970512KX3)`,
    );
    expect(() => loadSigner({ certFile: join(dirs.pkiDir, 'none.cer'), keyFile: a.keyFile })).toThrow(
      `cannot read certificate ${join(dirs.pkiDir, 'none.cer')}: no such file`,
    );
    expect(() => loadSigner({ certFile: a.certFile, keyFile: a.passwordFile, password: a.password })).toThrow(
      /not an encrypted PKCS#8 private key/,
    );
    const keyOnly = join(dirs.pkiDir, 'lonely.key');
    writeFileSync(keyOnly, readFileSync(a.keyFile));
    expect(() => loadSigner({ certFile: a.certFile, keyFile: keyOnly })).toThrow(
      /no password for .*--password-file/,
    );
  });
});

describe('certificates', () => {
  it('reads DER and PEM alike, and one serial form from any writing of it', async () => {
    const dirs = freshDirs();
    const { ca, caFile } = await initPki(dirs);
    const pem = join(dirs.pkiDir, 'ca.pem');
    writeFileSync(pem, x509.PemConverter.encode(readFileSync(caFile), 'CERTIFICATE'));
    expect(readCertificateFile(pem).fingerprint).toBe(ca.fingerprint);
    expect(certificateInfo(readFileSync(caFile)).serial).toBe(ca.serial);
    expect(normaliseSerial('00:0A:bc')).toBe('abc');
    expect(normaliseSerial('0')).toBe('0');
    expect(normaliseSerial('xyz')).toBeUndefined();
    expect(() => certificateInfo(new Uint8Array([1, 2, 3]))).toThrow(/not an X.509 certificate/);
  });
});

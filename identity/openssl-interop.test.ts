import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { signDetached } from './jws.js';
import { initPki, issueCertificate, type IssuedCertificate } from './pki.js';
import { SignatureVerifier } from './signature-verifier.js';
import { loadSigner } from './signing-key.js';
import { TrustStore } from './trust-store.js';

// Verification from outside our own code: OpenSSL signs what we verify, verifies what we sign,
// and reads our certificates and keys. Nothing is skipped when openssl is missing: it fails.

const OPENSSL = '/usr/bin/openssl';

function openssl(args: string[], cwd: string): string {
  if (!existsSync(OPENSSL)) {
    throw new Error(
      `${OPENSSL} is missing: install OpenSSL (apt-get install openssl); these tests check our signatures against it`,
    );
  }
  return execFileSync(OPENSSL, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

const made: string[] = [];
afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function holder(): Promise<{
  dir: string;
  trustDir: string;
  issued: IssuedCertificate;
  caFile: string;
}> {
  const dir = mkdtempSync(join(tmpdir(), 'ventanilla-openssl-'));
  made.push(dir);
  const dirs = { pkiDir: dir, trustDir: join(dir, 'trust') };
  const { caFile } = await initPki(dirs);
  const issued = await issueCertificate(dirs, {
    kind: 'trader',
    rfc: 'ANO970512KX3',
    name: 'Aguacates del Norte',
  });
  return { dir, trustDir: dirs.trustDir, issued, caFile };
}

const value = Buffer.from('{"kind":"declaration","declarationId":"AVO-1","note":"ñ \\u00e9 é"}\n');

describe('OpenSSL', () => {
  it('signs a detached JWS that SignatureVerifier accepts', async () => {
    const { dir, trustDir, issued } = await holder();
    // The encrypted PKCS#8 DER key, opened by OpenSSL with the password file beside it.
    openssl(
      [
        'pkcs8',
        '-inform',
        'DER',
        '-in',
        issued.keyFile,
        '-passin',
        `file:${issued.passwordFile}`,
        '-out',
        'key.pem',
      ],
      dir,
    );
    const der = readFileSync(issued.certFile);
    const iat = Math.floor(Date.now() / 1000);
    const header = Buffer.from(JSON.stringify({ alg: 'RS256', x5c: [der.toString('base64')], iat })).toString(
      'base64url',
    );
    writeFileSync(join(dir, 'input.txt'), `${header}.${value.toString('base64url')}`);
    openssl(['dgst', '-sha256', '-sign', 'key.pem', '-out', 'sig.bin', 'input.txt'], dir);
    const signature = readFileSync(join(dir, 'sig.bin')).toString('base64url');
    const verdict = await new SignatureVerifier(TrustStore.load(trustDir)).verify(
      value,
      `${header}..${signature}`,
      Date.now(),
    );
    expect(verdict).toMatchObject({ ok: true, signer: { rfc: 'ANO970512KX3', serial: issued.info.serial } });
  });

  it('verifies what signDetached signs, and the certificate chain and its RFC', async () => {
    const { dir, issued, caFile } = await holder();
    const jws = await signDetached(value, loadSigner(issued));
    const [header, , signature] = jws.split('.');
    writeFileSync(join(dir, 'input.txt'), `${header}.${value.toString('base64url')}`);
    writeFileSync(join(dir, 'sig.bin'), Buffer.from(signature!, 'base64url'));
    writeFileSync(
      join(dir, 'pub.pem'),
      openssl(['x509', '-inform', 'DER', '-in', issued.certFile, '-pubkey', '-noout'], dir),
    );
    expect(
      openssl(['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'input.txt'], dir),
    ).toContain('Verified OK');
    // The very bytes signed: one changed byte and OpenSSL refuses too (exit status 1).
    writeFileSync(
      join(dir, 'input.txt'),
      `${header}.${Buffer.from(value.toString().replace('AVO', 'AVP')).toString('base64url')}`,
    );
    expect(() =>
      openssl(['dgst', '-sha256', '-verify', 'pub.pem', '-signature', 'sig.bin', 'input.txt'], dir),
    ).toThrow();

    openssl(['x509', '-inform', 'DER', '-in', caFile, '-out', 'ca.pem'], dir);
    openssl(['x509', '-inform', 'DER', '-in', issued.certFile, '-out', 'leaf.pem'], dir);
    expect(openssl(['verify', '-CAfile', 'ca.pem', 'leaf.pem'], dir)).toContain('leaf.pem: OK');
    const text = openssl(['x509', '-in', 'leaf.pem', '-noout', '-text'], dir);
    expect(text).toContain('x500UniqueIdentifier = ANO970512KX3');
    expect(text).toContain('sha256WithRSAEncryption');
    expect(text).toContain('Public-Key: (2048 bit)');
    expect(text).toMatch(/Key Usage: critical\s+Digital Signature, Non Repudiation/);
  });
});

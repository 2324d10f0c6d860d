import { createPublicKey, createSecretKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CompactSign } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { signingKey } from './certificate-issuer.js';
import { IdentityError } from './identity-error.js';
import { signDetached } from './jws.js';
import { initPki, issueCertificate, revokeCertificate, type PkiDirs } from './pki.js';
import { SignatureVerifier, signerMismatch } from './signature-verifier.js';
import { loadSigner, type Signer } from './signing-key.js';
import { TrustStore } from './trust-store.js';
import { x509 } from './x509.js';

// Every refusal of design.md §10 with its reason code, and the one way in: a valid signature
// of a trusted, current, unrevoked certificate over the exact bytes.

const made: string[] = [];
afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function freshDirs(): PkiDirs {
  const pkiDir = mkdtempSync(join(tmpdir(), 'ventanilla-verify-'));
  made.push(pkiDir);
  return { pkiDir, trustDir: join(pkiDir, 'trust') };
}

const RFC = 'ANO970512KX3';
const value = Buffer.from('{"kind":"declaration","trader":{"taxId":"ANO970512KX3"}}');

async function trader(dirs: PkiDirs, extra: Partial<Parameters<typeof issueCertificate>[1]> = {}) {
  await initPki(dirs);
  const issued = await issueCertificate(dirs, {
    kind: 'trader',
    rfc: RFC,
    name: 'Aguacates del Norte',
    ...extra,
  });
  return { issued, signer: loadSigner(issued) };
}

const verifierOf = (dirs: PkiDirs) => new SignatureVerifier(TrustStore.load(dirs.trustDir, { recheckMs: 0 }));
const now = () => Math.floor(Date.now() / 1000);
const b64url = (text: string) => Buffer.from(text).toString('base64url');
const x5cOf = (signer: Signer) => signer.chain.map((der) => Buffer.from(der).toString('base64'));

describe('SignatureVerifier', () => {
  it('accepts a valid signature and names the signer by RFC, serial and fingerprint', async () => {
    const dirs = freshDirs();
    const { issued, signer } = await trader(dirs);
    const verdict = await verifierOf(dirs).verify(value, await signDetached(value, signer), Date.now());
    expect(verdict).toEqual({
      ok: true,
      signer: {
        rfc: RFC,
        name: 'Aguacates del Norte',
        serial: issued.info.serial,
        fingerprint: issued.info.fingerprint,
      },
    });
    expect(issued.info.fingerprint).toMatch(/^[0-9a-f]{64}$/);
    // The header is exactly the one design.md §10 names, in that order.
    const header = await signDetached(value, signer, 1_700_000_000);
    const decoded = JSON.parse(Buffer.from(header.split('.')[0]!, 'base64url').toString());
    expect(Object.keys(decoded)).toEqual(['alg', 'x5c', 'iat']);
    expect(decoded).toEqual({ alg: 'RS256', x5c: x5cOf(signer), iat: 1_700_000_000 });
    expect(header).toMatch(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/);
  });

  it('refuses a value with one byte changed (SIGNATURE_INVALID)', async () => {
    const dirs = freshDirs();
    const { signer } = await trader(dirs);
    const header = await signDetached(value, signer);
    const changed = Buffer.from(value);
    changed[20] = changed[20]! ^ 0x01;
    const verdict = await verifierOf(dirs).verify(changed, header, Date.now());
    expect(verdict).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
  });

  it('refuses an expired certificate, and one not yet valid (CERTIFICATE_EXPIRED)', async () => {
    const dirs = freshDirs();
    const day = 86_400_000;
    const { signer } = await trader(dirs, {
      validFrom: new Date(Date.now() - 3 * day),
      validTo: new Date(Date.now() - day),
    });
    const verifier = verifierOf(dirs);
    const expired = await verifier.verify(value, await signDetached(value, signer), Date.now());
    expect(expired).toMatchObject({
      ok: false,
      code: 'CERTIFICATE_EXPIRED',
      message: expect.stringContaining('expired on'),
    });
    const future = await trader(dirs, { validFrom: new Date(Date.now() + day), validDays: 10 });
    const early = await verifier.verify(value, await signDetached(value, future.signer), Date.now());
    expect(early).toMatchObject({
      ok: false,
      code: 'CERTIFICATE_EXPIRED',
      message: expect.stringContaining('valid only from'),
    });
  });

  it('refuses a serial listed in revoked.txt, without a restart (CERTIFICATE_REVOKED)', async () => {
    const dirs = freshDirs();
    const { issued, signer } = await trader(dirs);
    const verifier = verifierOf(dirs);
    const header = await signDetached(value, signer);
    expect((await verifier.verify(value, header, Date.now())).ok).toBe(true);
    // As an operator might type it: upper case, with colons.
    const typed = issued.info.serial
      .toUpperCase()
      .match(/.{1,2}/g)!
      .join(':');
    expect(await revokeCertificate(dirs, typed)).toMatchObject({ added: true, serial: issued.info.serial });
    expect(await revokeCertificate(dirs, issued.info.serial)).toMatchObject({ added: false });
    const verdict = await verifier.verify(value, header, Date.now());
    expect(verdict).toMatchObject({
      ok: false,
      code: 'CERTIFICATE_REVOKED',
      message: expect.stringContaining('revoked.txt'),
    });
  });

  it('refuses a serial revoked by a CRL the CA signed, and ignores a CRL it did not sign', async () => {
    const dirs = freshDirs();
    const { issued, signer } = await trader(dirs);
    const other = freshDirs();
    await initPki(other);
    const entry = [
      {
        serialNumber: issued.info.serial.padStart(
          issued.info.serial.length + (issued.info.serial.length % 2),
          '0',
        ),
      },
    ];
    writeFileSync(
      join(dirs.trustDir, 'forged.crl'),
      await crlOf(other, entry, (await caOf(dirs)).subjectName),
    );
    const verifier = verifierOf(dirs);
    const header = await signDetached(value, signer);
    expect((await verifier.verify(value, header, Date.now())).ok).toBe(true);
    const store = TrustStore.load(dirs.trustDir);
    expect((await store.current()).problems.join('\n')).toContain('forged.crl ignored: not signed by a CA');
    writeFileSync(join(dirs.trustDir, 'ca.crl'), await crlOf(dirs, entry));
    const verdict = await verifier.verify(value, header, Date.now());
    expect(verdict).toMatchObject({
      ok: false,
      code: 'CERTIFICATE_REVOKED',
      message: expect.stringContaining('ca.crl'),
    });
  });

  it('refuses a certificate of a CA that is not in the trust store (CERTIFICATE_UNTRUSTED)', async () => {
    const dirs = freshDirs();
    await initPki(dirs);
    const stranger = freshDirs();
    await initPki(stranger, { name: 'Stranger CA' });
    const issued = await issueCertificate(dirs, {
      kind: 'trader',
      rfc: RFC,
      name: 'Aguacates',
      caDir: join(stranger.pkiDir, 'ca'),
    });
    const verdict = await verifierOf(dirs).verify(
      value,
      await signDetached(value, loadSigner(issued)),
      Date.now(),
    );
    expect(verdict).toMatchObject({
      ok: false,
      code: 'CERTIFICATE_UNTRUSTED',
      message: expect.stringContaining('Stranger CA'),
    });
  });

  it('refuses a certificate that a holder signed with their own key (not a CA)', async () => {
    const dirs = freshDirs();
    const { signer } = await trader(dirs);
    // The holder makes up a certificate for someone else and puts their own as its "intermediate".
    const forged = await forgedBy(signer, 'OTR010101AB1');
    const header = await signDetached(value, { key: forged.key, chain: [forged.der, ...signer.chain] });
    const verdict = await verifierOf(dirs).verify(value, header, Date.now());
    expect(verdict).toMatchObject({
      ok: false,
      code: 'CERTIFICATE_UNTRUSTED',
      message: expect.stringContaining('not a CA'),
    });
  });

  it('trusts two CAs at once (key rotation): certificates of either verify', async () => {
    const dirs = freshDirs();
    const { signer } = await trader(dirs);
    const next = { pkiDir: freshDirs().pkiDir, trustDir: dirs.trustDir };
    await initPki(next, { name: 'Ventanilla Development CA 2' });
    const second = loadSigner(
      await issueCertificate(next, {
        kind: 'officer',
        rfc: 'HEAL800101OF1',
        name: 'Oficial',
        agency: 'HEALTH',
      }),
    );
    const verifier = verifierOf(dirs);
    expect(await verifier.verify(value, await signDetached(value, signer), Date.now())).toMatchObject({
      ok: true,
    });
    expect(await verifier.verify(value, await signDetached(value, second), Date.now())).toMatchObject({
      ok: true,
      signer: { rfc: 'HEAL800101OF1', ou: 'HEALTH' },
    });
  });

  it('refuses alg none, an HMAC (HS256) header and a header without x5c (SIGNATURE_INVALID)', async () => {
    const dirs = freshDirs();
    const { signer } = await trader(dirs);
    const verifier = verifierOf(dirs);
    const x5c = x5cOf(signer);
    const none = `${b64url(JSON.stringify({ alg: 'none', x5c, iat: now() }))}..`;
    expect(await verifier.verify(value, none, Date.now())).toMatchObject({
      code: 'SIGNATURE_INVALID',
      message: expect.stringContaining('"none"'),
    });
    // The classic confusion: an HMAC keyed with the certificate's public key, which anyone has.
    const secret = createSecretKey(createPublicKey(signer.key).export({ type: 'spki', format: 'der' }));
    const hmac = await new CompactSign(value)
      .setProtectedHeader({ alg: 'HS256', x5c, iat: now() })
      .sign(secret);
    const [h, , s] = hmac.split('.');
    expect(await verifier.verify(value, `${h}..${s}`, Date.now())).toMatchObject({
      code: 'SIGNATURE_INVALID',
      message: expect.stringContaining('HS256'),
    });
    const noX5c = await signedHeader(signer, { alg: 'RS256', iat: now() });
    expect(await verifier.verify(value, noX5c, Date.now())).toMatchObject({
      code: 'SIGNATURE_INVALID',
      message: expect.stringContaining('no x5c'),
    });
  });

  it('refuses an iat an hour away from the record timestamp, saying by how much', async () => {
    const dirs = freshDirs();
    const { signer } = await trader(dirs);
    const verifier = verifierOf(dirs);
    const early = await verifier.verify(value, await signDetached(value, signer, now() - 3600), Date.now());
    expect(early).toMatchObject({
      ok: false,
      code: 'SIGNATURE_INVALID',
      message: expect.stringMatching(/360\d s before/),
    });
    const late = await verifier.verify(value, await signDetached(value, signer, now() + 3600), Date.now());
    expect(late).toMatchObject({
      ok: false,
      code: 'SIGNATURE_INVALID',
      message: expect.stringMatching(/3\d{3} s after/),
    });
    // Nine minutes is within the ten allowed (signed a little after the certificate's start).
    const header = await signDetached(value, signer, now() - 240);
    expect((await verifier.verify(value, header, Date.now() + 300_000)).ok).toBe(true);
  });

  it('refuses garbage of any kind and size with a message, never throwing', async () => {
    const dirs = freshDirs();
    const { signer } = await trader(dirs);
    const verifier = verifierOf(dirs);
    const x5c = x5cOf(signer);
    const cases: unknown[] = [
      'garbage',
      '..',
      'a..b',
      'a.b.c',
      Buffer.from([0xff, 0x00, 0x2e, 0x2e, 0x41]),
      `${b64url('not json')}..AAAA`,
      `${b64url('[1,2]')}..AAAA`,
      `${b64url(JSON.stringify({ alg: 'RS256', x5c: 'MIIB', iat: now() }))}..AAAA`,
      `${b64url(JSON.stringify({ alg: 'RS256', x5c: ['!!!!'], iat: now() }))}..AAAA`,
      `${b64url(JSON.stringify({ alg: 'RS256', x5c: ['AAAA'], iat: now() }))}..AAAA`,
      `${b64url(JSON.stringify({ alg: 'RS256', x5c: Array(11).fill(x5c[0]), iat: now() }))}..AAAA`,
      `${b64url(JSON.stringify({ alg: 'RS256', x5c, iat: '1700000000' }))}..AAAA`,
      `${b64url(JSON.stringify({ alg: 'RS256', x5c, iat: now() + 0.5 }))}..AAAA`,
      `${b64url(JSON.stringify({ alg: 'RS256', x5c, iat: now(), crit: ['b64'], b64: false }))}..AAAA`,
      `${b64url(JSON.stringify({ alg: 'RS256', x5c, iat: now() }))}..AAAA`,
      12345,
      { alg: 'RS256' },
      'x'.repeat(1024 * 1024),
      Buffer.alloc(1024 * 1024, 0x41),
    ];
    for (const header of cases) {
      const verdict = await verifier.verify(value, header as string, Date.now());
      expect(verdict, String(header).slice(0, 60)).toMatchObject({
        ok: false,
        code: 'SIGNATURE_INVALID',
        message: expect.any(String),
      });
    }
    const started = Date.now();
    const huge = await verifier.verify(value, 'x'.repeat(1024 * 1024), Date.now());
    expect(huge).toMatchObject({ message: expect.stringContaining('more than the 65536 allowed') });
    expect(Date.now() - started).toBeLessThan(1000);
    const header = await signDetached(value, signer);
    expect(await verifier.verify('text' as unknown as Uint8Array, header, Date.now())).toMatchObject({
      code: 'SIGNATURE_INVALID',
    });
    expect(await verifier.verify(value, header, Number.NaN)).toMatchObject({ code: 'SIGNATURE_INVALID' });
  });

  it('calls a missing or empty header SIGNATURE_MISSING', async () => {
    const dirs = freshDirs();
    await initPki(dirs);
    const verifier = verifierOf(dirs);
    for (const header of [undefined, null, '', '  ', Buffer.alloc(0)]) {
      expect(await verifier.verify(value, header, Date.now())).toMatchObject({
        ok: false,
        code: 'SIGNATURE_MISSING',
      });
    }
  });

  it('refuses a certificate without an RFC (CERTIFICATE_UNTRUSTED)', async () => {
    const dirs = freshDirs();
    await initPki(dirs);
    // The CA itself signs: trusted, valid, but it names no RFC to match a trader with.
    const ca = loadSigner({
      certFile: join(dirs.pkiDir, 'ca', 'ca.cer'),
      keyFile: join(dirs.pkiDir, 'ca', 'ca.key'),
    });
    const verdict = await verifierOf(dirs).verify(value, await signDetached(value, ca), Date.now());
    expect(verdict).toMatchObject({
      ok: false,
      code: 'CERTIFICATE_UNTRUSTED',
      message: expect.stringContaining('no RFC'),
    });
  });

  it('serves a bounded cache: more distinct chains than its size still verify', async () => {
    const dirs = freshDirs();
    await initPki(dirs);
    const verifier = new SignatureVerifier(TrustStore.load(dirs.trustDir), { chainCacheSize: 1 });
    const a = loadSigner(await issueCertificate(dirs, { kind: 'trader', rfc: RFC, name: 'A' }));
    const b = loadSigner(await issueCertificate(dirs, { kind: 'trader', rfc: 'OTR010101AB1', name: 'B' }));
    for (const signer of [a, b, a, b]) {
      expect(await verifier.verify(value, await signDetached(value, signer), Date.now())).toMatchObject({
        ok: true,
        signer: { rfc: signer.info.rfc },
      });
    }
  });

  it('opens no trust store that is missing or has no CA, and says how to make one', () => {
    const dirs = freshDirs();
    expect(() => TrustStore.load(join(dirs.pkiDir, 'nowhere'))).toThrow(IdentityError);
    expect(() => TrustStore.load(join(dirs.pkiDir, 'nowhere'))).toThrow(
      /ventanilla pki init.*VENTANILLA_TRUST_DIR/,
    );
    expect(() => TrustStore.load(dirs.pkiDir)).toThrow(/has no CA certificate/);
  });
});

describe('signerMismatch', () => {
  it('names what does not match the message', () => {
    const signer = { rfc: RFC, ou: 'HEALTH' };
    expect(signerMismatch(signer, { rfc: RFC })).toBeUndefined();
    expect(signerMismatch(signer, { ou: 'HEALTH' })).toBeUndefined();
    expect(signerMismatch(signer, { rfc: 'OTR010101AB1' })).toBe(
      `signed by RFC ${RFC}, but the message is of RFC OTR010101AB1`,
    );
    expect(signerMismatch(signer, { ou: 'CUSTOMS' })).toContain('OU=CUSTOMS');
    expect(signerMismatch({ rfc: RFC }, { ou: 'CUSTOMS' })).toContain('without OU');
  });
});

/** A detached JWS with any protected header, properly RS256-signed by the signer's key. */
async function signedHeader(signer: Signer, header: Record<string, unknown>): Promise<string> {
  const compact = await new CompactSign(value).setProtectedHeader(header as { alg: string }).sign(signer.key);
  const [h, , s] = compact.split('.');
  return `${h}..${s}`;
}

async function caOf(dirs: PkiDirs): Promise<x509.X509Certificate> {
  return new x509.X509Certificate(readFileSync(join(dirs.pkiDir, 'ca', 'ca.cer')));
}

async function crlOf(
  dirs: PkiDirs,
  entries: Array<{ serialNumber: string }>,
  issuer?: x509.Name,
): Promise<Buffer> {
  const ca = loadSigner({
    certFile: join(dirs.pkiDir, 'ca', 'ca.cer'),
    keyFile: join(dirs.pkiDir, 'ca', 'ca.key'),
  });
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer ?? (await caOf(dirs)).subjectName,
    thisUpdate: new Date(Date.now() - 60_000),
    nextUpdate: new Date(Date.now() + 86_400_000),
    entries,
    signingKey: await signingKey(ca.key),
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  });
  return Buffer.from(crl.rawData);
}

/** A certificate for `rfc` signed with a holder's (non-CA) key, as an attacker could make. */
async function forgedBy(holder: Signer, rfc: string) {
  const { newRsaKey, createHolderCertificate } = await import('./certificate-issuer.js');
  const key = await newRsaKey();
  const info = await createHolderCertificate(
    { rfc, name: 'Someone Else' },
    key.keys.publicKey,
    { cert: holder.info, key: await signingKey(holder.key) },
    { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + 86_400_000) },
  );
  return { key: key.privateKey, der: info.der };
}

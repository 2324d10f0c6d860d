import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signBearerToken, verifyBearerToken } from './bearer-token.js';
import { initPki, issueCertificate, revokeCertificate, type PkiDirs } from './pki.js';
import { SignatureVerifier } from './signature-verifier.js';
import { loadSigner, type Signer } from './signing-key.js';
import { TrustStore } from './trust-store.js';

// design.md §11's bearer tokens: each way a token can fail gets its own message, and a token
// made outside this code (Python's `cryptography`) verifies too.

const RFC = 'ANO970512KX3';
let dirs: PkiDirs;
let signer: Signer;
let keyFile: string;
let password: string;

beforeAll(async () => {
  const pkiDir = mkdtempSync(join(tmpdir(), 'ventanilla-token-'));
  dirs = { pkiDir, trustDir: join(pkiDir, 'trust') };
  await initPki(dirs);
  const issued = await issueCertificate(dirs, { kind: 'trader', rfc: RFC, name: 'Aguacates del Norte' });
  signer = loadSigner(issued);
  keyFile = issued.keyFile;
  password = issued.password;
});
afterAll(() => rmSync(dirs.pkiDir, { recursive: true, force: true }));

const verifier = () => new SignatureVerifier(TrustStore.load(dirs.trustDir, { recheckMs: 0 }));
const x5c = () => signer.chain.map((der) => Buffer.from(der).toString('base64'));
const verify = async (authorization: string | undefined, now?: Date) =>
  verifyBearerToken(verifier(), authorization, now);

describe('bearer tokens', () => {
  it('accept a token of a trusted holder, naming the holder, the jti and exp', async () => {
    const token = await signBearerToken(signer, { jti: 'jti-1' });
    const verdict = await verify(`Bearer ${token}`);
    expect(verdict).toEqual({
      ok: true,
      token: { holder: expect.objectContaining({ rfc: RFC }), jti: 'jti-1', exp: expect.any(Number) },
    });
  });

  it('refuse a missing, malformed or foreign-scheme Authorization header', async () => {
    expect(await verify(undefined)).toEqual({
      ok: false,
      message: expect.stringMatching(/no Authorization/),
    });
    expect(await verify('Basic dTpw')).toEqual({ ok: false, message: expect.stringMatching(/not "Bearer/) });
    expect(await verify('Bearer not.a.jwt')).toEqual({
      ok: false,
      message: expect.stringMatching(/not a JWT/),
    });
  });

  it('refuse an expired token, one that lives too long, and one for another audience', async () => {
    const old = await signBearerToken(signer, { now: new Date(Date.now() - 600_000) });
    expect(await verify(`Bearer ${old}`)).toEqual({ ok: false, message: expect.stringMatching(/expired/) });
    const long = await signBearerToken(signer, { lifetimeS: 3600 });
    expect(await verify(`Bearer ${long}`)).toEqual({
      ok: false,
      message: expect.stringMatching(/lives 3600 s/),
    });
    const elsewhere = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', x5c: x5c() })
      .setSubject(RFC)
      .setAudience('somewhere-else')
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('j')
      .sign(signer.key);
    expect(await verify(`Bearer ${elsewhere}`)).toEqual({ ok: false, message: expect.stringMatching(/aud/) });
  });

  it("refuse a sub that is not the certificate's RFC, and a token signed by another key", async () => {
    const claimsOther = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', x5c: x5c() })
      .setSubject('XAXX010101000')
      .setAudience('ventanilla')
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('j')
      .sign(signer.key);
    expect(await verify(`Bearer ${claimsOther}`)).toEqual({
      ok: false,
      message: expect.stringMatching(/sub "XAXX010101000" is not its certificate's RFC/),
    });
    const other = await issueCertificate(dirs, { kind: 'trader', rfc: 'BBB010101BB1', name: 'Otro' });
    const forged = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', x5c: x5c() })
      .setSubject(RFC)
      .setAudience('ventanilla')
      .setIssuedAt()
      .setExpirationTime('2m')
      .setJti('j')
      .sign(loadSigner(other).key);
    expect(await verify(`Bearer ${forged}`)).toEqual({
      ok: false,
      message: expect.stringMatching(/signature does not match/),
    });
  });

  it("refuse a revoked holder's token", async () => {
    const holder = await issueCertificate(dirs, { kind: 'trader', rfc: 'CCC010101CC1', name: 'Revocada' });
    const token = await signBearerToken(loadSigner(holder));
    await revokeCertificate(dirs, holder.info.serial);
    expect(await verify(`Bearer ${token}`)).toEqual({ ok: false, message: expect.stringMatching(/revoked/) });
  });

  it("accept a token made by Python's cryptography, not by this code", async () => {
    const script = `
import base64, json, sys, time, uuid
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
key = serialization.load_der_private_key(open(sys.argv[1], 'rb').read(), password=sys.argv[2].encode())
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b'=').decode()
now = int(time.time())
header = b64(json.dumps({'alg': 'RS256', 'x5c': json.loads(sys.argv[3])}).encode())
claims = b64(json.dumps({'sub': sys.argv[4], 'aud': 'ventanilla', 'iat': now, 'exp': now + 120, 'jti': str(uuid.uuid4())}).encode())
signature = key.sign(f'{header}.{claims}'.encode(), padding.PKCS1v15(), hashes.SHA256())
print(f'{header}.{claims}.{b64(signature)}')
`;
    const token = execFileSync('python3', ['-c', script, keyFile, password, JSON.stringify(x5c()), RFC])
      .toString()
      .trim();
    expect(await verify(`Bearer ${token}`)).toEqual(expect.objectContaining({ ok: true }));
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signDetached } from './jws.js';
import { initPki, issueCertificate } from './pki.js';
import { SignatureVerifier } from './signature-verifier.js';
import { loadSigner, type Signer } from './signing-key.js';
import { TrustStore } from './trust-store.js';

// The signature covers every bit of the value: no flip anywhere goes unnoticed. One key pair for
// all runs, in this file's own directory (a key costs a few hundred milliseconds to make).

let dir: string;
let signer: Signer;
let verifier: SignatureVerifier;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ventanilla-property-'));
  const dirs = { pkiDir: dir, trustDir: join(dir, 'trust') };
  await initPki(dirs);
  signer = loadSigner(await issueCertificate(dirs, { kind: 'trader', rfc: 'ANO970512KX3', name: 'A' }));
  verifier = new SignatureVerifier(TrustStore.load(dirs.trustDir));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a signed value', () => {
  it('is refused after any single-bit flip', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 512 }), fc.nat(), async (value, seed) => {
        const header = await signDetached(value, signer);
        const bit = seed % (value.length * 8);
        const flipped = Uint8Array.from(value);
        flipped[bit >> 3] = flipped[bit >> 3]! ^ (1 << (bit & 7));
        const verdict = await verifier.verify(flipped, header, Date.now());
        expect(verdict).toMatchObject({ ok: false, code: 'SIGNATURE_INVALID' });
        // And the value as signed still verifies: the refusal is the flip's doing.
        expect((await verifier.verify(value, header, Date.now())).ok).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { initPki } from './pki.js';
import { parseRevokedList, TrustStore } from './trust-store.js';

const made: string[] = [];
afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

async function freshTrust(): Promise<{ trustDir: string; serial: string; issuer: string }> {
  const pkiDir = mkdtempSync(join(tmpdir(), 'ventanilla-trust-'));
  made.push(pkiDir);
  const trustDir = join(pkiDir, 'trust');
  const { ca } = await initPki({ pkiDir, trustDir });
  return { trustDir, serial: ca.serial, issuer: ca.issuer };
}

describe('revoked.txt', () => {
  it('reads one serial a line in any case, with colons and comments, and reports the rest', () => {
    const text = '# revoked by the operator\n0A:BC:de  # key lost\n\n  FF00\nnot-a-serial\r\n00ff01\n';
    expect(parseRevokedList(text)).toEqual({
      serials: new Set(['abcde', 'ff00', 'ff01']),
      problems: ['line 5: "not-a-serial" is not a hex serial; ignored'],
    });
  });
});

describe('TrustStore', () => {
  it('looks at the files again at most every recheck interval, then sees a revocation', async () => {
    const { trustDir, serial, issuer } = await freshTrust();
    let clock = 1_000_000;
    const store = TrustStore.load(trustDir, { now: () => clock });
    const first = await store.current();
    expect(first.anchors).toHaveLength(1);
    expect(first.revocation({ serial: 'abc', issuer })).toBeUndefined();
    writeFileSync(join(trustDir, 'revoked.txt'), 'ABC\n');
    clock += 4_000;
    expect(await store.current()).toBe(first);
    clock += 1_000;
    const second = await store.current();
    expect(second.generation).toBe(first.generation + 1);
    expect(second.revocation({ serial: 'abc', issuer })).toBe(join(trustDir, 'revoked.txt'));
    expect(second.revocation({ serial, issuer })).toBeUndefined();
  });

  it('trusts nobody once its directory is gone, and recovers when it is back', async () => {
    const { trustDir } = await freshTrust();
    const store = TrustStore.load(trustDir, { recheckMs: 0 });
    renameSync(trustDir, `${trustDir}.away`);
    const gone = await store.current();
    expect(gone.anchors).toEqual([]);
    expect(gone.problems.join()).toContain('no such file');
    renameSync(`${trustDir}.away`, trustDir);
    expect((await store.current()).anchors).toHaveLength(1);
  });

  it('skips files that are not certificates, saying which', async () => {
    const { trustDir } = await freshTrust();
    writeFileSync(join(trustDir, 'junk.cer'), 'not a certificate');
    writeFileSync(join(trustDir, 'junk.crl'), 'not a crl');
    const snapshot = await TrustStore.load(trustDir).current();
    expect(snapshot.anchors).toHaveLength(1);
    expect(snapshot.problems).toEqual([
      expect.stringContaining('junk.cer skipped: not an X.509 certificate'),
      expect.stringContaining('junk.crl skipped'),
    ]);
    expect(readdirSync(trustDir)).toHaveLength(4);
  });
});

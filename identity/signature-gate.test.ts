import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initPki } from './pki.js';
import { SignatureGate } from './signature-gate.js';

function recorder() {
  const lines: Array<{ level: string; fields: object; message: string }> = [];
  const at = (level: string) => (fields: object, message: string) => lines.push({ level, fields, message });
  return { lines, logger: { info: at('info'), warn: at('warn') } };
}

describe('SignatureGate at startup', () => {
  it('reports the trust store it verifies against, and each file it could not use', async () => {
    const pkiDir = mkdtempSync(join(tmpdir(), 'gate-'));
    const trustDir = join(pkiDir, 'trust');
    await initPki({ pkiDir, trustDir });
    writeFileSync(join(trustDir, 'broken.cer'), 'not a certificate');
    const { lines, logger } = recorder();
    await SignatureGate.open({ signatures: 'required', trustDir }).report(logger);
    expect(lines[0]).toMatchObject({ level: 'info', fields: { policy: 'required', trustDir, anchors: 1 } });
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.message)).toEqual([
      expect.stringContaining('broken.cer'),
    ]);
  });

  it('lets through only what it need not check: everything when off, unsigned records when optional', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gate-'));
    await initPki({ pkiDir: dir, trustDir: join(dir, 'trust') });
    const signed = { headers: { 'ventanilla-signature': 'x.y.z' } };
    const optional = SignatureGate.open({ signatures: 'optional', trustDir: join(dir, 'trust') });
    const required = SignatureGate.open({ signatures: 'required', trustDir: join(dir, 'trust') });
    expect([optional.letsThrough({}), optional.letsThrough(signed)]).toEqual([true, false]);
    expect([required.letsThrough({}), required.letsThrough(signed)]).toEqual([false, false]);
  });

  it('says so when nothing is verified', async () => {
    const { lines, logger } = recorder();
    const gate = SignatureGate.open({ signatures: 'off', trustDir: '/nonexistent' });
    await gate.report(logger);
    expect(gate.letsThrough({ headers: {} })).toBe(true);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});

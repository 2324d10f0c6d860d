import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { initPki } from '../../identity/pki.js';
import { SignatureGate } from '../../services/signature-gate.js';

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

  it('says so when nothing is verified', async () => {
    const { lines, logger } = recorder();
    const gate = SignatureGate.open({ signatures: 'off', trustDir: '/nonexistent' });
    await gate.report(logger);
    expect(gate.enabled).toBe(false);
    expect(lines).toEqual([expect.objectContaining({ level: 'warn' })]);
  });
});

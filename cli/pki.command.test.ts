import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SIGNATURE_HEADER } from '../identity/jws.js';
import { SignatureVerifier } from '../identity/signature-verifier.js';
import { TrustStore } from '../identity/trust-store.js';
import { loadConfig } from '../runtime/config.js';
import { CliError } from './cli-error.js';
import { pkiCommand } from './pki.command.js';
import { signCommand } from './sign.command.js';
import { signerFor } from './signing-choice.js';

// The identity commands in-process (what they print), and through the real `ventanilla` entry
// point for what only it decides: the one-line error and the exit status.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const made: string[] = [];
afterEach(() => made.splice(0).forEach((dir) => rmSync(dir, { recursive: true, force: true })));

function home(): string {
  const dir = mkdtempSync(join(tmpdir(), 'ventanilla-cli-pki-'));
  made.push(dir);
  return dir;
}

/** A command context on its own VENTANILLA_HOME that keeps what is printed. */
function context(dir: string, json = false) {
  const printed: string[] = [];
  const config = loadConfig({ VENTANILLA_HOME: dir });
  const print = (value: unknown, human: () => string) => printed.push(json ? JSON.stringify(value) : human());
  return { ctx: { config, print }, printed };
}

function ventanilla(dir: string, args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'cli/main.ts', ...args], {
    cwd: ROOT,
    env: { ...process.env, VENTANILLA_HOME: dir },
    encoding: 'utf8',
  });
}

describe('ventanilla pki', () => {
  it('init twice: the second run keeps the CA', async () => {
    const dir = home();
    const { ctx, printed } = context(dir, true);
    await pkiCommand(ctx, ['init'], {});
    await pkiCommand(ctx, ['init'], {});
    const [first, second] = printed.map((line) => JSON.parse(line));
    expect(first).toMatchObject({ created: true, caFile: join(dir, 'pki', 'ca', 'ca.cer') });
    expect(second).toMatchObject({ created: false, serial: first.serial, fingerprint: first.fingerprint });
  });

  it('issue trader prints the paths and the key password, which opens the key', async () => {
    const dir = home();
    const { ctx, printed } = context(dir);
    await pkiCommand(ctx, ['init'], {});
    await pkiCommand(ctx, ['issue', 'trader'], {
      rfc: 'ANO970512KX3',
      name: 'Aguacates del Norte',
      days: '30',
    });
    const text = printed[1]!;
    expect(text).toContain('issued a trader certificate for ANO970512KX3 (Aguacates del Norte)');
    expect(text).toContain(join(dir, 'pki', 'holders', 'ANO970512KX3.key'));
    const password = /password {5}(\S+)/.exec(text)?.[1];
    expect(password).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const signer = signerFor(ctx, {}, 'ANO970512KX3');
    expect(signer.info.rfc).toBe('ANO970512KX3');
    expect(signer.info.notAfter.getTime() - signer.info.notBefore.getTime()).toBe(30 * 86_400_000);
  });

  it('refuses a bad issue with the fix: kind, RFC, officer agency, days', async () => {
    const { ctx } = context(home());
    await pkiCommand(ctx, ['init'], {});
    await expect(pkiCommand(ctx, ['issue', 'admin'], {})).rejects.toThrow(/trader, officer or operator/);
    await expect(pkiCommand(ctx, ['issue', 'trader'], { rfc: 'X' })).rejects.toThrow(/--rfc RFC and --name/);
    await expect(pkiCommand(ctx, ['issue', 'trader'], { rfc: 'X', name: 'n' })).rejects.toThrow(
      /"X" is not an RFC/,
    );
    await expect(pkiCommand(ctx, ['issue', 'officer'], { rfc: 'HEAL800101OF1', name: 'n' })).rejects.toThrow(
      /needs --agency CODE/,
    );
    await expect(
      pkiCommand(ctx, ['issue', 'trader'], { rfc: 'ANO970512KX3', name: 'n', days: '1.5' }),
    ).rejects.toThrow(/--days must be a whole number/);
    await expect(pkiCommand(ctx, ['frobnicate'], {})).rejects.toBeInstanceOf(CliError);
  });

  it('revoke and list: --json parses, and the revoked certificate shows as such', async () => {
    const dir = home();
    const { ctx, printed } = context(dir, true);
    await pkiCommand(ctx, ['init'], {});
    await pkiCommand(ctx, ['issue', 'officer'], { rfc: 'HEAL800101OF1', name: 'Oficial', agency: 'HEALTH' });
    const issued = JSON.parse(printed[1]!);
    expect(issued).toMatchObject({
      kind: 'officer',
      rfc: 'HEAL800101OF1',
      ou: 'HEALTH',
      password: expect.any(String),
    });
    await pkiCommand(ctx, ['revoke', issued.serial.toUpperCase()], {});
    await pkiCommand(ctx, ['revoke', issued.serial], {});
    expect(JSON.parse(printed[2]!)).toMatchObject({ added: true, serial: issued.serial });
    expect(JSON.parse(printed[3]!)).toMatchObject({ added: false });
    await pkiCommand(ctx, ['list'], {});
    const { certificates } = JSON.parse(printed[4]!);
    expect(certificates.map((c: { kind: string; revoked: boolean }) => [c.kind, c.revoked])).toEqual([
      ['ca', false],
      ['officer', true],
    ]);
  });
});

describe('ventanilla sign', () => {
  it("signs a declaration's exact bytes with its trader's development certificate", async () => {
    const dir = home();
    const { ctx, printed } = context(dir, true);
    await pkiCommand(ctx, ['init'], {});
    await pkiCommand(ctx, ['issue', 'trader'], { rfc: 'ANO970512KX3', name: 'Aguacates' });
    const file = join(dir, 'declaration.json');
    const bytes = '{ "kind": "declaration",\n  "trader": { "taxId": "ANO970512KX3" } }\n';
    writeFileSync(file, bytes);
    await signCommand(ctx, [file], {});
    const signed = JSON.parse(printed[2]!);
    expect(signed).toMatchObject({ header: SIGNATURE_HEADER, signer: { rfc: 'ANO970512KX3' } });
    const verifier = new SignatureVerifier(TrustStore.load(ctx.config.trustDir));
    expect(await verifier.verify(Buffer.from(bytes), signed.signature, Date.now())).toMatchObject({
      ok: true,
    });
    writeFileSync(join(dir, 'other.json'), '{"kind":"amendment"}');
    await expect(signCommand(ctx, [join(dir, 'other.json')], {})).rejects.toThrow(/pass --cert F --key F/);
    await expect(signCommand(ctx, [file], { cert: 'x.cer' })).rejects.toThrow(/--cert and --key go together/);
  });
});

describe('the ventanilla command', () => {
  it('prints a wrong password as one line and exits 1; --json output parses', async () => {
    const dir = home();
    const init = ventanilla(dir, ['pki', 'init', '--json']);
    expect(init.status, init.stderr).toBe(0);
    expect(JSON.parse(init.stdout)).toMatchObject({ created: true });
    const issue = ventanilla(dir, [
      'pki',
      'issue',
      'trader',
      '--rfc',
      'ANO970512KX3',
      '--name',
      'A',
      '--json',
    ]);
    expect(issue.status, issue.stderr).toBe(0);
    const { certFile, keyFile } = JSON.parse(issue.stdout);
    const wrong = join(dir, 'wrong.password');
    writeFileSync(wrong, 'nope\n');
    const file = join(dir, 'message.json');
    writeFileSync(file, '{}');
    const signed = ventanilla(dir, [
      'sign',
      file,
      '--cert',
      certFile,
      '--key',
      keyFile,
      '--password-file',
      wrong,
    ]);
    expect(signed.status).toBe(1);
    expect(signed.stdout).toBe('');
    expect(signed.stderr).toBe(
      `error: cannot open ${keyFile}: wrong password (read from ${wrong}; in development the password is in ANO970512KX3.password beside the key)\n`,
    );
  });
});

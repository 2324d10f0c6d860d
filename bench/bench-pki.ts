import { join } from 'node:path';
import { SIGNATURE_HEADER, signDetached } from '../identity/jws.js';
import { ensureDevPki, holderFiles, type PkiDirs } from '../identity/pki.js';
import { loadSigner, type Signer } from '../identity/signing-key.js';
import { BENCH_TRADER } from './declaration.js';

/**
 * The benchmark's own PKI beside the stack (`$VENTANILLA_HOME/bench-pki`): S runs as production
 * does, with VENTANILLA_SIGNATURES=required, so every declaration is signed by its trader and
 * verified at intake. Made on the first run, reused after.
 */
export async function benchSigner(
  home: string,
): Promise<{ dirs: PkiDirs; signer: Signer; sign: (value: string) => Promise<Record<string, string>> }> {
  const pkiDir = join(home, 'bench-pki');
  const dirs = { pkiDir, trustDir: join(pkiDir, 'trust') };
  await ensureDevPki(dirs, [{ kind: 'trader', rfc: BENCH_TRADER.taxId, name: BENCH_TRADER.name }]);
  const signer: Signer = loadSigner(holderFiles(dirs, BENCH_TRADER.taxId));
  return {
    dirs,
    signer,
    sign: async (value) => ({ [SIGNATURE_HEADER]: await signDetached(Buffer.from(value), signer) }),
  };
}

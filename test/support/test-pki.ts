import { join } from 'node:path';
import type { IHeaders } from 'kafkajs';
import { devOfficerRfc } from '../../identity/dev-holders.js';
import { SIGNATURE_HEADER, signDetached } from '../../identity/jws.js';
import { holderFiles, initPki, issueCertificate, type HolderKind } from '../../identity/pki.js';
import { loadSigner } from '../../identity/signing-key.js';
import { loadConfig } from '../../runtime/config.js';

/**
 * The tests' own PKI, outside the repo beside the stack (`$VENTANILLA_HOME/test-pki`): made once by
 * the global setup, so that parallel test files never race to write it. Every pipeline a test
 * starts trusts its CA (see isolatedEnv).
 */
export const TEST_PKI = (() => {
  const pkiDir = join(loadConfig().home, 'test-pki');
  return { pkiDir, trustDir: join(pkiDir, 'trust') };
})();

/** The holders the tests sign as: the fixtures' traders, one officer per agency, an operator. */
export const TEST_HOLDERS: Array<{ kind: HolderKind; rfc: string; name: string; agency?: string }> = [
  { kind: 'trader', rfc: 'AME970512KX3', name: 'Aguacates del Norte SA de CV' },
  { kind: 'trader', rfc: 'OTR010101AB1', name: 'Otro Comerciante SA de CV' },
  { kind: 'trader', rfc: 'MIX010101AB1', name: 'Trader of the declaration mix' },
  ...['CUSTOMS', 'ECONOMY', 'HEALTH', 'AGRICULTURE', 'ENVIRONMENT'].map((agency) => ({
    kind: 'officer' as const,
    rfc: devOfficerRfc(agency),
    name: `Oficial de ${agency}`,
    agency,
  })),
];

/** Creates the CA and every test holder that is missing (the global setup's step). */
export async function ensureTestPki(): Promise<void> {
  await initPki(TEST_PKI);
  for (const holder of TEST_HOLDERS) {
    const files = holderFiles(TEST_PKI, holder.rfc);
    try {
      loadSigner(files);
    } catch {
      await issueCertificate(TEST_PKI, holder);
    }
  }
}

/**
 * The `ventanilla-signature` header of `value` signed by the holder `rfc` (of the tests' PKI, or of
 * the one in `pkiDir`).
 */
export async function signatureHeaders(
  value: string | Buffer,
  rfc: string,
  iat?: number,
  pkiDir = TEST_PKI.pkiDir,
): Promise<Record<string, string>> {
  const signer = loadSigner(holderFiles({ pkiDir }, rfc));
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return { [SIGNATURE_HEADER]: await signDetached(bytes, signer, iat) };
}

const KNOWN = new Set(TEST_HOLDERS.map((h) => h.rfc));

/** The trader RFC a record's value names, if it is a JSON object with one. */
function traderOf(value: string | Buffer | null): string | undefined {
  if (value === null) return undefined;
  try {
    const taxId = (JSON.parse(value.toString()) as { trader?: { taxId?: unknown } } | null)?.trader?.taxId;
    return typeof taxId === 'string' ? taxId : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Records as a trader's tool sends them: each signed by `rfc`, or else by the trader its value
 * names when that trader has a test certificate. Others (garbage, unknown traders) go as they are.
 */
export async function withSignatures<M extends { value: string | Buffer | null; headers?: IHeaders }>(
  messages: M[],
  rfc?: string,
): Promise<M[]> {
  return Promise.all(
    messages.map(async (message) => {
      const signer = rfc ?? traderOf(message.value);
      if (!signer || !KNOWN.has(signer) || message.value === null) return message;
      return {
        ...message,
        headers: { ...message.headers, ...(await signatureHeaders(message.value, signer)) },
      };
    }),
  );
}

import type { SignerRecord } from '../domain/audit.js';
import { SignatureRefusal } from '../domain/failures.js';
import type { Config, SignaturePolicy } from '../runtime/config.js';
import { SIGNATURE_HEADER } from './jws.js';
import { SignatureVerifier, signerMismatch } from './signature-verifier.js';
import { TrustStore } from './trust-store.js';

/** A message's headers as Kafka clients give them (kafkajs' `IHeaders`), or as the CLI builds them. */
export type MessageHeaders = Record<string, Buffer | string | Array<Buffer | string> | undefined>;

/** Who signed a record, or why it is refused (design.md §10). */
export type SignatureVerdict =
  { ok: true; signer?: SignerRecord } | { ok: false; code: SignatureRefusal; message: string };

/** The two levels the startup report writes at (a pino logger has them). */
export interface StartupLog {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Whose signature the record must carry: the trader's RFC, or the deciding agency (`OU`). */
export interface ExpectedSigner {
  rfc?: string;
  ou?: string;
}

/**
 * VENTANILLA_SIGNATURES applied to records: intake and the decision bridge ask it who signed each
 * one, and `ventanilla decide` checks its own signature with it before sending. The trust store
 * is opened once, at startup, so a missing one stops the process with the fix instead of refusing
 * every record.
 */
export class SignatureGate {
  private constructor(
    private readonly policy: SignaturePolicy,
    private readonly trust?: TrustStore,
    private readonly verifier = trust && new SignatureVerifier(trust),
  ) {}

  static open(config: Pick<Config, 'signatures' | 'trustDir'>): SignatureGate {
    if (config.signatures === 'off') return new SignatureGate('off');
    return new SignatureGate(config.signatures, TrustStore.load(config.trustDir));
  }

  /** Requires a valid signature whatever VENTANILLA_SIGNATURES says: for a signer checking its own. */
  static strict(trustDir: string): SignatureGate {
    return new SignatureGate('required', TrustStore.load(trustDir));
  }

  /**
   * Says once, at startup, what the services verify against, and what in the trust store they
   * could not use (a broken CA file, a bad line of revoked.txt, a CRL no trusted CA signed), so
   * that an operator learns of it before traders do.
   */
  async report(logger: StartupLog): Promise<void> {
    if (!this.trust) {
      logger.warn({ policy: this.policy }, 'signatures are not verified (VENTANILLA_SIGNATURES=off)');
      return;
    }
    const { anchors, problems } = await this.trust.current();
    const trustDir = this.trust.dir;
    logger.info({ policy: this.policy, trustDir, anchors: anchors.length }, 'verifying signatures');
    for (const problem of problems) logger.warn({ trustDir }, `trust store: ${problem}`);
  }

  /**
   * True when the record passes unchecked: signatures off, or optional and the record carries
   * none. Callers ask before they spend a lookup on whose signature to expect.
   */
  letsThrough(record: { headers?: MessageHeaders }): boolean {
    if (!this.verifier) return true;
    return this.policy === 'optional' && record.headers?.[SIGNATURE_HEADER] === undefined;
  }

  /** Verifies the signature header over the record's exact value bytes, signed near its timestamp. */
  async check(
    record: { value: Buffer | null; headers?: MessageHeaders },
    timestampMs: number,
    expected: ExpectedSigner,
  ): Promise<SignatureVerdict> {
    if (!this.verifier || this.letsThrough(record)) return { ok: true };
    const header = record.headers?.[SIGNATURE_HEADER];
    if (Array.isArray(header)) {
      return {
        ok: false,
        code: SignatureRefusal.Invalid,
        message: `more than one ${SIGNATURE_HEADER} header`,
      };
    }
    const verdict = await this.verifier.verify(record.value ?? Buffer.alloc(0), header, timestampMs);
    if (!verdict.ok) return { ok: false, code: verdict.code, message: verdict.message };
    const mismatch = signerMismatch(verdict.signer, expected);
    if (mismatch) return { ok: false, code: SignatureRefusal.SignerMismatch, message: mismatch };
    const { rfc, serial, fingerprint } = verdict.signer;
    return { ok: true, signer: { rfc, serial, fingerprint } };
  }
}

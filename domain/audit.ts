import { clip } from './bounded-text.js';
import type { DecisionInput } from './clearance-state.js';

// The audit trail of a clearance: one entry per thing that happened to it, who did it and when.
// The reducer writes the entries; the workflow only keeps them and carries the newest on.

export const AUDIT_TYPES = [
  'received',
  'decision',
  'amendment',
  'withdrawal',
  'deadline',
  'duplicate',
  'input-rejected',
  'refused',
  'failure',
] as const;
export type AuditType = (typeof AUDIT_TYPES)[number];

/**
 * Who signed an accepted message (design.md §10, non-repudiation): the certificate's RFC, its
 * serial (hex) and the SHA-256 fingerprint of its DER, enough to find the very certificate later.
 */
export interface SignerRecord {
  rfc: string;
  serial: string;
  fingerprint: string;
}

export interface AuditEntry {
  at: string;
  type: AuditType;
  by?: string;
  agency?: string;
  ref?: string;
  detail: string;
  /** Present for every signed message the clearance accepted. */
  signer?: SignerRecord;
}

/** `{ signer }` when there is one, so that unsigned entries stay exactly as they were. */
export const signedBy = (signer: SignerRecord | undefined): { signer?: SignerRecord } =>
  signer ? { signer } : {};

export const AUDIT_LIMITS = {
  /** Entries carried to the next run by continue-as-new. */
  carried: 1000,
  /** Total detail text of the entries carried, so the next run's input stays small. */
  carriedChars: 256 * 1024,
  /** One entry's detail; what an input says about itself can be long (every line, every error). */
  detailChars: 4000,
} as const;

/** An entry whose detail fits AUDIT_LIMITS.detailChars; within bounds, the same object. */
export function boundedEntry(entry: AuditEntry): AuditEntry {
  if (entry.detail.length <= AUDIT_LIMITS.detailChars) return entry;
  return {
    ...entry,
    detail: `${clip(entry.detail, AUDIT_LIMITS.detailChars - 40)} … (${entry.detail.length} characters in all)`,
  };
}

/** The newest audit entries, within a count and a total of detail text. */
export function carriedAudit(audit: readonly AuditEntry[]): AuditEntry[] {
  let chars = 0;
  let from = audit.length;
  while (from > 0 && audit.length - from < AUDIT_LIMITS.carried) {
    chars += audit[from - 1]!.detail.length;
    if (chars > AUDIT_LIMITS.carriedChars) break;
    from--;
  }
  return audit.slice(from);
}

/** The first entry of every clearance. */
export function receivedEntry(receivedAt: string, signer?: SignerRecord): AuditEntry {
  return {
    at: receivedAt,
    type: 'received',
    by: 'trader',
    detail: 'declaration received',
    ...signedBy(signer),
  };
}

export function describeDecision(decision: Pick<DecisionInput, 'outcome' | 'reasons'>): string {
  const why = decision.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
  return `${decision.outcome}${why ? ` (${why})` : ''}`;
}

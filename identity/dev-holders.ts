// The holders of the development PKI that `npm start` creates: the traders of examples/, one
// officer per agency and one operator. Their RFCs are fixed, so that `decide` finds the officer
// of an agency without being told, and a restart finds the certificates it made before.

export interface DevHolder {
  kind: 'trader' | 'officer' | 'operator';
  rfc: string;
  name: string;
  /** The officer's agency, the certificate's `OU`. */
  agency?: string;
}

/** A person's RFC shape: four letters, a date (800101), a three-character homoclave. */
export function devOfficerRfc(agency: string): string {
  const letters = agency.replace(/[^A-Z]/g, '');
  return `${letters.slice(0, 4).padEnd(4, 'X')}800101OF1`;
}

export const DEV_OPERATOR: DevHolder = {
  kind: 'operator',
  rfc: 'OPER800101OP1',
  name: 'Operador de desarrollo',
};

export function devHolders(agencies: string[], traders: Array<{ taxId: string; name: string }>): DevHolder[] {
  const seen = new Set<string>();
  const unique = traders.filter((t) => !seen.has(t.taxId) && seen.add(t.taxId));
  return [
    ...unique.map((t): DevHolder => ({ kind: 'trader', rfc: t.taxId, name: t.name })),
    ...agencies.map((agency): DevHolder => ({
      kind: 'officer',
      rfc: devOfficerRfc(agency),
      name: `Oficial de ${agency}`,
      agency,
    })),
    DEV_OPERATOR,
  ];
}

import { DOCUMENT_TYPES } from '../schemas/common.schema.js';
import type { Declaration, DocumentType, Item, Registry, Regime, RoutingRule } from '../schemas/types.js';

/** Which items of a declaration an agency must review, and which documents it requires for them. */
export interface AgencyRoute {
  agency: string;
  lineNos: number[];
  requiredDocuments: DocumentType[];
}

export function hsChapter(hsCode: string): number {
  return Number(hsCode.slice(0, 2));
}

export function chapterInRanges(chapter: number, ranges: readonly string[]): boolean {
  return ranges.some((range) => {
    const [from, to = from] = range.split('-').map(Number) as [number, number?];
    return chapter >= from && chapter <= to;
  });
}

function ruleMatchesItem(
  rule: RoutingRule,
  item: Item,
  regime: Regime,
  embargoed: ReadonlySet<string>,
): boolean {
  if (rule.regimes && !rule.regimes.includes(regime)) return false;
  if (rule.always) return true;
  // Every criterion a rule names must hold (AND); a rule that names none matches nothing.
  const checks: boolean[] = [];
  if (rule.chapters) checks.push(chapterInRanges(hsChapter(item.hsCode), rule.chapters));
  if (rule.hsPrefixes) checks.push(rule.hsPrefixes.some((prefix) => item.hsCode.startsWith(prefix)));
  if (rule.embargoedOrigin) checks.push(embargoed.has(item.originCountry));
  return checks.length > 0 && checks.every(Boolean);
}

/**
 * Baseline routing (design.md §6) driven entirely by the registry's rules: an agency is required
 * when any of its rules matches any item, and it sees only the items its rules matched.
 * Agencies come back in registry order, so the result is stable for the same input.
 */
export function route(declaration: Pick<Declaration, 'regime' | 'items'>, registry: Registry): AgencyRoute[] {
  const embargoed = new Set(registry.embargo.countries);
  const routes: AgencyRoute[] = [];
  for (const agency of registry.agencies) {
    const lineNos = new Set<number>();
    const documents = new Set<DocumentType>();
    for (const rule of registry.routing) {
      if (rule.agency !== agency.code) continue;
      const matched = declaration.items.filter((item) =>
        ruleMatchesItem(rule, item, declaration.regime, embargoed),
      );
      if (matched.length === 0) continue;
      for (const item of matched) lineNos.add(item.lineNo);
      for (const requirement of rule.requires) {
        const { chapters } = requirement;
        if (!chapters || matched.some((item) => chapterInRanges(hsChapter(item.hsCode), chapters))) {
          documents.add(requirement.document);
        }
      }
    }
    if (lineNos.size > 0) {
      routes.push({
        agency: agency.code,
        lineNos: [...lineNos].sort((a, b) => a - b),
        requiredDocuments: DOCUMENT_TYPES.filter((type) => documents.has(type)),
      });
    }
  }
  return routes;
}

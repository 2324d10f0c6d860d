import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { bundleClearanceWorkflow, SHARED_WORKFLOW_MODULES } from '../../services/clearance-bundle.js';

// The workflow's pure modules are evaluated once per worker thread (services/clearance-bundle.ts).
// A module that workflows/ starts to import and nobody adds to the list still works, but is
// evaluated again for every run; one that leaves workflows/ should leave the list too.

const WORKFLOWS = fileURLToPath(new URL('../../workflows/', import.meta.url));

/** The modules that workflows/ imports for their values (type-only imports are erased). */
function valueImports(): Set<string> {
  const found = new Set<string>();
  for (const name of readdirSync(WORKFLOWS).filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))) {
    const source = ts.createSourceFile(
      name,
      readFileSync(join(WORKFLOWS, name), 'utf8'),
      ts.ScriptTarget.Latest,
    );
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement)) continue;
      const clause = statement.importClause;
      if (clause?.isTypeOnly) continue;
      const bindings = clause?.namedBindings;
      const onlyTypes =
        clause &&
        !clause.name &&
        bindings &&
        ts.isNamedImports(bindings) &&
        bindings.elements.every((e) => e.isTypeOnly);
      if (!onlyTypes) found.add((statement.moduleSpecifier as ts.StringLiteral).text);
    }
  }
  return found;
}

describe('the clearance bundle', () => {
  it('shares every pure module the workflow imports, and only those', () => {
    const pure = [...valueImports()].filter((m) => /^\.\.\/(domain|schemas)\//.test(m)).sort();
    expect(pure.length).toBeGreaterThan(0);
    expect([...SHARED_WORKFLOW_MODULES].sort()).toEqual(pure);
  });

  it('loads the shared modules before any workflow runs', async () => {
    const { code } = await bundleClearanceWorkflow();
    // The SDK's entry point requires them in `preloadModules`, which the reused context runs once.
    const preload = code.slice(
      code.indexOf('preloadModules = function'),
      code.indexOf('importWorkflows = function'),
    );
    expect(preload).toContain('domain/clearance-reducer.ts');
    expect(preload).toContain('schemas/common.schema.ts');
  });
});

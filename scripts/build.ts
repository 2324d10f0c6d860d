import { spawnSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { bundleClearanceWorkflow } from '../services/clearance-bundle.js';

// `npm run build` (and `prepare`, so `npm ci` and `npm install` run it): what the shipped
// processes and the `ventanilla` command run, in dist/.
//   1. tsc -p tsconfig.build.json: the production rooms as JavaScript;
//   2. the files those rooms load by URL next to their code (infra/kafka-broker.pom.xml, ...);
//   3. the clearance workflow bundled once (dist/workflow-bundle.js), instead of webpack running
//      in every worker process at every start.

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DIST = join(ROOT, 'dist');
const BUILD_CONFIG = join(ROOT, 'tsconfig.build.json');
/** Kept in step with services/temporal-workers.ts, which starts workers from this file. */
const WORKFLOW_BUNDLE = join(DIST, 'workflow-bundle.js');

function compile(): void {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const result = spawnSync(process.execPath, [tsc, '-p', BUILD_CONFIG], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) fail(`tsc -p tsconfig.build.json failed (exit ${result.status ?? result.signal})`);
}

/** The rooms tsconfig.build.json compiles (read with TypeScript's parser: the file has comments). */
function builtRooms(): string[] {
  const { config, error } = ts.readConfigFile(BUILD_CONFIG, (path) => ts.sys.readFile(path));
  if (error) fail(ts.flattenDiagnosticMessageText(error.messageText, '\n'));
  return (config as { include: string[] }).include;
}

/** Copies every file of the built rooms that tsc does not handle, to the same place under dist/. */
function copyAssets(): number {
  let copied = 0;
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (!name.endsWith('.ts')) {
        cpSync(path, join(DIST, relative(ROOT, path)));
        copied++;
      }
    }
  };
  for (const room of builtRooms()) walk(join(ROOT, room));
  return copied;
}

async function bundleWorkflows(): Promise<number> {
  // webpack's module listing is noise at install time; only its warnings and errors are shown.
  const quiet = () => undefined;
  const shown = (message: string) => console.error(message);
  const { code } = await bundleClearanceWorkflow({
    log: quiet,
    trace: quiet,
    debug: quiet,
    info: quiet,
    warn: shown,
    error: shown,
  });
  writeFileSync(WORKFLOW_BUNDLE, code);
  return code.length;
}

function fail(message: string): never {
  console.error(`build: ${message}`);
  process.exit(1);
}

const started = Date.now();
// A clean dist/: nothing left over from a source file that was moved or deleted.
rmSync(DIST, { recursive: true, force: true });
compile();
const assets = copyAssets();
const bundleBytes = await bundleWorkflows();
console.log(
  `build: dist/ compiled, ${assets} asset file(s) copied, ${relative(ROOT, WORKFLOW_BUNDLE)} ` +
    `(${Math.round(bundleBytes / 1024)} KiB), in ${((Date.now() - started) / 1000).toFixed(1)}s`,
);

import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

/** The clearance workflow's source, which the build, development, tests and the benchmark bundle. */
export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/clearance.workflow.ts', import.meta.url));

/**
 * The pure modules the workflow imports, evaluated once per worker thread instead of once per
 * workflow run (the SDK's `preloadModules`, for workers with `reuseV8Context`). With a reused V8
 * context the SDK evaluates a run's own modules again for every run it starts, so that no module
 * state leaks from one run to another; for these modules there is nothing to leak:
 *   - domain/ is pure by rule (no I/O, no clock, no randomness; lint enforces it), and its
 *     module-level values are constants;
 *   - schemas/common.schema.ts keeps a cache of compiled patterns (RegExp without the `g` flag,
 *     so no `lastIndex` state), the same for every run;
 *   - @noble/hashes, reached through domain/agency-view.ts, builds its SHA-2 tables at load.
 * Their imports come along. The SDK freezes what they export, so a module that mutated its own
 * exports would fail loudly here rather than leak. test/unit/clearance-bundle.test.ts checks
 * that every domain/ and schemas/ module that workflows/ imports is listed.
 * Paths are relative to the workflows/ folder, where the bundler writes its entry point.
 */
export const SHARED_WORKFLOW_MODULES = [
  '../domain/agency-view.js',
  '../domain/audit.js',
  '../domain/clearance-reducer.js',
  '../domain/clearance-state.js',
  '../domain/duration.js',
  '../domain/failures.js',
  '../domain/opening.js',
  '../domain/routing.js',
  '../domain/status-sequence.js',
  '../schemas/common.schema.js',
] as const;

type BundlerLogger = NonNullable<Parameters<typeof bundleWorkflowCode>[0]['logger']>;

const QUIET: BundlerLogger = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** The clearance workflow bundled, as every worker of it runs it (quiet unless given a logger). */
export function bundleClearanceWorkflow(logger: BundlerLogger = QUIET): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    preloadModules: [...SHARED_WORKFLOW_MODULES],
    logger,
  });
}

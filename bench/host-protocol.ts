import { fileURLToPath } from 'node:url';

// The contract between bench/run.ts and its worker-host children (bench/worker-host.ts), in a
// module of its own so the parent can use it without loading the host's entry point.

/**
 *   baseline          B0: baselineWorkflow's worker plus one no-op activity worker per agency queue
 *   pipeline-workers  S: startTemporalWorkers, as services/temporal.worker.ts runs it
 *   pipeline-intake   S: Intake, as services/intake.worker.ts runs it
 *   pipeline          S: both of the above in one process
 *   projector         G: services/projector.worker.ts (trade.status into the archive)
 *   gateway           G: services/gateway.worker.ts (the trader API and the notifier)
 */
export type HostKind =
  'baseline' | 'pipeline-workers' | 'pipeline-intake' | 'pipeline' | 'projector' | 'gateway';

/**
 * What a host runs, given as its one command-line argument (JSON). The Ventanilla config itself
 * comes from the environment through loadConfig(), exactly as in the production processes.
 */
export interface HostSettings {
  kind: HostKind;
  /** B0: the workflow's task queue and one queue per agency. */
  baseline?: { taskQueue: string; agencyQueues: Record<string, string> };
  /** Experiment overrides of the workflow worker's and the activity workers' options. */
  wfOverrides?: Record<string, number | boolean>;
  actOverrides?: Record<string, number | boolean>;
}

export type HostRequest = { cmd: 'cpu'; id: number } | { cmd: 'stop' };
export type HostReply =
  | { type: 'ready' }
  | { type: 'cpu'; id: number; userUs: number; systemUs: number }
  | { type: 'failed'; message: string }
  | { type: 'stopped' };

export const HOST_SCRIPT = fileURLToPath(new URL('./worker-host.ts', import.meta.url));
export const BASELINE_WORKFLOWS_PATH = fileURLToPath(new URL('./baseline.workflow.ts', import.meta.url));

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI_FROM_SOURCES = ['--import', 'tsx', 'cli/main.ts'];

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `ventanilla` command as an operator would, with a test pipeline's environment.
 * It runs the sources (`node --import tsx cli/main.ts`, what bin/ventanilla.mjs runs compiled
 * from dist/), so that a test never passes or fails on a stale build. Standard input is not a
 * terminal, as in CI. Bounded: the process is killed after `timeoutMs` and the run fails with
 * whatever it printed.
 */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 120_000): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI_FROM_SOURCES, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `ventanilla ${args.join(' ')} did not finish in ${timeoutMs / 1000}s:\n${stdout}\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Runs a `--json` command that must succeed, and parses its output. */
export async function runCliJson<T>(args: string[], env: Record<string, string>): Promise<T> {
  const run = await runCli([...args, '--json'], env);
  if (run.code !== 0) {
    throw new Error(`ventanilla ${args.join(' ')} exited with ${run.code}:\n${run.stdout}\n${run.stderr}`);
  }
  try {
    return JSON.parse(run.stdout) as T;
  } catch {
    throw new Error(`ventanilla ${args.join(' ')} printed no JSON:\n${run.stdout}\n${run.stderr}`);
  }
}

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `ventanilla <args>` as a user would, as a child process with the test pipeline's env, from
 * the sources (what bin/ventanilla.mjs runs compiled from dist/), so a stale build never counts.
 */
export function runCli(env: Record<string, string>, args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'cli/main.ts', ...args],
      { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

export async function runCliJson<T>(env: Record<string, string>, args: string[]): Promise<T> {
  const result = await runCli(env, [...args, '--json']);
  if (result.code !== 0)
    throw new Error(`ventanilla ${args.join(' ')} failed (${result.code}): ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

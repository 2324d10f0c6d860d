import { spawn, spawnSync } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { StackError } from './processes.js';

export type Say = (line: string) => void;

/**
 * Runs a long install step (a Maven download, a Go build) with its output in a log file and a
 * heartbeat line every 15 s, so a first run that takes minutes never looks hung.
 */
export async function runInstallStep(
  label: string,
  command: string,
  args: string[],
  options: { logPath: string; env?: NodeJS.ProcessEnv; cwd?: string; say: Say; fix: string },
): Promise<void> {
  mkdirSync(dirname(options.logPath), { recursive: true });
  const log = createWriteStream(options.logPath, { flags: 'w' });
  const started = Date.now();
  options.say(`${label} (first run only; log: ${options.logPath})`);
  const heartbeat = setInterval(
    () => options.say(`  ...still working on it, ${Math.round((Date.now() - started) / 1000)}s so far`),
    15_000,
  );
  try {
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(command, args, {
        env: options.env ?? process.env,
        cwd: options.cwd,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.pipe(log, { end: false });
      child.stderr.pipe(log, { end: false });
      child.once('error', reject);
      child.once('close', (exitCode) => resolve(exitCode ?? 1));
    });
    await new Promise<void>((resolve) => log.end(resolve));
    if (code !== 0) {
      const tail = readFileSync(options.logPath, 'utf8').trim().split('\n').slice(-15).join('\n    ');
      throw new StackError(
        `${label} failed (exit ${code}). Last lines of the log:\n    ${tail}`,
        options.fix,
      );
    }
    options.say(`  done in ${Math.round((Date.now() - started) / 1000)}s`);
  } finally {
    clearInterval(heartbeat);
  }
}

/** Checks that a prerequisite tool exists and returns its version output. */
export function requireTool(command: string, versionArgs: string[], why: string, fix: string): string {
  const result = spawnSync(command, versionArgs, { encoding: 'utf8' });
  if (result.error || result.status !== 0) {
    throw new StackError(`${command} was not found, and it is needed ${why}`, fix);
  }
  return `${result.stdout}${result.stderr}`;
}

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * The real intake worker (or the whole pipeline process, which runs intake too) as a child
 * process, so a test can SIGKILL it like a crashing host.
 */
export class IntakeProcess {
  private output = '';
  private constructor(private readonly child: ChildProcess) {
    child.stdout?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
  }

  static start(env: Record<string, string>, script = 'services/intake.worker.ts'): IntakeProcess {
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      env: { ...process.env, ...env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new IntakeProcess(child);
  }

  /** Resolves once the process logged `marker`: by default, that intake's consumer is consuming. */
  async ready(timeoutMs = 60_000, marker = 'intake consuming'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.output.includes(marker)) {
      if (this.child.exitCode !== null)
        throw new Error(`intake exited with ${this.child.exitCode}:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`intake did not start:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** Resolves with the exit code (null when a signal ended it). */
  kill(signal: NodeJS.Signals): Promise<number | null> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null || this.child.signalCode !== null) return resolve(this.child.exitCode);
      this.child.once('exit', (code) => resolve(code));
      this.child.kill(signal);
    });
  }

  get log(): string {
    return this.output;
  }
}

import { spawn, type ChildProcess } from 'node:child_process';
import {
  HOST_SCRIPT,
  type HostKind,
  type HostReply,
  type HostRequest,
  type HostSettings,
} from './host-protocol.js';

/** CPU time in seconds (user + system). */
type CpuSeconds = number;

/** The parent's handle on one worker-host child process (bench/worker-host.ts). */
export class Host {
  private nextId = 0;
  private readonly waiting = new Map<number, (cpu: CpuSeconds) => void>();
  private failure: string | undefined;
  private exited = false;

  private constructor(
    readonly kind: HostKind,
    private readonly child: ChildProcess,
  ) {
    child.on('message', (reply: HostReply) => {
      if (reply.type === 'cpu') {
        this.waiting.get(reply.id)?.((reply.userUs + reply.systemUs) / 1e6);
        this.waiting.delete(reply.id);
      } else if (reply.type === 'failed') this.failure = reply.message;
    });
    child.on('exit', (code) => {
      this.exited = true;
      this.failure ??= `exited with code ${code}`;
    });
  }

  /**
   * Starts the host and resolves once its workers serve; its stdout and stderr go to `logFd`, and
   * with `profileDir` V8 writes CPU profiles of its threads there when it exits.
   */
  static async start(
    settings: HostSettings,
    env: Record<string, string>,
    logFd: number,
    profileDir?: string,
    timeoutMs = 120_000,
  ): Promise<Host> {
    const { kind } = settings;
    const profile = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
    const child = spawn(
      process.execPath,
      [...profile, '--import', 'tsx', HOST_SCRIPT, JSON.stringify(settings)],
      {
        env: { ...process.env, ...env },
        stdio: ['ignore', logFd, logFd, 'ipc'],
      },
    );
    const host = new Host(kind, child);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${kind} host not ready after ${timeoutMs / 1000}s`)),
        timeoutMs,
      );
      child.on('message', (reply: HostReply) => {
        if (reply.type === 'ready') {
          clearTimeout(timer);
          resolve();
        } else if (reply.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`${kind} host failed to start: ${reply.message}`));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${kind} host exited with code ${code} before it was ready (see its log)`));
      });
    });
    return host;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Why the host stopped serving, if it did. */
  get failed(): string | undefined {
    return this.failure;
  }

  cpu(timeoutMs = 10_000): Promise<CpuSeconds> {
    if (this.exited) return Promise.reject(new Error(`${this.kind} host is gone: ${this.failure}`));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`${this.kind} host did not report its CPU within ${timeoutMs / 1000}s`));
      }, timeoutMs);
      this.waiting.set(id, (cpu) => {
        clearTimeout(timer);
        resolve(cpu);
      });
      this.child.send({ cmd: 'cpu', id } satisfies HostRequest);
    });
  }

  /** Asks the host to stop cleanly; kills this child (by its pid) if it has not gone within `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.send({ cmd: 'stop' } satisfies HostRequest);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    await gone;
    clearTimeout(timer);
  }
}

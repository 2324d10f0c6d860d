import type { Client } from '@temporalio/client';
import { Kafka, logLevel } from 'kafkajs';
import { loadConfig, type Config } from '../runtime/config.js';
import { connectTemporal } from '../runtime/temporal.js';
import { CliError } from './cli-error.js';

export interface CliOptions {
  json: boolean;
}

/** Lazily opened connections, so `--help` and input errors never wait on a server. */
export class CliContext {
  readonly config: Config;
  private client?: Client;
  private kafkaClient?: Kafka;

  constructor(readonly options: CliOptions) {
    this.config = loadConfig();
  }

  async temporal(): Promise<Client> {
    if (!this.client) {
      try {
        this.client = await connectTemporal(this.config);
      } catch (error) {
        throw new CliError(
          `cannot reach Temporal at ${this.config.temporalAddress} (${(error as Error).message}). Is the stack up? Try: npm run stack:status`,
        );
      }
    }
    return this.client;
  }

  kafka(): Kafka {
    this.kafkaClient ??= new Kafka({
      clientId: 'ventanilla-cli',
      brokers: this.config.kafkaBrokers,
      logLevel: logLevel.NOTHING,
      retry: { retries: 3 },
    });
    return this.kafkaClient;
  }

  /** Prints a result: JSON with --json, otherwise the human text. */
  print(value: unknown, human: () => string): void {
    console.log(this.options.json ? asJson(value) : human());
  }

  /**
   * Closes the connections, then waits until everything printed is written out: the CLI exits
   * with process.exit next, which drops output still queued for a pipe or socket (a dead letter
   * of hundreds of kilobytes read through `| less` or by a script came out cut short).
   */
  async close(): Promise<void> {
    await this.client?.connection.close();
    await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  }
}

/**
 * Stored inputs reach --json output only through ops/stored-json.ts, which keeps them
 * printable; should anything too deep still get here, say so instead of a stack trace.
 */
function asJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw new CliError(`cannot print the result as JSON: ${error.message} (a value nested too deep?)`);
  }
}

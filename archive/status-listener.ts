import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, type Pool } from 'pg';
import type { Logger } from '../runtime/logger.js';
import type { StatusEvent } from '../schemas/types.js';
import { STATUS_CHANNEL } from './status-archive.js';

/**
 * Tells the gateway's event streams when the projector committed an event of a declaration
 * (PostgreSQL LISTEN on STATUS_CHANNEL, on one connection of its own). A notification carries the
 * event when it fits, so a stream that is up to date sends it without reading the archive. Any
 * other notification is a hint: the stream reads what is new from the archive, and also polls now
 * and then, so a notification lost while the connection was down costs a delay, never an event.
 */
export class StatusListener {
  private readonly emitter = new EventEmitter().setMaxListeners(0);
  private client: Client | undefined;
  private stopped = false;
  private schema = 'public';

  constructor(
    private readonly connectionString: string,
    private readonly logger: Logger,
  ) {}

  /** Listens for the archive that `pool` writes to (its schema, as its connections see it). */
  async start(pool: Pool): Promise<void> {
    const { rows } = await pool.query<{ schema: string }>('select current_schema() as schema');
    this.schema = rows[0]!.schema;
    await this.connect();
  }

  /**
   * Calls `onEvent` for each committed event of the declaration until the returned function is
   * called, with the event as archived when the notification could carry it.
   */
  subscribe(declarationId: string, onEvent: (event: StatusEvent | undefined) => void): () => void {
    this.emitter.on(declarationId, onEvent);
    return () => this.emitter.off(declarationId, onEvent);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new Client({
      connectionString: this.connectionString,
      application_name: 'ventanilla-gateway-listen',
    });
    client.on('notification', (n) => this.notified(n.payload));
    client.on('error', (error) => {
      this.logger.warn(
        { err: error },
        'the archive listener lost its connection; reconnecting (streams poll meanwhile)',
      );
      void this.reconnect();
    });
    await client.connect();
    await client.query(`listen ${STATUS_CHANNEL}`);
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
    for (let delay = 500; !this.stopped; delay = Math.min(delay * 2, 30_000)) {
      await sleep(delay);
      try {
        await this.connect();
        return;
      } catch {
        // Still away: the streams' polls carry on until it is back.
      }
    }
  }

  private notified(payload: string | undefined): void {
    const [schema, declarationId, sequence] = (payload ?? '').split(' ', 3);
    if (schema !== this.schema || !declarationId || this.emitter.listenerCount(declarationId) === 0) return;
    const body = payload!.slice(schema.length + declarationId.length + (sequence?.length ?? 0) + 3);
    this.emitter.emit(declarationId, body ? parsedEvent(body) : undefined);
  }
}

/** The event a notification carries; a body that does not parse is only a hint, as a bare one. */
function parsedEvent(body: string): StatusEvent | undefined {
  try {
    return JSON.parse(body) as StatusEvent;
  } catch {
    return undefined;
  }
}

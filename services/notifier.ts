import { createHmac } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool, PoolClient } from 'pg';
import {
  dueTraders,
  endpointSecret,
  markDelivered,
  markFailed,
  undelivered,
} from '../archive/notification-store.js';
import type { Logger } from '../runtime/logger.js';
import { postWebhook } from './webhook-post.js';

/** The header of design.md §11: `t=<unix>,v1=<hex HMAC-SHA256(secret, t + "." + body)>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'Ventanilla-Webhook-Signature';

export function webhookSignature(secret: string, body: Buffer, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.`).update(body).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}

export interface NotifierOptions {
  pool: Pool;
  logger: Logger;
  /** The first retry's delay; each failure in a row doubles it, up to 5 minutes. */
  retryMs?: number;
  /** How often it looks for work when there was none. */
  idleMs?: number;
  /** A receiver that has not answered within this long has failed. */
  timeoutMs?: number;
  /** Deliver to loopback and private addresses too (VENTANILLA_WEBHOOK_PRIVATE_NETWORKS=allow). */
  allowPrivateNetworks?: boolean;
}

/**
 * Pushes each trader's status events to their webhook (design.md §11), in order, one at a time.
 * One trader's deliveries are handled by one notifier at a time (a session advisory lock, which
 * a crash releases), and each delivery is recorded as it succeeds: after a restart only what was
 * not acknowledged is sent, at most the one event that was in flight is sent again.
 */
export class Notifier {
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly options: NotifierOptions) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      let worked = false;
      try {
        for (const trader of await dueTraders(this.options.pool))
          worked = (await this.deliver(trader)) || worked;
      } catch (error) {
        this.options.logger.warn({ err: error }, 'notifier: the archive does not answer; trying again');
      }
      if (!worked) await sleep(this.options.idleMs ?? 250);
    }
  }

  /** Delivers the trader's undelivered events until one fails; false when another notifier has them. */
  private async deliver(trader: string): Promise<boolean> {
    const client = await this.options.pool.connect();
    try {
      const { rows } = await client.query<{ locked: boolean }>(
        `select pg_try_advisory_lock(hashtext('ventanilla.notifications'), hashtext($1)) as locked`,
        [trader],
      );
      if (!rows[0]!.locked) return false;
      try {
        await this.deliverLocked(client, trader);
      } finally {
        await client.query(`select pg_advisory_unlock(hashtext('ventanilla.notifications'), hashtext($1))`, [
          trader,
        ]);
      }
      return true;
    } finally {
      client.release();
    }
  }

  private async deliverLocked(client: PoolClient, trader: string): Promise<void> {
    const endpoint = await endpointSecret(client, trader);
    if (!endpoint || endpoint.state !== 'ACTIVE') return;
    for (const notification of await undelivered(client, trader, 50)) {
      if (this.stopped) return;
      const problem = await this.post(endpoint.url, endpoint.secret, notification.body);
      const log = this.options.logger.child({
        declarationId: notification.declarationId,
        sequence: notification.sequence,
      });
      if (!problem) {
        await markDelivered(client, trader, notification.id);
        log.debug('webhook delivered');
        continue;
      }
      await markFailed(client, trader, notification.id, problem, this.options.retryMs ?? 1000);
      log.warn({ problem, url: endpoint.url }, 'webhook delivery failed; retrying later');
      return;
    }
  }

  private post(url: string, secret: string, body: Buffer): Promise<string | undefined> {
    const signature = webhookSignature(secret, body, Math.floor(Date.now() / 1000));
    return postWebhook(
      url,
      { 'content-type': 'application/json', [WEBHOOK_SIGNATURE_HEADER]: signature },
      body,
      {
        timeoutMs: this.options.timeoutMs ?? 5000,
        allowInternal: this.options.allowPrivateNetworks ?? false,
      },
    );
  }
}

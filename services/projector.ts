import type { Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { CoalescingArchiver } from '../archive/coalescing-archiver.js';
import type { ArchiveOutcome } from '../archive/status-archive.js';
import type { RecordSource } from '../messaging/dead-letter.js';
import { decodeJsonRecord, readableDeclarationId } from '../messaging/intake-parse.js';
import { DEADLETTERED, KeyedConsumer, type Handled, type Steps } from '../messaging/keyed-consumer.js';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import { check, validateStatusEvent } from '../schemas/validators.js';

export interface ProjectorDeps {
  config: Config;
  logger: Logger;
  kafka: Kafka;
  /** The archive, migrated (archive/archive-schema.ts). */
  pool: Pool;
  /** Shared with the other roles of the process; otherwise the projector has its own. */
  producer?: Producer;
}

export type ProjectorOutcome = ArchiveOutcome | typeof DEADLETTERED;

/**
 * Projects trade.status into the archive (design.md §12). Each record is written in a database
 * transaction, with the records of other declarations that arrived meanwhile (CoalescingArchiver),
 * and its offset is committed only after that transaction commits, so a crash at any point means
 * the record is delivered again, and the archive's key makes the repeat harmless. While
 * PostgreSQL is down the write fails as transient: the consumer retries it with backoff for as
 * long as it takes, holding the partition, and nothing after it is committed.
 * A record that is not a status event at all is dead-lettered with its bytes, never dropped.
 */
export class Projector {
  private readonly consumer: KeyedConsumer<ProjectorOutcome>;
  private readonly archiver: CoalescingArchiver;

  constructor(private readonly deps: ProjectorDeps) {
    this.archiver = new CoalescingArchiver(deps.pool);
    this.consumer = new KeyedConsumer(deps.kafka, {
      groupId: deps.config.projectorGroupId,
      topic: deps.config.topics.status,
      deadLetterTopic: deps.config.topics.deadletter,
      logger: deps.logger,
      handle: (source, steps) => this.handle(source, steps),
      producer: deps.producer,
    });
  }

  async start(): Promise<void> {
    await this.consumer.start();
    this.deps.logger.info({ topic: this.deps.config.topics.status }, 'projector archiving status events');
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  private async handle(source: RecordSource, steps: Steps): Promise<Handled<ProjectorOutcome>> {
    const { message, partition } = source;
    const decoded = decodeJsonRecord(message.value);
    if (!decoded.ok) {
      return { outcome: this.consumer.deadLetter(source, decoded.reason, decoded.errors, undefined, steps) };
    }
    const checked = check(validateStatusEvent, decoded.data);
    if (!checked.ok) {
      const declarationId = readableDeclarationId(decoded.data);
      const outcome = this.consumer.deadLetter(
        source,
        'SCHEMA_VIOLATION',
        checked.errors,
        declarationId,
        steps,
      );
      return { outcome, declarationId };
    }
    const event = checked.value;
    const outcome = await this.archiver.archive({
      event,
      raw: message.value!,
      partition,
      offset: message.offset,
    });
    return { outcome, declarationId: event.declarationId };
  }
}

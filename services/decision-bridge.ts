import type { Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { Kafka, Producer } from 'kafkajs';
import type { AgencyDecision } from '../schemas/types.js';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import { check, validateAgencyDecision } from '../schemas/validators.js';
import { declarationWorkflowId } from '../clearance-client/workflow-ids.js';
import type { RecordSource } from '../messaging/dead-letter.js';
import { recordMillis } from '../messaging/record-time.js';
import { submitDecision } from '../clearance-client/decision-submit.js';
import { assertNoOpenClearance } from '../clearance-client/open-clearance.js';
import { updateRefusal } from '../clearance-client/update-refusal.js';
import { RetryLater } from '../domain/failures.js';
import type { SignerRecord } from '../domain/audit.js';
import type { SignatureGate } from '../identity/signature-gate.js';
import { decodeJsonRecord, readableDeclarationId } from '../messaging/intake-parse.js';
import { DEADLETTERED, KeyedConsumer, type Handled, type Steps } from '../messaging/keyed-consumer.js';

export interface DecisionBridgeDeps {
  config: Config;
  logger: Logger;
  kafka: Kafka;
  client: Client;
  /** Shared with the other roles of the process (see startPipeline); otherwise the bridge has its own. */
  producer?: Producer;
  /** Verifies that an officer or system of the deciding agency signed each decision (design.md §10). */
  gate: SignatureGate;
}

/** Where one decision ended: applied, a repeat of one applied before, or the dead-letter topic. */
export type DecisionOutcome = 'applied' | 'duplicate' | typeof DEADLETTERED;

/**
 * For agencies whose back-office systems decide: consumes `trade.agency.decisions` and applies
 * each decision through the same update officers use. A decision that cannot apply (malformed,
 * for an agency that is not pending, for a closed or unknown declaration) is dead-lettered with
 * its reason, never dropped.
 */
export class DecisionBridge {
  private readonly consumer: KeyedConsumer<DecisionOutcome>;

  constructor(private readonly deps: DecisionBridgeDeps) {
    this.consumer = new KeyedConsumer(deps.kafka, {
      groupId: deps.config.decisionsGroupId,
      topic: deps.config.topics.decisions,
      deadLetterTopic: deps.config.topics.deadletter,
      logger: deps.logger,
      handle: (source, steps) => this.handle(source, steps),
      producer: deps.producer,
    });
  }

  async start(): Promise<void> {
    await this.consumer.start();
    this.deps.logger.info({ topic: this.deps.config.topics.decisions }, 'decision bridge consuming');
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  private async handle(source: RecordSource, steps: Steps): Promise<Handled<DecisionOutcome>> {
    const decoded = decodeJsonRecord(source.message.value);
    if (!decoded.ok) {
      return {
        outcome: this.consumer.deadLetter(source, 'INVALID_DECISION', decoded.errors, undefined, steps),
      };
    }
    const checked = check(validateAgencyDecision, decoded.data);
    if (!checked.ok) {
      const declarationId = readableDeclarationId(decoded.data);
      const outcome = this.consumer.deadLetter(
        source,
        'INVALID_DECISION',
        checked.errors,
        declarationId,
        steps,
      );
      return { outcome, declarationId };
    }
    const decision = checked.value;
    const { declarationId } = decision;
    const signed = await this.deps.gate.check(source.message, recordMillis(source.message), {
      ou: decision.agency,
    });
    if (!signed.ok) {
      const errors = [{ path: '(signature)', message: signed.message }];
      this.deps.logger.warn(
        { declarationId, agency: decision.agency, reason: signed.code },
        'decision refused',
      );
      return {
        outcome: this.consumer.deadLetter(source, signed.code, errors, declarationId, steps),
        declarationId,
      };
    }
    return { outcome: await this.apply(source, decision, signed.signer, steps), declarationId };
  }

  private async apply(
    source: RecordSource,
    decision: AgencyDecision,
    signer: SignerRecord | undefined,
    steps: Steps,
  ): Promise<DecisionOutcome> {
    const log = this.deps.logger.child({
      declarationId: decision.declarationId,
      workflowId: declarationWorkflowId(decision.declarationId),
      agency: decision.agency,
    });
    try {
      const ack = await submitDecision(this.deps.client, decision, signer);
      log.info(
        { decisionId: decision.decisionId, outcome: decision.outcome, duplicate: ack.duplicate ?? false },
        'decision applied',
      );
      return ack.duplicate ? 'duplicate' : 'applied';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        await assertNoOpenClearance(this.deps.client, decision.declarationId);
        const errors = [{ path: 'declarationId', message: `no open declaration ${decision.declarationId}` }];
        return this.consumer.deadLetter(source, 'NO_OPEN_DECLARATION', errors, decision.declarationId, steps);
      }
      const refusal = updateRefusal(error);
      if (refusal) {
        if (refusal.retryable) throw new RetryLater(`${decision.declarationId}: ${refusal.message}`);
        const { message } = refusal;
        log.warn({ decisionId: decision.decisionId, refusal: message }, 'decision refused by the clearance');
        return this.consumer.deadLetter(
          source,
          'REJECTED_BY_WORKFLOW',
          [{ path: '(root)', message }],
          decision.declarationId,
          steps,
        );
      }
      throw error;
    }
  }
}

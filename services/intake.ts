import type { Client } from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/common';
import type { Kafka, Producer } from 'kafkajs';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import { isSignatureRefusal, ReasonCode, RetryLater } from '../domain/failures.js';
import type { SignerRecord } from '../domain/audit.js';
import type { SignatureGate } from '../identity/signature-gate.js';
import { errorLines } from '../schemas/format-errors.js';
import { boundedReasons, STATUS_REASONS } from '../domain/bounded-text.js';
import type {
  Amendment,
  Declaration,
  FieldError,
  Registry,
  StatusEvent,
  TraderMessage,
  Withdrawal,
} from '../schemas/types.js';
import { declarationWorkflowId } from '../clearance-client/workflow-ids.js';
import { updateRefusal } from '../clearance-client/update-refusal.js';
import {
  amendClearance,
  clearanceHandle,
  clearanceResult,
  clearanceTrader,
  signalDuplicate,
  signalRejectedInput,
  withdrawClearance,
} from '../clearance-client/clearance-calls.js';
import { stampStatusEvents } from '../domain/status-events.js';
import { statusRecords } from '../messaging/status-records.js';
import { CoalescingSender } from '../messaging/coalescing-sender.js';
import {
  clearanceInput,
  clearanceStart,
  intakeOpening,
  type Opening,
} from '../clearance-client/clearance-start.js';
import { assertNoOpenClearance } from '../clearance-client/open-clearance.js';
import { recordRef, type RecordSource } from '../messaging/dead-letter.js';
import { recordMillis, recordTime } from '../messaging/record-time.js';
import { parseTraderMessage, type Parsed } from '../messaging/intake-parse.js';
import { DEADLETTERED, KeyedConsumer, Step, type Handled, type Steps } from '../messaging/keyed-consumer.js';

export interface IntakeDeps {
  config: Config;
  logger: Logger;
  kafka: Kafka;
  client: Client;
  registry: Registry;
  /**
   * Ask the server to hand a new clearance's first workflow task straight back. Only when `client`
   * is on the connection of workers in this process (see startPipeline): the task goes to them.
   */
  eagerStart?: boolean;
  /** Shared with the other roles of the process (see startPipeline); otherwise intake has its own. */
  producer?: Producer;
  statusSender?: CoalescingSender;
  /** Verifies who signed each message (design.md §10), by VENTANILLA_SIGNATURES. */
  gate: SignatureGate;
}

/** Where one input ended: every record gets exactly one of these, and only then its offset is resolved. */
export type IntakeOutcome =
  'started' | 'duplicate' | 'conflict' | 'amended' | 'withdrawn' | 'refused' | typeof DEADLETTERED;

/**
 * Consumes trader messages and hands each one off durably: a declaration starts its clearance
 * workflow, an amendment or withdrawal goes to the running one as an update, anything else is
 * dead-lettered. Redelivery is harmless because the workflow ID is the declaration's
 * deduplication key (see KeyedConsumer for the offset discipline).
 */
export class Intake {
  private readonly consumer: KeyedConsumer<IntakeOutcome>;
  /** The opening events of declarations started at about the same time go out in one request. */
  private readonly statusSender: CoalescingSender;

  constructor(private readonly deps: IntakeDeps) {
    this.consumer = new KeyedConsumer(deps.kafka, {
      groupId: deps.config.intakeGroupId,
      topic: deps.config.topics.declarations,
      deadLetterTopic: deps.config.topics.deadletter,
      logger: deps.logger,
      handle: (source, steps) => this.handle(source, steps),
      producer: deps.producer,
    });
    this.statusSender = deps.statusSender ?? new CoalescingSender(this.consumer.producer);
  }

  async start(): Promise<void> {
    await this.consumer.start();
    this.deps.logger.info(
      { topic: this.deps.config.topics.declarations, groupId: this.deps.config.intakeGroupId },
      'intake consuming',
    );
  }

  async stop(): Promise<void> {
    await this.consumer.stop();
  }

  /** `steps` remembers what already succeeded, so a retry does not dead-letter or notify twice. */
  private async handle(source: RecordSource, steps: Steps): Promise<Handled<IntakeOutcome>> {
    const parsed = parseTraderMessage(source.message.value, source.message.key);
    if (!parsed.ok) {
      return { outcome: await this.rejectInput(source, parsed, steps), declarationId: parsed.declarationId };
    }
    const { message } = parsed;
    const { declarationId } = message;
    const workflowId = declarationWorkflowId(declarationId);
    const signed = await this.verifySignature(source, message);
    if (!signed.ok)
      return { outcome: await this.rejectInput(source, signed, steps), declarationId, workflowId };
    const { signer } = signed;
    switch (message.kind) {
      case 'declaration':
        return {
          outcome: await this.startClearance(source, message, signer, steps),
          declarationId,
          workflowId,
        };
      case 'amendment':
      case 'withdrawal':
        return { outcome: await this.forward(source, message, signer, steps), declarationId, workflowId };
    }
  }

  /**
   * Who signed the record: a declaration must be signed by its trader, an amendment or withdrawal
   * by the trader of the declaration it changes (when there is none, forward() says so).
   */
  private async verifySignature(
    source: RecordSource,
    message: TraderMessage,
  ): Promise<{ ok: true; signer?: SignerRecord } | Extract<Parsed, { ok: false }>> {
    const { gate, client } = this.deps;
    if (gate.letsThrough(source.message)) return { ok: true };
    const rfc =
      message.kind === 'declaration'
        ? message.trader.taxId
        : await clearanceTrader(client, message.declarationId);
    const verdict = await gate.check(source.message, recordMillis(source.message), { rfc });
    if (verdict.ok) return verdict;
    const errors = [{ path: '(signature)', message: verdict.message }];
    return {
      ok: false,
      reason: verdict.code,
      errors,
      declarationId: message.declarationId,
      kind: message.kind,
    };
  }

  private async startClearance(
    source: RecordSource,
    declaration: Declaration,
    signer: SignerRecord | undefined,
    steps: Steps,
  ): Promise<IntakeOutcome> {
    const { config, client, registry } = this.deps;
    const workflowId = declarationWorkflowId(declaration.declarationId);
    const plain = {
      ...clearanceInput(config, registry, declaration, recordMillis(source.message)),
      ...(signer ? { signer } : {}),
    };
    const opening = intakeOpening(plain, new Date().toISOString());
    const input = opening?.input ?? plain;
    const hash = input.contentHash;
    const receivedAt = input.receivedAt;
    const ref = recordRef({ ...source, offset: source.message.offset });
    try {
      const [type, options] = clearanceStart(config, input, { source: ref, opened: opening?.search });
      await client.workflow.start(type, { ...options, requestEagerStart: this.deps.eagerStart ?? false });
      if (opening) await this.publishOpening(opening);
      // At info, KeyedConsumer's 'record handled' line says so (outcome started, with both IDs).
      this.deps.logger.debug({ declarationId: declaration.declarationId, workflowId }, 'clearance started');
      return 'started';
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    const log = this.deps.logger.child({ declarationId: declaration.declarationId, workflowId });
    const description = await clearanceHandle(client, declaration.declarationId).describe();
    if (description.memo?.contentHash === hash) {
      // This very record started the clearance and is delivered again: intake may have stopped
      // before it published the opening. Consumers drop the repeat by its sequence.
      if (opening && description.memo.source === ref) await this.publishOpening(opening);
      log.info('exact duplicate of a known declaration; nothing to do');
      return 'duplicate';
    }
    if (description.status.name === 'RUNNING') {
      await signalDuplicate(client, declaration.declarationId, {
        contentHash: hash,
        receivedAt,
        source: ref,
      });
      log.warn('conflicting duplicate reported to the trader');
      return 'conflict';
    }
    const errors = [
      {
        path: 'declarationId',
        message: `a clearance for ${declaration.declarationId} already exists with different content; it was not merged`,
      },
    ];
    return this.refuseAndTell(source, 'DUPLICATE_CONFLICT', errors, declaration.declarationId, steps);
  }

  /** A record no clearance can take: dead-lettered, and the trader told with the same errors. */
  private async refuseAndTell(
    source: RecordSource,
    reason: 'DUPLICATE_CONFLICT' | 'NO_OPEN_DECLARATION',
    errors: FieldError[],
    declarationId: string,
    steps: Steps,
  ): Promise<IntakeOutcome> {
    this.consumer.deadLetter(source, reason, errors, declarationId, steps);
    await this.tellTraderDirectly(source, declarationId, reason, errorLines(errors), steps);
    return DEADLETTERED;
  }

  private async publishOpening(opening: Opening): Promise<void> {
    await this.statusSender.send(this.deps.config.topics.status, statusRecords(opening.events));
  }

  private async forward(
    source: RecordSource,
    message: Amendment | Withdrawal,
    signer: SignerRecord | undefined,
    steps: Steps,
  ): Promise<IntakeOutcome> {
    const success = message.kind === 'amendment' ? 'amended' : 'withdrawn';
    const signed = signer ? { signer } : {};
    const workflowId = declarationWorkflowId(message.declarationId);
    const receivedAt = recordTime(source.message);
    const ref = recordRef({ ...source, offset: source.message.offset });
    const log = this.deps.logger.child({ declarationId: message.declarationId, workflowId });
    try {
      const { client } = this.deps;
      const ack =
        message.kind === 'amendment'
          ? await amendClearance(client, { amendment: message, receivedAt, ...signed })
          : await withdrawClearance(client, { withdrawal: message, receivedAt, source: ref, ...signed });
      log.info({ accepted: ack.accepted, refusal: ack.refusal?.code }, `${message.kind} delivered`);
      return ack.accepted ? success : 'refused';
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) {
        await assertNoOpenClearance(this.deps.client, message.declarationId);
        const errors = [
          {
            path: 'declarationId',
            message: `no open declaration ${message.declarationId} to apply this ${message.kind} to`,
          },
        ];
        return this.refuseAndTell(source, 'NO_OPEN_DECLARATION', errors, message.declarationId, steps);
      }
      const refusal = updateRefusal(error);
      if (refusal) {
        if (refusal.retryable) throw new RetryLater(`${workflowId}: ${refusal.message}`);
        const errors = [{ path: '(root)', message: refusal.message }];
        this.consumer.deadLetter(source, 'REJECTED_BY_WORKFLOW', errors, message.declarationId, steps);
        return DEADLETTERED;
      }
      throw error;
    }
  }

  private async rejectInput(
    source: RecordSource,
    parsed: Extract<Parsed, { ok: false }>,
    steps: Steps,
  ): Promise<IntakeOutcome> {
    this.consumer.deadLetter(source, parsed.reason, parsed.errors, parsed.declarationId, steps);
    if (parsed.declarationId) await this.tellTrader(source, parsed, parsed.declarationId, steps);
    this.deps.logger.warn(
      { declarationId: parsed.declarationId, reason: parsed.reason, errors: parsed.errors.length },
      'input dead-lettered',
    );
    return DEADLETTERED;
  }

  /** A live clearance reports the problem itself (its sequence stays its own); otherwise intake does. */
  private async tellTrader(
    source: RecordSource,
    parsed: Extract<Parsed, { ok: false }>,
    declarationId: string,
    steps: Steps,
  ): Promise<void> {
    if (steps.has(Step.Told)) return;
    const lines = errorLines(parsed.errors);
    // A refused signature is told by its own code (design.md §10); any other input is INVALID_INPUT.
    const code = isSignatureRefusal(parsed.reason) ? parsed.reason : ReasonCode.InvalidInput;
    try {
      await signalRejectedInput(this.deps.client, declarationId, {
        kind: parsed.kind ?? 'message',
        receivedAt: recordTime(source.message),
        source: recordRef({ ...source, offset: source.message.offset }),
        messages: lines,
        ...(code === ReasonCode.InvalidInput ? {} : { code }),
      });
      steps.add(Step.Told);
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
      await this.tellTraderDirectly(source, declarationId, code, lines, steps);
    }
  }

  /**
   * A status event for a declaration with no live clearance. Its sequence is the record's
   * timestamp: later than any event of an earlier clearance of the same ID (which started above
   * its own, earlier, record timestamp), and below any clearance a later, valid record opens.
   */
  private async tellTraderDirectly(
    source: RecordSource,
    declarationId: string,
    code: string,
    lines: string[],
    steps: Steps,
  ): Promise<void> {
    if (steps.has(Step.Told)) return;
    // A closed clearance keeps its final status and agencies; the event only adds why this input was refused.
    const { status, agencies } = (await this.closedClearance(declarationId)) ?? {
      status: 'REJECTED',
      agencies: {},
    };
    const draft = {
      declarationId,
      sequence: recordMillis(source.message),
      status,
      agencies,
      reasons: boundedReasons(
        lines.map((message) => ({ code, message })),
        STATUS_REASONS,
      ),
    };
    // Checked against the schema like the workflow's own events.
    await this.consumer.producer.send({
      topic: this.deps.config.topics.status,
      acks: -1,
      messages: statusRecords(stampStatusEvents([draft], new Date().toISOString())),
    });
    steps.add(Step.Told);
  }

  private async closedClearance(
    declarationId: string,
  ): Promise<Pick<StatusEvent, 'status' | 'agencies'> | undefined> {
    const { client } = this.deps;
    try {
      const execution = (await clearanceHandle(client, declarationId).describe()).status.name;
      if (execution === 'COMPLETED') {
        const snapshot = await clearanceResult(client, declarationId);
        return { status: snapshot.status, agencies: snapshot.event.agencies };
      }
      return execution === 'RUNNING' ? undefined : { status: 'FAILED', agencies: {} };
    } catch (error) {
      if (error instanceof WorkflowNotFoundError) return undefined;
      throw error;
    }
  }
}

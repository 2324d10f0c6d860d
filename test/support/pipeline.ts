import { Client } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { bundleClearanceWorkflow } from '../../services/clearance-bundle.js';
import type { Consumer, Kafka, Message, Producer } from 'kafkajs';
import type { AgencyAdapter } from '../../activities/adapters/adapter.js';
import { loadConfig, type Config } from '../../runtime/config.js';
import { createKafka, createProducer, ensurePipelineTopics } from '../../messaging/kafka.js';
import { createRootLogger, type Logger } from '../../runtime/logger.js';
import { loadRegistry } from '../../runtime/registry.js';
import { SignatureGate } from '../../identity/signature-gate.js';
import { signatureHeaders, TEST_HOLDERS, withSignatures } from './test-pki.js';
import { devOfficerRfc } from '../../identity/dev-holders.js';
import type { Registry, StatusEvent } from '../../schemas/types.js';
import { CoalescingSender } from '../../messaging/coalescing-sender.js';
import { DecisionBridge } from '../../services/decision-bridge.js';
import { Intake } from '../../services/intake.js';
import { startTemporalWorkers, type RunningWorkers } from '../../services/temporal-workers.js';
import { collectTopic, deleteTopicsWithPrefix, isolatedEnv, waitFor, type Collected } from './helpers.js';

export function bundleClearanceWorkflows(): Promise<WorkflowBundleWithSourceMap> {
  return bundleClearanceWorkflow();
}

export interface PipelineOptions {
  workflowBundle: WorkflowBundleWithSourceMap;
  env?: Record<string, string>;
  registry?: (base: Registry) => Registry;
  extraAdapters?: Record<string, AgencyAdapter>;
  /** Start the Kafka intake too (default true). */
  intake?: boolean;
  /** Start the decision bridge (trade.agency.decisions) too (default false). */
  bridge?: boolean;
  /** Awaited before the workers send each batch of status records to Kafka (to hold one back). */
  beforeStatusSend?: (messages: Message[]) => Promise<void>;
}

/** The workers' status sender, with a test's hook before each send. */
class HookedSender extends CoalescingSender {
  constructor(
    producer: Producer,
    private readonly hook: (messages: Message[]) => Promise<void>,
  ) {
    super(producer);
  }

  override async send(topic: string, messages: Message[]): Promise<void> {
    await this.hook(messages);
    return super.send(topic, messages);
  }
}

/** A whole pipeline for one test: its own topics, task queues and groups on the shared stack. */
export class TestPipeline {
  readonly statuses: Collected[];
  /** By the pipeline's VENTANILLA_SIGNATURES, against the tests' CA (see isolatedEnv). */
  readonly gate: SignatureGate;
  /** The trader of each declaration sent, whose certificate signs its amendments and withdrawals. */
  private readonly traders = new Map<string, string>();
  private bridge: DecisionBridge | undefined;
  private constructor(
    readonly env: Record<string, string>,
    readonly config: Config,
    readonly registry: Registry,
    readonly logger: Logger,
    readonly kafka: Kafka,
    readonly client: Client,
    readonly producer: Producer,
    private readonly workers: RunningWorkers,
    private readonly collector: { messages: Collected[]; consumer: Consumer },
    private intake: Intake | undefined,
  ) {
    this.statuses = collector.messages;
    this.gate = SignatureGate.open(config);
  }

  static async start(options: PipelineOptions): Promise<TestPipeline> {
    const env = isolatedEnv(options.env);
    const config = loadConfig({ ...process.env, ...env });
    const logger = createRootLogger(config.logLevel, 'test');
    const loaded = loadRegistry(config);
    // Inspections hold a clearance for 15 s by default; tests that do not test them should not wait.
    const base = { ...loaded, inspection: { ...loaded.inspection, delay: '1s' } };
    const registry = options.registry ? options.registry(base) : base;
    const kafka = createKafka(config, logger, 'test');
    await ensurePipelineTopics(kafka, config, registry, 3);
    const producer = createProducer(kafka);
    await producer.connect();
    const hook = options.beforeStatusSend;
    const workers = await startTemporalWorkers({
      config,
      logger,
      kafka,
      registry,
      workflowBundle: options.workflowBundle,
      extraAdapters: options.extraAdapters,
      ...(hook ? { producer, statusSender: new HookedSender(producer, hook) } : {}),
    });
    // As in services/pipeline.ts: intake and the bridge on the workers' native connection.
    const client = new Client({ connection: workers.connection, namespace: config.temporalNamespace });
    const collector = await collectTopic(kafka, config.topics.status);
    const pipeline = new TestPipeline(
      env,
      config,
      registry,
      logger,
      kafka,
      client,
      producer,
      workers,
      collector,
      undefined,
    );
    if (options.intake ?? true) await pipeline.startIntake();
    if (options.bridge) {
      pipeline.bridge = new DecisionBridge({ config, logger, kafka, client, gate: pipeline.gate });
      await pipeline.bridge.start();
    }
    return pipeline;
  }

  async startIntake(): Promise<void> {
    this.intake = new Intake({
      gate: this.gate,
      config: this.config,
      logger: this.logger,
      kafka: this.kafka,
      client: this.client,
      registry: this.registry,
      eagerStart: true,
    });
    await this.intake.start();
  }

  async stopIntake(): Promise<void> {
    await this.intake?.stop();
    this.intake = undefined;
  }

  /**
   * Sends trader messages as a trader's tool would: each signed by its trader's test certificate
   * (a declaration's own trader; an amendment's or withdrawal's, the trader of a declaration this
   * pipeline sent before). A message whose trader has no test certificate goes unsigned.
   */
  async submit(...messages: object[]): Promise<void> {
    const records = await Promise.all(
      messages.map(async (m) => {
        const { declarationId, trader } = m as { declarationId?: string; trader?: { taxId?: string } };
        if (declarationId && trader?.taxId) this.traders.set(declarationId, trader.taxId);
        const rfc = trader?.taxId ?? (declarationId ? this.traders.get(declarationId) : undefined);
        const value = JSON.stringify(m);
        const signed = rfc && TEST_HOLDERS.some((h) => h.rfc === rfc);
        return {
          key: declarationId ?? null,
          value,
          headers: signed ? await signatureHeaders(value, rfc) : {},
        };
      }),
    );
    await this.producer.send({ topic: this.config.topics.declarations, messages: records });
  }

  /** Sends trader messages with no signature at all. */
  async submitUnsigned(...messages: object[]): Promise<void> {
    await this.producer.send({
      topic: this.config.topics.declarations,
      messages: messages.map((m) => ({
        key: (m as { declarationId?: string }).declarationId ?? null,
        value: JSON.stringify(m),
      })),
    });
  }

  /**
   * Records signed by the test holder `rfc` (test/support/test-pki.ts); `tamper` changes the value
   * after signing, `iat` backdates the signature.
   */
  async submitSigned(
    rfc: string,
    messages: object[],
    options: { topic?: string; tamper?: (value: string) => string; iat?: number; pkiDir?: string } = {},
  ): Promise<void> {
    const records = await Promise.all(
      messages.map(async (m) => {
        const value = JSON.stringify(m);
        const headers = await signatureHeaders(value, rfc, options.iat, options.pkiDir);
        const key = (m as { declarationId?: string }).declarationId ?? null;
        return { key, value: options.tamper ? options.tamper(value) : value, headers };
      }),
    );
    await this.producer.send({ topic: options.topic ?? this.config.topics.declarations, messages: records });
  }

  /** Agency decisions, each signed by the dev officer of its agency (an unknown agency's go unsigned). */
  async sendDecisions(...decisions: object[]): Promise<void> {
    const messages = await Promise.all(
      decisions.map(async (d) => {
        const { declarationId, agency } = d as { declarationId?: string; agency?: string };
        const record = { key: declarationId ?? null, value: JSON.stringify(d) };
        return typeof agency === 'string'
          ? (await withSignatures([record], devOfficerRfc(agency)))[0]!
          : record;
      }),
    );
    await this.producer.send({ topic: this.config.topics.decisions, messages });
  }

  /** Status events of one declaration, in sequence order, repeats dropped as a consumer would. */
  eventsFor(declarationId: string): StatusEvent[] {
    const bySequence = new Map<number, StatusEvent>();
    for (const { message } of this.statuses) {
      if (message.key?.toString() !== declarationId) continue;
      const event = JSON.parse(message.value!.toString()) as StatusEvent;
      bySequence.set(event.sequence, event);
    }
    return [...bySequence.values()].sort((a, b) => a.sequence - b.sequence);
  }

  latest(declarationId: string): StatusEvent | undefined {
    return this.eventsFor(declarationId).at(-1);
  }

  waitForStatus(
    declarationId: string,
    status: StatusEvent['status'] | StatusEvent['status'][],
    timeoutMs = 60_000,
  ): Promise<StatusEvent> {
    const wanted = Array.isArray(status) ? status : [status];
    return waitFor(
      `${declarationId} to reach ${wanted.join('|')} (last: ${JSON.stringify(this.latest(declarationId)?.status)})`,
      () => {
        const last = this.latest(declarationId);
        return last && wanted.includes(last.status) ? last : undefined;
      },
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await this.stopIntake();
    await this.bridge?.stop();
    await this.collector.consumer.disconnect();
    // The client's connection is the workers': shutting them down closes it. Before the producer,
    // which the workers may share.
    await this.workers.shutdown();
    await this.producer.disconnect();
    await deleteTopicsWithPrefix(this.kafka, this.env.VENTANILLA_TOPIC_PREFIX!);
  }
}

import { Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import type { Kafka, Producer } from 'kafkajs';
import type { Pool } from 'pg';
import { SignatureGate } from '../../identity/signature-gate.js';
import { SignatureVerifier } from '../../identity/signature-verifier.js';
import { TrustStore } from '../../identity/trust-store.js';
import { createProducer } from '../../messaging/kafka.js';
import type { Config } from '../../runtime/config.js';
import type { Logger } from '../../runtime/logger.js';
import { StatusListener } from '../../archive/status-listener.js';
import { forgetSettledSubmissions } from '../../archive/submissions.js';
import { forgetExpiredTokens } from '../../archive/token-uses.js';
import { buildGateway } from './gateway-server.js';

const PURGE_MS = 10 * 60_000;

export interface RunningGateway {
  app: FastifyInstance;
  /** The address it listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * The gateway listening on config.httpHost:httpPort (port 0: any free one), with a producer, the
 * signature gate and the token verifier of its own; the pool is the caller's (migrated).
 */
export async function startGateway(deps: {
  config: Config;
  logger: Logger;
  kafka: Kafka;
  pool: Pool;
}): Promise<RunningGateway> {
  const { config, logger, kafka, pool } = deps;
  const gate = SignatureGate.open(config);
  await gate.report(logger);
  const tokens = new SignatureVerifier(TrustStore.load(config.trustDir));
  const producer: Producer = createProducer(kafka);
  await producer.connect();
  const admin = kafka.admin();
  await admin.connect();
  const temporal = await Connection.connect({ address: config.temporalAddress });
  const ready = async () => {
    const [kafkaUp, temporalUp] = await Promise.all([
      admin.describeCluster().then(
        () => true,
        () => false,
      ),
      temporal.healthService.check({}).then(
        () => true,
        () => false,
      ),
    ]);
    return [...(kafkaUp ? [] : ['Kafka']), ...(temporalUp ? [] : ['Temporal'])];
  };
  const listener = new StatusListener(config.databaseUrl, logger);
  await listener.start(pool);
  const app = buildGateway({ config, logger, producer, pool, gate, tokens, ready, listener });
  const url = await app.listen({ host: config.httpHost, port: config.httpPort });
  // A used jti matters only until its token expires, and a submission until its declaration is
  // archived: without this, token_uses and submissions grow for ever.
  const purge = setInterval(() => {
    Promise.all([forgetExpiredTokens(pool), forgetSettledSubmissions(pool)]).catch((error: unknown) =>
      logger.warn(
        { err: error },
        'could not forget expired tokens and settled submissions; trying again later',
      ),
    );
  }, PURGE_MS);
  purge.unref();
  logger.info({ url }, 'trader API listening');
  return {
    app,
    url,
    async stop() {
      clearInterval(purge);
      await app.close();
      await Promise.all([producer.disconnect(), admin.disconnect(), temporal.close(), listener.stop()]);
    },
  };
}

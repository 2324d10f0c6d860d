import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';

// Worker state changes at INFO, and the native core's retry warnings while a test stops a server
// on purpose, drown the test output; errors still show. TEMPORAL_LOG_LEVEL=WARN brings them back.
const level = (process.env.TEMPORAL_LOG_LEVEL as 'WARN' | 'INFO' | undefined) ?? 'ERROR';
Runtime.install({
  logger: new DefaultLogger(level),
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: level, other: level }), forward: {} },
  },
});

import type { Producer } from 'kafkajs';
import type { Config } from '../runtime/config.js';
import type { Logger } from '../runtime/logger.js';
import type { AgencyAdapter } from './adapters/adapter.js';

/** Everything activities touch from outside, injected so tests can supply their own. */
export interface ActivityDeps {
  config: Config;
  producer: Producer;
  logger: Logger;
  /** Adapters beyond the built-in ones, by name (a new agency's checks). */
  extraAdapters?: Record<string, AgencyAdapter>;
  /** A clock, replaceable in tests. */
  now?: () => Date;
}

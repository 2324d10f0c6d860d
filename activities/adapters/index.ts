import type { AgencyAdapter } from './adapter.js';
import { customsAdapter } from './customs.adapter.js';
import { documentsAdapter } from './documents.adapter.js';
import { economyAdapter } from './economy.adapter.js';

/**
 * Adapters by the name a registry entry gives in `adapter`. A new agency whose checks are the
 * baseline ones needs only a registry entry (`"adapter": "documents"`); one with new checks adds
 * an adapter file and one line here (or passes it to the worker in `extraAdapters`).
 */
export const BUILT_IN_ADAPTERS: Readonly<Record<string, AgencyAdapter>> = {
  documents: documentsAdapter,
  customs: customsAdapter,
  economy: economyAdapter,
};

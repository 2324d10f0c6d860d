// @ts-check
// The rooms of design.md §8 and the one direction of dependency between them:
// schemas <- domain <- workflows <- clearance-client <- services / cli / ops.
// Each room lists the rooms it must never import; lint fails on such an upward import.

const NO_IO = ['node:*', 'fs', 'path', 'crypto', 'os', 'child_process', 'net', 'http', 'https'];
const PROCESS_LIBRARIES = [
  'kafkajs',
  'pino',
  '@temporalio/client',
  '@temporalio/worker',
  '@temporalio/activity',
];

/** A pattern for `room` at any depth of relative path. */
const room = (name) => `**/${name}/**`;

/**
 * Each room and the rooms it may import (itself aside); every other room is off limits to it.
 * bench/ and test/ may import anything and are imported by no room.
 * @type {Record<string, { mayImport: string[]; extra?: Array<{ group: string[]; message: string; allowTypeImports?: boolean }> }>}
 */
const ROOMS = {
  schemas: { mayImport: [] },
  domain: {
    mayImport: ['schemas'],
    extra: [
      { group: NO_IO, message: 'domain/ is pure: no I/O.' },
      {
        group: [...PROCESS_LIBRARIES, '@temporalio/*'],
        message: 'domain/ is pure: no Kafka, logging or Temporal.',
      },
    ],
  },
  workflows: {
    mayImport: ['schemas', 'domain', 'activities'],
    extra: [
      // Workflow code is replayed: it must stay deterministic and free of I/O.
      { group: NO_IO, message: 'Workflows must not do I/O.' },
      { group: PROCESS_LIBRARIES, message: 'Workflows must not do I/O.' },
      { group: [room('activities')], allowTypeImports: true, message: 'Import activities as types only.' },
    ],
  },
  runtime: { mayImport: ['schemas', 'domain'] },
  messaging: { mayImport: ['schemas', 'domain', 'runtime'] },
  identity: { mayImport: ['schemas', 'domain', 'runtime'] },
  // The PostgreSQL archive (design.md §12): its SQL, its writes and its reads, for services/.
  archive: { mayImport: ['schemas', 'domain', 'runtime'] },
  activities: { mayImport: ['schemas', 'domain', 'runtime', 'messaging'] },
  'clearance-client': { mayImport: ['schemas', 'domain', 'workflows', 'runtime'] },
  infra: { mayImport: ['schemas', 'domain', 'workflows', 'runtime'] },
  ops: {
    mayImport: ['schemas', 'domain', 'workflows', 'runtime', 'messaging', 'identity', 'clearance-client'],
  },
  services: {
    mayImport: [
      'schemas',
      'domain',
      'workflows',
      'runtime',
      'messaging',
      'identity',
      'activities',
      'clearance-client',
      'infra',
      'archive',
    ],
  },
  cli: {
    mayImport: [
      'schemas',
      'domain',
      'workflows',
      'runtime',
      'messaging',
      'identity',
      'clearance-client',
      'ops',
    ],
  },
};
const ALL = [...Object.keys(ROOMS), 'bench', 'test'];

/** One `no-restricted-imports` block per room (tests of a room may use test/ support). */
export function layering() {
  return Object.entries(ROOMS).map(([name, { mayImport, extra = [] }]) => ({
    files: [`${name}/**/*.ts`],
    ignores: [`${name}/**/*.test.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...extra,
            {
              group: ALL.filter((other) => other !== name && !mayImport.includes(other)).map(room),
              message: `${name}/ must not import a room above it (design.md §8; README "Layout").`,
            },
          ],
        },
      ],
    },
  }));
}

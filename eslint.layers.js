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

/** @type {Record<string, { above: string[]; extra?: Array<{ group: string[]; message: string; allowTypeImports?: boolean }> }>} */
const ROOMS = {
  schemas: {
    above: [
      'domain',
      'workflows',
      'activities',
      'messaging',
      'runtime',
      'clearance-client',
      'services',
      'ops',
      'cli',
      'infra',
      'bench',
      'test',
    ],
  },
  domain: {
    above: [
      'workflows',
      'activities',
      'messaging',
      'runtime',
      'clearance-client',
      'services',
      'ops',
      'cli',
      'infra',
      'bench',
      'test',
    ],
    extra: [
      { group: NO_IO, message: 'domain/ is pure: no I/O.' },
      {
        group: [...PROCESS_LIBRARIES, '@temporalio/*'],
        message: 'domain/ is pure: no Kafka, logging or Temporal.',
      },
    ],
  },
  workflows: {
    above: ['messaging', 'runtime', 'clearance-client', 'services', 'ops', 'cli', 'infra', 'bench', 'test'],
    extra: [
      // Workflow code is replayed: it must stay deterministic and free of I/O.
      { group: NO_IO, message: 'Workflows must not do I/O.' },
      { group: PROCESS_LIBRARIES, message: 'Workflows must not do I/O.' },
      { group: [room('activities')], allowTypeImports: true, message: 'Import activities as types only.' },
    ],
  },
  runtime: {
    above: [
      'workflows',
      'activities',
      'messaging',
      'clearance-client',
      'services',
      'ops',
      'cli',
      'infra',
      'bench',
      'test',
    ],
  },
  messaging: {
    above: [
      'workflows',
      'activities',
      'clearance-client',
      'services',
      'ops',
      'cli',
      'infra',
      'bench',
      'test',
    ],
  },
  activities: {
    above: ['workflows', 'clearance-client', 'services', 'ops', 'cli', 'infra', 'bench', 'test'],
  },
  'clearance-client': {
    above: ['activities', 'messaging', 'services', 'ops', 'cli', 'infra', 'bench', 'test'],
  },
  ops: { above: ['services', 'cli', 'infra', 'bench', 'test'] },
  infra: {
    above: ['activities', 'messaging', 'clearance-client', 'services', 'ops', 'cli', 'bench', 'test'],
  },
  services: { above: ['ops', 'cli', 'bench', 'test'] },
  cli: { above: ['services', 'infra', 'bench', 'test'] },
};

/** One `no-restricted-imports` block per room (tests of a room may use test/ support). */
export function layering() {
  return Object.entries(ROOMS).map(([name, { above, extra = [] }]) => ({
    files: [`${name}/**/*.ts`],
    ignores: [`${name}/**/*.test.ts`],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            ...extra,
            {
              group: above.map(room),
              message: `${name}/ must not import a room above it (design.md §8; README "Layout").`,
            },
          ],
        },
      ],
    },
  }));
}

import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The dependency direction of design.md §8 is enforced by lint (eslint.layers.js). These cases
// prove that the rules bite: each upward import must be reported, each allowed one must not.

const eslint = new ESLint();

async function restricted(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  // A file lint cannot parse reports nothing of use: fail on it rather than pass by accident.
  expect(result!.messages.filter((m) => m.fatal)).toEqual([]);
  return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

describe('layering', () => {
  it.each([
    ['domain/routing.ts', "import '../workflows/messages.js';"],
    ['domain/routing.ts', "import { Kafka } from 'kafkajs';\nvoid Kafka;"],
    ['domain/routing.ts', "import { readFileSync } from 'node:fs';\nvoid readFileSync;"],
    ['workflows/messages.ts', "import '../clearance-client/workflow-ids.js';"],
    [
      'workflows/messages.ts',
      "import { createActivities } from '../activities/create-activities.js';\nvoid createActivities;",
    ],
    ['clearance-client/clearance-start.ts', "import '../services/intake.js';"],
    ['messaging/keyed-consumer.ts', "import '../services/intake.js';"],
    ['ops/ops-error.ts', "import '../cli/flags.js';"],
    ['services/intake.ts', "import '../cli/main.js';"],
    ['schemas/types.ts', "import '../domain/routing.js';"],
  ])('%s may not: %s', async (file, code) => {
    expect(await restricted(file, code)).toHaveLength(1);
  });

  it.each([
    [
      'workflows/messages.ts',
      "import type { ClearanceActivities } from '../activities/create-activities.js';\nexport type A = ClearanceActivities;",
    ],
    ['clearance-client/clearance-start.ts', "import '../workflows/messages.js';"],
    ['services/intake.ts', "import '../clearance-client/workflow-ids.js';"],
    ['cli/main.ts', "import '../ops/ops-error.js';"],
  ])('%s may: %s', async (file, code) => {
    expect(await restricted(file, code)).toEqual([]);
  });
});

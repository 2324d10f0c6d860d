// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code is replayed: it must stay deterministic and free of I/O, so Node builtins,
    // Kafka/logging libraries and runtime imports of activity code are banned here.
    files: ['workflows/**/*.ts'],
    ignores: ['workflows/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'crypto', 'os', 'child_process', 'net', 'http', 'https'],
              message: 'Workflows must not do I/O.',
            },
            {
              group: ['kafkajs', 'pino', '@temporalio/client', '@temporalio/worker', '@temporalio/activity'],
              message: 'Workflows must not do I/O.',
            },
            {
              group: ['../activities/*', '../../activities/*'],
              allowTypeImports: true,
              message: 'Import activities as types only.',
            },
            {
              group: ['../runtime/*', '../infra/*', '../workers/*'],
              message: 'Workflows must not import process-level code.',
            },
          ],
        },
      ],
      // Time and randomness come from history (timers, activity results), never from the host.
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'No clocks in workflows; activities stamp times.' },
        { object: 'Math', property: 'random', message: 'No randomness in workflows.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'No clocks in workflows.',
        },
        {
          selector: "CallExpression[callee.name='setTimeout']",
          message: 'Use sleep() or condition() from @temporalio/workflow.',
        },
      ],
    },
  },
  { files: ['**/*.js', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);

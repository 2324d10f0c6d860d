// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { layering } from './eslint.layers.js';

export default tseslint.config(
  { ignores: ['node_modules/**', 'bench/results/**', 'dist/**'] },
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
  ...layering(),
  {
    // Time and randomness come from history (timers, activity results), never from the host.
    // workflows/task-time.ts reads the workflow task's time, which the SDK takes from history.
    files: ['workflows/**/*.ts', 'domain/**/*.ts'],
    ignores: ['**/*.test.ts', 'workflows/task-time.ts'],
    rules: {
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

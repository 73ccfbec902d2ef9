// ESLint flat config (`npm run lint`, part of `npm test`): typescript-eslint's type-checked
// recommended rules over all the TypeScript (apps/, libs/, test/, scripts/, migrations/,
// vitest.config.ts), typed through tsconfig.json by the project service. Formatting is Prettier's
// job: eslint-config-prettier, last, turns off every rule that would fight it.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: ['dist/', 'node_modules/', 'coverage/', '.run/', '.kafka/'],
  },
  eslint.configs.recommended,
  tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    linterOptions: {
      reportUnusedDisableDirectives: 'error',
    },
    rules: {
      // The code's convention for a binding that is there on purpose but not read: a leading
      // underscore, mostly to leave a field out of a rest object (`const { apiSecret: _secret, ...visible } = …`).
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // Off: `async` is how a callback meets a Promise-returning contract (kafkajs's eachMessage
      // and eachBatch handlers, a test's claimWithin callback) even when its body has nothing to
      // await; the rule would ask for `return Promise.resolve()` instead. The bug it aims at, an
      // async call not awaited, is what no-floating-promises and no-misused-promises catch.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Tests read JSON they did not type: supertest's `response.body`, the e2e Kafka client's
    // `message.json`, database rows, Vitest's asymmetric matchers (`expect.any(…)`): all `any`,
    // on purpose, and their assertions check the shape at run time. Typing each access would add
    // casts, not catch bugs. The no-unsafe-* rules stay on for the service, libraries and scripts.
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    // Plain JavaScript (this file) is outside tsconfig.json: no type-aware rules for it.
    files: ['**/*.{js,mjs,cjs}'],
    extends: [tseslint.configs.disableTypeChecked],
  },
  prettier,
);

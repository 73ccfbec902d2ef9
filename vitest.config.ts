import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';
import { LongestFirstSequencer } from './test/support/longest-first-sequencer.js';

// The libraries are imported as `#contracts`, `#itniotech`, ... (package.json "imports").
// Node resolves them to dist/ at run time; tests resolve them to the TypeScript sources.
const packageJson = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  imports: Record<string, { source: string }>;
};
const alias = Object.fromEntries(
  Object.entries(packageJson.imports).map(([name, target]) => [name, fileURLToPath(new URL(target.source, import.meta.url))]),
);

/**
 * Files whose assertions measure time or rates (calls per second, how evenly instances share the
 * work, the budget's refill in milliseconds, a log line within 2 s of the spawn): they run after
 * everything else, one at a time, so that nothing else on the machine's two cores bends what they
 * measure.
 */
const QUIET_E2E_FILES = [
  'test/submission/rate-limit.e2e-spec.ts',
  'test/submission/provider-call-budget.e2e-spec.ts',
  'test/operations/scale.e2e-spec.ts',
  'test/operations/startup.e2e-spec.ts',
];

/**
 * How many test files run at once in the first group. E2E files mostly wait (for the broker, a
 * lease, a back-off), and each works on its own database, topics and consumer group, so more of
 * them than cores run side by side. Projects of one group must share the number.
 */
const WORKERS = Number(process.env.TEST_WORKERS ?? 6);

const e2eProject = {
  globalSetup: ['test/support/global-setup.ts'],
  setupFiles: ['test/support/e2e-file.ts'],
  testTimeout: 60_000,
  hookTimeout: 120_000,
};

export default defineConfig({
  // SWC instead of esbuild: Nest's dependency injection needs emitDecoratorMetadata.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias },
  test: {
    globals: false,
    environment: 'node',
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: [
            'apps/**/*.spec.ts',
            'libs/**/*.spec.ts',
            'scripts/**/*.spec.ts',
            'test/model/**/*.spec.ts',
            'test/deploy/**/*.spec.ts',
          ],
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          exclude: QUIET_E2E_FILES,
          ...e2eProject,
          maxWorkers: WORKERS,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e-quiet',
          include: QUIET_E2E_FILES,
          ...e2eProject,
          maxWorkers: 1,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

// The libraries are imported as `#contracts`, `#itniotech`, ... (package.json "imports").
// Node resolves them to dist/ at run time; tests resolve them to the TypeScript sources.
const packageJson = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')) as {
  imports: Record<string, { source: string }>;
};
const alias = Object.fromEntries(
  Object.entries(packageJson.imports).map(([name, target]) => [name, fileURLToPath(new URL(target.source, import.meta.url))]),
);

export default defineConfig({
  // SWC instead of esbuild: Nest's dependency injection needs emitDecoratorMetadata.
  plugins: [swc.vite({ module: { type: 'es6' } })],
  resolve: { alias },
  test: {
    globals: false,
    environment: 'node',
    projects: [
      {
        extends: true,
        test: { name: 'unit', include: ['apps/**/*.spec.ts', 'libs/**/*.spec.ts', 'scripts/**/*.spec.ts', 'test/model/**/*.spec.ts'] },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e-spec.ts'],
          globalSetup: ['test/support/global-setup.ts'],
          setupFiles: ['test/support/leftover-processes.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // One broker and one database server on two cores: run e2e files one after another.
          fileParallelism: false,
        },
      },
    ],
  },
});

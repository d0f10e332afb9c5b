import { defineConfig } from 'vitest/config';

/** Root config: `vitest run` at the root runs every project's tests in one process tree. */
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'test/vitest.config.ts'],
  },
});

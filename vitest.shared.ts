/**
 * Options every project's vitest config shares. Tests run against TypeScript sources: the
 * `@mflab/source` export condition makes `@mflab/*` imports resolve to `src/index.ts`, so a
 * test never depends on a stale `dist/`.
 */
export const sharedTestOptions = {
  resolve: { conditions: ['@mflab/source'] },
  ssr: { resolve: { conditions: ['@mflab/source'] } },
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
};

import { defineProject } from 'vitest/config';

// No `@mflab/source` condition here: these tests import the packages' built `dist/`, the way
// a user's script does, so they also check the build and the export maps.
export default defineProject({
  test: { name: 'integration', include: ['src/**/*.test.ts'], testTimeout: 120_000 },
});

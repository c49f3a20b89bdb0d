import { defineConfig } from 'vitest/config';

// Workspace packages resolve to their TypeScript sources (the `source` export condition), so tests never
// need a rebuild of a dependency; spawned plugin processes use the built `dist` (the test script builds first).
export default defineConfig({
  resolve: { conditions: ['source'] },
  ssr: { resolve: { conditions: ['source'] } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'conformance/test/**/*.test.ts', 'scripts/test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The suites mostly wait on backends and child processes, not on the CPU: on a 2-core CI machine one worker
    // (vitest's default there) leaves both cores idle most of the time. Every test uses its own keys, tables,
    // topics and queues, so files can share the backends.
    maxWorkers: 3,
    reporters: ['default'],
  },
});

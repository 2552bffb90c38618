import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Vitest's default is one worker fewer than the cores: a single one on the 2-core machines this
    // runs on, so every file waited for the one before, idle through the end-to-end tests' waits.
    maxWorkers: 2,
  },
});

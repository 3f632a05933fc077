import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2 cores: each file starts its own databases, emulator and discord.js client.
    maxWorkers: 2,
    reporters: ['default', './test/summary-reporter.ts'],
  },
});

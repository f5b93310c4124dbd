import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Test files run in parallel (forks); each uses free ports and its own temp dir.
    pool: 'forks',
    // A missing system dependency (kcat, mariadb) fails loudly in test/helpers; nothing skips.
    allowOnly: false,
  },
});

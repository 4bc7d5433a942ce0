import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 30_000,
    // Integration suites start real servers (sshd, the simulator, platform fakes); two cores run them best in forks.
    pool: 'forks',
  },
});

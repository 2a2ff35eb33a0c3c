import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // Only our tests: data/ holds debootstrapped trees that must never be scanned.
    include: ['test/**/*.test.ts'],
    exclude: ['node_modules/**', 'data/**'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Docker and libvirt tests share 2 cores and one engine: one file at a time.
    fileParallelism: false,
    reporters: ['default', './test/support/summaryReporter.ts'],
  },
  server: { watch: { ignored: ['**/data/**'] } },
});

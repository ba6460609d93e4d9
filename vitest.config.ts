import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Root-only end-to-end tests create namespaces and TUN devices; keep them from
    // running concurrently with each other by giving them their own files and
    // letting vitest run files in parallel only up to the core count.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default'],
  },
});

import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['packages/**/*.test.ts', 'tools/**/*.test.ts', 'actions/*.test.ts', 'actions/*/src/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.test.ts'],
          testTimeout: 120_000,
          hookTimeout: 300_000,
          // Lab-backed tests share one docker engine and sshd; run files one after another.
          fileParallelism: false,
          // GitHub's workflow parser imports its JSON schemas without import attributes, which Node refuses.
          server: { deps: { inline: [/@actions\/workflow-parser/, /@actions\/expressions/] } },
        },
      },
    ],
  },
});

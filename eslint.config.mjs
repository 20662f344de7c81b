// ESLint (flat config) with typescript-eslint's recommended rules, type-aware where a rule needs types.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/node_modules/**',
      '**/*.cjs',
      'bench/results/**',
      'test/fixtures/**',
      'packages/engines/heredoc/corpus/**',
      'packages/engines/heredoc/realworld/**',
      'examples/**',
    ],
  },
  {
    files: ['**/*.ts', '**/*.mjs'],
    extends: [tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      // Prettier wraps code at 140 columns but never splits a string; this holds comments and code there too.
      'max-len': ['error', { code: 140, ignoreStrings: true, ignoreTemplateLiterals: true, ignoreRegExpLiterals: true, ignoreUrls: true }],
      // A promise nobody awaits loses its error and its ordering; `void` says it is on purpose.
      '@typescript-eslint/no-floating-promises': 'error',
      // The toolkit sits behind the Logger, reporter and state seams of packages/runtime/log.
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@actions/core',
              message: 'Import @actions/core only in packages/runtime/log; use the Logger, reporter or state provider.',
            },
          ],
        },
      ],
    },
  },
  { files: ['packages/runtime/log/**/*.ts'], rules: { 'no-restricted-imports': 'off' } },
  // Tests and benchmarks read YAML, JSON and runner output of any shape.
  { files: ['**/*.test.ts', 'test/**/*.ts', 'bench/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off' } },
  { files: ['**/*.mjs'], extends: [tseslint.configs.disableTypeChecked] },
);

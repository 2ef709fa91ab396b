import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-results/', 'playwright-report/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.browser, ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // The core is pure TypeScript over web standards: it runs in Node, Workers and Vitest alike.
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['react', 'react-dom', 'zustand', '@tanstack/react-query', 'comlink'].map((name) => ({
          name, message: 'src/core must not depend on UI, state or worker plumbing.',
        })),
        patterns: [
          { group: ['react/*', 'react-dom/*', 'zustand/*', '@tanstack/*', 'comlink/*'], message: 'src/core must not depend on UI, state or worker plumbing.' },
          { group: ['node:*'], message: 'src/core runs in browsers too: put Node-only code in a *.node.ts file.' },
        ],
      }],
    },
  },
  {
    // Components reach workers through react-query (src/queries), which passes each query's signal on.
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', {
      paths: [{ name: 'comlink', message: 'components reach workers through src/queries.' }],
      patterns: [{ group: ['**/bridge/*', '**/workers/*'], allowTypeImports: true, message: 'components reach workers through src/queries.' }],
    }] },
  },
  {
    files: ['src/core/**/*.node.ts', 'src/core/**/*.test.ts'],
    rules: { 'no-restricted-imports': ['error', {
      paths: ['react', 'react-dom', 'zustand', '@tanstack/react-query', 'comlink'].map((name) => ({
        name, message: 'src/core must not depend on UI, state or worker plumbing.',
      })),
    }] },
  },
);

import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import jsxA11y from 'eslint-plugin-jsx-a11y-x';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import local from './eslint-rules/index.js';

/** The project folder: import zones are folders of it. */
const root = dirname(fileURLToPath(import.meta.url));
const TS = ['**/*.ts', '**/*.tsx', '**/*.mts'];

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
  { files: TS, plugins: { local }, rules: { 'local/no-import-cycle': 'error' } },
  {
    // Import zones, by where a specifier points (relative, `/src/…` or a `src/…` alias alike).
    files: ['src/core/**/*.ts'],
    ignores: ['src/core/**/*.test.ts'],
    rules: { 'local/import-zones': ['error', { root, allow: ['src/core'], message: 'src/core imports nothing outside src/core.' }] },
  },
  {
    // Tests of the core may use the shared test fixtures and helpers too.
    files: ['src/core/**/*.test.ts'],
    rules: { 'local/import-zones': ['error', { root, allow: ['src/core', 'src/test-support'], message: 'a core test imports src/core and src/test-support only.' }] },
  },
  {
    // Components reach workers through react-query (src/queries), which passes each query's signal on.
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx'],
    rules: { 'local/import-zones': ['error', { root, forbid: [
      { path: 'workers', message: 'components reach workers through src/queries.' },
      { path: 'src/bridge', allowTypeImports: true, message: 'components reach workers through src/queries.' },
    ] }] },
  },
  {
    // The arrows point ui → queries/state → bridge → workers → core, never back.
    files: ['src/state/**/*.ts', 'src/state/**/*.tsx', 'src/queries/**/*.ts', 'src/queries/**/*.tsx'],
    rules: { 'local/import-zones': ['error', { root, forbid: [
      { path: 'workers', message: 'state and queries reach workers through src/bridge.' },
      { path: 'src/ui', message: 'state and queries do not depend on components.' },
    ] }] },
  },
  {
    files: ['src/bridge/**/*.ts'],
    rules: { 'local/import-zones': ['error', { root, forbid: ['src/ui', 'src/state', 'src/queries'].map((path) => ({ path, message: 'the bridge sits below state, queries and components.' })) }] },
  },
  {
    files: ['workers/**/*.ts'],
    ignores: ['workers/**/*.test.ts'],
    rules: { 'local/import-zones': ['error', { root, allow: ['workers', 'src/core'], message: 'workers run the core: they import workers/ and src/core only.' }] },
  },
  {
    files: ['workers/**/*.test.ts'],
    rules: { 'local/import-zones': ['error', { root, allow: ['workers', 'src/core', 'src/test-support'], message: 'a worker test imports workers/, src/core and src/test-support only.' }] },
  },
  {
    // The CORS proxy stands alone: it is served beside the app but shares no code with it (its tests may host it in src/serve).
    files: ['proxy/**/*.ts'],
    ignores: ['proxy/**/*.test.ts'],
    rules: { 'local/import-zones': ['error', { root, allow: ['proxy'], message: 'proxy/ stands alone.' }] },
  },
  {
    files: ['src/ui/**/*.tsx', 'src/ui/**/*.ts', 'src/state/**/*.ts', 'src/queries/**/*.ts'],
    ...reactHooks.configs.flat['recommended-latest'],
    rules: {
      ...reactHooks.configs.flat['recommended-latest'].rules,
      'react-hooks/exhaustive-deps': 'error',
      // A hint for React Compiler builds (which this app is not): it flags any use of @tanstack/react-virtual.
      'react-hooks/incompatible-library': 'off',
    },
  },
  { files: ['src/ui/**/*.tsx'], ...jsxA11y.configs.recommended },
  {
    // A scrolling region must be reachable by keyboard to be scrolled (WCAG 2.1.1): a named role="region" may take tabIndex.
    files: ['src/ui/**/*.tsx'],
    rules: { 'jsx-a11y-x/no-noninteractive-tabindex': ['error', { tags: [], roles: ['tabpanel', 'region'], allowExpressionValues: true }] },
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
    files: ['src/ui/**/*.ts', 'src/ui/**/*.tsx'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'comlink', message: 'components reach workers through src/queries.' }] }] },
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

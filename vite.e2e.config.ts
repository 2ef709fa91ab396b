/**
 * The e2e build: the app plus every test page in `e2e/pages/*.html`, into `.cache/e2e-dist`.
 * Playwright serves it with `src/serve.ts` (DIST_DIR), so specs run against built code as users get it,
 * and test pages stay out of the product build. A test page is `e2e/pages/<name>.html` loading its own
 * module, reached at `/e2e/pages/<name>.html`.
 */
import { readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig, mergeConfig } from 'vite';
import base from './vite.config.js';

const root = import.meta.dirname;
const pages = readdirSync(resolve(root, 'e2e/pages'), { withFileTypes: true })
  .filter((e) => e.isFile() && e.name.endsWith('.html'))
  .map((e) => resolve(root, 'e2e/pages', e.name));

export default mergeConfig(base, defineConfig({
  build: {
    outDir: resolve(root, '.cache/e2e-dist'),
    emptyOutDir: true,
    rolldownOptions: { input: [resolve(root, 'index.html'), ...pages] },
  },
}));

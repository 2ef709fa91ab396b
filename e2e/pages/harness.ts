/**
 * Proves the test-page plumbing: a page module can import the core and report through `window.__result`.
 * Specs read `window.__result` once `#out` has `data-done`.
 */
import { sha256 } from '../../src/core/digest';

declare global {
  interface Window { __result?: unknown }
}

const out = document.getElementById('out')!;
const digest = await sha256(new TextEncoder().encode('docker-envs'));
window.__result = { digest };
out.textContent = String(digest);
out.dataset.done = 'true';

/** Reads every row of the inspector's virtualised file tree by scrolling it from top to bottom. */
import { expect, type Page } from '@playwright/test';

/** One tree row as its data attributes give it (exact numbers, not the formatted text). */
export interface ShownRow { path: string; type: string; mode: number; uid: number; gid: number; size: number; linkname: string; text: string }

/** Scrolls the file tree and collects each row once, in order. */
export async function collectTreeRows(page: Page): Promise<ShownRow[]> {
  const tree = page.getByTestId('file-tree');
  await expect(tree.locator('.tree-row').first()).toBeVisible();
  const seen = new Map<string, ShownRow>();
  for (let top = 0; ; ) {
    await tree.evaluate((el, t) => { el.scrollTop = t; }, top);
    await expect(tree.locator('.tree-row:not([data-path])')).toHaveCount(0);
    const rows = await tree.locator('.tree-row').evaluateAll((els) => els.map((e) => {
      const d = (e as HTMLElement).dataset;
      return { path: d.path!, type: d.type!, mode: Number(d.mode), uid: Number(d.uid), gid: Number(d.gid), size: Number(d.size), linkname: d.link ?? '', text: e.textContent ?? '' };
    }));
    for (const r of rows) if (!seen.has(r.path)) seen.set(r.path, r);
    const { scrollHeight, clientHeight } = await tree.evaluate((el) => ({ scrollHeight: el.scrollHeight, clientHeight: el.clientHeight }));
    if (top + clientHeight >= scrollHeight) break;
    top += clientHeight - 30;
  }
  return [...seen.values()];
}

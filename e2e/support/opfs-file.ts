/** Reads a file the page wrote into OPFS (a picker stand-in's target) back into Node, as base64 across the boundary. */
import type { Page } from '@playwright/test';

/** The bytes of OPFS file `name` of the page's origin. */
export async function opfsFile(page: Page, name: string): Promise<Buffer> {
  const base64 = await page.evaluate(async (n) => {
    const f = await (await (await navigator.storage.getDirectory()).getFileHandle(n)).getFile();
    const bytes = new Uint8Array(await f.arrayBuffer());
    let text = '';
    for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return btoa(text);
  }, name);
  return Buffer.from(base64, 'base64');
}

/** OPFS files as a picker stand-in: the save picker made to hand one out, and its bytes read back into Node (base64 across the boundary). */
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

/** Makes the page's save picker (which a test cannot drive) hand out OPFS file `name`, from the next navigation on. */
export async function savePickerTo(page: Page, name: string): Promise<void> {
  await page.addInitScript((n) => {
    (window as unknown as { showSaveFilePicker?: () => Promise<FileSystemFileHandle> }).showSaveFilePicker =
      async () => (await navigator.storage.getDirectory()).getFileHandle(n, { create: true });
  }, name);
}

/**
 * Keyboard focus across a change of a list of rows (channels, packages). A button that removes its row, or
 * a row that moves, would otherwise take the focus with it (back to the page's start); an added row should
 * be typed into at once.
 */
import { flushSync } from 'react-dom';

/**
 * Applies `change` (a store update) and renders it at once, then focuses what `target` finds in the updated
 * list (`list`, the rows' parent), if anything.
 */
export function changeKeepingFocus(change: () => void, list: HTMLElement | null, target: (rows: HTMLElement[]) => HTMLElement | null | undefined): void {
  flushSync(change);
  const rows = list ? [...list.children].filter((e): e is HTMLElement => e instanceof HTMLElement) : [];
  target(rows)?.focus();
}

/** The text field of row `i` (clamped to the last row), for after an add or a remove. */
export const fieldOfRow = (i: number) => (rows: HTMLElement[]) => rows[Math.min(i, rows.length - 1)]?.querySelector<HTMLElement>('input, textarea');

/** The enabled button labelled `label` in any row, for after a row moved. */
export const buttonLabelled = (label: string) => (rows: HTMLElement[]) =>
  rows.map((r) => r.querySelector<HTMLButtonElement>(`button[aria-label="${label}"]`)).find((b) => b && !b.disabled);

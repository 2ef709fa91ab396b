/** The inspector's progress flag on the page (read by the benchmark and the e2e tests). */
export type InspectorPhase = 'opening' | 'layers' | 'indexed' | 'error';

/** Sets the page's progress flag. */
export function setInspectorPhase(phase: InspectorPhase): void {
  document.body.dataset.inspector = phase;
}

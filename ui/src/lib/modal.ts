// The keyboard rules every modal dialog of the app follows: focus stays
// inside until it closes, Escape closes it. The dialogs are plain
// `role="dialog"` elements in the page, never the top layer (modal dialog
// elements, popovers, fullscreen): the watermark, drawn at the highest
// z-index after the app, must stay above them (csp.test.ts checks it).

/** What Tab moves between, in order: like a browser, one stop per radio group. */
export function tabStops(dialog: HTMLElement | undefined): HTMLElement[] {
  if (!dialog) return [];
  const candidates = dialog.querySelectorAll<HTMLElement>(
    "button:not(:disabled), input:not(:disabled), select:not(:disabled), textarea:not(:disabled), a[href], [tabindex]:not([tabindex='-1'])",
  );
  const groups = new Set<string>();
  const result: HTMLElement[] = [];
  for (const element of candidates) {
    if (element instanceof HTMLInputElement && element.type === "radio") {
      if (groups.has(element.name)) continue;
      groups.add(element.name);
      const group = [...dialog.querySelectorAll<HTMLInputElement>(`input[type="radio"][name="${CSS.escape(element.name)}"]`)];
      result.push(group.find((radio) => radio.checked) ?? element);
    } else {
      result.push(element);
    }
  }
  return result;
}

/** A window keydown while `dialog` is open: Escape closes it, Tab cycles through it and never leaves. */
export function modalKeydown(dialog: HTMLElement | undefined, event: KeyboardEvent, close: () => void): void {
  if (event.key === "Escape") {
    event.preventDefault();
    event.stopPropagation();
    close();
    return;
  }
  if (event.key !== "Tab") return;
  const stops = tabStops(dialog);
  if (stops.length === 0) return;
  event.preventDefault();
  const active = document.activeElement;
  let index = stops.findIndex(
    (stop) =>
      stop === active ||
      (stop instanceof HTMLInputElement && active instanceof HTMLInputElement && stop.type === "radio" && stop.name === active.name),
  );
  if (index === -1) index = event.shiftKey ? 0 : stops.length - 1;
  const next = (index + (event.shiftKey ? -1 : 1) + stops.length) % stops.length;
  stops[next]?.focus();
}

/** A window focusin while `dialog` is open: focus that lands outside (a click on the backdrop) comes back in. */
export function keepFocusIn(dialog: HTMLElement | undefined, event: FocusEvent): void {
  if (dialog && event.target instanceof Node && !dialog.contains(event.target)) tabStops(dialog)[0]?.focus();
}

/**
 * Whether a modal dialog is open anywhere in the page: Escape and print
 * requests are then the dialog's, whichever component opened it.
 */
export function modalOpen(): boolean {
  return document.querySelector('[role="dialog"][aria-modal="true"]') !== null;
}

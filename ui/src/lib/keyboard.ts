// Keyboard shortcuts of the search screen, as pure functions of the event so
// they are tested without a screen. macOS uses Cmd+K (Ctrl+K is "delete to
// end of line" in its text fields); elsewhere Ctrl+K. "/" works everywhere,
// except while typing, where it is just a character.

/** Whether this machine is a Mac, from the browser's own report. */
export function isMac(nav: Navigator = navigator): boolean {
  const platform = (nav as Navigator & { userAgentData?: { platform?: string } }).userAgentData?.platform ?? nav.platform;
  return /mac/i.test(platform);
}

/** The shortcut as the hint shows it. */
export function searchShortcutLabel(mac: boolean): string {
  return mac ? "⌘K" : "Ctrl+K";
}

/** The same, in the `aria-keyshortcuts` syntax. */
export function searchShortcutAria(mac: boolean): string {
  return mac ? "Meta+K /" : "Control+K /";
}

/** Whether `target` takes typed text, so a "/" typed there belongs to it. */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (!(target instanceof HTMLInputElement)) return false;
  return !["button", "checkbox", "radio", "submit", "reset", "image", "file", "color", "range"].includes(target.type);
}

/** Whether `event` asks to jump to the patient search box. */
export function isSearchShortcut(event: KeyboardEvent, mac: boolean): boolean {
  if (event.altKey) return false;
  if (event.key.toLowerCase() === "k" && !event.shiftKey) {
    return mac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
  }
  return event.key === "/" && !event.ctrlKey && !event.metaKey && !isTextEntry(event.target);
}

/**
 * The row ArrowUp/ArrowDown/Home/End move to from row `index` of `count`
 * (the same row at either end: the list does not wrap, so the doctor always
 * knows where it ends), or null for any other key.
 */
export function rowAfterKey(key: string, index: number, count: number): number | null {
  if (count === 0) return null;
  let next: number;
  if (key === "ArrowDown") next = Math.min(index + 1, count - 1);
  else if (key === "ArrowUp") next = Math.max(index - 1, 0);
  else if (key === "Home") next = 0;
  else if (key === "End") next = count - 1;
  else return null;
  return next;
}

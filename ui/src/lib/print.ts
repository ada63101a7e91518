// Printing goes through the core: it renders watermarked pages with an
// export ID in every footer and records the job in the audit trail. The
// webview's own printing would do none of that, so it must never happen:
// `window.print` and the print shortcut (Ctrl+P, Cmd+P on a Mac) are taken
// over for the app's lifetime. They open the export dialog in print mode
// where a chart is on screen, and do nothing anywhere else. (app.css also
// leaves the app out of any printout that happens all the same.) For the
// same reason the webview's own "save page" (Ctrl+S, Cmd+S) and its context
// menu, which offers printing and saving on some platforms (WebView2), are
// switched off; fields keep theirs, for copy and paste.

/** How the export dialog was opened: from its button, or by a print request. */
export type ExportMode = "export" | "print";

/** Ctrl+P, or Cmd+P on a Mac, with or without Shift (Chromium's system print dialog). */
export function isPrintShortcut(event: KeyboardEvent): boolean {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return false;
  // `code` too: with a non-Latin keyboard layout or an IME, `key` may be another character.
  return event.key.toLowerCase() === "p" || event.code === "KeyP";
}

/** Ctrl+S or Cmd+S: the webview's "save page", which would write the page, PHI and all. */
export function isSaveShortcut(event: KeyboardEvent): boolean {
  if (!(event.ctrlKey || event.metaKey) || event.altKey) return false;
  return event.key.toLowerCase() === "s" || event.code === "KeyS";
}

function isEditable(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || target.matches("input, textarea"));
}

/**
 * Replaces `target.print` and the print shortcut with `onPrint`. The
 * shortcut is taken in the capture phase, before any other handler, and
 * never reaches the webview. Returns what puts everything back (for tests;
 * the app never does).
 */
export function interceptPrinting(target: Window, onPrint: () => void): () => void {
  const original = Object.getOwnPropertyDescriptor(target, "print");
  Object.defineProperty(target, "print", {
    configurable: true,
    enumerable: original?.enumerable ?? true,
    writable: false,
    value: function print(): void {
      onPrint();
    },
  });

  const onContextMenu = (event: MouseEvent): void => {
    if (!isEditable(event.target)) event.preventDefault();
  };
  target.addEventListener("contextmenu", onContextMenu, { capture: true });

  const onKeydown = (event: KeyboardEvent): void => {
    if (isSaveShortcut(event)) {
      event.preventDefault();
      event.stopPropagation();
      return;
    }
    if (!isPrintShortcut(event)) return;
    event.preventDefault();
    event.stopPropagation();
    // Holding the keys down asks once.
    if (!event.repeat) onPrint();
  };
  target.addEventListener("keydown", onKeydown, { capture: true });

  return () => {
    target.removeEventListener("keydown", onKeydown, { capture: true });
    target.removeEventListener("contextmenu", onContextMenu, { capture: true });
    if (original) Object.defineProperty(target, "print", original);
    else Reflect.deleteProperty(target, "print");
  };
}

/**
 * Where a print request goes: to the chart on screen, which takes them while
 * it shows a chart; nowhere otherwise.
 */
export class PrintRequests {
  private handler: (() => void) | null = null;

  /** A print request (window.print, Ctrl+P): handed to the chart on screen, if any. */
  request = (): void => {
    this.handler?.();
  };

  /** Takes the print requests until the returned function is called. */
  take(handler: () => void): () => void {
    this.handler = handler;
    return () => {
      if (this.handler === handler) this.handler = null;
    };
  }
}

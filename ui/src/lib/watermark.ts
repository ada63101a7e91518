// The watermark over every screen. The core computes it (who, on which
// workstation, when, and the break-the-glass colour); this module only draws
// it, keeps it drawn and keeps it current.
//
// It is drawn outside Svelte's component tree, as one element appended to
// document.body after the app: whatever removes or hides it cannot break a
// component (Svelte would fail on nodes it no longer finds), and at the
// highest z-index, last in the page, it covers everything the app draws,
// dialogs included (they are never top-layer elements; see modal.ts).
//
// Tampering is undone at once with a fresh element and reported to the core
// for the audit trail. Reports are throttled per kind, so a hostile loop
// cannot flood the core; restoring never stops, but a loop that removes the
// element as fast as it comes back cannot hang the page either.
import type { WatermarkView } from "../bindings/WatermarkView";
import type { WatermarkTamper } from "../bindings/WatermarkTamper";
import type { Backend } from "./backend";

/** CJK fonts first, so Chinese names are drawn the same on every workstation. */
const FONT_FAMILY = "'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif";
const LINE_HEIGHT = 1.4;
/** Drawn when the core sends an unreadable colour: the screen must not be left unmarked. */
const FALLBACK_COLOR = "#5a6270";
const FALLBACK_OPACITY = 0.14;
const FALLBACK_FONT_SIZE = 16;

/** How often the element's computed style and place are checked (stylesheets change no attribute). */
export const CHECK_EVERY_MS = 1000;
/** At most one report per kind in this time; later tampering is counted and undone, not reported. */
export const REPORT_EVERY_MS = 5000;
/**
 * Restores done at once within one second; beyond that the next check does
 * it. A script that removes the element whenever it appears would otherwise
 * keep the page in an endless loop of mutation callbacks.
 */
const RESTORES_PER_SECOND = 20;
/** The computed opacity may fall to this share of the spec's before it counts as hidden. */
const MIN_OPACITY_SHARE = 0.5;

/** The core's `refreshInSecs` is followed within these bounds. */
export const REFRESH_MIN_SECS = 5;
export const REFRESH_MAX_SECS = 60;
/** After a failed request the last watermark stays drawn and the core is asked again after this. */
export const RETRY_AFTER_FAILURE_MS = 10_000;

/**
 * Declarations that keep the element over the whole window, never in the way
 * and never restyled by a stylesheet: all set inline with `!important`, which
 * beats any author stylesheet. CSSOM changes like these are allowed under
 * the app's CSP (only `style` attributes in markup are not).
 */
const FIXED_DECLARATIONS: Readonly<Record<string, string>> = {
  position: "fixed",
  inset: "0",
  top: "0",
  right: "0",
  bottom: "0",
  left: "0",
  width: "auto",
  height: "auto",
  "min-width": "0",
  "min-height": "0",
  "max-width": "none",
  "max-height": "none",
  margin: "0",
  padding: "0",
  border: "none",
  display: "block",
  visibility: "visible",
  "z-index": "2147483647",
  "pointer-events": "none",
  "user-select": "none",
  "-webkit-user-select": "none",
  "background-color": "transparent",
  "background-repeat": "repeat",
  "background-position": "0 0",
  transform: "none",
  translate: "none",
  rotate: "none",
  scale: "none",
  zoom: "1",
  filter: "none",
  clip: "auto",
  "clip-path": "none",
  mask: "none",
  "-webkit-mask": "none",
  "mix-blend-mode": "normal",
  "content-visibility": "visible",
  animation: "none",
  transition: "none",
  // High-contrast modes would otherwise drop background images.
  "forced-color-adjust": "none",
};

/** One repeat of the watermark: an SVG image as a data URL, and its size in CSS pixels. */
export interface WatermarkTile {
  url: string;
  width: number;
  height: number;
}

function finite(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

/** Two decimals are plenty for SVG coordinates and keep the URL short. */
function num(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/**
 * A line made safe for XML: characters XML cannot hold (controls, lone
 * surrogates, which would also make `encodeURIComponent` throw) would break
 * the whole image and leave the screen unmarked, so they become U+FFFD;
 * `& < > " '` are escaped.
 */
export function escapeXml(text: string): string {
  return text
    .replace(/[\t\n\r]/g, " ")
    .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "\uFFFD")
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "\uFFFD")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&apos;");
}

/** East Asian wide characters take about 1 em; everything else about 0.6 em. */
function isWide(codePoint: number): boolean {
  return (
    (codePoint >= 0x1100 && codePoint <= 0x115f) ||
    (codePoint >= 0x2e80 && codePoint <= 0xa4cf) ||
    (codePoint >= 0xac00 && codePoint <= 0xd7a3) ||
    (codePoint >= 0xf900 && codePoint <= 0xfaff) ||
    (codePoint >= 0xfe30 && codePoint <= 0xfe4f) ||
    (codePoint >= 0xff00 && codePoint <= 0xff60) ||
    (codePoint >= 0xffe0 && codePoint <= 0xffe6) ||
    codePoint >= 0x20000
  );
}

/** An estimate of the drawn width (the image cannot measure text): generous rather than overlapping. */
function textWidth(line: string, fontSize: number): number {
  let ems = 0;
  for (const char of line) ems += isWide(char.codePointAt(0) ?? 0) ? 1 : 0.6;
  return ems * fontSize;
}

/**
 * The tile of `spec`: its lines, centred and rotated counter-clockwise by
 * `angleDeg` (SVG rotates clockwise, hence the minus), twice per tile in a
 * staggered pattern so the rows do not line up. The tile is the rotated
 * text's bounding box plus `spacing`; the copies on the tile's edges are
 * completed by the neighbouring tiles.
 */
export function watermarkTile(spec: WatermarkView): WatermarkTile {
  const fontSize = Math.max(finite(spec.fontSize, FALLBACK_FONT_SIZE), 1);
  const lineHeight = fontSize * LINE_HEIGHT;
  const lines = spec.lines.map(escapeXml);
  const blockWidth = Math.max(0, ...spec.lines.map((line) => textWidth(line, fontSize)));
  const blockHeight = lines.length * lineHeight;
  const angle = finite(spec.angleDeg, 0);
  const radians = (angle * Math.PI) / 180;
  const cos = Math.abs(Math.cos(radians));
  const sin = Math.abs(Math.sin(radians));
  const spacing = Math.max(finite(spec.spacing, 0), 0);
  const width = Math.ceil(blockWidth * cos + blockHeight * sin + spacing) || 1;
  const rowHeight = Math.ceil(blockWidth * sin + blockHeight * cos + spacing) || 1;
  const height = rowHeight * 2;
  const color = /^#[0-9a-fA-F]{6}$/.test(spec.color) ? spec.color : FALLBACK_COLOR;

  const texts = lines
    .map((line, index) => `<text x="0" y="${num((index - (lines.length - 1) / 2) * lineHeight)}">${line}</text>`)
    .join("");
  const copy = (x: number, y: number) => `<g transform="translate(${num(x)} ${num(y)}) rotate(${num(-angle)})">${texts}</g>`;
  const svg =
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">` +
    `<g font-family="${FONT_FAMILY}" font-size="${num(fontSize)}" fill="${color}" text-anchor="middle" dominant-baseline="central"` +
    // A thin light halo, drawn under the fill, keeps the text legible on dark content too.
    ` stroke="#ffffff" stroke-opacity="0.45" stroke-width="${num(Math.max(fontSize / 8, 1))}" stroke-linejoin="round" paint-order="stroke">` +
    copy(width / 2, rowHeight / 2) +
    copy(0, rowHeight * 1.5) +
    copy(width, rowHeight * 1.5) +
    `</g></svg>`;
  // encodeURIComponent leaves ' ( ) unescaped: escaped too, so the URL is inert inside CSS `url("…")`.
  const encoded = encodeURIComponent(svg).replace(/'/g, "%27").replace(/\(/g, "%28").replace(/\)/g, "%29");
  return { url: `data:image/svg+xml;charset=utf-8,${encoded}`, width, height };
}

/** The overall opacity drawn: the spec's, within 0..1. */
function opacityOf(spec: WatermarkView): number {
  return Math.min(Math.max(finite(spec.opacity, FALLBACK_OPACITY), 0), 1);
}

/**
 * Draws one watermark element and keeps it there: restores it when it is
 * removed or hidden, and tells the core. Not a Svelte component on purpose
 * (see the top of this file).
 */
export class WatermarkGuard {
  private readonly backend: Pick<Backend, "reportWatermarkTamper">;
  private readonly doc: Document;
  private spec: WatermarkView | null = null;
  private tile: WatermarkTile | null = null;
  private current: HTMLElement | null = null;
  private readonly treeObserver: MutationObserver;
  private readonly attributeObserver: MutationObserver;
  private observedRoot: Element | null = null;
  private checkTimer: ReturnType<typeof setInterval> | undefined;
  private readonly lastReport: Partial<Record<WatermarkTamper, number>> = {};
  private readonly seen: Record<WatermarkTamper, number> = { removed: 0, hidden: 0 };
  private readonly unreported: Record<WatermarkTamper, number> = { removed: 0, hidden: 0 };
  private budgetStart = Number.NEGATIVE_INFINITY;
  private restoresInBudget = 0;

  constructor(backend: Pick<Backend, "reportWatermarkTamper">, doc: Document = document) {
    this.backend = backend;
    this.doc = doc;
    this.treeObserver = new MutationObserver((records) => this.onTreeChange(records));
    this.attributeObserver = new MutationObserver(() => this.onAttributeChange());
  }

  /** The element on screen, if drawn. */
  get element(): HTMLElement | null {
    return this.current;
  }

  /** Tampering seen so far, by kind: reported or not. */
  get tamperCount(): Readonly<Record<WatermarkTamper, number>> {
    return { ...this.seen };
  }

  /** Tampering undone but not reported (within `REPORT_EVERY_MS` of the last report of its kind). */
  get unreportedCount(): Readonly<Record<WatermarkTamper, number>> {
    return { ...this.unreported };
  }

  /** Draws `spec` (a fresh element replaces the one on screen) and starts guarding it. */
  update(spec: WatermarkView): void {
    this.spec = structuredClone(spec);
    this.tile = watermarkTile(spec);
    this.draw();
    this.observeRoot();
    if (this.checkTimer === undefined) this.checkTimer = setInterval(() => this.check(), CHECK_EVERY_MS);
  }

  /** Stops guarding and takes the element away (when the app goes, and in tests). */
  stop(): void {
    clearInterval(this.checkTimer);
    this.checkTimer = undefined;
    this.treeObserver.disconnect();
    this.attributeObserver.disconnect();
    this.observedRoot = null;
    this.current?.remove();
    this.current = null;
    this.spec = null;
  }

  /** A new element, fully styled before it is observed or shown, in place of the current one. */
  private draw(): void {
    const { spec, tile } = this;
    const body = this.doc.body;
    if (!spec || !tile || !body) return;
    const element = this.doc.createElement("div");
    element.setAttribute("data-testid", "watermark");
    element.setAttribute("aria-hidden", "true");
    element.setAttribute("data-break-glass", String(spec.breakGlass));
    const declarations: Record<string, string> = {
      ...FIXED_DECLARATIONS,
      opacity: String(opacityOf(spec)),
      "background-image": `url("${tile.url}")`,
      "background-size": `${tile.width}px ${tile.height}px`,
    };
    for (const [name, value] of Object.entries(declarations)) element.style.setProperty(name, value, "important");

    // Whatever was done to the old element no longer matters: its records go with it.
    this.attributeObserver.disconnect();
    const old = this.current;
    this.current = element;
    body.append(element);
    if (old && old !== element) old.remove();
    this.attributeObserver.observe(element, { attributes: true });
  }

  /** Observes the whole document for removals (again, if the root element was replaced). */
  private observeRoot(): void {
    const root = this.doc.documentElement;
    if (this.observedRoot === root) return;
    this.treeObserver.disconnect();
    this.treeObserver.observe(root, { childList: true, subtree: true });
    this.observedRoot = root;
  }

  private isInPlace(element: HTMLElement): boolean {
    return element.parentNode === this.doc.body && element.isConnected;
  }

  private onTreeChange(records: MutationRecord[]): void {
    const element = this.current;
    if (!element || !this.spec) return;
    if (!this.isInPlace(element)) {
      this.tampered("removed");
      return;
    }
    // A stylesheet added or changed: look now rather than at the next check.
    const styling = records.some(
      (record) =>
        isStyling(record.target) || [...record.addedNodes].some(isStyling) || [...record.removedNodes].some(isStyling),
    );
    if (styling && this.isHidden(element)) this.tampered("hidden");
  }

  private onAttributeChange(): void {
    // The guard never changes its element after drawing it: any change is tampering.
    if (this.current && this.spec) this.tampered("hidden");
  }

  /** The periodic check: what no mutation reports (stylesheet rules, layout). */
  private check(): void {
    const element = this.current;
    if (!element || !this.spec) return;
    this.observeRoot();
    if (!this.isInPlace(element)) {
      this.tampered("removed");
    } else if (this.isHidden(element)) {
      this.tampered("hidden");
    } else if (this.doc.body.lastElementChild !== element) {
      // Something was added after it: at the same z-index that would paint over it. Not tampering.
      this.doc.body.append(element);
    }
  }

  private isHidden(element: HTMLElement): boolean {
    const spec = this.spec;
    const view = this.doc.defaultView;
    if (!spec || !view) return false;
    const style = view.getComputedStyle(element);
    if (style.display === "none") return true;
    if (style.visibility === "hidden" || style.visibility === "collapse") return true;
    const opacity = Number.parseFloat(style.opacity);
    if (Number.isFinite(opacity) && opacity < opacityOf(spec) * MIN_OPACITY_SHARE) return true;
    return !this.coversViewport(element);
  }

  private coversViewport(element: HTMLElement): boolean {
    const root = this.doc.documentElement;
    // No layout (a document that is not rendered): nothing to measure.
    if (root.getBoundingClientRect().width === 0) return true;
    const view = this.doc.defaultView;
    const width = Math.min(root.clientWidth || Number.POSITIVE_INFINITY, view?.innerWidth ?? Number.POSITIVE_INFINITY);
    const height = Math.min(root.clientHeight || Number.POSITIVE_INFINITY, view?.innerHeight ?? Number.POSITIVE_INFINITY);
    const rect = element.getBoundingClientRect();
    const slack = 1;
    return rect.left <= slack && rect.top <= slack && rect.right >= width - slack && rect.bottom >= height - slack;
  }

  private tampered(kind: WatermarkTamper): void {
    this.seen[kind] += 1;
    this.report(kind);
    if (this.withinRestoreBudget()) this.draw();
  }

  private withinRestoreBudget(): boolean {
    const now = Date.now();
    if (now - this.budgetStart >= 1000) {
      this.budgetStart = now;
      this.restoresInBudget = 0;
    }
    this.restoresInBudget += 1;
    return this.restoresInBudget <= RESTORES_PER_SECOND;
  }

  private report(kind: WatermarkTamper): void {
    const now = Date.now();
    const last = this.lastReport[kind];
    if (last !== undefined && now - last < REPORT_EVERY_MS) {
      this.unreported[kind] += 1;
      return;
    }
    this.lastReport[kind] = now;
    this.backend.reportWatermarkTamper(kind).catch(() => {
      // The watermark is back either way; a report the core could not take
      // must not disturb the page.
    });
  }
}

function isStyling(node: Node): boolean {
  return node.nodeName === "STYLE" || (node.nodeName === "LINK" && (node as Element).getAttribute("rel") === "stylesheet");
}

/** How long until the core is asked again, from its `refreshInSecs`. */
export function refreshDelayMs(refreshInSecs: number): number {
  const secs = Number.isFinite(refreshInSecs) ? refreshInSecs : REFRESH_MAX_SECS;
  return Math.min(Math.max(secs, REFRESH_MIN_SECS), REFRESH_MAX_SECS) * 1000;
}

/**
 * The watermark on screen, kept current: asked of the core at start, when
 * the core says (`refreshInSecs`, the time in it is to the minute), and
 * whenever what it shows changes (login, logout, break-the-glass starting or
 * ending). An answer overtaken by a later request is dropped.
 */
export class Watermark {
  private readonly backend: Backend;
  private readonly guard: WatermarkGuard;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private request = 0;
  private stopped = false;

  constructor(backend: Backend, guard: WatermarkGuard = new WatermarkGuard(backend)) {
    this.backend = backend;
    this.guard = guard;
  }

  /** Asks the core for the watermark now and draws it. Never rejects. */
  async refresh(): Promise<void> {
    if (this.stopped) return;
    const request = ++this.request;
    clearTimeout(this.timer);
    let next: number;
    try {
      const spec = await this.backend.watermark();
      if (request !== this.request) return;
      this.guard.update(spec);
      next = refreshDelayMs(spec.refreshInSecs);
    } catch {
      if (request !== this.request) return;
      // The last watermark stays drawn (its time a little old) until the core answers again.
      next = RETRY_AFTER_FAILURE_MS;
    }
    this.timer = setTimeout(() => void this.refresh(), next);
  }

  /** Stops refreshing and guarding, and takes the watermark away (when the app goes, and in tests). */
  stop(): void {
    this.stopped = true;
    this.request++;
    clearTimeout(this.timer);
    this.guard.stop();
  }
}

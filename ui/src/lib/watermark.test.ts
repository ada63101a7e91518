import { afterEach, describe, expect, it, vi } from "vitest";
import type { WatermarkView } from "../bindings/WatermarkView";
import { FakeBackend, GLASS_WATERMARK_COLOR, SAMPLE_WATERMARK, SIGNED_OUT_WATERMARK_LINES } from "./fakeBackend";
import {
  CHECK_EVERY_MS,
  REFRESH_MAX_SECS,
  REFRESH_MIN_SECS,
  REPORT_EVERY_MS,
  RETRY_AFTER_FAILURE_MS,
  Watermark,
  WatermarkGuard,
  escapeXml,
  refreshDelayMs,
  watermarkTile,
} from "./watermark";

const DATA_URL = /^url\("data:image\/svg\+xml;charset=utf-8,([^"]*)"\)$/;

/** The SVG image a watermark element is drawn with, decoded from its data URL. */
function svgOf(element: HTMLElement): Document {
  const image = element.style.getPropertyValue("background-image");
  const match = DATA_URL.exec(image);
  if (!match) throw new Error(`not an SVG data URL: ${image}`);
  const svg = new DOMParser().parseFromString(decodeURIComponent(match[1]!), "image/svg+xml");
  expect(svg.querySelector("parsererror")).toBeNull();
  return svg;
}

/** The lines of one copy in the tile, top to bottom. */
function linesOf(element: HTMLElement): string[] {
  const copy = svgOf(element).querySelector("svg > g > g")!;
  return [...copy.querySelectorAll("text")].map((text) => text.textContent ?? "");
}

function watermarkElement(): HTMLElement {
  const elements = document.querySelectorAll<HTMLElement>('[data-testid="watermark"]');
  expect(elements).toHaveLength(1);
  return elements[0]!;
}

/** A layout box, as a browser would measure it (jsdom has no layout). */
function box(x: number, y: number, width: number, height: number): DOMRect {
  return { x, y, width, height, left: x, top: y, right: x + width, bottom: y + height, toJSON: () => ({}) };
}

/** Lets mutation observers (microtasks) and promises run. */
const settle = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

const guards: WatermarkGuard[] = [];
const watermarks: Watermark[] = [];

function guard(spec: WatermarkView = SAMPLE_WATERMARK, backend = new FakeBackend()) {
  const created = new WatermarkGuard(backend);
  guards.push(created);
  created.update(spec);
  return { guard: created, backend };
}

afterEach(() => {
  for (const created of guards.splice(0)) created.stop();
  for (const created of watermarks.splice(0)) created.stop();
  document.head.querySelectorAll("style[data-test]").forEach((style) => style.remove());
  vi.restoreAllMocks();
  vi.useRealTimers();
});

describe("the watermark element", () => {
  it("covers the whole window above everything, and never catches a click or a selection", () => {
    guard();
    const element = watermarkElement();
    expect(element.parentElement).toBe(document.body);
    expect(document.body.lastElementChild).toBe(element);
    expect(element).toHaveAttribute("aria-hidden", "true");
    const style = element.style;
    for (const [name, value] of [
      ["position", "fixed"],
      ["inset", "0"],
      ["pointer-events", "none"],
      ["user-select", "none"],
      ["z-index", "2147483647"],
      ["display", "block"],
      ["visibility", "visible"],
      ["opacity", "0.14"],
      ["background-repeat", "repeat"],
    ] as const) {
      expect(style.getPropertyValue(name), name).toBe(value);
      // An injected stylesheet cannot override these.
      expect(style.getPropertyPriority(name), name).toBe("important");
    }
    expect(getComputedStyle(element).pointerEvents).toBe("none");
  });

  it("draws the lines rotated counter-clockwise, in the spec's size and colour, with a light halo", () => {
    guard();
    const element = watermarkElement();
    expect(linesOf(element)).toEqual(SAMPLE_WATERMARK.lines);
    const svg = svgOf(element);
    const paint = svg.querySelector("svg > g")!;
    expect(paint.getAttribute("fill")).toBe("#5a6270");
    expect(paint.getAttribute("font-size")).toBe("16");
    expect(paint.getAttribute("font-family")).toMatch(/^'Noto Sans CJK SC', 'Microsoft YaHei', 'PingFang SC', sans-serif$/);
    expect(paint.getAttribute("stroke")).toBe("#ffffff");
    expect(Number(paint.getAttribute("stroke-opacity"))).toBeLessThan(0.6);
    expect(paint.getAttribute("paint-order")).toBe("stroke");
    const copies = [...svg.querySelectorAll("svg > g > g")];
    expect(copies.length).toBeGreaterThan(0);
    for (const copy of copies) expect(copy.getAttribute("transform")).toMatch(/ rotate\(-30\)$/);
    // The image repeats at the tile's own size.
    const { width, height } = watermarkTile(SAMPLE_WATERMARK);
    expect(svg.documentElement.getAttribute("width")).toBe(String(width));
    expect(svg.documentElement.getAttribute("height")).toBe(String(height));
    expect(element.style.getPropertyValue("background-size")).toBe(`${width}px ${height}px`);
  });

  it("draws any text the core sends as text, Chinese and markup characters alike", () => {
    const lines = ["王医生 <b>&amp;</b> \"quoted\" it's (x)", "WS-CARD-07 · 2026-11-28 09:30 · S-7F3K2Q"];
    guard({ ...SAMPLE_WATERMARK, lines });
    const element = watermarkElement();
    expect(linesOf(element)).toEqual(lines);
    expect(svgOf(element).querySelector("b")).toBeNull();
    // Nothing in the URL can end the CSS url("…").
    const url = DATA_URL.exec(element.style.getPropertyValue("background-image"))![1]!;
    expect(url).not.toMatch(/["'()\\\s]/);
  });

  it("replaces characters XML cannot hold, so the image still draws", () => {
    guard({ ...SAMPLE_WATERMARK, lines: ["a\u0000b\u001Fc", "lone \uD800 surrogate", "tab\there"] });
    expect(linesOf(watermarkElement())).toEqual(["a\uFFFDb\uFFFDc", "lone \uFFFD surrogate", "tab here"]);
    expect(escapeXml(`<&>"'`)).toBe("&lt;&amp;&gt;&quot;&apos;");
  });

  it("sizes the tile from the text, the font size and the spacing", () => {
    const base = watermarkTile(SAMPLE_WATERMARK);
    const longer = watermarkTile({ ...SAMPLE_WATERMARK, lines: [...SAMPLE_WATERMARK.lines, "一条很长很长很长很长很长的第三行文字"] });
    const bigger = watermarkTile({ ...SAMPLE_WATERMARK, fontSize: 32 });
    const wider = watermarkTile({ ...SAMPLE_WATERMARK, spacing: 400 });
    expect(longer.width).toBeGreaterThan(base.width);
    expect(bigger.width).toBeGreaterThan(base.width);
    expect(bigger.height).toBeGreaterThan(base.height);
    expect(wider.width - base.width).toBe(220);
    // Chinese characters are wider than Latin ones.
    const chinese = watermarkTile({ ...SAMPLE_WATERMARK, lines: ["王王王王王王王王王王王王王王王王王王王王"], angleDeg: 0, spacing: 0 });
    const latin = watermarkTile({ ...SAMPLE_WATERMARK, lines: ["iiiiiiiiiiiiiiiiiiii"], angleDeg: 0, spacing: 0 });
    expect(chinese.width).toBeGreaterThan(latin.width);
  });

  it("changes colour when the glass is broken", () => {
    const { guard: created } = guard();
    const before = watermarkElement();
    created.update({ ...SAMPLE_WATERMARK, breakGlass: true, color: GLASS_WATERMARK_COLOR });
    const after = watermarkElement();
    expect(after).not.toBe(before);
    expect(before.isConnected).toBe(false);
    expect(after).toHaveAttribute("data-break-glass", "true");
    expect(svgOf(after).querySelector("svg > g")!.getAttribute("fill")).toBe(GLASS_WATERMARK_COLOR);
  });

  it("takes the element away when stopped, and restores nothing after", async () => {
    const { guard: created, backend } = guard();
    created.stop();
    expect(document.querySelector('[data-testid="watermark"]')).toBeNull();
    document.body.append(document.createElement("div"));
    await settle();
    expect(document.querySelector('[data-testid="watermark"]')).toBeNull();
    expect(backend.tamperReports).toEqual([]);
  });
});

describe("tampering with the watermark", () => {
  it("restores a removed element at once and reports it", async () => {
    const { guard: created, backend } = guard();
    const first = watermarkElement();
    first.remove();
    await settle();
    const restored = watermarkElement();
    expect(restored).not.toBe(first);
    expect(restored.parentElement).toBe(document.body);
    expect(linesOf(restored)).toEqual(SAMPLE_WATERMARK.lines);
    expect(backend.tamperReports).toEqual(["removed"]);
    expect(created.tamperCount).toEqual({ removed: 1, hidden: 0 });
  });

  it("reports a loop of removals once per 5 s, and keeps restoring", async () => {
    vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
    const { guard: created, backend } = guard();
    for (let i = 0; i < 10; i++) {
      document.querySelector('[data-testid="watermark"]')!.remove();
      await settle();
      expect(watermarkElement().parentElement).toBe(document.body);
    }
    expect(backend.tamperReports).toEqual(["removed"]);
    expect(created.tamperCount.removed).toBe(10);
    expect(created.unreportedCount.removed).toBe(9);

    vi.advanceTimersByTime(REPORT_EVERY_MS);
    watermarkElement().remove();
    await settle();
    expect(backend.tamperReports).toEqual(["removed", "removed"]);
  });

  it("restores an element moved out of the page's body", async () => {
    const { backend } = guard();
    const trap = document.createElement("div");
    document.body.prepend(trap);
    trap.append(watermarkElement());
    await settle();
    const restored = watermarkElement();
    expect(restored.parentElement).toBe(document.body);
    expect(backend.tamperReports).toEqual(["removed"]);
    trap.remove();
  });

  it("is not hung by a script that removes it whenever it comes back", async () => {
    vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
    const { guard: created, backend } = guard();
    const hostile = new MutationObserver(() => document.querySelector('[data-testid="watermark"]')?.remove());
    hostile.observe(document.body, { childList: true });
    watermarkElement().remove();
    // Would never settle if each restore were answered by a removal, forever.
    await settle();
    await new Promise((resolve) => setTimeout(resolve, 0));
    hostile.disconnect();
    expect(created.tamperCount.removed).toBeGreaterThan(1);
    expect(created.tamperCount.removed).toBeLessThan(50);
    expect(backend.tamperReports).toEqual(["removed"]);

    // The next check brings it back.
    vi.advanceTimersByTime(CHECK_EVERY_MS);
    await settle();
    expect(watermarkElement().parentElement).toBe(document.body);
  });

  it.each([
    ["a style attribute with display: none", (element: HTMLElement) => element.setAttribute("style", "display: none")],
    ["visibility: hidden set through the CSSOM", (element: HTMLElement) => element.style.setProperty("visibility", "hidden", "important")],
    ["opacity: 0 set through the CSSOM", (element: HTMLElement) => { element.style.opacity = "0"; }],
    ["the hidden attribute", (element: HTMLElement) => { element.hidden = true; }],
    ["a class", (element: HTMLElement) => element.classList.add("gone")],
  ])("restores it when hidden by %s, and reports it", async (_, hide) => {
    const { backend } = guard();
    const first = watermarkElement();
    hide(first);
    await settle();
    const restored = watermarkElement();
    expect(restored).not.toBe(first);
    expect(first.isConnected).toBe(false);
    expect(getComputedStyle(restored).display).toBe("block");
    expect(getComputedStyle(restored).visibility).toBe("visible");
    expect(restored.style.getPropertyValue("opacity")).toBe("0.14");
    expect(restored).not.toHaveAttribute("hidden");
    expect(restored).not.toHaveAttribute("class");
    expect(backend.tamperReports).toEqual(["hidden"]);
  });

  it("puts its inline !important declarations back when a script strips them to let a sheet win", async () => {
    const { backend } = guard();
    const element = watermarkElement();
    const sheet = document.createElement("style");
    sheet.dataset.test = "";
    sheet.textContent = '[data-testid="watermark"] { display: none !important; visibility: hidden !important; opacity: 0 !important; }';
    document.head.append(sheet);
    await settle();
    expect(watermarkElement()).toBe(element);

    // Stripping the inline declarations to let the sheet win is undone at once.
    element.style.cssText = "";
    await settle();
    const restored = watermarkElement();
    expect(getComputedStyle(restored).display).toBe("block");
    expect(getComputedStyle(restored).visibility).toBe("visible");
    expect(backend.tamperReports).toEqual(["hidden"]);
  });

  it("restores it when a stylesheet hides it all the same, and reports that once per 5 s", async () => {
    vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
    // jsdom lets inline styles win over every sheet; here a sheet wins, as
    // one that an engine ranked above inline styles would.
    const realStyle = window.getComputedStyle.bind(window);
    vi.spyOn(window, "getComputedStyle").mockImplementation((element, pseudo) => {
      const style = realStyle(element, pseudo);
      if (document.querySelector("style[data-test]") && element.getAttribute("data-testid") === "watermark") {
        style.setProperty("display", "none");
      }
      return style;
    });
    const { guard: created, backend } = guard();
    const first = watermarkElement();
    const sheet = document.createElement("style");
    sheet.dataset.test = "";
    sheet.textContent = '[data-testid="watermark"] { display: none !important; }';
    document.head.append(sheet);
    // Seen when the sheet is added, not only at the next check.
    await settle();
    expect(watermarkElement()).not.toBe(first);
    expect(backend.tamperReports).toEqual(["hidden"]);

    // The sheet stays: restored at every check, reported once per 5 s.
    vi.advanceTimersByTime(4 * CHECK_EVERY_MS);
    await settle();
    expect(created.tamperCount.hidden).toBe(5);
    expect(backend.tamperReports).toEqual(["hidden"]);
    vi.advanceTimersByTime(REPORT_EVERY_MS);
    await settle();
    expect(backend.tamperReports).toEqual(["hidden", "hidden"]);

    sheet.remove();
    await settle();
    const count = created.tamperCount.hidden;
    vi.advanceTimersByTime(3 * CHECK_EVERY_MS);
    expect(created.tamperCount.hidden).toBe(count);
  });

  it("restores it when it no longer covers the window", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { backend } = guard();
    const first = watermarkElement();
    // Layout as a browser would measure it: the window 1024×768, the element shrunk to nothing.
    vi.spyOn(document.documentElement, "getBoundingClientRect").mockReturnValue(box(0, 0, 1024, 768));
    vi.spyOn(first, "getBoundingClientRect").mockReturnValue(box(512, 384, 0, 0));
    vi.advanceTimersByTime(CHECK_EVERY_MS);
    await settle();
    const restored = watermarkElement();
    expect(restored).not.toBe(first);
    expect(backend.tamperReports).toEqual(["hidden"]);

    // A fresh element covering the window (as inset: 0 makes it) is left alone.
    vi.spyOn(restored, "getBoundingClientRect").mockReturnValue(box(0, 0, 1024, 768));
    vi.advanceTimersByTime(3 * CHECK_EVERY_MS);
    expect(watermarkElement()).toBe(restored);
  });

  it("stays the last element of the page, without calling that tampering", async () => {
    vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] });
    const { backend } = guard();
    const element = watermarkElement();
    const later = document.createElement("div");
    document.body.append(later);
    vi.advanceTimersByTime(CHECK_EVERY_MS);
    await settle();
    expect(document.body.lastElementChild).toBe(element);
    expect(backend.tamperReports).toEqual([]);
    later.remove();
  });

  it("keeps restoring when the core cannot take the report", async () => {
    const { backend } = guard(SAMPLE_WATERMARK, new FakeBackend({
      failures: { reportWatermarkTamper: { code: "Internal", message: "internal error: audit" } },
    }));
    watermarkElement().remove();
    await settle();
    expect(watermarkElement().parentElement).toBe(document.body);
    expect(backend.calls).toContainEqual({ method: "reportWatermarkTamper", args: ["removed"] });
  });
});

describe("keeping the watermark current", () => {
  function start(backend: FakeBackend) {
    const watermark = new Watermark(backend);
    watermarks.push(watermark);
    return watermark;
  }

  const watermarkCalls = (backend: FakeBackend) => backend.calls.filter((call) => call.method === "watermark").length;

  it("shows only the workstation and the time before login, and the doctor after", async () => {
    const backend = new FakeBackend();
    const watermark = start(backend);
    await watermark.refresh();
    expect(linesOf(watermarkElement())).toEqual(SIGNED_OUT_WATERMARK_LINES);
    await backend.loginPassword("zhangwei", "demo-password");
    await watermark.refresh();
    expect(linesOf(watermarkElement())).toEqual(SAMPLE_WATERMARK.lines);
  });

  it("asks the core again after refreshInSecs and draws what it says", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    const backend = new FakeBackend({ loggedIn: true, watermark: { ...SAMPLE_WATERMARK, refreshInSecs: 20 } });
    const watermark = start(backend);
    await watermark.refresh();
    expect(watermarkCalls(backend)).toBe(1);
    backend.watermarkSpec = { ...backend.watermarkSpec, lines: ["张伟 A10238", "WS-CARD-07 · 2026-11-28 09:31 · S-7F3K2Q"] };

    await vi.advanceTimersByTimeAsync(19_999);
    expect(watermarkCalls(backend)).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    await settle();
    expect(watermarkCalls(backend)).toBe(2);
    expect(linesOf(watermarkElement())[1]).toBe("WS-CARD-07 · 2026-11-28 09:31 · S-7F3K2Q");
    await vi.advanceTimersByTimeAsync(20_000);
    expect(watermarkCalls(backend)).toBe(3);
  });

  it.each([
    [0, REFRESH_MIN_SECS],
    [2, REFRESH_MIN_SECS],
    [30, 30],
    [3600, REFRESH_MAX_SECS],
    [Number.NaN, REFRESH_MAX_SECS],
  ])("asks again after refreshInSecs %s within 5..60 s: %s s", (secs, expected) => {
    expect(refreshDelayMs(secs)).toBe(expected * 1000);
  });

  it("keeps the last watermark when the core fails, and asks again soon", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    const backend = new FakeBackend({ loggedIn: true });
    const watermark = start(backend);
    await watermark.refresh();
    const drawn = watermarkElement();
    const spy = vi.spyOn(backend, "watermark").mockRejectedValueOnce(new Error("boom"));
    await watermark.refresh();
    expect(watermarkElement()).toBe(drawn);
    spy.mockRestore();
    await vi.advanceTimersByTimeAsync(RETRY_AFTER_FAILURE_MS);
    expect(watermarkCalls(backend)).toBe(2);
  });

  it("drops an answer overtaken by a later request", async () => {
    const backend = new FakeBackend({ loggedIn: true });
    const watermark = start(backend);
    let answerLate: (spec: WatermarkView) => void = () => {};
    vi.spyOn(backend, "watermark").mockImplementationOnce(
      () => new Promise((resolve) => {
        answerLate = resolve;
      }),
    );
    const late = watermark.refresh();
    await watermark.refresh();
    answerLate({ ...SAMPLE_WATERMARK, lines: ["an older answer"] });
    await late;
    expect(linesOf(watermarkElement())).toEqual(SAMPLE_WATERMARK.lines);
  });

  it("stops asking when stopped", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "setInterval", "clearInterval"] });
    const backend = new FakeBackend();
    const watermark = start(backend);
    await watermark.refresh();
    watermark.stop();
    await vi.advanceTimersByTimeAsync(REFRESH_MAX_SECS * 1000 * 3);
    expect(watermarkCalls(backend)).toBe(1);
    expect(document.querySelector('[data-testid="watermark"]')).toBeNull();
  });
});

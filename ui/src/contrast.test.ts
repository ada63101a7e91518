// @vitest-environment node
/// <reference types="node" />
// Colour contrast of app.css, which axe cannot compute in jsdom (no layout,
// no cascade; see lib/axe.test-helper.ts). The colours are read from app.css's
// :root custom properties, so changing a value there is checked here; the
// pairs are listed by hand, each where the components put that text on that
// background. Add a pair when a component combines colours in a new way.
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const css = readFileSync(fileURLToPath(new URL("./app.css", import.meta.url)), "utf8");

/** The custom properties of app.css's first :root block. */
function rootProperties(source: string): Map<string, string> {
  const root = /:root\s*\{([^}]*)\}/.exec(source)?.[1];
  if (root === undefined) throw new Error("app.css has no :root block");
  const properties = new Map<string, string>();
  for (const match of root.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)) properties.set(match[1]!, match[2]!.trim());
  return properties;
}

const properties = rootProperties(css);

type Rgb = [number, number, number];

/** `--name` (a :root property, followed through var()) or a literal #rgb / #rrggbb. */
function colour(name: string): Rgb {
  let value = name;
  for (let depth = 0; value.startsWith("--") || value.startsWith("var("); depth++) {
    if (depth > 5) throw new Error(`${name}: var() loop`);
    const property = value.startsWith("var(") ? value.slice(4, -1).trim() : value;
    const next = properties.get(property);
    if (next === undefined) throw new Error(`app.css :root has no ${property}`);
    value = next;
  }
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(value)?.[1];
  if (!hex) throw new Error(`${name} = ${value}: not a hex colour`);
  const full = hex.length === 3 ? [...hex].map((digit) => digit + digit).join("") : hex;
  return [0, 2, 4].map((start) => parseInt(full.slice(start, start + 2), 16)) as Rgb;
}

/** `top` at `alpha` over `bottom`, as opacity and translucent backgrounds draw it. */
function over(top: Rgb, alpha: number, bottom: Rgb): Rgb {
  return top.map((channel, index) => Math.round(channel * alpha + bottom[index]! * (1 - alpha))) as Rgb;
}

/** WCAG 2.x relative luminance. */
function luminance([r, g, b]: Rgb): number {
  const linear = (channel: number) => {
    const c = channel / 255;
    return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * linear(r) + 0.7152 * linear(g) + 0.0722 * linear(b);
}

function contrastRatio(a: Rgb, b: Rgb): number {
  const [light, dark] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (light + 0.05) / (dark + 0.05);
}

interface Pair {
  where: string;
  text: string;
  background: string;
  /** The text's own opacity (dimmed labels). */
  textOpacity?: number;
  /** A translucent white laid over the background (hover states on dark bars). */
  whiteOverlay?: number;
}

/** 4.5:1, WCAG 1.4.3 for text below 24px, or below 18.66px when bold. */
const NORMAL_TEXT: Pair[] = [
  { where: "body text on the page", text: "--text", background: "--bg" },
  { where: "text on cards, panels and dialogs", text: "--text", background: "--surface" },
  { where: "muted labels on the page (status lines, counts)", text: "--muted", background: "--bg" },
  { where: "muted labels on cards (patient rows, panels)", text: "--muted", background: "--surface" },
  { where: "muted labels on a hovered row", text: "--muted", background: "--hover-bg" },
  { where: "text on a hovered row", text: "--text", background: "--hover-bg" },
  { where: "notices, referral bar, chart nav", text: "--text", background: "--info-bg" },
  { where: "muted text in notices and the referral bar", text: "--muted", background: "--info-bg" },
  { where: "primary buttons", text: "#ffffff", background: "--accent" },
  { where: "primary buttons, hovered", text: "#ffffff", background: "--accent-hover" },
  { where: "secondary and chart-nav buttons on cards", text: "--accent", background: "--surface" },
  { where: "chart-nav buttons on the page", text: "--accent", background: "--bg" },
  { where: "top bar", text: "--topbar-text", background: "--topbar-bg" },
  { where: "top bar staff number and department (opacity 0.85)", text: "--topbar-text", background: "--topbar-bg", textOpacity: 0.85 },
  { where: "top bar inactive language (opacity 0.7)", text: "--topbar-text", background: "--topbar-bg", textOpacity: 0.7 },
  { where: "top bar buttons, hovered (white 12%)", text: "--topbar-text", background: "--topbar-bg", whiteOverlay: 0.12 },
  { where: "top bar current screen", text: "--topbar-bg", background: "--topbar-text" },
  { where: "login inactive language (opacity 0.7)", text: "--text", background: "--bg", textOpacity: 0.7 },
  { where: "error alerts", text: "--danger-text", background: "--danger-bg" },
  { where: "a field's error under it on the page (the search's birth date)", text: "--danger-text", background: "--bg" },
  { where: "warnings (offline, stale chart, cache problem)", text: "--warning-text", background: "--warning-bg" },
  { where: "allergy panel", text: "--allergy-text", background: "--allergy-bg" },
  { where: "muted text in the allergy panel", text: "--muted", background: "--allergy-bg" },
  { where: "high-criticality allergy tag", text: "#ffffff", background: "--allergy-text" },
  { where: "high lab values, urgent priority", text: "--high-text", background: "--high-bg" },
  { where: "low lab values", text: "--low-text", background: "--low-bg" },
  { where: "source, priority and decision badges", text: "--badge-text", background: "--badge-bg" },
  { where: "full-access badge, verified audit", text: "--access-full-text", background: "--access-full-bg" },
  { where: "masked-access badge", text: "--access-masked-text", background: "--access-masked-bg" },
  { where: "break-the-glass banner and confirm button", text: "--glass-text", background: "--glass-bg" },
  { where: "break-the-glass banner button (inverted)", text: "--glass-bg", background: "--glass-text" },
  { where: "chosen break-the-glass reason", text: "--text", background: "--glass-soft-bg" },
  { where: "muted text in a chosen break-the-glass reason", text: "--muted", background: "--glass-soft-bg" },
  { where: "search input text", text: "--text", background: "#ffffff" },
  { where: "a medicine listed at another dose or date (grouped rows)", text: "--text", background: "--warning-bg" },
  { where: "muted text in grouped medication rows", text: "--muted", background: "--warning-bg" },
  { where: "link buttons in a chosen results row or open encounter", text: "--accent", background: "--hover-bg" },
];

/** 3:1, WCAG 1.4.3 for large text: 24px, or 18.66px bold (html is 17px). */
const LARGE_TEXT: Pair[] = [
  { where: "break-the-glass dialog heading (1.35rem bold)", text: "--glass-bg", background: "--surface" },
  { where: "allergy panel heading (1.1rem bold, 18.7px)", text: "--allergy-text", background: "--allergy-bg" },
];

/** 3:1, WCAG 1.4.11: focus rings and input borders against what surrounds them. */
const NON_TEXT: Pair[] = [
  { where: "focus ring on the page", text: "--focus", background: "--bg" },
  { where: "focus ring on cards and dialogs", text: "--focus", background: "--surface" },
  { where: "focus ring in notices and the referral bar", text: "--focus", background: "--info-bg" },
  { where: "focus ring in warnings (cache problem, stale chart)", text: "--focus", background: "--warning-bg" },
  { where: "focus ring in error alerts", text: "--focus", background: "--danger-bg" },
  { where: "focus ring on a hovered row", text: "--focus", background: "--hover-bg" },
  { where: "focus ring in the allergy panel", text: "--focus", background: "--allergy-bg" },
  { where: "focus ring on a chosen break-the-glass reason", text: "--focus", background: "--glass-soft-bg" },
  { where: "focus ring in the top bar", text: "--focus-on-dark", background: "--topbar-bg" },
  { where: "focus ring on the break-the-glass banner", text: "--focus-on-dark", background: "--glass-bg" },
  { where: "text input border on cards", text: "--input-border", background: "--surface" },
  { where: "text input border on the page", text: "--input-border", background: "--bg" },
  { where: "trend chart: first line on cards", text: "--trend-1", background: "--surface" },
  { where: "trend chart: second line (a panel's other component)", text: "--trend-2", background: "--surface" },
  { where: "trend chart: third line", text: "--trend-3", background: "--surface" },
  { where: "trend chart: ring round an abnormal value", text: "--trend-abnormal", background: "--surface" },
  { where: "trend chart: ring round an abnormal value inside the range band", text: "--trend-abnormal", background: "--trend-band" },
  { where: "grouped medication rows' bracket", text: "--warning-text", background: "--surface" },
];

/** The stylesheets: app.css and every component's <style>. */
const stylesheets = [
  { file: "app.css", text: css },
  ...readdirSync(fileURLToPath(new URL("./components", import.meta.url)))
    .filter((name) => name.endsWith(".svelte"))
    .map((name) => ({
      file: `components/${name}`,
      text: readFileSync(fileURLToPath(new URL(`./components/${name}`, import.meta.url)), "utf8"),
    })),
  { file: "App.svelte", text: readFileSync(fileURLToPath(new URL("./App.svelte", import.meta.url)), "utf8") },
];

function ratio(pair: Pair): number {
  let background = colour(pair.background);
  if (pair.whiteOverlay !== undefined) background = over([255, 255, 255], pair.whiteOverlay, background);
  const text = pair.textOpacity === undefined ? colour(pair.text) : over(colour(pair.text), pair.textOpacity, background);
  return contrastRatio(text, background);
}

describe("colour contrast of app.css", () => {
  it("computes WCAG ratios correctly", () => {
    expect(contrastRatio([0, 0, 0], [255, 255, 255])).toBeCloseTo(21, 5);
    expect(contrastRatio([255, 255, 255], [255, 255, 255])).toBeCloseTo(1, 5);
    // #767676 on white is the well-known 4.54:1 threshold grey.
    expect(contrastRatio([0x76, 0x76, 0x76], [255, 255, 255])).toBeCloseTo(4.54, 2);
  });

  it.each(NORMAL_TEXT.map((pair) => [pair.where, pair] as const))("normal text ≥ 4.5:1: %s", (_where, pair) => {
    expect(ratio(pair)).toBeGreaterThanOrEqual(4.5);
  });

  it.each(LARGE_TEXT.map((pair) => [pair.where, pair] as const))("large text ≥ 3:1: %s", (_where, pair) => {
    expect(ratio(pair)).toBeGreaterThanOrEqual(3);
  });

  it.each(NON_TEXT.map((pair) => [pair.where, pair] as const))("focus rings and borders ≥ 3:1: %s", (_where, pair) => {
    expect(ratio(pair)).toBeGreaterThanOrEqual(3);
  });

  // Keyboard users must always see where they are (WCAG 2.4.7): one global
  // :focus-visible ring, which no stylesheet may take away.
  it("draws a focus ring on every focusable element", () => {
    expect(css).toMatch(/(^|\n):focus-visible\s*\{[^}]*outline:\s*3px solid var\(--focus\)/);
  });

  it("never removes the focus ring", () => {
    const removals = stylesheets.flatMap(({ file, text }) =>
      [...text.matchAll(/outline(?:-style|-width)?\s*:\s*(none|0(?:px)?)\s*[;}]/g)].map((match) => `${file}: ${match[0]}`),
    );
    expect(removals).toEqual([]);
  });
});

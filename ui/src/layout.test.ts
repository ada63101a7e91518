// @vitest-environment node
/// <reference types="node" />
// The sticky layout of a chart, checked on the stylesheets (jsdom lays
// nothing out): what sticks below the patient strip keeps clear of it by
// the strip's published height, never by a guess.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const read = (path: string) => readFileSync(fileURLToPath(new URL(path, import.meta.url)), "utf8");
const appCss = read("./app.css");
const rule = (css: string, selector: string) =>
  [...css.matchAll(new RegExp(`(?:^|\\n)\\s*${selector.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*\\{([^}]*)\\}`, "g"))].map((m) => m[1]!);

describe("sticky layout", () => {
  it("keeps a result's detail and the document read below the strip, scrolling on their own", () => {
    const stuck = rule(appCss, ".sticky-pane").join("\n");
    expect(stuck).toContain("top: calc(var(--strip-h, 0px) + 0.5rem)");
    expect(stuck).toContain("max-height: calc(100vh - var(--strip-h, 0px) - 1rem)");
    expect(stuck).toContain("overflow: auto");
    expect(read("./components/ResultsView.svelte")).toMatch(/class="detail sticky-pane"/);
    expect(read("./components/DocumentsView.svelte")).toMatch(/class="reader sticky-pane"/);
  });

  it("takes scroll padding from the strip's height, and sets none without a strip", () => {
    const padding = rule(appCss, "html").join("\n");
    // No fallback: without the variable the value is invalid, so "auto".
    expect(padding).toContain("scroll-padding-top: calc(var(--strip-h) + 0.5rem)");
    for (const file of ["./components/PatientHeaderView.svelte", "./components/ResultsView.svelte", "./components/DocumentsView.svelte"]) {
      expect(read(file)).not.toMatch(/scroll-padding-top|top:\s*0\.5rem/);
    }
  });
});

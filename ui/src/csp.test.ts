// @vitest-environment node
/// <reference types="node" />
// Guards the rules that keep the UI safe under the app's strict CSP and keep
// clinical text inert: checked on the sources, so a regression fails `npm test`.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const uiRoot = fileURLToPath(new URL("..", import.meta.url));
const srcRoot = join(uiRoot, "src");

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(svelte|ts)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

const sources = sourceFiles(srcRoot).map((path) => ({
  file: relative(uiRoot, path),
  text: readFileSync(path, "utf8"),
}));

describe("sources", () => {
  it("never render HTML from strings", () => {
    const offenders = sources.filter(({ text }) => /\{@html\b|\.innerHTML\s*=|insertAdjacentHTML|outerHTML\s*=/.test(text));
    expect(offenders.map(({ file }) => file)).toEqual([]);
  });

  it("use no inline style attributes (the CSP has no 'unsafe-inline')", () => {
    const offenders = sources.filter(({ file, text }) => file.endsWith(".svelte") && /<[^>]*\sstyle=/.test(text));
    expect(offenders.map(({ file }) => file)).toEqual([]);
  });

  it("keep nothing in web storage, which would be plaintext on disk", () => {
    // Patient data on disk lives only in the core's encrypted cache; the
    // webview's storage is an unencrypted file in the user's profile.
    const offenders = sources.filter(({ text }) => /\b(localStorage|sessionStorage|indexedDB|caches)\s*[.[]|document\.cookie/.test(text));
    expect(offenders.map(({ file }) => file)).toEqual([]);
  });

  it("use no eval", () => {
    const offenders = sources.filter(({ text }) => /\beval\(|new Function\(/.test(text));
    expect(offenders.map(({ file }) => file)).toEqual([]);
  });

  it("call invoke only in lib/backend.ts", () => {
    const offenders = sources.filter(
      ({ file, text }) => file !== join("src", "lib", "backend.ts") && /@tauri-apps\/api\/core["'][\s\S]*invoke|\binvoke\(/.test(text),
    );
    expect(offenders.map(({ file }) => file)).toEqual([]);
  });

  it("put nothing in the top layer, where it would cover the watermark", () => {
    // <dialog> opened modally, popovers and fullscreen elements are drawn
    // above every z-index; the app's dialogs are plain role="dialog" elements.
    const offenders = sources.filter(({ text }) => /<dialog\b|\.showModal\(|\bpopover\b|showPopover\(|requestFullscreen\(/.test(text));
    expect(offenders.map(({ file }) => file)).toEqual([]);
  });

  it("load index.html's only script as a module by src", () => {
    const html = readFileSync(join(uiRoot, "index.html"), "utf8");
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts).toHaveLength(1);
    expect(scripts[0]?.[1]).toMatch(/type="module"/);
    expect(scripts[0]?.[1]).toMatch(/src="\/src\/main.ts"/);
    expect(scripts[0]?.[2]?.trim()).toBe("");
    expect(html).not.toMatch(/<style\b|\sstyle=/i);
  });
});

import { describe, expect, it } from "vitest";
import { isMac, isSearchShortcut, isTextEntry, rowAfterKey } from "./keyboard";

function key(init: KeyboardEventInit, target: EventTarget = document.body): KeyboardEvent {
  const event = new KeyboardEvent("keydown", init);
  Object.defineProperty(event, "target", { value: target });
  return event;
}

function element(html: string): HTMLElement {
  const holder = document.createElement("div");
  holder.innerHTML = html;
  return holder.firstElementChild as HTMLElement;
}

describe("search shortcut", () => {
  it.each([
    // [what, event, mac, expected]
    ["Ctrl+K off a Mac", { key: "k", ctrlKey: true }, false, true],
    ["Ctrl+K with Caps Lock", { key: "K", ctrlKey: true }, false, true],
    ["Cmd+K on a Mac", { key: "k", metaKey: true }, true, true],
    ["Ctrl+K on a Mac (delete to end of line there)", { key: "k", ctrlKey: true }, true, false],
    ["Meta+K off a Mac (the system's)", { key: "k", metaKey: true }, false, false],
    ["Ctrl+Shift+K", { key: "K", ctrlKey: true, shiftKey: true }, false, false],
    ["Ctrl+Alt+K", { key: "k", ctrlKey: true, altKey: true }, false, false],
    ["plain k", { key: "k" }, false, false],
    ["/ on the page", { key: "/" }, false, true],
    ["/ on a Mac", { key: "/" }, true, true],
    ["Ctrl+/", { key: "/", ctrlKey: true }, false, false],
  ] as const)("%s", (_what, init, mac, expected) => {
    expect(isSearchShortcut(key(init), mac)).toBe(expected);
  });

  it("leaves / to a field that takes text", () => {
    for (const html of ['<input type="text">', '<input type="search">', "<textarea></textarea>", "<select></select>"]) {
      expect(isSearchShortcut(key({ key: "/" }, element(html)), false)).toBe(false);
    }
    expect(isSearchShortcut(key({ key: "/" }, element("<button>x</button>")), false)).toBe(true);
    expect(isSearchShortcut(key({ key: "/" }, element('<input type="radio">')), false)).toBe(true);
  });

  it("still takes Ctrl+K in a text field", () => {
    expect(isSearchShortcut(key({ key: "k", ctrlKey: true }, element("<textarea></textarea>")), false)).toBe(true);
  });

  it("knows which elements take text", () => {
    expect(isTextEntry(element('<input type="password">'))).toBe(true);
    expect(isTextEntry(element('<input type="checkbox">'))).toBe(false);
    expect(isTextEntry(null)).toBe(false);
  });

  it("tells a Mac by the browser's platform", () => {
    expect(isMac({ platform: "MacIntel" } as Navigator)).toBe(true);
    expect(isMac({ platform: "Win32" } as Navigator)).toBe(false);
    expect(isMac({ platform: "", userAgentData: { platform: "macOS" } } as unknown as Navigator)).toBe(true);
  });
});

describe("moving between result rows", () => {
  it.each([
    // [key, from, count, to]
    ["ArrowDown", 0, 3, 1],
    ["ArrowDown", 2, 3, 2],
    ["ArrowUp", 2, 3, 1],
    ["ArrowUp", 0, 3, 0],
    ["Home", 2, 3, 0],
    ["End", 0, 3, 2],
    ["Enter", 0, 3, null],
    ["ArrowDown", 0, 0, null],
  ] as const)("%s from row %i of %i goes to %s", (pressed, from, count, to) => {
    expect(rowAfterKey(pressed, from, count)).toBe(to);
  });
});

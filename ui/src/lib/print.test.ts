import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { PrintRequests, interceptPrinting, isPrintShortcut } from "./print";

function keydown(init: KeyboardEventInit): KeyboardEvent {
  return new KeyboardEvent("keydown", { bubbles: true, cancelable: true, ...init });
}

describe("isPrintShortcut", () => {
  it.each([
    [{ key: "p", code: "KeyP", ctrlKey: true }, true],
    [{ key: "P", code: "KeyP", ctrlKey: true, shiftKey: true }, true],
    [{ key: "p", code: "KeyP", metaKey: true }, true],
    // Another layout or an IME: the physical key counts.
    [{ key: "п", code: "KeyP", ctrlKey: true }, true],
    [{ key: "p", code: "KeyP" }, false],
    [{ key: "p", code: "KeyP", ctrlKey: true, altKey: true }, false],
    [{ key: "o", code: "KeyO", ctrlKey: true }, false],
  ])("%o: %s", (init, expected) => {
    expect(isPrintShortcut(keydown(init))).toBe(expected);
  });
});

describe("interceptPrinting", () => {
  let realPrint: ReturnType<typeof vi.fn>;
  let restore: () => void = () => {};

  beforeEach(() => {
    // Stands for the webview's own printing, which must never run.
    realPrint = vi.fn();
    Object.defineProperty(window, "print", { configurable: true, writable: true, value: realPrint });
  });

  afterEach(() => {
    restore();
    restore = () => {};
  });

  it("replaces window.print", () => {
    const onPrint = vi.fn();
    restore = interceptPrinting(window, onPrint);
    expect(window.print).not.toBe(realPrint);
    window.print();
    expect(onPrint).toHaveBeenCalledTimes(1);
    expect(realPrint).not.toHaveBeenCalled();
    // Not simply reassigned back.
    expect(() => {
      (window as { print: () => void }).print = realPrint;
    }).toThrow(TypeError);
  });

  it("takes Ctrl+P before anything else in the page and keeps it from the webview", () => {
    const onPrint = vi.fn();
    restore = interceptPrinting(window, onPrint);
    const others = vi.fn();
    document.addEventListener("keydown", others, { capture: true });
    const button = document.createElement("button");
    document.body.append(button);
    button.addEventListener("keydown", others);

    const event = keydown({ key: "p", code: "KeyP", ctrlKey: true });
    button.dispatchEvent(event);
    expect(onPrint).toHaveBeenCalledTimes(1);
    expect(event.defaultPrevented).toBe(true);
    expect(others).not.toHaveBeenCalled();
    expect(realPrint).not.toHaveBeenCalled();

    // Held down: one request.
    button.dispatchEvent(keydown({ key: "p", code: "KeyP", ctrlKey: true, repeat: true }));
    expect(onPrint).toHaveBeenCalledTimes(1);

    // Other keys pass untouched.
    const other = keydown({ key: "p", code: "KeyP" });
    button.dispatchEvent(other);
    expect(other.defaultPrevented).toBe(false);
    expect(others).toHaveBeenCalledTimes(2);

    document.removeEventListener("keydown", others, { capture: true });
    button.remove();
  });

  it("keeps the webview's own save-page shortcut and context menu from running", () => {
    const onPrint = vi.fn();
    restore = interceptPrinting(window, onPrint);
    const save = keydown({ key: "s", code: "KeyS", ctrlKey: true });
    document.body.dispatchEvent(save);
    expect(save.defaultPrevented).toBe(true);
    const menu = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
    document.body.dispatchEvent(menu);
    expect(menu.defaultPrevented).toBe(true);
    // A field keeps its menu, for copy and paste.
    const field = document.createElement("input");
    document.body.append(field);
    const fieldMenu = new MouseEvent("contextmenu", { bubbles: true, cancelable: true });
    field.dispatchEvent(fieldMenu);
    expect(fieldMenu.defaultPrevented).toBe(false);
    field.remove();
    expect(onPrint).not.toHaveBeenCalled();
  });

  it("puts everything back when undone", () => {
    const onPrint = vi.fn();
    interceptPrinting(window, onPrint)();
    expect(window.print).toBe(realPrint);
    window.dispatchEvent(keydown({ key: "p", code: "KeyP", metaKey: true }));
    expect(onPrint).not.toHaveBeenCalled();
  });
});

describe("PrintRequests", () => {
  it("does nothing while no chart takes the requests", () => {
    expect(() => new PrintRequests().request()).not.toThrow();
  });

  it("hands requests to whoever took them last, until released", () => {
    const requests = new PrintRequests();
    const first = vi.fn();
    const second = vi.fn();
    const releaseFirst = requests.take(first);
    const releaseSecond = requests.take(second);
    requests.request();
    expect(second).toHaveBeenCalledTimes(1);
    expect(first).not.toHaveBeenCalled();
    // Releasing an older taker leaves the newer one in place.
    releaseFirst();
    requests.request();
    expect(second).toHaveBeenCalledTimes(2);
    releaseSecond();
    requests.request();
    expect(second).toHaveBeenCalledTimes(2);
  });
});

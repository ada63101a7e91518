import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { watchIdle } from "./idle";

describe("watchIdle", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("fires once after the minutes without input", () => {
    const onIdle = vi.fn();
    watchIdle(window, 10, onIdle);
    vi.advanceTimersByTime(10 * 60_000 - 1);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(onIdle).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(60 * 60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("starts again from each key press or pointer movement", () => {
    const onIdle = vi.fn();
    watchIdle(window, 10, onIdle);
    vi.advanceTimersByTime(9 * 60_000);
    window.dispatchEvent(new KeyboardEvent("keydown", { key: "a" }));
    vi.advanceTimersByTime(9 * 60_000);
    window.dispatchEvent(new Event("pointermove"));
    vi.advanceTimersByTime(9 * 60_000);
    expect(onIdle).not.toHaveBeenCalled();
    vi.advanceTimersByTime(60_000);
    expect(onIdle).toHaveBeenCalledTimes(1);
  });

  it("never fires once stopped, and input no longer counts", () => {
    const onIdle = vi.fn();
    const add = vi.spyOn(window, "addEventListener");
    const remove = vi.spyOn(window, "removeEventListener");
    const stop = watchIdle(window, 1, onIdle);
    stop();
    vi.advanceTimersByTime(5 * 60_000);
    expect(onIdle).not.toHaveBeenCalled();
    expect(remove.mock.calls.map((c) => c[0])).toEqual(add.mock.calls.map((c) => c[0]));
  });
});

import { screen, waitFor } from "@testing-library/svelte";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signIn, startApp } from "../lib/appHarness";

describe("diagnostics for the help desk", () => {
  afterEach(() => vi.restoreAllMocks());

  it("shows the core's diagnostics from the login screen and copies them", async () => {
    const { user } = startApp();
    // After user-event has put its clipboard in place.
    const writeText = vi.spyOn(navigator.clipboard, "writeText");
    await user.click(await screen.findByTestId("diagnostics-open"));
    const dialog = screen.getByTestId("diagnostics-dialog");
    expect(dialog.getAttribute("aria-modal")).toBe("true");
    const text = (await screen.findByTestId("diagnostics-text")) as HTMLTextAreaElement;
    expect(text.value).toContain("PASS  config");
    expect(text.readOnly).toBe(true);
    await user.click(screen.getByTestId("diagnostics-copy"));
    expect(writeText).toHaveBeenCalledWith(text.value);
    expect((await screen.findByTestId("diagnostics-copied")).dataset.copied).toBe("yes");
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("diagnostics-dialog")).toBeNull());
  });

  it("says so when the clipboard refuses, leaving the text to copy by hand", async () => {
    const { user } = startApp({}, "zh-CN");
    vi.spyOn(navigator.clipboard, "writeText").mockRejectedValue(new Error("denied"));
    await signIn(user);
    await user.click(screen.getByTestId("diagnostics-open"));
    await screen.findByTestId("diagnostics-text");
    await user.click(screen.getByTestId("diagnostics-copy"));
    const status = await screen.findByTestId("diagnostics-copied");
    expect(status.dataset.copied).toBe("failed");
    expect(status.textContent).toContain("手动复制");
    await user.click(screen.getByTestId("diagnostics-close"));
    await waitFor(() => expect(screen.queryByTestId("diagnostics-dialog")).toBeNull());
  });

  it("shows the core's error instead of the text", async () => {
    const { user } = startApp({ failures: { diagnostics: { code: "Internal", message: "internal error: x" } } });
    await user.click(await screen.findByTestId("diagnostics-open"));
    expect(await screen.findByTestId("diagnostics-error")).toBeTruthy();
    expect(screen.queryByTestId("diagnostics-text")).toBeNull();
  });
});

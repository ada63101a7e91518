// The export dialog as the doctor reaches it: from the chart on screen, by
// its button or by a print request (window.print, Ctrl+P).
import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { signIn, startApp as start } from "../lib/appHarness";
import { CACHED_PATIENT_ID, type FakeBackendOptions } from "../lib/fakeBackend";

const SCOPES = ["chart", "summary", "allergies", "problems", "medications", "labs", "encounters"];

let realPrint: ReturnType<typeof vi.fn>;

beforeEach(() => {
  // Stands for the webview's own printing, which must never run.
  realPrint = vi.fn();
  Object.defineProperty(window, "print", { configurable: true, writable: true, value: realPrint });
});

async function openWang(options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en") {
  const started = start(options, locale);
  await signIn(started.user);
  const input = await screen.findByTestId("search-input");
  await started.user.type(input, "王秀英{Enter}");
  await started.user.click(await screen.findByTestId("patient-row"));
  await screen.findByTestId("patient-name");
  return started;
}

async function openDialog(user: ReturnType<typeof userEvent.setup>) {
  await user.click(await screen.findByTestId("chart-export"));
  return screen.getByTestId("export-dialog");
}

describe("export dialog", () => {
  it("opens from the chart as a modal dialog, the whole chart chosen", async () => {
    const { user } = await openWang();
    const button = screen.getByTestId("chart-export");
    expect(button).toHaveTextContent("Export / print");
    expect(button).toHaveAttribute("aria-haspopup", "dialog");

    const dialog = await openDialog(user);
    expect(dialog).toHaveAttribute("role", "dialog");
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(dialog).toHaveAttribute("data-mode", "export");
    expect(dialog).toHaveAccessibleName("Export or print");
    expect(SCOPES.map((scope) => within(dialog).getByTestId(`export-scope-${scope}`))).toHaveLength(7);
    expect(within(dialog).getByRole("radiogroup", { name: "What to include" })).toBeInTheDocument();
    expect(within(dialog).getByTestId("export-scope-chart")).toBeChecked();
    expect(within(dialog).getByLabelText("Recent labs")).toBe(within(dialog).getByTestId("export-scope-labs"));
    expect(within(dialog).getByTestId("export-note")).toHaveTextContent(
      "Every page carries the watermark and the export ID, and the export is recorded in the audit trail.",
    );
    expect(within(dialog).getByTestId("export-save")).toHaveTextContent("Save as PDF…");
    expect(within(dialog).getByTestId("export-print")).toHaveTextContent("Print");
    expect(within(dialog).getByTestId("export-status")).toHaveAttribute("role", "status");
    expect(within(dialog).getByTestId("export-status")).toBeEmptyDOMElement();
    await waitFor(() => expect(within(dialog).getByTestId("export-scope-chart")).toHaveFocus());
  });

  it("saves the chosen part as a PDF through the core and shows the receipt", async () => {
    const { user, backend } = await openWang();
    const dialog = await openDialog(user);
    await user.click(within(dialog).getByTestId("export-scope-labs"));
    await user.click(within(dialog).getByTestId("export-save"));

    const status = within(dialog).getByTestId("export-status");
    await waitFor(() => expect(status).toHaveTextContent("Saved as PDF · export E-0001, 1 page"));
    expect(backend.calls).toContainEqual({
      method: "exportPdf",
      args: [{ patientId: CACHED_PATIENT_ID, scope: "labs", locale: "en" }],
    });
    expect(backend.exports).toEqual([{ kind: "pdf", request: { patientId: CACHED_PATIENT_ID, scope: "labs", locale: "en" } }]);

    await user.click(within(dialog).getByTestId("export-scope-chart"));
    await user.click(within(dialog).getByTestId("export-save"));
    await waitFor(() => expect(status).toHaveTextContent("Saved as PDF · export E-0002, 3 pages"));
    expect(within(dialog).getByTestId("export-save")).toHaveFocus();
    expect(realPrint).not.toHaveBeenCalled();
  });

  it("prints through the core", async () => {
    const { user, backend } = await openWang();
    const dialog = await openDialog(user);
    await user.click(within(dialog).getByTestId("export-scope-medications"));
    await user.click(within(dialog).getByTestId("export-print"));
    await waitFor(() =>
      expect(within(dialog).getByTestId("export-status")).toHaveTextContent("Sent to the printer · export E-0001"),
    );
    expect(backend.exports).toEqual([
      { kind: "print", request: { patientId: CACHED_PATIENT_ID, scope: "medications", locale: "en" } },
    ]);
    expect(realPrint).not.toHaveBeenCalled();
  });

  it("asks for the pages in Chinese and says so in Chinese", async () => {
    const { user, backend } = await openWang({}, "zh-CN");
    expect(screen.getByTestId("chart-export")).toHaveTextContent("导出 / 打印");
    const dialog = await openDialog(user);
    expect(dialog).toHaveAccessibleName("导出或打印");
    expect(within(dialog).getByTestId("export-save")).toHaveTextContent("保存为 PDF…");
    expect(within(dialog).getByTestId("export-print")).toHaveTextContent("打印");
    await user.click(within(dialog).getByTestId("export-scope-summary"));
    await user.click(within(dialog).getByTestId("export-save"));
    await waitFor(() =>
      expect(within(dialog).getByTestId("export-status")).toHaveTextContent("已保存为 PDF · 导出编号 E-0001，共 2 页"),
    );
    expect(backend.exports[0]?.request).toEqual({ patientId: CACHED_PATIENT_ID, scope: "summary", locale: "zh-CN" });
  });

  it("says nothing when the doctor cancels the Save as dialog", async () => {
    const { user, backend } = await openWang({ exportCancelled: true });
    const dialog = await openDialog(user);
    await user.click(within(dialog).getByTestId("export-save"));
    await waitFor(() => expect(backend.exports).toHaveLength(1));
    await waitFor(() => expect(within(dialog).getByTestId("export-save")).toBeEnabled());
    expect(within(dialog).getByTestId("export-status")).toBeEmptyDOMElement();
    expect(within(dialog).queryByTestId("export-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("export-dialog")).toBeInTheDocument();
  });

  it("clears the last receipt when the next export is cancelled", async () => {
    const { user, backend } = await openWang();
    const dialog = await openDialog(user);
    await user.click(within(dialog).getByTestId("export-save"));
    await waitFor(() => expect(within(dialog).getByTestId("export-status")).toHaveTextContent("E-0001"));
    backend.exportCancelled = true;
    await user.click(within(dialog).getByTestId("export-save"));
    await waitFor(() => expect(within(dialog).getByTestId("export-status")).toBeEmptyDOMElement());
  });

  it.each([
    ["exportPdf", "export-save", "ExportFailed", "Export failed", "the export failed: no font for the text"],
    ["printChart", "export-print", "PrintFailed", "Printing failed", "printing failed: no printer"],
  ] as const)("shows a failure of %s", async (method, button, code, headline, message) => {
    const { user } = await openWang({ failures: { [method]: { code, message } } });
    const dialog = await openDialog(user);
    await user.click(within(dialog).getByTestId(button));
    const error = await within(dialog).findByTestId("export-error");
    expect(error).toHaveAttribute("role", "alert");
    expect(error).toHaveAttribute("data-error-code", code);
    expect(error).toHaveTextContent(headline);
    expect(error).toHaveTextContent(message.replace(/^./, (c) => c.toUpperCase()));
    expect(within(dialog).getByTestId("export-status")).toBeEmptyDOMElement();
    expect(within(dialog).getByTestId(button)).toBeEnabled();
  });

  it("returns to the login screen when the session expired", async () => {
    const { user } = await openWang({
      failures: { exportPdf: { code: "SessionExpired", message: "The session has expired." } },
    });
    const dialog = await openDialog(user);
    await user.click(within(dialog).getByTestId("export-save"));
    expect(await screen.findByTestId("login-form")).toBeInTheDocument();
    expect(screen.queryByTestId("export-dialog")).not.toBeInTheDocument();
  });

  it("disables its buttons while the core works", async () => {
    const { user, backend } = await openWang();
    const release = backend.hold("exportPdf");
    const dialog = await openDialog(user);
    await user.click(within(dialog).getByTestId("export-save"));
    const save = within(dialog).getByTestId("export-save");
    expect(save).toBeDisabled();
    expect(save).toHaveTextContent("Saving…");
    expect(within(dialog).getByTestId("export-print")).toBeDisabled();
    await user.click(within(dialog).getByTestId("export-print"));
    expect(backend.calls.map((call) => call.method)).not.toContain("printChart");

    release();
    await waitFor(() => expect(save).toBeEnabled());
    expect(save).toHaveTextContent("Save as PDF…");
    expect(within(dialog).getByTestId("export-print")).toBeEnabled();
    expect(backend.calls.filter((call) => call.method === "exportPdf")).toHaveLength(1);
  });

  it("closes on Escape and stays on the chart, the focus back on its button", async () => {
    const { user, backend } = await openWang();
    await openDialog(user);
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("export-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("chart")).toBeInTheDocument();
    expect(screen.queryByTestId("search-form")).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("chart-export")).toHaveFocus());
    expect(backend.exports).toEqual([]);
  });

  it("closes with its Close button", async () => {
    const { user } = await openWang();
    const dialog = await openDialog(user);
    expect(within(dialog).getByTestId("export-close")).toHaveTextContent("Close");
    await user.click(within(dialog).getByTestId("export-close"));
    expect(screen.queryByTestId("export-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("chart")).toBeInTheDocument();
  });

  it("keeps the focus inside", async () => {
    const { user } = await openWang();
    const dialog = await openDialog(user);
    const chart = within(dialog).getByTestId("export-scope-chart");
    await waitFor(() => expect(chart).toHaveFocus());
    // One stop for the scopes, then Close, Print, Save as PDF, and round again.
    await user.tab();
    expect(within(dialog).getByTestId("export-close")).toHaveFocus();
    await user.tab();
    expect(within(dialog).getByTestId("export-print")).toHaveFocus();
    await user.tab();
    expect(within(dialog).getByTestId("export-save")).toHaveFocus();
    await user.tab();
    expect(chart).toHaveFocus();
    await user.tab({ shift: true });
    expect(within(dialog).getByTestId("export-save")).toHaveFocus();
    // The stop of the scopes is the chosen one.
    await user.click(within(dialog).getByTestId("export-scope-labs"));
    await user.tab({ shift: true });
    await user.tab({ shift: true });
    await user.tab({ shift: true });
    await user.tab({ shift: true });
    expect(within(dialog).getByTestId("export-scope-labs")).toHaveFocus();
  });

  it("is drawn under the watermark", async () => {
    const { user } = await openWang();
    const dialog = await openDialog(user);
    const watermark = await screen.findByTestId("watermark");
    // Not in the top layer, and the watermark comes after the app at the highest z-index.
    expect(dialog.closest("dialog")).toBeNull();
    expect(watermark.compareDocumentPosition(dialog) & Node.DOCUMENT_POSITION_PRECEDING).toBeTruthy();
    expect(watermark.style.getPropertyValue("z-index")).toBe("2147483647");
  });
});

describe("print requests", () => {
  it("open the export dialog in print mode on Ctrl+P while a chart is open, and never print the webview", async () => {
    const { user } = await openWang();
    await user.keyboard("{Control>}p{/Control}");
    const dialog = await screen.findByTestId("export-dialog");
    expect(dialog).toHaveAttribute("data-mode", "print");
    await waitFor(() => expect(within(dialog).getByTestId("export-print")).toHaveFocus());
    expect(realPrint).not.toHaveBeenCalled();
  });

  it("open it on Cmd+P too", async () => {
    const { user } = await openWang();
    await user.keyboard("{Meta>}p{/Meta}");
    expect(await screen.findByTestId("export-dialog")).toHaveAttribute("data-mode", "print");
  });

  it("open it through window.print, which the app has replaced", async () => {
    await openWang();
    expect(window.print).not.toBe(realPrint);
    window.print();
    expect(await screen.findByTestId("export-dialog")).toHaveAttribute("data-mode", "print");
    expect(realPrint).not.toHaveBeenCalled();
  });

  it("switch an open export dialog to print mode", async () => {
    const { user } = await openWang();
    const dialog = await openDialog(user);
    expect(dialog).toHaveAttribute("data-mode", "export");
    await user.keyboard("{Control>}p{/Control}");
    expect(screen.getByTestId("export-dialog")).toHaveAttribute("data-mode", "print");
    await waitFor(() => expect(within(dialog).getByTestId("export-print")).toHaveFocus());
  });

  it("do nothing over the break-the-glass dialog", async () => {
    const { user } = await openWang();
    await user.click(screen.getByTestId("break-glass-open"));
    await user.keyboard("{Control>}p{/Control}");
    expect(screen.getByTestId("break-glass-dialog")).toBeInTheDocument();
    expect(screen.queryByTestId("export-dialog")).not.toBeInTheDocument();
    expect(realPrint).not.toHaveBeenCalled();
  });

  it("do nothing where no chart is open", async () => {
    const { user } = start();
    await screen.findByTestId("login-form");
    window.print();
    await user.keyboard("{Control>}p{/Control}");
    await signIn(user);
    window.print();
    await user.keyboard("{Control>}p{/Control}");
    expect(screen.queryByTestId("export-dialog")).not.toBeInTheDocument();
    expect(realPrint).not.toHaveBeenCalled();
  });

  it("do nothing while the chart has not loaded", async () => {
    const { user, backend } = start();
    await signIn(user);
    const release = backend.hold("openPatient");
    await user.type(await screen.findByTestId("search-input"), "王秀英{Enter}");
    await user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("chart-loading");
    await user.keyboard("{Control>}p{/Control}");
    expect(screen.queryByTestId("export-dialog")).not.toBeInTheDocument();
    release();
    await screen.findByTestId("patient-name");
  });

  it("go back to the webview's print when the app is gone", async () => {
    const { view } = start();
    await screen.findByTestId("login-form");
    expect(window.print).not.toBe(realPrint);
    view.unmount();
    expect(window.print).toBe(realPrint);
  });
});

afterEach(() => {
  vi.restoreAllMocks();
});

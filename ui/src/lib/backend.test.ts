import { beforeEach, describe, expect, it, vi } from "vitest";

import { BackendError, TauriBackend, toBackendError } from "./backend";

const { invoke } = vi.hoisted(() => ({ invoke: vi.fn() }));
vi.mock("@tauri-apps/api/core", () => ({ invoke }));

describe("TauriBackend", () => {
  beforeEach(() => {
    invoke.mockReset();
    invoke.mockResolvedValue(null);
  });

  it("calls the shell's commands with their exact names and argument names", async () => {
    const backend = new TauriBackend();
    await backend.appInfo();
    await backend.sessionInfo();
    await backend.loginPassword("zhangwei", "secret");
    await backend.loginBrowser();
    await backend.cancelLogin();
    await backend.logout();
    await backend.searchPatients("王秀英");
    await backend.recentPatients();
    await backend.openPatient("pat-1");
    await backend.refreshPatient("pat-1");
    await backend.resetCache();
    await backend.watermark();
    await backend.reportWatermarkTamper("hidden");
    await backend.exportPdf({ patientId: "pat-1", scope: "labs", locale: "zh-CN" });
    await backend.printChart({ patientId: "pat-1", scope: "chart", locale: "en" });
    await backend.referralInbox();
    await backend.decideReferral("ref-1", "declined", "Not our department");
    await backend.decideReferral("ref-2", "accepted", "");
    await backend.whoViewed("pat-1");
    await backend.auditStatus();
    expect(invoke.mock.calls).toEqual([
      ["app_info", undefined],
      ["session_info", undefined],
      ["login_password", { username: "zhangwei", password: "secret" }],
      ["login_browser", undefined],
      ["cancel_login", undefined],
      ["logout", undefined],
      ["search_patients", { query: "王秀英" }],
      ["recent_patients", undefined],
      ["open_patient", { patientId: "pat-1" }],
      ["refresh_patient", { patientId: "pat-1" }],
      ["reset_cache", undefined],
      ["watermark", undefined],
      ["report_watermark_tamper", { kind: "hidden" }],
      ["export_pdf", { request: { patientId: "pat-1", scope: "labs", locale: "zh-CN" } }],
      ["print_chart", { request: { patientId: "pat-1", scope: "chart", locale: "en" } }],
      ["referral_inbox", undefined],
      ["decide_referral", { referralId: "ref-1", decision: "declined", note: "Not our department" }],
      ["decide_referral", { referralId: "ref-2", decision: "accepted", note: "" }],
      ["who_viewed", { patientId: "pat-1" }],
      ["audit_status", undefined],
    ]);
  });

  it("turns a rejected { code, message } into a BackendError", async () => {
    invoke.mockRejectedValue({ code: "PlatformUnreachable", message: "The platform did not answer." });
    const failure = await new TauriBackend().searchPatients("x").catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(BackendError);
    expect(failure).toMatchObject({ code: "PlatformUnreachable", message: "The platform did not answer." });
  });
});

describe("toBackendError", () => {
  it.each(["CacheKeyMissing", "CacheUnreadable", "CacheBusy", "DiskFull", "ExportFailed", "PrintFailed", "AuditUnavailable"] as const)("knows the code %s", (code) => {
    expect(toBackendError({ code, message: "m" })).toMatchObject({ code, message: "m" });
  });

  it("maps unknown rejections to Internal without showing their text", () => {
    expect(toBackendError("panic at core/src/x.rs: 王秀英")).toMatchObject({
      code: "Internal",
      message: "An unexpected error occurred.",
    });
    expect(toBackendError({ code: "Bogus", message: "x" }).code).toBe("Internal");
    expect(toBackendError(new Error("boom")).code).toBe("Internal");
  });
});

// The audit trail's status as IT staff see it: their start screen, since
// they may not search patients.
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { signIn, startApp as start } from "../lib/appHarness";
import {
  BROKEN_VERIFY,
  HEAD_USERNAME,
  IT_USERNAME,
  SAMPLE_AUDIT_STATUS,
  sampleCharts,
  type FakeBackendOptions,
} from "../lib/fakeBackend";
import { formatInstant } from "../lib/format";

async function startIt(options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en") {
  const started = start(options, locale);
  await signIn(started.user, IT_USERNAME);
  const audit = await screen.findByTestId("audit-status");
  await waitFor(() => expect(within(audit).queryByTestId("audit-loading")).not.toBeInTheDocument());
  return { ...started, audit };
}

const statusCalls = (backend: { calls: { method: string }[] }) =>
  backend.calls.filter((call) => call.method === "auditStatus").length;

describe("audit status", () => {
  it("is IT's start screen, with the search still reachable from the top bar", async () => {
    const { user, backend, audit } = await startIt();
    expect(within(audit).getByRole("heading", { level: 1 })).toHaveTextContent("Audit trail");
    expect(screen.queryByTestId("search-form")).not.toBeInTheDocument();
    expect(screen.getByTestId("nav-audit")).toHaveAttribute("aria-current", "page");
    expect(screen.getByTestId("nav-audit")).toHaveTextContent("Audit trail");
    expect(screen.queryByTestId("nav-referrals")).not.toBeInTheDocument();
    expect(statusCalls(backend)).toBe(1);

    await user.click(screen.getByTestId("nav-search"));
    await user.type(await screen.findByTestId("search-input"), "王{Enter}");
    // The core answers for IT: no patients.
    expect(await screen.findByTestId("search-error")).toHaveAttribute("data-error-code", "AccessDenied");
    expect(screen.queryByTestId("patient-row")).not.toBeInTheDocument();

    await user.click(screen.getByTestId("nav-audit"));
    expect(await screen.findByTestId("audit-status")).toBeInTheDocument();
  });

  it("shows a verification that holds, with the records checked", async () => {
    const { audit } = await startIt();
    const verify = within(audit).getByTestId("audit-verify");
    expect(verify).toHaveAttribute("data-ok", "true");
    expect(verify).toHaveAttribute("role", "status");
    expect(within(verify).getByTestId("audit-verify-result")).toHaveTextContent(
      "Intact: 1,861 records checked, the chain holds",
    );
    expect(verify).not.toHaveClass("broken");
    expect(within(verify).getByTestId("audit-checked-at")).toHaveTextContent("Checked at");
  });

  it("shows a broken chain prominently: where, what, and what to do", async () => {
    const { audit } = await startIt({ auditStatus: { ...SAMPLE_AUDIT_STATUS, verify: BROKEN_VERIFY } });
    const verify = within(audit).getByTestId("audit-verify");
    expect(verify).toHaveAttribute("data-ok", "false");
    expect(verify).toHaveAttribute("role", "alert");
    expect(verify).toHaveClass("broken");
    expect(verify).toHaveTextContent("✕");
    expect(within(verify).getByTestId("audit-verify-result")).toHaveTextContent("BROKEN at record #1204");
    expect(within(verify).getByTestId("audit-verify-problem")).toHaveTextContent(
      "The record's hash does not match the link in the next record (edited or deleted).",
    );
    expect(verify).toHaveTextContent("1,861 records checked");
    expect(verify).toHaveTextContent("Leave this workstation as it is and tell the security officer.");
    expect(within(audit).queryByText(/Intact/)).not.toBeInTheDocument();
    // First thing on the screen after the heading.
    const panels = within(audit).getByTestId("audit-summary");
    expect(verify.compareDocumentPosition(panels) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
  });

  it("says BROKEN even when the core could not say where", async () => {
    const { audit } = await startIt({
      auditStatus: { ...SAMPLE_AUDIT_STATUS, verify: { ok: false, checked: 0, firstBroken: null, problem: null } },
    });
    expect(within(audit).getByTestId("audit-verify-result")).toHaveTextContent(/^BROKEN$/);
  });

  it("shows the events, their time span, the retention and the counts by action", async () => {
    const { audit } = await startIt();
    expect(within(audit).getByTestId("audit-events")).toHaveTextContent("1,861");
    expect(within(audit).getByTestId("audit-oldest")).toHaveTextContent(formatInstant("2026-05-04T00:12:09Z", "en"));
    expect(within(audit).getByTestId("audit-newest")).toHaveTextContent(formatInstant("2026-11-28T01:42:10Z", "en"));
    expect(within(audit).getByTestId("audit-retention")).toHaveTextContent("180 days");

    const rows = within(audit).getAllByTestId("audit-action-count");
    expect(rows).toHaveLength(SAMPLE_AUDIT_STATUS.byAction.length);
    // Most frequent first, each under its label.
    expect(rows[0]).toHaveAttribute("data-action", "patientOpen");
    expect(rows[0]).toHaveTextContent("Chart opened812");
    const glass = rows.find((row) => row.dataset.action === "breakGlassStart");
    expect(glass).toHaveTextContent("Break the glass started2");
    expect(within(audit).getByRole("table")).toBeInTheDocument();
    expect(within(audit).getByRole("columnheader", { name: "Count" })).toBeInTheDocument();
  });

  it("shows the forwarding to the platform: waiting, failing, and the last error", async () => {
    const { audit } = await startIt();
    const outbox = within(audit).getByTestId("audit-outbox");
    expect(outbox).toHaveAttribute("data-enabled", "true");
    expect(outbox).toHaveClass("trouble");
    expect(within(outbox).getByTestId("audit-forwarding")).toHaveTextContent("On");
    expect(within(outbox).getByTestId("audit-pending")).toHaveTextContent("3");
    expect(within(outbox).getByTestId("audit-failing")).toHaveTextContent("⚠ 1");
    expect(within(outbox).getByTestId("audit-oldest-pending")).toHaveTextContent(formatInstant("2026-11-28T01:40:02Z", "en"));
    expect(within(outbox).getByTestId("audit-last-sent")).toHaveTextContent(formatInstant("2026-11-28T01:38:55Z", "en"));
    expect(within(outbox).getByTestId("audit-last-error")).toHaveTextContent("The platform answered 503 Service Unavailable.");
  });

  it("says when forwarding is off and nothing has been sent", async () => {
    const { audit } = await startIt({
      auditStatus: {
        ...SAMPLE_AUDIT_STATUS,
        outbox: { enabled: false, pending: 0, failing: 0, oldestPending: null, lastSent: null, lastError: null },
      },
    });
    const outbox = within(audit).getByTestId("audit-outbox");
    expect(outbox).toHaveAttribute("data-enabled", "false");
    expect(outbox).not.toHaveClass("trouble");
    expect(within(outbox).getByTestId("audit-forwarding")).toHaveTextContent("Off: the events stay on this workstation");
    expect(within(outbox).getByTestId("audit-last-sent")).toHaveTextContent("Never");
    expect(within(outbox).getByTestId("audit-oldest-pending")).toHaveTextContent("None");
    expect(within(outbox).queryByTestId("audit-last-error")).not.toBeInTheDocument();
  });

  it("verifies again on request, asking the core again", async () => {
    const { user, backend, audit } = await startIt();
    expect(within(audit).getByTestId("audit-verify")).toHaveAttribute("data-ok", "true");
    backend.auditStatusSpec = { ...SAMPLE_AUDIT_STATUS, events: 1862, verify: BROKEN_VERIFY };

    const again = within(audit).getByTestId("audit-verify-again");
    expect(again).toHaveTextContent("Verify again");
    await user.click(again);
    await waitFor(() => expect(within(audit).getByTestId("audit-verify")).toHaveAttribute("data-ok", "false"));
    expect(statusCalls(backend)).toBe(2);
    expect(within(audit).getByTestId("audit-events")).toHaveTextContent("1,862");
  });

  it("shows that it is verifying, and takes one request at a time", async () => {
    const { user, backend, audit } = await startIt();
    const release = backend.hold("auditStatus");
    const again = within(audit).getByTestId("audit-verify-again");
    await user.click(again);
    expect(again).toBeDisabled();
    expect(again).toHaveTextContent("Verifying…");
    await user.click(again);
    release();
    await waitFor(() => expect(again).toBeEnabled());
    expect(statusCalls(backend)).toBe(2);
  });

  it("shows why the trail could not be verified, without an old result, and tries again", async () => {
    const { user, backend, audit } = await startIt({
      failures: { auditStatus: { code: "AuditUnavailable", message: "the audit trail cannot be read: the cache is locked" } },
    });
    const error = within(audit).getByTestId("audit-error");
    expect(error).toHaveAttribute("data-error-code", "AuditUnavailable");
    expect(error).toHaveTextContent("Audit trail unavailable");
    expect(error).toHaveTextContent("The audit trail cannot be read: the cache is locked.");
    expect(within(audit).queryByTestId("audit-verify")).not.toBeInTheDocument();

    delete backend.failures.auditStatus;
    await user.click(within(audit).getByTestId("audit-verify-again"));
    await waitFor(() => expect(within(audit).getByTestId("audit-verify")).toHaveAttribute("data-ok", "true"));
    expect(within(audit).queryByTestId("audit-error")).not.toBeInTheDocument();

    // A verification that fails later takes the earlier result off the screen.
    backend.failures.auditStatus = { code: "AuditUnavailable", message: "the audit trail cannot be read" };
    await user.click(within(audit).getByTestId("audit-verify-again"));
    await within(audit).findByTestId("audit-error");
    expect(within(audit).queryByTestId("audit-verify")).not.toBeInTheDocument();
  });

  it("names no patient and no person", async () => {
    const { audit } = await startIt();
    const text = audit.textContent ?? "";
    for (const chart of sampleCharts) expect(text).not.toContain(chart.patient.name);
    expect(text).not.toContain("赵工");
    expect(text).not.toContain("IT001");
  });

  it("speaks Chinese", async () => {
    const { audit } = await startIt({}, "zh-CN");
    expect(screen.getByTestId("nav-audit")).toHaveTextContent("操作留痕");
    expect(within(audit).getByTestId("audit-verify-result")).toHaveTextContent("完好：已校验 1,861 条记录");
    expect(within(audit).getByTestId("audit-verify-again")).toHaveTextContent("重新校验");
    expect(within(audit).getAllByTestId("audit-action-count")[0]).toHaveTextContent("打开病历");
  });

  it("is not offered to doctors, nor to department heads", async () => {
    const doctor = start();
    await signIn(doctor.user);
    expect(screen.getByTestId("search-form")).toBeInTheDocument();
    expect(screen.queryByTestId("nav-audit")).not.toBeInTheDocument();
    expect(screen.queryByTestId("audit-status")).not.toBeInTheDocument();
    await doctor.user.click(screen.getByTestId("logout"));

    await signIn(doctor.user, HEAD_USERNAME);
    expect(screen.getByTestId("nav-referrals")).toBeInTheDocument();
    expect(screen.queryByTestId("nav-audit")).not.toBeInTheDocument();
    expect(doctor.backend.calls.map((call) => call.method)).not.toContain("auditStatus");
  });

  it("gives the next person their own start screen after a sign-out", async () => {
    const { user } = await startIt();
    await user.click(screen.getByTestId("logout"));
    await signIn(user);
    expect(screen.getByTestId("search-form")).toBeInTheDocument();
    expect(screen.queryByTestId("audit-status")).not.toBeInTheDocument();
  });
});

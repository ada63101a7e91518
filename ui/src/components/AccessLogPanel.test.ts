// "Who viewed this patient", as a department head opens it from a chart.
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { AccessLog } from "../bindings/AccessLog";
import { signIn, startApp as start } from "../lib/appHarness";
import {
  CACHED_PATIENT_ID,
  HEAD_USERNAME,
  SAMPLE_ACCESS_LOG,
  SAMPLE_EXPORT_ID,
  SAMPLE_GLASS_NOTE,
  type FakeBackendOptions,
} from "../lib/fakeBackend";
import { formatInstant } from "../lib/format";

async function openAsHead(name = "王秀英", options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en") {
  const started = start(options, locale);
  await signIn(started.user, HEAD_USERNAME);
  await started.user.type(await screen.findByTestId("search-input"), `${name}{Enter}`);
  await started.user.click(await screen.findByTestId("patient-row"));
  await screen.findByTestId("patient-name");
  return started;
}

async function openLog(options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en", name = "王秀英") {
  const started = await openAsHead(name, options, locale);
  await started.user.click(screen.getByTestId("who-viewed"));
  const log = screen.getByTestId("access-log");
  await waitFor(() => expect(within(log).queryByTestId("access-log-loading")).not.toBeInTheDocument());
  return { ...started, log };
}

function entry(id: string): HTMLElement {
  const found = screen.getAllByTestId("access-entry").find((element) => element.dataset.entryId === id);
  if (!found) throw new Error(`no entry ${id}`);
  return found;
}

describe("who viewed this patient", () => {
  it("lists who viewed the patient newest first: when, who, what, why, where, and where it was recorded", async () => {
    const { backend, log } = await openLog();
    expect(backend.calls).toContainEqual({ method: "whoViewed", args: [CACHED_PATIENT_ID] });
    expect(log).toHaveAccessibleName("Who viewed this patient");

    const entries = within(log).getAllByTestId("access-entry");
    expect(entries.map((element) => element.dataset.entryId)).toEqual(["ae-106", "ae-105", "ae-104", "ae-103", "ae-102", "ae-101"]);
    expect(within(log).getByTestId("access-log-count")).toHaveTextContent("Entries: 6 · break the glass: 3");

    const open = entry("ae-106");
    expect(open).toHaveAttribute("data-action", "patientOpen");
    expect(open).toHaveAttribute("data-break-glass", "false");
    expect(within(open).getByTestId("access-entry-time")).toHaveTextContent(formatInstant("2026-11-28T01:42:10Z", "en"));
    expect(within(open).getByTestId("access-entry-time")).toHaveAttribute("datetime", "2026-11-28T01:42:10Z");
    expect(within(open).getByTestId("access-entry-action")).toHaveTextContent("Chart opened");
    expect(within(open).getByTestId("access-entry-who")).toHaveTextContent("李华 · Staff No. H2001 · 心内科");
    expect(within(open).getByTestId("access-entry-purpose")).toHaveTextContent("Treatment");
    expect(open).toHaveTextContent("WS-CARD-07");
    expect(within(open).getByTestId("access-entry-outcome")).toHaveTextContent("Outcome: ✓ Succeeded");
    expect(within(open).getByTestId("access-entry-source")).toHaveTextContent("Recorded by: This workstation");
    expect(within(open).queryByTestId("access-entry-glass")).not.toBeInTheDocument();

    const exported = entry("ae-102");
    expect(within(exported).getByTestId("access-entry-action")).toHaveTextContent("Export");
    expect(within(exported).getByTestId("access-entry-detail")).toHaveTextContent(SAMPLE_EXPORT_ID);
    expect(within(exported).getByTestId("access-entry-source")).toHaveTextContent("Platform and this workstation");

    const failed = entry("ae-101");
    expect(failed).toHaveAttribute("data-success", "false");
    expect(failed).toHaveClass("failed");
    expect(within(failed).getByTestId("access-entry-outcome")).toHaveTextContent("✕ Failed");
    expect(within(failed).getByTestId("access-entry-outcome")).toHaveClass("outcome-failed");
    expect(within(failed).getByTestId("access-entry-source")).toHaveTextContent("Platform");
  });

  it("sorts entries newest first whatever order they came in", async () => {
    const shuffled: AccessLog = { ...SAMPLE_ACCESS_LOG, entries: [...SAMPLE_ACCESS_LOG.entries].reverse() };
    const { log } = await openLog({ accessLogs: { [CACHED_PATIENT_ID]: shuffled } });
    expect(within(log).getAllByTestId("access-entry").map((element) => element.dataset.entryId)).toEqual([
      "ae-106", "ae-105", "ae-104", "ae-103", "ae-102", "ae-101",
    ]);
  });

  it("marks break-the-glass for review, in words as well as colour, with the reason's label and the note", async () => {
    const { log } = await openLog();
    const glass = within(log).getAllByTestId("access-entry").filter((element) => element.dataset.breakGlass === "true");
    expect(glass.map((element) => element.dataset.entryId)).toEqual(["ae-105", "ae-104", "ae-103"]);
    for (const element of glass) {
      expect(element).toHaveClass("glass");
      expect(within(element).getByTestId("access-entry-glass")).toHaveTextContent("⚠ Break the glass");
    }

    const start = entry("ae-103");
    expect(within(start).getByTestId("access-entry-action")).toHaveTextContent("Break the glass started");
    const reason = within(start).getByTestId("access-entry-reason");
    expect(reason).toHaveTextContent("Emergency treatment");
    expect(reason).toHaveAttribute("data-code", "emergency");
    expect(within(start).getByTestId("access-entry-note")).toHaveTextContent(SAMPLE_GLASS_NOTE);
    expect(within(start).getByTestId("access-entry-purpose")).toHaveTextContent("Emergency treatment");
    expect(within(start).getByTestId("access-entry-who")).toHaveTextContent("孙丽 · Staff No. D2045 · 急诊科");
    // Entries of the same session without the glass are not marked.
    expect(entry("ae-102")).not.toHaveClass("glass");
  });

  it("names the reason in Chinese, and a reason the policy no longer lists by its code", async () => {
    const [first] = SAMPLE_ACCESS_LOG.entries;
    const logs = {
      [CACHED_PATIENT_ID]: {
        entries: [
          { ...first!, id: "g1", time: "2026-11-28T02:00:00Z", action: "breakGlassStart" as const, breakGlass: true, reason: "emergency", note: "抢救" },
          { ...first!, id: "g2", time: "2026-11-28T01:00:00Z", action: "breakGlassStart" as const, breakGlass: true, reason: "mass-casualty", note: null },
        ],
        platformProblem: null,
      },
    };
    await openLog({ accessLogs: logs }, "zh-CN");
    expect(within(entry("g1")).getByTestId("access-entry-reason")).toHaveTextContent("急诊抢救");
    expect(within(entry("g1")).getByTestId("access-entry-glass")).toHaveTextContent("紧急解封（破窗）");
    expect(within(entry("g1")).getByTestId("access-entry-action")).toHaveTextContent("紧急解封开始");
    expect(within(entry("g2")).getByTestId("access-entry-reason")).toHaveTextContent("mass-casualty");
    expect(within(entry("g2")).queryByTestId("access-entry-note")).not.toBeInTheDocument();
  });

  it("shows only the break-the-glass entries on request", async () => {
    const { user, log } = await openLog();
    const only = within(log).getByLabelText("Only break-the-glass");
    expect(only).toBe(within(log).getByTestId("access-log-glass-only"));
    await user.click(only);
    expect(within(log).getAllByTestId("access-entry").map((element) => element.dataset.entryId)).toEqual(["ae-105", "ae-104", "ae-103"]);
    await user.click(only);
    expect(within(log).getAllByTestId("access-entry")).toHaveLength(6);
  });

  it("says when no break-the-glass is recorded and only those are asked for", async () => {
    const { user, log } = await openLog({}, "en", "张伟");
    expect(within(log).getAllByTestId("access-entry")).toHaveLength(2);
    await user.click(within(log).getByTestId("access-log-glass-only"));
    expect(within(log).getByTestId("access-log-empty")).toHaveTextContent("No break-the-glass access to this patient is recorded.");
    expect(within(log).queryByTestId("access-entry")).not.toBeInTheDocument();
  });

  it("says that only this workstation's events are shown when the platform's could not be read, and why", async () => {
    const local = SAMPLE_ACCESS_LOG.entries.filter((item) => item.source !== "platform");
    const log: AccessLog = {
      entries: local,
      platformProblem: { code: "PlatformUnreachable", message: "the regional platform did not answer" },
    };
    const { log: panel } = await openLog({ accessLogs: { [CACHED_PATIENT_ID]: log } });
    const notice = within(panel).getByTestId("access-log-platform-problem");
    expect(notice).toHaveAttribute("data-error-code", "PlatformUnreachable");
    expect(notice).toHaveTextContent("Regional platform unreachable");
    expect(notice).toHaveTextContent("Only this workstation's events are shown");
    expect(notice).toHaveTextContent("The regional platform did not answer.");
    expect(within(panel).getAllByTestId("access-entry")).toHaveLength(2);
  });

  it("has no platform notice when the platform's events are there", async () => {
    const { log } = await openLog();
    expect(within(log).queryByTestId("access-log-platform-problem")).not.toBeInTheDocument();
  });

  it("says so when nothing is recorded for the patient", async () => {
    const { log } = await openLog({}, "en", "Margaret");
    expect(within(log).getByTestId("access-log-empty")).toHaveTextContent(
      "No views, exports or unsealing of this patient are recorded.",
    );
    expect(within(log).queryByTestId("access-entry")).not.toBeInTheDocument();
    expect(within(log).queryByTestId("access-log-count")).not.toBeInTheDocument();
  });

  it("shows why the log could not be read, and reads it again", async () => {
    const { user, backend, log } = await openLog({
      failures: { whoViewed: { code: "AccessDenied", message: "this patient is not of your department" } },
    });
    const error = within(log).getByTestId("access-log-error");
    expect(error).toHaveAttribute("data-error-code", "AccessDenied");
    expect(error).toHaveTextContent("Not permitted");
    expect(within(error).getByTestId("access-log-error-hint")).toHaveTextContent(
      "You can see who viewed the patients of your department only.",
    );
    expect(within(log).queryByTestId("access-log-empty")).not.toBeInTheDocument();
    // The chart itself stays.
    expect(screen.getByTestId("patient-name")).toHaveTextContent("王秀英");

    delete backend.failures.whoViewed;
    await user.click(within(log).getByTestId("access-log-reload"));
    await waitFor(() => expect(within(log).getAllByTestId("access-entry")).toHaveLength(6));
    expect(within(log).queryByTestId("access-log-error")).not.toBeInTheDocument();
  });

  it("shows the loading state while the core answers", async () => {
    const { user, backend } = await openAsHead();
    const release = backend.hold("whoViewed");
    await user.click(screen.getByTestId("who-viewed"));
    expect(within(screen.getByTestId("access-log")).getByTestId("access-log-loading")).toHaveTextContent(
      "Loading the access log…",
    );
    release();
    await waitFor(() => expect(screen.getAllByTestId("access-entry")).toHaveLength(6));
  });

  it("is not offered to a session without the access log", async () => {
    const { user, backend } = start();
    await signIn(user);
    await user.type(await screen.findByTestId("search-input"), "王秀英{Enter}");
    await user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("patient-name");
    expect(screen.getByTestId("chart-export")).toBeInTheDocument();
    expect(screen.queryByTestId("who-viewed")).not.toBeInTheDocument();
    expect(screen.queryByTestId("access-log")).not.toBeInTheDocument();
    expect(backend.calls.map((call) => call.method)).not.toContain("whoViewed");
  });

  it("opens and closes from its button, and Escape inside closes it without leaving the chart", async () => {
    const { user } = await openAsHead();
    const button = screen.getByTestId("who-viewed");
    expect(button).toHaveTextContent("Who viewed");
    expect(button).toHaveAttribute("aria-expanded", "false");
    await user.click(button);
    expect(button).toHaveAttribute("aria-expanded", "true");
    const log = screen.getByTestId("access-log");
    expect(document.getElementById(button.getAttribute("aria-controls") ?? "")).toContainElement(log);

    await user.click(button);
    expect(screen.queryByTestId("access-log")).not.toBeInTheDocument();
    expect(button).toHaveAttribute("aria-expanded", "false");

    await user.click(button);
    await user.click(within(screen.getByTestId("access-log")).getByTestId("access-log-glass-only"));
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("access-log")).not.toBeInTheDocument();
    expect(screen.getByTestId("chart")).toBeInTheDocument();
    await waitFor(() => expect(button).toHaveFocus());

    await user.click(button);
    await user.click(within(screen.getByTestId("access-log")).getByTestId("access-log-close"));
    expect(screen.queryByTestId("access-log")).not.toBeInTheDocument();
    await waitFor(() => expect(button).toHaveFocus());
  });

  it("is part of the chart under the watermark, not a dialog", async () => {
    const { log } = await openLog();
    const watermark = await screen.findByTestId("watermark");
    expect(log.closest("dialog, [role='dialog']")).toBeNull();
    expect(screen.getByTestId("chart")).toContainElement(log);
    expect(watermark.compareDocumentPosition(log) & Node.DOCUMENT_POSITION_PRECEDING).toBeTruthy();
  });
});

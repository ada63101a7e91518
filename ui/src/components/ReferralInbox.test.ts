// The department head's referral inbox, reached from the top bar: the
// referrals to the department, a chart opened from one, and the decisions.
import { screen, waitFor, within } from "@testing-library/svelte";
import type userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { ReferralView } from "../bindings/ReferralView";
import { signIn, startApp as start } from "../lib/appHarness";
import { HEAD_USERNAME, SAMPLE_REFERRALS, type FakeBackendOptions } from "../lib/fakeBackend";

type User = ReturnType<typeof userEvent.setup>;

const ZHANG = "ref-20261128-01"; // urgent, pending: 张伟
const THOMPSON = "ref-20261127-02"; // routine, pending
const WANG = "ref-20261125-03"; // accepted
const OUYANG = "ref-20261120-04"; // declined, the patient masked
const NOTE = "Not a cardiology problem: please refer to endocrinology";

async function startHead(options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en") {
  const started = start(options, locale);
  await signIn(started.user, HEAD_USERNAME);
  return started;
}

async function openInbox(user: User) {
  await user.click(screen.getByTestId("nav-referrals"));
  const inbox = await screen.findByTestId("referral-inbox");
  await waitFor(() => expect(within(inbox).queryByTestId("referral-loading")).not.toBeInTheDocument());
  return inbox;
}

function row(referralId: string): HTMLElement {
  const found = screen.getAllByTestId("referral-row").find((element) => element.dataset.referralId === referralId);
  if (!found) throw new Error(`no row for ${referralId}`);
  return found;
}

function decisions(backend: { calls: { method: string; args: unknown[] }[] }) {
  return backend.calls.filter((call) => call.method === "decideReferral").map((call) => call.args);
}

describe("referral inbox", () => {
  it("is in the top bar next to the search for a department head, and reachable by keyboard", async () => {
    const { user } = await startHead();
    // A head is a doctor too: the search comes first.
    expect(screen.getByTestId("search-form")).toBeInTheDocument();
    const nav = screen.getByRole("navigation", { name: "Screens" });
    expect(within(nav).getByTestId("nav-search")).toHaveAttribute("aria-current", "page");
    expect(within(nav).getByTestId("nav-referrals")).toHaveTextContent("Referrals");
    expect(within(nav).getByTestId("nav-referrals")).not.toHaveAttribute("aria-current");
    expect(within(nav).queryByTestId("nav-audit")).not.toBeInTheDocument();

    screen.getByTestId("nav-referrals").focus();
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("referral-inbox")).toBeInTheDocument();
    expect(screen.getByTestId("nav-referrals")).toHaveAttribute("aria-current", "page");
    expect(screen.queryByTestId("search-form")).not.toBeInTheDocument();
    expect(screen.getByRole("heading", { level: 1, name: "Referrals to your department" })).toHaveFocus();

    await user.click(screen.getByTestId("nav-search"));
    expect(screen.getByTestId("search-form")).toBeInTheDocument();
    expect(screen.queryByTestId("referral-inbox")).not.toBeInTheDocument();
  });

  it("lists the referrals newest first with patient, priority, date, reason, requester and decision", async () => {
    const { user, backend } = await startHead();
    const inbox = await openInbox(user);
    expect(backend.calls.map((call) => call.method)).toContain("referralInbox");

    const rows = within(inbox).getAllByTestId("referral-row");
    expect(rows.map((element) => element.dataset.referralId)).toEqual([ZHANG, THOMPSON, WANG, OUYANG]);
    expect(within(inbox).getByTestId("referral-count")).toHaveTextContent("Referrals: 4 · pending: 2");

    const zhang = row(ZHANG);
    expect(within(zhang).getByTestId("referral-patient")).toHaveTextContent("张伟");
    expect(zhang).toHaveTextContent("Male");
    expect(zhang).toHaveTextContent("1972-03-15");
    expect(within(zhang).getByTestId("referral-date")).toHaveTextContent("2026-11-28 08:15");
    expect(within(zhang).getByTestId("referral-reason")).toHaveTextContent("冠脉CTA示前降支近段重度狭窄");
    expect(within(zhang).getByTestId("referral-requester")).toHaveTextContent("北京大学第一医院 急诊科 · 刘洋");
    const urgent = within(zhang).getByTestId("referral-priority");
    expect(urgent).toHaveTextContent("⚠");
    expect(urgent).toHaveTextContent("Urgent");
    expect(urgent).toHaveAttribute("data-urgent", "true");
    expect(within(zhang).getByTestId("referral-decision")).toHaveTextContent("Pending");
    expect(within(zhang).getByTestId("referral-accept")).toHaveTextContent("Accept");
    expect(within(zhang).getByTestId("referral-decline")).toHaveTextContent("Decline…");

    const routine = within(row(THOMPSON)).getByTestId("referral-priority");
    expect(routine).toHaveTextContent("Routine");
    expect(routine).not.toHaveTextContent("⚠");
    expect(routine).toHaveAttribute("data-urgent", "false");

    const accepted = row(WANG);
    expect(accepted).toHaveAttribute("data-decision", "accepted");
    expect(within(accepted).getByTestId("referral-decision")).toHaveTextContent("Accepted");
    expect(within(accepted).getByTestId("referral-decision-note")).toHaveTextContent("已安排12月2日上午专家门诊");
    expect(within(accepted).queryByTestId("referral-accept")).not.toBeInTheDocument();

    const declined = row(OUYANG);
    expect(within(declined).getByTestId("referral-decision")).toHaveTextContent("Declined");
    expect(within(declined).getByTestId("referral-decision-note")).toHaveTextContent("建议转内分泌科诊治");
    // The patient exactly as the core sent her: masked there, not here.
    expect(within(declined).getByTestId("referral-patient")).toHaveTextContent("欧阳**");
    expect(within(declined).getByTestId("referral-open").tagName).toBe("BUTTON");
  });

  it("sorts newest first whatever order the referrals came in, and marks asap and stat as urgent", async () => {
    const [a, b, c] = SAMPLE_REFERRALS as [ReferralView, ReferralView, ReferralView];
    const referrals = [
      { ...c, id: "old", authoredOn: "2026-10-01", priority: "stat" },
      { ...a, id: "undated", authoredOn: null, priority: null },
      { ...b, id: "new", authoredOn: "2026-11-28T09:00:00+08:00", priority: "asap" },
    ];
    const { user } = await startHead({ referrals });
    const inbox = await openInbox(user);
    expect(within(inbox).getAllByTestId("referral-row").map((element) => element.dataset.referralId)).toEqual([
      "new",
      "old",
      "undated",
    ]);
    expect(within(row("new")).getByTestId("referral-priority")).toHaveTextContent("⚠ Priority: As soon as possible");
    expect(within(row("old")).getByTestId("referral-priority")).toHaveTextContent("⚠ Priority: Immediately (STAT)");
    expect(within(row("undated")).queryByTestId("referral-priority")).not.toBeInTheDocument();
  });

  it("says so when there is no referral to the department", async () => {
    const { user } = await startHead({ referrals: [] });
    const inbox = await openInbox(user);
    expect(within(inbox).getByTestId("referral-empty")).toHaveTextContent("No referrals to your department");
    expect(within(inbox).queryByTestId("referral-row")).not.toBeInTheDocument();
  });

  it("shows why the inbox could not be loaded, and loads it again", async () => {
    const { user, backend } = await startHead({
      failures: { referralInbox: { code: "PlatformUnreachable", message: "the regional platform did not answer" } },
    });
    const inbox = await openInbox(user);
    const error = within(inbox).getByTestId("referral-inbox-error");
    expect(error).toHaveAttribute("data-error-code", "PlatformUnreachable");
    expect(error).toHaveTextContent("Regional platform unreachable");
    expect(error).toHaveTextContent("The regional platform did not answer.");
    expect(within(inbox).queryByTestId("referral-empty")).not.toBeInTheDocument();

    delete backend.failures.referralInbox;
    await user.click(within(inbox).getByTestId("referral-refresh"));
    await waitFor(() => expect(within(inbox).getAllByTestId("referral-row")).toHaveLength(4));
    expect(within(inbox).queryByTestId("referral-inbox-error")).not.toBeInTheDocument();
  });

  it("opens the referred patient's chart the way the search does, and goes back to the row", async () => {
    const { user, backend } = await startHead();
    await openInbox(user);
    await user.click(within(row(ZHANG)).getByTestId("referral-open"));

    expect(await screen.findByTestId("patient-name")).toHaveTextContent("张伟");
    expect(backend.calls).toContainEqual({ method: "openPatient", args: ["pat-cn-0003"] });
    expect(screen.getByTestId("chart-access")).toHaveTextContent("Treating · referral to your department");
    expect(screen.getByTestId("chart-export")).toBeInTheDocument();
    const bar = screen.getByTestId("referral-bar");
    expect(bar).toHaveAttribute("data-referral-id", ZHANG);
    expect(bar).toHaveTextContent("Urgent");
    expect(bar).toHaveTextContent("急性胸痛3小时");
    expect(screen.queryByTestId("referral-inbox")).not.toBeInTheDocument();

    const back = screen.getByTestId("chart-back");
    expect(back).toHaveTextContent("Back to referrals");
    await user.click(back);
    await screen.findByTestId("referral-inbox");
    await waitFor(() => expect(within(row(ZHANG)).getByTestId("referral-open")).toHaveFocus());
    expect(screen.queryByTestId("chart")).not.toBeInTheDocument();
  });

  it("opens a masked patient masked, with break the glass as for any chart", async () => {
    const { user } = await startHead();
    await openInbox(user);
    await user.click(within(row(OUYANG)).getByTestId("referral-open"));
    expect(await screen.findByTestId("patient-name")).toHaveTextContent("欧阳**");
    expect(screen.getByTestId("chart-access")).toHaveAttribute("data-masked", "true");
    expect(screen.getByTestId("break-glass-open")).toBeInTheDocument();
    // Declined already: nothing to decide.
    expect(within(screen.getByTestId("referral-bar")).queryByTestId("referral-accept")).not.toBeInTheDocument();
  });

  it("accepts a pending referral at once and shows the referral the core returns", async () => {
    const { user, backend } = await startHead();
    await openInbox(user);
    await user.click(within(row(ZHANG)).getByTestId("referral-accept"));

    await waitFor(() => expect(row(ZHANG)).toHaveAttribute("data-decision", "accepted"));
    expect(within(row(ZHANG)).getByTestId("referral-decision")).toHaveTextContent("Accepted");
    expect(within(row(ZHANG)).queryByTestId("referral-accept")).not.toBeInTheDocument();
    expect(within(row(ZHANG)).queryByTestId("referral-decline")).not.toBeInTheDocument();
    expect(decisions(backend)).toEqual([[ZHANG, "accepted", ""]]);
    expect(screen.queryByTestId("referral-decision-dialog")).not.toBeInTheDocument();
    expect(within(row(ZHANG)).getByTestId("referral-open")).toHaveFocus();
    // The others are as they were.
    expect(row(THOMPSON)).toHaveAttribute("data-decision", "pending");
    expect(screen.getByTestId("referral-count")).toHaveTextContent("pending: 1");
  });

  it("declines only with a note, asked in a modal dialog", async () => {
    const { user, backend } = await startHead();
    await openInbox(user);
    await user.click(within(row(THOMPSON)).getByTestId("referral-decline"));

    const dialog = screen.getByTestId("referral-decision-dialog");
    expect(dialog).toHaveAttribute("role", "dialog");
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(dialog).toHaveAccessibleName("Decline the referral");
    expect(dialog).toHaveTextContent("The referral of Margaret Thompson goes back to the referring doctor");
    const note = within(dialog).getByTestId("referral-note");
    await waitFor(() => expect(note).toHaveFocus());
    const confirm = within(dialog).getByTestId("referral-confirm");
    expect(confirm).toBeDisabled();
    await user.type(note, "   ");
    expect(confirm).toBeDisabled();
    await user.clear(note);
    await user.type(note, NOTE);
    expect(confirm).toBeEnabled();
    await user.click(confirm);

    await waitFor(() => expect(screen.queryByTestId("referral-decision-dialog")).not.toBeInTheDocument());
    expect(decisions(backend)).toEqual([[THOMPSON, "declined", NOTE]]);
    expect(row(THOMPSON)).toHaveAttribute("data-decision", "declined");
    expect(within(row(THOMPSON)).getByTestId("referral-decision-note")).toHaveTextContent(NOTE);
    await waitFor(() => expect(within(row(THOMPSON)).getByTestId("referral-open")).toHaveFocus());
  });

  it("leaves the referral pending when the decline is cancelled or escaped", async () => {
    const { user, backend } = await startHead();
    await openInbox(user);
    const decline = within(row(ZHANG)).getByTestId("referral-decline");
    await user.click(decline);
    await user.type(within(screen.getByTestId("referral-decision-dialog")).getByTestId("referral-note"), NOTE);
    await user.click(screen.getByTestId("referral-cancel"));
    expect(screen.queryByTestId("referral-decision-dialog")).not.toBeInTheDocument();
    await waitFor(() => expect(decline).toHaveFocus());

    await user.click(decline);
    expect(screen.getByTestId("referral-decision-dialog")).toBeInTheDocument();
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("referral-decision-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("referral-inbox")).toBeInTheDocument();

    expect(decisions(backend)).toEqual([]);
    expect(row(ZHANG)).toHaveAttribute("data-decision", "pending");
  });

  it("keeps the focus inside the decline dialog", async () => {
    const { user } = await startHead();
    await openInbox(user);
    await user.click(within(row(ZHANG)).getByTestId("referral-decline"));
    const dialog = screen.getByTestId("referral-decision-dialog");
    const note = within(dialog).getByTestId("referral-note");
    await waitFor(() => expect(note).toHaveFocus());
    await user.type(note, NOTE);
    await user.tab();
    expect(within(dialog).getByTestId("referral-cancel")).toHaveFocus();
    await user.tab();
    expect(within(dialog).getByTestId("referral-confirm")).toHaveFocus();
    await user.tab();
    expect(note).toHaveFocus();
    await user.tab({ shift: true });
    expect(within(dialog).getByTestId("referral-confirm")).toHaveFocus();
  });

  it("shows the core's refusal of an acceptance in the row and leaves the row unchanged", async () => {
    const { user } = await startHead({
      failures: { decideReferral: { code: "PlatformError", message: "the platform refused the update: 409 Conflict" } },
    });
    await openInbox(user);
    const before = row(ZHANG).textContent;
    await user.click(within(row(ZHANG)).getByTestId("referral-accept"));

    const error = await within(row(ZHANG)).findByTestId("referral-error");
    expect(error).toHaveAttribute("data-error-code", "PlatformError");
    expect(error).toHaveTextContent("Regional platform error");
    expect(error).toHaveTextContent("The platform refused the update: 409 Conflict.");
    expect(row(ZHANG)).toHaveAttribute("data-decision", "pending");
    expect(within(row(ZHANG)).getByTestId("referral-decision")).toHaveTextContent("Pending");
    expect(within(row(ZHANG)).getByTestId("referral-accept")).toBeEnabled();
    const text = (value: string | null) => (value ?? "").replace(/\s+/g, " ").trim();
    expect(text(row(ZHANG).textContent?.replace(error.textContent ?? "", "") ?? "")).toBe(text(before));
  });

  it("shows the core's refusal of a decline in the dialog, which stays open with the note", async () => {
    const { user } = await startHead({
      failures: { decideReferral: { code: "AccessDenied", message: "this referral is not to your department" } },
    });
    await openInbox(user);
    await user.click(within(row(ZHANG)).getByTestId("referral-decline"));
    const dialog = screen.getByTestId("referral-decision-dialog");
    await user.type(within(dialog).getByTestId("referral-note"), NOTE);
    await user.click(within(dialog).getByTestId("referral-confirm"));

    const error = await within(dialog).findByTestId("referral-decision-error");
    expect(error).toHaveTextContent("Not permitted");
    expect(within(dialog).getByTestId("referral-note")).toHaveValue(NOTE);
    expect(within(dialog).getByTestId("referral-confirm")).toBeEnabled();
    expect(row(ZHANG)).toHaveAttribute("data-decision", "pending");
  });

  it("returns to the login screen when the session expired during a decision", async () => {
    const { user } = await startHead({
      failures: { decideReferral: { code: "SessionExpired", message: "The session has expired." } },
    });
    await openInbox(user);
    await user.click(within(row(ZHANG)).getByTestId("referral-accept"));
    expect(await screen.findByTestId("login-form")).toBeInTheDocument();
    expect(screen.queryByTestId("referral-inbox")).not.toBeInTheDocument();
  });

  it("says that decisions are made on the platform when it takes none here", async () => {
    const { user } = await startHead({ canDecide: false });
    const inbox = await openInbox(user);
    expect(within(inbox).getByTestId("referral-platform-decides")).toHaveTextContent(
      "Referrals are accepted or declined on the regional platform.",
    );
    expect(within(inbox).queryByTestId("referral-accept")).not.toBeInTheDocument();
    expect(within(inbox).queryByTestId("referral-decline")).not.toBeInTheDocument();
    // The decision state is still shown.
    expect(within(row(ZHANG)).getByTestId("referral-decision")).toHaveTextContent("Pending");

    await user.click(within(row(ZHANG)).getByTestId("referral-open"));
    const bar = await screen.findByTestId("referral-bar");
    expect(within(bar).getByTestId("referral-platform-decides")).toBeInTheDocument();
    expect(within(bar).queryByTestId("referral-accept")).not.toBeInTheDocument();
  });

  it("takes the decision in the bar above the chart, and opens the chart again with the access it gives", async () => {
    const { user, backend } = await startHead();
    await openInbox(user);
    await user.click(within(row(ZHANG)).getByTestId("referral-open"));
    await screen.findByTestId("patient-name");
    const bar = screen.getByTestId("referral-bar");
    expect(within(bar).getByTestId("referral-decision")).toHaveTextContent("Pending");

    await user.click(within(bar).getByTestId("referral-accept"));
    await waitFor(() => expect(screen.getByTestId("referral-bar")).toHaveAttribute("data-decision", "accepted"));
    expect(decisions(backend)).toEqual([[ZHANG, "accepted", ""]]);
    await screen.findByTestId("patient-name");
    expect(backend.calls.filter((call) => call.method === "openPatient" && call.args[0] === "pat-cn-0003")).toHaveLength(2);
    expect(screen.getByTestId("referral-bar")).toHaveFocus();

    await user.click(screen.getByTestId("chart-back"));
    await screen.findByTestId("referral-inbox");
    expect(row(ZHANG)).toHaveAttribute("data-decision", "accepted");
  });

  it("declines in the bar through the dialog; Escape closes the dialog, not the chart", async () => {
    const { user, backend } = await startHead();
    await openInbox(user);
    await user.click(within(row(THOMPSON)).getByTestId("referral-open"));
    await screen.findByTestId("patient-name");
    await user.click(within(screen.getByTestId("referral-bar")).getByTestId("referral-decline"));
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("referral-decision-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("chart")).toBeInTheDocument();

    await user.click(within(screen.getByTestId("referral-bar")).getByTestId("referral-decline"));
    // A print request does not open a second dialog over this one.
    await user.keyboard("{Control>}p{/Control}");
    expect(screen.queryByTestId("export-dialog")).not.toBeInTheDocument();
    const dialog = screen.getByTestId("referral-decision-dialog");
    await user.type(within(dialog).getByTestId("referral-note"), NOTE);
    await user.click(within(dialog).getByTestId("referral-confirm"));
    await waitFor(() => expect(screen.getByTestId("referral-bar")).toHaveAttribute("data-decision", "declined"));
    expect(within(screen.getByTestId("referral-bar")).getByTestId("referral-decision-note")).toHaveTextContent(NOTE);
    expect(decisions(backend)).toEqual([[THOMPSON, "declined", NOTE]]);
  });

  it("closes the chart when another screen is chosen, and keeps the list", async () => {
    const { user, backend } = await startHead();
    await openInbox(user);
    await user.click(within(row(ZHANG)).getByTestId("referral-open"));
    await screen.findByTestId("patient-name");
    await user.click(screen.getByTestId("nav-search"));
    expect(screen.queryByTestId("chart")).not.toBeInTheDocument();
    expect(screen.getByTestId("search-form")).toBeInTheDocument();
    await user.click(screen.getByTestId("nav-referrals"));
    expect(await screen.findByTestId("referral-inbox")).toBeInTheDocument();
    expect(screen.getAllByTestId("referral-row")).toHaveLength(4);
    expect(screen.queryByTestId("chart")).not.toBeInTheDocument();
    expect(backend.calls.filter((call) => call.method === "openPatient")).toHaveLength(1);
  });

  it("speaks Chinese", async () => {
    const { user } = await startHead({}, "zh-CN");
    expect(screen.getByTestId("nav-referrals")).toHaveTextContent("转诊");
    expect(screen.getByTestId("nav-search")).toHaveTextContent("查找患者");
    const inbox = await openInbox(user);
    expect(within(inbox).getByRole("heading", { level: 1 })).toHaveTextContent("转入本科室的转诊");
    expect(within(row(ZHANG)).getByTestId("referral-priority")).toHaveTextContent("紧急");
    expect(within(row(ZHANG)).getByTestId("referral-accept")).toHaveTextContent("接收");
    expect(within(row(WANG)).getByTestId("referral-decision")).toHaveTextContent("已接收");
    expect(within(row(OUYANG)).getByTestId("referral-decision")).toHaveTextContent("已拒绝");
  });

  it("is not offered to a doctor without the desk", async () => {
    const { user } = start();
    await signIn(user);
    expect(screen.queryByTestId("nav")).not.toBeInTheDocument();
    expect(screen.queryByTestId("nav-referrals")).not.toBeInTheDocument();
    expect(screen.queryByTestId("nav-search")).not.toBeInTheDocument();
  });
});

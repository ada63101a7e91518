// Every main screen of the real App, on the FakeBackend, in both languages,
// checked by axe-core: labels, landmarks, heading order, ARIA. Colour
// contrast cannot be computed in jsdom; contrast.test.ts covers app.css.
import { screen, waitFor, within } from "@testing-library/svelte";
import type userEvent from "@testing-library/user-event";
import { describe, it } from "vitest";
import { signIn, startApp as start } from "./lib/appHarness";
import { expectNoAxeViolations } from "./lib/axe.test-helper";
import { HEAD_USERNAME, IT_USERNAME } from "./lib/fakeBackend";
import type { Locale } from "./lib/i18n";

type User = ReturnType<typeof userEvent.setup>;

async function searchFor(user: User, query: string) {
  const input = await screen.findByTestId("search-input");
  await user.clear(input);
  await user.type(input, `${query}{Enter}`);
  await screen.findByTestId("search-results");
}

async function openWang(user: User) {
  await searchFor(user, "王秀英");
  await user.click(await screen.findByTestId("patient-row"));
  await screen.findByTestId("patient-name");
}

// The zh-CN run matters on its own: lang attributes and labels change with it.
describe.each<Locale>(["en", "zh-CN"])("accessibility (%s)", (locale) => {
  it("login screen", async () => {
    start({}, locale);
    await screen.findByTestId("login-form");
    await expectNoAxeViolations();
  });

  it("login screen with an error", async () => {
    const { user } = start({}, locale);
    await user.type(await screen.findByTestId("login-username"), "zhangwei");
    await user.type(screen.getByTestId("login-password"), "wrong-password{Enter}");
    await screen.findByTestId("login-error");
    await expectNoAxeViolations();
  });

  it("start-up error", async () => {
    start({ failures: { appInfo: { code: "ConfigInvalid", message: "config.toml: platform.url is missing." } } }, locale);
    await screen.findByTestId("app-error");
    await expectNoAxeViolations();
  });

  it("search results from this workstation's cache, offline", async () => {
    const { user } = start({ platformUnreachable: true }, locale);
    await signIn(user);
    const input = await screen.findByTestId("search-input");
    await user.type(input, "王{Enter}");
    await screen.findByTestId("search-offline");
    await expectNoAxeViolations();
  });

  it("search results", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await searchFor(user, "王");
    await expectNoAxeViolations();
  });

  it("search screen before any search: the hint, no recent patients yet", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await screen.findByTestId("recent-empty");
    await expectNoAxeViolations();
  });

  it("search screen with recent patients", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(screen.getByTestId("chart-back"));
    await user.clear(await screen.findByTestId("search-input"));
    await waitFor(() => screen.getAllByTestId("recent-patient"));
    await expectNoAxeViolations();
  });

  it("search with no match", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await user.type(await screen.findByTestId("search-input"), "Nobody{Enter}");
    await screen.findByTestId("search-no-match");
    await expectNoAxeViolations();
  });

  it("search with too many matches, and a birth date refused", async () => {
    const { user, backend } = start({}, locale);
    backend.searchLimit = 1;
    await signIn(user);
    await searchFor(user, "王");
    await screen.findByTestId("search-too-many");
    await expectNoAxeViolations();
    await user.type(screen.getByTestId("search-birthdate"), "1958-02-30{Enter}");
    await screen.findByTestId("search-birthdate-invalid");
    await expectNoAxeViolations();
  });

  it("an open chart", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await expectNoAxeViolations();
  });

  it("a chart's timeline, filtered, with an encounter open", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(screen.getByTestId("tab-timeline"));
    await user.selectOptions(screen.getByTestId("filter-period"), "custom");
    await user.click(within(screen.getAllByTestId("timeline-encounter")[0]!).getAllByRole("button")[0]!);
    await screen.findByTestId("encounter-detail");
    await expectNoAxeViolations();
  });

  it("a chart's results, with a panel's trend chosen", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(screen.getByTestId("tab-results"));
    const bp = screen.getAllByTestId("results-row").find((row) => row.getAttribute("data-series") === "8480-6|mm[Hg]")!;
    await user.click(within(bp).getByTestId("results-open"));
    await screen.findByTestId("trend-chart");
    await expectNoAxeViolations();
  });

  it("a chart's results, with a text-only series chosen", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(screen.getByTestId("tab-results"));
    const urine = screen.getAllByTestId("results-row").find((row) => row.getAttribute("data-series") === "20454-5|")!;
    await user.click(within(urine).getByTestId("results-open"));
    await screen.findByTestId("results-text-only");
    await expectNoAxeViolations();
  });

  it("a chart's documents, reading one partly withheld", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(screen.getByTestId("tab-documents"));
    const withheld = screen.getAllByTestId("document-row").find((row) => row.getAttribute("data-document-id") === "doc-3")!;
    await user.click(within(withheld).getByRole("button"));
    await screen.findByTestId("document-withheld");
    await expectNoAxeViolations();
  });

  it("a chart's documents, reading one with headings, lists and a table", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(screen.getByTestId("tab-documents"));
    await user.click(within(screen.getAllByTestId("document-row")[0]!).getByRole("button"));
    await screen.findByTestId("document-body");
    await expectNoAxeViolations();
  });

  it("export dialog for a trend", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(screen.getByTestId("tab-results"));
    await user.click(screen.getAllByTestId("results-open")[0]!);
    await user.click(screen.getByTestId("export-trend"));
    await screen.findByTestId("export-trend-of");
    await expectNoAxeViolations();
  });

  it("a chart unsealed by breaking the glass, with its banner", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(await screen.findByTestId("break-glass-open"));
    const dialog = screen.getByTestId("break-glass-dialog");
    await user.click(within(dialog).getAllByTestId("break-glass-reason")[0]!);
    await user.type(within(dialog).getByTestId("break-glass-note"), "Unconscious in the emergency room");
    await user.click(within(dialog).getByTestId("break-glass-confirm"));
    await screen.findByTestId("break-glass-banner");
    await expectNoAxeViolations();
  });

  it("a chart opened from a referral, with the referral bar", async () => {
    const { user } = start({}, locale);
    await signIn(user, HEAD_USERNAME);
    await user.click(screen.getByTestId("nav-referrals"));
    const inbox = await screen.findByTestId("referral-inbox");
    await waitFor(() => within(inbox).getAllByTestId("referral-open"));
    await user.click(within(inbox).getAllByTestId("referral-open")[0]!);
    await screen.findByTestId("patient-name");
    await expectNoAxeViolations();
  });

  it("lock screen", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await user.click(screen.getByTestId("lock-now"));
    await screen.findByTestId("lock-screen");
    await expectNoAxeViolations();
  });

  it("referral inbox of a department head", async () => {
    const { user } = start({}, locale);
    await signIn(user, HEAD_USERNAME);
    await user.click(screen.getByTestId("nav-referrals"));
    const inbox = await screen.findByTestId("referral-inbox");
    await waitFor(() => within(inbox).getAllByTestId("referral-row"));
    await expectNoAxeViolations();
  });

  it("access log of a chart, for a department head", async () => {
    const { user } = start({}, locale);
    await signIn(user, HEAD_USERNAME);
    await openWang(user);
    await user.click(screen.getByTestId("who-viewed"));
    const log = screen.getByTestId("access-log");
    await waitFor(() => {
      if (within(log).queryByTestId("access-log-loading")) throw new Error("still loading");
    });
    await expectNoAxeViolations();
  });

  it("audit status for IT", async () => {
    const { user } = start({}, locale);
    await signIn(user, IT_USERNAME);
    const audit = await screen.findByTestId("audit-status");
    await waitFor(() => {
      if (within(audit).queryByTestId("audit-loading")) throw new Error("still loading");
    });
    await expectNoAxeViolations();
  });

  it("diagnostics dialog", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await user.click(screen.getByTestId("diagnostics-open"));
    await screen.findByTestId("diagnostics-text");
    await expectNoAxeViolations();
  });

  it("export dialog", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(await screen.findByTestId("chart-export"));
    await screen.findByTestId("export-dialog");
    await expectNoAxeViolations();
  });

  it("referral decline dialog", async () => {
    const { user } = start({}, locale);
    await signIn(user, HEAD_USERNAME);
    await user.click(screen.getByTestId("nav-referrals"));
    const inbox = await screen.findByTestId("referral-inbox");
    await waitFor(() => within(inbox).getAllByTestId("referral-decline"));
    await user.click(within(inbox).getAllByTestId("referral-decline")[0]!);
    await screen.findByTestId("referral-decision-dialog");
    await expectNoAxeViolations();
  });

  it("break-the-glass dialog", async () => {
    const { user } = start({}, locale);
    await signIn(user);
    await openWang(user);
    await user.click(await screen.findByTestId("break-glass-open"));
    await screen.findByTestId("break-glass-dialog");
    await expectNoAxeViolations();
  });
});

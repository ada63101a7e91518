// The chart's sections as WAI-ARIA tabs: one tab stop, the arrow keys, Home
// and End move between them, and a section once shown is kept (hidden), so
// switching back neither rebuilds it nor loses what the doctor chose there.
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { signIn, startApp } from "../lib/appHarness";
import { openChart, showTab } from "../lib/chartHarness";
import type { ChartContent } from "../lib/fakeBackend";
import { HEAD_USERNAME, sampleCharts } from "../lib/fakeBackend";

/** A chart the size of a Synthea patient's: hundreds of encounters and documents, thousands of results. */
function largeChart(): ChartContent {
  const base = sampleCharts[0]!;
  const day = (i: number) => new Date(Date.UTC(2024, 5, 1) - i * 5 * 86_400_000).toISOString().slice(0, 10);
  return {
    ...base,
    encounters: Array.from({ length: 400 }, (_, i) => ({
      ...base.encounters[0]!,
      id: `enc-big-${i}`,
      start: `${day(i)}T09:00:00+08:00`,
      end: null,
    })),
    results: Array.from({ length: 60 }, (_, s) => ({
      ...base.results[0]!,
      key: `code-${s}|mmol/L`,
      name: `Analyte ${s}`,
      points: Array.from({ length: 60 }, (_, p) => ({
        ...base.results[0]!.points[0]!,
        id: `obs-${s}-${p}`,
        effective: day(60 - p),
        value: 5 + (p % 7) / 2,
        text: String(5 + (p % 7) / 2),
      })),
    })),
    documents: Array.from({ length: 200 }, (_, i) => ({ ...base.documents[0]!, id: `doc-big-${i}`, date: day(i) })),
  };
}

const TABS = ["summary", "timeline", "results", "documents"] as const;

function selected(): string[] {
  return TABS.filter((tab) => screen.getByTestId(`tab-${tab}`).getAttribute("aria-selected") === "true");
}

describe("chart tabs", () => {
  it("are a labelled tab list whose tabs control their panels", async () => {
    await openChart();
    const list = screen.getByRole("tablist", { name: "Chart sections" });
    const tabs = within(list).getAllByRole("tab");
    expect(tabs.map((tab) => tab.getAttribute("data-testid"))).toEqual(TABS.map((tab) => `tab-${tab}`));
    expect(tabs.map((tab) => tab.textContent?.trim())).toEqual(["Summary", "Timeline (6)", "Results (9)", "Documents (4)"]);
    for (const tab of tabs) {
      const panel = document.getElementById(tab.getAttribute("aria-controls")!)!;
      expect(panel).toHaveAttribute("role", "tabpanel");
      expect(panel).toHaveAttribute("aria-labelledby", tab.id);
    }
    expect(screen.getByRole("tabpanel")).toHaveAccessibleName("Summary");
    // One tab stop: the selected tab.
    expect(tabs.map((tab) => tab.getAttribute("tabindex"))).toEqual(["0", "-1", "-1", "-1"]);
  });

  it("are labelled in Chinese", async () => {
    await openChart({ locale: "zh-CN" });
    const tabs = within(screen.getByRole("tablist", { name: "病历内容" })).getAllByRole("tab");
    expect(tabs.map((tab) => tab.textContent?.trim())).toEqual(["摘要", "就诊时间轴 (6)", "检验与体征 (9)", "文书 (4)"]);
  });

  it("move with the arrow keys, Home and End, showing each section", async () => {
    const { user } = await openChart();
    const summary = screen.getByTestId("tab-summary");
    summary.focus();

    await user.keyboard("{ArrowRight}");
    expect(selected()).toEqual(["timeline"]);
    expect(screen.getByTestId("tab-timeline")).toHaveFocus();
    expect(screen.getByTestId("tab-timeline")).toHaveAttribute("tabindex", "0");
    expect(summary).toHaveAttribute("tabindex", "-1");
    expect(screen.getByTestId("panel-timeline")).toBeVisible();
    expect(screen.getByTestId("panel-summary")).not.toBeVisible();

    await user.keyboard("{ArrowRight}");
    expect(selected()).toEqual(["results"]);
    await user.keyboard("{End}");
    expect(selected()).toEqual(["documents"]);
    expect(screen.getByTestId("tab-documents")).toHaveFocus();
    // Past the last, back to the first, and the other way round.
    await user.keyboard("{ArrowRight}");
    expect(selected()).toEqual(["summary"]);
    await user.keyboard("{ArrowLeft}");
    expect(selected()).toEqual(["documents"]);
    await user.keyboard("{Home}");
    expect(selected()).toEqual(["summary"]);
    expect(summary).toHaveFocus();
    expect(screen.getByTestId("panel-summary")).toBeVisible();
  });

  it("lead with Tab from the selected tab into its panel", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    screen.getByTestId("tab-timeline").focus();
    await user.tab();
    expect(screen.getByTestId("panel-timeline")).toHaveFocus();
  });

  it("keep a section that was shown, with the doctor's choices, instead of rebuilding it", async () => {
    const { user } = await openChart();
    const summary = screen.getByTestId("summary");
    // Not built before it is first shown.
    expect(screen.queryByTestId("timeline")).toBeNull();

    await showTab(user, "timeline");
    const timeline = screen.getByTestId("timeline");
    await user.selectOptions(screen.getByTestId("filter-type"), "EMER");
    await showTab(user, "results");
    await user.click(screen.getAllByTestId("results-open")[0]!);
    const chosen = screen.getAllByTestId("results-row")[0]!.getAttribute("data-series");

    await showTab(user, "summary");
    expect(screen.getByTestId("summary")).toBe(summary);
    await showTab(user, "timeline");
    expect(screen.getByTestId("timeline")).toBe(timeline);
    expect(screen.getByTestId("filter-type")).toHaveValue("EMER");
    expect(screen.getAllByTestId("timeline-encounter")).toHaveLength(1);
    await showTab(user, "results");
    const row = screen.getAllByTestId("results-row").find((one) => one.getAttribute("data-series") === chosen)!;
    expect(within(row).getByTestId("results-open")).toHaveAttribute("aria-current", "true");
  });

  it("work in a chart opened from the referral inbox, which the back button returns to", async () => {
    const { user } = startApp();
    await signIn(user, HEAD_USERNAME);
    await user.click(screen.getByTestId("nav-referrals"));
    const inbox = await screen.findByTestId("referral-inbox");
    await waitFor(() => within(inbox).getAllByTestId("referral-open"));
    await user.click(within(inbox).getAllByTestId("referral-open")[0]!);
    await screen.findByTestId("patient-name");
    expect(screen.getByTestId("referral-bar")).toBeInTheDocument();

    await showTab(user, "timeline");
    expect(screen.getAllByTestId("timeline-encounter")).toHaveLength(1);
    await user.click(screen.getByTestId("chart-back"));
    expect(await screen.findByTestId("referral-inbox")).toBeInTheDocument();
    expect(screen.queryByTestId("chart")).toBeNull();
  });

  it("open a chart of Synthea's size a page at a time", async () => {
    const { user } = await openChart({ options: { charts: [largeChart()] } });
    expect(screen.getByTestId("tab-timeline")).toHaveTextContent("Timeline (400)");
    expect(screen.getByTestId("tab-results")).toHaveTextContent("Results (60)");
    // The summary alone is built on opening.
    expect(screen.queryByTestId("timeline")).toBeNull();
    expect(screen.queryByTestId("results")).toBeNull();
    expect(screen.queryByTestId("documents")).toBeNull();

    await showTab(user, "timeline");
    expect(screen.getAllByTestId("timeline-encounter")).toHaveLength(50);
    expect(screen.getByTestId("timeline-count")).toHaveTextContent("Showing 50 of 400 encounters");
    await showTab(user, "documents");
    expect(screen.getAllByTestId("document-row")).toHaveLength(50);
    expect(screen.getByTestId("documents-more")).toHaveTextContent("Show 50 more");
    await showTab(user, "results");
    expect(screen.getAllByTestId("results-row")).toHaveLength(60);
    await user.click(screen.getAllByTestId("results-open")[0]!);
    expect(screen.getAllByTestId("result-point")).toHaveLength(50);
  });
});

describe("Escape on the chart", () => {
  it("is the field's own in a search box, a select or a date field: the chart stays", async () => {
    const { user } = await openChart();
    await showTab(user, "results");
    const find = screen.getByTestId("results-filter");
    await user.type(find, "压");
    await user.keyboard("{Escape}");
    expect(screen.getByTestId("chart")).toBeInTheDocument();
    await user.click(screen.getByTestId("results-kind"));
    await user.keyboard("{Escape}");
    expect(screen.getByTestId("chart")).toBeInTheDocument();

    await showTab(user, "timeline");
    await user.selectOptions(screen.getByTestId("filter-period"), "custom");
    await user.click(screen.getByTestId("filter-from"));
    await user.keyboard("{Escape}");
    expect(screen.getByTestId("chart")).toBeInTheDocument();
    expect(screen.getByTestId("filter-from")).toHaveFocus();
  });

  it("still goes back from anywhere else on the chart", async () => {
    const { user } = await openChart();
    await showTab(user, "results");
    expect(screen.getByTestId("tab-results")).toHaveFocus();
    await user.keyboard("{Escape}");
    await waitFor(() => expect(screen.queryByTestId("chart")).toBeNull());
    expect(screen.getByTestId("search-input")).toBeInTheDocument();
  });
});

// The Timeline tab: every encounter at every hospital on one time axis,
// newest first, filtered by hospital, type and period; an encounter opens
// to what happened in it.
import { screen, waitFor, within } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { EncounterView } from "../bindings/EncounterView";
import { openChart, showTab } from "../lib/chartHarness";
import { sampleCharts } from "../lib/fakeBackend";

const rows = () => within(screen.getByTestId("timeline")).queryAllByTestId("timeline-encounter");
const rowIds = () => rows().map((row) => row.getAttribute("data-encounter-id"));

beforeEach(() => {
  // "Last 12 months" counts back from today: the end of June 2024 here.
  // Only the clock is faked; timers run as usual.
  vi.useFakeTimers({ toFake: ["Date"] });
  vi.setSystemTime(new Date("2024-06-30T12:00:00+08:00"));
});

afterEach(() => {
  vi.useRealTimers();
});

describe("timeline", () => {
  it("shows every encounter newest first, by year, with its type, hospital and reason", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    expect(rowIds()).toEqual(["enc-1", "enc-3", "enc-2", "enc-4", "enc-5", "enc-6"]);
    const [outpatient, emergency, inpatient] = rows();
    expect(within(outpatient!).getByTestId("encounter-type")).toHaveTextContent("Outpatient");
    expect(within(emergency!).getByTestId("encounter-type")).toHaveTextContent("Emergency");
    expect(within(inpatient!).getByTestId("encounter-type")).toHaveTextContent("Inpatient");
    expect(inpatient).toHaveTextContent("Nov 2, 2023, 09:30");
    expect(inpatient).toHaveTextContent("until Nov 9, 2023, 11:00");
    expect(inpatient).toHaveTextContent("肾内科");
    expect(inpatient).toHaveTextContent("Reason: 肾功能下降评估");
    expect(inpatient).toHaveTextContent("6 records");
    expect(within(inpatient!).getByTestId("source-badge")).toHaveTextContent("北京大学第一医院");
    const years = within(screen.getByTestId("timeline")).getAllByRole("heading", { level: 3 });
    expect(years.map((year) => year.textContent?.trim())).toEqual(["2024", "2023", "2021", "2019", "2012"]);
    expect(screen.getByTestId("timeline-count")).toHaveTextContent("Showing 6 of 6 encounters");
  });

  it("says it all in Chinese", async () => {
    const { user } = await openChart({ locale: "zh-CN" });
    await showTab(user, "timeline");
    expect(screen.getByTestId("tab-timeline")).toHaveTextContent("就诊时间轴 (6)");
    const [outpatient, emergency, inpatient] = rows();
    expect(within(outpatient!).getByTestId("encounter-type")).toHaveTextContent("门诊");
    expect(within(emergency!).getByTestId("encounter-type")).toHaveTextContent("急诊");
    expect(within(inpatient!).getByTestId("encounter-type")).toHaveTextContent("住院");
    expect(inpatient).toHaveTextContent("2023年11月2日 09:30");
    expect(screen.getByLabelText("医院")).toBe(screen.getByTestId("filter-hospital"));
    expect(screen.getByLabelText("类型")).toBe(screen.getByTestId("filter-type"));
    expect(screen.getByLabelText("时间范围")).toBe(screen.getByTestId("filter-period"));
    expect(screen.getByTestId("timeline-count")).toHaveTextContent("显示 6 / 6 次就诊");
  });

  it("filters by hospital", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    const hospital = screen.getByTestId("filter-hospital");
    expect(within(hospital).getAllByRole("option").map((option) => option.textContent)).toEqual([
      "All hospitals",
      "北京大学第一医院",
      "北京协和医院",
      "首都医科大学附属北京朝阳医院",
    ]);
    await user.selectOptions(hospital, "北京大学第一医院");
    expect(rowIds()).toEqual(["enc-2", "enc-4"]);
    // Of all the chart's encounters: how much the filter hides shows.
    expect(screen.getByTestId("timeline-count")).toHaveTextContent("Showing 2 of 6 encounters");
  });

  it("filters by type, labelled in the locale", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    const type = screen.getByTestId("filter-type");
    expect(within(type).getAllByRole("option").map((option) => [option.getAttribute("value"), option.textContent])).toEqual([
      ["", "All types"],
      ["AMB", "Outpatient"],
      ["EMER", "Emergency"],
      ["IMP", "Inpatient"],
    ]);
    await user.selectOptions(type, "IMP");
    expect(rowIds()).toEqual(["enc-2", "enc-6"]);
    await user.selectOptions(screen.getByTestId("filter-hospital"), "北京协和医院");
    expect(rowIds()).toEqual(["enc-6"]);
  });

  it("filters by period: the last year, five years, all, or from–to", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    const period = screen.getByTestId("filter-period");
    expect(within(period).getAllByRole("option").map((option) => option.textContent)).toEqual([
      "Last 12 months",
      "Last 5 years",
      "All time",
      "From – to",
    ]);
    expect(period).toHaveValue("all");

    await user.selectOptions(period, "year");
    expect(rowIds()).toEqual(["enc-1", "enc-3", "enc-2"]);
    await user.selectOptions(period, "fiveYears");
    expect(rowIds()).toEqual(["enc-1", "enc-3", "enc-2", "enc-4"]);

    await user.selectOptions(period, "custom");
    await user.type(screen.getByTestId("filter-from"), "2019-01-01");
    await user.type(screen.getByTestId("filter-to"), "2021-12-31");
    expect(rowIds()).toEqual(["enc-4", "enc-5"]);

    await user.selectOptions(screen.getByTestId("filter-type"), "EMER");
    expect(rowIds()).toEqual([]);
    expect(screen.getByTestId("timeline-none")).toHaveTextContent("No encounter matches these filters.");

    await user.click(screen.getByTestId("filter-clear"));
    expect(rowIds()).toHaveLength(6);
    expect(period).toHaveValue("all");
    expect(screen.queryByTestId("filter-clear")).toBeNull();
  });

  it("opens an encounter to what happened in it, grouped by kind", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    const inpatient = rows()[2]!;
    const toggle = within(inpatient).getAllByRole("button")[0]!;
    expect(toggle).toHaveAttribute("aria-expanded", "false");
    expect(screen.queryByTestId("encounter-detail")).toBeNull();

    await user.click(toggle);
    expect(toggle).toHaveAttribute("aria-expanded", "true");
    const detail = within(inpatient).getByTestId("encounter-detail");
    expect(toggle).toHaveAttribute("aria-controls", detail.id);
    const groups = within(detail).getAllByTestId("encounter-items");
    expect(groups.map((group) => group.getAttribute("data-kind"))).toEqual([
      "diagnosis", "procedure", "result", "medication", "document",
    ]);
    expect(within(detail).getAllByRole("heading", { level: 5 }).map((h) => h.textContent)).toEqual([
      "Diagnoses", "Procedures", "Results", "Medications", "Documents",
    ]);
    const creatinine = within(groups[2]!).getAllByTestId("encounter-item")[0]!;
    expect(creatinine).toHaveTextContent("血肌酐");
    expect(creatinine).toHaveTextContent("1.49 mg/dL");
    expect(within(creatinine).getByTestId("result-flag")).toHaveTextContent("High");
    expect(creatinine).toHaveTextContent("Nov 3, 2023");

    // One encounter open at a time; its button closes it again.
    await user.click(within(rows()[0]!).getAllByRole("button")[0]!);
    expect(screen.getAllByTestId("encounter-detail")).toHaveLength(1);
    expect(within(rows()[0]!).getByTestId("encounter-detail")).toBeInTheDocument();
    await user.click(within(rows()[0]!).getAllByRole("button")[0]!);
    expect(screen.queryByTestId("encounter-detail")).toBeNull();
  });

  it("says so when nothing names an encounter", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    await user.click(within(rows()[5]!).getAllByRole("button")[0]!);
    expect(screen.getByTestId("encounter-detail")).toHaveTextContent(
      "No diagnosis, procedure, result, medication or document names this encounter.",
    );
  });

  it("opens an encounter's document in Documents", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    await user.click(within(rows()[2]!).getAllByRole("button")[0]!);
    await user.click(screen.getByTestId("encounter-open-document"));
    expect(screen.getByTestId("tab-documents")).toHaveAttribute("aria-selected", "true");
    const body = screen.getByTestId("document-body");
    expect(within(body).getByRole("heading", { level: 3 })).toHaveTextContent("出院小结");
    await waitFor(() => expect(within(body).getByRole("heading", { level: 3 })).toHaveFocus());
  });

  it("opens an encounter's result in Results", async () => {
    const { user } = await openChart();
    await showTab(user, "timeline");
    await user.click(within(rows()[1]!).getAllByRole("button")[0]!);
    await user.click(screen.getByTestId("encounter-open-series"));
    expect(screen.getByTestId("tab-results")).toHaveAttribute("aria-selected", "true");
    // The emergency's blood pressure: the panel, both pressures.
    expect(within(screen.getByTestId("result-detail")).getByRole("heading", { level: 3 })).toHaveTextContent("收缩压");
    expect(screen.getByTestId("trend-chart")).toHaveAccessibleName(/收缩压, 舒张压/);
  });

  it("shows a long history fifty encounters at a time", async () => {
    const many: EncounterView[] = Array.from({ length: 120 }, (_, i) => ({
      id: `enc-many-${i}`,
      class: "门诊",
      classCode: "AMB",
      kind: "随访",
      start: new Date(Date.UTC(2024, 5, 1) - i * 7 * 86_400_000).toISOString().slice(0, 10),
      end: null,
      hospital: "北京协和医院",
      reason: null,
      items: [],
    }));
    const { user } = await openChart({ options: { charts: [{ ...sampleCharts[0]!, encounters: many }] } });
    await showTab(user, "timeline");
    expect(rows()).toHaveLength(50);
    expect(rowIds()[0]).toBe("enc-many-0");
    expect(screen.getByTestId("timeline-count")).toHaveTextContent("Showing 50 of 120 encounters");

    await user.click(screen.getByTestId("timeline-more"));
    expect(rows()).toHaveLength(100);
    // The keyboard carries on from the first encounter just shown.
    await waitFor(() => expect(within(rows()[50]!).getAllByRole("button")[0]).toHaveFocus());
    expect(screen.getByTestId("timeline-more")).toHaveTextContent("Show 20 more");
    await user.click(screen.getByTestId("timeline-more"));
    expect(rows()).toHaveLength(120);
    expect(screen.queryByTestId("timeline-more")).toBeNull();
  });

  it("keeps partial dates a period may hold, and says how many undated encounters it hides", async () => {
    const base = sampleCharts[0]!;
    const at = (id: string, start: string | null): EncounterView => ({ ...base.encounters[0]!, id, start, end: null, items: [] });
    // A deidentified tier's dates: a month, a year; and one without a date.
    const encounters = [at("enc-month", "2024-03"), at("enc-year", "2023"), at("enc-day", "2022-05-01"), at("enc-none", null)];
    const { user } = await openChart({ options: { charts: [{ ...base, encounters }] } });
    await showTab(user, "timeline");
    expect(screen.queryByTestId("timeline-undated-hidden")).toBeNull();

    // The last 12 months start on 30 June 2023: "2023" may be later that year.
    await user.selectOptions(screen.getByTestId("filter-period"), "year");
    expect(rowIds()).toEqual(["enc-month", "enc-year"]);
    expect(screen.getByTestId("timeline-count")).toHaveTextContent("Showing 2 of 4 encounters");
    expect(screen.getByTestId("timeline-undated-hidden")).toHaveTextContent(
      "1 encounter without a date is not shown: a period cannot place it.",
    );

    await user.selectOptions(screen.getByTestId("filter-period"), "custom");
    await user.type(screen.getByTestId("filter-from"), "2024-03-15");
    expect(rowIds()).toEqual(["enc-month"]);
    expect(screen.getByTestId("timeline-undated-hidden")).toBeInTheDocument();

    await user.click(screen.getByTestId("filter-clear"));
    expect(rowIds()).toHaveLength(4);
    expect(screen.queryByTestId("timeline-undated-hidden")).toBeNull();
  });

  it("says it in Chinese, with several undated encounters", async () => {
    const base = sampleCharts[0]!;
    const encounters = [...base.encounters, { ...base.encounters[0]!, id: "x1", start: null }, { ...base.encounters[0]!, id: "x2", start: null }];
    const { user } = await openChart({ locale: "zh-CN", options: { charts: [{ ...base, encounters }] } });
    await showTab(user, "timeline");
    await user.selectOptions(screen.getByTestId("filter-period"), "fiveYears");
    expect(screen.getByTestId("timeline-count")).toHaveTextContent("显示 4 / 8 次就诊");
    expect(screen.getByTestId("timeline-undated-hidden")).toHaveTextContent("另有 2 次就诊没有日期，按时间范围筛选时未显示。");
  });

  it("counts what matches among all when a filtered list is paged", async () => {
    const many: EncounterView[] = Array.from({ length: 120 }, (_, i) => ({
      id: `enc-many-${i}`,
      class: "门诊",
      classCode: i % 2 === 0 ? "AMB" : "IMP",
      kind: "随访",
      start: new Date(Date.UTC(2024, 5, 1) - i * 7 * 86_400_000).toISOString().slice(0, 10),
      end: null,
      hospital: "北京协和医院",
      reason: null,
      items: [],
    }));
    const { user } = await openChart({ options: { charts: [{ ...sampleCharts[0]!, encounters: many }] } });
    await showTab(user, "timeline");
    await user.selectOptions(screen.getByTestId("filter-type"), "AMB");
    expect(screen.getByTestId("timeline-count")).toHaveTextContent("Showing 50 of 60 matching encounters (120 in all)");
  });
});

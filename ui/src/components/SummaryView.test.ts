// The Summary tab as the doctor sees it on opening a chart: allergies,
// active problems, current medications with every hospital's record, the
// latest vital signs and labs, each result one click from its trend.
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import { openChart } from "../lib/chartHarness";
import { sampleCharts } from "../lib/fakeBackend";

describe("summary", () => {
  it("is the tab a chart opens on", async () => {
    await openChart();
    expect(screen.getByTestId("tab-summary")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("panel-summary")).toBeVisible();
    expect(screen.getByTestId("summary")).toBeInTheDocument();
  });

  it.each([
    ["en", ["Allergies", "Active problems", "Current medications", "Latest vital signs", "Recent labs"]],
    ["zh-CN", ["过敏史", "当前诊断/问题", "当前用药", "最近生命体征", "近期检验"]],
  ] as const)("labels its panels (%s)", async (locale, titles) => {
    await openChart({ locale });
    const summary = screen.getByTestId("summary");
    for (const title of titles) {
      expect(within(summary).getByRole("heading", { name: new RegExp(title) })).toBeInTheDocument();
    }
  });

  it("shows allergies with their criticality in the locale", async () => {
    await openChart({ locale: "zh-CN" });
    const [penicillin, sulfa] = within(screen.getByTestId("allergies")).getAllByTestId("allergy-row");
    expect(within(penicillin!).getByTestId("allergy-criticality")).toHaveTextContent("严重程度: 高");
    expect(within(sulfa!).getByTestId("allergy-criticality")).toHaveTextContent("严重程度: 低");
  });

  it("lists each medication's hospitals with their dates and kind of record", async () => {
    await openChart();
    const rows = within(screen.getByTestId("medications")).getAllByTestId("med-row");
    expect(rows.map((row) => row.getAttribute("data-medication-id"))).toEqual(["med-1", "med-2", "med-2b", "med-3"]);

    const metformin = within(rows[0]!).getAllByTestId("med-source");
    expect(metformin).toHaveLength(2);
    expect(metformin[0]).toHaveTextContent("北京协和医院");
    expect(metformin[0]).toHaveTextContent("May 20, 2024");
    expect(metformin[0]).toHaveTextContent("prescribed");
    expect(metformin[1]).toHaveTextContent("北京大学第一医院");
    expect(metformin[1]).toHaveTextContent("reported");
    expect(within(rows[0]!).queryByTestId("med-also-listed")).toBeNull();
  });

  it("marks a medicine listed at another dose or date, its rows side by side", async () => {
    await openChart();
    const rows = within(screen.getByTestId("medications")).getAllByTestId("med-row");
    const marked = rows.filter((row) => within(row).queryByTestId("med-also-listed"));
    expect(marked.map((row) => row.getAttribute("data-medication-id"))).toEqual(["med-2", "med-2b"]);
    // Next to each other, in one bracket.
    expect(rows.indexOf(marked[1]!) - rows.indexOf(marked[0]!)).toBe(1);
    expect(marked[0]).toHaveClass("grouped", "group-first");
    expect(marked[1]).toHaveClass("grouped", "group-last");
    for (const row of marked) {
      expect(within(row).getByTestId("med-also-listed")).toHaveTextContent("Also listed once more with a different dose or date");
    }
    expect(marked[0]).toHaveTextContent("每日一次，每次1片");
    expect(marked[1]).toHaveTextContent("每日一次，每次2片");
    expect(within(marked[1]!).getByTestId("med-source")).toHaveTextContent("首都医科大学附属北京朝阳医院");
  });

  it("says the same in Chinese", async () => {
    await openChart({ locale: "zh-CN" });
    const mark = within(screen.getByTestId("medications")).getAllByTestId("med-also-listed")[0]!;
    expect(mark).toHaveTextContent("同一药物另有 1 条剂量或日期不同的记录");
    const source = within(screen.getByTestId("medications")).getAllByTestId("med-source")[0]!;
    expect(source).toHaveTextContent("2024年5月20日");
    expect(source).toHaveTextContent("处方");
  });

  it("shows the latest vital signs and labs with their dates and flags", async () => {
    await openChart();
    const vitals = within(screen.getByTestId("vitals")).getAllByTestId("lab-row");
    expect(vitals[0]).toHaveTextContent("血压");
    expect(vitals[0]).toHaveTextContent("148/88 mmHg");
    expect(within(vitals[0]!).getByTestId("lab-flag")).toHaveTextContent("High");

    const labs = within(screen.getByTestId("labs")).getAllByTestId("lab-row");
    expect(labs[0]).toHaveTextContent("May 20, 2024");
    expect(within(labs[3]!).getByTestId("lab-flag")).toHaveTextContent("Low");
    expect(within(labs[4]!).getByTestId("lab-flag")).toHaveTextContent("Normal");
    expect(within(labs[5]!).getByTestId("lab-flag")).toHaveTextContent("Abnormal");
  });

  it("shows dates and flags in Chinese", async () => {
    await openChart({ locale: "zh-CN" });
    const [hba1c] = within(screen.getByTestId("labs")).getAllByTestId("lab-row");
    expect(hba1c).toHaveTextContent("2024年5月20日");
    expect(within(hba1c!).getByTestId("lab-flag")).toHaveTextContent("偏高");
  });

  it("opens a result's series in Results, with the focus on it", async () => {
    const { user } = await openChart();
    const [hba1c] = within(screen.getByTestId("labs")).getAllByTestId("lab-open");
    expect(hba1c).toHaveAccessibleDescription("Opens the trend in Results");
    await user.click(hba1c!);

    expect(screen.getByTestId("tab-results")).toHaveAttribute("aria-selected", "true");
    expect(screen.getByTestId("panel-summary")).not.toBeVisible();
    const row = screen.getAllByTestId("results-row").find((one) => one.getAttribute("data-series") === "4548-4|%")!;
    expect(within(row).getByTestId("results-open")).toHaveAttribute("aria-current", "true");
    const heading = within(screen.getByTestId("result-detail")).getByRole("heading", { level: 3 });
    expect(heading).toHaveTextContent("糖化血红蛋白 (HbA1c)");
    await waitFor(() => expect(heading).toHaveFocus());
    expect(screen.getByTestId("trend-chart")).toBeInTheDocument();
  });

  it("opens blood pressure as its panel: both pressures on one chart", async () => {
    const { user } = await openChart();
    await user.click(within(screen.getByTestId("vitals")).getAllByTestId("lab-open")[0]!);
    const chart = screen.getByTestId("trend-chart");
    expect(chart).toHaveAccessibleName(/收缩压, 舒张压/);
  });

  it("flags a blood pressure by the core's flag: a normal systolic does not hide a high diastolic", async () => {
    const base = sampleCharts[0]!;
    const bp = base.labs.find((lab) => lab.id === "obs-bp-5")!;
    // 128/95: the systolic is normal, the diastolic high; the core flags the reading high.
    const labs = base.labs.map((lab) => (lab === bp ? { ...lab, value: "128/95", interpretation: null, flag: "high" as const } : lab));
    const results = base.results.map((series) => ({
      ...series,
      points: series.points.map((point) =>
        point.id !== bp.id
          ? point
          : series.key.startsWith("8480-6")
            ? { ...point, value: 128, text: "128", flag: "normal" as const }
            : { ...point, value: 95, text: "95", flag: "high" as const },
      ),
    }));
    await openChart({ options: { charts: [{ ...base, labs, results }] } });
    const row = within(screen.getByTestId("vitals")).getAllByTestId("lab-row")[0]!;
    expect(row).toHaveTextContent("128/95 mmHg");
    expect(within(row).getByTestId("lab-flag")).toHaveTextContent("High");
    expect(row).toHaveClass("flagged");
  });

  it("shows a result's value as the lab recorded it", async () => {
    const base = sampleCharts[0]!;
    const labs = base.labs.map((lab) => (lab.id === "obs-1" ? { ...lab, value: "7.10" } : lab));
    await openChart({ options: { charts: [{ ...base, labs }] } });
    expect(within(screen.getByTestId("labs")).getAllByTestId("lab-row")[0]).toHaveTextContent("7.10 %");
  });

  it.each([
    ["zh-CN", "状态: 活动", "状态: 在用", "状态: 已痊愈", "状态: 已停用"],
    ["en", "Status: Active", "Status: Active", "Status: Resolved", "Status: Stopped"],
  ] as const)("says FHIR status codes in the locale, an unknown one as sent (%s)", async (locale, problem, med, resolved, stopped) => {
    const base = sampleCharts[0]!;
    const problems = [
      base.problems[0]!,
      { ...base.problems[1]!, clinicalStatus: "resolved" },
      { ...base.problems[2]!, clinicalStatus: "provisional-local" },
    ];
    const medications = [base.medications[0]!, { ...base.medications[3]!, status: "stopped" }];
    await openChart({ locale, options: { charts: [{ ...base, problems, medications }] } });
    const statuses = within(screen.getByTestId("problems")).getAllByTestId("problem-status");
    expect(statuses.map((status) => status.textContent)).toEqual([problem, resolved, expect.stringContaining("provisional-local")]);
    const meds = within(screen.getByTestId("medications")).getAllByTestId("med-status");
    expect(meds.map((status) => status.textContent)).toEqual([med, stopped]);
    expect(screen.getByTestId("problems")).not.toHaveTextContent(/: active\b/);
  });

  it("groups the digits of its counts", async () => {
    const base = sampleCharts[0]!;
    const problems = Array.from({ length: 1200 }, (_, i) => ({ ...base.problems[0]!, id: `cond-many-${i}` }));
    await openChart({ options: { charts: [{ ...base, problems, resourceCount: 12345, sealed: 1500 }] } });
    expect(within(screen.getByTestId("problems")).getByRole("heading", { level: 3 })).toHaveTextContent("(1,200)");
    expect(screen.getByText("12,345 records from the platform")).toBeInTheDocument();
    expect(screen.getByTestId("chart-sealed")).toHaveTextContent("1,500 restricted records are sealed");
    expect(screen.getByTestId("header-sealed")).toHaveTextContent("1,500");
  });
});

// The Results tab: every series in one table, the chosen one's trend (a
// panel's components together), its reference range and every value, and
// "Export trend" through the core's watermarked export.
import { screen, waitFor, within } from "@testing-library/svelte";
import { describe, expect, it } from "vitest";
import type { ResultPoint } from "../bindings/ResultPoint";
import type { ResultSeries } from "../bindings/ResultSeries";
import { openChart, showTab } from "../lib/chartHarness";
import { sampleCharts } from "../lib/fakeBackend";

const rowOf = (key: string) => screen.getAllByTestId("results-row").find((row) => row.getAttribute("data-series") === key)!;

async function openResults(locale: "en" | "zh-CN" = "en") {
  const started = await openChart({ locale });
  await showTab(started.user, "results");
  return started;
}

async function choose(user: Awaited<ReturnType<typeof openResults>>["user"], key: string) {
  await user.click(within(rowOf(key)).getByTestId("results-open"));
  return screen.getByTestId("result-detail");
}

describe("results", () => {
  it("lists every series with its latest value, flag, date and source", async () => {
    await openResults();
    const rows = screen.getAllByTestId("results-row");
    expect(rows).toHaveLength(9);
    expect(screen.getByTestId("tab-results")).toHaveTextContent("Results (9)");
    const headers = within(screen.getByTestId("results-table")).getAllByRole("columnheader");
    expect(headers.map((header) => header.textContent)).toEqual(["Test", "Latest", "Flag", "Date", "Source"]);

    const hba1c = rowOf("4548-4|%");
    expect(hba1c).toHaveTextContent("糖化血红蛋白 (HbA1c)");
    expect(hba1c).toHaveTextContent("7.8 %");
    expect(within(hba1c).getByTestId("result-flag")).toHaveTextContent("High");
    expect(hba1c).toHaveTextContent("May 20, 2024");
    expect(within(hba1c).getByTestId("source-badge")).toHaveTextContent("北京协和医院");
    expect(screen.getByTestId("results-choose")).toHaveTextContent("Choose a result to see its trend and every value.");
  });

  it("is labelled in Chinese", async () => {
    await openResults("zh-CN");
    expect(screen.getByTestId("tab-results")).toHaveTextContent("检验与体征 (9)");
    const headers = within(screen.getByTestId("results-table")).getAllByRole("columnheader");
    expect(headers.map((header) => header.textContent)).toEqual(["项目", "最近结果", "提示", "日期", "来源"]);
    expect(rowOf("4548-4|%")).toHaveTextContent("2024年5月20日");
    expect(within(rowOf("8480-6|mm[Hg]")).getByTestId("result-flag")).toHaveTextContent("偏高");
    expect(screen.getByTestId("results-choose")).toHaveTextContent("选择一个项目，查看其趋势和全部结果。");
  });

  it("shows the chosen series' trend, range and every value, newest first", async () => {
    const { user } = await openResults();
    const detail = await choose(user, "4548-4|%");
    expect(within(rowOf("4548-4|%")).getByTestId("results-open")).toHaveAttribute("aria-current", "true");
    // Only the one on show: a list of choices, not toggle buttons.
    expect(within(rowOf("1558-6|mmol/L")).getByTestId("results-open")).not.toHaveAttribute("aria-current");
    expect(within(rowOf("4548-4|%")).getByTestId("results-open")).not.toHaveAttribute("aria-pressed");
    expect(within(detail).getByRole("heading", { level: 3 })).toHaveTextContent("糖化血红蛋白 (HbA1c) (%)");
    expect(screen.getByTestId("result-range")).toHaveTextContent("Reference range: 4–6 %");

    const chart = screen.getByTestId("trend-chart");
    expect(chart).toHaveAccessibleName("Trend of 糖化血红蛋白 (HbA1c): 5 values from Mar 11, 2019 to May 20, 2024");
    expect(chart).toHaveTextContent("Latest reference range");
    expect(chart).toHaveTextContent("Outside the reference range");

    const points = within(screen.getByTestId("result-points")).getAllByTestId("result-point");
    expect(points.map((point) => point.textContent)).toEqual([
      expect.stringContaining("May 20, 2024"),
      expect.stringContaining("Nov 3, 2023"),
      expect.stringContaining("Oct 27, 2021"),
      expect.stringContaining("Mar 2, 2020"),
      expect.stringContaining("Mar 11, 2019"),
    ]);
    expect(within(points[3]!).getByTestId("result-flag")).toHaveTextContent("Normal");
    expect(within(points[4]!).getByTestId("source-badge")).toHaveTextContent("北京协和医院");
  });

  it("draws blood pressure's two components together", async () => {
    const { user } = await openResults();
    await choose(user, "8462-4|mm[Hg]");
    const chart = screen.getByTestId("trend-chart");
    expect(chart).toHaveAccessibleName("Trend of 收缩压, 舒张压: 10 values from Mar 11, 2019 to May 20, 2024");
    expect(within(chart).getByRole("list")).toHaveTextContent("Latest reference range");
    // The table has both pressures too, each measurement one row.
    const points = within(screen.getByTestId("result-points")).getAllByTestId("result-point");
    expect(points).toHaveLength(5);
    expect(points[1]).toHaveTextContent("182 mmHg");
    expect(points[1]).toHaveTextContent("104 mmHg");
    // The range is the chosen component's.
    expect(screen.getByTestId("result-range")).toHaveTextContent("Reference range: 60–89 mmHg");
  });

  it("says what a converted value was recorded as", async () => {
    const { user } = await openResults();
    await choose(user, "2160-0|umol/L");
    const converted = within(screen.getByTestId("result-points")).getAllByTestId("result-point")[1]!;
    expect(converted).toHaveTextContent("131.7 μmol/L");
    expect(within(converted).getByTestId("result-recorded")).toHaveTextContent("recorded as 1.49 mg/dL");
  });

  it("shows text results in the table only, without a chart", async () => {
    const { user } = await openResults("zh-CN");
    await choose(user, "20454-5|");
    expect(screen.queryByTestId("trend-chart")).toBeNull();
    expect(screen.getByTestId("results-text-only")).toHaveTextContent("这些结果不是数值，无法绘制趋势图。");
    expect(screen.getByTestId("result-range")).toHaveTextContent("参考范围: 阴性");
    const points = within(screen.getByTestId("result-points")).getAllByTestId("result-point");
    expect(points.map((point) => point.textContent)).toEqual([expect.stringContaining("+"), expect.stringContaining("±")]);
    // Export is still the core's to render.
    expect(screen.getByTestId("export-trend")).toHaveTextContent("导出趋势图");
  });

  it("filters by name and by kind", async () => {
    const { user } = await openResults();
    await user.type(screen.getByTestId("results-filter"), "压");
    expect(screen.getAllByTestId("results-row").map((row) => row.getAttribute("data-series"))).toEqual([
      "8480-6|mm[Hg]",
      "8462-4|mm[Hg]",
    ]);
    await user.clear(screen.getByTestId("results-filter"));
    await user.selectOptions(screen.getByTestId("results-kind"), "vital");
    expect(screen.getAllByTestId("results-row")).toHaveLength(3);
    expect(screen.getByTestId("results-count")).toHaveTextContent("Showing 3 of 9 results");
    await user.type(screen.getByTestId("results-filter"), "HbA1c");
    expect(screen.getByTestId("results-none")).toHaveTextContent("No result matches.");
  });

  it("exports the chosen trend through the core, and puts the focus back", async () => {
    const { user, backend } = await openResults();
    await choose(user, "8480-6|mm[Hg]");
    const button = screen.getByTestId("export-trend");
    expect(button).toHaveTextContent("Export trend");
    expect(button).toHaveAttribute("aria-haspopup", "dialog");
    await user.click(button);

    const dialog = screen.getByTestId("export-dialog");
    expect(within(dialog).getByTestId("export-trend-of")).toHaveTextContent("Trend of 收缩压");
    // Nothing else to choose: a trend is one result's.
    expect(within(dialog).queryByRole("radiogroup")).toBeNull();
    await waitFor(() => expect(within(dialog).getByTestId("export-save")).toHaveFocus());

    await user.click(within(dialog).getByTestId("export-save"));
    await waitFor(() => expect(within(dialog).getByTestId("export-status")).toHaveTextContent("Saved as PDF"));
    await user.click(within(dialog).getByTestId("export-print"));
    await waitFor(() => expect(backend.exports).toHaveLength(2));
    const expected = { patientId: "pat-cn-0001", scope: "trend", series: "8480-6|mm[Hg]", locale: "en" };
    expect(backend.exports).toEqual([
      { kind: "pdf", request: expected },
      { kind: "print", request: expected },
    ]);

    await user.click(within(dialog).getByTestId("export-close"));
    expect(screen.queryByTestId("export-dialog")).toBeNull();
    await waitFor(() => expect(screen.getByTestId("export-trend")).toHaveFocus());
  });

  it("exports in the UI's language", async () => {
    const { user, backend } = await openResults("zh-CN");
    await choose(user, "4548-4|%");
    await user.click(screen.getByTestId("export-trend"));
    expect(screen.getByTestId("export-trend-of")).toHaveTextContent("糖化血红蛋白 (HbA1c)趋势图");
    await user.click(screen.getByTestId("export-save"));
    await waitFor(() => expect(backend.exports).toHaveLength(1));
    expect(backend.exports[0]!.request).toEqual({ patientId: "pat-cn-0001", scope: "trend", series: "4548-4|%", locale: "zh-CN" });
  });

  it("shows a long series fifty values at a time", async () => {
    const base = sampleCharts[0]!;
    const first = base.results[0]!;
    const points: ResultPoint[] = Array.from({ length: 75 }, (_, i) => ({
      ...first.points[0]!,
      id: `obs-long-${i}`,
      effective: new Date(Date.UTC(2015, 0, 1) + i * 30 * 86_400_000).toISOString().slice(0, 10),
      value: 6 + (i % 10) / 10,
      text: String(6 + (i % 10) / 10),
    }));
    const { user } = await openChart({ options: { charts: [{ ...base, results: [{ ...first, points }] }] } });
    await showTab(user, "results");
    await choose(user, first.key);
    expect(screen.getAllByTestId("result-point")).toHaveLength(50);
    await user.click(screen.getByTestId("result-points-more"));
    expect(screen.getAllByTestId("result-point")).toHaveLength(75);
    expect(screen.queryByTestId("result-points-more")).toBeNull();
  });

  it("gives a panel's every-value table one column per component, each value with its flag", async () => {
    const { user } = await openResults();
    await choose(user, "8480-6|mm[Hg]");
    const table = screen.getByTestId("result-points");
    const headers = within(table).getAllByRole("columnheader");
    expect(headers.map((header) => header.textContent?.trim())).toEqual(["Date", "收缩压 (mmHg)", "舒张压 (mmHg)", "Source"]);
    const [latest, emergency] = within(table).getAllByTestId("result-point");
    const cells = (row: HTMLElement) => within(row).getAllByRole("cell");
    // 148/88 on May 20, 2024: a high systolic beside a normal diastolic.
    expect(cells(latest!)[0]).toHaveTextContent("May 20, 2024");
    expect(cells(latest!)[1]).toHaveTextContent("148 mmHg");
    expect(within(cells(latest!)[1]!).getByTestId("result-flag")).toHaveTextContent("High");
    expect(cells(latest!)[2]).toHaveTextContent("88 mmHg");
    expect(within(cells(latest!)[2]!).getByTestId("result-flag")).toHaveTextContent("Normal");
    expect(cells(emergency!)[1]).toHaveTextContent("182 mmHg");
    expect(cells(emergency!)[2]).toHaveTextContent("104 mmHg");
    expect(within(cells(emergency!)[3]!).getByTestId("source-badge")).toHaveTextContent("首都医科大学附属北京朝阳医院");
  });

  it("says how many values each series can draw", async () => {
    await openResults();
    expect(rowOf("4548-4|%")).toHaveAttribute("data-points", "5");
    expect(rowOf("20454-5|")).toHaveAttribute("data-points", "0");
  });

  it("shows values as the lab wrote them and ranges without rounding them away", async () => {
    const range = { low: null, high: 0.005, text: null };
    const at = (id: string, effective: string, value: number | null, text: string): ResultPoint => ({
      id, effective, value, text, recorded: null, flag: null, range, source: "北京协和医院", encounter: null,
    });
    const troponin: ResultSeries = {
      key: "6598-7|ng/mL", code: "6598-7", name: "肌钙蛋白T", kind: "lab", unit: "ng/mL", range, panel: null,
      points: [
        at("t1", "2024-01-01", 0.004, "0.004"),
        at("t2", "2024-02-01", 5.551, "5.551"),
        at("t3", "2024-03-01", null, "<0.01"),
        at("t4", "2024-04-01", 7.1, "7.10"),
      ],
    };
    const { user } = await openChart({ options: { charts: [{ ...sampleCharts[0]!, results: [troponin] }] } });
    await showTab(user, "results");
    expect(rowOf(troponin.key)).toHaveTextContent("7.10 ng/mL");
    await choose(user, troponin.key);
    expect(screen.getByTestId("result-range")).toHaveTextContent("Reference range: ≤ 0.005 ng/mL");
    const values = within(screen.getByTestId("result-points"))
      .getAllByTestId("result-point")
      .map((row) => within(row).getAllByRole("cell")[1]!.textContent?.replace(/\s+/g, " ").trim());
    // A bound ("<0.01") is a number in the series' unit too, though not drawn.
    expect(values).toEqual(["7.10 ng/mL", "<0.01 ng/mL", "5.551 ng/mL", "0.004 ng/mL"]);
  });

  it("keeps words without a unit", async () => {
    const { user } = await openResults();
    await choose(user, "20454-5|");
    for (const row of screen.getAllByTestId("result-point")) expect(row.querySelector(".unit")).toBeNull();
  });

  it("puts the focus on the first value a 'show more' brought", async () => {
    const base = sampleCharts[0]!;
    const first = base.results[0]!;
    const points: ResultPoint[] = Array.from({ length: 120 }, (_, i) => ({
      ...first.points[0]!,
      id: `obs-long-${i}`,
      effective: new Date(Date.UTC(2015, 0, 1) + i * 30 * 86_400_000).toISOString().slice(0, 10),
      value: 6 + (i % 10) / 10,
      text: String(6 + (i % 10) / 10),
    }));
    const { user } = await openChart({ options: { charts: [{ ...base, results: [{ ...first, points }] }] } });
    await showTab(user, "results");
    await choose(user, first.key);
    await user.click(screen.getByTestId("result-points-more"));
    await waitFor(() => expect(screen.getAllByTestId("result-point")[50]).toHaveFocus());
    // The last "show more" too: its button is gone, the focus is not lost with it.
    await user.click(screen.getByTestId("result-points-more"));
    expect(screen.queryByTestId("result-points-more")).toBeNull();
    await waitFor(() => expect(screen.getAllByTestId("result-point")[100]).toHaveFocus());
  });
});

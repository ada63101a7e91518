// The trend chart's data and options, without a canvas: what uPlot is given.
import { describe, expect, it } from "vitest";
import type { ResultFlag } from "../bindings/ResultFlag";
import type { ResultPoint } from "../bindings/ResultPoint";
import type { ResultSeries } from "../bindings/ResultSeries";
import { sampleCharts } from "./fakeBackend";
import { alignedData, axisPrecision, prepareTrend } from "./trend";
import { axisDateLabels, axisValueLabels, FALLBACK_COLOURS, trendOptions } from "./trendChart";

function point(id: string, effective: string | null, value: number | null, flag: ResultFlag | null = null): ResultPoint {
  return { id, effective, value, text: String(value), recorded: null, flag, range: null, source: null, encounter: null };
}

function series(key: string, points: ResultPoint[], fields: Partial<ResultSeries> = {}): ResultSeries {
  return { key, code: null, name: key, kind: "lab", unit: "mmol/L", range: null, panel: null, points, ...fields };
}

const seconds = (value: string) => Date.parse(value) / 1000;

describe("prepareTrend", () => {
  it("puts one series' numeric, dated points on the time axis, oldest first", () => {
    const trend = prepareTrend([
      series("glucose", [
        point("a", "2023-11-03", 7.4, "high"),
        point("b", null, 6.1),
        point("c", "2024-05-20", 8.1, "high"),
        point("d", "2024-01-01", null),
        point("e", "2022-01-01", 5.5, "normal"),
      ], { range: { low: 3.9, high: 6.1, text: null } }),
    ])!;
    expect(trend.x).toEqual([seconds("2022-01-01"), seconds("2023-11-03"), seconds("2024-05-20")]);
    expect(trend.lines[0]!.values).toEqual([5.5, 7.4, 8.1]);
    expect(trend.lines[0]!.abnormal).toEqual([false, true, true]);
    expect(trend.lines[0]!.range).toEqual({ low: 3.9, high: 6.1 });
    expect(trend.count).toBe(3);
    expect([trend.first, trend.last]).toEqual(["2022-01-01", "2024-05-20"]);
    // The scale holds every value and both ends of the range, with air.
    expect(trend.yMin).toBeLessThan(3.9);
    expect(trend.yMax).toBeGreaterThan(8.1);
  });

  it("aligns a panel's components on shared times, null where one has no value", () => {
    const trend = prepareTrend([
      series("systolic", [point("bp1", "2024-01-15T22:20:00+08:00", 182, "criticalHigh"), point("bp2", "2024-05-20", 148, "high")]),
      series("diastolic", [point("bp0", "2023-01-01", 80, "normal"), point("bp2", "2024-05-20", 88, "normal")]),
    ])!;
    expect(trend.x).toEqual([seconds("2023-01-01"), seconds("2024-01-15T22:20:00+08:00"), seconds("2024-05-20")]);
    expect(alignedData(trend)).toEqual([trend.x, [null, 182, 148], [80, null, 88]]);
    expect(trend.lines.map((line) => line.abnormal)).toEqual([[false, true, true], [false, false, false]]);
    expect(trend.count).toBe(4);
  });

  it("keeps two results of the same moment, a second apart", () => {
    const trend = prepareTrend([series("k", [point("a", "2024-05-20", 4.1), point("b", "2024-05-20", 4.4)])])!;
    expect(trend.x).toEqual([seconds("2024-05-20"), seconds("2024-05-20") + 1]);
    expect(trend.lines[0]!.values).toEqual([4.1, 4.4]);
  });

  it("has nothing to draw for text results", () => {
    expect(prepareTrend([series("urine", [point("a", "2024-05-20", null)])])).toBeNull();
    expect(prepareTrend([])).toBeNull();
  });

  it("gives a single flat value some height", () => {
    const trend = prepareTrend([series("k", [point("a", "2024-05-20", 4)])])!;
    expect(trend.yMin).toBeLessThan(4);
    expect(trend.yMax).toBeGreaterThan(4);
  });

  it("draws the demo's blood pressure panel as two lines over five years", () => {
    const wang = sampleCharts[0]!;
    const panel = wang.results.filter((one) => one.panel === "85354-9");
    const trend = prepareTrend(panel)!;
    expect(trend.lines.map((line) => line.name)).toEqual(["收缩压", "舒张压"]);
    expect(trend.x).toHaveLength(5);
    expect(trend.lines.every((line) => line.values.every((value) => value !== null))).toBe(true);
  });
});

describe("trend chart options", () => {
  const trend = prepareTrend([
    series("systolic", [point("a", "2019-03-11", 136, "normal"), point("b", "2024-05-20", 148, "high")], {
      name: "收缩压",
      unit: "mmHg",
      range: { low: 90, high: 139, text: null },
    }),
  ])!;

  it("labels the axes in the UI's locale", () => {
    expect(axisPrecision(trend.x)).toBe("year");
    expect(axisDateLabels(trend.x, "zh-CN", "UTC")([seconds("2020-01-01")])).toEqual(["2020年"]);
    expect(axisDateLabels([0, 86_400 * 200], "en", "UTC")([seconds("2020-03-01")])).toEqual(["Mar 2020"]);
    expect(axisDateLabels([0, 86_400 * 30], "en", "UTC")([seconds("2020-03-01")])).toEqual(["Mar 1"]);
    expect(axisValueLabels("en")([1000, 1500.5])).toEqual(["1,000", "1,500.5"]);
  });

  it("gives uPlot one line per series on a time axis with the prepared scale", () => {
    const options = trendOptions(trend, { locale: "zh-CN", colours: FALLBACK_COLOURS, width: 600, height: 280, dateLabel: "日期" });
    expect(options.series).toHaveLength(2);
    expect(options.series[0]!.label).toBe("日期");
    expect(options.series[1]!.label).toBe("收缩压 (mmHg)");
    expect(options.series[1]!.stroke).toBe(FALLBACK_COLOURS.lines[0]);
    expect(options.scales?.x?.time).toBe(true);
    expect(options.scales?.y?.range).toEqual([trend.yMin, trend.yMax]);
    // The range band under the lines, the rings over them.
    expect(options.hooks?.drawClear).toHaveLength(1);
    expect(options.hooks?.draw).toHaveLength(1);
  });
});

// The trend chart's data and options, without a canvas: what uPlot is given.
import { describe, expect, it } from "vitest";
import type { ResultFlag } from "../bindings/ResultFlag";
import type { ResultPoint } from "../bindings/ResultPoint";
import type { ResultSeries } from "../bindings/ResultSeries";
import { sampleCharts } from "./fakeBackend";
import { alignedData, prepareTrend } from "./trend";
import { axisDateLabels, axisPrecision, axisValueLabels, FALLBACK_COLOURS, trendOptions, utcDate } from "./trendChart";

function point(id: string, effective: string | null, value: number | null, flag: ResultFlag | null = null): ResultPoint {
  return { id, effective, value, text: String(value), recorded: null, flag, range: null, source: null, encounter: null };
}

function series(key: string, points: ResultPoint[], fields: Partial<ResultSeries> = {}): ResultSeries {
  return { key, code: null, name: key, kind: "lab", unit: "mmol/L", range: null, panel: null, points, ...fields };
}

/** Seconds of a date without a time (midnight UTC: its wall clock read as UTC). */
const seconds = (value: string) => Date.parse(value) / 1000;
/** Seconds of a wall-clock reading taken as UTC, as the chart places results. */
const wall = (year: number, month: number, day: number, hour = 0, minute = 0) => Date.UTC(year, month - 1, day, hour, minute) / 1000;

const DAY = 86_400;

/** Runs `body` with the workstation in time zone `zone` (Node reads TZ afresh). */
function inZone(zone: string, body: () => void) {
  const before = process.env.TZ;
  process.env.TZ = zone;
  try {
    body();
  } finally {
    if (before === undefined) delete process.env.TZ;
    else process.env.TZ = before;
  }
}

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
    expect(trend.x).toEqual([seconds("2023-01-01"), wall(2024, 1, 15, 22, 20), seconds("2024-05-20")]);
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

  it("labels the axes in the UI's locale, as precise as the ticks are apart", () => {
    expect(axisPrecision(365 * DAY)).toBe("year");
    expect(axisPrecision(30 * DAY)).toBe("month");
    expect(axisPrecision(DAY)).toBe("day");
    expect(axisPrecision(6 * 3600)).toBe("minute");
    expect(axisDateLabels("zh-CN")([seconds("2020-01-01")], 365 * DAY)).toEqual(["2020年"]);
    expect(axisDateLabels("en")([seconds("2020-03-01")], 60 * DAY)).toEqual(["Mar 2020"]);
    expect(axisDateLabels("en")([seconds("2020-03-01"), seconds("2020-03-08")], 7 * DAY)).toEqual(["Mar 1", "Mar 8"]);
    // Under a day, the time of day too.
    expect(axisDateLabels("en")([wall(2024, 1, 15, 18), wall(2024, 1, 16, 0)], 6 * 3600)).toEqual([
      "Jan 15, 18:00",
      "Jan 16, 00:00",
    ]);
    // Days in two years name their year.
    expect(axisDateLabels("en")([wall(2023, 12, 25), wall(2024, 1, 1)], 7 * DAY)).toEqual(["Dec 25, 2023", "Jan 1, 2024"]);
    expect(axisValueLabels("en")([1000, 1500.5])).toEqual(["1,000", "1,500.5"]);
    expect(axisValueLabels("en")([0, 0.0025, 0.005])).toEqual(["0", "0.0025", "0.005"]);
  });

  it("never repeats a label: quarterly ticks over five years say their months", () => {
    // The span (five years) once chose year labels for every tick: "2020, 2020, 2021".
    const ticks = [wall(2020, 1, 1), wall(2020, 4, 1), wall(2020, 7, 1), wall(2020, 10, 1), wall(2021, 1, 1)];
    const labels = axisDateLabels("en")(ticks, 90 * DAY);
    expect(labels).toEqual(["Jan 2020", "Apr 2020", "Jul 2020", "Oct 2020", "Jan 2021"]);
    expect(new Set(labels).size).toBe(labels.length);
  });

  it("gives uPlot the axis labels by its tick increment", () => {
    const options = trendOptions(trend, { locale: "en", colours: FALLBACK_COLOURS, width: 600, height: 280, dateLabel: "Date" });
    const values = options.axes![0]!.values as (u: unknown, ticks: number[], axis: number, space: number, incr: number) => string[];
    expect(values(null, [wall(2020, 1, 1), wall(2020, 2, 1)], 0, 50, 30 * DAY)).toEqual(["Jan 2020", "Feb 2020"]);
    expect(values(null, [wall(2020, 1, 1), wall(2021, 1, 1)], 0, 50, 365 * DAY)).toEqual(["2020", "2021"]);
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

describe("trend dates and values as the tables show them", () => {
  const bp = prepareTrend([
    series(
      "systolic",
      [
        point("m", "2024-03", 150, "high"),
        { ...point("e", "2024-01-15T22:20:00+08:00", 182, "criticalHigh"), text: "182" },
        point("d", "2024-05-20", 148, "high"),
      ],
      { name: "收缩压", unit: "mmHg" },
    ),
    series("diastolic", [point("e", "2024-01-15T22:20:00+08:00", 104, "high"), point("d", "2024-05-20", 88)], {
      name: "舒张压",
      unit: "mmHg",
    }),
  ])!;
  const options = (locale: "en" | "zh-CN" = "en") =>
    trendOptions(bp, { locale, colours: FALLBACK_COLOURS, width: 600, height: 280, dateLabel: "Date" });
  type Legend = (u: unknown, raw: number | null, series: number, index: number | null) => string;
  const legend = (locale: "en" | "zh-CN", series: number, index: number | null) =>
    (options(locale).series[series]!.value as Legend)(null, null, series, index);

  it("places a result by the wall clock its hospital recorded, not by the instant", () => {
    // 22:20 in Beijing is 14:20 UTC: placed by the instant, a workstation
    // west of Beijing drew it a day before the table's date.
    expect(bp.x).toEqual([wall(2024, 1, 15, 22, 20), wall(2024, 3, 1), wall(2024, 5, 20)]);
    expect(bp.effective).toEqual(["2024-01-15T22:20:00+08:00", "2024-03", "2024-05-20"]);
  });

  it("has uPlot place its ticks in UTC, whatever the workstation's zone", () => {
    expect(options().tzDate).toBe(utcDate);
    for (const zone of ["America/Los_Angeles", "Asia/Shanghai", "UTC"]) {
      inZone(zone, () => {
        const date = utcDate(wall(2024, 1, 15, 22, 20));
        expect([date.getFullYear(), date.getMonth(), date.getDate(), date.getHours(), date.getMinutes()]).toEqual([2024, 0, 15, 22, 20]);
      });
    }
  });

  it("labels the axis with the recorded day in any time zone", () => {
    inZone("America/Los_Angeles", () => {
      expect(axisDateLabels("en")([wall(2024, 1, 15)], DAY)).toEqual(["Jan 15"]);
    });
  });

  it("says each point's own date in the legend, as precise as recorded", () => {
    expect(legend("en", 0, 0)).toBe("Jan 15, 2024, 22:20");
    // A month alone (a deidentified tier's "2024-03") stays a month, never a precise day.
    expect(legend("en", 0, 1)).toBe("Mar 2024");
    expect(legend("zh-CN", 0, 1)).toBe("2024年3月");
    expect(legend("en", 0, 2)).toBe("May 20, 2024");
    expect(legend("en", 0, null)).toBe("–");
  });

  it("says each value in the legend as the core wrote it", () => {
    const small = prepareTrend([
      series("troponin", [
        { ...point("a", "2024-01-01", 0.004), text: "0.004" },
        { ...point("b", "2024-02-01", 7.1), text: "7.10" },
      ]),
    ])!;
    const values = trendOptions(small, { locale: "en", colours: FALLBACK_COLOURS, width: 600, height: 280, dateLabel: "Date" })
      .series[1]!.value as Legend;
    expect(values(null, 0.004, 1, 0)).toBe("0.004");
    expect(values(null, 7.1, 1, 1)).toBe("7.10");
    expect(values(null, null, 1, null)).toBe("–");
    // A panel's line without a value at that time says so.
    expect(legend("en", 2, 1)).toBe("–");
    expect(legend("en", 2, 0)).toBe("104");
  });

  it("dashes a panel's second line, so colour is not the only difference", () => {
    const [, first, second] = options().series;
    expect(first!.dash).toBeUndefined();
    expect(second!.dash).toEqual([8, 5]);
    const dash = options().legend!.markers!.dash as (u: unknown, series: number) => string;
    expect([dash(null, 1), dash(null, 2)]).toEqual(["solid", "dashed"]);
  });

  it("scales a long series without spreading it into Math.min's arguments", () => {
    const points = Array.from({ length: 300_000 }, (_, i) => point(`p${i}`, "2020-01-01", (i % 1000) / 10));
    const trend = prepareTrend([series("long", points)])!;
    expect(trend.count).toBe(300_000);
    expect(trend.yMin).toBeLessThan(0);
    expect(trend.yMax).toBeGreaterThan(99.9);
  });
});

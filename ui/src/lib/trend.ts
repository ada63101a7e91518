// The data of a trend chart, prepared for uPlot: pure, so it is tested
// without a canvas (jsdom has none). uPlot wants one ascending x array and,
// per line, a y array aligned to it (`null` where that line has no value).
// A panel's components (systolic and diastolic pressure) come from the same
// Observations, so they share their x values.
//
// Times are the wall clock the hospital recorded (format.ts's `wallClock`,
// read as UTC), as every table of the chart shows them: a result at 22:20
// in Beijing sits on its own day in any workstation's time zone, and the
// chart draws it (with `tzDate` in UTC) where the table dates it.
import type { ResultSeries } from "../bindings/ResultSeries";
import { isAbnormal } from "./chartViews";
import { wallClock } from "./format";

export interface TrendLine {
  key: string;
  name: string;
  unit: string | null;
  /** Aligned to `TrendData.x`. */
  values: (number | null)[];
  /** Aligned to `TrendData.x`: the value as the core wrote it, for the legend. */
  texts: (string | null)[];
  /** Aligned to `TrendData.x`: the point there is flagged outside its range. */
  abnormal: boolean[];
  /** The range to draw (the series' latest), with at least one numeric end. */
  range: { low: number | null; high: number | null } | null;
}

export interface TrendData {
  /** Seconds of the recorded wall-clock time read as UTC, ascending, unique. */
  x: number[];
  /** Aligned to `x`: the date as the core sent it, for the legend (its precision and time of day kept). */
  effective: string[];
  lines: TrendLine[];
  /** The y scale: every value and range end, with some air. */
  yMin: number;
  yMax: number;
  /** How many values are drawn, and the dates of the first and last (as the core sent them). */
  count: number;
  first: string;
  last: string;
}

interface Placed {
  t: number;
  value: number;
  text: string;
  abnormal: boolean;
  effective: string;
}

/**
 * Where each numeric, dated point of a series goes on the time axis. Two
 * results at the same moment (a date without a time, measured twice) are
 * both kept, a second apart, so no value disappears from the chart.
 */
function place(series: ResultSeries): Placed[] {
  const placed: Placed[] = [];
  for (const point of series.points) {
    const wall = point.effective === null ? null : wallClock(point.effective);
    if (wall === null || point.value === null || !Number.isFinite(point.value)) continue;
    placed.push({
      t: Math.floor(wall.time / 1000),
      value: point.value,
      text: point.text,
      abnormal: isAbnormal(point.flag),
      effective: point.effective!,
    });
  }
  placed.sort((a, b) => a.t - b.t);
  for (let i = 1; i < placed.length; i++) {
    const previous = placed[i - 1]!;
    const current = placed[i]!;
    if (current.t <= previous.t) current.t = previous.t + 1;
  }
  return placed;
}

function numericRange(series: ResultSeries): TrendLine["range"] {
  const range = series.range;
  if (!range) return null;
  const low = range.low !== null && Number.isFinite(range.low) ? range.low : null;
  const high = range.high !== null && Number.isFinite(range.high) ? range.high : null;
  return low === null && high === null ? null : { low, high };
}

/** The chart of `series` (one, or a panel's components); `null` when nothing numeric and dated is there to draw. */
export function prepareTrend(series: readonly ResultSeries[]): TrendData | null {
  const placed = series.map(place);
  const all = placed.flat();
  if (all.length === 0) return null;

  const x = [...new Set(all.map((p) => p.t))].sort((a, b) => a - b);
  const index = new Map(x.map((t, i) => [t, i]));
  const effective: string[] = new Array<string>(x.length).fill("");
  const lines: TrendLine[] = series.map((one, i) => {
    const values: (number | null)[] = new Array<number | null>(x.length).fill(null);
    const texts: (string | null)[] = new Array<string | null>(x.length).fill(null);
    const abnormal: boolean[] = new Array<boolean>(x.length).fill(false);
    for (const p of placed[i]!) {
      const at = index.get(p.t)!;
      values[at] = p.value;
      texts[at] = p.text;
      abnormal[at] = p.abnormal;
      if (!effective[at]) effective[at] = p.effective;
    }
    return { key: one.key, name: one.name, unit: one.unit, values, texts, abnormal, range: numericRange(one) };
  });

  // A loop, not Math.min(...values): a long series would overflow the call stack.
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  const include = (value: number) => {
    if (value < min) min = value;
    if (value > max) max = value;
  };
  for (const p of all) include(p.value);
  for (const line of lines) {
    if (line.range?.low != null) include(line.range.low);
    if (line.range?.high != null) include(line.range.high);
  }
  // One value alone gets air in proportion to it (0.004 is not lost in a scale of ±1).
  const pad = max > min ? (max - min) * 0.08 : max !== 0 ? Math.abs(max) * 0.1 : 1;

  const byTime = [...all].sort((a, b) => a.t - b.t);
  return {
    x,
    effective,
    lines,
    yMin: min - pad,
    yMax: max + pad,
    count: all.length,
    first: byTime[0]!.effective,
    last: byTime[byTime.length - 1]!.effective,
  };
}

/** uPlot's aligned data: the x array, then one y array per line. */
export function alignedData(trend: TrendData): [number[], ...(number | null)[][]] {
  return [trend.x, ...trend.lines.map((line) => line.values)];
}

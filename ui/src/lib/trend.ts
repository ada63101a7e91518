// The data of a trend chart, prepared for uPlot: pure, so it is tested
// without a canvas (jsdom has none). uPlot wants one ascending x array and,
// per line, a y array aligned to it (`null` where that line has no value).
// A panel's components (systolic and diastolic pressure) come from the same
// Observations, so they share their x values.
import type { ResultSeries } from "../bindings/ResultSeries";
import { isAbnormal } from "./chartViews";
import { timeOfValue } from "./format";

export interface TrendLine {
  key: string;
  name: string;
  unit: string | null;
  /** Aligned to `TrendData.x`. */
  values: (number | null)[];
  /** Aligned to `TrendData.x`: the point there is flagged outside its range. */
  abnormal: boolean[];
  /** The range to draw (the series' latest), with at least one numeric end. */
  range: { low: number | null; high: number | null } | null;
}

export interface TrendData {
  /** Seconds since the epoch, ascending, unique. */
  x: number[];
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
    const time = timeOfValue(point.effective);
    if (time === null || point.value === null || !Number.isFinite(point.value) || point.effective === null) continue;
    placed.push({ t: Math.floor(time / 1000), value: point.value, abnormal: isAbnormal(point.flag), effective: point.effective });
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
  const lines: TrendLine[] = series.map((one, i) => {
    const values: (number | null)[] = new Array<number | null>(x.length).fill(null);
    const abnormal: boolean[] = new Array<boolean>(x.length).fill(false);
    for (const p of placed[i]!) {
      const at = index.get(p.t)!;
      values[at] = p.value;
      abnormal[at] = p.abnormal;
    }
    return { key: one.key, name: one.name, unit: one.unit, values, abnormal, range: numericRange(one) };
  });

  const ys = all.map((p) => p.value);
  for (const line of lines) {
    if (line.range?.low != null) ys.push(line.range.low);
    if (line.range?.high != null) ys.push(line.range.high);
  }
  const min = Math.min(...ys);
  const max = Math.max(...ys);
  const pad = max > min ? (max - min) * 0.08 : Math.max(Math.abs(max) * 0.1, 1);

  const byTime = [...all].sort((a, b) => a.t - b.t);
  return {
    x,
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

/**
 * How the x axis labels its ticks: by day for spans up to about three
 * months, by month up to about three years, by year beyond.
 */
export function axisPrecision(x: readonly number[]): "day" | "month" | "year" {
  const span = x.length > 1 ? x[x.length - 1]! - x[0]! : 0;
  const days = span / 86_400;
  if (days <= 92) return "day";
  if (days <= 3 * 366) return "month";
  return "year";
}

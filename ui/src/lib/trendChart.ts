// uPlot's options for a trend: its lines, the reference ranges as bands
// drawn beneath them, abnormal values ringed above them, the axes labelled
// in the UI's locale. Only uPlot's types are imported here: the library
// itself is loaded by TrendChart.svelte where a canvas exists.
import type uPlot from "uplot";
import { formatDayTime, formatNumber, formatResultText } from "./format";
import type { Locale } from "./i18n";
import type { TrendData } from "./trend";

/** The colours a chart draws with, read from app.css (`--trend-*`), so the legend and the canvas agree. */
export interface TrendColours {
  lines: string[];
  band: string;
  abnormal: string;
  axis: string;
  grid: string;
}

export const FALLBACK_COLOURS: TrendColours = {
  lines: ["#0b5cad", "#a34a00", "#2e7d32"],
  band: "#e3f1e4",
  abnormal: "#c62828",
  axis: "#4a5560",
  grid: "#e3e8ed",
};

/** The chart's colours from the custom properties in force at `element`. */
export function coloursAt(element: Element): TrendColours {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    lines: FALLBACK_COLOURS.lines.map((fallback, i) => read(`--trend-${i + 1}`, fallback)),
    band: read("--trend-band", FALLBACK_COLOURS.band),
    abnormal: read("--trend-abnormal", FALLBACK_COLOURS.abnormal),
    axis: read("--muted", FALLBACK_COLOURS.axis),
    grid: read("--border-soft", FALLBACK_COLOURS.grid),
  };
}

const DAY = 86_400;

/** How precise the x axis's labels are: what one tick to the next moves by. */
export type AxisPrecision = "year" | "month" | "day" | "minute";

/**
 * The precision of labels `increment` seconds apart (uPlot's `foundIncr`:
 * it steps by days, by 30-day months and by 365-day years).
 */
export function axisPrecision(increment: number): AxisPrecision {
  if (increment >= 365 * DAY) return "year";
  if (increment >= 28 * DAY) return "month";
  if (increment >= DAY) return "day";
  return "minute";
}

const AXIS_DATE: Record<AxisPrecision, Intl.DateTimeFormatOptions> = {
  year: { year: "numeric" },
  month: { year: "numeric", month: "short" },
  day: { month: "short", day: "numeric" },
  minute: { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" },
};

/**
 * The x axis's tick labels in the locale (uPlot's own are English), as
 * precise as the ticks are apart: years, months, days, or the time of day
 * for ticks less than a day apart. Days name their year too when the ticks
 * reach into another. The ticks are wall-clock times read as UTC (see
 * lib/trend.ts), so they are formatted in UTC.
 */
export function axisDateLabels(locale: Locale): (ticks: number[], increment: number) => string[] {
  const formats = new Map<string, Intl.DateTimeFormat>();
  const formatter = (precision: AxisPrecision, withYear: boolean) => {
    const key = `${precision}|${withYear}`;
    let format = formats.get(key);
    if (!format) {
      const options = { ...AXIS_DATE[precision], ...(withYear && precision !== "year" ? { year: "numeric" as const } : {}) };
      format = new Intl.DateTimeFormat(locale, { ...options, timeZone: "UTC" });
      formats.set(key, format);
    }
    return format;
  };
  return (ticks, increment) => {
    const precision = axisPrecision(increment);
    const years = new Set(ticks.map((tick) => new Date(tick * 1000).getUTCFullYear()));
    const format = formatter(precision, precision !== "month" && years.size > 1);
    return ticks.map((tick) => format.format(tick * 1000));
  };
}

/**
 * What uPlot calls `tzDate`: the Date whose local fields read as `seconds`
 * does in UTC (as `uPlot.tzDate(date, "UTC")` makes it), so ticks fall on
 * the recorded wall clock's midnights and months in every time zone.
 */
export function utcDate(seconds: number): Date {
  const date = new Date(seconds * 1000);
  return new Date(date.getTime() + date.getTimezoneOffset() * 60_000);
}

/** The y axis's tick labels: numbers in the locale. */
export function axisValueLabels(locale: Locale): (ticks: number[]) => string[] {
  return (ticks) => ticks.map((tick) => formatNumber(tick, locale));
}

/** Paints each line's reference range as a band (and its ends as dashed lines) before the lines are drawn. */
function drawRanges(trend: TrendData, colours: TrendColours) {
  return (u: uPlot) => {
    const { ctx, bbox } = u;
    ctx.save();
    trend.lines.forEach((line, i) => {
      if (!line.range) return;
      const top = u.valToPos(line.range.high ?? trend.yMax, "y", true);
      const bottom = u.valToPos(line.range.low ?? trend.yMin, "y", true);
      ctx.globalAlpha = trend.lines.length > 1 ? 0.6 : 1;
      ctx.fillStyle = colours.band;
      ctx.fillRect(bbox.left, top, bbox.width, bottom - top);
      ctx.globalAlpha = 1;
      ctx.strokeStyle = colours.lines[i % colours.lines.length]!;
      ctx.lineWidth = Math.max(1, devicePixelRatio);
      ctx.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
      for (const end of [line.range.low, line.range.high]) {
        if (end === null) continue;
        const y = u.valToPos(end, "y", true);
        ctx.beginPath();
        ctx.moveTo(bbox.left, y);
        ctx.lineTo(bbox.left + bbox.width, y);
        ctx.stroke();
      }
      ctx.setLineDash([]);
    });
    ctx.restore();
  };
}

/** Rings every value flagged outside its range: a shape, so colour is not the only sign. */
function drawAbnormal(trend: TrendData, colours: TrendColours) {
  return (u: uPlot) => {
    const { ctx } = u;
    const radius = 7 * devicePixelRatio;
    ctx.save();
    ctx.strokeStyle = colours.abnormal;
    ctx.lineWidth = 2.5 * devicePixelRatio;
    for (const line of trend.lines) {
      line.values.forEach((value, i) => {
        if (value === null || !line.abnormal[i]) return;
        const cx = u.valToPos(trend.x[i]!, "x", true);
        const cy = u.valToPos(value, "y", true);
        ctx.beginPath();
        ctx.arc(cx, cy, radius, 0, 2 * Math.PI);
        ctx.stroke();
      });
    }
    ctx.restore();
  };
}

export function trendOptions(
  trend: TrendData,
  {
    locale,
    colours,
    width,
    height,
    dateLabel,
  }: {
    locale: Locale;
    colours: TrendColours;
    width: number;
    height: number;
    /** What uPlot's live legend calls the x value ("Date", "日期"): its own word is English. */
    dateLabel: string;
  },
): uPlot.Options {
  const dateLabels = axisDateLabels(locale);
  const valueLabels = axisValueLabels(locale);
  return {
    width,
    height,
    // Times are wall clocks read as UTC: ticks are placed in UTC too.
    tzDate: utcDate,
    scales: {
      x: { time: true },
      y: { range: [trend.yMin, trend.yMax] },
    },
    series: [
      {
        label: dateLabel,
        // The point's own date, as precise as it was recorded ("Mar 2024", "Jan 15, 2024, 22:20").
        value: (_u: uPlot, _seconds: number, _series: number, index: number | null) => {
          const effective = index === null ? undefined : trend.effective[index];
          return effective ? formatDayTime(effective, locale) : "–";
        },
      },
      ...trend.lines.map((line, i) => {
        const colour = colours.lines[i % colours.lines.length]!;
        return {
          label: line.unit ? `${line.name} (${line.unit})` : line.name,
          stroke: colour,
          width: 2,
          // A panel's second line is dashed: colour is not the only way to tell them apart.
          ...(i > 0 ? { dash: [8, 5] } : {}),
          spanGaps: true,
          points: { show: true, size: 7, fill: colour, stroke: colour },
          // The value as the core wrote it (as recorded, or four significant digits).
          value: (_u: uPlot, _value: number, _series: number, index: number | null) => {
            const text = index === null ? null : line.texts[index];
            return text == null ? "–" : formatResultText(text, locale);
          },
        };
      }),
    ],
    axes: [
      {
        stroke: colours.axis,
        grid: { stroke: colours.grid, width: 1 },
        ticks: { stroke: colours.grid, width: 1 },
        values: (_u, ticks, _axis, _space, increment) => dateLabels(ticks, increment),
      },
      {
        stroke: colours.axis,
        grid: { stroke: colours.grid, width: 1 },
        ticks: { stroke: colours.grid, width: 1 },
        values: (_u, ticks) => valueLabels(ticks),
        size: 56,
      },
    ],
    cursor: { drag: { x: false, y: false } },
    // The legend's marks are dashed like their lines (series 0 is the x axis, 1 the first line).
    legend: { show: true, live: true, markers: { dash: (_u: uPlot, series: number) => (series > 1 ? "dashed" : "solid") } },
    hooks: {
      drawClear: [drawRanges(trend, colours)],
      draw: [drawAbnormal(trend, colours)],
    },
  };
}

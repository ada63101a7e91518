// uPlot's options for a trend: its lines, the reference ranges as bands
// drawn beneath them, abnormal values ringed above them, the axes labelled
// in the UI's locale. Only uPlot's types are imported here: the library
// itself is loaded by TrendChart.svelte where a canvas exists.
import type uPlot from "uplot";
import { formatNumber } from "./format";
import type { Locale } from "./i18n";
import { axisPrecision, type TrendData } from "./trend";

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

const AXIS_DATE: Record<ReturnType<typeof axisPrecision>, Intl.DateTimeFormatOptions> = {
  day: { month: "short", day: "numeric" },
  month: { year: "numeric", month: "short" },
  year: { year: "numeric" },
};

/**
 * The x axis's tick labels in the locale (uPlot's own are English), in the
 * workstation's time zone as uPlot places the ticks; `timeZone` for tests.
 */
export function axisDateLabels(x: readonly number[], locale: Locale, timeZone?: string): (ticks: number[]) => string[] {
  const format = new Intl.DateTimeFormat(locale, { ...AXIS_DATE[axisPrecision(x)], ...(timeZone ? { timeZone } : {}) });
  return (ticks) => ticks.map((tick) => format.format(tick * 1000));
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
  const dateLabels = axisDateLabels(trend.x, locale);
  const valueLabels = axisValueLabels(locale);
  const legendDate = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
  return {
    width,
    height,
    scales: {
      x: { time: true },
      y: { range: [trend.yMin, trend.yMax] },
    },
    series: [
      { label: dateLabel, value: (_u, seconds) => (seconds == null ? "–" : legendDate.format(seconds * 1000)) },
      ...trend.lines.map((line, i) => {
        const colour = colours.lines[i % colours.lines.length]!;
        return {
          label: line.unit ? `${line.name} (${line.unit})` : line.name,
          stroke: colour,
          width: 2,
          spanGaps: true,
          points: { show: true, size: 7, fill: colour, stroke: colour },
          value: (_u: uPlot, value: number | null) => (value == null ? "–" : formatNumber(value, locale)),
        };
      }),
    ],
    axes: [
      {
        stroke: colours.axis,
        grid: { stroke: colours.grid, width: 1 },
        ticks: { stroke: colours.grid, width: 1 },
        values: (_u, ticks) => dateLabels(ticks),
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
    legend: { show: true, live: true },
    hooks: {
      drawClear: [drawRanges(trend, colours)],
      draw: [drawAbnormal(trend, colours)],
    },
  };
}

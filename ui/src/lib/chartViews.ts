// Pure helpers of the chart views (Summary, Timeline, Results, Documents):
// filtering, grouping and lookups over the chart the core sent. They choose
// what a view lists from what the core sent, never what the doctor may see:
// the core has already masked, sealed and sanitised everything here.
import type { DocBlock } from "../bindings/DocBlock";
import type { DocumentView } from "../bindings/DocumentView";
import type { EncounterItem } from "../bindings/EncounterItem";
import type { EncounterItemKind } from "../bindings/EncounterItemKind";
import type { EncounterView } from "../bindings/EncounterView";
import type { ResultFlag } from "../bindings/ResultFlag";
import type { ResultPoint } from "../bindings/ResultPoint";
import type { ResultSeries } from "../bindings/ResultSeries";
import { wallClock } from "./format";

/** The chart's sections, in the order of their tabs. */
export const CHART_TABS = ["summary", "timeline", "results", "documents"] as const;
export type ChartTab = (typeof CHART_TABS)[number];

/** How many rows a long list shows at first, and how many more each "show more" adds. */
export const PAGE_SIZE = 50;

// Hospital names and document types are mostly Chinese whatever the UI's
// language: pinyin order (which puts Latin letters in alphabetical order
// first) is the order a doctor looks for them in.
const COLLATOR = new Intl.Collator(["zh-CN", "en"]);

/** Distinct non-empty values, in pinyin and alphabetical order. */
export function distinct(values: Iterable<string | null>): string[] {
  const set = new Set<string>();
  for (const value of values) if (value) set.add(value);
  return [...set].sort(COLLATOR.compare);
}

// ---- Timeline ---------------------------------------------------------------

export type Period = "year" | "fiveYears" | "all" | "custom";
export const PERIODS: readonly Period[] = ["year", "fiveYears", "all", "custom"];

export interface EncounterFilter {
  /** A hospital's name, or `""` for all. */
  hospital: string;
  /** An encounter class code (`AMB`…), or `""` for all. */
  type: string;
  period: Period;
  /** `YYYY-MM-DD` (inclusive), for `custom`; `""` leaves that end open. */
  from: string;
  to: string;
}

export const NO_ENCOUNTER_FILTER: EncounterFilter = { hospital: "", type: "", period: "all", from: "", to: "" };

/** The instant a relative period starts at; `null` for one open at the start. */
export function periodStart(period: Period, now: Date): number | null {
  if (period !== "year" && period !== "fiveYears") return null;
  const start = new Date(now.getTime());
  start.setFullYear(start.getFullYear() - (period === "year" ? 1 : 5));
  return start.getTime();
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;

const isoDay = (time: number) => new Date(time).toISOString().slice(0, 10);

/**
 * The first and the last day (YYYY-MM-DD) a clinical date could be, as its
 * source recorded it: a day is itself, "2024-03" runs from 1 to 31 March,
 * "2024" through the year (partial dates are how the core sends
 * generalised ones). `null` for no date or an unreadable one.
 */
export function dayRange(value: string | null): { first: string; last: string } | null {
  const wall = value ? wallClock(value) : null;
  if (!wall) return null;
  const first = isoDay(wall.time);
  if (wall.precision === "day" || wall.precision === "minute") return { first, last: first };
  const start = new Date(wall.time);
  const end =
    wall.precision === "month"
      ? Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 0)
      : Date.UTC(start.getUTCFullYear(), 11, 31);
  return { first, last: isoDay(end) };
}

/** The period's days, both ends included; `null` where an end is open. */
function periodDays(filter: EncounterFilter, now: Date): { from: string | null; to: string | null } {
  const since = periodStart(filter.period, now);
  if (since !== null) {
    // The workstation's calendar day the period starts on.
    const start = new Date(since);
    const pad = (n: number) => String(n).padStart(2, "0");
    return { from: `${start.getFullYear()}-${pad(start.getMonth() + 1)}-${pad(start.getDate())}`, to: null };
  }
  return {
    from: filter.period === "custom" && DAY.test(filter.from) ? filter.from : null,
    to: filter.period === "custom" && DAY.test(filter.to) ? filter.to : null,
  };
}

/**
 * The encounters the filter lets through, in their order. A period
 * compares the days each encounter may have started on as its hospital
 * recorded it (both ends included; the relative periods count back from
 * `now`): a partial date ("2024-03", "2024") is kept when any of its days
 * falls in the period. An encounter without a (readable) start is kept
 * only while the period is open at both ends: it cannot be placed within
 * one (`undatedHidden` counts those left out, so the view can say so).
 */
export function filterEncounters(encounters: readonly EncounterView[], filter: EncounterFilter, now: Date): EncounterView[] {
  const { from, to } = periodDays(filter, now);
  return encounters.filter((encounter) => {
    if (!matchesHospitalAndType(encounter, filter)) return false;
    if (from === null && to === null) return true;
    const days = dayRange(encounter.start);
    if (days === null) return false;
    return (from === null || days.last >= from) && (to === null || days.first <= to);
  });
}

/** How many encounters the filter hides only because they have no date a period could place. */
export function undatedHidden(encounters: readonly EncounterView[], filter: EncounterFilter, now: Date): number {
  const { from, to } = periodDays(filter, now);
  if (from === null && to === null) return 0;
  return encounters.filter((encounter) => matchesHospitalAndType(encounter, filter) && dayRange(encounter.start) === null).length;
}

function matchesHospitalAndType(encounter: EncounterView, filter: EncounterFilter): boolean {
  if (filter.hospital && encounter.hospital !== filter.hospital) return false;
  return !filter.type || encounter.classCode?.toUpperCase() === filter.type;
}

/** The class codes (upper case) of the encounters, for the type filter. */
export function encounterTypes(encounters: readonly EncounterView[]): string[] {
  return distinct(encounters.map((encounter) => encounter.classCode?.toUpperCase() ?? null));
}

/** The year an encounter starts in, as recorded (`null` without a start). */
export function yearOf(value: string | null): string | null {
  return value && /^\d{4}/.test(value) ? value.slice(0, 4) : null;
}

/** Consecutive encounters of one year, for the time axis. */
export function byYear(encounters: readonly EncounterView[]): { year: string | null; encounters: EncounterView[] }[] {
  const groups: { year: string | null; encounters: EncounterView[] }[] = [];
  for (const encounter of encounters) {
    const year = yearOf(encounter.start);
    const last = groups[groups.length - 1];
    if (last && last.year === year) last.encounters.push(encounter);
    else groups.push({ year, encounters: [encounter] });
  }
  return groups;
}

const ITEM_KINDS: readonly EncounterItemKind[] = ["diagnosis", "procedure", "result", "medication", "document"];

/** An encounter's items grouped by kind, in a fixed order, leaving out empty kinds. */
export function itemsByKind(items: readonly EncounterItem[]): { kind: EncounterItemKind; items: EncounterItem[] }[] {
  return ITEM_KINDS.map((kind) => ({ kind, items: items.filter((item) => item.kind === kind) })).filter(
    (group) => group.items.length > 0,
  );
}

// ---- Results ----------------------------------------------------------------

/**
 * The series each result belongs to, by the result's (Observation's) id: a
 * panel's components share their Observation's id, so the first series
 * listed wins, which opens the panel all the same.
 */
export function seriesByResultId(results: readonly ResultSeries[]): Map<string, string> {
  const map = new Map<string, string>();
  for (const series of results) {
    for (const point of series.points) if (!map.has(point.id)) map.set(point.id, series.key);
  }
  return map;
}

/** The newest point of a series (the core sends them oldest first). */
export function latestPoint(series: ResultSeries): ResultPoint | null {
  return series.points[series.points.length - 1] ?? null;
}

/** Whether a series has numbers to draw. */
export function isNumeric(series: ResultSeries): boolean {
  return series.points.some((point) => point.value !== null && Number.isFinite(point.value));
}

/** The series drawn with `key`: every series of its panel (blood pressure's two), else itself alone. */
export function panelOf(results: readonly ResultSeries[], key: string): ResultSeries[] {
  const selected = results.find((series) => series.key === key);
  if (!selected) return [];
  if (!selected.panel) return [selected];
  return results.filter((series) => series.panel === selected.panel && series.unit === selected.unit);
}

/** How many of a series' values are numbers (drawn on its trend). */
export function numericCount(series: ResultSeries): number {
  let count = 0;
  for (const point of series.points) if (point.value !== null && Number.isFinite(point.value)) count++;
  return count;
}

/** "<0.01", "> 1000", "≤5": a bound the lab reported instead of a value. */
const BOUND = /^\s*(?:[<>]=?|[≤≥])\s*-?\d/;

/**
 * Whether a value is shown with its series' unit: a number, or a bound
 * (which is a number in that unit too, though not drawn); not words.
 */
export function hasUnit(point: ResultPoint): boolean {
  return point.value !== null || BOUND.test(point.text);
}

/** One row of the "every value" table: a result, with a cell per series drawn (a panel's components). */
export interface PointRow {
  /** The Observation's id, unique within the table. */
  key: string;
  effective: string | null;
  source: string | null;
  /** Aligned to the series given: that series' value here, if it has one. */
  cells: (ResultPoint | null)[];
}

/**
 * Every value of `series` (one, or a panel's components side by side) as
 * table rows, newest first: a panel's components come from one Observation
 * (they share its id), so each Observation is one row with a value per
 * component. Ordered as the core orders points (by the date as sent).
 */
export function pointRows(series: readonly ResultSeries[]): PointRow[] {
  const rows = new Map<string, PointRow>();
  series.forEach((one, column) => {
    const seen = new Map<string, number>();
    for (const point of one.points) {
      // The same id twice in one series stays two rows.
      const nth = seen.get(point.id) ?? 0;
      seen.set(point.id, nth + 1);
      const key = nth === 0 ? point.id : `${point.id}#${nth}`;
      let row = rows.get(key);
      if (!row) {
        row = { key, effective: point.effective, source: point.source, cells: new Array<ResultPoint | null>(series.length).fill(null) };
        rows.set(key, row);
      }
      row.cells[column] = point;
    }
  });
  const order = (value: string | null) => value ?? "";
  return [...rows.values()]
    .map((row, index) => ({ row, index }))
    .sort((a, b) => {
      const x = order(a.row.effective);
      const y = order(b.row.effective);
      return x < y ? 1 : x > y ? -1 : b.index - a.index;
    })
    .map(({ row }) => row);
}

/** Whether a flag says the result lies outside its reference range. */
export function isAbnormal(flag: ResultFlag | null): boolean {
  return flag !== null && flag !== "normal";
}

/** How a flag is drawn: its colour class. */
export function flagTone(flag: ResultFlag): "normal" | "high" | "low" | "abnormal" {
  switch (flag) {
    case "high":
    case "criticalHigh":
      return "high";
    case "low":
    case "criticalLow":
      return "low";
    case "abnormal":
      return "abnormal";
    case "normal":
      return "normal";
  }
}

/** A case-insensitive match of a series' name, code or unit against what the doctor typed. */
export function matchesSeries(series: ResultSeries, query: string): boolean {
  const needle = query.trim().toLowerCase();
  if (!needle) return true;
  return [series.name, series.code, series.unit].some((text) => text?.toLowerCase().includes(needle));
}

// ---- Documents ----------------------------------------------------------------

export interface DocumentFilter {
  /** A document type as the hospital named it, or `""` for all. */
  type: string;
  /** A hospital's name, or `""` for all. */
  source: string;
}

export function filterDocuments(documents: readonly DocumentView[], filter: DocumentFilter): DocumentView[] {
  return documents.filter(
    (document) => (!filter.type || document.kind === filter.type) && (!filter.source || document.source === filter.source),
  );
}

/** A document's blocks as the page lays them out: runs of list items and of table rows together. */
export type DocSection =
  | { kind: "heading"; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; items: string[] }
  | { kind: "table"; rows: string[][] };

export function docSections(blocks: readonly DocBlock[]): DocSection[] {
  const sections: DocSection[] = [];
  for (const block of blocks) {
    const last = sections[sections.length - 1];
    switch (block.kind) {
      case "item":
        if (last?.kind === "list") last.items.push(block.text);
        else sections.push({ kind: "list", items: [block.text] });
        break;
      case "row":
        if (last?.kind === "table") last.rows.push(block.cells);
        else sections.push({ kind: "table", rows: [block.cells] });
        break;
      case "heading":
      case "paragraph":
        sections.push({ kind: block.kind, text: block.text });
        break;
    }
  }
  return sections;
}

// Presentation helpers. They change how values look, never which values are shown.
import type { EncounterView } from "../bindings/EncounterView";
import type { Locale } from "./i18n";

const ISO_DATE_TIME = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/;

/**
 * Shows an ISO date-time as "YYYY-MM-DD HH:mm" (the wall-clock time as the
 * source recorded it). Dates, partial dates ("2015", "2024-03", as the core may
 * generalise them) and anything else pass through unchanged.
 */
export function formatDateTime(value: string): string {
  const match = ISO_DATE_TIME.exec(value);
  return match ? `${match[1]} ${match[2]}` : value;
}

/**
 * Shows an instant (RFC 3339, e.g. a chart's `freshness.asOf`) as a local
 * date and time to the minute, in the UI's locale and the workstation's time
 * zone (`timeZone` only for tests). Anything unparsable passes through.
 */
export function formatInstant(value: string, locale: Locale, timeZone?: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) return value;
  return new Intl.DateTimeFormat(locale, {
    dateStyle: "medium",
    timeStyle: "short",
    hourCycle: "h23",
    ...(timeZone ? { timeZone } : {}),
  }).format(time);
}

/** Only the date part of an ISO date or date-time. */
export function formatDate(value: string): string {
  const match = ISO_DATE_TIME.exec(value);
  return match?.[1] ?? value;
}

function timeOf(value: string | null): number {
  if (!value) return Number.NEGATIVE_INFINITY;
  const time = Date.parse(value);
  return Number.isNaN(time) ? Number.NEGATIVE_INFINITY : time;
}

/**
 * Newest first by the date or instant `when` gives; items without a
 * (parsable) one go last, and items of the same time keep their order.
 */
export function newestFirstBy<T>(items: readonly T[], when: (item: T) => string | null): T[] {
  return items
    .map((item, index) => ({ item, index, time: timeOf(when(item)) }))
    .sort((a, b) => (a.time === b.time ? a.index - b.index : b.time - a.time))
    .map(({ item }) => item);
}

/** Newest first; encounters without a (parsable) start go last, in their original order. */
export function newestFirst(encounters: readonly EncounterView[]): EncounterView[] {
  return newestFirstBy(encounters, (encounter) => encounter.start);
}

/** Request priorities (FHIR `urgent`, `asap`, `stat`) that must stand out from `routine` ones. */
export function isUrgentPriority(priority: string | null): boolean {
  return priority === "urgent" || priority === "asap" || priority === "stat";
}

/** A count with the locale's digit grouping (1,861). */
export function formatCount(value: number, locale: Locale): string {
  return new Intl.NumberFormat(locale).format(value);
}

export type Flag = "high" | "low" | "abnormal" | null;

/**
 * Classifies a lab interpretation (FHIR v3 ObservationInterpretation codes such
 * as H, HH, L, LL, A, or the words) for highlighting only; the text itself is
 * shown as sent.
 */
export function interpretationFlag(interpretation: string | null): Flag {
  if (!interpretation) return null;
  const value = interpretation.trim().toUpperCase();
  if (value === "H" || value === "HH" || value === "HU" || value === "HIGH" || value === ">") return "high";
  if (value === "L" || value === "LL" || value === "LU" || value === "LOW" || value === "<") return "low";
  if (value === "A" || value === "AA" || value === "ABNORMAL" || value === "CRITICAL") return "abnormal";
  return null;
}

/**
 * The wall-clock time of an instant (e.g. a break-the-glass deadline) as
 * "HH:mm" in the workstation's time zone (`timeZone` only for tests).
 */
export function formatClock(value: string, locale: Locale, timeZone?: string): string {
  const time = Date.parse(value);
  if (Number.isNaN(time)) return value;
  return new Intl.DateTimeFormat(locale, {
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
    ...(timeZone ? { timeZone } : {}),
  }).format(time);
}

/**
 * The core's error messages are written lower-case, to be composed (`the
 * regional platform cannot be reached: …`); standing alone they read as a
 * sentence.
 */
export function asSentence(message: string): string {
  const text = message.trim();
  if (text === "") return text;
  const sentence = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?。！？]$/.test(sentence) ? sentence : `${sentence}.`;
}

// Locale-aware dates and numbers for the chart views. Clinical dates are
// shown as their source recorded them (the wall-clock date and time in the
// string, never shifted to the workstation's time zone); partial dates
// ("2015", "2024-03"), which the core may send after generalising, keep
// their precision. Anything else (a masked "****") passes through.

const WALL_CLOCK =
  /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:[T ](\d{2}):(\d{2})(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?)?)?$/;

interface WallClock {
  /** Milliseconds of the wall-clock reading taken as UTC: formatted in UTC, it reads as recorded. */
  time: number;
  precision: "year" | "month" | "day" | "minute";
}

function wallClock(value: string): WallClock | null {
  const match = WALL_CLOCK.exec(value.trim());
  if (!match) return null;
  const [, year, month, day, hour, minute] = match;
  const parts = [Number(year), Number(month ?? 1) - 1, Number(day ?? 1), Number(hour ?? 0), Number(minute ?? 0)] as const;
  const time = Date.UTC(...parts);
  const date = new Date(time);
  // Date.UTC rolls "2024-13-45" over into 2025: such a value is not a date.
  const read = [date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate(), date.getUTCHours(), date.getUTCMinutes()];
  if (Number.isNaN(time) || read.some((value, i) => value !== parts[i])) return null;
  const precision = hour !== undefined ? "minute" : day !== undefined ? "day" : month !== undefined ? "month" : "year";
  return { time, precision };
}

const DATE_OPTIONS: Record<WallClock["precision"], Intl.DateTimeFormatOptions> = {
  year: { year: "numeric" },
  month: { year: "numeric", month: "short" },
  day: { dateStyle: "medium" },
  minute: { dateStyle: "medium", timeStyle: "short", hourCycle: "h23" },
};

// Long charts format thousands of dates: one formatter per locale and shape.
const dateFormatters = new Map<string, Intl.DateTimeFormat>();

function dateFormatter(locale: Locale, precision: WallClock["precision"]): Intl.DateTimeFormat {
  const key = `${locale}|${precision}`;
  let formatter = dateFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat(locale, { ...DATE_OPTIONS[precision], timeZone: "UTC" });
    dateFormatters.set(key, formatter);
  }
  return formatter;
}

/** The date of a clinical date or date-time in the locale ("May 20, 2024", "2024年5月20日"). */
export function formatDay(value: string, locale: Locale): string {
  const wall = wallClock(value);
  if (!wall) return value;
  return dateFormatter(locale, wall.precision === "minute" ? "day" : wall.precision).format(wall.time);
}

/** A clinical date-time in the locale, to the minute as recorded; a date alone stays a date. */
export function formatDayTime(value: string, locale: Locale): string {
  const wall = wallClock(value);
  if (!wall) return value;
  return dateFormatter(locale, wall.precision).format(wall.time);
}

const numberFormatters = new Map<Locale, Intl.NumberFormat>();

/** A measured value in the locale, with at most the two decimals the core keeps. */
export function formatNumber(value: number, locale: Locale): string {
  let formatter = numberFormatters.get(locale);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
    numberFormatters.set(locale, formatter);
  }
  return formatter.format(value);
}

const PLAIN_NUMBER = /^-?\d+(?:\.\d+)?$/;

/**
 * A result as the core wrote it: a plain number is shown in the locale;
 * anything else ("<0.01", "148/92", "阴性") exactly as sent.
 */
export function formatResultText(text: string, locale: Locale): string {
  const trimmed = text.trim();
  return PLAIN_NUMBER.test(trimmed) ? formatNumber(Number(trimmed), locale) : text;
}

/** Milliseconds since the epoch of a date or instant, for ordering and filtering; `null` when unparsable. */
export function timeOfValue(value: string | null): number | null {
  if (!value) return null;
  const time = Date.parse(value);
  return Number.isNaN(time) ? null : time;
}

// Presentation helpers. They change how values look, never which values are shown.
import type { EncounterView } from "../bindings/EncounterView";
import { translate, type Locale } from "./i18n";

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

/**
 * How long ago (or, with a skewed clock, in how long) an instant is from
 * `now`, in the locale's words: "now", "5 minutes ago", "yesterday".
 * `null` when the instant cannot be read.
 */
export function formatRelative(value: string, now: Date, locale: Locale): string | null {
  const time = Date.parse(value);
  if (Number.isNaN(time)) return null;
  const seconds = Math.round((time - now.getTime()) / 1000);
  const format = new Intl.RelativeTimeFormat(locale, { numeric: "auto" });
  const size = Math.abs(seconds);
  if (size < 60) return format.format(0, "second");
  if (size < 3600) return format.format(Math.trunc(seconds / 60), "minute");
  if (size < 86_400) return format.format(Math.trunc(seconds / 3600), "hour");
  if (size < 30 * 86_400) return format.format(Math.trunc(seconds / 86_400), "day");
  if (size < 365 * 86_400) return format.format(Math.trunc(seconds / (30 * 86_400)), "month");
  return format.format(Math.trunc(seconds / (365 * 86_400)), "year");
}

/**
 * A patient's age in completed `unit`s: exactly `min` when the birth date is
 * complete, else somewhere from `min` to `max` (a year or a month alone, as
 * the platform or a masked tier may send it, leaves the birthday open).
 */
export interface Age {
  unit: "years" | "months" | "days";
  min: number;
  max: number;
}

interface CalendarDate {
  year: number;
  month: number;
  day: number;
}

/** FHIR `date`: YYYY, YYYY-MM or YYYY-MM-DD, nothing else (a masked "19**" is not a date). */
const FHIR_DATE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

function before(a: CalendarDate, b: CalendarDate): boolean {
  return a.year !== b.year ? a.year < b.year : a.month !== b.month ? a.month < b.month : a.day < b.day;
}

/**
 * Whole months from `from` to `to` ("the same day of the month" counts as a
 * month). A birthday on 29 February is reached on 1 March in other years.
 */
function completedMonths(from: CalendarDate, to: CalendarDate): number {
  const months = (to.year - from.year) * 12 + (to.month - from.month);
  return to.day < from.day ? months - 1 : months;
}

function daysBetween(from: CalendarDate, to: CalendarDate): number {
  return Math.round((Date.UTC(to.year, to.month - 1, to.day) - Date.UTC(from.year, from.month - 1, from.day)) / 86_400_000);
}

/**
 * The age of someone born on `birthDate` (as the core sent it) on the
 * calendar day `today` is in the workstation's time zone. A partial date
 * stands for every day it could be, so the age is a range, exact where the
 * date allows it; `null` when there is nothing to go on: no date, a masked
 * or unreadable one, or one after today. Under one month it counts days
 * (complete dates only), under two years months, then years.
 */
export function ageOf(birthDate: string | null, today: Date): Age | null {
  const match = birthDate ? FHIR_DATE.exec(birthDate.trim()) : null;
  if (!match) return null;
  const year = Number(match[1]);
  const month = match[2] === undefined ? null : Number(match[2]);
  const day = match[3] === undefined ? null : Number(match[3]);
  if (month !== null && (month < 1 || month > 12)) return null;
  if (month !== null && day !== null && (day < 1 || day > daysInMonth(year, month))) return null;

  const now: CalendarDate = { year: today.getFullYear(), month: today.getMonth() + 1, day: today.getDate() };
  // The first and the last day the birth date could stand for.
  const earliest: CalendarDate = { year, month: month ?? 1, day: day ?? 1 };
  const lastMonth = month ?? 12;
  let latest: CalendarDate = { year, month: lastMonth, day: day ?? daysInMonth(year, lastMonth) };
  if (before(now, earliest)) return null;
  // Not born after today.
  if (before(now, latest)) latest = now;

  const most = completedMonths(earliest, now);
  const least = completedMonths(latest, now);
  if (day !== null && most < 1) {
    const days = daysBetween(earliest, now);
    return { unit: "days", min: days, max: days };
  }
  if (most < 24) return { unit: "months", min: least, max: most };
  return { unit: "years", min: Math.floor(least / 12), max: Math.floor(most / 12) };
}

/** An age as the header and the search rows show it: "58 years", "57–58 years", "5 months", "58岁". */
export function formatAge(age: Age, locale: Locale): string {
  const { unit, min, max } = age;
  if (min !== max) return translate(locale, `age.${unit}Range`, { min, max });
  if (min === 1) return translate(locale, `age.${unit}One`);
  return translate(locale, `age.${unit}`, { count: min });
}

/** FHIR AllergyIntolerance criticality, least to most: "unable to assess" could be the worst. */
const CRITICALITY_ORDER: readonly string[] = ["low", "unable-to-assess", "high"];

/**
 * The most critical of the allergies' criticalities, for the header's badge:
 * `high`, then `unable-to-assess`, then `low`; a value FHIR does not define
 * only when no allergy has one it does (shown as sent); `null` when no
 * allergy states one.
 */
export function highestCriticality(criticalities: readonly (string | null)[]): string | null {
  let best: string | null = null;
  let bestRank = -2;
  for (const criticality of criticalities) {
    if (criticality === null) continue;
    const rank = CRITICALITY_ORDER.indexOf(criticality);
    if (rank > bestRank) {
      best = criticality;
      bestRank = rank;
    }
  }
  return best;
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

export interface WallClock {
  /** Milliseconds of the wall-clock reading taken as UTC: formatted in UTC, it reads as recorded. */
  time: number;
  precision: "year" | "month" | "day" | "minute";
}

/**
 * A clinical date or date-time as its source recorded it: the wall-clock
 * reading taken as UTC (so formatted with `timeZone: "UTC"` it reads as
 * recorded, whatever the workstation's zone), and how precise it is.
 * `null` for anything that is not such a date.
 */
export function wallClock(value: string): WallClock | null {
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

// Numbers the core sent as numbers (range bounds) and numbers of the UI's
// own (axis ticks) have no text to show: they get four significant digits,
// never fewer than their whole digits and two decimals, so 0.005 stays
// 0.005 (never "0") and 131.7458 reads 131.75. (Below 10, four
// significant digits say more than two decimals; from 10 on, two
// decimals say at least as much and keep every whole digit.)
const numberFormatters = new Map<string, Intl.NumberFormat>();

function numberFormatter(locale: Locale, options: Intl.NumberFormatOptions, shape: string): Intl.NumberFormat {
  const key = `${locale}|${shape}`;
  let formatter = numberFormatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, options);
    numberFormatters.set(key, formatter);
  }
  return formatter;
}

/** A number without a text of its own (a range's end, an axis tick) in the locale: see above. */
export function formatNumber(value: number, locale: Locale): string {
  return Math.abs(value) < 10
    ? numberFormatter(locale, { maximumSignificantDigits: 4 }, "significant").format(value)
    : numberFormatter(locale, { maximumFractionDigits: 2 }, "decimals").format(value);
}

const PLAIN_NUMBER = /^-?\d+(?:\.(\d+))?$/;

/**
 * A result as the core wrote it: as the lab recorded it ("7.10", "0.004"),
 * or to four significant digits where the core converted it. A plain
 * number gets the locale's digit grouping only where that keeps every
 * digit it has ("12,500", "7.10"); anything else ("<0.01", "148/92",
 * "阴性") is shown exactly as sent.
 */
export function formatResultText(text: string, locale: Locale): string {
  const trimmed = text.trim();
  const match = PLAIN_NUMBER.exec(trimmed);
  if (!match) return text;
  const decimals = match[1]?.length ?? 0;
  if (decimals > 20) return text;
  const parts = numberFormatter(
    locale,
    { minimumFractionDigits: decimals, maximumFractionDigits: decimals },
    `fixed${decimals}`,
  ).formatToParts(Number(trimmed));
  // The digits again without the grouping: any digit lost (a number longer
  // than a double holds, leading zeros) and the text is shown as sent.
  const digits = parts
    .map((part) =>
      part.type === "group" ? "" : part.type === "decimal" ? "." : part.type === "minusSign" ? "-" : part.value,
    )
    .join("");
  return digits === trimmed ? parts.map((part) => part.value).join("") : text;
}

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

import { describe, expect, it } from "vitest";
import type { EncounterView } from "../bindings/EncounterView";
import {
  ageOf,
  asSentence,
  formatClock,
  formatDate,
  formatDateTime,
  formatAge,
  formatCount,
  formatDay,
  formatDayTime,
  formatInstant,
  formatRelative,
  highestCriticality,
  formatNumber,
  formatResultText,
  interpretationFlag,
  isUrgentPriority,
  newestFirst,
  newestFirstBy,
} from "./format";

function encounter(id: string, start: string | null): EncounterView {
  return { id, class: null, classCode: null, kind: null, start, end: null, hospital: null, reason: null, items: [] };
}

describe("format", () => {
  it.each([
    ["2024-05-20T08:40:00+08:00", "2024-05-20 08:40"],
    ["2024-05-20", "2024-05-20"],
    ["2024-05", "2024-05"],
    ["2015", "2015"],
    ["****", "****"],
  ])("formatDateTime(%s) = %s", (input, expected) => {
    expect(formatDateTime(input)).toBe(expected);
  });

  it("formatDate keeps only the date of a date-time", () => {
    expect(formatDate("2024-05-20T08:40:00+08:00")).toBe("2024-05-20");
    expect(formatDate("2024-05")).toBe("2024-05");
  });

  it("formatInstant shows an instant in the locale and time zone, to the minute", () => {
    expect(formatInstant("2026-11-28T14:05:09Z", "en", "Asia/Shanghai")).toBe("Nov 28, 2026, 22:05");
    expect(formatInstant("2026-11-28T14:05:09Z", "zh-CN", "Asia/Shanghai")).toBe("2026年11月28日 22:05");
    expect(formatInstant("2026-11-28T14:05:59Z", "en", "UTC")).toBe("Nov 28, 2026, 14:05");
    expect(formatInstant("2026-11-28T00:30:00Z", "en", "UTC")).toBe("Nov 28, 2026, 00:30");
    expect(formatInstant("not a time", "en")).toBe("not a time");
  });

  it("sorts encounters newest first, undated last in original order", () => {
    const sorted = newestFirst([
      encounter("a", "2023-11-02T09:30:00+08:00"),
      encounter("x", null),
      encounter("b", "2024-05-20"),
      encounter("y", "not a date"),
      encounter("c", "2024-01-15T22:10:00+08:00"),
    ]);
    expect(sorted.map((e) => e.id)).toEqual(["b", "c", "a", "x", "y"]);
  });

  it("sorts anything newest first by the time it names, dates and instants alike", () => {
    const items = [
      { id: "a", at: "2026-11-20" },
      { id: "b", at: "2026-11-28T08:15:00+08:00" },
      { id: "x", at: null },
      { id: "c", at: "2026-11-28T01:00:00Z" },
      { id: "d", at: "2026-11-20" },
    ];
    // 08:15 in Beijing is 00:15 UTC, before 01:00 UTC; equal times keep their order.
    expect(newestFirstBy(items, (item) => item.at).map((item) => item.id)).toEqual(["c", "b", "a", "d", "x"]);
  });

  it.each([
    ["urgent", true],
    ["asap", true],
    ["stat", true],
    ["routine", false],
    ["Urgent", false],
    [null, false],
  ] as const)("isUrgentPriority(%s) = %s", (priority, urgent) => {
    expect(isUrgentPriority(priority)).toBe(urgent);
  });

  it("groups the digits of counts as the locale does", () => {
    expect(formatCount(1861, "en")).toBe("1,861");
    expect(formatCount(1861, "zh-CN")).toBe("1,861");
    expect(formatCount(0, "en")).toBe("0");
  });

  it.each([
    ["H", "high"],
    ["HH", "high"],
    ["l", "low"],
    ["LL", "low"],
    ["A", "abnormal"],
    ["N", null],
    [null, null],
    ["偏高", null],
  ] as const)("interpretationFlag(%s) = %s", (input, flag) => {
    expect(interpretationFlag(input)).toBe(flag);
  });
});

describe("formatClock", () => {
  it("shows the wall-clock time of an instant in the workstation's time zone", () => {
    expect(formatClock("2026-11-28T06:35:00Z", "en", "Asia/Shanghai")).toBe("14:35");
    expect(formatClock("2026-11-28T06:35:00Z", "zh-CN", "Asia/Shanghai")).toBe("14:35");
    expect(formatClock("2026-11-28T16:05:59Z", "en", "Asia/Shanghai")).toBe("00:05");
  });

  it("passes anything unparsable through", () => {
    expect(formatClock("soon", "en")).toBe("soon");
  });
});

describe("asSentence", () => {
  it.each([
    ["this account may not view patient records", "This account may not view patient records."],
    ["The username or password is incorrect.", "The username or password is incorrect."],
    ["  trailing space ", "Trailing space."],
    ["", ""],
  ])("%j reads as %j", (message, sentence) => {
    expect(asSentence(message)).toBe(sentence);
  });
});

describe("ageOf", () => {
  /** A calendar day on the workstation (local time, as the app reads it). */
  const day = (year: number, month: number, date: number) => new Date(year, month - 1, date, 9, 30);
  const TODAY = day(2026, 4, 10);
  const years = (min: number, max = min) => ({ unit: "years", min, max });
  const months = (min: number, max = min) => ({ unit: "months", min, max });
  const days = (count: number) => ({ unit: "days", min: count, max: count });

  it.each([
    // [what, birth date, today, age]
    ["birthday in two days", "1958-04-12", TODAY, years(67)],
    ["birthday today", "1958-04-10", TODAY, years(68)],
    ["birthday yesterday", "1958-04-09", TODAY, years(68)],
    ["born on a leap day, the day before 1 March in a common year", "2000-02-29", day(2025, 2, 28), years(24)],
    ["born on a leap day, 1 March in a common year", "2000-02-29", day(2025, 3, 1), years(25)],
    ["born on a leap day, the leap day itself", "2000-02-29", day(2024, 2, 29), years(24)],
    ["born on a leap day, the day before it in a leap year", "2000-02-29", day(2024, 2, 28), years(23)],
    ["the year only: the birthday may or may not have passed", "1985", TODAY, years(40, 41)],
    ["the year only, on 31 December: it has passed", "1985", day(2026, 12, 31), years(41)],
    ["the year and month, in that month: either", "1985-04", TODAY, years(40, 41)],
    ["the year and month, a month later", "1985-03", TODAY, years(41)],
    ["the year and month, a month earlier", "1985-05", TODAY, years(40)],
    ["born today", "2026-04-10", TODAY, days(0)],
    ["nine days old", "2026-04-01", TODAY, days(9)],
    ["just over a month", "2026-03-01", TODAY, months(1)],
    ["a year old, in months", "2025-04-10", TODAY, months(12)],
    ["a day short of two", "2024-04-11", TODAY, months(23)],
    ["two today, in years", "2024-04-10", TODAY, years(2)],
    ["born last month, the day unknown", "2026-03", TODAY, months(0, 1)],
    ["born this year, the month unknown: not after today", "2026", TODAY, months(0, 3)],
    ["born this month, the day unknown", "2026-04", TODAY, months(0)],
  ] as const)("%s: %s on %s", (_what, birthDate, today, age) => {
    expect(ageOf(birthDate, today)).toEqual(age);
  });

  it.each([
    ["no birth date", null],
    ["an empty one", ""],
    ["a masked one", "****"],
    ["a generalised one with stars", "19**"],
    ["a month that does not exist", "1958-13-01"],
    ["29 February of a common year", "2023-02-29"],
    ["a date-time", "1958-04-12T08:00:00+08:00"],
    ["a two-digit year", "58-04-12"],
    ["tomorrow", "2026-04-11"],
    ["a later month", "2026-05"],
    ["a later year", "2027"],
  ] as const)("gives no age for %s (%s)", (_what, birthDate) => {
    expect(ageOf(birthDate, TODAY)).toBeNull();
  });
});

describe("formatAge", () => {
  it.each([
    [{ unit: "years", min: 68, max: 68 }, "68 years", "68岁"],
    [{ unit: "years", min: 1, max: 1 }, "1 year", "1岁"],
    [{ unit: "years", min: 40, max: 41 }, "40–41 years", "40–41岁"],
    [{ unit: "months", min: 5, max: 5 }, "5 months", "5个月"],
    [{ unit: "months", min: 1, max: 1 }, "1 month", "1个月"],
    [{ unit: "months", min: 0, max: 3 }, "0–3 months", "0–3个月"],
    [{ unit: "days", min: 0, max: 0 }, "0 days", "0天"],
    [{ unit: "days", min: 1, max: 1 }, "1 day", "1天"],
  ] as const)("%o is %s, %s", (age, en, zh) => {
    expect(formatAge(age, "en")).toBe(en);
    expect(formatAge(age, "zh-CN")).toBe(zh);
  });
});

describe("formatRelative", () => {
  const NOW = new Date("2026-11-28T14:05:09Z");

  it.each([
    ["2026-11-28T14:04:40Z", "now", "现在"],
    ["2026-11-28T14:00:09Z", "5 minutes ago", "5分钟前"],
    ["2026-11-28T10:40:09Z", "3 hours ago", "3小时前"],
    ["2026-11-27T10:40:09Z", "yesterday", "昨天"],
    ["2026-11-18T10:40:09Z", "10 days ago", "10天前"],
    ["2026-09-28T10:40:09Z", "2 months ago", "2个月前"],
    ["2026-11-28T14:07:09Z", "in 2 minutes", "2分钟后"],
  ])("%s is %s, %s", (instant, en, zh) => {
    expect(formatRelative(instant, NOW, "en")).toBe(en);
    expect(formatRelative(instant, NOW, "zh-CN")).toBe(zh);
  });

  it("says nothing of an instant it cannot read", () => {
    expect(formatRelative("not a time", NOW, "en")).toBeNull();
  });
});

describe("highestCriticality", () => {
  it.each([
    [["low", "high", null], "high"],
    [["low", "unable-to-assess"], "unable-to-assess"],
    [["low", null], "low"],
    [[null, null], null],
    [[], null],
    [["severe", "low"], "low"],
    [["severe"], "severe"],
  ] as const)("of %j is %s", (criticalities, highest) => {
    expect(highestCriticality(criticalities)).toBe(highest);
  });
});

describe("clinical dates in the locale", () => {
  it.each([
    ["2024-05-20T08:40:00+08:00", "May 20, 2024", "2024年5月20日"],
    ["2024-05-20", "May 20, 2024", "2024年5月20日"],
    ["2024-03", "Mar 2024", "2024年3月"],
    ["2015", "2015", "2015年"],
    ["****", "****", "****"],
  ])("formatDay(%s)", (input, en, zh) => {
    expect(formatDay(input, "en")).toBe(en);
    expect(formatDay(input, "zh-CN")).toBe(zh);
  });

  it("shows a date-time to the minute as the hospital recorded it, in any time zone", () => {
    // 08:40 in Beijing stays 08:40: the wall clock of the record, not the workstation's.
    expect(formatDayTime("2024-05-20T08:40:00+08:00", "en")).toBe("May 20, 2024, 08:40");
    expect(formatDayTime("2024-05-20T08:40:00+08:00", "zh-CN")).toBe("2024年5月20日 08:40");
    expect(formatDayTime("2024-01-15T22:10:00Z", "en")).toBe("Jan 15, 2024, 22:10");
    expect(formatDayTime("2024-05-20", "en")).toBe("May 20, 2024");
    expect(formatDayTime("2024-13-45", "en")).toBe("2024-13-45");
  });
});

describe("clinical numbers in the locale", () => {
  it("groups digits and keeps two decimals from ten on", () => {
    expect(formatNumber(131.7458, "en")).toBe("131.75");
    expect(formatNumber(250000, "zh-CN")).toBe("250,000");
    expect(formatNumber(7.8, "zh-CN")).toBe("7.8");
    expect(formatNumber(8, "en")).toBe("8");
  });

  it("never rounds a small number away: four significant digits below ten", () => {
    expect(formatNumber(0.004, "en")).toBe("0.004");
    expect(formatNumber(0.005, "zh-CN")).toBe("0.005");
    expect(formatNumber(5.551, "en")).toBe("5.551");
    expect(formatNumber(0.034567, "en")).toBe("0.03457");
    expect(formatNumber(-0.001, "en")).toBe("-0.001");
    expect(formatNumber(0.30000000000000004, "en")).toBe("0.3");
    expect(formatNumber(123456, "en")).toBe("123,456");
  });

  it("shows a result's text as the core wrote it, every decimal kept", () => {
    expect(formatResultText("0.004", "en")).toBe("0.004");
    expect(formatResultText("5.551", "zh-CN")).toBe("5.551");
    expect(formatResultText("7.10", "en")).toBe("7.10");
    expect(formatResultText("7.10", "zh-CN")).toBe("7.10");
    expect(formatResultText("12345.10", "en")).toBe("12,345.10");
    expect(formatResultText("-0.50", "en")).toBe("-0.50");
    // Grouping that would lose a digit is not done: the text is shown as sent.
    expect(formatResultText("12345678901234567890", "en")).toBe("12345678901234567890");
    expect(formatResultText("007", "en")).toBe("007");
  });

  it("formats plain numbers only, and shows any other result as sent", () => {
    expect(formatResultText("12500", "en")).toBe("12,500");
    expect(formatResultText("4.3", "zh-CN")).toBe("4.3");
    for (const text of ["148/88", "<0.01", "阴性", "+", "1e5", ""]) {
      expect(formatResultText(text, "en")).toBe(text);
    }
  });
});

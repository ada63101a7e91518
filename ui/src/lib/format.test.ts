import { describe, expect, it } from "vitest";
import type { EncounterView } from "../bindings/EncounterView";
import {
  asSentence,
  formatClock,
  formatDate,
  formatDateTime,
  formatCount,
  formatDay,
  formatDayTime,
  formatInstant,
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
  it("groups digits and keeps at most two decimals", () => {
    expect(formatNumber(131.7458, "en")).toBe("131.75");
    expect(formatNumber(250000, "zh-CN")).toBe("250,000");
    expect(formatNumber(7.8, "zh-CN")).toBe("7.8");
    expect(formatNumber(8, "en")).toBe("8");
  });

  it("formats plain numbers only, and shows any other result as sent", () => {
    expect(formatResultText("12500", "en")).toBe("12,500");
    expect(formatResultText("4.3", "zh-CN")).toBe("4.3");
    for (const text of ["148/88", "<0.01", "阴性", "+", "1e5", ""]) {
      expect(formatResultText(text, "en")).toBe(text);
    }
  });
});

import { describe, expect, it } from "vitest";
import { birthDateTerm, narrowedQuery } from "./searchQuery";

const TODAY = new Date(2026, 3, 10, 9, 30);

describe("birthDateTerm", () => {
  it.each([
    ["1965-03-15", "1965-03-15"],
    ["19650315", "1965-03-15"],
    ["1965/3/15", "1965-03-15"],
    ["1965.03.15", "1965-03-15"],
    [" 1965-3-5 ", "1965-03-05"],
    ["1965年3月15日", "1965-03-15"],
    ["1965年3月", "1965-03"],
    ["1965-03", "1965-03"],
    ["196503", "1965-03"],
    ["1965", "1965"],
    ["1965年", "1965"],
    ["2000-02-29", "2000-02-29"],
    ["2026-04-10", "2026-04-10"],
    ["2026", "2026"],
  ])("reads %j as %s", (input, term) => {
    expect(birthDateTerm(input, TODAY)).toBe(term);
  });

  it.each([
    ["", "nothing"],
    ["zhang", "a name"],
    ["65-03-15", "a two-digit year"],
    ["1965-13-01", "month 13"],
    ["1965-02-30", "30 February"],
    ["2023-02-29", "29 February of a common year"],
    ["2026-04-11", "tomorrow"],
    ["2026-05", "a later month"],
    ["2027", "a later year"],
    ["1700", "a year no patient was born in"],
    ["1965-03-15 zhang", "a date with a name"],
  ])("refuses %j (%s)", (input) => {
    expect(birthDateTerm(input, TODAY)).toBeNull();
  });
});

describe("narrowedQuery", () => {
  it("adds the birth date to the query as its own term", () => {
    expect(narrowedQuery(" 王 ", "1958-04-12", TODAY)).toBe("王 1958-04-12");
    expect(narrowedQuery("zhang wei", "1972", TODAY)).toBe("zhang wei 1972");
  });

  it("replaces a birth date the query already has, in whatever form", () => {
    expect(narrowedQuery("王 1958-04-12", "1961-09-30", TODAY)).toBe("王 1961-09-30");
    expect(narrowedQuery("1958年4月12日 王秀英", "1958", TODAY)).toBe("王秀英 1958");
    expect(narrowedQuery("zhang 19720315 wei", "1972-03-15", TODAY)).toBe("zhang wei 1972-03-15");
  });

  it("keeps what is not a birth date: names, identifier fragments", () => {
    expect(narrowedQuery("张伟 0038", "1972", TODAY)).toBe("张伟 0038 1972");
    expect(narrowedQuery("110105195804120020", "1958", TODAY)).toBe("110105195804120020 1958");
  });
});

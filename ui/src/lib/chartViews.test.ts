import { describe, expect, it } from "vitest";
import type { DocumentView } from "../bindings/DocumentView";
import type { EncounterView } from "../bindings/EncounterView";
import type { ResultSeries } from "../bindings/ResultSeries";
import {
  byYear,
  dayRange,
  docSections,
  encounterTypes,
  filterDocuments,
  filterEncounters,
  flagTone,
  isAbnormal,
  isNumeric,
  itemsByKind,
  matchesSeries,
  NO_ENCOUNTER_FILTER,
  panelOf,
  periodStart,
  pointRows,
  hasUnit,
  numericCount,
  seriesByResultId,
  undatedHidden,
  type EncounterFilter,
} from "./chartViews";

function encounter(id: string, start: string | null, fields: Partial<EncounterView> = {}): EncounterView {
  return { id, class: null, classCode: "AMB", kind: null, start, end: null, hospital: "A", reason: null, items: [], ...fields };
}

function series(key: string, fields: Partial<ResultSeries> = {}): ResultSeries {
  return { key, code: null, name: key, kind: "lab", unit: "mmHg", range: null, panel: null, points: [], ...fields };
}

const NOW = new Date("2024-06-30T12:00:00+08:00");

const ENCOUNTERS = [
  encounter("e2024", "2024-05-20T08:40:00+08:00", { hospital: "协和" }),
  encounter("e2023", "2023-11-02T09:30:00+08:00", { hospital: "北大", classCode: "imp" }),
  encounter("e2021", "2021-10-27", { hospital: "北大" }),
  encounter("e2012", "2012-06-18T14:00:00+08:00", { hospital: "协和", classCode: "EMER" }),
  encounter("undated", null, { hospital: "协和", classCode: null }),
];

const ids = (list: readonly { id: string }[]) => list.map((item) => item.id);
const filter = (fields: Partial<EncounterFilter>) => filterEncounters(ENCOUNTERS, { ...NO_ENCOUNTER_FILTER, ...fields }, NOW);

describe("timeline filters", () => {
  it("lets everything through without a filter, undated encounters too", () => {
    expect(ids(filter({}))).toEqual(["e2024", "e2023", "e2021", "e2012", "undated"]);
  });

  it("filters by hospital and by class code, whatever its case", () => {
    expect(ids(filter({ hospital: "北大" }))).toEqual(["e2023", "e2021"]);
    expect(ids(filter({ type: "IMP" }))).toEqual(["e2023"]);
    expect(ids(filter({ hospital: "协和", type: "EMER" }))).toEqual(["e2012"]);
  });

  it("counts the relative periods back from now", () => {
    expect(periodStart("year", NOW)).toBe(new Date("2023-06-30T12:00:00+08:00").getTime());
    expect(periodStart("all", NOW)).toBeNull();
    expect(ids(filter({ period: "year" }))).toEqual(["e2024", "e2023"]);
    expect(ids(filter({ period: "fiveYears" }))).toEqual(["e2024", "e2023", "e2021"]);
  });

  it("takes a from–to period by the day as recorded, both ends included, either end open", () => {
    expect(ids(filter({ period: "custom", from: "2021-10-27", to: "2023-11-02" }))).toEqual(["e2023", "e2021"]);
    expect(ids(filter({ period: "custom", from: "2023-11-03" }))).toEqual(["e2024"]);
    expect(ids(filter({ period: "custom", to: "2012-06-18" }))).toEqual(["e2012"]);
    // Nothing chosen yet: nothing filtered out.
    expect(ids(filter({ period: "custom" }))).toHaveLength(5);
  });

  it("reads the days a partial date could be", () => {
    expect(dayRange("2024-03")).toEqual({ first: "2024-03-01", last: "2024-03-31" });
    expect(dayRange("2024-02")).toEqual({ first: "2024-02-01", last: "2024-02-29" });
    expect(dayRange("2023")).toEqual({ first: "2023-01-01", last: "2023-12-31" });
    expect(dayRange("2023-11-02T23:30:00-05:00")).toEqual({ first: "2023-11-02", last: "2023-11-02" });
    expect(dayRange("20**")).toBeNull();
    expect(dayRange(null)).toBeNull();
  });

  it("keeps a partial date any of whose days falls in the period, at either end", () => {
    const partial = [
      encounter("march", "2024-03"),
      encounter("year2023", "2023"),
      encounter("year2021", "2021"),
      encounter("undated", null),
    ];
    const within = (fields: Partial<EncounterFilter>) => ids(filterEncounters(partial, { ...NO_ENCOUNTER_FILTER, ...fields }, NOW));
    // From 15 March: "2024-03" may be the 20th.
    expect(within({ period: "custom", from: "2024-03-15", to: "2024-04-30" })).toEqual(["march"]);
    // To 1 March: "2024-03" may be the 1st.
    expect(within({ period: "custom", to: "2024-03-01" })).toEqual(["march", "year2023", "year2021"]);
    expect(within({ period: "custom", from: "2024-04-01" })).toEqual([]);
    // The last 12 months start on 30 June 2023: "2023" may be December.
    expect(within({ period: "year" })).toEqual(["march", "year2023"]);
    expect(within({ period: "custom", from: "2021-12-31", to: "2022-06-30" })).toEqual(["year2021"]);
  });

  it("counts the undated encounters a period hides, and only those the other filters let through", () => {
    expect(undatedHidden(ENCOUNTERS, NO_ENCOUNTER_FILTER, NOW)).toBe(0);
    expect(undatedHidden(ENCOUNTERS, { ...NO_ENCOUNTER_FILTER, period: "custom" }, NOW)).toBe(0);
    expect(undatedHidden(ENCOUNTERS, { ...NO_ENCOUNTER_FILTER, period: "year" }, NOW)).toBe(1);
    expect(undatedHidden(ENCOUNTERS, { ...NO_ENCOUNTER_FILTER, period: "custom", from: "2020-01-01" }, NOW)).toBe(1);
    expect(undatedHidden(ENCOUNTERS, { ...NO_ENCOUNTER_FILTER, period: "year", hospital: "北大" }, NOW)).toBe(0);
  });

  it("lists the encounter types present, in upper case, once each", () => {
    expect(encounterTypes(ENCOUNTERS)).toEqual(["AMB", "EMER", "IMP"]);
  });

  it("groups encounters by the year they started, keeping their order", () => {
    expect(byYear(ENCOUNTERS.slice(0, 3)).map((group) => [group.year, ids(group.encounters)])).toEqual([
      ["2024", ["e2024"]],
      ["2023", ["e2023"]],
      ["2021", ["e2021"]],
    ]);
    expect(byYear([ENCOUNTERS[4]!])[0]!.year).toBeNull();
  });

  it("groups an encounter's items by kind in a fixed order", () => {
    const groups = itemsByKind([
      { kind: "document", id: "d", text: "d", detail: null, date: null, flag: null },
      { kind: "diagnosis", id: "c", text: "c", detail: null, date: null, flag: null },
      { kind: "document", id: "d2", text: "d2", detail: null, date: null, flag: null },
    ]);
    expect(groups.map((group) => [group.kind, ids(group.items)])).toEqual([
      ["diagnosis", ["c"]],
      ["document", ["d", "d2"]],
    ]);
  });
});

describe("results", () => {
  const point = (id: string, value: number | null) => ({
    id, effective: "2024-01-01", value, text: String(value), recorded: null, flag: null, range: null, source: null, encounter: null,
  });
  const systolic = series("8480-6|mm[Hg]", { name: "Systolic", panel: "85354-9", points: [point("bp-1", 140)] });
  const diastolic = series("8462-4|mm[Hg]", { name: "Diastolic", panel: "85354-9", points: [point("bp-1", 90)] });
  const glucose = series("1558-6|mmol/L", { name: "Glucose", unit: "mmol/L", code: "1558-6", points: [point("g-1", 5)] });
  const urine = series("20454-5|", { name: "Urine protein", unit: null, points: [point("u-1", null)] });
  const all = [glucose, urine, systolic, diastolic];

  it("draws a panel's components together, and any other series alone", () => {
    expect(panelOf(all, systolic.key).map((one) => one.name)).toEqual(["Systolic", "Diastolic"]);
    expect(panelOf(all, diastolic.key).map((one) => one.name)).toEqual(["Systolic", "Diastolic"]);
    expect(panelOf(all, glucose.key)).toEqual([glucose]);
    expect(panelOf(all, "unknown")).toEqual([]);
  });

  it("finds the series of a result, the first one for a panel's shared id", () => {
    const map = seriesByResultId(all);
    expect(map.get("g-1")).toBe(glucose.key);
    expect(map.get("bp-1")).toBe(systolic.key);
  });

  it("lays a panel's values out one row per measurement, a column per component, newest first", () => {
    const at = (id: string, effective: string | null, value: number) => ({ ...point(id, value), effective });
    const sys = series("sys", { panel: "bp", points: [at("a", "2023-01-01", 120), at("b", "2024-01-01", 150)] });
    // The diastolic of "a" was not recorded; "c" has a diastolic alone.
    const dia = series("dia", { panel: "bp", points: [at("b", "2024-01-01", 95), at("c", "2024-06-01", 80)] });
    const rows = pointRows([sys, dia]);
    expect(rows.map((row) => row.key)).toEqual(["c", "b", "a"]);
    expect(rows.map((row) => row.cells.map((cell) => cell?.value ?? null))).toEqual([[null, 80], [150, 95], [120, null]]);
    // One series: its points, newest first, a repeated id kept twice.
    expect(pointRows([series("one", { points: [at("x", "2024-01-01", 1), at("x", "2024-01-01", 2)] })]).map((row) => row.cells[0]!.value)).toEqual([2, 1]);
  });

  it("gives numbers and bounds a unit, words none", () => {
    expect(hasUnit(point("n", 5))).toBe(true);
    expect(hasUnit({ ...point("b", null), text: "<0.01" })).toBe(true);
    expect(hasUnit({ ...point("b", null), text: "≥ 90" })).toBe(true);
    expect(hasUnit({ ...point("w", null), text: "阴性" })).toBe(false);
    expect(numericCount(glucose)).toBe(1);
    expect(numericCount(urine)).toBe(0);
  });

  it("tells numeric series from text ones", () => {
    expect(isNumeric(glucose)).toBe(true);
    expect(isNumeric(urine)).toBe(false);
  });

  it("matches a series by name, code or unit", () => {
    expect(matchesSeries(glucose, "gluc")).toBe(true);
    expect(matchesSeries(glucose, "1558")).toBe(true);
    expect(matchesSeries(glucose, "MMOL")).toBe(true);
    expect(matchesSeries(glucose, "  ")).toBe(true);
    expect(matchesSeries(glucose, "urine")).toBe(false);
  });

  it("reads flags", () => {
    expect(isAbnormal(null)).toBe(false);
    expect(isAbnormal("normal")).toBe(false);
    expect(isAbnormal("criticalLow")).toBe(true);
    expect(flagTone("criticalHigh")).toBe("high");
    expect(flagTone("criticalLow")).toBe("low");
    expect(flagTone("abnormal")).toBe("abnormal");
  });
});

describe("documents", () => {
  const doc = (id: string, kind: string | null, source: string | null): DocumentView => ({
    id, title: id, kind, date: null, source, author: null, encounter: null, format: "text", blocks: [], withheld: false,
  });

  it("filters by type and by hospital", () => {
    const documents = [doc("a", "出院小结", "协和"), doc("b", "门诊病历", "协和"), doc("c", "出院小结", "北大")];
    expect(ids(filterDocuments(documents, { type: "出院小结", source: "" }))).toEqual(["a", "c"]);
    expect(ids(filterDocuments(documents, { type: "出院小结", source: "北大" }))).toEqual(["c"]);
    expect(ids(filterDocuments(documents, { type: "", source: "" }))).toEqual(["a", "b", "c"]);
  });

  it("lays out runs of list items and table rows together", () => {
    expect(
      docSections([
        { kind: "heading", text: "Plan" },
        { kind: "item", text: "one" },
        { kind: "item", text: "two" },
        { kind: "paragraph", text: "then" },
        { kind: "row", cells: ["a", "b"] },
        { kind: "row", cells: ["c", "d", "e"] },
        { kind: "item", text: "three" },
      ]),
    ).toEqual([
      { kind: "heading", text: "Plan" },
      { kind: "list", items: ["one", "two"] },
      { kind: "paragraph", text: "then" },
      { kind: "table", rows: [["a", "b"], ["c", "d", "e"]] },
      { kind: "list", items: ["three"] },
    ]);
  });
});

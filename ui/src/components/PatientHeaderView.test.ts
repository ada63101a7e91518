// The patient header on its own: what it says of age and sex, allergies,
// sealed records and how current the chart is, in both languages.
import { render, screen, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { AccessView } from "../bindings/AccessView";
import type { AllergyView } from "../bindings/AllergyView";
import type { PatientHeader } from "../bindings/PatientHeader";
import { expectNoAxeViolations } from "../lib/axe.test-helper";
import { contextMap } from "../lib/context";
import { sampleCharts, TREATING } from "../lib/fakeBackend";
import { formatInstant } from "../lib/format";
import type { Locale } from "../lib/i18n";
import { I18n } from "../lib/locale.svelte";
import PatientHeaderView from "./PatientHeaderView.svelte";

/** 10 April 2026, 09:30 on the workstation's clock. */
const NOW = new Date(2026, 3, 10, 9, 30);
const WANG = sampleCharts[0]!;
const MASKED = sampleCharts[4]!;

function allergy(id: string, criticality: string | null): AllergyView {
  return { id, substance: `substance ${id}`, criticality, reactions: [], source: null };
}

interface Props {
  patient?: PatientHeader;
  access?: AccessView;
  allergies?: AllergyView[];
  sealed?: number;
  freshness?: { asOf: string; fromCache: boolean };
  onShowSealed?: () => void;
}

function header(props: Props = {}, locale: Locale = "en") {
  render(PatientHeaderView, {
    props: { patient: WANG.patient, access: WANG.access, ...props },
    context: contextMap({ i18n: new I18n(locale) }),
  });
  return screen.getByTestId("patient-header");
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ["Date", "setInterval", "clearInterval"] });
  vi.setSystemTime(NOW);
});

afterEach(() => {
  vi.useRealTimers();
});

describe("patient header: who", () => {
  it.each([
    ["en", "Sex", "Female", "Age", "67 years", "Apr 12, 1958"],
    ["zh-CN", "性别", "女", "年龄", "67岁", "1958年4月12日"],
  ] as const)("shows sex and age beside the name (%s)", (locale, sexLabel, sex, ageLabel, age, born) => {
    const view = header({}, locale);
    expect(within(view).getByTestId("patient-name")).toHaveTextContent("王秀英");
    expect(within(view).getByTestId("header-sex")).toHaveTextContent(`${sexLabel} ${sex}`);
    expect(within(view).getByTestId("header-age")).toHaveTextContent(`${ageLabel} ${age}`);
    // The birth date in the locale, like every other date.
    expect(within(view).getByTestId("patient-birthdate")).toHaveTextContent(born);
    expect(within(view).getByTestId("patient-birthdate")).toHaveAttribute("data-birth-date", "1958-04-12");
  });

  it("shows the identifiers exactly as the core masked them, and an age range for a generalised birth date", () => {
    const view = header({ patient: MASKED.patient, access: MASKED.access });
    expect(within(view).getByTestId("patient-name")).toHaveTextContent("欧阳**");
    expect(within(view).getByTestId("patient-identifier")).toHaveTextContent("110102********2843");
    expect(within(view).getByTestId("header-age")).toHaveTextContent("40–41 years");
    // A year alone stays a year.
    expect(within(view).getByTestId("patient-birthdate")).toHaveTextContent(/^1985$/);
  });

  it.each([
    ["en", null, "Not recorded"],
    ["en", "19**", "Unknown"],
    ["zh-CN", null, "未记录"],
    ["zh-CN", "19**", "不详"],
  ] as const)("guesses no age from nothing (%s, birth date %s)", (locale, birthDate, said) => {
    const view = header({ patient: { ...WANG.patient, birthDate, gender: null } }, locale);
    expect(within(view).getByTestId("header-age")).toHaveTextContent(said);
    expect(within(view).getByTestId("header-sex")).toHaveTextContent(locale === "en" ? "Not recorded" : "未记录");
  });

  it("counts the age on as the clock passes the birthday", async () => {
    vi.setSystemTime(new Date(2026, 3, 11, 23, 59, 50));
    const view = header();
    expect(within(view).getByTestId("header-age")).toHaveTextContent("67 years");
    await vi.advanceTimersByTimeAsync(30_000);
    expect(within(view).getByTestId("header-age")).toHaveTextContent("68 years");
  });
});

describe("patient header: allergies", () => {
  it.each([
    ["en", "Allergies: 2 · highest criticality: High"],
    ["zh-CN", "过敏 2 项 · 最高严重程度：高"],
  ] as const)("counts them and names the highest criticality (%s)", (locale, text) => {
    const badge = within(header({ allergies: WANG.allergies }, locale)).getByTestId("header-allergies");
    expect(badge).toHaveTextContent(text);
    expect(badge).toHaveAttribute("data-count", "2");
    expect(badge).toHaveAttribute("data-criticality", "high");
    expect(badge).toHaveClass("high");
  });

  it.each([
    [[allergy("a", "low"), allergy("b", "unable-to-assess")], "Allergies: 2 · highest criticality: Unable to assess", false],
    [[allergy("a", "low")], "Allergies: 1 · highest criticality: Low", false],
    [[allergy("a", null)], "Allergies: 1", false],
  ] as const)("%j: %s", (allergies, text, high) => {
    const badge = within(header({ allergies: [...allergies] })).getByTestId("header-allergies");
    expect(badge.textContent!.replace(/\s+/g, " ").trim()).toBe(text);
    expect(badge.classList.contains("high")).toBe(high);
  });

  it.each([
    ["en", "No allergies recorded"],
    ["zh-CN", "未记录过敏"],
  ] as const)("says none are recorded, not that there are none (%s)", (locale, text) => {
    const badge = within(header({ allergies: [] }, locale)).getByTestId("header-allergies");
    expect(badge).toHaveTextContent(text);
    expect(badge).not.toHaveTextContent(/no known allergies/i);
    expect(badge).toHaveAttribute("data-count", "0");
  });

  it("says nothing of allergies it was not given", () => {
    expect(within(header()).queryByTestId("header-allergies")).not.toBeInTheDocument();
  });
});

describe("patient header: sealed records", () => {
  it.each([
    ["en", 2, "2 records sealed"],
    ["en", 1, "1 record sealed"],
    ["zh-CN", 2, "2 条记录已封存"],
    ["zh-CN", 1, "1 条记录已封存"],
  ] as const)("says how many are sealed for this tier (%s, %i)", (locale, sealed, text) => {
    const badge = within(header({ sealed }, locale)).getByTestId("header-sealed");
    expect(badge).toHaveTextContent(text);
    expect(badge).toHaveAttribute("data-count", String(sealed));
  });

  it("shows no badge when nothing is sealed", () => {
    expect(within(header({ sealed: 0 })).queryByTestId("header-sealed")).not.toBeInTheDocument();
  });

  it("takes the doctor to the chart's break-the-glass offer, and opens nothing itself", async () => {
    const onShowSealed = vi.fn();
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    const badge = within(header({ sealed: 2, access: { ...TREATING, canBreakGlass: true }, onShowSealed })).getByTestId("header-sealed");
    expect(badge.tagName).toBe("BUTTON");
    expect(badge).toHaveAccessibleName("2 records sealed — go to Break the glass");
    await user.click(badge);
    expect(onShowSealed).toHaveBeenCalledOnce();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
  });

  it("is only text for a tier that may not break the glass", () => {
    const badge = within(header({ sealed: 3, access: { ...TREATING, canBreakGlass: false }, onShowSealed: vi.fn() })).getByTestId("header-sealed");
    expect(badge.tagName).toBe("P");
  });
});

describe("patient header: as of", () => {
  const CACHED = { asOf: "2026-04-10T01:25:00Z", fromCache: true };

  it.each([
    ["en", CACHED, "from this workstation's cache", "5 minutes ago"],
    ["zh-CN", CACHED, "来自本机缓存", "5分钟前"],
    ["en", { ...CACHED, fromCache: false }, "from the regional platform", "5 minutes ago"],
    ["zh-CN", { ...CACHED, fromCache: false }, "来自区域平台", "5分钟前"],
  ] as const)("says when the data was current, and where from (%s, %o)", (locale, freshness, where, ago) => {
    vi.setSystemTime(new Date(Date.parse(CACHED.asOf) + 5 * 60_000));
    const asOf = within(header({ freshness }, locale)).getByTestId("header-as-of");
    expect(asOf).toHaveTextContent(formatInstant(CACHED.asOf, locale));
    expect(asOf).toHaveTextContent(ago);
    expect(asOf).toHaveTextContent(where);
    expect(asOf).toHaveAttribute("data-from-cache", String(freshness.fromCache));
  });

  it("moves the relative time on while the chart stays open", async () => {
    vi.setSystemTime(new Date(Date.parse(CACHED.asOf) + 5 * 60_000));
    const asOf = within(header({ freshness: CACHED })).getByTestId("header-as-of");
    await vi.advanceTimersByTimeAsync(60 * 60_000);
    expect(asOf).toHaveTextContent("1 hour ago");
  });
});

describe.each<Locale>(["en", "zh-CN"])("patient header accessibility (%s)", (locale) => {
  it("with every badge", async () => {
    vi.useRealTimers();
    header(
      {
        allergies: WANG.allergies,
        sealed: 2,
        access: { ...TREATING, canBreakGlass: true },
        onShowSealed: () => {},
        freshness: { asOf: "2026-04-10T01:25:00Z", fromCache: true },
      },
      locale,
    );
    await expectNoAxeViolations(screen.getByTestId("patient-header"));
  });

  it("masked, with nothing recorded", async () => {
    vi.useRealTimers();
    header({ patient: { ...MASKED.patient, gender: null, birthDate: null }, access: MASKED.access, allergies: [], sealed: 1 }, locale);
    await expectNoAxeViolations(screen.getByTestId("patient-header"));
  });
});

describe("patient header: the sticky strip", () => {
  let observed: { callback: () => void; element: Element | null; disconnected: boolean }[] = [];

  beforeEach(() => {
    observed = [];
    vi.stubGlobal(
      "ResizeObserver",
      class {
        entry: (typeof observed)[number];
        constructor(callback: () => void) {
          this.entry = { callback, element: null, disconnected: false };
          observed.push(this.entry);
        }
        observe(element: Element) {
          this.entry.element = element;
        }
        disconnect() {
          this.entry.disconnected = true;
        }
      },
    );
  });

  afterEach(() => {
    vi.unstubAllGlobals();
    document.documentElement.style.removeProperty("--strip-h");
  });

  it("publishes its height for the panes that stick below it, and takes it away with it", () => {
    const { unmount } = render(PatientHeaderView, {
      props: { patient: WANG.patient, access: WANG.access },
      context: contextMap({ i18n: new I18n("en") }),
    });
    const strip = screen.getByTestId("patient-header").querySelector(".strip")!;
    const root = document.documentElement;
    expect(root.style.getPropertyValue("--strip-h")).toBe("0px");
    const watcher = observed.find((entry) => entry.element === strip)!;
    expect(watcher).toBeDefined();

    // The strip grows (a long name wraps, the break-the-glass banner's colour…).
    vi.spyOn(strip, "getBoundingClientRect").mockReturnValue({ height: 96.5 } as DOMRect);
    watcher.callback();
    expect(root.style.getPropertyValue("--strip-h")).toBe("96.5px");

    unmount();
    expect(watcher.disconnected).toBe(true);
    expect(root.style.getPropertyValue("--strip-h")).toBe("");
  });
});

// The search screen by keyboard: a shortcut back to the search box from
// anywhere on it, and the arrow keys through the results.
import { screen, waitFor, within } from "@testing-library/svelte";
import type userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import { signIn, startApp as start } from "../lib/appHarness";
import { HEAD_USERNAME, SAMPLE_PASSWORD, sampleCharts, type ChartContent } from "../lib/fakeBackend";

type User = ReturnType<typeof userEvent.setup>;

/** Four patients whose names hold 王: the two samples and two more. */
const MORE_WANGS: ChartContent[] = [
  ...sampleCharts,
  ...sampleCharts
    .filter((chart) => chart.patient.name.includes("王"))
    .map((chart, index) => ({
      ...chart,
      patient: { ...chart.patient, id: `pat-extra-${index}`, name: `${chart.patient.name}${index + 2}` },
    })),
];

async function searchFor(user: User, query: string) {
  const input = await screen.findByTestId("search-input");
  await user.clear(input);
  await user.type(input, `${query}{Enter}`);
  return within(await screen.findByTestId("search-results")).getAllByTestId("patient-row");
}

describe("search shortcut", () => {
  it("focuses the search box with Ctrl+K from a result row and selects what is there", async () => {
    const { user } = start();
    await signIn(user);
    const rows = await searchFor(user, "王");
    rows[1]!.focus();
    await user.keyboard("{Control>}k{/Control}");
    const input = screen.getByTestId<HTMLInputElement>("search-input");
    expect(input).toHaveFocus();
    expect([input.selectionStart, input.selectionEnd]).toEqual([0, 1]);
  });

  it("focuses the search box with / when focus is not in a text field", async () => {
    const { user } = start();
    await signIn(user);
    await searchFor(user, "王");
    screen.getByTestId("lock-now").focus();
    await user.keyboard("/");
    const input = screen.getByTestId("search-input");
    expect(input).toHaveFocus();
    // The / was the shortcut's, not typed into the box.
    expect(input).toHaveValue("王");
  });

  it("leaves / to the search box itself", async () => {
    const { user } = start();
    await signIn(user);
    const input = await screen.findByTestId("search-input");
    await user.type(input, "1958/04");
    expect(input).toHaveValue("1958/04");
  });

  it("does not take the keyboard from an open dialog", async () => {
    const { user } = start();
    await signIn(user);
    await user.click(screen.getByTestId("diagnostics-open"));
    const close = within(screen.getByTestId("diagnostics-dialog")).getByTestId("diagnostics-close");
    close.focus();
    await user.keyboard("{Control>}k{/Control}");
    await user.keyboard("/");
    expect(close).toHaveFocus();
  });

  it("is not listening once the screen has gone", async () => {
    const { user } = start();
    await signIn(user);
    const rows = await searchFor(user, "王秀英");
    await user.click(rows[0]!);
    await screen.findByTestId("patient-name");
    await user.keyboard("/");
    expect(screen.queryByTestId("search-input")).not.toBeInTheDocument();
  });

  it.each([
    ["en", "Press Ctrl+K or / to come back to this box"],
    ["zh-CN", "在本页任意位置按 Ctrl+K 或 / 可回到此搜索框"],
  ] as const)("is shown next to the box (%s)", async (locale, text) => {
    const { user } = start({}, locale);
    await signIn(user);
    const input = await screen.findByTestId("search-input");
    const hint = screen.getByTestId("search-shortcut");
    expect(hint).toHaveTextContent(text);
    expect(input.getAttribute("aria-describedby")?.split(" ")).toContain(hint.id);
    expect(input).toHaveAttribute("aria-keyshortcuts", "Control+K /");
  });
});

describe("result rows by keyboard", () => {
  it("moves with ArrowDown and ArrowUp, and stops at either end", async () => {
    const { user } = start({ charts: MORE_WANGS });
    await signIn(user);
    const rows = await searchFor(user, "王");
    expect(rows).toHaveLength(4);

    rows[0]!.focus();
    await user.keyboard("{ArrowDown}");
    expect(rows[1]).toHaveFocus();
    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowDown}");
    expect(rows[3]).toHaveFocus();
    await user.keyboard("{ArrowUp}");
    expect(rows[2]).toHaveFocus();
    await user.keyboard("{ArrowUp}{ArrowUp}{ArrowUp}");
    expect(rows[0]).toHaveFocus();
  });

  it("goes to the last row with End and the first with Home", async () => {
    const { user } = start({ charts: MORE_WANGS });
    await signIn(user);
    const rows = await searchFor(user, "王");
    rows[1]!.focus();
    await user.keyboard("{End}");
    expect(rows[3]).toHaveFocus();
    await user.keyboard("{Home}");
    expect(rows[0]).toHaveFocus();
  });

  it("goes from the search box to the first row with ArrowDown, and opens a row with Enter", async () => {
    const { user } = start({ charts: MORE_WANGS });
    await signIn(user);
    const rows = await searchFor(user, "王");
    expect(screen.getByTestId("search-input")).toHaveFocus();
    await user.keyboard("{ArrowDown}{ArrowDown}");
    expect(rows[1]).toHaveFocus();
    await user.keyboard("{Enter}");
    await waitFor(() => expect(screen.getByTestId("patient-name")).toHaveTextContent(rows[1]!.querySelector(".name")!.textContent!));
  });
});

/** Opens `name`'s chart from the search, then goes back to the search. */
async function openAndReturn(user: User, query: string) {
  const [row] = await searchFor(user, query);
  await user.click(row!);
  await screen.findByTestId("patient-name");
  await user.click(screen.getByTestId("chart-back"));
  await screen.findByTestId("search-input");
}

/** The names on the rows of a list, in order. */
function names(rows: HTMLElement[]): string[] {
  return rows.map((row) => row.querySelector(".name")!.textContent!);
}

async function recentRows(): Promise<HTMLElement[]> {
  const recent = await screen.findByTestId("recent-patients");
  return waitFor(() => within(recent).getAllByTestId("recent-patient"));
}

describe("the hint under the search box", () => {
  it.each([
    ["en", ["pinyin (zhangwei, zhang wei, or the initials zw)", "Chinese characters", "a full ID number", "张 2252, zhang 1965", "1965-03-15, 19650315, 1965/3/15, or a year"]],
    ["zh-CN", ["拼音如 zhangwei、zhang wei 或首字母 zw", "汉字", "完整证件号", "“张 2252”“zhang 1965”", "1965-03-15、19650315、1965/3/15 或年份"]],
  ] as const)("names every form the search understands (%s) and describes the box", async (locale, parts) => {
    const { user } = start({}, locale);
    await signIn(user);
    const input = await screen.findByTestId("search-input");
    const hint = screen.getByTestId("search-hint");
    for (const part of parts) expect(hint).toHaveTextContent(part);
    expect(input.getAttribute("aria-describedby")?.split(" ")).toEqual([hint.id, "search-shortcut"]);
    expect(input).toHaveAccessibleDescription(expect.stringContaining(hint.textContent!.trim()));
  });
});

describe("no match", () => {
  it.each([
    ["en", "No patients found for “Nobody 1999”", "Check what you typed, or search in another form: You can type a name"],
    ["zh-CN", "未找到与“Nobody 1999”匹配的患者", "请检查输入，或换一种方式查找： 可输入：姓名"],
  ] as const)("says what was searched and repeats the hint (%s)", async (locale, said, help) => {
    const { user } = start({}, locale);
    await signIn(user);
    const input = await screen.findByTestId("search-input");
    await user.type(input, "  Nobody 1999 {Enter}");
    const noMatch = await screen.findByTestId("search-no-match");
    expect(within(noMatch).getByTestId("search-empty")).toHaveTextContent(said);
    expect(noMatch).toHaveTextContent(help);
    expect(noMatch).toHaveTextContent(screen.getByTestId("search-hint").textContent!.trim());
    expect(noMatch.closest("[aria-live]")).toHaveAttribute("aria-live", "polite");
    expect(screen.queryByTestId("search-results")).not.toBeInTheDocument();
    expect(screen.queryByTestId("search-too-many")).not.toBeInTheDocument();
  });

  it("says that only cached patients can be found while the platform is unreachable", async () => {
    const { user } = start({ platformUnreachable: true });
    await signIn(user);
    await user.type(await screen.findByTestId("search-input"), "Margaret{Enter}");
    const noMatch = await screen.findByTestId("search-no-match");
    expect(noMatch).toHaveTextContent("only patients cached on this workstation can be found");
    expect(screen.getByTestId("search-offline")).toBeInTheDocument();
  });

  it("is gone once a search finds someone", async () => {
    const { user } = start();
    await signIn(user);
    const input = await screen.findByTestId("search-input");
    await user.type(input, "Nobody{Enter}");
    await screen.findByTestId("search-no-match");
    await searchFor(user, "Margaret");
    expect(screen.queryByTestId("search-no-match")).not.toBeInTheDocument();
  });
});

describe("too many matches", () => {
  async function tooMany(locale: "en" | "zh-CN" = "en", totalKnown = true) {
    const started = start({ charts: MORE_WANGS }, locale);
    started.backend.searchLimit = 1;
    started.backend.searchTotalKnown = totalKnown;
    await signIn(started.user);
    const rows = await searchFor(started.user, "王");
    return { ...started, rows };
  }

  it.each([
    ["en", true, "Too many matches (4) — narrow by birth date. Showing the first 1."],
    ["en", false, "Too many matches — narrow by birth date. Showing the first 1."],
    ["zh-CN", true, "匹配结果过多（4 位）——请用出生日期缩小范围。以下仅列出前 1 位。"],
    ["zh-CN", false, "匹配结果过多——请用出生日期缩小范围。以下仅列出前 1 位。"],
  ] as const)("says so (%s, total known: %s) and still lists the rows shown", async (locale, known, text) => {
    const { rows } = await tooMany(locale, known);
    const notice = screen.getByTestId("search-too-many");
    expect(notice).toHaveTextContent(text);
    expect(notice.closest("[aria-live]")).toHaveAttribute("aria-live", "polite");
    expect(names(rows)).toEqual(["王秀英"]);
    expect(screen.getByTestId("search-birthdate")).toHaveAccessibleName(locale === "en" ? "Birth date" : "出生日期");
  });

  it("groups the digits of a large total", async () => {
    const { user, backend } = start({ charts: MORE_WANGS });
    // The platform counts every match, far more than it sends.
    const search = backend.searchPatients.bind(backend);
    backend.searchPatients = async (query) => ({ ...(await search(query)), tooMany: true, total: 1861 });
    await signIn(user);
    await searchFor(user, "王");
    expect(screen.getByTestId("search-too-many")).toHaveTextContent("Too many matches (1,861) — narrow by birth date. Showing the first 4.");
    expect(screen.getByTestId("search-too-many")).toHaveAttribute("data-total", "1861");
  });

  it("searches again with the birth date added, shows that query in the box and goes on to the patients", async () => {
    const { user, backend } = await tooMany();
    const field = screen.getByTestId("search-birthdate");
    await user.type(field, "1958/4/12{Enter}");
    await waitFor(() => expect(screen.queryByTestId("search-too-many")).toHaveTextContent("Too many matches (2)"));
    expect(backend.calls).toContainEqual({ method: "searchPatients", args: ["王 1958-04-12"] });
    expect(screen.getByTestId("search-input")).toHaveValue("王 1958-04-12");

    // Narrowing again replaces the date, it does not pile dates up.
    await user.clear(screen.getByTestId("search-birthdate"));
    backend.searchLimit = 20;
    await user.type(screen.getByTestId("search-birthdate"), "19610930{Enter}");
    await waitFor(() => expect(screen.queryByTestId("search-too-many")).not.toBeInTheDocument());
    expect(backend.calls).toContainEqual({ method: "searchPatients", args: ["王 1961-09-30"] });
    expect(screen.getByTestId("search-input")).toHaveValue("王 1961-09-30");
    const rows = within(screen.getByTestId("search-results")).getAllByTestId("patient-row");
    expect(names(rows)).toEqual(["王建国", "王建国3"]);
    expect(screen.queryByTestId("search-birthdate")).not.toBeInTheDocument();
    expect(rows[0]).toHaveFocus();
  });

  it("narrows what is in the box now, and replaces a birth date typed there", async () => {
    const { user, backend } = await tooMany();
    // The doctor types on after the search, a date of their own included…
    const box = screen.getByTestId("search-input");
    await user.clear(box);
    await user.type(box, "王秀 1961-09-30");
    // …then narrows: that text is searched, its date given way to the field's.
    await user.type(screen.getByTestId("search-birthdate"), "1958/4/12{Enter}");
    await waitFor(() => expect(backend.calls).toContainEqual({ method: "searchPatients", args: ["王秀 1958-04-12"] }));
    expect(screen.getByTestId("search-input")).toHaveValue("王秀 1958-04-12");
    expect(backend.calls).not.toContainEqual({ method: "searchPatients", args: ["王 1958-04-12"] });
  });

  it("refuses a date no patient can have been born on, without searching", async () => {
    const { user, backend } = await tooMany();
    const searches = () => backend.calls.filter((call) => call.method === "searchPatients").length;
    const before = searches();
    const field = screen.getByTestId("search-birthdate");
    await user.type(field, "1958-02-30{Enter}");
    const error = await screen.findByTestId("search-birthdate-invalid");
    expect(error).toHaveAttribute("role", "alert");
    expect(error).toHaveTextContent("Enter a birth date that is not after today");
    expect(field).toHaveAttribute("aria-invalid", "true");
    expect(field).toHaveAccessibleDescription(expect.stringContaining("not after today"));
    expect(field).toHaveFocus();
    expect(searches()).toBe(before);
    expect(screen.getByTestId("search-too-many")).toBeInTheDocument();
  });

  it("forgets the narrowing once the doctor searches from the box again", async () => {
    const { user, backend } = await tooMany();
    await user.type(screen.getByTestId("search-birthdate"), "x{Enter}");
    await screen.findByTestId("search-birthdate-invalid");
    backend.searchLimit = 20;
    await searchFor(user, "王秀英");
    expect(screen.queryByTestId("search-birthdate-invalid")).not.toBeInTheDocument();
    expect(screen.queryByTestId("search-too-many")).not.toBeInTheDocument();
  });
});

describe("recent patients", () => {
  it("are asked of the core when the box is empty, and say so while there are none", async () => {
    const { user, backend } = start();
    await signIn(user);
    const recent = await screen.findByTestId("recent-patients");
    expect(within(recent).getByRole("heading", { level: 2 })).toHaveTextContent("Recent patients");
    expect(within(recent).getByTestId("recent-empty")).toHaveTextContent("The patients you open will be listed here");
    expect(backend.calls).toContainEqual({ method: "recentPatients", args: [] });
  });

  it("list the patients opened, newest first, asked again on every return to the search", async () => {
    const { user, backend } = start();
    await signIn(user);
    const asked = () => backend.calls.filter((call) => call.method === "recentPatients").length;
    expect(asked()).toBe(1);
    await openAndReturn(user, "王秀英");
    expect(asked()).toBe(2);
    await openAndReturn(user, "Margaret");
    await openAndReturn(user, "王秀英");
    expect(asked()).toBe(4);

    // The results of the last search stay until the box is emptied.
    expect(screen.queryByTestId("recent-patients")).not.toBeInTheDocument();
    await user.clear(screen.getByTestId("search-input"));
    expect(screen.queryByTestId("search-results")).not.toBeInTheDocument();
    const rows = await recentRows();
    expect(names(rows)).toEqual(["王秀英", "Margaret Thompson"]);
    expect(rows[0]).toHaveTextContent("110105195804120020");
  });

  it("are shown as the core masks them", async () => {
    const { user } = start();
    await signIn(user);
    await openAndReturn(user, "欧阳");
    await user.clear(screen.getByTestId("search-input"));
    const [row] = await recentRows();
    expect(row).toHaveTextContent("欧阳**");
    expect(row).toHaveTextContent("110102********2843");
  });

  it("move with the arrow keys from the box, Home and End, and open with Enter", async () => {
    const { user } = start();
    await signIn(user);
    for (const query of ["王秀英", "Margaret", "王建国"]) await openAndReturn(user, query);
    await user.clear(screen.getByTestId("search-input"));
    const rows = await recentRows();
    expect(names(rows)).toEqual(["王建国", "Margaret Thompson", "王秀英"]);

    expect(screen.getByTestId("search-input")).toHaveFocus();
    await user.keyboard("{ArrowDown}");
    expect(rows[0]).toHaveFocus();
    await user.keyboard("{ArrowDown}{ArrowDown}{ArrowDown}");
    expect(rows[2]).toHaveFocus();
    await user.keyboard("{Home}");
    expect(rows[0]).toHaveFocus();
    await user.keyboard("{End}{ArrowUp}");
    expect(rows[1]).toHaveFocus();
    await user.keyboard("{Enter}");
    expect(await screen.findByTestId("patient-name")).toHaveTextContent("Margaret Thompson");
  });

  it("give the keyboard back to the row opened, now at the top", async () => {
    const { user } = start();
    await signIn(user);
    for (const query of ["王秀英", "Margaret"]) await openAndReturn(user, query);
    await user.clear(screen.getByTestId("search-input"));
    const rows = await recentRows();
    await user.click(rows[1]!);
    await screen.findByTestId("patient-name");
    await user.click(screen.getByTestId("chart-back"));
    await waitFor(() => expect(names(screen.getAllByTestId("recent-patient"))).toEqual(["王秀英", "Margaret Thompson"]));
    await waitFor(() => expect(screen.getAllByTestId("recent-patient")[0]).toHaveFocus());
  });

  it("are not kept by the screen once the doctor signs out: the core is asked again", async () => {
    const { user, backend } = start();
    await signIn(user);
    await openAndReturn(user, "王秀英");
    await user.clear(screen.getByTestId("search-input"));
    await recentRows();
    await user.click(screen.getByTestId("logout"));
    await screen.findByTestId("login-form");
    expect(document.body).not.toHaveTextContent("王秀英");

    const release = backend.hold("recentPatients");
    await signIn(user);
    expect(screen.getByTestId("search-input")).toHaveValue("");
    expect(screen.queryByTestId("recent-patient")).not.toBeInTheDocument();
    release();
    expect(names(await recentRows())).toEqual(["王秀英"]);
  });

  it("are not kept while the screen is locked: the core is asked again after unlocking", async () => {
    const { user, backend } = start();
    await signIn(user);
    await openAndReturn(user, "Margaret");
    await user.clear(screen.getByTestId("search-input"));
    await recentRows();
    await user.click(screen.getByTestId("lock-now"));
    await screen.findByTestId("lock-screen");
    expect(document.body).not.toHaveTextContent("Margaret");

    const release = backend.hold("recentPatients");
    await user.type(screen.getByTestId("login-password"), `${SAMPLE_PASSWORD}{Enter}`);
    await screen.findByTestId("search-input");
    expect(screen.queryByTestId("recent-patient")).not.toBeInTheDocument();
    release();
    expect(names(await recentRows())).toEqual(["Margaret Thompson"]);
  });

  it("are each doctor's own", async () => {
    const { user } = start();
    await signIn(user);
    await openAndReturn(user, "王秀英");
    await user.click(screen.getByTestId("logout"));
    await signIn(user, HEAD_USERNAME);
    expect(await screen.findByTestId("recent-empty")).toBeInTheDocument();
  });

  it("never go to web storage", async () => {
    const { user } = start();
    await signIn(user);
    await openAndReturn(user, "王秀英");
    await user.clear(screen.getByTestId("search-input"));
    await recentRows();
    expect(localStorage).toHaveLength(0);
    expect(sessionStorage).toHaveLength(0);
  });

  it("say when they cannot be shown", async () => {
    const { user } = start({
      failures: { recentPatients: { code: "CacheUnreadable", message: "The local cache cannot be read." } },
    });
    await signIn(user);
    expect(await screen.findByTestId("recent-unavailable")).toHaveTextContent(
      "Recent patients cannot be shown: Local cache cannot be read",
    );
  });

  it("are not offered to an account without patient access", async () => {
    const { user, backend } = start({
      failures: { recentPatients: { code: "AccessDenied", message: "this account may not view patient records" } },
    });
    await signIn(user);
    await waitFor(() => expect(backend.calls.map((call) => call.method)).toContain("recentPatients"));
    expect(screen.queryByTestId("recent-patients")).not.toBeInTheDocument();
    expect(screen.getByTestId("search-input")).toBeInTheDocument();
  });

  it("lock the screen when the core says it is locked", async () => {
    const { user, backend } = start();
    await signIn(user);
    const [row] = await searchFor(user, "王秀英");
    await user.click(row!);
    await screen.findByTestId("patient-name");
    await backend.lock();
    await user.click(screen.getByTestId("chart-back"));
    expect(await screen.findByTestId("lock-screen")).toBeInTheDocument();
    expect(document.body).not.toHaveTextContent("王秀英");
  });
});

describe("age and sex on the rows", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each([
    ["en", "Sex Female", "Age 67 years", "Age 40–41 years", "Date of birth Apr 12, 1958", "Date of birth 1985"],
    ["zh-CN", "性别 女", "年龄 67岁", "年龄 40–41岁", "出生日期 1958年4月12日", "出生日期 1985年"],
  ] as const)("shows them from what the core sent (%s), a range for a generalised birth date", async (locale, sex, age, range, born, year) => {
    vi.useFakeTimers({ toFake: ["Date"] });
    vi.setSystemTime(new Date(2026, 3, 10, 9, 30));
    const { user } = start({}, locale);
    await signIn(user);
    const [wang] = await searchFor(user, "王秀英");
    expect(within(wang!).getByTestId("row-sex")).toHaveTextContent(sex);
    expect(within(wang!).getByTestId("row-age")).toHaveTextContent(age);
    // The birth date in the locale, as precise as the core sent it.
    expect(within(wang!).getByTestId("row-birth-date")).toHaveTextContent(born);
    const [ouyang] = await searchFor(user, "欧阳");
    expect(within(ouyang!).getByTestId("row-age")).toHaveTextContent(range);
    expect(within(ouyang!).getByTestId("row-birth-date")).toHaveTextContent(year);
  });

  it("shows no age where there is nothing to go on", async () => {
    const base = sampleCharts[1]!;
    const { user } = start({ charts: [{ ...base, patient: { ...base.patient, birthDate: "19**", gender: null } }] });
    await signIn(user);
    const [row] = await searchFor(user, "王建国");
    expect(within(row!).queryByTestId("row-age")).not.toBeInTheDocument();
    expect(within(row!).queryByTestId("row-sex")).not.toBeInTheDocument();
    expect(row).toHaveTextContent("19**");
  });
});

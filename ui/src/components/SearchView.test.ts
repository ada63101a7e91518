// The search screen by keyboard: a shortcut back to the search box from
// anywhere on it, and the arrow keys through the results.
import { screen, waitFor, within } from "@testing-library/svelte";
import type userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import { signIn, startApp as start } from "../lib/appHarness";
import { sampleCharts, type ChartContent } from "../lib/fakeBackend";

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
    expect(input).toHaveAttribute("aria-describedby", hint.id);
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

// Test support, never part of the app bundle: a doctor signed in with one
// patient's chart open, as the chart views' tests start.
import { screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { signIn, startApp } from "./appHarness";
import type { ChartTab } from "./chartViews";
import type { FakeBackendOptions } from "./fakeBackend";
import type { Locale } from "./i18n";

/** Opens the chart of the patient `query` finds (王秀英 by default), on the Summary tab. */
export async function openChart(
  { query = "王秀英", locale = "en", options = {} }: { query?: string; locale?: Locale; options?: FakeBackendOptions } = {},
) {
  const started = startApp(options, locale, userEvent.setup());
  await signIn(started.user);
  const input = await screen.findByTestId("search-input");
  await started.user.type(input, `${query}{Enter}`);
  await started.user.click(await screen.findByTestId("patient-row"));
  await screen.findByTestId("patient-name");
  return started;
}

/** Shows a section of the open chart by its tab and returns the section's panel. */
export async function showTab(user: ReturnType<typeof userEvent.setup>, tab: ChartTab): Promise<HTMLElement> {
  await user.click(screen.getByTestId(`tab-${tab}`));
  return screen.getByTestId(`panel-${tab}`);
}

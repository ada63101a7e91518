// Test support, never part of the app bundle: the whole App against a
// FakeBackend, as the component tests that walk a doctor through it use it.
import { render, screen } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import App from "../App.svelte";
import { FakeBackend, SAMPLE_PASSWORD, SAMPLE_USERNAME, type FakeBackendOptions } from "./fakeBackend";
import { I18n } from "./locale.svelte";

/** Renders the App on a fake backend that reports `locale` as the start locale. */
export function startApp(
  options: FakeBackendOptions = {},
  locale: "en" | "zh-CN" = "en",
  user = userEvent.setup(),
) {
  const backend = new FakeBackend({ locale, ...options });
  const view = render(App, { props: { backend, i18n: new I18n(locale) } });
  return { backend, user, view };
}

/** Logs the sample doctor (or another sample account, by username) in through the login form. */
export async function signIn(user: ReturnType<typeof userEvent.setup>, username = SAMPLE_USERNAME) {
  await user.type(await screen.findByTestId("login-username"), username);
  await user.type(screen.getByTestId("login-password"), SAMPLE_PASSWORD);
  await user.click(screen.getByTestId("login-submit"));
  await screen.findByTestId("topbar");
}

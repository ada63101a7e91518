import { render, screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import App from "./App.svelte";
import type { Chart } from "./bindings/Chart";
import {
  FakeBackend,
  LOCKED_USERNAME,
  SAMPLE_PASSWORD,
  SAMPLE_USERNAME,
  sampleCharts,
  type FakeBackendOptions,
} from "./lib/fakeBackend";
import { I18n } from "./lib/locale.svelte";

function start(options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en") {
  // The core reports the start locale; by default the one the test starts in.
  const backend = new FakeBackend({ locale, ...options });
  const user = userEvent.setup();
  const view = render(App, { props: { backend, i18n: new I18n(locale) } });
  return { backend, user, view };
}

async function signIn(user: ReturnType<typeof userEvent.setup>) {
  await user.type(await screen.findByTestId("login-username"), SAMPLE_USERNAME);
  await user.type(screen.getByTestId("login-password"), SAMPLE_PASSWORD);
  await user.click(screen.getByTestId("login-submit"));
  await screen.findByTestId("topbar");
}

async function searchFor(user: ReturnType<typeof userEvent.setup>, query: string) {
  const input = await screen.findByTestId("search-input");
  await user.clear(input);
  await user.type(input, `${query}{Enter}`);
}

describe("login", () => {
  it("signs in with username and password and shows the doctor in the top bar", async () => {
    const { user } = start();
    await signIn(user);
    const topbarUser = screen.getByTestId("topbar-user");
    expect(topbarUser).toHaveTextContent("张伟");
    expect(topbarUser).toHaveTextContent("A10238");
    expect(screen.queryByTestId("login-form")).not.toBeInTheDocument();
    expect(screen.getByTestId("search-form")).toBeInTheDocument();
  });

  it("shows the error and clears the password after a wrong password", async () => {
    const { user } = start();
    await user.type(await screen.findByTestId("login-username"), SAMPLE_USERNAME);
    await user.type(screen.getByTestId("login-password"), "wrong-password");
    await user.click(screen.getByTestId("login-submit"));

    const error = await screen.findByTestId("login-error");
    expect(error).toHaveAttribute("role", "alert");
    expect(error).toHaveTextContent("Wrong username or password");
    expect(error).toHaveTextContent("The username or password is incorrect.");
    expect(screen.getByTestId("login-password")).toHaveValue("");
    expect(screen.getByTestId("login-username")).toHaveValue(SAMPLE_USERNAME);
    await waitFor(() => expect(screen.getByTestId("login-password")).toHaveFocus());
    expect(screen.queryByTestId("topbar")).not.toBeInTheDocument();
  });

  it("shows a localised headline for a locked account", async () => {
    const { user } = start({}, "zh-CN");
    await user.type(await screen.findByTestId("login-username"), LOCKED_USERNAME);
    await user.type(screen.getByTestId("login-password"), "whatever{Enter}");
    const error = await screen.findByTestId("login-error");
    expect(error).toHaveTextContent("账号已锁定");
    expect(error).toHaveTextContent("The account is locked.");
  });

  it("shows the core's message when the identity provider is unreachable", async () => {
    const { user } = start({
      failures: { loginPassword: { code: "IdpUnreachable", message: "The identity provider did not answer." } },
    });
    await user.type(await screen.findByTestId("login-username"), SAMPLE_USERNAME);
    await user.type(screen.getByTestId("login-password"), `${SAMPLE_PASSWORD}{Enter}`);
    const error = await screen.findByTestId("login-error");
    expect(error).toHaveTextContent("Sign-in service unreachable");
    expect(error).toHaveTextContent("The identity provider did not answer.");
  });

  it("offers only the login flows the core reports", async () => {
    start({ loginFlows: ["browser"] });
    expect(await screen.findByTestId("login-browser")).toBeInTheDocument();
    expect(screen.getByTestId("login-form")).toBeInTheDocument();
    expect(screen.queryByTestId("login-username")).not.toBeInTheDocument();
    expect(screen.queryByTestId("login-password")).not.toBeInTheDocument();
  });

  it("waits for the browser login and cancels it", async () => {
    const { user, backend } = start({ browserLoginMs: Number.POSITIVE_INFINITY });
    await user.click(await screen.findByTestId("login-browser"));
    expect(await screen.findByTestId("login-waiting")).toBeInTheDocument();
    expect(screen.getByTestId("login-browser")).toBeDisabled();

    await user.click(screen.getByTestId("login-cancel"));
    await waitFor(() => expect(screen.queryByTestId("login-waiting")).not.toBeInTheDocument());
    expect(backend.calls.map((c) => c.method)).toContain("cancelLogin");
    // Cancelling is the user's own choice, not an error.
    expect(screen.queryByTestId("login-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("login-browser")).toBeEnabled();
  });

  it("completes a browser login", async () => {
    const { user } = start({ browserLoginMs: 10 });
    await user.click(await screen.findByTestId("login-browser"));
    expect(await screen.findByTestId("topbar-user")).toHaveTextContent("张伟");
  });

  it("skips the login screen when a session already exists", async () => {
    start({ loggedIn: true });
    expect(await screen.findByTestId("topbar")).toBeInTheDocument();
  });

  it("shows a start-up error with a retry when the configuration is invalid", async () => {
    start({ failures: { appInfo: { code: "ConfigInvalid", message: "config.toml: platform.url is missing." } } });
    const error = await screen.findByTestId("app-error");
    expect(error).toHaveTextContent("Configuration problem");
    expect(error).toHaveTextContent("platform.url is missing");
  });
});

describe("search", () => {
  it("renders one row per patient with demographics and identifiers", async () => {
    const { user, backend } = start();
    await signIn(user);
    await searchFor(user, "王");

    const results = await screen.findByTestId("search-results");
    const rows = within(results).getAllByTestId("patient-row");
    expect(rows.map((row) => row.getAttribute("data-patient-id"))).toEqual(["pat-cn-0001", "pat-cn-0002"]);
    expect(rows[0]).toHaveTextContent("王秀英");
    expect(rows[0]).toHaveTextContent("Female");
    expect(rows[0]).toHaveTextContent("1958-04-12");
    expect(rows[0]).toHaveTextContent("Resident ID");
    expect(rows[0]).toHaveTextContent("110105195804120020");
    expect(rows[0]).toHaveTextContent("MRN");
    expect(rows[0]?.tagName).toBe("BUTTON");
    expect(backend.calls).toContainEqual({ method: "searchPatients", args: ["王"] });
  });

  it("says so when no patient matches", async () => {
    const { user } = start();
    await signIn(user);
    await searchFor(user, "Nobody");
    expect(await screen.findByTestId("search-empty")).toHaveTextContent("No patients found");
    expect(screen.queryByTestId("search-results")).not.toBeInTheDocument();
  });

  it("shows platform errors", async () => {
    const { user } = start({
      failures: { searchPatients: { code: "PlatformUnreachable", message: "The regional platform did not answer." } },
    });
    await signIn(user);
    await searchFor(user, "王");
    const error = await screen.findByTestId("search-error");
    expect(error).toHaveTextContent("Regional platform unreachable");
    expect(error).toHaveTextContent("The regional platform did not answer.");
  });

  it("returns to the login screen when the session has expired", async () => {
    const { user } = start({
      failures: { searchPatients: { code: "SessionExpired", message: "The session has expired." } },
    });
    await signIn(user);
    await searchFor(user, "王");
    expect(await screen.findByTestId("login-form")).toBeInTheDocument();
    expect(screen.getByTestId("login-notice")).toHaveTextContent("Your session has ended");
    expect(screen.queryByTestId("topbar")).not.toBeInTheDocument();
  });
});

describe("chart", () => {
  async function openWangXiuying() {
    const started = start();
    await signIn(started.user);
    await searchFor(started.user, "110105195804120020");
    const [row] = await screen.findAllByTestId("patient-row");
    await started.user.click(row!);
    await screen.findByTestId("patient-name");
    return started;
  }

  it("shows header, summary panels and encounters with their sources", async () => {
    const { backend } = await openWangXiuying();
    expect(backend.calls).toContainEqual({ method: "openPatient", args: ["pat-cn-0001"] });

    const header = screen.getByTestId("patient-header");
    expect(screen.getByTestId("patient-name")).toHaveTextContent("王秀英");
    expect(header).toHaveTextContent("1958-04-12");
    expect(header).toHaveTextContent("Female");
    expect(header).toHaveTextContent("110105195804120020");
    expect(header).toHaveTextContent("13901234567");
    expect(header).toHaveTextContent("北京市朝阳区建国路88号3单元502室");

    const summary = screen.getByTestId("summary");
    const problems = within(summary).getByTestId("problems");
    expect(within(problems).getAllByTestId("problem-row")).toHaveLength(3);
    expect(problems).toHaveTextContent("2型糖尿病");
    expect(problems).toHaveTextContent("E11.9");

    const medications = within(summary).getByTestId("medications");
    expect(within(medications).getAllByTestId("medication-row")).toHaveLength(3);
    expect(medications).toHaveTextContent("每日两次，每次1片，随餐服用");

    const allergies = within(summary).getByTestId("allergies");
    expect(within(allergies).getAllByTestId("allergy-row")).toHaveLength(2);
    expect(allergies).toHaveTextContent("青霉素");
    expect(allergies).toHaveTextContent("全身皮疹");

    const labs = within(summary).getByTestId("labs");
    const labRows = within(labs).getAllByTestId("lab-row");
    expect(labRows).toHaveLength(5);
    expect(labRows[0]).toHaveTextContent("糖化血红蛋白 (HbA1c)");
    expect(labRows[0]).toHaveTextContent("7.8 %");
    expect(within(labRows[0]!).getByTestId("lab-flag")).toHaveClass("flag-high");
    expect(within(labRows[3]!).getByTestId("lab-flag")).toHaveClass("flag-low");
    expect(within(labRows[4]!).getByTestId("lab-flag")).not.toHaveClass("flag-high", "flag-low");

    const encounters = screen.getByTestId("encounters");
    const encounterRows = within(encounters).getAllByTestId("encounter-row");
    // Newest first, whatever order the core sent.
    expect(encounterRows.map((row) => row.textContent)).toEqual([
      expect.stringContaining("2024-05-20 08:40"),
      expect.stringContaining("2024-01-15 22:10"),
      expect.stringContaining("2023-11-02 09:30"),
    ]);
    expect(within(encounterRows[0]!).getByTestId("source-badge")).toHaveTextContent("北京协和医院");
    expect(within(encounterRows[1]!).getByTestId("source-badge")).toHaveTextContent("首都医科大学附属北京朝阳医院");
    expect(within(encounterRows[2]!).getByTestId("source-badge")).toHaveTextContent("北京大学第一医院");

    // Every clinical row names its hospital.
    for (const row of [
      ...within(problems).getAllByTestId("problem-row"),
      ...within(medications).getAllByTestId("medication-row"),
      ...within(allergies).getAllByTestId("allergy-row"),
      ...labRows,
    ]) {
      expect(within(row).getByTestId("source-badge")).not.toBeEmptyDOMElement();
    }
  });

  it("says how many restricted records are sealed, and only when there are some", async () => {
    await openWangXiuying();
    expect(screen.getByTestId("chart-sealed")).toHaveTextContent("2 restricted records are sealed");
  });

  it("shows no sealed note for a chart without sealed records", async () => {
    const { user } = start();
    await signIn(user);
    await searchFor(user, "王建国");
    await user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("patient-name");
    expect(screen.queryByTestId("chart-sealed")).toBeNull();
  });

  it("shows an empty state per panel", async () => {
    const { user } = start();
    await signIn(user);
    await searchFor(user, "王建国");
    await user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("patient-name");
    for (const panel of ["problems", "medications", "allergies", "labs", "encounters"]) {
      expect(screen.getByTestId(`${panel}-empty`)).toBeInTheDocument();
    }
    expect(screen.getByTestId("allergies-empty")).toHaveTextContent("does not mean the patient has no allergies");
  });

  it("goes back to the search with the results kept", async () => {
    const { user } = await openWangXiuying();
    await user.click(screen.getByTestId("chart-back"));
    const rows = await screen.findAllByTestId("patient-row");
    expect(rows).toHaveLength(1);
    expect(screen.getByTestId("search-input")).toHaveValue("110105195804120020");
    expect(screen.queryByTestId("chart")).not.toBeInTheDocument();
    await waitFor(() => expect(rows[0]).toHaveFocus());
  });

  it("shows chart errors", async () => {
    const { user } = start({
      failures: { openPatient: { code: "MalformedData", message: "A resource could not be parsed." } },
    });
    await signIn(user);
    await searchFor(user, "Margaret");
    await user.click(await screen.findByTestId("patient-row"));
    const error = await screen.findByTestId("chart-error");
    expect(error).toHaveTextContent("The platform sent data that could not be read");
    expect(error).toHaveTextContent("A resource could not be parsed.");
    expect(screen.queryByTestId("patient-header")).not.toBeInTheDocument();
  });

  it("renders markup in clinical text as literal text", async () => {
    const payload = "<img src=x onerror=alert(1)>";
    const base = sampleCharts[2]!;
    const hostile: Chart = {
      ...base,
      patient: { ...base.patient, id: "pat-xss", name: `Mallory ${payload}`, address: payload },
      problems: [{ ...base.problems[0]!, text: payload }],
      medications: [{ ...base.medications[0]!, dosage: payload }],
      allergies: [{ ...base.allergies[0]!, substance: payload, reactions: [payload] }],
      labs: [{ ...base.labs[0]!, name: payload, value: payload }],
      encounters: [{ ...base.encounters[0]!, reason: payload, hospital: payload }],
    };
    const { user, view } = start({ charts: [hostile] });
    await signIn(user);
    await searchFor(user, "Mallory");
    const row = await screen.findByTestId("patient-row");
    expect(row).toHaveTextContent(payload);
    await user.click(row);

    expect(await screen.findByTestId("patient-name")).toHaveTextContent(`Mallory ${payload}`);
    expect(screen.getByTestId("problems")).toHaveTextContent(payload);
    expect(screen.getByTestId("allergies")).toHaveTextContent(payload);
    expect(screen.getByTestId("labs")).toHaveTextContent(payload);
    expect(screen.getByTestId("encounters")).toHaveTextContent(payload);
    expect(view.container.querySelector("img")).toBeNull();
    expect(document.querySelector("img")).toBeNull();
  });
});

describe("top bar", () => {
  it("switches the language of UI strings, not of clinical text", async () => {
    const { user } = start();
    await signIn(user);
    expect(screen.getByTestId("logout")).toHaveTextContent("Sign out");
    expect(screen.getByTestId("search-submit")).toHaveTextContent("Search");
    expect(document.documentElement.lang).toBe("en");

    await user.click(screen.getByTestId("lang-toggle"));
    expect(screen.getByTestId("logout")).toHaveTextContent("退出登录");
    expect(screen.getByTestId("search-submit")).toHaveTextContent("搜索");
    expect(screen.getByTestId("topbar-user")).toHaveTextContent("工号 A10238");
    expect(document.documentElement.lang).toBe("zh-CN");

    await searchFor(user, "Margaret");
    const row = await screen.findByTestId("patient-row");
    expect(row).toHaveTextContent("Margaret Thompson");
    expect(row).toHaveTextContent("护照号");

    await user.click(screen.getByTestId("lang-toggle"));
    expect(screen.getByTestId("logout")).toHaveTextContent("Sign out");
    expect(document.documentElement.lang).toBe("en");
  });

  it("follows the locale the core reports at start", async () => {
    start({ locale: "zh-CN" });
    expect(await screen.findByTestId("login-submit")).toHaveTextContent("登录");
    expect(document.documentElement.lang).toBe("zh-CN");
  });

  it("logs out, drops the patient data and shows the login screen", async () => {
    const { user, backend } = start();
    await signIn(user);
    await searchFor(user, "王");
    await screen.findByTestId("search-results");
    await user.click(screen.getByTestId("logout"));
    expect(await screen.findByTestId("login-form")).toBeInTheDocument();
    expect(backend.calls.map((c) => c.method)).toContain("logout");

    await signIn(user);
    expect(screen.queryByTestId("search-results")).not.toBeInTheDocument();
    expect(screen.getByTestId("search-input")).toHaveValue("");
  });
});

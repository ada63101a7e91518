import { screen, waitFor, within } from "@testing-library/svelte";
import userEvent from "@testing-library/user-event";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { AccessView } from "./bindings/AccessView";
import { GLASS_GRACE_MS } from "./lib/chartState.svelte";
import {
  CACHED_PATIENT_ID,
  GLASS_MINUTES,
  GLASS_WATERMARK_COLOR,
  SAMPLE_WATERMARK,
  SIGNED_OUT_WATERMARK_LINES,
  LOCKED_USERNAME,
  SAMPLE_PASSWORD,
  SAMPLE_USERNAME,
  sampleCharts,
  type ChartContent,
  type FakeBackendOptions,
} from "./lib/fakeBackend";
import { formatClock, formatInstant } from "./lib/format";
import { signIn, startApp as start } from "./lib/appHarness";

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
    expect(rows[0]).toHaveTextContent("Apr 12, 1958");
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
    const { backend, user } = await openWangXiuying();
    expect(backend.calls).toContainEqual({ method: "openPatient", args: ["pat-cn-0001"] });

    const header = screen.getByTestId("patient-header");
    expect(screen.getByTestId("patient-name")).toHaveTextContent("王秀英");
    expect(header).toHaveTextContent("Apr 12, 1958");
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
    expect(within(medications).getAllByTestId("med-row")).toHaveLength(4);
    expect(medications).toHaveTextContent("每日两次，每次1片，随餐服用");

    const allergies = within(summary).getByTestId("allergies");
    expect(within(allergies).getAllByTestId("allergy-row")).toHaveLength(2);
    expect(allergies).toHaveTextContent("青霉素");
    expect(allergies).toHaveTextContent("全身皮疹");

    const labs = within(summary).getByTestId("labs");
    const labRows = within(labs).getAllByTestId("lab-row");
    expect(labRows).toHaveLength(6);
    expect(labRows[0]).toHaveTextContent("糖化血红蛋白 (HbA1c)");
    expect(labRows[0]).toHaveTextContent("7.8 %");
    expect(within(labRows[0]!).getByTestId("lab-flag")).toHaveClass("flag-high");
    expect(within(labRows[3]!).getByTestId("lab-flag")).toHaveClass("flag-low");
    expect(within(labRows[4]!).getByTestId("lab-flag")).not.toHaveClass("flag-high", "flag-low");
    const vitalRows = within(within(summary).getByTestId("vitals")).getAllByTestId("lab-row");
    expect(vitalRows.map((row) => row.textContent)).toEqual([
      expect.stringContaining("148/88 mmHg"),
      expect.stringContaining("76 /min"),
    ]);

    // Encounters are on the timeline, newest first, whatever order the core sent.
    await user.click(screen.getByTestId("tab-timeline"));
    const encounterRows = within(screen.getByTestId("timeline")).getAllByTestId("timeline-encounter");
    expect(encounterRows.map((row) => row.textContent)).toEqual([
      expect.stringContaining("May 20, 2024, 08:40"),
      expect.stringContaining("Jan 15, 2024, 22:10"),
      expect.stringContaining("Nov 2, 2023, 09:30"),
      expect.stringContaining("Oct 27, 2021, 09:00"),
      expect.stringContaining("Mar 11, 2019, 10:15"),
      expect.stringContaining("Jun 18, 2012, 14:00"),
    ]);
    expect(within(encounterRows[0]!).getByTestId("source-badge")).toHaveTextContent("北京协和医院");
    expect(within(encounterRows[1]!).getByTestId("source-badge")).toHaveTextContent("首都医科大学附属北京朝阳医院");
    expect(within(encounterRows[2]!).getByTestId("source-badge")).toHaveTextContent("北京大学第一医院");

    // Every clinical row names its hospital.
    for (const row of [
      ...within(problems).getAllByTestId("problem-row"),
      ...within(medications).getAllByTestId("med-row"),
      ...within(allergies).getAllByTestId("allergy-row"),
      ...labRows,
      ...vitalRows,
      ...encounterRows,
    ]) {
      expect(within(row).getAllByTestId("source-badge")[0]).not.toBeEmptyDOMElement();
    }
  });

  it("says how many restricted records are sealed, and only when there are some", async () => {
    await openWangXiuying();
    expect(screen.getByTestId("chart-sealed")).toHaveTextContent("2 restricted records are sealed");
  });

  it("says so in the singular for one sealed record", async () => {
    const { user } = start({ charts: [{ ...sampleCharts[2]!, sealed: 1 }] });
    await signIn(user);
    await searchFor(user, "Margaret");
    await user.click(await screen.findByTestId("patient-row"));
    expect(await screen.findByTestId("chart-sealed")).toHaveTextContent("1 restricted record is sealed and not shown.");
  });

  it("shows no sealed note for a chart without sealed records", async () => {
    const { user } = start();
    await signIn(user);
    await searchFor(user, "王建国");
    await user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("patient-name");
    expect(screen.queryByTestId("chart-sealed")).toBeNull();
  });

  it("shows an empty state per panel and per section", async () => {
    const { user } = start();
    await signIn(user);
    await searchFor(user, "王建国");
    await user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("patient-name");
    for (const panel of ["problems", "medications", "allergies", "vitals", "labs"]) {
      expect(screen.getByTestId(`${panel}-empty`)).toBeInTheDocument();
    }
    expect(screen.getByTestId("allergies-empty")).toHaveTextContent("does not mean the patient has no allergies");
    await user.click(screen.getByTestId("tab-timeline"));
    expect(screen.getByTestId("timeline-empty")).toHaveTextContent("The platform has no encounters");
    await user.click(screen.getByTestId("tab-results"));
    expect(screen.getByTestId("results-empty")).toHaveTextContent("The platform has no results");
    await user.click(screen.getByTestId("tab-documents"));
    expect(screen.getByTestId("documents-empty")).toHaveTextContent("The platform has no documents");
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
    const hostile: ChartContent = {
      ...base,
      patient: { ...base.patient, id: "pat-xss", name: `Mallory ${payload}`, address: payload },
      problems: [{ ...base.problems[0]!, text: payload }],
      medications: [{ ...base.medications[0]!, dosage: payload }],
      allergies: [{ ...base.allergies[0]!, substance: payload, reactions: [payload] }],
      labs: [{ ...base.labs[0]!, name: payload, value: payload }],
      results: [
        {
          ...base.results[0]!,
          name: payload,
          unit: payload,
          points: [{ ...base.results[0]!.points[0]!, text: payload, value: null, recorded: payload, source: payload }],
        },
      ],
      encounters: [
        {
          ...base.encounters[0]!,
          reason: payload,
          hospital: payload,
          items: [{ kind: "procedure", id: "proc-x", text: payload, detail: payload, date: null, flag: null }],
        },
      ],
      documents: [
        {
          ...base.documents[0]!,
          title: payload,
          author: payload,
          blocks: [
            { kind: "heading", text: payload },
            { kind: "paragraph", text: payload },
            { kind: "item", text: payload },
            { kind: "row", cells: [payload, payload] },
          ],
        },
      ],
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
    await user.click(screen.getByTestId("tab-timeline"));
    const encounter = screen.getByTestId("timeline-encounter");
    expect(encounter).toHaveTextContent(payload);
    await user.click(within(encounter).getByRole("button", { expanded: false }));
    expect(screen.getByTestId("encounter-detail")).toHaveTextContent(payload);
    await user.click(screen.getByTestId("tab-results"));
    await user.click(screen.getByTestId("results-open"));
    expect(screen.getByTestId("results-row")).toHaveTextContent(payload);
    expect(screen.getByTestId("result-points")).toHaveTextContent(payload);
    await user.click(screen.getByTestId("tab-documents"));
    await user.click(within(screen.getByTestId("document-row")).getByRole("button"));
    // Title, author, heading, paragraph, list item and both cells: all text.
    expect(screen.getByTestId("document-body").textContent?.split(payload)).toHaveLength(8);
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

describe("idle lock", () => {
  it("locks after the configured idle time, drops the chart and unlocks back to it", async () => {
    // 0.02 minutes: the lock comes 1.2 s after the last input.
    const { user, backend } = start({ idleLockMinutes: 0.02 });
    await signIn(user);
    await searchFor(user, "王");
    await user.click((await screen.findAllByTestId("patient-row"))[0]!);
    await screen.findByTestId("patient-header");

    const lock = await screen.findByTestId("lock-screen", {}, { timeout: 5000 });
    expect(backend.calls.map((c) => c.method)).toContain("lock");
    expect(screen.queryByTestId("patient-header")).not.toBeInTheDocument();
    expect(screen.queryByTestId("topbar")).not.toBeInTheDocument();
    expect(document.body).not.toHaveTextContent("王秀英");
    expect(within(lock).getByTestId("lock-who")).toHaveTextContent("张伟");
    expect(within(lock).queryByTestId("login-username")).not.toBeInTheDocument();

    await user.type(screen.getByTestId("login-password"), "wrong{Enter}");
    expect(await screen.findByTestId("lock-error")).toHaveTextContent("Wrong username or password");
    expect(screen.getByTestId("lock-screen")).toBeInTheDocument();

    await user.type(screen.getByTestId("login-password"), `${SAMPLE_PASSWORD}{Enter}`);
    expect(await screen.findByTestId("patient-header")).toHaveTextContent("王秀英");
    expect(screen.queryByTestId("lock-screen")).not.toBeInTheDocument();
  });

  it("locks from the top bar and signs out from the lock screen", async () => {
    const { user, backend } = start({}, "zh-CN");
    await signIn(user);
    await user.click(screen.getByTestId("lock-now"));
    const lock = await screen.findByTestId("lock-screen");
    expect(lock).toHaveTextContent("屏幕已锁定");
    await user.click(screen.getByTestId("lock-logout"));
    expect(await screen.findByTestId("login-form")).toBeInTheDocument();
    expect(backend.calls.map((c) => c.method)).toEqual(expect.arrayContaining(["lock", "logout"]));
  });

  it("shows the lock screen when the core says the screen is locked", async () => {
    const { user, backend } = start();
    await signIn(user);
    await backend.lock();
    await searchFor(user, "王");
    expect(await screen.findByTestId("lock-screen")).toBeInTheDocument();
    expect(screen.queryByTestId("search-results")).not.toBeInTheDocument();
  });
});

describe("local cache", () => {
  const NOW = new Date("2026-11-28T14:05:09Z");
  const CACHED_AS_OF = "2026-11-28T10:40:09Z"; // the fake's default: 3 h 25 min before NOW
  const WANG_RESIDENT_ID = "110105195804120020";
  const UNREACHABLE = "The regional platform cannot be reached: the connection failed.";

  function startCached(options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en") {
    return start({ now: () => NOW, ...options }, locale);
  }

  async function openFirst(user: ReturnType<typeof userEvent.setup>, query: string) {
    await searchFor(user, query);
    const [row] = await screen.findAllByTestId("patient-row");
    await user.click(row!);
    return screen.findByTestId("patient-name");
  }

  /** Lets every pending promise (the fake has no delays) settle. */
  const settle = () => new Promise((resolve) => setTimeout(resolve, 10));

  it("shows a cached chart at once with its time, then replaces it with the platform's", async () => {
    const base = sampleCharts[0]!;
    // The cache holds an older copy: one allergy fewer than the platform has now.
    const older = { ...base, allergies: base.allergies.slice(0, 1) };
    const { user, backend } = startCached({ staleCharts: [older] });
    const release = backend.hold("refreshPatient");
    await signIn(user);
    await openFirst(user, WANG_RESIDENT_ID);

    const banner = await screen.findByTestId("chart-freshness");
    expect(banner).toHaveAttribute("role", "status");
    expect(screen.getByTestId("header-as-of")).toHaveTextContent(`Data as of ${formatInstant(CACHED_AS_OF, "en")}`);
    expect(screen.getByTestId("header-as-of")).toHaveTextContent("from this workstation's cache");
    expect(within(banner).getByTestId("chart-refreshing")).toHaveTextContent("Updating from the regional platform");
    expect(within(screen.getByTestId("allergies")).getAllByTestId("allergy-row")).toHaveLength(1);
    expect(backend.calls).toContainEqual({ method: "refreshPatient", args: [CACHED_PATIENT_ID] });

    release();
    await waitFor(() => expect(screen.queryByTestId("chart-refreshing")).not.toBeInTheDocument());
    expect(screen.queryByTestId("chart-freshness")).not.toBeInTheDocument();
    expect(screen.getByTestId("header-as-of")).toHaveTextContent(
      `Data as of ${formatInstant("2026-11-28T14:05:09Z", "en")}`,
    );
    expect(screen.getByTestId("header-as-of")).toHaveTextContent("from the regional platform");
    expect(within(screen.getByTestId("allergies")).getAllByTestId("allergy-row")).toHaveLength(2);
    expect(screen.queryByTestId("chart-refresh-failed")).not.toBeInTheDocument();
  });

  it("pins a cached chart for offline use and unpins it", async () => {
    const { user, backend } = startCached();
    await signIn(user);
    await openFirst(user, WANG_RESIDENT_ID);
    const pin = await screen.findByTestId("chart-pin");
    expect(pin).toHaveAttribute("aria-pressed", "false");
    expect(pin).toHaveTextContent("Keep offline");

    await user.click(pin);
    await waitFor(() => expect(screen.getByTestId("chart-pin")).toHaveAttribute("aria-pressed", "true"));
    expect(screen.getByTestId("chart-pin")).toHaveTextContent("Kept offline");
    expect(backend.calls).toContainEqual({ method: "pinPatient", args: [CACHED_PATIENT_ID] });

    await user.click(screen.getByTestId("chart-pin"));
    await waitFor(() => expect(screen.getByTestId("chart-pin")).toHaveAttribute("aria-pressed", "false"));
  });

  it("offers no pin when there is no cache to keep the chart in", async () => {
    const message = "The local cache cannot be read.";
    const { user } = startCached({ cacheProblem: { code: "CacheUnreadable", message } });
    await signIn(user);
    await openFirst(user, "Margaret");
    expect(screen.queryByTestId("chart-pin")).not.toBeInTheDocument();
  });

  it("says when a chart came from the platform, and does not refresh it", async () => {
    const { user, backend } = startCached();
    await signIn(user);
    await openFirst(user, "Margaret");
    expect(screen.getByTestId("header-as-of")).toHaveTextContent(
      `Data as of ${formatInstant("2026-11-28T14:05:09Z", "en")}`,
    );
    expect(screen.getByTestId("header-as-of")).toHaveTextContent("from the regional platform");
    await settle();
    expect(backend.calls.map((c) => c.method)).not.toContain("refreshPatient");
  });

  it("shows the banner in Chinese", async () => {
    const { user } = startCached({ platformUnreachable: true }, "zh-CN");
    await signIn(user);
    await openFirst(user, WANG_RESIDENT_ID);
    const stale = await screen.findByTestId("chart-refresh-failed");
    expect(stale).toHaveTextContent(`当前显示截至 ${formatInstant(CACHED_AS_OF, "zh-CN")} 的数据：无法连接区域平台`);
    expect(within(stale).getByTestId("chart-refresh-retry")).toHaveTextContent("重试");
  });

  it("keeps the cached chart visible with a stale warning when the refresh fails, and retries", async () => {
    const { user, backend } = startCached({ platformUnreachable: true });
    await signIn(user);
    await openFirst(user, WANG_RESIDENT_ID);

    const stale = await screen.findByTestId("chart-refresh-failed");
    expect(stale).toHaveAttribute("role", "alert");
    expect(stale).toHaveTextContent(
      `Showing data as of ${formatInstant(CACHED_AS_OF, "en")}: the regional platform could not be reached`,
    );
    expect(stale).toHaveTextContent(UNREACHABLE);
    expect(screen.queryByTestId("chart-freshness")).not.toBeInTheDocument();
    // Not an error page: the cached chart stays readable.
    expect(screen.queryByTestId("chart-error")).not.toBeInTheDocument();
    expect(screen.getByTestId("patient-name")).toHaveTextContent("王秀英");
    expect(within(screen.getByTestId("allergies")).getAllByTestId("allergy-row")).toHaveLength(2);

    backend.platformUnreachable = false;
    await user.click(within(stale).getByTestId("chart-refresh-retry"));
    await waitFor(() => expect(screen.getByTestId("header-as-of")).toHaveTextContent("from the regional platform"));
    expect(screen.queryByTestId("chart-refresh-failed")).not.toBeInTheDocument();
    expect(backend.calls.filter((c) => c.method === "refreshPatient")).toHaveLength(2);
  });

  it("shows the stale warning again when the retry fails too", async () => {
    const { user, backend } = startCached({ platformUnreachable: true });
    await signIn(user);
    await openFirst(user, WANG_RESIDENT_ID);
    await user.click(await screen.findByTestId("chart-refresh-retry"));
    expect(await screen.findByTestId("chart-refresh-failed")).toHaveTextContent(UNREACHABLE);
    expect(backend.calls.filter((c) => c.method === "refreshPatient")).toHaveLength(2);
    expect(screen.getByTestId("patient-name")).toHaveTextContent("王秀英");
  });

  it("names other refresh failures by their headline", async () => {
    const { user } = startCached({
      failures: { refreshPatient: { code: "PlatformError", message: "The regional platform answered with an error (HTTP 503)." } },
    });
    await signIn(user);
    await openFirst(user, WANG_RESIDENT_ID);
    const stale = await screen.findByTestId("chart-refresh-failed");
    expect(stale).toHaveTextContent("the chart could not be updated from the regional platform");
    expect(stale).toHaveTextContent("Regional platform error");
    expect(stale).toHaveTextContent("HTTP 503");
    expect(screen.getByTestId("patient-name")).toHaveTextContent("王秀英");
  });

  it("takes the cached chart away when the refresh says access is denied", async () => {
    const { user } = startCached({
      failures: { refreshPatient: { code: "AccessDenied", message: "This account may not view patient records." } },
    });
    await signIn(user);
    await searchFor(user, WANG_RESIDENT_ID);
    await user.click(await screen.findByTestId("patient-row"));
    expect(await screen.findByTestId("chart-error")).toHaveTextContent("Not permitted");
    expect(screen.queryByTestId("patient-header")).not.toBeInTheDocument();
    expect(screen.queryByTestId("chart-refresh-failed")).not.toBeInTheDocument();
  });

  it("returns to the login screen when the session expired during the refresh", async () => {
    const { user } = startCached({
      failures: { refreshPatient: { code: "SessionExpired", message: "The session has expired." } },
    });
    await signIn(user);
    await searchFor(user, WANG_RESIDENT_ID);
    await user.click(await screen.findByTestId("patient-row"));
    expect(await screen.findByTestId("login-form")).toBeInTheDocument();
    expect(screen.getByTestId("login-notice")).toHaveTextContent("Your session has ended");
    expect(screen.queryByTestId("patient-name")).not.toBeInTheDocument();
  });

  it("never shows a late refresh of the previous patient in the next patient's chart", async () => {
    const { user, backend } = startCached();
    const releaseWang = backend.hold("refreshPatient", CACHED_PATIENT_ID);
    await signIn(user);
    await openFirst(user, WANG_RESIDENT_ID);
    expect(await screen.findByTestId("chart-refreshing")).toBeInTheDocument();

    // Record every state of the chart from here on.
    const seen: string[] = [];
    const observer = new MutationObserver(() => {
      const chart = document.querySelector('[data-testid="chart"]');
      if (chart) seen.push(chart.textContent ?? "");
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });

    await user.click(screen.getByTestId("chart-back"));
    seen.length = 0; // from here on only the next patient's chart may appear
    expect(await openFirst(user, "Margaret")).toHaveTextContent("Margaret Thompson");

    releaseWang();
    await settle();
    await settle();
    observer.disconnect();

    expect(backend.calls).toContainEqual({ method: "refreshPatient", args: [CACHED_PATIENT_ID] });
    expect(screen.getByTestId("patient-name")).toHaveTextContent("Margaret Thompson");
    expect(screen.getByTestId("chart")).not.toHaveTextContent("王秀英");
    expect(screen.getByTestId("header-as-of")).toHaveTextContent("from the regional platform");
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((text) => text.includes("王秀英") || text.includes("110105195804120020"))).toEqual([]);
  });

  it("never shows a late open of the previous patient", async () => {
    const { user, backend } = startCached();
    const releaseMargaret = backend.hold("openPatient", "pat-en-0001");
    await signIn(user);
    await searchFor(user, "Margaret");
    await user.click(await screen.findByTestId("patient-row"));
    expect(await screen.findByTestId("chart-loading")).toBeInTheDocument();
    await user.click(screen.getByTestId("chart-back"));

    await openFirst(user, WANG_RESIDENT_ID);
    releaseMargaret();
    await settle();
    expect(screen.getByTestId("patient-name")).toHaveTextContent("王秀英");
    expect(screen.getByTestId("chart")).not.toHaveTextContent("Margaret");
  });

  it("says when search results come from this workstation's cache", async () => {
    const { user } = startCached({ platformUnreachable: true });
    await signIn(user);
    await searchFor(user, "王");
    const notice = await screen.findByTestId("search-offline");
    expect(notice).toHaveAttribute("role", "status");
    expect(notice).toHaveTextContent(
      "The regional platform cannot be reached: showing patients cached on this workstation",
    );
    const rows = within(screen.getByTestId("search-results")).getAllByTestId("patient-row");
    expect(rows.map((row) => row.getAttribute("data-patient-id"))).toEqual([CACHED_PATIENT_ID]);
    expect(rows[0]).toHaveTextContent("王秀英");
    expect(rows[0]).toHaveTextContent("110105195804120020");
  });

  it("shows no offline notice for results from the platform", async () => {
    const { user, backend } = startCached({ platformUnreachable: true });
    await signIn(user);
    await searchFor(user, "王");
    expect(await screen.findByTestId("search-offline")).toBeInTheDocument();
    backend.platformUnreachable = false;
    await searchFor(user, "王");
    await waitFor(() => expect(screen.getAllByTestId("patient-row")).toHaveLength(2));
    expect(screen.queryByTestId("search-offline")).not.toBeInTheDocument();
  });

  it("shows the session's cache problem and rebuilds the cache", async () => {
    const message =
      "The local cache cannot be read (wrong key or damaged file); it can be moved aside and rebuilt from the platform.";
    const { user, backend } = startCached({ cacheProblem: { code: "CacheUnreadable", message } });
    await signIn(user);

    const notice = screen.getByTestId("cache-problem");
    expect(notice).toHaveAttribute("role", "alert");
    expect(notice).toHaveTextContent("Local cache cannot be read");
    expect(notice).toHaveTextContent(message);
    expect(notice).toHaveTextContent("ChartGuard keeps working without the local cache");

    // The app keeps working: the chart comes from the platform, with no refresh.
    await openFirst(user, WANG_RESIDENT_ID);
    expect(screen.getByTestId("header-as-of")).toHaveTextContent("from the regional platform");
    expect(backend.calls.map((c) => c.method)).not.toContain("refreshPatient");

    await user.click(within(notice).getByTestId("cache-reset"));
    await waitFor(() => expect(screen.queryByTestId("cache-problem")).not.toBeInTheDocument());
    expect(backend.calls.map((c) => c.method)).toContain("resetCache");
    expect(screen.getByTestId("patient-name")).toHaveTextContent("王秀英");
  });

  it("offers a rebuild when the cache key is missing, shown at start", async () => {
    start({
      loggedIn: true,
      locale: "zh-CN",
      cacheProblem: { code: "CacheKeyMissing", message: "The local cache's key is missing from the OS keyring." },
    }, "zh-CN");
    const notice = await screen.findByTestId("cache-problem");
    expect(notice).toHaveTextContent("本机缓存密钥缺失");
    expect(within(notice).getByTestId("cache-reset")).toHaveTextContent("重建本机缓存");
  });

  it("offers no rebuild while another window holds the cache", async () => {
    const { user } = startCached({
      cacheProblem: { code: "CacheBusy", message: "The local cache is in use by another ChartGuard window." },
    });
    await signIn(user);
    const notice = screen.getByTestId("cache-problem");
    expect(notice).toHaveTextContent("Local cache in use by another window");
    expect(notice).toHaveTextContent("in use by another ChartGuard window");
    expect(within(notice).queryByTestId("cache-reset")).not.toBeInTheDocument();
  });

  it("shows why the rebuild failed and keeps the notice", async () => {
    const { user } = startCached({
      cacheProblem: { code: "CacheUnreadable", message: "The local cache cannot be read." },
      failures: { resetCache: { code: "DiskFull", message: "The local cache is full (its size limit or the disk); ask IT to make room." } },
    });
    await signIn(user);
    await user.click(screen.getByTestId("cache-reset"));
    const error = await screen.findByTestId("cache-reset-error");
    expect(error).toHaveTextContent("Local cache full");
    expect(error).toHaveTextContent("ask IT to make room");
    expect(screen.getByTestId("cache-problem")).toBeInTheDocument();
    expect(screen.getByTestId("cache-reset")).toBeEnabled();
  });

  it("shows no cache notice when the cache is fine", async () => {
    const { user } = startCached();
    await signIn(user);
    expect(screen.queryByTestId("cache-problem")).not.toBeInTheDocument();
  });
});

describe("access tiers", () => {
  const base = sampleCharts[2]!; // Margaret Thompson: nothing sealed, from the platform
  const withAccess = (access: Partial<AccessView>, sealed = 0): ChartContent => ({
    ...base,
    sealed,
    access: { ...base.access, ...access },
  });

  async function openMargaret(options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en") {
    const started = start(options, locale);
    await signIn(started.user);
    await searchFor(started.user, "Margaret");
    await started.user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("patient-name");
    return started;
  }

  it.each([
    [{ tier: "treating", grounds: "referral", masked: false }, "en", "Treating · referral to your department"],
    [{ tier: "treating", grounds: "referral", masked: false }, "zh-CN", "诊治医生 · 本科室转诊"],
    [{ tier: "treating", grounds: "careTeam", masked: false }, "en", "Treating · you are on the care team"],
    [{ tier: "treating", grounds: "careTeam", masked: false }, "zh-CN", "诊治医生 · 诊疗团队成员"],
    [{ tier: "clinician", grounds: "role", masked: true }, "en", "Masked view · clinician"],
    [{ tier: "clinician", grounds: "role", masked: true }, "zh-CN", "脱敏视图 · 非诊治医生"],
    [{ tier: "deidentified", grounds: "role", masked: true }, "en", "Masked view · de-identified"],
    // A tier IT added to the policy is shown by its name.
    [{ tier: "ward-nurse", grounds: "role", masked: false }, "en", "ward-nurse · by your role"],
  ] as const)("badges %o in %s as %s", async (access, locale, text) => {
    await openMargaret({ charts: [withAccess(access)] }, locale);
    const badge = screen.getByTestId("chart-access");
    expect(badge).toHaveTextContent(text);
    expect(badge).toHaveAttribute("data-tier", access.tier);
    expect(within(screen.getByTestId("patient-header")).getByTestId("chart-access")).toBe(badge);
  });

  it("explains a masked view", async () => {
    await openMargaret({ charts: [withAccess({ tier: "clinician", grounds: "role", masked: true })] });
    expect(screen.getByTestId("chart-access")).toHaveAttribute(
      "title",
      expect.stringContaining("Identifiers and free text are masked"),
    );
  });

  it("offers no break-the-glass to a tier that may not break it", async () => {
    await openMargaret({ charts: [withAccess({ tier: "deidentified", masked: true, canBreakGlass: false }, 3)] });
    expect(screen.getByTestId("chart-sealed")).toHaveTextContent("3 restricted records are sealed");
    expect(screen.queryByTestId("break-glass-open")).not.toBeInTheDocument();
  });

  it("tells an account without patient access plainly why the search found nothing", async () => {
    const { user } = start({
      failures: { searchPatients: { code: "AccessDenied", message: "this account may not view patient records" } },
    });
    await signIn(user);
    await searchFor(user, "王");
    const error = await screen.findByTestId("search-error");
    expect(error).toHaveAttribute("data-error-code", "AccessDenied");
    expect(error).toHaveTextContent("Not permitted");
    expect(within(error).getByTestId("search-error-hint")).toHaveTextContent(
      "This account cannot search or read patient records",
    );
    expect(error).toHaveTextContent("This account may not view patient records.");
    expect(screen.queryByTestId("patient-row")).not.toBeInTheDocument();
    // Still signed in: the account is valid, it just has no patient access.
    expect(screen.getByTestId("topbar")).toBeInTheDocument();
  });

  it("says in Chinese that the account has no patient access", async () => {
    const { user } = start(
      { failures: { searchPatients: { code: "AccessDenied", message: "this account may not view patient records" } } },
      "zh-CN",
    );
    await signIn(user);
    await searchFor(user, "王");
    const error = await screen.findByTestId("search-error");
    expect(error).toHaveTextContent("无权查看");
    expect(error).toHaveTextContent("该账号不能查找或调阅患者病历");
  });

  it("names an invalid privacy policy", async () => {
    const { user } = start({
      failures: {
        openPatient: {
          code: "PolicyInvalid",
          message: "the privacy policy is invalid, so no patient data is shown: tiers.clinician.sealed",
        },
      },
    });
    await signIn(user);
    await searchFor(user, "Margaret");
    await user.click(await screen.findByTestId("patient-row"));
    const error = await screen.findByTestId("chart-error");
    expect(error).toHaveTextContent("Privacy policy invalid: no patient data is shown");
    expect(error).toHaveTextContent("tiers.clinician.sealed");
    expect(screen.queryByTestId("patient-header")).not.toBeInTheDocument();
  });
});

describe("break the glass", () => {
  const NOW = new Date("2026-11-28T14:05:09Z");
  const UNTIL = new Date(NOW.getTime() + GLASS_MINUTES * 60_000).toISOString().replace(/\.\d{3}Z$/, "Z");
  const NOTE = "Unconscious in the emergency room; HIV status needed";

  afterEach(() => {
    vi.useRealTimers();
  });

  async function openWang(options: FakeBackendOptions = {}, locale: "en" | "zh-CN" = "en", user = userEvent.setup()) {
    const started = start({ now: () => NOW, ...options }, locale, user);
    await signIn(started.user);
    await searchFor(started.user, "王秀英");
    await started.user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("patient-name");
    return started;
  }

  async function openDialog(user: ReturnType<typeof userEvent.setup>) {
    await user.click(await screen.findByTestId("break-glass-open"));
    return screen.getByTestId("break-glass-dialog");
  }

  async function breakTheGlass(user: ReturnType<typeof userEvent.setup>) {
    const dialog = await openDialog(user);
    await user.click(within(dialog).getAllByTestId("break-glass-reason")[0]!);
    await user.type(within(dialog).getByTestId("break-glass-note"), NOTE);
    await user.click(within(dialog).getByTestId("break-glass-confirm"));
    return screen.findByTestId("break-glass-banner");
  }

  it("offers it in the sealed note and opens a modal dialog with the policy's reasons", async () => {
    const { user } = await openWang();
    const open = within(screen.getByTestId("chart-sealed")).getByTestId("break-glass-open");
    expect(open).toHaveTextContent("Break the glass");

    const dialog = await openDialog(user);
    expect(dialog).toHaveAttribute("role", "dialog");
    expect(dialog).toHaveAttribute("aria-modal", "true");
    expect(dialog).toHaveAccessibleName("Break the glass");
    const reasons = within(dialog).getAllByTestId("break-glass-reason");
    expect(reasons.map((r) => r.getAttribute("data-code"))).toEqual(["emergency", "consult", "continuity"]);
    expect(within(dialog).getByRole("radiogroup", { name: "Reason" })).toBeInTheDocument();
    expect(within(dialog).getByLabelText("Emergency treatment")).toBe(reasons[0]);
    expect(within(dialog).getByTestId("break-glass-warning")).toHaveTextContent("ends after 30 minutes and is audited");
    // Focus moves into the dialog.
    await waitFor(() => expect(reasons[0]).toHaveFocus());
  });

  it("shows the reasons in Chinese", async () => {
    const { user } = await openWang({}, "zh-CN");
    expect(screen.getByTestId("break-glass-open")).toHaveTextContent("紧急解封");
    const dialog = await openDialog(user);
    expect(within(dialog).getByLabelText("急诊抢救")).toHaveAttribute("data-code", "emergency");
    expect(within(dialog).getByTestId("break-glass-warning")).toHaveTextContent("解封 30 分钟后自动结束");
  });

  it("confirms only with a reason and a note that is not blank, of at most 500 characters", async () => {
    const { user, backend } = await openWang();
    const dialog = await openDialog(user);
    const confirm = within(dialog).getByTestId("break-glass-confirm");
    const note = within(dialog).getByTestId("break-glass-note");
    expect(confirm).toBeDisabled();
    expect(note).toBeRequired();
    expect(note).toHaveAttribute("maxlength", "500");
    expect(within(dialog).getByTestId("break-glass-note-count")).toHaveTextContent("0 / 500");

    await user.click(within(dialog).getByLabelText("Consultation requested for this patient"));
    expect(confirm).toBeDisabled();
    await user.type(note, "   ");
    expect(confirm).toBeDisabled();
    await user.clear(note);
    await user.type(note, "Consult");
    expect(confirm).toBeEnabled();
    expect(within(dialog).getByTestId("break-glass-note-count")).toHaveTextContent("7 / 500");

    await user.clear(note);
    await user.type(note, "Note first");
    await user.clear(note);
    expect(confirm).toBeDisabled();
    expect(backend.calls.map((c) => c.method)).not.toContain("breakGlass");
  });

  it("unseals the chart and shows the banner with the deadline", async () => {
    const { user, backend } = await openWang();
    expect(screen.getByTestId("problems")).not.toHaveTextContent("HIV");

    const banner = await breakTheGlass(user);
    expect(backend.calls).toContainEqual({ method: "breakGlass", args: [CACHED_PATIENT_ID, "emergency", NOTE] });
    expect(banner).toHaveAttribute("role", "status");
    expect(banner).toHaveTextContent(
      `Break-the-glass access until ${formatClock(UNTIL, "en")} — every view is audited`,
    );
    expect(screen.queryByTestId("break-glass-dialog")).not.toBeInTheDocument();
    expect(screen.queryByTestId("chart-sealed")).not.toBeInTheDocument();
    expect(screen.getByTestId("problems")).toHaveTextContent("人类免疫缺陷病毒[HIV]病");
    expect(screen.getByTestId("patient-header")).toHaveClass("unsealed");
    await waitFor(() => expect(banner).toHaveFocus());
  });

  it("shows the banner in Chinese", async () => {
    const { user } = await openWang({}, "zh-CN");
    const banner = await breakTheGlass(user);
    expect(banner).toHaveTextContent(`紧急解封有效至 ${formatClock(UNTIL, "zh-CN")}——每次调阅均被审计`);
    expect(within(banner).getByTestId("break-glass-end")).toHaveTextContent("立即结束");
  });

  it("ends it on request and shows the chart sealed again", async () => {
    const { user, backend } = await openWang();
    const banner = await breakTheGlass(user);
    await user.click(within(banner).getByTestId("break-glass-end"));

    expect(await screen.findByTestId("chart-sealed")).toHaveTextContent("2 restricted records are sealed");
    expect(backend.calls.map((c) => c.method)).toContain("endBreakGlass");
    expect(screen.queryByTestId("break-glass-banner")).not.toBeInTheDocument();
    expect(screen.getByTestId("problems")).not.toHaveTextContent("HIV");
    expect(screen.getByTestId("break-glass-open")).toBeInTheDocument();
  });

  it("seals the chart again when the deadline passes", async () => {
    vi.useFakeTimers({ now: NOW, shouldAdvanceTime: true, toFake: ["setTimeout", "clearTimeout", "Date"] });
    const user = userEvent.setup({ advanceTimers: vi.advanceTimersByTime });
    // The doctor reads without touching anything: the idle lock must not come first.
    const { backend } = await openWang({ now: () => new Date(), idleLockMinutes: 240 }, "en", user);
    await breakTheGlass(user);
    const opens = () => backend.calls.filter((c) => c.method === "openPatient").length;
    const before = opens();

    await vi.advanceTimersByTimeAsync(GLASS_MINUTES * 60_000 - 5_000);
    expect(screen.getByTestId("break-glass-banner")).toBeInTheDocument();
    await vi.advanceTimersByTimeAsync(5_000 + GLASS_GRACE_MS);
    expect(await screen.findByTestId("chart-sealed")).toHaveTextContent("2 restricted records are sealed");
    expect(screen.queryByTestId("break-glass-banner")).not.toBeInTheDocument();
    expect(screen.getByTestId("problems")).not.toHaveTextContent("HIV");
    expect(opens()).toBe(before + 1);
  });

  it("closes the dialog on Escape and stays on the chart", async () => {
    const { user, backend } = await openWang();
    await openDialog(user);
    await user.keyboard("{Escape}");
    expect(screen.queryByTestId("break-glass-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("chart")).toBeInTheDocument();
    expect(screen.queryByTestId("search-form")).not.toBeInTheDocument();
    await waitFor(() => expect(screen.getByTestId("break-glass-open")).toHaveFocus());
    expect(backend.calls.map((c) => c.method)).not.toContain("breakGlass");
  });

  it("closes the dialog on Cancel", async () => {
    const { user } = await openWang();
    const dialog = await openDialog(user);
    await user.click(within(dialog).getByTestId("break-glass-cancel"));
    expect(screen.queryByTestId("break-glass-dialog")).not.toBeInTheDocument();
    expect(screen.getByTestId("chart-sealed")).toBeInTheDocument();
  });

  it("keeps the focus inside the dialog", async () => {
    const { user } = await openWang();
    const dialog = await openDialog(user);
    const first = within(dialog).getAllByTestId("break-glass-reason")[0]!;
    await waitFor(() => expect(first).toHaveFocus());
    // Confirm is disabled, so Cancel is the last stop.
    await user.tab({ shift: true });
    expect(within(dialog).getByTestId("break-glass-cancel")).toHaveFocus();
    await user.tab();
    expect(first).toHaveFocus();
    await user.tab();
    expect(within(dialog).getByTestId("break-glass-note")).toHaveFocus();
    await user.tab();
    await user.tab();
    expect(first).toHaveFocus();
  });

  it("shows a failure in the dialog and keeps the chart sealed", async () => {
    const { user } = await openWang({
      failures: { breakGlass: { code: "AccessDenied", message: "this account may not view patient records" } },
    });
    const dialog = await openDialog(user);
    await user.click(within(dialog).getAllByTestId("break-glass-reason")[0]!);
    await user.type(within(dialog).getByTestId("break-glass-note"), NOTE);
    await user.click(within(dialog).getByTestId("break-glass-confirm"));

    const error = await within(dialog).findByTestId("break-glass-error");
    expect(error).toHaveTextContent("Not permitted");
    expect(screen.getByTestId("break-glass-dialog")).toBeInTheDocument();
    expect(within(dialog).getByTestId("break-glass-note")).toHaveValue(NOTE);
    expect(screen.getByTestId("chart-sealed")).toBeInTheDocument();
    expect(screen.queryByTestId("break-glass-banner")).not.toBeInTheDocument();
  });

  it("never shows the unsealed chart of a patient the doctor has left", async () => {
    const { user, backend } = await openWang();
    const release = backend.hold("breakGlass", CACHED_PATIENT_ID);
    const dialog = await openDialog(user);
    await user.click(within(dialog).getAllByTestId("break-glass-reason")[0]!);
    await user.type(within(dialog).getByTestId("break-glass-note"), NOTE);
    await user.click(within(dialog).getByTestId("break-glass-confirm"));
    expect(within(dialog).getByTestId("break-glass-confirm")).toHaveTextContent("Unsealing…");

    // The doctor gives up waiting and opens another patient.
    await user.click(within(dialog).getByTestId("break-glass-cancel"));
    await user.click(screen.getByTestId("chart-back"));
    await searchFor(user, "Margaret");
    await user.click(await screen.findByTestId("patient-row"));
    expect(await screen.findByTestId("patient-name")).toHaveTextContent("Margaret Thompson");

    release();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(screen.getByTestId("patient-name")).toHaveTextContent("Margaret Thompson");
    expect(screen.getByTestId("chart")).not.toHaveTextContent("王秀英");
    expect(screen.getByTestId("chart")).not.toHaveTextContent("HIV");
    expect(screen.queryByTestId("break-glass-banner")).not.toBeInTheDocument();
  });
});

describe("watermark", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** The watermark's lines and colour, decoded from its SVG tile. */
  function drawn(): { lines: string[]; color: string | null; breakGlass: string | null } {
    const element = screen.getByTestId("watermark");
    const url = /^url\("data:image\/svg\+xml;charset=utf-8,([^"]*)"\)$/.exec(element.style.getPropertyValue("background-image"));
    const svg = new DOMParser().parseFromString(decodeURIComponent(url?.[1] ?? ""), "image/svg+xml");
    const copy = svg.querySelector("svg > g > g");
    return {
      lines: [...(copy?.querySelectorAll("text") ?? [])].map((text) => text.textContent ?? ""),
      color: svg.querySelector("svg > g")?.getAttribute("fill") ?? null,
      breakGlass: element.getAttribute("data-break-glass"),
    };
  }

  it("covers the login screen before anyone signs in, without getting in the way", async () => {
    const { user, view } = start();
    await screen.findByTestId("login-form");
    const watermark = await screen.findByTestId("watermark");
    expect(drawn().lines).toEqual(SIGNED_OUT_WATERMARK_LINES);
    // Outside the app, after it, over the whole window.
    expect(view.container.contains(watermark)).toBe(false);
    expect(watermark.parentElement).toBe(document.body);
    expect(document.body.lastElementChild).toBe(watermark);
    expect(watermark.style.getPropertyValue("position")).toBe("fixed");
    expect(watermark.style.getPropertyValue("inset")).toBe("0");
    expect(getComputedStyle(watermark).pointerEvents).toBe("none");
    // The screen under it still works.
    await signIn(user);
  });

  it("names the doctor once signed in, and no one after signing out", async () => {
    const { user } = start();
    await screen.findByTestId("watermark");
    await signIn(user);
    await waitFor(() => expect(drawn().lines).toEqual(SAMPLE_WATERMARK.lines));
    await user.click(screen.getByTestId("logout"));
    await screen.findByTestId("login-form");
    await waitFor(() => expect(drawn().lines).toEqual(SIGNED_OUT_WATERMARK_LINES));
  });

  it("takes the break-the-glass colour while the glass is broken", async () => {
    const { user } = start();
    await signIn(user);
    await searchFor(user, "王秀英");
    await user.click(await screen.findByTestId("patient-row"));
    await screen.findByTestId("patient-name");
    await waitFor(() => expect(drawn().lines).toEqual(SAMPLE_WATERMARK.lines));
    expect(drawn()).toMatchObject({ color: SAMPLE_WATERMARK.color, breakGlass: "false" });

    await user.click(screen.getByTestId("break-glass-open"));
    const dialog = screen.getByTestId("break-glass-dialog");
    await user.click(within(dialog).getAllByTestId("break-glass-reason")[0]!);
    await user.type(within(dialog).getByTestId("break-glass-note"), "Unconscious in the emergency room");
    await user.click(within(dialog).getByTestId("break-glass-confirm"));
    const banner = await screen.findByTestId("break-glass-banner");
    await waitFor(() => expect(drawn()).toMatchObject({ color: GLASS_WATERMARK_COLOR, breakGlass: "true" }));

    await user.click(within(banner).getByTestId("break-glass-end"));
    await screen.findByTestId("chart-sealed");
    await waitFor(() => expect(drawn()).toMatchObject({ color: SAMPLE_WATERMARK.color, breakGlass: "false" }));
  });

  it("asks the core again when it says", async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true, toFake: ["setTimeout", "clearTimeout"] });
    const { backend } = start({ watermark: { ...SAMPLE_WATERMARK, refreshInSecs: 30 } });
    await screen.findByTestId("watermark");
    const asked = () => backend.calls.filter((c) => c.method === "watermark").length;
    expect(asked()).toBe(1);
    await vi.advanceTimersByTimeAsync(30_000);
    expect(asked()).toBe(2);
  });

  it("comes back when removed, is reported, and the app keeps working", async () => {
    const { user, backend } = start();
    const first = await screen.findByTestId("watermark");
    first.remove();
    await waitFor(() => expect(screen.getByTestId("watermark")).not.toBe(first));
    await waitFor(() => expect(backend.calls).toContainEqual({ method: "reportWatermarkTamper", args: ["removed"] }));
    await signIn(user);
    expect(screen.getByTestId("watermark").parentElement).toBe(document.body);
  });

  it("goes with the app", async () => {
    const { view } = start();
    await screen.findByTestId("watermark");
    view.unmount();
    expect(screen.queryByTestId("watermark")).not.toBeInTheDocument();
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import type { BackendError } from "./backend";
import { ChartState, GLASS_GRACE_MS } from "./chartState.svelte";
import { CACHED_PATIENT_ID, FakeBackend, GLASS_MINUTES, rfc3339, sampleCharts } from "./fakeBackend";

const NOW = new Date("2026-11-28T14:05:09Z");
const WANG = CACHED_PATIENT_ID;
const MARGARET = "pat-en-0001";

function setup(options: ConstructorParameters<typeof FakeBackend>[0] = {}) {
  const backend = new FakeBackend({ loggedIn: true, now: () => NOW, ...options });
  const errors: BackendError[] = [];
  const state = new ChartState(backend, (error) => errors.push(error));
  return { backend, state, errors };
}

/** Lets every pending promise (the fake has no delays) settle. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe("ChartState", () => {
  it("opens a cached chart and replaces it with the platform's", async () => {
    const { backend, state } = setup();
    const release = backend.hold("refreshPatient");
    const opening = state.open(WANG);
    await settle();
    expect(state.chart?.freshness).toEqual({ asOf: "2026-11-28T10:40:09Z", fromCache: true });
    expect(state.refreshing).toBe(true);
    release();
    await opening;
    expect(state.chart?.freshness).toEqual({ asOf: rfc3339(NOW), fromCache: false });
    expect(state.refreshing).toBe(false);
    expect(backend.calls.map((c) => c.method)).toEqual(["openPatient", "refreshPatient"]);
  });

  it("does not refresh a chart that came from the platform", async () => {
    const { backend, state } = setup();
    await state.open(MARGARET);
    expect(state.chart?.freshness.fromCache).toBe(false);
    expect(backend.calls.map((c) => c.method)).toEqual(["openPatient"]);
  });

  it("keeps the cached chart, marked stale, when the refresh fails, and retries", async () => {
    const { backend, state, errors } = setup({ platformUnreachable: true });
    await state.open(WANG);
    expect(state.chart?.patient.id).toBe(WANG);
    expect(state.chart?.freshness.fromCache).toBe(true);
    expect(state.refreshError?.code).toBe("PlatformUnreachable");
    expect(errors.map((e) => e.code)).toEqual(["PlatformUnreachable"]);

    backend.platformUnreachable = false;
    await state.refresh();
    expect(state.refreshError).toBeNull();
    expect(state.chart?.freshness.fromCache).toBe(false);
  });

  it("takes the chart off the screen when the refresh says access is withdrawn", async () => {
    const { state } = setup({
      failures: { refreshPatient: { code: "AccessDenied", message: "This account may not view patient records." } },
    });
    await state.open(WANG);
    expect(state.chart).toBeNull();
    expect(state.error?.code).toBe("AccessDenied");
    expect(state.refreshError).toBeNull();
  });

  it("drops a late refresh of the previous patient", async () => {
    const { backend, state } = setup();
    const release = backend.hold("refreshPatient", WANG);
    const openingWang = state.open(WANG);
    await settle();
    expect(state.refreshing).toBe(true);

    await state.open(MARGARET);
    expect(state.chart?.patient.id).toBe(MARGARET);
    release();
    await openingWang;
    expect(state.chart?.patient.id).toBe(MARGARET);
    expect(state.chart?.patient.name).toBe(sampleCharts[2]!.patient.name);
    expect(state.refreshing).toBe(false);
    expect(state.refreshError).toBeNull();
  });

  it("drops a late open of the previous patient", async () => {
    const { backend, state } = setup();
    const release = backend.hold("openPatient", MARGARET);
    const openingMargaret = state.open(MARGARET);
    await settle();

    await state.open(WANG);
    release();
    await openingMargaret;
    expect(state.chart?.patient.id).toBe(WANG);
    expect(state.loading).toBe(false);
  });

  it("drops a late failure of the previous patient's refresh", async () => {
    const { backend, state, errors } = setup({ platformUnreachable: true, cached: { [WANG]: "2026-11-28T10:40:09Z", [MARGARET]: "2026-11-27T08:00:00Z" } });
    const release = backend.hold("refreshPatient", WANG);
    const openingWang = state.open(WANG);
    await settle();
    backend.platformUnreachable = false;
    await state.open(MARGARET);
    backend.platformUnreachable = true;
    release();
    await openingWang;
    expect(state.chart?.patient.id).toBe(MARGARET);
    expect(state.refreshError).toBeNull();
    expect(errors).toEqual([]);
  });

  it("drops everything after close", async () => {
    const { backend, state } = setup();
    const release = backend.hold("openPatient");
    const opening = state.open(MARGARET);
    state.close();
    release();
    await opening;
    expect(state.chart).toBeNull();
    expect(state.currentPatientId).toBeNull();
  });
});

describe("ChartState break-the-glass", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  const until = rfc3339(new Date(NOW.getTime() + GLASS_MINUTES * 60_000));

  it("shows the unsealed chart and brings a cached one up to date", async () => {
    const { backend, state } = setup();
    await state.open(WANG);
    expect(state.chart?.sealed).toBe(2);

    expect(await state.breakGlass("emergency", "Unconscious in the ED")).toBeNull();
    expect(state.chart?.sealed).toBe(0);
    expect(state.chart?.access.breakGlassUntil).toBe(until);
    expect(state.chart?.problems.map((p) => p.code)).toContain("B24");
    expect(backend.calls).toContainEqual({ method: "breakGlass", args: [WANG, "emergency", "Unconscious in the ED"] });
    state.close();
  });

  it("keeps the sealed chart and returns the failure for the dialog", async () => {
    const { state, errors } = setup({
      failures: { breakGlass: { code: "AccessDenied", message: "this account may not view patient records" } },
    });
    await state.open(MARGARET);
    const failure = await state.breakGlass("emergency", "note");
    expect(failure?.code).toBe("AccessDenied");
    expect(state.chart?.patient.id).toBe(MARGARET);
    expect(state.error).toBeNull();
    expect(errors.map((e) => e.code)).toEqual(["AccessDenied"]);
  });

  it("drops a late unsealed chart of the patient the doctor left", async () => {
    const { backend, state } = setup();
    await state.open(WANG);
    const release = backend.hold("breakGlass", WANG);
    const breaking = state.breakGlass("emergency", "note");
    await settle();

    await state.open(MARGARET);
    release();
    expect(await breaking).toBeNull();
    expect(state.chart?.patient.id).toBe(MARGARET);
    expect(state.chart?.access.breakGlassUntil).toBeNull();
  });

  it("drops a refresh that was on its way when the glass was broken", async () => {
    const { backend, state } = setup();
    const release = backend.hold("refreshPatient", WANG);
    const opening = state.open(WANG);
    await settle();
    expect(state.refreshing).toBe(true);

    await state.breakGlass("emergency", "note");
    expect(state.chart?.access.breakGlassUntil).toBe(until);
    release();
    await opening;
    await settle();
    // The refresh taken after the unsealing (the chart came from the cache)
    // is unsealed too; the older, sealed one never lands.
    expect(state.chart?.access.breakGlassUntil).toBe(until);
    expect(state.chart?.sealed).toBe(0);
    expect(state.refreshing).toBe(false);
    state.close();
  });

  it("ends the glass and re-opens the chart sealed", async () => {
    const { backend, state } = setup();
    await state.open(MARGARET);
    await state.open(WANG);
    await state.breakGlass("consult", "note");
    await state.endBreakGlass();
    expect(backend.calls.map((c) => c.method)).toContain("endBreakGlass");
    expect(state.chart?.patient.id).toBe(WANG);
    expect(state.chart?.access.breakGlassUntil).toBeNull();
    expect(state.chart?.sealed).toBe(2);
  });

  it("re-opens the chart when the deadline passes", async () => {
    vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { backend, state } = setup({ now: () => new Date() });
    await state.open(WANG);
    await state.breakGlass("emergency", "note");
    expect(state.chart?.sealed).toBe(0);
    const opens = () => backend.calls.filter((c) => c.method === "openPatient").length;
    expect(opens()).toBe(1);

    await vi.advanceTimersByTimeAsync(GLASS_MINUTES * 60_000);
    expect(opens()).toBe(1);
    await vi.advanceTimersByTimeAsync(GLASS_GRACE_MS);
    expect(opens()).toBe(2);
    expect(state.chart?.sealed).toBe(2);
    expect(state.chart?.access.breakGlassUntil).toBeNull();
  });

  it("forgets the deadline when the chart is left", async () => {
    vi.useFakeTimers({ now: NOW, toFake: ["setTimeout", "clearTimeout", "Date"] });
    const { backend, state } = setup({ now: () => new Date() });
    await state.open(WANG);
    await state.breakGlass("emergency", "note");
    state.close();
    await vi.advanceTimersByTimeAsync(GLASS_MINUTES * 60_000 + GLASS_GRACE_MS);
    expect(backend.calls.filter((c) => c.method === "openPatient")).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });
});

// The progress a chart's first open shows while its records arrive.
import { render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { expectNoAxeViolations } from "../lib/axe.test-helper";
import { contextMap } from "../lib/context";
import { FakeBackend, SAMPLE_PASSWORD, SAMPLE_USERNAME } from "../lib/fakeBackend";
import type { Locale } from "../lib/i18n";
import { I18n } from "../lib/locale.svelte";
import FetchProgress from "./FetchProgress.svelte";

async function showing(locale: Locale = "en", backend = new FakeBackend()) {
  await backend.loginPassword(SAMPLE_USERNAME, SAMPLE_PASSWORD);
  const view = render(FetchProgress, { context: contextMap({ backend, i18n: new I18n(locale) }) });
  return { backend, view };
}

describe("FetchProgress", () => {
  beforeEach(() => vi.useFakeTimers({ shouldAdvanceTime: true }));
  afterEach(() => vi.useRealTimers());

  it("says loading until records arrive, then how many of how many", async () => {
    const { backend } = await showing();
    expect(await screen.findByText("Loading chart…")).toBeInTheDocument();

    backend.progress = { received: 1200, total: 3400 };
    await vi.advanceTimersByTimeAsync(350);
    expect(await screen.findByText("Loading chart: 1,200 of 3,400 records received…")).toBeInTheDocument();
    const bar = screen.getByTestId("chart-progress");
    expect(bar).toHaveAttribute("max", "3400");
    expect((bar as HTMLProgressElement).value).toBe(1200);
  });

  it("counts without a total when the platform gives none, in Chinese too", async () => {
    const { backend } = await showing("zh-CN");
    backend.progress = { received: 250, total: null };
    await vi.advanceTimersByTimeAsync(350);
    expect(await screen.findByText("正在加载病历：已接收 250 条记录…")).toBeInTheDocument();
    expect(screen.getByTestId("chart-progress")).not.toHaveAttribute("max");
  });

  it("stops asking once the chart has come", async () => {
    const { backend, view } = await showing();
    await vi.advanceTimersByTimeAsync(700);
    view.unmount();
    const asked = backend.calls.filter((c) => c.method === "fetchProgress").length;
    expect(asked).toBeGreaterThanOrEqual(2);
    await vi.advanceTimersByTimeAsync(2000);
    expect(backend.calls.filter((c) => c.method === "fetchProgress").length).toBe(asked);
  });

  it("passes the accessibility check", async () => {
    const { backend, view } = await showing();
    backend.progress = { received: 10, total: 20 };
    await vi.advanceTimersByTimeAsync(350);
    await expectNoAxeViolations(view.container);
  });

  const asked = (backend: FakeBackend) => backend.calls.filter((c) => c.method === "fetchProgress").length;

  it("asks again only once the last answer came: a slow core is never sent a queue of calls", async () => {
    const { backend } = await showing("en", new FakeBackend({ delays: { fetchProgress: 1000 } }));
    await vi.advanceTimersByTimeAsync(900);
    expect(asked(backend)).toBe(1);
    // Answered at 1 s, asked again 300 ms later, answered at 2.3 s…
    await vi.advanceTimersByTimeAsync(500);
    expect(asked(backend)).toBe(2);
    await vi.advanceTimersByTimeAsync(1200);
    expect(asked(backend)).toBe(3);
  });

  it("never goes backwards", async () => {
    const { backend } = await showing();
    backend.progress = { received: 500, total: 1000 };
    await vi.advanceTimersByTimeAsync(350);
    expect((screen.getByTestId("chart-progress") as HTMLProgressElement).value).toBe(500);
    backend.progress = { received: 300, total: 1000 };
    await vi.advanceTimersByTimeAsync(700);
    expect((screen.getByTestId("chart-progress") as HTMLProgressElement).value).toBe(500);
    expect(screen.getByTestId("chart-progress-text")).toHaveTextContent("500 of 1,000");
  });

  it("moves the status line on by tenths, the bar by every record", async () => {
    const { backend } = await showing();
    const text = screen.getByTestId("chart-progress-text");
    const bar = () => screen.getByTestId("chart-progress") as HTMLProgressElement;
    backend.progress = { received: 100, total: 1000 };
    await vi.advanceTimersByTimeAsync(350);
    expect(text).toHaveTextContent("Loading chart: 100 of 1,000 records received…");

    backend.progress = { received: 150, total: 1000 };
    await vi.advanceTimersByTimeAsync(350);
    expect(bar().value).toBe(150);
    expect(text).toHaveTextContent("Loading chart: 100 of 1,000 records received…");
    expect(text).toHaveAttribute("data-received", "100");

    backend.progress = { received: 205, total: 1000 };
    await vi.advanceTimersByTimeAsync(350);
    expect(text).toHaveTextContent("Loading chart: 205 of 1,000 records received…");
  });

  it("says so at once when the total comes, and without one by leading digits", async () => {
    const { backend } = await showing();
    const text = screen.getByTestId("chart-progress-text");
    backend.progress = { received: 120, total: null };
    await vi.advanceTimersByTimeAsync(350);
    expect(text).toHaveTextContent("Loading chart: 120 records received…");
    backend.progress = { received: 180, total: null };
    await vi.advanceTimersByTimeAsync(350);
    expect(text).toHaveTextContent("Loading chart: 120 records received…");
    backend.progress = { received: 210, total: null };
    await vi.advanceTimersByTimeAsync(350);
    expect(text).toHaveTextContent("Loading chart: 210 records received…");
    backend.progress = { received: 215, total: 4000 };
    await vi.advanceTimersByTimeAsync(350);
    expect(text).toHaveTextContent("Loading chart: 215 of 4,000 records received…");
  });
});

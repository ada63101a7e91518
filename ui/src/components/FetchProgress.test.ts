// The progress a chart's first open shows while its records arrive.
import { render, screen } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { expectNoAxeViolations } from "../lib/axe.test-helper";
import { contextMap } from "../lib/context";
import { FakeBackend, SAMPLE_PASSWORD, SAMPLE_USERNAME } from "../lib/fakeBackend";
import type { Locale } from "../lib/i18n";
import { I18n } from "../lib/locale.svelte";
import FetchProgress from "./FetchProgress.svelte";

async function showing(locale: Locale = "en") {
  const backend = new FakeBackend();
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
});

// The trend's figure around uPlot: whether it says a chart is drawn. uPlot
// itself needs a canvas jsdom lacks, so a stand-in takes its place here and
// records what it was given.
import { render, screen, waitFor } from "@testing-library/svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { ResultPoint } from "../bindings/ResultPoint";
import type { ResultSeries } from "../bindings/ResultSeries";
import { contextMap } from "../lib/context";
import { I18n } from "../lib/locale.svelte";
import { prepareTrend } from "../lib/trend";
import TrendChart from "./TrendChart.svelte";

const made = vi.hoisted(() => [] as { data: unknown; destroyed: boolean }[]);

vi.mock("uplot", () => ({
  default: class {
    entry: { data: unknown; destroyed: boolean };
    constructor(_options: unknown, data: unknown) {
      this.entry = { data, destroyed: false };
      made.push(this.entry);
    }
    setSize() {}
    destroy() {
      this.entry.destroyed = true;
    }
  },
}));

function trendOf(name: string, values: number[]) {
  const points: ResultPoint[] = values.map((value, i) => ({
    id: `${name}-${i}`, effective: `202${i}-01-01`, value, text: String(value), recorded: null, flag: null, range: null, source: null, encounter: null,
  }));
  const series: ResultSeries = { key: name, code: null, name, kind: "lab", unit: "mmol/L", range: null, panel: null, points };
  return prepareTrend([series])!;
}

describe("trend chart", () => {
  beforeEach(() => {
    made.length = 0;
    // Layout to size a chart by: the component draws only where there is some.
    vi.stubGlobal(
      "ResizeObserver",
      class {
        observe() {}
        disconnect() {}
      },
    );
  });
  afterEach(() => vi.unstubAllGlobals());

  it("no longer says it is drawn once another series is on its way", async () => {
    const view = render(TrendChart, { props: { trend: trendOf("glucose", [5.1, 6.2]) }, context: contextMap({ i18n: new I18n("en") }) });
    const figure = screen.getByTestId("trend-chart");
    await waitFor(() => expect(figure).toHaveAttribute("data-drawn", "true"));
    expect(made).toHaveLength(1);

    // Every value `data-drawn` takes from here on.
    const seen: (string | null)[] = [];
    const observer = new MutationObserver((records) => {
      for (const record of records) seen.push((record.target as Element).getAttribute("data-drawn"));
    });
    observer.observe(figure, { attributes: true, attributeFilter: ["data-drawn"] });

    await view.rerender({ trend: trendOf("potassium", [4.1, 4.4, 4.2]) });
    await waitFor(() => expect(made).toHaveLength(2));
    await waitFor(() => expect(figure).toHaveAttribute("data-drawn", "true"));
    observer.disconnect();
    // "false" between the two: a reader of `data-drawn` (the e2e tests, the
    // render benchmark) never takes the old chart for the new one.
    expect(seen).toContain("false");
    expect(made[0]!.destroyed).toBe(true);
    expect(made[1]!.data).toEqual([trendOf("potassium", [4.1, 4.4, 4.2]).x, [4.1, 4.4, 4.2]]);
  });
});

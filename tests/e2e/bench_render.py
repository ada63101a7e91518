"""How fast the real window draws the clinical views: the largest Synthea
patient (years of encounters and results) against the smallest patient
(the HL7 example) as the baseline, in the same run, on the same machine.
Not a test: figures are printed, never asserted. Run by
`scripts/bench.sh render` (a release build); see BENCHMARKS.md.

Each figure is the time from the click to the first frame painted with the
view in place, measured in the page (performance.now): a
requestAnimationFrame callback runs before that frame is painted, so the
time is read in a task queued from it (setTimeout 0), which runs after.
"""

import statistics

from conftest import PASSWORD
from test_journey import css, log_in, search, wait_for

RUNS = 5

# Clicks `arguments[0]` and answers, after the first frame painted once
# `arguments[1]` matches, how many milliseconds that took.
TIMED_CLICK = """
const [click, done, callback] = arguments;
const start = performance.now();
document.querySelector(click).click();
(function check() {
  if (document.querySelector(done)) {
    requestAnimationFrame(() => setTimeout(() => callback(performance.now() - start), 0));
  } else {
    requestAnimationFrame(check);
  }
})();
"""


def timed(app, click, done):
    return app.driver.execute_async_script(TIMED_CLICK, click, done)


def tid(name):
    return f'[data-testid="{name}"]'


def measure(app, query, patient_id):
    """Opens the patient (from the cache after the first time), then the
    timeline, then the trend of the series with the most points."""
    search(app, query)
    opened = timed(app, f'{tid("patient-row")}[data-patient-id="{patient_id}"]',
                   f'{tid("panel-summary")}')
    timeline = timed(app, tid("tab-timeline"),
                     f'{tid("timeline-encounter")}, {tid("timeline-empty")}')
    app.driver.find_element(*css("tab-results")).click()
    wait_for(app, "results")
    # The series with the most values to draw (data-points counts the
    # numeric ones): text-only series have no chart and are never chosen.
    busiest = app.driver.execute_script(
        "let best = null, most = 0;"
        "for (const row of document.querySelectorAll(arguments[0])) {"
        "  const points = Number(row.getAttribute('data-points') || 0);"
        "  if (points > most) { most = points; best = row.getAttribute('data-series'); }"
        "}"
        "return best;", tid("results-row"))
    trend = None
    if busiest:
        trend = timed(app, f'{tid("results-row")}[data-series="{busiest}"] {tid("results-open")}',
                      f'{tid("trend-chart")}[data-drawn="true"]')
    app.driver.find_element(*css("chart-back")).click()
    wait_for(app, "search-input")
    return opened, timeline, trend


def test_render_figures(launch):
    app = launch(lang="en_US.UTF-8")
    log_in(app, "wangyi", PASSWORD)
    wait_for(app, "search-input")
    subjects = {
        "baseline: HL7 example patient": ("Chalmers", "example"),
        "largest Synthea patient": ("Rice", None),
    }
    # The Synthea patient's platform id is a uuid: take it from the search.
    search(app, "Rice")
    rows = app.driver.find_elements(*css("patient-row"))
    subjects["largest Synthea patient"] = ("Rice", rows[0].get_attribute("data-patient-id"))

    figures = {}
    for label, (query, patient_id) in subjects.items():
        runs = [measure(app, query, patient_id) for _ in range(RUNS)]
        figures[label] = runs

    print()
    print(f"render times in ms, median of {RUNS} (first open from the platform included)")
    print(f"{'':34} {'open→summary':>14} {'timeline':>10} {'trend':>8}")
    for label, runs in figures.items():
        medians = []
        for i in range(3):
            values = [r[i] for r in runs if r[i] is not None]
            medians.append(f"{statistics.median(values):.0f}" if values else "-")
        print(f"{label:34} {medians[0]:>14} {medians[1]:>10} {medians[2]:>8}")
    largest = figures["largest Synthea patient"]
    base = figures["baseline: HL7 example patient"]
    line = "FIGURES " + " ".join(
        f"{name}={statistics.median([r[i] for r in largest if r[i] is not None]):.0f}ms"
        f"(baseline {statistics.median([r[i] for r in base if r[i] is not None] or [0]):.0f}ms)"
        for i, name in enumerate(["open", "timeline", "trend"]))
    print(line)

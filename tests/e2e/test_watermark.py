"""Watermarks and print through the real window: the mark covers the login
screen, the chart and a modal at any window size, never takes a click,
comes back at once when a script removes or hides it (and the tampering is
audited), turns purple under break-the-glass; Ctrl+P and window.print()
open ChartGuard's own print, which sends the core's watermarked PDF to the
configured print command."""

import json
import subprocess
import urllib.parse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD
from test_journey import css, log_in, open_patient, search, wait_for, wait_text
from test_tiers import SHOWCASE, settled

OVERLAY_STATE = """
const el = document.querySelector('[data-testid="watermark"]');
if (!el) return null;
const r = el.getBoundingClientRect();
const cs = getComputedStyle(el);
return {left: r.left, top: r.top, right: r.right, bottom: r.bottom,
        width: innerWidth, height: innerHeight, pointer: cs.pointerEvents,
        display: cs.display, visibility: cs.visibility, opacity: Number(cs.opacity),
        z: cs.zIndex, image: cs.backgroundImage};
"""


def overlay(app):
    return app.driver.execute_script(OVERLAY_STATE)


def tile_svg(state):
    """The SVG source of the overlay's tile."""
    url = state["image"]
    start = url.index("data:image/svg+xml")
    data = url[start:].split(",", 1)[1].rstrip('")')
    return urllib.parse.unquote(data)


def assert_covers_window(state):
    assert state is not None, "no watermark"
    assert state["pointer"] == "none", "the watermark must never take a click"
    assert state["display"] != "none" and state["visibility"] == "visible" and state["opacity"] > 0
    assert state["left"] <= 0 and state["top"] <= 0
    assert state["right"] >= state["width"] and state["bottom"] >= state["height"]
    assert state["z"] == "2147483647"


def wait_overlay(app, predicate, timeout=15):
    WebDriverWait(app.driver, timeout).until(lambda d: (s := overlay(app)) is not None and predicate(s))
    return overlay(app)


def test_the_watermark_covers_every_screen_and_comes_back_when_removed(launch):
    app = launch(lang="zh_CN.UTF-8")
    wait_for(app, "login-form")
    login = wait_overlay(app, lambda s: "·" in tile_svg(s))
    assert_covers_window(login)
    app.screenshot("watermark-login")

    log_in(app, "wangyi", PASSWORD)
    search(app, "张伟")
    open_patient(app, patient_id=SHOWCASE)
    settled(app)
    chart = wait_overlay(app, lambda s: "王毅 D1001" in tile_svg(s))
    assert_covers_window(chart)
    assert "S-" in tile_svg(chart), "the session reference is in the mark"
    app.screenshot("watermark-summary")

    # A smaller window is still covered.
    app.driver.set_window_size(960, 640)
    WebDriverWait(app.driver, 10).until(lambda d: d.execute_script("return innerWidth") < 1000)
    assert_covers_window(overlay(app))

    # Clicks pass through it: the export button under it opens its modal,
    # and the mark lies over the modal too.
    wait_for(app, "chart-export").click()
    wait_for(app, "export-dialog")
    assert_covers_window(overlay(app))
    app.screenshot("watermark-modal")
    app.driver.find_element(*css("export-close")).click()

    # Removed by a script: back at once, and audited.
    app.driver.execute_script('document.querySelector(\'[data-testid="watermark"]\').remove()')
    assert_covers_window(wait_overlay(app, lambda s: True, timeout=3))
    # Hidden by a script: shown again.
    app.driver.execute_script(
        'document.querySelector(\'[data-testid="watermark"]\').style.setProperty("display", "none", "important")')
    assert_covers_window(wait_overlay(app, lambda s: s["display"] != "none", timeout=3))
    WebDriverWait(app.driver, 10).until(
        lambda d: "watermark tampered with" in app.log_path.read_text(errors="replace"))
    log = app.log_path.read_text(errors="replace")
    assert 'kind="removed"' in log and 'kind="hidden"' in log


def test_break_the_glass_turns_the_watermark_purple(launch):
    app = launch()
    log_in(app, "zhou", PASSWORD)
    search(app, "张伟")
    open_patient(app, patient_id=SHOWCASE)
    settled(app)
    normal = wait_overlay(app, lambda s: "D1003" in tile_svg(s))
    assert "#7b2cbf" not in tile_svg(normal).lower()
    wait_for(app, "break-glass-open").click()
    wait_for(app, "break-glass-dialog")
    app.driver.find_elements(*css("break-glass-reason"))[0].click()
    app.driver.find_element(*css("break-glass-note")).send_keys("Unconscious in the emergency room")
    WebDriverWait(app.driver, 5).until(lambda d: d.find_element(*css("break-glass-confirm")).is_enabled())
    app.driver.find_element(*css("break-glass-confirm")).click()
    wait_for(app, "break-glass-banner")
    purple = wait_overlay(app, lambda s: "#7b2cbf" in tile_svg(s).lower())
    assert_covers_window(purple)
    app.screenshot("watermark-break-glass")


def pdf_text(path):
    return subprocess.run(["pdftotext", "-nodiag", "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def test_print_goes_through_the_core_never_the_window(launch, demo):
    spooled = demo.dir / "spooled.pdf"
    spooled.unlink(missing_ok=True)
    command = ["sh", "-c", f"cat > {spooled}"]
    app = launch(extra=f"[export]\nprint_command = {json.dumps(command)}\n")
    log_in(app, "wangyi", PASSWORD)
    search(app, "张伟")
    open_patient(app, patient_id=SHOWCASE)
    settled(app)

    # The page's own print is ChartGuard's: it opens the print dialog.
    app.driver.execute_script("window.print()")
    wait_for(app, "export-dialog")
    app.driver.find_element(*css("export-close")).click()
    WebDriverWait(app.driver, 10).until(lambda d: not d.find_elements(*css("export-dialog")))

    # So does the shortcut.
    ActionChains(app.driver).key_down(Keys.CONTROL).send_keys("p").key_up(Keys.CONTROL).perform()
    wait_for(app, "export-dialog")
    app.driver.find_element(*css("export-scope-summary")).click()
    app.driver.find_element(*css("export-print")).click()
    status = wait_text(app, "export-status", "E-", timeout=60)
    export_id = next(word.strip(",.") for word in status.replace("·", " ").split() if word.startswith("E-"))
    app.screenshot("print-sent")

    text = pdf_text(spooled)
    assert f"Print {export_id}" in text
    assert "王毅 D1001" in text and "张伟" in text
    assert "Encounters" not in text, "the summary, not the whole chart"
    log = app.log_path.read_text(errors="replace")
    assert export_id in log and "print=true" in log

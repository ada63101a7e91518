"""Watermarks and print through the real window: the mark covers the login
screen, the chart and a modal at any window size, never takes a click,
comes back at once when a script removes or hides it (and the tampering is
audited), turns purple under break-the-glass; "Save as PDF" asks in the
OS's own save dialog (driven with xdotool) and writes the core's
watermarked PDF there; Ctrl+P and window.print() open ChartGuard's own
print, which sends the same kind of PDF to the configured print command."""

import json
import re
import subprocess
import time
import urllib.parse

from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import WebDriverWait

from test_journey import css, wait_for, wait_text
from test_audit import platform_events
from test_tiers import SHOWCASE, open_showcase

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


def test_the_watermark_covers_every_screen_and_comes_back_when_removed(launch, demo):
    app = launch(lang="zh_CN.UTF-8")
    wait_for(app, "login-form")
    login = wait_overlay(app, lambda s: "·" in tile_svg(s))
    assert_covers_window(login)
    app.screenshot("watermark-login")

    open_showcase(app, "wangyi")
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
    # Both are in the audit trail, and so reach the platform.
    def tamper_kinds():
        kinds = set()
        for event in platform_events(demo)["events"]:
            if event["subtype"][0]["code"] == "watermark-tamper":
                details = [d["valueString"] for e in event.get("entity", []) for d in e.get("detail", [])]
                kinds.update(d.split(",")[0] for d in details)
        return {"removed", "hidden"} <= kinds

    WebDriverWait(app.driver, 30).until(lambda d: tamper_kinds())


def test_break_the_glass_turns_the_watermark_purple(launch):
    app = launch()
    open_showcase(app, "zhou")
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
    open_showcase(app, "wangyi")

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
    export_id = re.search(r"E-[0-9A-Z]{8}", status).group()
    app.screenshot("print-sent")

    text = pdf_text(spooled)
    assert f"Print {export_id}" in text
    assert "王毅 D1001" in text and "张伟" in text
    assert "Encounters" not in text, "the summary, not the whole chart"
    # The print is in the audit trail before it was made, and its outcome
    # after; both reach the platform.
    def about_this_print():
        found = {}
        for event in platform_events(demo)["events"]:
            ids = [e["what"]["identifier"]["value"] for e in event.get("entity", [])
                   if "identifier" in e.get("what", {})]
            if export_id in ids:
                found[event["subtype"][0]["code"]] = event
        return found if {"print", "export-done"} <= found.keys() else None

    events = WebDriverWait(app.driver, 30).until(lambda d: about_this_print())
    printed = events["print"]
    assert printed["type"]["code"] == "110106"
    assert printed["entity"][0]["what"]["reference"] == f"Patient/{SHOWCASE}"
    roles = [c["code"] for r in printed["agent"][0]["role"] for c in r["coding"]]
    assert "treating" in roles
    assert printed["purposeOfEvent"][0]["coding"][0]["code"] == "TREAT"
    assert events["export-done"]["outcome"] == "0"
    log = app.log_path.read_text(errors="replace")
    assert SHOWCASE not in log and "张伟" not in log, "no patient in the app's log"


def save_dialog():
    """The OS's save dialog (GTK), once it is shown: its X window id."""
    deadline = time.time() + 20
    while time.time() < deadline:
        found = subprocess.run(["xdotool", "search", "--onlyvisible", "--name", "^Save File$"],
                               capture_output=True, text=True).stdout.split()
        if found:
            return found[-1]
        time.sleep(0.2)
    raise AssertionError("no save dialog appeared")


def test_save_as_pdf_writes_where_the_doctor_chose_in_the_os_dialog(launch, demo):
    app = launch(lang="zh_CN.UTF-8")
    open_showcase(app, "wangyi")
    wait_for(app, "chart-export").click()
    wait_for(app, "export-dialog")

    # Cancelled: nothing is written, nothing is said.
    app.driver.find_element(*css("export-save")).click()
    dialog = save_dialog()
    subprocess.run(["xdotool", "windowfocus", "--sync", dialog], check=True)
    subprocess.run(["xdotool", "key", "Escape"], check=True)
    WebDriverWait(app.driver, 10).until(lambda d: d.find_element(*css("export-save")).is_enabled())
    assert app.driver.find_element(*css("export-status")).text == ""

    # Saved: the doctor types a name (no extension) into the OS dialog.
    # ASCII: xdotool cannot reliably type other characters into GTK.
    target = demo.dir / "allergies-saved"
    app.driver.find_element(*css("export-scope-allergies")).click()
    app.driver.find_element(*css("export-save")).click()
    dialog = save_dialog()
    # Real key events (XTEST) to the focused dialog; GTK ignores synthetic ones.
    subprocess.run(["xdotool", "windowfocus", "--sync", dialog], check=True)
    subprocess.run(["xdotool", "key", "ctrl+a"], check=True)
    subprocess.run(["xdotool", "type", str(target)], check=True)
    subprocess.run(["xdotool", "key", "Return"], check=True)
    status = wait_text(app, "export-status", "E-", timeout=60)
    app.screenshot("export-saved")
    export_id = re.search(r"E-[0-9A-Z]{8}", status).group()
    saved = demo.dir / "allergies-saved.pdf"
    assert saved.exists(), f"the core added .pdf to the chosen name; found {sorted(demo.dir.glob('*.pdf'))}"
    text = pdf_text(saved)
    assert export_id in text and "王毅 D1001" in text and "张伟" in text
    assert "过敏史" in text and "当前用药" not in text, "only the chosen section"

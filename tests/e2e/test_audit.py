"""The operation trail through the real window: a doctor breaks the glass on
张伟's chart, the department head finds both the read and the break-the-glass
in "who viewed"; IT sees the trail's status; the app killed with SIGKILL
while it forwards loses and duplicates nothing; `chartguard audit verify`
checks the trail from the command line."""

import json
import os
import secrets
import signal
import ssl
import subprocess
import time
import urllib.request

from selenium.webdriver.support.ui import WebDriverWait

from conftest import APP, PASSWORD
from test_journey import css, log_in, wait_for
from test_tiers import SHOWCASE, open_showcase, settled


def sim(demo, method, path, body=None):
    """Calls the demo platform's test hooks (`/_sim/...`)."""
    context = ssl.create_default_context(cafile=str(demo.certs / "ca.pem"))
    base = demo.platform_url.split("/fhir")[0]
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, context=context, timeout=30) as response:
        text = response.read().decode()
        return json.loads(text) if text else None


def platform_events(demo):
    return sim(demo, "GET", "/_sim/audit")


def wait_until(predicate, timeout=60, what="the condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def verify_cli(config):
    """`chartguard audit verify --json` as IT would run it, for this config."""
    env = dict(os.environ, CHARTGUARD_CONFIG=str(config))
    done = subprocess.run([APP, "audit", "verify", "--json"], env=env,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, json.loads(done.stdout) if done.stdout else None, done.stderr


def break_glass(app, note):
    wait_for(app, "break-glass-open").click()
    wait_for(app, "break-glass-dialog")
    reason = next(r for r in app.driver.find_elements(*css("break-glass-reason"))
                  if r.get_attribute("data-code") == "emergency")
    reason.click()
    app.driver.find_element(*css("break-glass-note")).send_keys(note)
    WebDriverWait(app.driver, 5).until(lambda d: d.find_element(*css("break-glass-confirm")).is_enabled())
    app.driver.find_element(*css("break-glass-confirm")).click()
    wait_for(app, "break-glass-banner", timeout=60)


def test_the_head_sees_a_doctors_read_and_break_the_glass_in_who_viewed(launch, demo):
    note = f"chest pain, old ECGs needed {secrets.token_hex(4)}"
    doctor = launch()
    open_showcase(doctor, "zhou")
    break_glass(doctor, note)
    doctor.screenshot("audit-doctor-broke-the-glass")
    # The forwarder sends each event at once: wait until the platform has it.
    wait_until(lambda: any(note in json.dumps(e) for e in platform_events(demo)["events"]),
               what="the break-the-glass on the platform")
    doctor.quit()

    head = launch(lang="zh_CN.UTF-8")
    log_in(head, "lihua", PASSWORD)
    wait_for(head, "nav-referrals").click()
    inbox = wait_for(head, "referral-inbox", timeout=60)
    rows = WebDriverWait(head.driver, 60).until(
        lambda d: d.find_elements(*css("referral-row")))
    assert len(rows) >= 5
    assert "张伟" in inbox.text
    head.screenshot("audit-head-inbox")
    row = next(r for r in rows if "张伟" in r.text)
    row.click()
    wait_for(head, "chart", timeout=60)
    settled(head)
    wait_for(head, "who-viewed").click()
    wait_for(head, "access-log", timeout=60)
    entries = WebDriverWait(head.driver, 60).until(
        lambda d: d.find_elements(*css("access-entry")))
    glass = [e for e in entries
             if e.get_attribute("data-action") == "breakGlassStart" and note in e.text]
    assert glass, "the break-the-glass with its note"
    assert glass[0].get_attribute("data-break-glass") == "true"
    assert "周敏" in glass[0].text
    reads = [e for e in entries
             if e.get_attribute("data-action") == "patientOpen" and "周敏" in e.text]
    assert reads, "周敏's read of the chart"
    assert any(e.get_attribute("data-break-glass") == "false" for e in reads), "the read before"
    head.screenshot("audit-head-who-viewed")


def test_it_sees_the_trail_status_and_no_patient(launch):
    app = launch()
    log_in(app, "itadmin", PASSWORD)
    status = wait_for(app, "audit-status", timeout=60)  # IT's start screen
    assert wait_for(app, "nav-audit").get_attribute("aria-current") == "page"
    verdict = wait_for(app, "audit-verify", timeout=60)
    assert verdict.get_attribute("data-ok") == "true"
    for name in ("张伟", "cn-0001", "王毅"):
        assert name not in status.text
    app.screenshot("audit-it-status")


def test_a_kill_while_forwarding_loses_and_duplicates_nothing(own_demo, launch_on, tmp_path):
    # A trail of this test's own, and a platform that has seen nothing yet.
    extra = f'[audit]\ndir = {json.dumps(str(tmp_path / "audit"))}\n'
    app = launch_on(own_demo, extra=extra)
    config = own_demo.dir / "config.toml"
    open_showcase(app, "wangyi")
    wait_until(lambda: len(platform_events(own_demo)["events"]) >= 4,
               what="the first events on the platform")

    # The platform now stores what it gets at once but holds each answer
    # for 8 s. Removing the watermark is audited and forwarded at once: that
    # upload is stored but unacknowledged when the app is killed.
    sim(own_demo, "PUT", "/_sim/faults", {"answer_after_ms": 8000})
    app.driver.execute_script('document.querySelector(\'[data-testid="watermark"]\').remove()')
    wait_until(lambda: any(e["subtype"][0]["code"] == "watermark-tamper"
                           for e in platform_events(own_demo)["events"]),
               what="the tamper event stored on the platform")
    pids = subprocess.run(["pgrep", "-f", f"^{APP}$"], capture_output=True, text=True).stdout.split()
    assert pids, "the app is running"
    for pid in pids:
        os.kill(int(pid), signal.SIGKILL)
    sim(own_demo, "PUT", "/_sim/faults", {"answer_after_ms": 0})
    app.quit()  # the session of the killed app

    code, report, stderr = verify_cli(config)
    assert code == 0 and report["ok"], (code, report, stderr)

    # The machine is back: the app starts again and the doctor logs in.
    again = launch_on(own_demo, extra=extra)
    log_in(again, "wangyi", PASSWORD)
    wait_for(again, "search-input", timeout=60)

    def all_arrived():
        code, report, _ = verify_cli(config)
        events = platform_events(own_demo)
        ids = [e["id"] for e in events["events"]]
        return code == 0 and len(ids) == report["checked"] and len(set(ids)) == len(ids) and events

    events = wait_until(all_arrived, timeout=90, what="every trail record on the platform once")
    assert events["resubmitted"] >= 1, "the unacknowledged upload was sent again"
    assert events["conflicts"] == 0, "as the same event"
    actions = {e["subtype"][0]["code"] for e in events["events"]}
    assert {"110122", "read", "search-type", "watermark-tamper"} <= actions, actions
    again.screenshot("audit-after-kill")

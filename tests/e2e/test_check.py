"""`chartguard --check` as IT runs it: the real binary, no window, against
the demo platform and identity provider; and with no keyring to be had."""

import json
import os
import subprocess

from conftest import APP


def check(config, env=None, app=APP):
    env = dict(env or os.environ, CHARTGUARD_CONFIG=str(config))
    done = subprocess.run([app, "--check", "--json"], env=env, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, json.loads(done.stdout)


def test_the_installed_binary_checks_the_workstation(demo):
    config = demo.write_config("check.toml", demo.certs / "ca.pem")
    code, report = check(config)
    assert code == 0, report
    assert report["ok"] and all(c["outcome"] == "pass" for c in report["checks"])
    text = subprocess.run([APP, "--check"], env=dict(os.environ, CHARTGUARD_CONFIG=str(config)),
                          capture_output=True, text=True, timeout=120).stdout
    assert "PASS  platform" in text and text.endswith("all checks passed\n")


def test_no_keyring_is_a_failed_line_and_a_non_zero_exit(demo):
    config = demo.write_config("check.toml", demo.certs / "ca.pem")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS")}
    env["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=/nonexistent/bus"
    code, report = check(config, env)
    assert code == 1
    keyring = next(c for c in report["checks"] if c["name"] == "keyring")
    assert keyring["outcome"] == "fail"
    assert "keyring" in keyring["detail"]
    assert next(c for c in report["checks"] if c["name"] == "platform")["outcome"] == "pass"


def test_the_help_desk_gets_diagnostics_from_the_login_screen(launch):
    from test_journey import css, wait_for
    from selenium.webdriver.support.ui import WebDriverWait

    app = launch(lang="zh_CN.UTF-8")
    wait_for(app, "diagnostics-open").click()
    dialog = wait_for(app, "diagnostics-dialog")
    assert dialog.get_attribute("aria-modal") == "true"
    text = WebDriverWait(app.driver, 60).until(
        lambda d: d.find_elements(*css("diagnostics-text"))
        and d.find_element(*css("diagnostics-text")).get_property("value"))
    assert text.startswith("ChartGuard ")
    assert "PASS  platform" in text and "PASS  keyring" in text
    assert "recent log lines:" in text
    app.screenshot("diagnostics")
    app.driver.find_element(*css("diagnostics-close")).click()
    WebDriverWait(app.driver, 10).until(lambda d: not d.find_elements(*css("diagnostics-dialog")))

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


def test_the_printed_default_config_is_a_working_start(demo, tmp_path):
    """IT's first step: print the default, set the region's addresses and
    the CA, and the workstation checks out."""
    printed = subprocess.run([APP, "--print-default-config"], capture_output=True, text=True,
                             timeout=60, check=True).stdout
    assert "[platform]" in printed and "# ca_bundle = " in printed
    edited = (printed
              .replace('base_url = "https://127.0.0.1:7443/fhir"',
                       f'base_url = "{demo.platform_url}"')
              .replace('issuer = "https://127.0.0.1:7444/"', f'issuer = "{demo.issuer}"')
              .replace('# ca_bundle = "/etc/chartguard/ca.pem"',
                       f'ca_bundle = {json.dumps(str(demo.certs / "ca.pem"))}')
              .replace('# dir = "/var/lib/chartguard/audit"',
                       f'dir = {json.dumps(str(tmp_path / "audit"))}')
              .replace('# dir = "/var/lib/chartguard/cache"',
                       f'dir = {json.dumps(str(tmp_path / "cache"))}')
              .replace('# dir = "/var/log/chartguard"',
                       f'dir = {json.dumps(str(demo.logs))}'))
    assert edited.count(str(tmp_path)) == 2
    config = tmp_path / "config.toml"
    config.write_text(edited)
    code, report = check(config)
    assert code == 0, report


def test_a_user_file_setting_a_machine_key_stops_the_window_with_file_key_and_line(
        launch, monkeypatch, tmp_path):
    user = tmp_path / "chartguard" / "config.toml"
    user.parent.mkdir()
    user.write_text('[ui]\nlocale = "en"\n\n[platform]\nbase_url = "https://elsewhere.example/fhir"\n')
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    from test_journey import wait_for

    app = launch(extra='[overrides]\nallow = ["ui.locale"]\n')
    error = wait_for(app, "app-error")
    assert f"{user}: platform.base_url (line 5)" in error.text
    assert "overrides.allow" in error.text
    assert not app.driver.find_elements("css selector", '[data-testid="login-form"]')
    app.screenshot("config-error-user-file")

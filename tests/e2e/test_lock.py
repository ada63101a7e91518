"""The idle lock in the real window: after the configured minute without
input the chart leaves the screen (and the page), the lock screen asks for
the doctor's password, and unlocking returns to the same chart."""

import time

from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD
from test_journey import css, log_in, open_patient, search, wait_for
from test_zz_logs import sim_patients


def test_an_idle_screen_locks_drops_the_chart_and_unlocks_to_the_same_place(launch, demo):
    zhang = next(p for p in sim_patients(demo) if p["name"] == "张伟")
    app = launch("idle.toml", lang="zh_CN.UTF-8", extra="[session]\nidle_lock_minutes = 1\n")
    log_in(app, "wangyi", PASSWORD)
    search(app, "张伟")
    open_patient(app, patient_id="cn-0001")
    assert wait_for(app, "patient-name").text == "张伟"
    idle_from = time.monotonic()

    lock = wait_for(app, "lock-screen", timeout=90)
    waited = time.monotonic() - idle_from
    assert 55 <= waited <= 90, f"locked after {waited:.0f} s"
    assert "王毅" in wait_for(app, "lock-who").text
    page = app.driver.page_source
    for phi in ("张伟", zhang["resident_id"], "cn-0001", "13812345678", "建国路95号"):
        assert phi not in page, f"{phi} is still in the page"
    assert not app.driver.find_elements(*css("login-username"))
    app.screenshot("idle-lock-zh")

    # A wrong password keeps it locked; the doctor's own opens the same chart.
    app.driver.find_element(*css("login-password")).send_keys("not-the-password")
    app.driver.find_element(*css("login-submit")).click()
    assert wait_for(app, "lock-error").get_attribute("data-error-code") == "InvalidCredentials"
    assert lock.is_displayed()
    app.driver.find_element(*css("login-password")).send_keys(PASSWORD)
    app.driver.find_element(*css("login-submit")).click()
    assert wait_for(app, "patient-name", timeout=60).text == "张伟"
    WebDriverWait(app.driver, 10).until(lambda d: not d.find_elements(*css("lock-screen")))

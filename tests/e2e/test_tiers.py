"""Permission tiers through the real window: the same patient as a treating
doctor, as another doctor (masked, more sealed, break-the-glass and its end),
as a department head, and as IT staff who see no patients at all.

The demo's 张伟 (cn-0001) has a current referral to cardiology and records
labelled R/PSY and V/HIV: a treating doctor sees the R ones, nobody else
sees either until they break the glass."""

import re

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD
from test_journey import css, log_in, open_patient, search, wait_for, wait_text

SHOWCASE = "cn-0001"


def access_badge(app, tier, timeout=30):
    """Waits for the chart's access badge to name `tier` and returns its text."""
    WebDriverWait(app.driver, timeout).until(
        lambda d: d.find_element(*css("chart-access")).get_attribute("data-tier") == tier)
    return app.driver.find_element(*css("chart-access")).text


def resident_id(app, label):
    for row in app.driver.find_elements(*css("patient-identifier")):
        if row.find_element(By.TAG_NAME, "dt").text == label:
            return row.find_element(By.TAG_NAME, "dd").text
    raise AssertionError(f"no {label} in the patient header")


def sealed_count(app):
    text = wait_for(app, "chart-sealed").text
    return int(re.search(r"\d+", text).group())


def settled(app, timeout=60):
    """Waits until the chart is not being refreshed (a cached chart is replaced)."""
    WebDriverWait(app.driver, timeout).until(
        lambda d: not d.find_elements(*css("chart-refreshing")) and not d.find_elements(*css("chart-loading")))


def open_showcase(app, username):
    """Logs `username` in and opens 张伟's chart, settled."""
    log_in(app, username, PASSWORD)
    search(app, "张伟")
    open_patient(app, patient_id=SHOWCASE)
    settled(app)


def test_treating_doctor_sees_the_referred_patient_in_full(launch):
    app = launch(lang="zh_CN.UTF-8")
    open_showcase(app, "wangyi")
    assert wait_for(app, "patient-name").text == "张伟"
    badge = access_badge(app, "treating")
    assert "诊治医生" in badge and "本科室转诊" in badge
    assert re.fullmatch(r"\d{17}[\dX]", resident_id(app, "身份证号"))
    # The R (PSY) records are shown to the treating doctor; the V (HIV) one stays sealed.
    assert sealed_count(app) == 1
    app.screenshot("tiers-treating")


def test_another_doctor_sees_a_masked_chart_and_breaks_the_glass(launch):
    app = launch()
    open_showcase(app, "zhou")
    assert wait_for(app, "patient-name").text == "张*"
    assert re.fullmatch(r"110105\*{8}\d{3}[\dX]", resident_id(app, "Resident ID"))
    badge = access_badge(app, "clinician")
    assert "Masked view" in badge and "clinician" in badge
    sealed = sealed_count(app)
    assert sealed > 1, "the R records are sealed too"
    app.screenshot("tiers-masked")

    # Break the glass: a reason and a note, then Confirm.
    wait_for(app, "break-glass-open").click()
    dialog = wait_for(app, "break-glass-dialog")
    assert dialog.get_attribute("role") == "dialog"
    assert dialog.get_attribute("aria-modal") == "true"
    confirm = app.driver.find_element(*css("break-glass-confirm"))
    assert not confirm.is_enabled()
    reasons = app.driver.find_elements(*css("break-glass-reason"))
    assert [r.get_attribute("data-code") for r in reasons] == ["emergency", "consult", "continuity"]
    reasons[0].click()
    app.driver.find_element(*css("break-glass-note")).send_keys(
        "Admitted unconscious; previous diagnoses needed for treatment")
    WebDriverWait(app.driver, 5).until(lambda d: d.find_element(*css("break-glass-confirm")).is_enabled())
    app.screenshot("tiers-break-glass-dialog")
    app.driver.find_element(*css("break-glass-confirm")).click()

    banner = wait_for(app, "break-glass-banner")
    assert banner.get_attribute("role") == "status"
    assert re.search(r"Break-the-glass access until \d{2}:\d{2} — every view is audited", banner.text)
    assert not app.driver.find_elements(*css("break-glass-dialog"))
    assert not app.driver.find_elements(*css("chart-sealed")), "nothing is sealed while the glass is broken"
    # Unsealed is not unmasked: the identifiers stay masked for this tier.
    assert wait_for(app, "patient-name").text == "张*"
    assert access_badge(app, "clinician")
    app.screenshot("tiers-break-glass")

    # End now: the chart is sealed again.
    app.driver.find_element(*css("break-glass-end")).click()
    WebDriverWait(app.driver, 30).until(EC.invisibility_of_element_located(css("break-glass-banner")))
    settled(app)
    assert sealed_count(app) == sealed
    assert wait_for(app, "break-glass-open")
    app.screenshot("tiers-sealed-again")


def test_break_glass_dialog_closes_on_escape(launch):
    app = launch()
    open_showcase(app, "zhou")
    wait_for(app, "break-glass-open").click()
    wait_for(app, "break-glass-dialog")
    app.driver.switch_to.active_element.send_keys(Keys.ESCAPE)
    WebDriverWait(app.driver, 10).until(EC.invisibility_of_element_located(css("break-glass-dialog")))
    # Escape closed the dialog only; the chart stays.
    assert wait_for(app, "chart-sealed")
    assert app.driver.switch_to.active_element.get_attribute("data-testid") == "break-glass-open"


def test_department_head_treats_referrals_to_the_department_only(launch):
    app = launch(lang="zh_CN.UTF-8")
    open_showcase(app, "lihua")
    assert wait_for(app, "patient-name").text == "张伟"
    badge = access_badge(app, "treating")
    assert "本科室转诊" in badge
    app.screenshot("tiers-head-referral")

    # The HL7 example patient was never referred to cardiology. (The rows of
    # the previous search stay on screen until the new ones come: pick by id.)
    app.driver.find_element(*css("chart-back")).click()
    search(app, "Chalmers")
    open_patient(app, patient_id="example")
    settled(app)
    badge = access_badge(app, "clinician")
    assert "脱敏视图" in badge and "非诊治医生" in badge
    assert "Chalmers" not in wait_for(app, "patient-name").text
    app.screenshot("tiers-head-masked")


def test_it_admin_sees_no_patients(launch):
    app = launch()
    log_in(app, "itadmin", PASSWORD)
    # IT starts on the audit trail's status; search is one click away.
    wait_for(app, "audit-status", timeout=60)
    wait_for(app, "nav-search").click()
    box = wait_for(app, "search-input")
    box.send_keys("张伟", Keys.ENTER)
    error = wait_for(app, "search-error")
    assert error.get_attribute("data-error-code") == "AccessDenied"
    wait_text(app, "search-error", "Not permitted")
    assert "only to clinical roles" in error.text
    assert not app.driver.find_elements(*css("patient-row"))
    assert not app.driver.find_elements(*css("search-results"))
    app.screenshot("tiers-it-admin")

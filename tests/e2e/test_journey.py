"""The first journey through the real window: a doctor logs in with hospital
credentials, finds patients and reads their shared history; and the two
login failures a doctor must understand without help."""

from selenium.common.exceptions import StaleElementReferenceException
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import PASSWORD


def css(testid):
    return (By.CSS_SELECTOR, f'[data-testid="{testid}"]')


def wait_for(app, testid, timeout=30):
    return WebDriverWait(app.driver, timeout).until(EC.visibility_of_element_located(css(testid)))


def wait_text(app, testid, text, timeout=30):
    WebDriverWait(app.driver, timeout).until(EC.text_to_be_present_in_element(css(testid), text))
    return app.driver.find_element(*css(testid)).text


def texts(app, testid):
    """The text of every element with this test id, scrolled into view or not."""
    return [e.get_attribute("textContent").strip() for e in app.driver.find_elements(*css(testid))]


def log_in(app, username, password):
    wait_for(app, "login-username").send_keys(username)
    app.driver.find_element(*css("login-password")).send_keys(password)
    app.driver.find_element(*css("login-submit")).click()


def search(app, query):
    box = wait_for(app, "search-input")
    box.clear()
    box.send_keys(query, Keys.ENTER)
    return wait_for(app, "search-results")


def row_ids(app):
    return {r.get_attribute("data-patient-id") for r in app.driver.find_elements(*css("patient-row"))}


def open_patient(app, patient_id=None, name_part=None, not_in=None):
    """Opens the row with this id, or naming `name_part`, or the first row not
    among the ids `not_in` (the previous search's rows stay until new ones come)."""
    def wanted(r):
        if patient_id and r.get_attribute("data-patient-id") == patient_id:
            return True
        if name_part and name_part in r.text:
            return True
        return not_in is not None and r.get_attribute("data-patient-id") not in not_in

    def click_row(driver):
        try:
            for r in driver.find_elements(*css("patient-row")):
                if wanted(r):
                    r.click()
                    return True
        except StaleElementReferenceException:
            pass  # the results were replaced while we looked: look again
        return False

    WebDriverWait(app.driver, 30).until(click_row)
    return wait_for(app, "chart", timeout=60)


def test_wrong_password_is_told_plainly(launch):
    app = launch()
    log_in(app, "wangyi", "not-the-password")
    wait_text(app, "login-error", "Wrong username or password")
    assert app.driver.find_element(*css("login-error")).get_attribute("data-error-code") == "InvalidCredentials"
    assert not app.driver.find_elements(*css("topbar"))
    assert app.driver.find_element(*css("login-password")).get_attribute("value") == ""
    app.screenshot("login-wrong-password")


def test_untrusted_certificate_is_told_plainly(launch, foreign_ca):
    app = launch("untrusted.toml", ca=foreign_ca)
    log_in(app, "wangyi", PASSWORD)
    text = wait_text(app, "login-error", "CA bundle")
    assert "certificate" in text.lower()
    assert app.driver.find_element(*css("login-error")).get_attribute("data-error-code") == "CertificateUntrusted"
    assert not app.driver.find_elements(*css("topbar"))
    app.screenshot("login-untrusted-certificate")


def test_doctor_finds_and_reads_a_chinese_and_a_synthea_patient(launch):
    app = launch(lang="zh_CN.UTF-8")
    log_in(app, "wangyi", PASSWORD)
    user = wait_for(app, "topbar-user").text
    assert "王毅" in user and "D1001" in user

    # The synthetic Chinese patient, found by name.
    search(app, "张伟")
    app.screenshot("search-chinese-patient")
    open_patient(app, patient_id="cn-0001")
    assert wait_for(app, "patient-name").text == "张伟"
    assert app.driver.find_elements(*css("problem-row")), "active problems are listed"
    assert app.driver.find_elements(*css("med-row")), "current medications are listed"
    assert app.driver.find_elements(*css("lab-row")), "recent labs are listed"
    # The encounters are on the timeline tab, built when it is first shown.
    app.driver.find_element(*css("tab-timeline")).click()
    wait_for(app, "timeline-encounter")
    encounters = app.driver.find_elements(*css("timeline-encounter"))
    assert len(encounters) > 3
    badges = texts(app, "source-badge")
    assert badges and all(badges), "every source badge names a hospital"
    assert len(set(badges)) > 1, "the history comes from several hospitals"
    # Her psychiatric (PSY, R) and HIV (V) records are sealed, and the chart says so.
    assert wait_for(app, "chart-sealed").text
    app.screenshot("chart-chinese-patient")

    # A Synthea patient (third-party data), found by family name. Nothing ties
    # him to cardiology, so his identifiers are masked for this doctor.
    app.driver.find_element(*css("chart-back")).click()
    before = row_ids(app)
    search(app, "Portillo")
    open_patient(app, not_in=before)
    WebDriverWait(app.driver, 30).until(
        lambda d: d.find_element(*css("chart-access")).get_attribute("data-tier") == "clinician")
    name = wait_for(app, "patient-name").text
    assert name and "Portillo" not in name and "*" in name
    app.driver.find_element(*css("tab-timeline")).click()
    wait_for(app, "timeline-encounter")
    assert all(texts(app, "source-badge"))
    app.screenshot("chart-synthea-patient")


def test_a_cached_chart_stays_readable_when_the_platform_goes_down(own_demo, launch_on):
    app = launch_on(own_demo)
    log_in(app, "wangyi", PASSWORD)
    search(app, "张伟")
    open_patient(app, patient_id="cn-0001")
    # The chart says how current it is.
    assert "from the regional platform" in wait_for(app, "header-as-of").text
    app.screenshot("chart-as-of")
    # Kept on this workstation beyond the retention period.
    pin = wait_for(app, "chart-pin")
    assert pin.get_attribute("aria-pressed") == "false"
    pin.click()
    WebDriverWait(app.driver, 10).until(
        lambda d: d.find_element(*css("chart-pin")).get_attribute("aria-pressed") == "true")
    app.screenshot("chart-pinned")

    app.driver.find_element(*css("chart-back")).click()
    own_demo.stop_platform()

    # Search falls back to this workstation's cache, and says so.
    search(app, "张伟")
    assert wait_for(app, "search-offline").text
    open_patient(app, patient_id="cn-0001")
    assert wait_for(app, "patient-name").text == "张伟"
    warning = wait_for(app, "chart-refresh-failed")
    assert warning.get_attribute("role") == "alert"
    assert app.driver.find_elements(*css("problem-row")), "the cached chart stays on screen"
    assert wait_for(app, "chart-pin").get_attribute("aria-pressed") == "true"
    app.screenshot("chart-platform-down")

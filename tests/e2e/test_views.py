"""The clinical views through the real window, in both languages: a doctor
finds a patient the forgiving way, reads the summary, walks the timeline,
opens a trend and prints it, reads a document, and comes back to the
patient from "recent patients"."""

import json
import re
import subprocess

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from conftest import PASSWORD
from test_journey import css, log_in, open_patient, search, wait_for, wait_text


def pdf_text(path):
    return subprocess.run(["pdftotext", "-nodiag", "-enc", "UTF-8", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def click(app, element):
    """Clicks `element` scrolled to the middle of the window: at the top the
    sticky patient header would be above it."""
    app.driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", element)
    element.click()


def open_tab(app, name):
    click(app, app.driver.find_element(*css(f"tab-{name}")))
    return wait_for(app, f"panel-{name}")


def test_a_doctor_reads_the_story_of_a_chinese_patient_in_chinese(launch, demo):
    spooled = demo.dir / "trend-spooled.pdf"
    spooled.unlink(missing_ok=True)
    command = ["sh", "-c", f"cat > {spooled}"]
    app = launch(lang="zh_CN.UTF-8", extra=f"[export]\nprint_command = {json.dumps(command)}\n")
    log_in(app, "wangyi", PASSWORD)

    # The search screen says what it accepts.
    hint = wait_for(app, "search-hint").text
    assert "拼音" in hint, hint
    app.screenshot("views-zh-search-hint")

    # Found by the pinyin his record carries.
    search(app, "zhang wei")
    app.screenshot("views-zh-search-pinyin")
    open_patient(app, patient_id="cn-0001")

    # The header: who, how old, what he reacts to, what is sealed, how current.
    assert wait_for(app, "patient-name").text == "张伟"
    assert re.search(r"\d+\s*岁", wait_for(app, "header-age").text)
    assert wait_for(app, "header-sex").text
    # His penicillin allergy (criticality high): counted, and the highest named.
    allergies = wait_for(app, "header-allergies")
    count = int(allergies.get_attribute("data-count"))
    assert count >= 1, allergies.get_attribute("outerHTML")[:300]
    assert allergies.get_attribute("data-criticality") == "high", allergies.get_attribute("outerHTML")[:300]
    assert f"过敏 {count} 项" in allergies.text and "最高严重程度：高" in allergies.text, allergies.text
    assert wait_for(app, "header-sealed").text
    assert wait_for(app, "header-as-of").text

    # The summary: medications with where they came from, the latest vitals and labs.
    wait_for(app, "panel-summary")
    meds = app.driver.find_elements(*css("med-row"))
    assert meds and all(m.find_elements(*css("med-source")) for m in meds)
    assert app.driver.find_elements(*css("lab-row"))
    app.screenshot("views-zh-summary")

    # The timeline, across hospitals, narrowed to inpatient stays.
    open_tab(app, "timeline")
    wait_for(app, "timeline-encounter")
    every = len(app.driver.find_elements(*css("timeline-encounter")))
    Select(app.driver.find_element(*css("filter-type"))).select_by_value("IMP")
    WebDriverWait(app.driver, 10).until(
        lambda d: 0 < len(d.find_elements(*css("timeline-encounter"))) < every)
    stays = app.driver.find_elements(*css("timeline-encounter"))
    assert all(s.find_element(*css("encounter-type")).text == "住院" for s in stays), [s.text for s in stays]
    click(app, stays[0].find_element(By.CSS_SELECTOR, "button.encounter"))
    detail = wait_for(app, "encounter-detail")
    kinds = {g.get_attribute("data-kind") for g in detail.find_elements(*css("encounter-items"))}
    assert "document" in kinds and len(kinds) > 1, kinds  # the discharge summary, and more
    app.screenshot("views-zh-timeline")

    # HbA1c over the years, drawn with its range, and printed as a trend.
    open_tab(app, "results")
    rows = app.driver.find_elements(*css("results-row"))
    hba1c = next(r for r in rows if "糖化血红蛋白" in r.text)
    click(app, hba1c.find_element(*css("results-open")))
    chart = wait_for(app, "trend-chart")
    WebDriverWait(app.driver, 20).until(
        lambda d: d.find_element(*css("trend-chart")).get_attribute("data-drawn") == "true")
    assert chart.find_elements(By.TAG_NAME, "canvas"), "uPlot drew on a canvas"
    # HbA1c's range is 4–6 %: both ends, as a range.
    range_text = wait_for(app, "result-range").text
    assert "4–6" in range_text, range_text
    app.screenshot("views-zh-trend")
    click(app, app.driver.find_element(*css("export-trend")))
    wait_for(app, "export-dialog")
    app.driver.find_element(*css("export-print")).click()
    status = wait_text(app, "export-status", "E-", timeout=60)
    export_id = re.search(r"E-[0-9A-Z]{8}", status).group()
    text = pdf_text(spooled)
    assert export_id in text and "糖化血红蛋白" in text and "参考范围" in text
    assert "出院小结" not in text, "a trend holds nothing else"
    app.driver.find_element(*css("export-close")).click()

    # A discharge summary written as hostile HTML by another hospital: read as text.
    open_tab(app, "documents")
    documents = app.driver.find_elements(*css("document-row"))
    assert documents
    discharge = next(d for d in documents if "出院小结" in d.text)
    click(app, discharge.find_element(By.TAG_NAME, "button"))
    body = wait_for(app, "document-body")
    assert body.text.strip()
    assert not body.find_elements(By.TAG_NAME, "script") and not body.find_elements(By.TAG_NAME, "img")
    # Its markup is neither run nor shown as markup.
    assert "<script" not in body.text.lower() and "onerror=" not in body.text.lower(), body.text
    # No element of the page carries an event handler or a javascript: link.
    handlers = app.driver.execute_script(
        "return [...document.body.querySelectorAll('*')].flatMap((element) => [...element.attributes]"
        "  .filter((a) => /^on/i.test(a.name) || /^\\s*javascript:/i.test(a.value))"
        "  .map((a) => `${element.tagName.toLowerCase()} ${a.name}`));")
    assert handlers == [], handlers
    app.screenshot("views-zh-document")

    # Back to search: he is the first of the recent patients.
    click(app, app.driver.find_element(*css("chart-back")))
    box = wait_for(app, "search-input")
    # As a doctor empties the box (clear() sends no input event).
    box.send_keys(Keys.CONTROL, "a")
    box.send_keys(Keys.BACKSPACE)
    recent = wait_for(app, "recent-patients")
    first = recent.find_elements(*css("recent-patient"))[0]
    assert first.get_attribute("data-patient-id") == "cn-0001", first.get_attribute("outerHTML")[:300]
    app.screenshot("views-zh-recent")


def test_a_synthea_patient_reads_in_english_and_too_many_matches_narrow(launch):
    app = launch(lang="en_US.UTF-8")
    log_in(app, "wangyi", PASSWORD)

    # One letter matches most of the platform: the doctor is asked to narrow.
    search(app, "a")
    too_many = wait_for(app, "search-too-many")
    assert "birth date" in too_many.text, too_many.text
    assert len(app.driver.find_elements(*css("patient-row"))) == 20
    app.screenshot("views-en-too-many")

    # The Synthea patient with the most encounters, masked for this doctor.
    search(app, "Rice")
    open_patient(app, not_in=set())
    WebDriverWait(app.driver, 30).until(
        lambda d: d.find_element(*css("chart-access")).get_attribute("data-tier") == "clinician")
    assert "*" in wait_for(app, "patient-name").text
    assert re.search(r"\d+ years", wait_for(app, "header-age").text)
    app.screenshot("views-en-summary")

    open_tab(app, "timeline")
    wait_for(app, "timeline-encounter")
    hospitals = Select(app.driver.find_element(*css("filter-hospital")))
    choices = [o.get_attribute("value") for o in hospitals.options if o.get_attribute("value")]
    assert choices, "the encounters name their hospitals"
    hospitals.select_by_value(choices[0])
    WebDriverWait(app.driver, 10).until(lambda d: d.find_elements(*css("timeline-encounter")))
    shown = [e.find_element(*css("source-badge")).get_attribute("textContent").strip()
             for e in app.driver.find_elements(*css("timeline-encounter"))]
    assert shown and all(s.endswith(choices[0]) for s in shown), shown
    app.screenshot("views-en-timeline")

    open_tab(app, "results")
    rows = app.driver.find_elements(*css("results-row"))
    weight = next(r for r in rows if "weight" in r.text.lower())
    click(app, weight.find_element(*css("results-open")))
    WebDriverWait(app.driver, 20).until(
        lambda d: d.find_element(*css("trend-chart")).get_attribute("data-drawn") == "true")
    points = app.driver.find_elements(*css("result-point"))
    assert len(points) > 1
    app.screenshot("views-en-trend")

    open_tab(app, "documents")
    assert wait_for(app, "documents-empty").text
    app.screenshot("views-en-documents")


def test_a_slow_first_open_shows_how_many_records_have_arrived(own_demo, launch_on):
    from test_audit import sim

    app = launch_on(own_demo, lang="zh_CN.UTF-8")
    log_in(app, "wangyi", PASSWORD)
    # The largest Synthea patient (555 records, three pages of history).
    # Seen masked by this doctor, so never cached: always fetched.
    search(app, "Rice")
    row = wait_for(app, "patient-row")
    # Each page of the history now takes 2.5 s.
    sim(own_demo, "PUT", "/_sim/faults", {"latency_ms": 2500})
    try:
        row.click()
        # (The max property reads 1 before there is a max attribute.)
        WebDriverWait(app.driver, 20).until(lambda d: d.execute_script(
            "const bar = document.querySelector('[data-testid=\"chart-progress\"]');"
            "return bar !== null && bar.hasAttribute('max');"))
        bar = app.driver.find_element(*css("chart-progress"))
        received, total = int(bar.get_attribute("value")), int(bar.get_attribute("max"))
        assert 0 < received < total, (received, total)
        # The status line moves on in coarse steps (the bar has every
        # record): it says the count it names, never more than arrived.
        status = app.driver.find_element(*css("chart-progress-text"))
        said = int(status.get_attribute("data-received"))
        assert 0 < said <= received, (said, received)
        assert f"{said} / {total}" in status.text, status.text
        app.screenshot("views-zh-progress")
        assert "*" in wait_for(app, "patient-name", timeout=30).text
        assert not app.driver.find_elements(*css("chart-progress"))
    finally:
        sim(own_demo, "PUT", "/_sim/faults", {"latency_ms": 0})

"""Runs after every other journey of the session (pytest takes files in
name order): the app's log files, written at trace level through all of
them, hold no patient's name, resident ID, phone, address or platform id."""

import json
import ssl
import urllib.request


def sim_patients(demo):
    context = ssl.create_default_context(cafile=str(demo.certs / "ca.pem"))
    base = demo.platform_url.split("/fhir")[0]
    with urllib.request.urlopen(base + "/_sim/patients", context=context, timeout=30) as r:
        return json.loads(r.read())


def test_no_log_line_of_any_journey_names_a_patient(demo):
    files = sorted(demo.logs.glob("chartguard*.log"))
    assert files, "the app wrote its log files into the configured folder"
    text = "\n".join(f.read_text(errors="replace") for f in files)
    assert "login succeeded" in text, "the journeys' own lines are there"
    assert " DEBUG " in text or " TRACE " in text, "at the most detailed level"

    patients = sim_patients(demo)
    assert len(patients) > 40
    # The demo patient's contact details, which every journey opened.
    needles = {"13812345678", "建国路95号", "cn-0001", "张伟"}
    for p in patients:
        needles.add(p["name"])
        if p.get("resident_id"):
            needles.add(p["resident_id"])
    found = sorted(n for n in needles if n and len(n) > 1 and n in text)
    assert not found, f"patient data in the log: {found[:5]}"

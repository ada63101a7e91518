//! Builds the view model of a chart (and of search results) from the FHIR
//! resources the masking stage let through for the doctor's tier. Pure:
//! data in, data out; no I/O, no clock. Result series are `results.rs`'s,
//! current medications `medications.rs`'s, documents `documents.rs`'s; this
//! file has the chart, the encounters and what happened in each.

mod documents;
mod medications;
mod results;

use std::collections::HashMap;

use serde_json::Value;

use crate::error::{Error, Remote, Result};
use crate::fhir::{
    array, concept_code, concept_has_code, concept_text, date_choice, human_name, id, owned,
    reference_target, resource_type, str_field,
};
use crate::view::{
    AccessView, AllergyView, Chart, EncounterItem, EncounterItemKind, EncounterView, Freshness,
    IdentifierKind, IdentifierView, LabView, PatientHeader, PatientSummary, ProblemView,
    ResultFlag, ResultKind,
};

pub(crate) use documents::{readable, text_blocks, textual_format};
pub(crate) use results::number;

pub(crate) fn patient_summary(patient: &Value) -> Option<PatientSummary> {
    if resource_type(patient) != Some("Patient") {
        return None;
    }
    Some(PatientSummary {
        id: id(patient)?.to_owned(),
        name: human_name(patient.get("name")).unwrap_or_default(),
        gender: owned(patient, "gender"),
        birth_date: owned(patient, "birthDate"),
        identifiers: identifiers(patient),
    })
}

/// Assembles the chart of `patient_id` from everything the platform sent.
/// Resources that cannot be read are skipped (and counted in the log), so
/// one bad record from one hospital does not hide the rest of the history.
pub(crate) fn build_chart(
    patient_id: &str,
    resources: &[Value],
    freshness: Freshness,
    access: AccessView,
) -> Result<Chart> {
    let index = Index::new(resources);
    let patient = resources
        .iter()
        .find(|r| resource_type(r) == Some("Patient") && id(r) == Some(patient_id))
        .ok_or(Error::Malformed(
            Remote::Platform,
            "the patient record was missing from the history",
        ))?;
    let summary = patient_summary(patient).ok_or(Error::Malformed(
        Remote::Platform,
        "the patient record could not be read",
    ))?;

    let mut chart = Chart {
        patient: PatientHeader {
            id: summary.id,
            name: summary.name,
            gender: summary.gender,
            birth_date: summary.birth_date,
            identifiers: summary.identifiers,
            phone: phone(patient),
            address: address(patient),
        },
        problems: Vec::new(),
        medications: Vec::new(),
        allergies: Vec::new(),
        labs: Vec::new(),
        results: Vec::new(),
        encounters: Vec::new(),
        documents: Vec::new(),
        resource_count: u32::try_from(resources.len()).unwrap_or(u32::MAX),
        sealed: 0,
        freshness,
        pinned: None,
        access,
    };
    let mut latest_labs: HashMap<String, LabView> = HashMap::new();
    let mut results = results::Results::default();
    let mut medications = medications::Medications::default();
    // What happened in each encounter, by the encounter's id.
    let mut happened: HashMap<String, Vec<EncounterItem>> = HashMap::new();
    let mut skipped = 0usize;
    let mut foreign = 0usize;

    for r in resources {
        if is_entered_in_error(r) {
            continue;
        }
        // A platform bug must never put another patient's data in this chart.
        if !belongs_to(r, patient_id) {
            foreign += 1;
            continue;
        }
        let Some(rid) = id(r).map(str::to_owned) else {
            skipped += 1;
            continue;
        };
        match resource_type(r) {
            Some("Condition") => {
                let Some(code) = r.get("code") else {
                    skipped += 1;
                    continue;
                };
                let text = concept_text(code).unwrap_or_default();
                let onset = date_choice(r, "onset").or_else(|| owned(r, "recordedDate"));
                if let Some(encounter) = encounter_of(r) {
                    happened.entry(encounter).or_default().push(EncounterItem {
                        kind: EncounterItemKind::Diagnosis,
                        id: rid.clone(),
                        text: text.clone(),
                        detail: None,
                        date: onset.clone(),
                        flag: None,
                    });
                }
                if is_active(r, &["active", "recurrence", "relapse"]) {
                    chart.problems.push(ProblemView {
                        id: rid,
                        text,
                        code: concept_code(code),
                        clinical_status: r.get("clinicalStatus").and_then(concept_code),
                        onset,
                        source: index.source_of(r),
                    });
                }
            }
            // A procedure not done, or a medication cancelled or never
            // taken, did not happen in the encounter.
            Some("Procedure") if str_field(r, "status") != Some("not-done") => {
                if let (Some(encounter), Some(text)) =
                    (encounter_of(r), r.get("code").and_then(concept_text))
                {
                    happened.entry(encounter).or_default().push(EncounterItem {
                        kind: EncounterItemKind::Procedure,
                        id: rid,
                        text,
                        detail: None,
                        date: date_choice(r, "performed"),
                        flag: None,
                    });
                }
            }
            Some("DocumentReference") if str_field(r, "status") != Some("superseded") => {
                let document = documents::document_view(rid, r, &index);
                if let Some(encounter) = &document.encounter {
                    happened
                        .entry(encounter.clone())
                        .or_default()
                        .push(EncounterItem {
                            kind: EncounterItemKind::Document,
                            id: document.id.clone(),
                            text: document.title.clone(),
                            detail: document.kind.clone(),
                            date: document.date.clone(),
                            flag: None,
                        });
                }
                chart.documents.push(document);
            }
            Some(ty @ ("MedicationRequest" | "MedicationStatement")) => {
                let current: &[&str] = if ty == "MedicationRequest" {
                    &["active", "on-hold"]
                } else {
                    &["active", "intended"]
                };
                let dosage_key = if ty == "MedicationRequest" {
                    "dosageInstruction"
                } else {
                    "dosage"
                };
                let text = index.medication_text(r).unwrap_or_default();
                let dosage = array(r, dosage_key).find_map(|d| owned(d, "text"));
                let dose = dose_identity(r, dosage_key);
                let authored = owned(r, "authoredOn")
                    .or_else(|| date_choice(r, "effective"))
                    .or_else(|| owned(r, "dateAsserted"));
                let happened_here = !matches!(
                    str_field(r, "status"),
                    Some("cancelled" | "draft" | "not-taken")
                );
                if let Some(encounter) = encounter_of(r).filter(|_| happened_here) {
                    happened.entry(encounter).or_default().push(EncounterItem {
                        kind: EncounterItemKind::Medication,
                        id: rid.clone(),
                        text: text.clone(),
                        detail: dosage.clone(),
                        date: authored.clone(),
                        flag: None,
                    });
                }
                if str_field(r, "status").is_some_and(|s| current.contains(&s)) {
                    medications.add(medications::Record {
                        id: rid,
                        identity: index.medication_identity(r),
                        text,
                        status: owned(r, "status"),
                        authored,
                        dosage,
                        dose,
                        hospital: index.source_of(r),
                        record: ty.to_owned(),
                    });
                }
            }
            Some("AllergyIntolerance") if is_active(r, &["active"]) => {
                chart.allergies.push(AllergyView {
                    id: rid,
                    substance: r.get("code").and_then(concept_text).unwrap_or_default(),
                    criticality: owned(r, "criticality"),
                    reactions: array(r, "reaction")
                        .flat_map(|re| array(re, "manifestation"))
                        .filter_map(concept_text)
                        .collect(),
                    source: index.source_of(r),
                });
            }
            Some("Observation") if is_lab_or_vital(r) => {
                let kind = if array(r, "category").any(|c| concept_has_code(c, "vital-signs")) {
                    ResultKind::Vital
                } else {
                    ResultKind::Lab
                };
                let source = index.source_of(r);
                let Some((series, flag)) = results.add(r, kind, source.clone()) else {
                    skipped += 1;
                    continue;
                };
                let Some(lab) = lab_view(rid, r, source, kind, series, flag) else {
                    skipped += 1;
                    continue;
                };
                if let Some(encounter) = encounter_of(r) {
                    happened.entry(encounter).or_default().push(EncounterItem {
                        kind: EncounterItemKind::Result,
                        id: lab.id.clone(),
                        text: lab.name.clone(),
                        detail: Some(match &lab.unit {
                            Some(unit) => format!("{} {unit}", lab.value),
                            None => lab.value.clone(),
                        }),
                        date: lab.effective.clone(),
                        flag,
                    });
                }
                let key = lab.code.clone().unwrap_or_else(|| lab.name.clone());
                let newer = latest_labs
                    .get(&key)
                    .is_none_or(|seen| lab.effective > seen.effective);
                if newer {
                    latest_labs.insert(key, lab);
                }
            }
            Some("Encounter") => chart.encounters.push(EncounterView {
                id: rid,
                class: r
                    .get("class")
                    .and_then(|c| owned(c, "display").or_else(|| owned(c, "code"))),
                class_code: r.get("class").and_then(|c| owned(c, "code")),
                items: array(r, "diagnosis")
                    .filter_map(|d| d.get("condition"))
                    .filter_map(|c| index.get(c))
                    .filter(|c| !is_entered_in_error(c))
                    .filter_map(|c| {
                        Some(EncounterItem {
                            kind: EncounterItemKind::Diagnosis,
                            id: id(c)?.to_owned(),
                            text: c.get("code").and_then(concept_text)?,
                            detail: None,
                            date: date_choice(c, "onset").or_else(|| owned(c, "recordedDate")),
                            flag: None,
                        })
                    })
                    .collect(),
                kind: array(r, "type").find_map(concept_text),
                start: r.get("period").and_then(|p| owned(p, "start")),
                end: r.get("period").and_then(|p| owned(p, "end")),
                hospital: index.encounter_hospital(r),
                reason: array(r, "reasonCode").find_map(concept_text),
            }),
            _ => {}
        }
    }
    if skipped > 0 || foreign > 0 {
        tracing::warn!(
            skipped,
            foreign,
            "left out resources that could not be read or name another patient"
        );
    }

    chart.medications = medications.finish();
    chart.results = results.finish();
    for encounter in &mut chart.encounters {
        let mut items = happened.remove(&encounter.id).unwrap_or_default();
        // A diagnosis both listed by the encounter and naming it shows once.
        items.retain(|i| {
            !encounter
                .items
                .iter()
                .any(|e| e.kind == i.kind && e.id == i.id)
        });
        encounter.items.append(&mut items);
        encounter.items.sort_by(|a, b| {
            (a.kind as u8, &a.date, &a.text).cmp(&(b.kind as u8, &b.date, &b.text))
        });
    }
    chart
        .documents
        .sort_by(|a, b| b.date.cmp(&a.date).then_with(|| a.title.cmp(&b.title)));
    chart.labs = latest_labs.into_values().collect();
    chart.labs.sort_by(|a, b| {
        b.effective
            .cmp(&a.effective)
            .then_with(|| a.name.cmp(&b.name))
    });
    chart.problems.sort_by(|a, b| b.onset.cmp(&a.onset));
    chart.encounters.sort_by(|a, b| b.start.cmp(&a.start));
    Ok(chart)
}

/// Lookups across the whole history: organisations by id and the hospital
/// each encounter took place at, so every row can say where it came from.
struct Index<'a> {
    by_key: HashMap<(&'a str, &'a str), &'a Value>,
}

impl<'a> Index<'a> {
    fn new(resources: &'a [Value]) -> Self {
        let by_key = resources
            .iter()
            .filter_map(|r| Some(((resource_type(r)?, id(r)?), r)))
            .collect();
        Index { by_key }
    }

    fn get(&self, reference: &Value) -> Option<&'a Value> {
        self.by_key.get(&reference_target(reference)?).copied()
    }

    fn organization_name(&self, reference: &Value) -> Option<String> {
        match self.get(reference) {
            Some(org) if resource_type(org) == Some("Organization") => owned(org, "name"),
            _ => owned(reference, "display"),
        }
    }

    fn encounter_hospital(&self, encounter: &Value) -> Option<String> {
        encounter
            .get("serviceProvider")
            .and_then(|r| self.organization_name(r))
    }

    /// The hospital a clinical resource came from: that of its encounter,
    /// else an organisation named as its author.
    fn source_of(&self, r: &Value) -> Option<String> {
        if let Some(enc) = r
            .get("encounter")
            .or_else(|| r.get("context"))
            .and_then(|e| self.get(e))
        {
            if let Some(hospital) = self.encounter_hospital(enc) {
                return Some(hospital);
            }
        }
        [
            "recorder",
            "asserter",
            "requester",
            "informationSource",
            "performer",
        ]
        .iter()
        .flat_map(|key| match r.get(*key) {
            Some(Value::Array(list)) => list.iter().collect::<Vec<_>>(),
            Some(single) => vec![single],
            None => Vec::new(),
        })
        .find(|reference| reference_target(reference).is_some_and(|(ty, _)| ty == "Organization"))
        .and_then(|reference| self.organization_name(reference))
    }

    /// What makes two records the same medicine: the first coding's
    /// system and code, else the name in lower case.
    fn medication_identity(&self, r: &Value) -> String {
        let concept = r.get("medicationCodeableConcept").or_else(|| {
            r.get("medicationReference")
                .and_then(|m| self.get(m))
                .and_then(|m| m.get("code"))
        });
        concept
            .and_then(|c| array(c, "coding").next())
            .and_then(|c| {
                Some(format!(
                    "{}|{}",
                    str_field(c, "system")?,
                    str_field(c, "code")?
                ))
            })
            .or_else(|| self.medication_text(r).map(|t| t.trim().to_lowercase()))
            .unwrap_or_default()
    }

    fn medication_text(&self, r: &Value) -> Option<String> {
        if let Some(cc) = r.get("medicationCodeableConcept") {
            return concept_text(cc);
        }
        let reference = r.get("medicationReference")?;
        match self.get(reference) {
            Some(med) => med.get("code").and_then(concept_text),
            None => owned(reference, "display"),
        }
    }
}

/// Everything a medication record says about its dose, as one string to
/// compare: each dosage's text, dose or dose range, rate, timing and route,
/// and whether as needed. `None` when it says nothing.
fn dose_identity(r: &Value, dosage_key: &str) -> Option<String> {
    fn quantity(q: Option<&Value>) -> Option<String> {
        let q = q?;
        Some(format!(
            "{} {}",
            q.get("value")?,
            owned(q, "code")
                .or_else(|| owned(q, "unit"))
                .unwrap_or_default()
        ))
    }
    let mut parts = Vec::new();
    for d in array(r, dosage_key) {
        parts.extend(owned(d, "text"));
        for dr in array(d, "doseAndRate") {
            parts.extend(quantity(dr.get("doseQuantity")));
            if let Some(range) = dr.get("doseRange") {
                parts.push(format!(
                    "{:?}-{:?}",
                    quantity(range.get("low")),
                    quantity(range.get("high"))
                ));
            }
            parts.extend(quantity(dr.get("rateQuantity")));
        }
        if let Some(timing) = d.get("timing") {
            if let Some(repeat) = timing.get("repeat") {
                parts.push(format!(
                    "{}/{}{}",
                    repeat
                        .get("frequency")
                        .map(Value::to_string)
                        .unwrap_or_default(),
                    repeat
                        .get("period")
                        .map(Value::to_string)
                        .unwrap_or_default(),
                    str_field(repeat, "periodUnit").unwrap_or("")
                ));
            }
            parts.extend(timing.get("code").and_then(concept_code));
        }
        parts.extend(
            d.get("route")
                .and_then(|c| concept_code(c).or_else(|| concept_text(c))),
        );
        if d.get("asNeededBoolean") == Some(&Value::Bool(true))
            || d.get("asNeededCodeableConcept").is_some()
        {
            parts.push("prn".into());
        }
    }
    (!parts.is_empty()).then(|| parts.join("; "))
}

/// The id of the encounter a record names (`encounter`, or the `context`
/// of older and statement resources, or a DocumentReference's list).
fn encounter_of(r: &Value) -> Option<String> {
    let reference = r.get("encounter").or_else(|| r.get("context"))?;
    let reference = match reference.get("encounter") {
        Some(Value::Array(list)) => list.first()?,
        _ => reference,
    };
    match reference_target(reference)? {
        ("Encounter", id) => Some(id.to_owned()),
        _ => None,
    }
}

/// Whether a resource is about `patient_id` or about no patient at all
/// (organisations, medications): never about another patient.
pub(crate) fn belongs_to(r: &Value, patient_id: &str) -> bool {
    if resource_type(r) == Some("Patient") {
        return id(r) == Some(patient_id);
    }
    ["subject", "patient"]
        .iter()
        .filter_map(|key| r.get(*key))
        .all(|reference| match reference_target(reference) {
            Some(("Patient", target)) => target == patient_id,
            Some(_) => true,
            // A subject we cannot resolve cannot be shown as this patient's.
            None => false,
        })
}

fn is_entered_in_error(r: &Value) -> bool {
    str_field(r, "status") == Some("entered-in-error")
        || r.get("verificationStatus").is_some_and(|v| {
            concept_has_code(v, "entered-in-error") || concept_has_code(v, "refuted")
        })
}

/// A Condition or AllergyIntolerance counts as current when its clinical
/// status is one of `active`, or when it has none (many feeds omit it).
fn is_active(r: &Value, active: &[&str]) -> bool {
    match r.get("clinicalStatus") {
        None => true,
        Some(status) => active.iter().any(|code| concept_has_code(status, code)),
    }
}

fn is_lab_or_vital(r: &Value) -> bool {
    !matches!(str_field(r, "status"), Some("cancelled"))
        && array(r, "category")
            .any(|c| concept_has_code(c, "laboratory") || concept_has_code(c, "vital-signs"))
}

fn lab_view(
    id: String,
    r: &Value,
    source: Option<String>,
    kind: ResultKind,
    series: String,
    flag: Option<ResultFlag>,
) -> Option<LabView> {
    let code = r.get("code")?;
    let name = concept_text(code)?;
    let (value, unit) = observation_value(r).or_else(|| {
        // Panels such as blood pressure carry their values in components.
        let parts: Vec<(String, Option<String>)> = array(r, "component")
            .filter_map(observation_value)
            .collect();
        let unit = parts.first().and_then(|(_, u)| u.clone());
        (!parts.is_empty()).then(|| {
            (
                parts
                    .into_iter()
                    .map(|(v, _)| v)
                    .collect::<Vec<_>>()
                    .join("/"),
                unit,
            )
        })
    })?;
    Some(LabView {
        id,
        code: array(code, "coding")
            .find(|c| str_field(c, "system") == Some("http://loinc.org"))
            .and_then(|c| owned(c, "code"))
            .or_else(|| concept_code(code)),
        name,
        value,
        unit,
        effective: date_choice(r, "effective").or_else(|| owned(r, "issued")),
        interpretation: array(r, "interpretation")
            .find_map(|i| concept_code(i).or_else(|| concept_text(i))),
        source,
        kind,
        series,
        flag,
    })
}

fn observation_value(v: &Value) -> Option<(String, Option<String>)> {
    if let Some(q) = v.get("valueQuantity") {
        let value = results::as_recorded(q.get("value").filter(|n| n.is_number())?);
        // "<0.01" is a bound, and says so.
        let comparator = str_field(q, "comparator").unwrap_or("");
        return Some((
            format!("{comparator}{value}"),
            owned(q, "unit").or_else(|| owned(q, "code")),
        ));
    }
    if let Some(cc) = v.get("valueCodeableConcept") {
        return Some((concept_text(cc)?, None));
    }
    if let Some(s) = owned(v, "valueString") {
        return Some((s, None));
    }
    match (v.get("valueInteger"), v.get("valueBoolean")) {
        (Some(n), _) if n.is_number() => Some((n.to_string(), None)),
        (_, Some(Value::Bool(b))) => Some((b.to_string(), None)),
        _ => None,
    }
}

pub(crate) fn identifiers(patient: &Value) -> Vec<IdentifierView> {
    array(patient, "identifier")
        .filter_map(|i| {
            Some(IdentifierView {
                kind: identifier_kind(i),
                system: owned(i, "system"),
                value: owned(i, "value")?,
            })
        })
        .collect()
}

fn identifier_kind(identifier: &Value) -> IdentifierKind {
    let system = str_field(identifier, "system")
        .unwrap_or("")
        .to_ascii_lowercase();
    let ty = identifier.get("type");
    let has = |code: &str| ty.is_some_and(|t| concept_has_code(t, code));
    if has("NI") || has("NNCHN") || has("SS") || has("CZ") || system.contains("resident-id") {
        IdentifierKind::ResidentId
    } else if has("MR") || system.contains("/mrn") {
        IdentifierKind::Mrn
    } else if has("SB") || has("MC") || has("MA") || system.contains("insurance") {
        IdentifierKind::Insurance
    } else if has("PPN") || system.contains("passport") {
        IdentifierKind::Passport
    } else {
        IdentifierKind::Other
    }
}

fn phone(patient: &Value) -> Option<String> {
    let phones: Vec<&Value> = array(patient, "telecom")
        .filter(|t| str_field(t, "system") == Some("phone"))
        .collect();
    phones
        .iter()
        .find(|t| str_field(t, "use") == Some("mobile"))
        .or_else(|| phones.first())
        .and_then(|t| owned(t, "value"))
}

fn address(patient: &Value) -> Option<String> {
    let addr = array(patient, "address").next()?;
    if let Some(text) = owned(addr, "text") {
        return Some(text);
    }
    let parts: Vec<String> = array(addr, "line")
        .filter_map(|l| l.as_str().map(str::to_owned))
        .chain(
            ["district", "city", "state", "postalCode", "country"]
                .iter()
                .filter_map(|k| owned(addr, k)),
        )
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_this_patients_resources_belong_to_the_chart() {
        let cases = [
            (
                json!({ "resourceType": "Condition", "subject": { "reference": "Patient/p1" } }),
                true,
            ),
            (
                json!({ "resourceType": "AllergyIntolerance", "patient": { "reference": "Patient/p1" } }),
                true,
            ),
            (
                json!({ "resourceType": "Condition", "subject": { "reference": "Patient/p2" } }),
                false,
            ),
            (
                json!({ "resourceType": "Condition", "subject": { "display": "someone" } }),
                false,
            ),
            (
                json!({ "resourceType": "Observation", "subject": { "reference": "Group/g1" } }),
                true,
            ),
            (json!({ "resourceType": "Organization", "id": "o1" }), true),
            (json!({ "resourceType": "Patient", "id": "p1" }), true),
            (json!({ "resourceType": "Patient", "id": "p2" }), false),
        ];
        for (resource, belongs) in cases {
            assert_eq!(belongs_to(&resource, "p1"), belongs, "{resource}");
        }
    }

    #[test]
    fn another_patients_problem_never_reaches_the_chart() {
        let resources = [
            json!({ "resourceType": "Patient", "id": "p1", "name": [{ "family": "张", "given": ["伟"] }] }),
            json!({ "resourceType": "Condition", "id": "mine", "subject": { "reference": "Patient/p1" }, "code": { "text": "Hypertension" } }),
            json!({ "resourceType": "Condition", "id": "theirs", "subject": { "reference": "Patient/p2" }, "code": { "text": "Asthma" } }),
        ];
        let freshness = Freshness {
            as_of: "2026-11-28T08:00:00Z".into(),
            from_cache: false,
        };
        let access = AccessView {
            tier: "treating".into(),
            grounds: crate::view::AccessGrounds::Role,
            masked: false,
            can_break_glass: false,
            break_glass_until: None,
        };
        let chart = build_chart("p1", &resources, freshness, access).unwrap();
        assert_eq!(
            chart
                .problems
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>(),
            ["mine"]
        );
    }
}

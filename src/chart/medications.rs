//! Current medications across hospitals: the records of one medicine with
//! the same dose and start date are one row listing every source; records
//! that differ in dose or date are never merged, but kept next to each
//! other and counted, so the doctor sees the discrepancy.

use std::collections::BTreeMap;

use crate::view::{MedicationSource, MedicationView};

/// One hospital's record of a current medication.
pub(super) struct Record {
    pub(super) id: String,
    /// What makes two records the same medicine (a coding, else the name).
    pub(super) identity: String,
    pub(super) text: String,
    pub(super) status: Option<String>,
    pub(super) authored: Option<String>,
    pub(super) dosage: Option<String>,
    /// The dose as compared: text and structured dose, timing, route
    /// (`None`: unknown, so never the same as another's).
    pub(super) dose: Option<String>,
    pub(super) hospital: Option<String>,
    pub(super) record: String,
}

#[derive(Default)]
pub(super) struct Medications {
    /// By medicine, then by (dose, status, start day): the records of each row.
    rows: BTreeMap<String, BTreeMap<RowKey, Vec<Record>>>,
}

/// Dose, status and start day (see [`row_key`]).
type RowKey = (String, String, String);

/// The row a record belongs to: the same dose, status and start day.
/// A record whose dose or day is unknown is a row of its own: unknown is
/// never "the same".
fn row_key(record: &Record) -> RowKey {
    let day: Option<String> = record
        .authored
        .as_deref()
        .map(|a| a.chars().take(10).collect());
    match (&record.dose, day) {
        (Some(dose), Some(day)) => (
            dose.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase(),
            record.status.clone().unwrap_or_default(),
            day,
        ),
        _ => (format!("\u{0}{}", record.id), String::new(), String::new()),
    }
}

impl Medications {
    pub(super) fn add(&mut self, record: Record) {
        let row = row_key(&record);
        self.rows
            .entry(record.identity.clone())
            .or_default()
            .entry(row)
            .or_default()
            .push(record);
    }

    /// The rows, newest first; rows of one medicine stay together (the
    /// newest of them decides where).
    pub(super) fn finish(self) -> Vec<MedicationView> {
        let mut groups: Vec<Vec<MedicationView>> = self
            .rows
            .into_values()
            .map(|rows| {
                let also_listed = u32::try_from(rows.len().saturating_sub(1)).unwrap_or(u32::MAX);
                let mut views: Vec<MedicationView> = rows
                    .into_values()
                    .map(|mut records| {
                        records.sort_by(|a, b| {
                            a.authored.cmp(&b.authored).then_with(|| a.id.cmp(&b.id))
                        });
                        let first = &records[0];
                        MedicationView {
                            id: first.id.clone(),
                            text: first.text.clone(),
                            status: first.status.clone(),
                            authored: first.authored.clone(),
                            dosage: first.dosage.clone(),
                            also_listed,
                            sources: records
                                .into_iter()
                                .map(|r| MedicationSource {
                                    id: r.id,
                                    hospital: r.hospital,
                                    authored: r.authored,
                                    record: r.record,
                                })
                                .collect(),
                        }
                    })
                    .collect();
                views.sort_by(|a, b| b.authored.cmp(&a.authored));
                views
            })
            .collect();
        groups.sort_by(|a, b| {
            b[0].authored
                .cmp(&a[0].authored)
                .then_with(|| a[0].text.cmp(&b[0].text))
        });
        groups.into_iter().flatten().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str, dose: &str, authored: &str, hospital: &str) -> Record {
        Record {
            id: id.into(),
            identity: "atc|C09AA02".into(),
            text: "依那普利".into(),
            status: Some("active".into()),
            authored: Some(authored.into()),
            dosage: Some(dose.into()),
            dose: Some(dose.into()),
            hospital: Some(hospital.into()),
            record: "MedicationRequest".into(),
        }
    }

    #[test]
    fn the_same_medicine_dose_and_day_from_two_hospitals_is_one_row_with_both_sources() {
        let mut meds = Medications::default();
        meds.add(record(
            "a",
            "10 mg  daily",
            "2026-03-01T09:00:00+08:00",
            "协和",
        ));
        meds.add(record(
            "b",
            "10 MG daily",
            "2026-03-01T15:00:00+08:00",
            "朝阳",
        ));
        let rows = meds.finish();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].also_listed, 0);
        let hospitals: Vec<_> = rows[0]
            .sources
            .iter()
            .map(|s| s.hospital.as_deref().unwrap())
            .collect();
        assert_eq!(hospitals, ["协和", "朝阳"]);
    }

    #[test]
    fn a_different_dose_or_date_is_never_merged_but_counted_and_kept_together() {
        let mut meds = Medications::default();
        meds.add(record("a", "10 mg daily", "2026-03-01", "协和"));
        meds.add(record("b", "20 mg daily", "2026-03-01", "朝阳"));
        meds.add(record("c", "10 mg daily", "2026-05-01", "朝阳"));
        let mut other = record("d", "1 tablet", "2026-04-01", "协和");
        other.identity = "atc|A10BA02".into();
        other.text = "二甲双胍".into();
        meds.add(other);
        let rows = meds.finish();
        let ids: Vec<_> = rows
            .iter()
            .map(|r| (r.id.as_str(), r.also_listed))
            .collect();
        assert_eq!(ids, [("c", 2), ("a", 2), ("b", 2), ("d", 0)]);
    }

    #[test]
    fn an_unknown_dose_or_date_or_another_status_is_never_the_same() {
        let mut meds = Medications::default();
        let mut no_dose = record("a", "", "2026-03-01", "协和");
        no_dose.dose = None;
        let mut no_dose_either = record("b", "", "2026-03-01", "朝阳");
        no_dose_either.dose = None;
        let mut no_date = record("c", "10 mg", "", "协和");
        no_date.authored = None;
        let mut on_hold = record("d", "10 mg", "2026-03-01", "协和");
        on_hold.status = Some("on-hold".into());
        for r in [
            no_dose,
            no_dose_either,
            no_date,
            on_hold,
            record("e", "10 mg", "2026-03-01", "朝阳"),
        ] {
            meds.add(r);
        }
        let rows = meds.finish();
        assert_eq!(rows.len(), 5, "{rows:?}");
        assert!(rows
            .iter()
            .all(|r| r.sources.len() == 1 && r.also_listed == 4));
    }
}

//! Owns where the served data comes from: the seeded synthetic generator
//! ([`synthetic`]) and third-party FHIR fixtures ([`fixtures`]). Both produce
//! plain resources; the [`crate::store`] indexes them.

pub mod fixtures;
pub mod synthetic;

/// Where a patient's data came from, reported by `/_sim/patients`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The seeded generator.
    Synthetic,
    /// A Synthea transaction bundle.
    Synthea,
    /// An official HL7 FHIR example.
    Hl7,
}

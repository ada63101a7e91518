//! **API Boundary.** The plain, serialisable types the core hands to the UI.
//! Everything that reaches the webview is one of these; their TypeScript
//! twins in `ui/src/bindings/` are generated from them (see
//! `tests/bindings.rs`), so the two cannot drift.
//!
//! Values here are display-ready. Masking (later) is applied before these
//! are built, never by the UI.

use serde::Serialize;
use ts_rs::TS;

pub use crate::config::LoginFlow;
pub use crate::error::{ErrorCode, ErrorPayload};

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AppInfo {
    pub version: String,
    pub login_flows: Vec<LoginFlow>,
    pub platform_url: String,
    pub idp_issuer: String,
    /// The UI language to start in (`zh-CN` or `en`): configured by IT, else
    /// the system's. The doctor can still switch.
    pub locale: String,
    /// The reasons a doctor may give to break the glass (from the policy;
    /// empty while the policy is invalid).
    pub break_glass_reasons: Vec<BreakGlassReasonView>,
    /// How long breaking the glass lasts, in whole minutes (rounded up).
    pub break_glass_minutes: u32,
    /// Minutes without input before the UI locks the screen.
    pub idle_lock_minutes: u32,
}

/// One reason to break the glass, in both UI languages.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct BreakGlassReasonView {
    pub code: String,
    pub en: String,
    pub zh: String,
}

/// The logged-in doctor, from the verified ID token.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SessionInfo {
    pub subject: String,
    pub display_name: String,
    pub staff_no: Option<String>,
    pub department: Option<String>,
    pub roles: Vec<String>,
    /// Why this doctor's local cache is not in use, if it is not; charts
    /// still come from the platform.
    pub cache_problem: Option<ErrorPayload>,
    /// The screens beyond search and chart that this person's roles open.
    pub desk: Desk,
    /// The screen is locked: the core refuses every patient request until
    /// the same doctor unlocks it.
    pub locked: bool,
    /// Whether the lock screen can ask for the password (the session began
    /// with one); else it unlocks through the browser.
    pub unlock_with_password: bool,
}

/// What the policy's `[desk]` roles open for the logged-in person; the
/// core checks again on every request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Desk {
    /// The referrals to their department (department heads).
    pub referral_inbox: bool,
    /// "Who viewed this patient", for patients of their department.
    pub access_log: bool,
    /// The audit trail's metadata: counts, forwarding, verification (IT).
    pub audit_status: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum IdentifierKind {
    /// National person identifier: 身份证 resident ID, or another country's.
    ResidentId,
    Mrn,
    Insurance,
    Passport,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct IdentifierView {
    pub kind: IdentifierKind,
    pub system: Option<String>,
    pub value: String,
}

/// One row of a patient search result.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PatientSummary {
    pub id: String,
    pub name: String,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub identifiers: Vec<IdentifierView>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct PatientHeader {
    pub id: String,
    pub name: String,
    pub gender: Option<String>,
    pub birth_date: Option<String>,
    pub identifiers: Vec<IdentifierView>,
    pub phone: Option<String>,
    pub address: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ProblemView {
    pub id: String,
    pub text: String,
    pub code: Option<String>,
    pub clinical_status: Option<String>,
    pub onset: Option<String>,
    /// The hospital that recorded it, where the data says so.
    pub source: Option<String>,
}

/// A current medication: one row per medicine, dose and start date, standing
/// for every hospital's record of exactly that. Records of the same
/// medicine that differ in dose or date are never merged: they are rows of
/// their own, next to each other, each counting the others in `also_listed`.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MedicationView {
    /// The first record's id.
    pub id: String,
    pub text: String,
    pub status: Option<String>,
    /// When it was prescribed or started (the earliest of `sources`).
    pub authored: Option<String>,
    pub dosage: Option<String>,
    /// Every record this row stands for, one per hospital and record.
    pub sources: Vec<MedicationSource>,
    /// Other rows of the same medicine with a different dose or date.
    pub also_listed: u32,
}

/// One hospital's record of a medication.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct MedicationSource {
    pub id: String,
    pub hospital: Option<String>,
    pub authored: Option<String>,
    /// `MedicationRequest` (prescribed) or `MedicationStatement` (reported).
    pub record: String,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AllergyView {
    pub id: String,
    pub substance: String,
    pub criticality: Option<String>,
    pub reactions: Vec<String>,
    pub source: Option<String>,
}

/// The latest result of one lab or vital-sign code.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct LabView {
    pub id: String,
    pub code: Option<String>,
    pub name: String,
    pub value: String,
    pub unit: Option<String>,
    pub effective: Option<String>,
    pub interpretation: Option<String>,
    pub source: Option<String>,
    pub kind: ResultKind,
    /// The series (in `Chart::results`) this result belongs to (a panel's
    /// first component's).
    pub series: String,
    /// The most alarming flag of its values (a panel's components included).
    pub flag: Option<ResultFlag>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ResultKind {
    Lab,
    Vital,
}

/// Where a result stands against its reference range, from the lab's own
/// interpretation, else from the range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ResultFlag {
    Normal,
    High,
    Low,
    CriticalHigh,
    CriticalLow,
    /// Abnormal without a direction (a positive screen).
    Abnormal,
}

/// A reference range in its series' unit; either end may be open.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceRange {
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// The range as the lab wrote it, when it is not numeric.
    pub text: Option<String>,
}

/// Every result of one analyte (HbA1c, eGFR, systolic pressure…) across
/// hospitals, oldest first, in one unit: values recorded in another unit
/// are converted where the analyte's code allows, and otherwise make a
/// series of their own.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResultSeries {
    /// Stable within the chart: the code (LOINC where there is one) and unit.
    pub key: String,
    pub code: Option<String>,
    pub name: String,
    pub kind: ResultKind,
    pub unit: Option<String>,
    /// The range of the latest point that has one.
    pub range: Option<ReferenceRange>,
    /// Series drawn together share this (blood pressure's two components
    /// share the panel's code).
    pub panel: Option<String>,
    pub points: Vec<ResultPoint>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ResultPoint {
    /// The Observation's id.
    pub id: String,
    pub effective: Option<String>,
    /// In the series' unit; `None` for results that are not numbers.
    pub value: Option<f64>,
    /// The result as displayed: the number in the series' unit, or the text.
    pub text: String,
    /// The value and unit as the hospital recorded them, when converted.
    pub recorded: Option<String>,
    pub flag: Option<ResultFlag>,
    pub range: Option<ReferenceRange>,
    pub source: Option<String>,
    pub encounter: Option<String>,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EncounterView {
    pub id: String,
    pub class: Option<String>,
    /// The encounter class's v3 ActCode (`AMB`, `IMP`, `EMER`…), for filters.
    pub class_code: Option<String>,
    pub kind: Option<String>,
    pub start: Option<String>,
    pub end: Option<String>,
    pub hospital: Option<String>,
    pub reason: Option<String>,
    /// What happened in it: diagnoses, procedures, results, medications and
    /// documents that name this encounter.
    pub items: Vec<EncounterItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum EncounterItemKind {
    Diagnosis,
    Procedure,
    Result,
    Medication,
    Document,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct EncounterItem {
    pub kind: EncounterItemKind,
    /// The record's id (a document's id opens it in the documents view).
    pub id: String,
    pub text: String,
    /// A result's value and unit, a medication's dose.
    pub detail: Option<String>,
    pub date: Option<String>,
    pub flag: Option<ResultFlag>,
}

/// A clinical document shared by a hospital (discharge summary, outpatient
/// record, referral letter, CDA shared document) as readable, sanitised,
/// masked text: never HTML.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct DocumentView {
    pub id: String,
    pub title: String,
    /// The document's type (discharge summary…), as the hospital named it.
    pub kind: Option<String>,
    pub date: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    pub encounter: Option<String>,
    pub format: DocumentFormat,
    pub blocks: Vec<DocBlock>,
    /// Some content could not be shown: not text (a PDF, an image), only a
    /// link, or withheld from this tier.
    pub withheld: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum DocumentFormat {
    /// The record's own narrative only.
    Narrative,
    Text,
    Html,
    /// A CDA R2 document (WS/T 500 shared documents).
    Cda,
}

/// One block of a document's text, in reading order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum DocBlock {
    Heading { text: String },
    Paragraph { text: String },
    Item { text: String },
    Row { cells: Vec<String> },
}

/// A patient's shared history as the viewer shows it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Chart {
    pub patient: PatientHeader,
    pub problems: Vec<ProblemView>,
    pub medications: Vec<MedicationView>,
    pub allergies: Vec<AllergyView>,
    /// The latest result of each analyte, newest first.
    pub labs: Vec<LabView>,
    /// Every result, one series per analyte and unit.
    pub results: Vec<ResultSeries>,
    /// Newest first.
    pub encounters: Vec<EncounterView>,
    /// Newest first.
    pub documents: Vec<DocumentView>,
    /// How many resources the platform returned for this patient.
    pub resource_count: u32,
    /// Records left out because their security labels seal them (R, V,
    /// sensitive); the UI says so, so the chart never looks complete when it
    /// is not.
    pub sealed: u32,
    /// When and where this chart's data was current.
    pub freshness: Freshness,
    /// Whether the chart is kept in this workstation's cache beyond the
    /// retention period; `None` when it cannot be kept: there is no cache,
    /// or the doctor sees this patient masked (then nothing of them is
    /// cached at all).
    pub pinned: Option<bool>,
    /// What the doctor may see of this patient, and why.
    pub access: AccessView,
}

/// Why a doctor has their tier for a patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum AccessGrounds {
    /// Their role alone.
    Role,
    /// A referral of the patient to their department.
    Referral,
    /// A care team naming them.
    CareTeam,
}

/// The doctor's tier for the patient on screen, resolved by the core for
/// this request. The UI shows it; it never decides anything from it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccessView {
    /// The tier's name in the policy (`treating`, `clinician`…).
    pub tier: String,
    pub grounds: AccessGrounds,
    /// Identifiers and free text are masked for this tier.
    pub masked: bool,
    /// Sealed records could be opened by breaking the glass.
    pub can_break_glass: bool,
    /// The glass is broken for this patient until then (RFC 3339, UTC):
    /// nothing is sealed until that moment.
    pub break_glass_until: Option<String>,
}

/// How current a chart is: the time its data was fetched from the platform,
/// and whether it was read from this workstation's cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct Freshness {
    /// RFC 3339, UTC, seconds.
    pub as_of: String,
    pub from_cache: bool,
}

/// How far the chart being fetched from the platform has got, for a
/// progress bar on a large chart's first open. No patient data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct FetchProgressView {
    /// Records received so far.
    pub received: u32,
    /// Records in all, when the platform says.
    pub total: Option<u32>,
}

/// Patient search results.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct SearchResults {
    pub patients: Vec<PatientSummary>,
    /// The platform could not be reached: these patients come from this
    /// workstation's cache and may be incomplete.
    pub offline: bool,
    /// More patients match than are shown (`total` when the platform says
    /// how many): the doctor should narrow by birth date.
    pub too_many: bool,
    pub total: Option<u32>,
}

/// The on-screen watermark, computed by the core; the UI only draws it:
/// `lines` tiled over the whole window, rotated by `angleDeg`
/// (counter-clockwise), in `color` at `opacity`, never catching clicks.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct WatermarkView {
    /// The lines of one tile, top to bottom.
    pub lines: Vec<String>,
    /// CSS pixels on screen; points in exports.
    pub font_size: u32,
    /// 0 (invisible) to 1 (opaque).
    pub opacity: f32,
    /// `#rrggbb`; the policy's break-the-glass colour while the glass is broken.
    pub color: String,
    pub angle_deg: f32,
    /// Space between tiles, in CSS pixels.
    pub spacing: u32,
    /// The glass is broken (for any patient) in this session.
    pub break_glass: bool,
    /// Ask again after this many seconds: the time in `lines` is to the
    /// minute.
    pub refresh_in_secs: u32,
}

/// How the UI found its watermark tampered with (it restored it at once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum WatermarkTamper {
    /// The element was removed from the page.
    Removed,
    /// It was hidden: display, visibility, opacity, size or position changed.
    Hidden,
}

/// What part of the chart an export or print holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ExportScope {
    /// Everything the chart view shows.
    Chart,
    /// Header, allergies, problems, medications and latest results.
    Summary,
    Allergies,
    Problems,
    Medications,
    Labs,
    Encounters,
    /// One series of results (`ExportRequest::series`): its table and its
    /// trend drawn.
    Trend,
}

/// An export (or print) of the chart of `patient_id`, with its labels in
/// `locale` (`zh-CN` or `en`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportRequest {
    pub patient_id: String,
    pub scope: ExportScope,
    pub locale: String,
    /// The series' key, for [`ExportScope::Trend`].
    #[serde(default)]
    #[ts(optional)]
    pub series: Option<String>,
}

/// A finished export or print job: its ID is in the audit trail and in the
/// footer of every page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ExportReceipt {
    pub export_id: String,
    pub pages: u32,
    #[ts(type = "number")]
    pub bytes: u64,
}

/// The referrals to the department of the logged-in department head,
/// newest first.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferralInbox {
    pub referrals: Vec<ReferralView>,
    /// The platform takes accept/decline decisions.
    pub can_decide: bool,
}

/// One referral (a FHIR `ServiceRequest` to the department).
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ReferralView {
    pub id: String,
    /// The patient, masked as the head's tier for that patient says.
    pub patient: PatientSummary,
    /// The request's status on the platform (`active`, `completed`…).
    pub status: String,
    pub decision: ReferralDecision,
    /// `routine`, `urgent`, `asap` or `stat`.
    pub priority: Option<String>,
    /// When it was written (as the platform has it).
    pub authored_on: Option<String>,
    /// Why the patient was referred (plain text, masked like the chart).
    pub reason: Option<String>,
    /// Who referred: the requesting doctor or hospital.
    pub requester: Option<String>,
    /// The note given with the decision.
    pub decision_note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum ReferralDecision {
    Pending,
    Accepted,
    Declined,
}

/// What happened, in the audit trail and in "who viewed".
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize, TS,
)]
#[serde(rename_all = "camelCase")]
pub enum AuditAction {
    Login,
    LoginFailed,
    Logout,
    Lock,
    Unlock,
    PatientSearch,
    PatientOpen,
    SectionView,
    BreakGlassStart,
    BreakGlassEnd,
    Export,
    Print,
    /// The outcome of an export or print announced before it.
    ExportDone,
    WatermarkTamper,
    CachePurge,
    ConfigChange,
    AccessDenied,
    ReferralDecision,
    /// Someone read a patient's access log.
    AccessLogView,
    /// An event from another system that ChartGuard does not classify.
    Other,
}

/// "Who viewed this patient": views, exports and break-the-glass events
/// from the platform's audit events and this workstation's trail, newest
/// first.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccessLog {
    pub entries: Vec<AccessEntry>,
    /// Why the platform's events are missing (only this workstation's are
    /// shown), if they are.
    pub platform_problem: Option<ErrorPayload>,
}

/// Where an access-log entry was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub enum EntrySource {
    Platform,
    /// This workstation's trail only (not forwarded yet).
    Local,
    Both,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AccessEntry {
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    pub action: AuditAction,
    /// The doctor's name as their login gave it.
    pub who: String,
    pub staff_no: Option<String>,
    pub department: Option<String>,
    pub workstation: Option<String>,
    /// Purpose of use: `TREAT`, or `ETREAT` for break-the-glass.
    pub purpose: Option<String>,
    /// The break-the-glass reason code (the policy's list names it).
    pub reason: Option<String>,
    /// The doctor's note when breaking the glass.
    pub note: Option<String>,
    /// The export ID, or the section viewed.
    pub detail: Option<String>,
    pub success: bool,
    /// To be reviewed: the glass was broken.
    pub break_glass: bool,
    pub source: EntrySource,
}

/// The audit trail's metadata for IT: no patient and no person in it.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct AuditStatus {
    #[ts(type = "number")]
    pub events: u64,
    /// RFC 3339, UTC.
    pub oldest: Option<String>,
    pub newest: Option<String>,
    pub by_action: Vec<ActionCount>,
    pub outbox: OutboxView,
    pub verify: VerifyReport,
    /// The trail is kept at least this long, whatever is purged.
    pub retention_days: u32,
}

#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct ActionCount {
    pub action: AuditAction,
    #[ts(type = "number")]
    pub count: u64,
}

/// The events waiting to reach the platform.
#[derive(Debug, Clone, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct OutboxView {
    /// Forwarding is switched on in the config.
    pub enabled: bool,
    #[ts(type = "number")]
    pub pending: u64,
    /// Of those, how many were tried and refused or failed.
    #[ts(type = "number")]
    pub failing: u64,
    /// RFC 3339, UTC: the oldest event still waiting.
    pub oldest_pending: Option<String>,
    /// The last time an event reached the platform.
    pub last_sent: Option<String>,
    /// What went wrong the last time (PHI-free), while events wait.
    pub last_error: Option<String>,
}

/// The outcome of checking the trail's chain and seals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "camelCase")]
pub struct VerifyReport {
    pub ok: bool,
    /// Records checked.
    #[ts(type = "number")]
    pub checked: u64,
    /// The sequence number of the first record that does not hold.
    #[ts(type = "number | null")]
    pub first_broken: Option<u64>,
    /// What is wrong there (edited, deleted, reordered, bad seal…).
    pub problem: Option<String>,
}

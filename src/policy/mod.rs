//! The privacy policy: which tier a doctor has for a patient, and what each
//! tier sees. IT deploys it as a TOML file beside the machine config; the
//! default (`default.toml`) implements the design's tier table.
//!
//! **Architecture Invariant:** an invalid policy fails closed. Loading never
//! falls back to the default or to a partial policy: the caller gets the
//! error (naming the key, and the line where TOML knows it) and shows no
//! patient data until the policy is fixed.
//!
//! The tier is resolved on every request from the current identity, the
//! patient's own records (referrals to the doctor's department, care teams
//! naming the doctor) and any active break-the-glass ([`Policy::resolve`]);
//! nothing here is cached between requests.

mod resolve;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::mask::ops::Precision;

pub(crate) use resolve::{Access, Grounds, Who};

const DEFAULT_POLICY: &str = include_str!("default.toml");

/// Sensitivity codes (HL7 v3 ActCode, InformationSensitivityPolicy) that
/// `"sensitive"` in a tier's `sealed` list stands for.
pub(crate) const SENSITIVE: &[&str] = &[
    "ETH", "ETHUD", "GDIS", "HIV", "MH", "PSY", "PSYTHPN", "SCA", "SDV", "SEX", "STD", "SUD",
    "TBOO", "BH", "OPIOIDUD", "ALCUD", "COCAUD", "DRGUD", "SICKLE",
];

/// A validated policy.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Policy {
    pub(crate) tiers: BTreeMap<String, Tier>,
    #[serde(default)]
    pub(crate) assign: Vec<Assignment>,
    #[serde(default)]
    pub(crate) relationships: Relationships,
    pub(crate) masking: Masking,
    #[serde(default)]
    pub(crate) records: Records,
    pub(crate) break_glass: BreakGlass,
    #[serde(default)]
    pub(crate) pseudonym: Pseudonym,
    #[serde(default)]
    pub(crate) watermark: crate::watermark::WatermarkPolicy,
    #[serde(default)]
    pub(crate) desk: DeskRoles,
}

/// Who gets the screens beyond search and chart, by a value of the
/// token's `roles` claim.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DeskRoles {
    /// The referral inbox of their department, and "who viewed" for a
    /// patient they have a relationship with (a referral to their
    /// department, a care team).
    pub(crate) department_review: Vec<String>,
    /// The audit trail's metadata (counts, forwarding, verification);
    /// never a patient or a person.
    pub(crate) audit_status: Vec<String>,
}

impl Default for DeskRoles {
    fn default() -> Self {
        DeskRoles {
            department_review: vec!["department_head".into()],
            audit_status: vec!["it_admin".into()],
        }
    }
}

impl DeskRoles {
    pub(crate) fn desk(&self, roles: &[String]) -> crate::view::Desk {
        let any = |wanted: &[String]| wanted.iter().any(|r| roles.contains(r));
        crate::view::Desk {
            referral_inbox: any(&self.department_review),
            access_log: any(&self.department_review),
            audit_status: any(&self.audit_status),
        }
    }
}

/// What one tier sees.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Tier {
    pub(crate) identifiers: Identifiers,
    pub(crate) clinical: Clinical,
    pub(crate) free_text: FreeText,
    #[serde(default)]
    pub(crate) practitioner_names: PractitionerNames,
    /// Security labels whose records this tier does not see.
    #[serde(default)]
    pub(crate) sealed: Vec<String>,
    #[serde(default)]
    pub(crate) break_glass: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Identifiers {
    Full,
    Masked,
    Pseudonym,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Clinical {
    Full,
    /// Every date to the month.
    Generalised,
    None,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FreeText {
    Keep,
    Scrub,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PractitionerNames {
    #[default]
    Keep,
    Mask,
}

/// One rule of how a tier is found.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Assignment {
    /// A value of the token's `roles` claim.
    pub(crate) role: Option<String>,
    /// A value of the token's `groups` claim.
    pub(crate) group: Option<String>,
    /// Only with this relationship to the patient.
    pub(crate) relationship: Option<Relationship>,
    pub(crate) tier: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Relationship {
    /// A referral of the patient to the doctor's department.
    Referral,
    /// An active care team (or an encounter in progress) naming the doctor
    /// by staff number.
    CareTeam,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Relationships {
    /// The performer reference a referral to the doctor's department has;
    /// `{department}` is the token's `department` claim.
    pub(crate) referral_performer: String,
    pub(crate) referral_statuses: Vec<String>,
}

impl Default for Relationships {
    fn default() -> Self {
        Relationships {
            referral_performer: "Organization/dept-{department}".into(),
            referral_statuses: vec!["active".into()],
        }
    }
}

/// Which records reach a chart at all, whatever the tier: the kinds a
/// clinical viewer shows. Billing records (Claim, ExplanationOfBenefit) and
/// anything unknown stay out: the minimum necessary.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Records {
    pub(crate) types: Vec<String>,
}

impl Default for Records {
    fn default() -> Self {
        Records {
            types: [
                "Patient",
                "RelatedPerson",
                "Condition",
                "AllergyIntolerance",
                "MedicationRequest",
                "MedicationStatement",
                "Medication",
                "Observation",
                "DiagnosticReport",
                "Encounter",
                "Procedure",
                "Immunization",
                "DocumentReference",
                "Composition",
                "ServiceRequest",
                "CareTeam",
                "CarePlan",
                "Organization",
                "Practitioner",
                "PractitionerRole",
                "Location",
            ]
            .map(str::to_owned)
            .to_vec(),
        }
    }
}

/// How `identifiers = "masked"` shows each kind of identifying data, plus
/// further elements by path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Masking {
    pub(crate) name: Operator,
    pub(crate) resident_id: Operator,
    pub(crate) identifier: Operator,
    pub(crate) phone: Operator,
    pub(crate) email: Operator,
    pub(crate) address: Operator,
    pub(crate) birth_date: Operator,
    #[serde(default)]
    pub(crate) paths: Vec<PathRule>,
}

/// A masking operator on one value.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum Operator {
    /// Keep the first and last characters, mask the rest.
    Keep {
        first: usize,
        last: usize,
        #[serde(default = "default_mask_char")]
        char: char,
    },
    /// 张* / 欧阳** / B*** R***.
    Name,
    /// Resident IDs 6 + 4, other identifiers their last 4.
    Identifier,
    /// Mobile 3 + 4, landline its area code.
    Phone,
    /// First character and the domain.
    Email,
    /// Only down to the district (Chinese addresses) or city and state.
    District,
    Date {
        precision: DatePrecision,
    },
    /// Replaced by a fixed marker.
    Redact,
    /// Replaced by an HMAC-SHA-256 pseudonym.
    Pseudonym,
    /// Removed.
    Drop,
}

fn default_mask_char() -> char {
    crate::mask::ops::MASK
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum DatePrecision {
    Year,
    Month,
}

impl From<DatePrecision> for Precision {
    fn from(p: DatePrecision) -> Self {
        match p {
            DatePrecision::Year => Precision::Year,
            DatePrecision::Month => Precision::Month,
        }
    }
}

/// An operator for the elements a path selects: `{ path = "…", op = "…", … }`.
#[derive(Debug, Clone)]
pub(crate) struct PathRule {
    /// The path parsed; the parse error when it does not parse (reported by
    /// validation, with the rule's index).
    pub(crate) parsed: std::result::Result<crate::mask::path::Path, String>,
    pub(crate) op: Operator,
}

impl<'de> Deserialize<'de> for PathRule {
    // By hand: serde's `flatten` cannot be combined with refusing unknown
    // keys, and a typo in a masking rule must not pass silently.
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        use serde::de::Error as _;
        let mut table = toml::Table::deserialize(deserializer)?;
        let path = match table.remove("path") {
            Some(toml::Value::String(path)) => path,
            Some(_) => return Err(D::Error::custom("`path` must be a string")),
            None => return Err(D::Error::missing_field("path")),
        };
        let op = Operator::deserialize(toml::Value::Table(table)).map_err(D::Error::custom)?;
        let parsed = crate::mask::path::Path::parse(&path);
        Ok(PathRule { parsed, op })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BreakGlass {
    /// How long an unsealing lasts, e.g. `"30m"`.
    #[serde(with = "humantime_serde_duration")]
    pub(crate) duration: std::time::Duration,
    pub(crate) reasons: Vec<BreakGlassReason>,
}

/// `"30m"`-style durations in the policy file.
mod humantime_serde_duration {
    use serde::{Deserialize, Deserializer};

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<std::time::Duration, D::Error> {
        let text = String::deserialize(d)?;
        humantime::parse_duration(&text).map_err(|e| {
            serde::de::Error::custom(format!("{text:?} is not a duration like \"30m\": {e}"))
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BreakGlassReason {
    pub(crate) code: String,
    pub(crate) en: String,
    pub(crate) zh: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Pseudonym {
    pub(crate) key_file: Option<std::path::PathBuf>,
}

/// The longest break-the-glass IT may configure: a shift.
const MAX_BREAK_GLASS: std::time::Duration = std::time::Duration::from_secs(12 * 3600);

impl Policy {
    /// The built-in default policy.
    pub(crate) fn default_policy() -> Policy {
        Policy::parse(DEFAULT_POLICY, "the built-in policy")
            .unwrap_or_else(|e| unreachable!("the built-in policy is invalid: {e}"))
    }

    /// Reads and validates the policy file at `path`.
    pub(crate) fn load(path: &Path) -> Result<Policy> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            Error::PolicyInvalid(format!("{}: cannot be read ({})", path.display(), e.kind()))
        })?;
        Policy::parse(&text, &path.display().to_string())
    }

    /// Parses and validates policy TOML; `origin` names it in messages.
    pub(crate) fn parse(text: &str, origin: &str) -> Result<Policy> {
        let policy: Policy = toml::from_str(text).map_err(|e| {
            // The TOML error names the key and the line; its excerpt of the
            // file holds no patient data (it is a policy file).
            Error::PolicyInvalid(format!("{origin}: {}", e.to_string().trim_end()))
        })?;
        policy
            .validate()
            .map_err(|problem| Error::PolicyInvalid(format!("{origin}: {problem}")))?;
        Ok(policy)
    }

    fn validate(&self) -> std::result::Result<(), String> {
        if self.tiers.is_empty() {
            return Err("`tiers` defines no tier".into());
        }
        for (i, rule) in self.assign.iter().enumerate() {
            let key = format!("assign[{i}]");
            if !self.tiers.contains_key(&rule.tier) {
                return Err(format!("{key}.tier: no tier named {:?}", rule.tier));
            }
            if rule.role.is_none() && rule.group.is_none() {
                return Err(format!(
                    "{key}: needs a `role` or a `group` (a rule for everyone would grant anyone a tier)"
                ));
            }
        }
        for (name, tier) in &self.tiers {
            for label in &tier.sealed {
                let known = matches!(label.as_str(), "R" | "V" | "sensitive")
                    || SENSITIVE.contains(&label.as_str());
                if !known {
                    return Err(format!(
                        "tiers.{name}.sealed: {label:?} is not R, V, \"sensitive\" or a sensitivity code"
                    ));
                }
            }
            if tier.identifiers == Identifiers::Full && tier.free_text == FreeText::Scrub {
                return Err(format!(
                    "tiers.{name}: free_text = \"scrub\" with identifiers = \"full\" hides in text what the tier sees anyway"
                ));
            }
            if tier.identifiers != Identifiers::Full && tier.free_text == FreeText::Keep {
                return Err(format!(
                    "tiers.{name}.free_text: must be \"scrub\" when identifiers are not \"full\" (text names the patient)"
                ));
            }
        }
        if !self.relationships.referral_performer.contains('{')
            && self
                .assign
                .iter()
                .any(|a| a.relationship == Some(Relationship::Referral))
        {
            // A fixed performer would make every doctor treating for every
            // patient referred to that one department.
            return Err("relationships.referral_performer: must contain {department}".into());
        }
        let duration = self.break_glass.duration;
        if duration < std::time::Duration::from_secs(1) || duration > MAX_BREAK_GLASS {
            return Err("break_glass.duration: must be between 1s and 12h".into());
        }
        if !self.records.types.iter().any(|t| t == "Patient") {
            return Err("records.types: must include \"Patient\"".into());
        }
        if self.break_glass.reasons.is_empty() {
            return Err("break_glass.reasons: at least one reason is needed".into());
        }
        for (i, rule) in self.masking.paths.iter().enumerate() {
            if let Err(problem) = &rule.parsed {
                return Err(format!("masking.paths[{i}].path: {problem}"));
            }
        }
        self.watermark.validate()
    }

    #[cfg(test)]
    pub(crate) fn tier(&self, name: &str) -> Option<&Tier> {
        self.tiers.get(name)
    }

    /// Whether any rule could give this person a tier that sees clinical
    /// data (with the right relationship to a patient): checked before
    /// anything is fetched for them.
    pub(crate) fn may_see_patients(&self, who: Who<'_>) -> bool {
        self.assign.iter().any(|rule| {
            rule.role.as_ref().is_none_or(|r| who.roles.contains(r))
                && rule.group.as_ref().is_none_or(|g| who.groups.contains(g))
                && self
                    .tiers
                    .get(&rule.tier)
                    .is_some_and(|t| t.clinical != Clinical::None)
        })
    }
}

/// The policy in force and the pseudonym key, loaded once at start. An
/// invalid policy is kept as its error, so every request that would show
/// patient data fails with it (closed), while IT sees the message.
pub(crate) struct Privacy {
    policy: std::result::Result<Policy, String>,
    key: zeroize::Zeroizing<Vec<u8>>,
    scrubbers: crate::mask::scrub::ScrubberCache,
}

impl std::fmt::Debug for Privacy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Privacy")
            .field("valid", &self.policy.is_ok())
            .finish_non_exhaustive()
    }
}

/// The shortest pseudonym key accepted: HMAC-SHA-256's block of security.
const MIN_KEY_BYTES: usize = 32;

impl Privacy {
    /// The policy file named by the config (else the default) and the key
    /// it names (else a random one for this run).
    pub(crate) fn load(file: Option<&Path>) -> Privacy {
        let loaded = match file {
            Some(path) => Policy::load(path),
            None => Ok(Policy::default_policy()),
        };
        let keyed = loaded.and_then(|policy| {
            let key = match &policy.pseudonym.key_file {
                Some(path) => {
                    let key = std::fs::read(path).map_err(|e| {
                        Error::PolicyInvalid(format!(
                            "pseudonym.key_file: {} cannot be read ({})",
                            path.display(),
                            e.kind()
                        ))
                    })?;
                    if key.len() < MIN_KEY_BYTES {
                        return Err(Error::PolicyInvalid(format!(
                            "pseudonym.key_file: {} holds fewer than {MIN_KEY_BYTES} bytes",
                            path.display()
                        )));
                    }
                    key
                }
                None => {
                    use rand::RngCore as _;
                    let mut key = vec![0; MIN_KEY_BYTES];
                    rand::rngs::OsRng.fill_bytes(&mut key);
                    key
                }
            };
            Ok((policy, key))
        });
        match keyed {
            Ok((policy, key)) => Privacy {
                policy: Ok(policy),
                key: zeroize::Zeroizing::new(key),
                scrubbers: Default::default(),
            },
            Err(e) => {
                tracing::error!("privacy policy invalid; no patient data will be shown");
                Privacy {
                    policy: Err(match e {
                        Error::PolicyInvalid(message) => message,
                        other => other.to_string(),
                    }),
                    key: zeroize::Zeroizing::new(Vec::new()),
                    scrubbers: Default::default(),
                }
            }
        }
    }

    /// The policy, or the reason there is none.
    pub(crate) fn policy(&self) -> Result<&Policy> {
        self.policy
            .as_ref()
            .map_err(|message| Error::PolicyInvalid(message.clone()))
    }

    pub(crate) fn key(&self) -> &[u8] {
        &self.key
    }

    pub(crate) fn scrubbers(&self) -> &crate::mask::scrub::ScrubberCache {
        &self.scrubbers
    }
}

impl Tier {
    /// Whether a record with this `meta.security` label is sealed for the tier.
    pub(crate) fn seals(&self, label: &Label<'_>) -> bool {
        self.sealed
            .iter()
            .any(|sealed| match (sealed.as_str(), label) {
                (s, Label::Confidentiality(c)) => s == *c,
                ("sensitive", Label::Sensitivity(_)) => true,
                (s, Label::Sensitivity(code)) => s == *code,
            })
    }
}

/// A security label that can seal a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Label<'a> {
    /// `R` or `V` from v3-Confidentiality.
    Confidentiality(&'a str),
    /// A sensitivity code from v3-ActCode.
    Sensitivity(&'a str),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_policy_is_valid_and_has_the_designs_tiers() {
        let policy = Policy::default_policy();
        for tier in ["treating", "clinician", "deidentified", "admin"] {
            assert!(policy.tier(tier).is_some(), "{tier}");
        }
        assert_eq!(
            policy.break_glass.duration,
            std::time::Duration::from_secs(30 * 60)
        );
    }

    fn problem(text: &str) -> String {
        match Policy::parse(text, "policy.toml") {
            Err(Error::PolicyInvalid(message)) => message,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[test]
    fn invalid_policies_are_refused_naming_the_key() {
        let valid = DEFAULT_POLICY;
        let cases = [
            (
                valid.replace("clinical = \"full\"", "clinical = \"everything\""),
                "clinical",
            ),
            (
                valid.replace("[tiers.treating]", "[tiers.treating]\ncolour = 1"),
                "colour",
            ),
            (
                valid.replace("tier = \"admin\"", "tier = \"root\""),
                "assign[0].tier",
            ),
            (
                valid.replace("sealed = [\"V\"]", "sealed = [\"X\"]"),
                "tiers.treating.sealed",
            ),
            (
                valid.replace("duration = \"30m\"", "duration = \"0s\""),
                "break_glass.duration",
            ),
            (
                valid.replace("duration = \"30m\"", "duration = \"soon\""),
                "soon",
            ),
            (
                valid.replace(
                    "referral_performer = \"Organization/dept-{department}\"",
                    "referral_performer = \"Organization/dept-1\"",
                ),
                "referral_performer",
            ),
            (valid.replace("op = \"redact\"", "op = \"shred\""), "shred"),
            (
                valid.replace("path = \"Patient.photo\"", "path = \"Patient..photo\""),
                "masking.paths[2].path",
            ),
            (
                valid.replace(
                    "identifiers = \"masked\"\nclinical = \"full\"\nfree_text = \"scrub\"",
                    "identifiers = \"masked\"\nclinical = \"full\"\nfree_text = \"keep\"",
                ),
                "tiers.clinician.free_text",
            ),
            ("tiers = 3".to_owned(), "tiers"),
        ];
        for (text, key) in cases {
            let message = problem(&text);
            assert!(message.contains(key), "{key}: {message}");
            assert!(message.starts_with("policy.toml"), "{message}");
        }
    }

    #[test]
    fn toml_errors_name_the_line() {
        let text = DEFAULT_POLICY.replace("duration = \"30m\"", "duration = 30");
        let line = text
            .lines()
            .position(|l| l.contains("duration = 30"))
            .map(|i| i + 1)
            .unwrap();
        let message = problem(&text);
        assert!(message.contains(&format!("line {line}")), "{message}");
    }

    #[test]
    fn sealing_follows_the_tier_labels() {
        let policy = Policy::default_policy();
        let treating = policy.tier("treating").unwrap();
        let clinician = policy.tier("clinician").unwrap();
        let cases = [
            (Label::Confidentiality("R"), false, true),
            (Label::Confidentiality("V"), true, true),
            (Label::Sensitivity("HIV"), false, true),
            (Label::Sensitivity("PSY"), false, true),
        ];
        for (label, by_treating, by_clinician) in cases {
            assert_eq!(treating.seals(&label), by_treating, "{label:?}");
            assert_eq!(clinician.seals(&label), by_clinician, "{label:?}");
        }
    }
}

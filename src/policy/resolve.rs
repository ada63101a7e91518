//! Which tier a doctor has for one patient, now: the first assignment rule
//! whose role or group the doctor has and whose relationship (if any) the
//! patient's records show.

use serde_json::Value;

use super::{Policy, Relationship, Tier};
use crate::fhir::{array, resource_type, str_field};

/// Who is asking, from the verified token.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Who<'a> {
    pub(crate) roles: &'a [String],
    pub(crate) groups: &'a [String],
    pub(crate) department: Option<&'a str>,
    pub(crate) staff_no: Option<&'a str>,
}

/// Why the doctor has their tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Grounds {
    /// Their role or group alone.
    Role,
    /// A referral of the patient to their department.
    Referral,
    /// A care team or an encounter in progress naming them.
    CareTeam,
}

/// The outcome for one request.
#[derive(Debug, Clone)]
pub(crate) struct Access<'p> {
    pub(crate) tier_name: &'p str,
    pub(crate) tier: &'p Tier,
    pub(crate) grounds: Grounds,
    /// Break-the-glass is active for this patient (and the tier allows it):
    /// nothing is sealed.
    pub(crate) break_glass: bool,
}

impl Policy {
    /// The doctor's tier for the patient whose `records` these are (only
    /// that patient's: the caller has dropped any other's). `None`: no rule
    /// grants anything, so no patient data may be shown.
    pub(crate) fn resolve<'p>(
        &'p self,
        who: Who<'_>,
        records: &[&Value],
        break_glass: bool,
    ) -> Option<Access<'p>> {
        let rule = self.assign.iter().find(|rule| {
            let role = rule.role.as_ref().is_none_or(|r| who.roles.contains(r));
            let group = rule.group.as_ref().is_none_or(|g| who.groups.contains(g));
            let related = rule
                .relationship
                .is_none_or(|rel| self.has_relationship(rel, who, records));
            role && group && related
        })?;
        let (tier_name, tier) = self.tiers.get_key_value(&rule.tier)?;
        Some(Access {
            tier_name,
            tier,
            grounds: match rule.relationship {
                None => Grounds::Role,
                Some(Relationship::Referral) => Grounds::Referral,
                Some(Relationship::CareTeam) => Grounds::CareTeam,
            },
            break_glass: break_glass && tier.break_glass,
        })
    }

    fn has_relationship(
        &self,
        relationship: Relationship,
        who: Who<'_>,
        records: &[&Value],
    ) -> bool {
        match relationship {
            Relationship::Referral => {
                let Some(department) = who.department.filter(|d| !d.is_empty()) else {
                    return false;
                };
                let performer = self
                    .relationships
                    .referral_performer
                    .replace("{department}", department);
                records.iter().any(|r| {
                    resource_type(r) == Some("ServiceRequest")
                        && str_field(r, "status").is_some_and(|s| {
                            self.relationships
                                .referral_statuses
                                .iter()
                                .any(|ok| ok == s)
                        })
                        && array(r, "performer").any(|p| refers_to(p, &performer))
                })
            }
            Relationship::CareTeam => {
                let Some(staff_no) = who.staff_no.filter(|s| !s.is_empty()) else {
                    return false;
                };
                let names_doctor = |reference: &Value| {
                    reference
                        .get("identifier")
                        .and_then(|i| str_field(i, "value"))
                        == Some(staff_no)
                };
                records.iter().any(|r| match resource_type(r) {
                    Some("CareTeam") => {
                        str_field(r, "status") == Some("active")
                            && array(r, "participant")
                                .filter_map(|p| p.get("member"))
                                .any(names_doctor)
                    }
                    Some("Encounter") => {
                        str_field(r, "status") == Some("in-progress")
                            && array(r, "participant")
                                .filter_map(|p| p.get("individual"))
                                .any(names_doctor)
                    }
                    _ => false,
                })
            }
        }
    }
}

/// Whether a Reference points at `target` (`Type/id`), relatively or as an
/// absolute URL ending in it.
fn refers_to(reference: &Value, target: &str) -> bool {
    str_field(reference, "reference").is_some_and(|r| {
        r == target
            || r.strip_suffix(target)
                .is_some_and(|base| base.ends_with('/'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn who<'a>(roles: &'a [String], department: Option<&'a str>) -> Who<'a> {
        Who {
            roles,
            groups: &[],
            department,
            staff_no: Some("D1003"),
        }
    }

    fn referral(status: &str, performer: &str) -> Value {
        json!({ "resourceType": "ServiceRequest", "id": "sr", "status": status,
                "performer": [{ "reference": performer }] })
    }

    /// (roles, department, the patient's records, expected tier and grounds)
    type Case<'a> = (
        &'a Vec<String>,
        Option<&'a str>,
        &'a Vec<Value>,
        Option<(&'a str, Grounds)>,
    );

    #[test]
    fn tiers_follow_role_and_relationship() {
        let policy = Policy::default_policy();
        let strings = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let (doctor, head, it, none) = (
            strings(&["doctor"]),
            strings(&["doctor", "department_head"]),
            strings(&["it_admin"]),
            strings(&["nurse"]),
        );
        let to_cardiology = vec![referral("active", "Organization/dept-cardiology")];
        let absolute = vec![referral(
            "active",
            "https://platform.example/fhir/Organization/dept-cardiology",
        )];
        let completed = vec![referral("completed", "Organization/dept-cardiology")];
        let lookalike = vec![referral("active", "Organization/xdept-cardiology")];
        let care_team = vec![json!({ "resourceType": "CareTeam", "status": "active",
            "participant": [{ "member": { "identifier": { "value": "D1003" }, "display": "周敏" } }] })];
        let ended_team = vec![json!({ "resourceType": "CareTeam", "status": "inactive",
            "participant": [{ "member": { "identifier": { "value": "D1003" } } }] })];
        let cases: [Case<'_>; 10] = [
            (
                &doctor,
                Some("cardiology"),
                &to_cardiology,
                Some(("treating", Grounds::Referral)),
            ),
            (
                &doctor,
                Some("cardiology"),
                &absolute,
                Some(("treating", Grounds::Referral)),
            ),
            (
                &doctor,
                Some("nephrology"),
                &to_cardiology,
                Some(("clinician", Grounds::Role)),
            ),
            (
                &doctor,
                Some("cardiology"),
                &completed,
                Some(("clinician", Grounds::Role)),
            ),
            (
                &doctor,
                Some("cardiology"),
                &lookalike,
                Some(("clinician", Grounds::Role)),
            ),
            (
                &doctor,
                None,
                &to_cardiology,
                Some(("clinician", Grounds::Role)),
            ),
            (
                &head,
                Some("cardiology"),
                &to_cardiology,
                Some(("treating", Grounds::Referral)),
            ),
            (
                &doctor,
                Some("endocrinology"),
                &care_team,
                Some(("treating", Grounds::CareTeam)),
            ),
            (
                &doctor,
                Some("endocrinology"),
                &ended_team,
                Some(("clinician", Grounds::Role)),
            ),
            (
                &it,
                Some("it"),
                &to_cardiology,
                Some(("admin", Grounds::Role)),
            ),
        ];
        for (roles, department, records, expected) in cases {
            let records: Vec<&Value> = records.iter().collect();
            let access = policy.resolve(who(roles, department), &records, false);
            assert_eq!(
                access.map(|a| (a.tier_name, a.grounds)),
                expected,
                "{roles:?} {department:?} {records:?}"
            );
        }
        assert!(policy.resolve(who(&none, None), &[], false).is_none());
    }

    #[test]
    fn break_glass_counts_only_for_tiers_that_allow_it() {
        let policy = Policy::default_policy();
        let doctor = vec!["doctor".to_owned()];
        let teaching = vec!["teaching".to_owned()];
        assert!(
            policy
                .resolve(who(&doctor, None), &[], true)
                .unwrap()
                .break_glass
        );
        assert!(
            !policy
                .resolve(who(&doctor, None), &[], false)
                .unwrap()
                .break_glass
        );
        assert!(
            !policy
                .resolve(who(&teaching, None), &[], true)
                .unwrap()
                .break_glass
        );
    }
}

//! Privacy masking (DESIGN.md §5): what a doctor's tier lets them see of a
//! patient, applied in the core before any view type is built.
//!
//! - `ops.rs`: the operators on one value (names, resident IDs, phones…);
//! - `scrub.rs`: the free-text scrubber for one patient;
//! - `path.rs`: the policy's element paths;
//! - `engine.rs`: a tier applied to one patient's records;
//! - this file: the pipeline from records to the chart and search rows.

pub(crate) mod engine;
pub(crate) mod ops;
pub(crate) mod path;
pub(crate) mod scrub;

use std::time::SystemTime;

use serde_json::Value;

use crate::chart;
use crate::error::{Error, Result};
use crate::policy::{Access, Clinical, Grounds, Identifiers, Privacy, Who};
use crate::view::{AccessGrounds, AccessView, Chart, Freshness, PatientSummary};

/// The chart of `patient_id` from their `history` (as the platform or the
/// cache holds it, unmasked) as `who` may see it now. Records about another
/// patient are dropped first: they must neither show nor, through a
/// referral, grant a relationship. `glass_until`: the doctor has broken the
/// glass for this patient until then.
pub(crate) fn chart_view(
    privacy: &Privacy,
    who: Who<'_>,
    patient_id: &str,
    history: Vec<Value>,
    freshness: Freshness,
    glass_until: Option<SystemTime>,
) -> Result<Chart> {
    let own = own_records(patient_id, history);
    let refs: Vec<&Value> = own.iter().collect();
    let access = resolve(privacy, who, &refs, glass_until.is_some())?;
    let mut chart = chart_for(privacy, &access, patient_id, own, freshness)?;
    // Only where the tier let the broken glass count.
    if access.break_glass {
        chart.access.break_glass_until =
            glass_until.map(|t| humantime::format_rfc3339_seconds(t).to_string());
    }
    Ok(chart)
}

/// [`chart_view`] for a tier named outright (the privacy office's preview),
/// without break-the-glass.
pub(crate) fn chart_view_as(
    privacy: &Privacy,
    tier: &str,
    patient_id: &str,
    history: Vec<Value>,
    freshness: Freshness,
) -> Result<Chart> {
    let policy = privacy.policy()?;
    let (tier_name, tier) = policy
        .tiers
        .get_key_value(tier)
        .ok_or_else(|| Error::Usage(format!("the policy has no tier named {tier:?}")))?;
    if tier.clinical == Clinical::None {
        return Err(Error::AccessDenied);
    }
    let access = Access {
        tier_name,
        tier,
        grounds: Grounds::Role,
        break_glass: false,
    };
    chart_for(
        privacy,
        &access,
        patient_id,
        own_records(patient_id, history),
        freshness,
    )
}

fn own_records(patient_id: &str, history: Vec<Value>) -> Vec<Value> {
    history
        .into_iter()
        .filter(|r| chart::belongs_to(r, patient_id))
        .collect()
}

fn chart_for(
    privacy: &Privacy,
    access: &Access<'_>,
    patient_id: &str,
    mut own: Vec<Value>,
    freshness: Freshness,
) -> Result<Chart> {
    let count = u32::try_from(own.len()).unwrap_or(u32::MAX);
    let shown = &privacy.policy()?.records.types;
    own.retain(|r| crate::fhir::resource_type(r).is_some_and(|t| shown.iter().any(|s| s == t)));
    let masked = engine::mask_records(
        privacy.policy()?,
        access,
        own,
        privacy.key(),
        privacy.scrubbers(),
    );
    let view = access_view(access, masked.sealed);
    let mut chart = chart::build_chart(patient_id, &masked.records, freshness, view)?;
    chart.sealed = masked.sealed;
    chart.resource_count = count;
    Ok(chart)
}

/// Search result rows as `who` may see them. Search knows no care
/// relationship yet (the histories are not fetched), so rows show what the
/// doctor's role alone allows: for most doctors, masked.
pub(crate) fn search_rows(
    privacy: &Privacy,
    who: Who<'_>,
    patients: Vec<Value>,
) -> Result<Vec<PatientSummary>> {
    let policy = privacy.policy()?;
    let access = resolve(privacy, who, &[], false)?;
    Ok(patients
        .into_iter()
        .filter_map(|patient| {
            let masked = engine::mask_records(
                policy,
                &access,
                vec![patient],
                privacy.key(),
                privacy.scrubbers(),
            );
            masked.records.first().and_then(chart::patient_summary)
        })
        .collect())
}

/// A referral (`request`, a ServiceRequest) and its `patient` as `who`'s
/// tier for that patient lets them see them: the tier resolved from these
/// two records (the referral itself may be the relationship). `None` when
/// the tier shows nothing, or the two do not belong together.
pub(crate) fn referral_row(
    privacy: &Privacy,
    who: Who<'_>,
    patient: Value,
    request: Value,
) -> Result<Option<(PatientSummary, Value)>> {
    let Some(patient_id) = crate::fhir::id(&patient).map(str::to_owned) else {
        return Ok(None);
    };
    if !chart::belongs_to(&request, &patient_id) {
        return Ok(None);
    }
    let records = [patient, request];
    let refs: Vec<&Value> = records.iter().collect();
    let access = match resolve(privacy, who, &refs, false) {
        Ok(access) => access,
        Err(Error::AccessDenied) => return Ok(None),
        Err(e) => return Err(e),
    };
    let masked = engine::mask_records(
        privacy.policy()?,
        &access,
        records.into(),
        privacy.key(),
        privacy.scrubbers(),
    );
    let of_type = |kind: &str| {
        masked
            .records
            .iter()
            .find(|r| crate::fhir::resource_type(r) == Some(kind))
    };
    let (Some(patient), Some(request)) = (of_type("Patient"), of_type("ServiceRequest")) else {
        // Sealed (a restricted referral): not listed.
        return Ok(None);
    };
    let (patient, request) = (patient, request.clone());
    Ok(chart::patient_summary(patient).map(|summary| (summary, request)))
}

/// The tier for this request; [`Error::AccessDenied`] when it shows no
/// clinical data at all.
fn resolve<'p>(
    privacy: &'p Privacy,
    who: Who<'_>,
    records: &[&Value],
    break_glass: bool,
) -> Result<Access<'p>> {
    let access = privacy
        .policy()?
        .resolve(who, records, break_glass)
        .ok_or(Error::AccessDenied)?;
    if access.tier.clinical == Clinical::None {
        return Err(Error::AccessDenied);
    }
    Ok(access)
}

fn access_view(access: &Access<'_>, sealed: u32) -> AccessView {
    AccessView {
        tier: access.tier_name.to_owned(),
        grounds: match access.grounds {
            Grounds::Role => AccessGrounds::Role,
            Grounds::Referral => AccessGrounds::Referral,
            Grounds::CareTeam => AccessGrounds::CareTeam,
        },
        masked: access.tier.identifiers != Identifiers::Full,
        can_break_glass: sealed > 0 && access.tier.break_glass && !access.break_glass,
        break_glass_until: None,
    }
}

//! Applies a tier to one patient's records: seals what the tier may not
//! see, sanitises every narrative, masks identifying data by the policy's
//! operators and paths, scrubs free text, and generalises dates. The output
//! is the records the chart is built from, so nothing downstream can show
//! more than the tier allows.
//!
//! **Architecture Invariant:** every record that reaches the view model has
//! passed through [`mask_records`]; its input is the unmasked history, its
//! output the only thing the chart builder sees.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::{Map, Value};

use super::ops::{
    self, generalise_address_text, generalise_date, keep, mask_email, mask_family, mask_given,
    mask_identifier, mask_name_text, mask_phone, pseudonym, Precision,
};
use super::scrub::{Known, Name, Scrubber, ScrubberCache};
use crate::chart::{readable, text_blocks, textual_format};
use crate::fhir::{array, owned, resource_type, str_field};
use crate::policy::{
    Access, Clinical, FreeText, Identifiers, Label, Masking, Operator, Policy, PractitionerNames,
};
use crate::sanitize::{
    blocks_to_html, html_to_text, is_plain, plain_text, read_cda, sanitize_html,
};
use crate::view::{DocBlock, DocumentFormat};

/// What replaces a redacted value.
pub(crate) const REDACTED: &str = "[redacted]";
/// The identifier system of a pseudonym.
pub(crate) const PSEUDONYM_SYSTEM: &str = "urn:chartguard:pseudonym";

const CONFIDENTIALITY: &str = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// Resource types that describe a person the record identifies: the
/// patient and the people around them.
const PERSONS: &[&str] = &["Patient", "RelatedPerson", "Person"];
const PRACTITIONERS: &[&str] = &["Practitioner", "PractitionerRole"];

/// Elements whose strings are codes, ids or machine values, never free text.
const NOT_TEXT: &[&str] = &[
    "resourceType",
    "id",
    "reference",
    "system",
    "code",
    "url",
    "version",
    "status",
    "fullUrl",
    "contentType",
    "language",
    "use",
    "type",
    "gender",
    "unit",
    "profile",
    "versionId",
    "lastUpdated",
    "source",
    "mode",
    "intent",
    "priority",
    "criticality",
];

/// A code, id or URL: a string under one of [`NOT_TEXT`]'s names. (The
/// same names can hold text inside an object: `Condition.code.text`.)
fn is_machine_value(key: &str, value: &Value) -> bool {
    value.is_string() && NOT_TEXT.contains(&key)
}

/// The tier's view of one patient's records.
#[derive(Debug)]
pub(crate) struct Masked {
    pub(crate) records: Vec<Value>,
    /// Records left out because their labels seal them for this tier.
    pub(crate) sealed: u32,
}

/// Masks `records` (one patient's, the Patient among them) for `access`.
/// `key` makes pseudonyms; `scrubbers` keeps the scrubbers built before.
pub(crate) fn mask_records(
    policy: &Policy,
    access: &Access<'_>,
    records: Vec<Value>,
    key: &[u8],
    scrubbers: &ScrubberCache,
) -> Masked {
    let tier = access.tier;
    let patient = records.iter().find(|r| resource_type(r) == Some("Patient"));
    let scrubber =
        (tier.free_text == FreeText::Scrub).then(|| scrubbers.get(&known_about(patient, &records)));
    let code = patient.map(|p| patient_pseudonym(p, key));
    let mut cleaner = Cleaner {
        scrubber: scrubber.as_deref(),
        attachments: match (tier.clinical, scrubber.as_deref()) {
            (Clinical::Generalised, _) => Attachments::Withhold,
            (_, Some(scrubber)) => Attachments::Scrub(scrubber),
            (_, None) => Attachments::Keep,
        },
        seen: HashMap::new(),
    };
    let mut out = Masked {
        records: Vec::with_capacity(records.len()),
        sealed: 0,
    };
    for mut record in records {
        if !access.break_glass && labels(&record).any(|label| tier.seals(&label)) {
            out.sealed += 1;
            continue;
        }
        sanitise_narrative(&mut record, scrubber.as_deref());
        mask_identity(
            &mut record,
            policy,
            tier,
            code.as_deref().unwrap_or(""),
            key,
        );
        // Contained resources (a RelatedPerson inside a Condition, a
        // Practitioner inside an Observation) are people too.
        if let Some(Value::Array(contained)) = record.get_mut("contained") {
            for inner in contained.iter_mut() {
                sanitise_narrative(inner, scrubber.as_deref());
                mask_identity(inner, policy, tier, code.as_deref().unwrap_or(""), key);
            }
        }
        clean_strings(&mut record, &mut cleaner);
        if tier.practitioner_names == PractitionerNames::Mask {
            mask_practitioner_references(&mut record);
        }
        if tier.clinical == Clinical::Generalised {
            generalise_dates(&mut record);
        }
        out.records.push(record);
    }
    out
}

/// Masks the person a record describes (patient, relative, practitioner
/// where the policy says) by the tier's identifier rule, and applies the
/// policy's element paths.
fn mask_identity(
    record: &mut Value,
    policy: &Policy,
    tier: &crate::policy::Tier,
    code: &str,
    key: &[u8],
) {
    let kind = resource_type(record).unwrap_or("");
    let person = PERSONS.contains(&kind);
    let practitioner =
        PRACTITIONERS.contains(&kind) && tier.practitioner_names == PractitionerNames::Mask;
    match tier.identifiers {
        Identifiers::Full => return,
        Identifiers::Masked if person || practitioner => mask_person(record, &policy.masking, key),
        Identifiers::Pseudonym | Identifiers::None if person => {
            pseudonymise_person(record, code, key)
        }
        Identifiers::Pseudonym | Identifiers::None if practitioner => {
            mask_person(record, &policy.masking, key)
        }
        _ => {}
    }
    apply_paths(record, &policy.masking, key);
}

/// The labels that can seal a record: its `meta.security`, a
/// DocumentReference's own `securityLabel`, and the confidentiality a CDA
/// document it carries declares in its header.
pub(crate) fn labels(record: &Value) -> impl Iterator<Item = Label<'_>> {
    let meta = record
        .get("meta")
        .map(|m| array(m, "security"))
        .into_iter()
        .flatten();
    let document = array(record, "securityLabel").flat_map(|label| array(label, "coding"));
    meta.chain(document)
        .filter_map(|label| {
            let code = str_field(label, "code")?;
            match str_field(label, "system")? {
                CONFIDENTIALITY if matches!(code, "R" | "V") => Some(Label::Confidentiality(code)),
                ACT_CODE if crate::policy::SENSITIVE.contains(&code) => {
                    Some(Label::Sensitivity(code))
                }
                _ => None,
            }
        })
        .chain(cda_confidentiality(record).map(Label::Confidentiality))
}

/// R or V from the header of a CDA document attached to the record.
fn cda_confidentiality(record: &Value) -> Option<&'static str> {
    array(record, "content")
        .filter_map(|c| c.get("attachment"))
        .filter_map(|a| readable(str_field(a, "contentType"), str_field(a, "data")))
        .filter(|(format, _)| *format == DocumentFormat::Cda)
        .find_map(|(_, text)| read_cda(&text).confidentiality)
}

/// Everything known about the patient that free text might repeat: their
/// record, the people named around them, the mother's maiden name.
fn known_about(patient: Option<&Value>, records: &[Value]) -> Known {
    let mut known = patient.map(Known::from_patient).unwrap_or_default();
    for related in records
        .iter()
        .filter(|r| matches!(resource_type(r), Some("RelatedPerson" | "Person")))
    {
        let more = Known::from_patient(related);
        known.names.extend(more.names);
        known.phones.extend(more.phones);
        known.emails.extend(more.emails);
        known.identifiers.extend(more.identifiers);
        known.address_lines.extend(more.address_lines);
    }
    if let Some(patient) = patient {
        for ext in array(patient, "extension") {
            if let Some(maiden) = owned(ext, "valueString") {
                if str_field(ext, "url").is_some_and(|u| u.ends_with("mothersMaidenName")) {
                    known.names.push(Name {
                        family: Some(maiden),
                        ..Name::default()
                    });
                }
            }
        }
    }
    known
}

/// The stable pseudonym of a patient: of their resident ID where they have
/// one (the same person on every platform), else of their platform id.
fn patient_pseudonym(patient: &Value, key: &[u8]) -> String {
    let basis = array(patient, "identifier")
        .filter_map(|i| str_field(i, "value"))
        .find(|v| ops::is_valid_resident_id(v))
        .or_else(|| str_field(patient, "id"))
        .unwrap_or("");
    format!("P-{}", pseudonym(key, basis))
}

fn sanitise_narrative(record: &mut Value, scrubber: Option<&Scrubber>) {
    let Some(div) = record.pointer_mut("/text/div") else {
        return;
    };
    let Some(html) = div.as_str() else {
        *div = Value::String(String::new());
        return;
    };
    let clean = sanitize_html(html);
    *div = Value::String(match scrubber {
        None => clean,
        // Scrubbed as text: markup splitting a name (`<b>张</b>伟`) would
        // hide it from the scrubber.
        Some(scrubber) => text_to_html(&scrubber.scrub(&html_to_text(&clean))),
    });
}

/// Plain text as HTML paragraphs, every character escaped.
fn text_to_html(text: &str) -> String {
    let mut html = String::from("<div>");
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        html.push_str("<p>");
        for c in line.chars() {
            match c {
                '&' => html.push_str("&amp;"),
                '<' => html.push_str("&lt;"),
                '>' => html.push_str("&gt;"),
                '"' => html.push_str("&quot;"),
                '\'' => html.push_str("&#39;"),
                c => html.push(c),
            }
        }
        html.push_str("</p>");
    }
    html.push_str("</div>");
    html
}

/// Masks a person's names, identifiers, contact points, addresses and
/// birth date by the policy's operators, and those of their contacts.
fn mask_person(person: &mut Value, masking: &Masking, key: &[u8]) {
    let Some(object) = person.as_object_mut() else {
        return;
    };
    mask_contact_details(object, masking, key);
    if let Some(Value::Array(identifiers)) = object.get_mut("identifier") {
        for identifier in identifiers.iter_mut() {
            let resident = identifier
                .get("value")
                .and_then(Value::as_str)
                .is_some_and(looks_like_resident_id);
            let op = if resident {
                &masking.resident_id
            } else {
                &masking.identifier
            };
            if let Some(value) = identifier.get_mut("value") {
                mask_string(value, op, key);
            }
        }
    }
    if let Some(birth) = object.get_mut("birthDate") {
        mask_string(birth, &masking.birth_date, key);
    }
    if let Some(Value::Array(contacts)) = object.get_mut("contact") {
        for contact in contacts.iter_mut().filter_map(Value::as_object_mut) {
            mask_contact_details(contact, masking, key);
            if let Some(name) = contact.get_mut("name") {
                mask_name(name, &masking.name, key);
            }
        }
    }
}

/// 15 or 18 characters of digits (the last may be X): a resident ID's shape,
/// whether or not its checksum holds: in an identifier field it is masked
/// as one either way.
fn looks_like_resident_id(value: &str) -> bool {
    let value = value.trim();
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    match value.len() {
        15 => digits(value),
        18 => {
            digits(&value[..17])
                && value[17..]
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == 'X' || c == 'x')
        }
        _ => false,
    }
}

fn mask_contact_details(object: &mut Map<String, Value>, masking: &Masking, key: &[u8]) {
    if let Some(Value::Array(names)) = object.get_mut("name") {
        for name in names {
            mask_name(name, &masking.name, key);
        }
    }
    if let Some(Value::Array(telecoms)) = object.get_mut("telecom") {
        for telecom in telecoms.iter_mut() {
            let op = if str_field(telecom, "system") == Some("email") {
                &masking.email
            } else {
                &masking.phone
            };
            if let Some(value) = telecom.get_mut("value") {
                mask_string(value, op, key);
            }
        }
    }
    match object.get_mut("address") {
        Some(Value::Array(addresses)) => {
            for address in addresses {
                mask_address(address, &masking.address, key);
            }
        }
        Some(address @ Value::Object(_)) => mask_address(address, &masking.address, key),
        _ => {}
    }
}

/// A HumanName: its family, given and text parts each by the name operator
/// (which keeps the surname), prefixes and suffixes kept.
fn mask_name(name: &mut Value, op: &Operator, key: &[u8]) {
    let Some(object) = name.as_object_mut() else {
        return;
    };
    if *op != Operator::Name {
        for part in ["family", "text"] {
            if let Some(v) = object.get_mut(part) {
                mask_string(v, op, key);
            }
        }
        if let Some(Value::Array(given)) = object.get_mut("given") {
            for g in given {
                mask_string(g, op, key);
            }
        }
        return;
    }
    if let Some(Value::String(family)) = object.get_mut("family") {
        *family = if ops::is_chinese_name(family) {
            mask_family(family)
        } else {
            mask_name_text(family)
        };
    }
    if let Some(Value::Array(given)) = object.get_mut("given") {
        for g in given.iter_mut() {
            if let Value::String(s) = g {
                *s = mask_given(s);
            }
        }
    }
    if let Some(Value::String(text)) = object.get_mut("text") {
        *text = mask_name_text(text);
    }
}

/// An Address by the address operator: `district` keeps only what locates
/// it to a district (the district, city, state and country elements, and a
/// Chinese address text cut after the district).
fn mask_address(address: &mut Value, op: &Operator, key: &[u8]) {
    let Some(object) = address.as_object_mut() else {
        return;
    };
    match op {
        Operator::District => {
            object.remove("line");
            object.remove("postalCode");
            object.remove("extension");
            if let Some(Value::String(text)) = object.get_mut("text") {
                *text = generalise_address_text(text);
            }
            if object.get("text").and_then(Value::as_str) == Some("") {
                object.remove("text");
            }
        }
        Operator::Drop => object.clear(),
        other => {
            for (element, value) in object.iter_mut() {
                if !is_machine_value(element, value) {
                    mask_strings_in(value, other, key);
                }
            }
        }
    }
}

/// Replaces a person's identity by their pseudonym: one pseudonym
/// identifier, the birth year, nothing else that could identify them.
fn pseudonymise_person(person: &mut Value, code: &str, key: &[u8]) {
    let Some(object) = person.as_object_mut() else {
        return;
    };
    let own = if object.get("resourceType").and_then(Value::as_str) == Some("Patient") {
        code.to_owned()
    } else {
        // Someone else around the patient: their own pseudonym.
        let id = object.get("id").and_then(Value::as_str).unwrap_or("");
        format!("R-{}", pseudonym(key, id))
    };
    for key in [
        "telecom",
        "address",
        "contact",
        "photo",
        "extension",
        "communication",
    ] {
        object.remove(key);
    }
    object.insert("name".into(), serde_json::json!([{ "text": own }]));
    object.insert(
        "identifier".into(),
        serde_json::json!([{ "system": PSEUDONYM_SYSTEM, "value": own }]),
    );
    if let Some(birth) = object.get_mut("birthDate") {
        mask_string(
            birth,
            &Operator::Date {
                precision: crate::policy::DatePrecision::Year,
            },
            key,
        );
    }
}

fn apply_paths(record: &mut Value, masking: &Masking, key: &[u8]) {
    for rule in &masking.paths {
        // Validated when the policy was loaded.
        let Ok(path) = &rule.parsed else {
            continue;
        };
        path.apply(record, &mut |node| {
            if rule.op == Operator::Drop {
                return false;
            }
            mask_strings_in(node, &rule.op, key);
            true
        });
    }
}

/// Applies `op` to every text string inside `node` (not to codes and urls);
/// `key` makes pseudonyms.
fn mask_strings_in(node: &mut Value, op: &Operator, key: &[u8]) {
    match node {
        Value::String(_) => mask_string(node, op, key),
        Value::Array(items) => items.iter_mut().for_each(|i| mask_strings_in(i, op, key)),
        Value::Object(map) => {
            for (k, v) in map.iter_mut() {
                if !is_machine_value(k, v) {
                    mask_strings_in(v, op, key);
                }
            }
        }
        _ => {}
    }
}

/// Applies `op` to one string value (other JSON values become the marker
/// where the operator would hide them).
fn mask_string(value: &mut Value, op: &Operator, key: &[u8]) {
    let Some(text) = value.as_str() else {
        if matches!(op, Operator::Redact | Operator::Pseudonym) {
            *value = Value::String(REDACTED.into());
        }
        return;
    };
    let masked = match op {
        Operator::Keep { first, last, char } => keep(text, *first, *last, *char),
        Operator::Name => mask_name_text(text),
        Operator::Identifier => mask_identifier(text),
        Operator::Phone => mask_phone(text),
        Operator::Email => mask_email(text),
        Operator::District => {
            let cut = generalise_address_text(text);
            if cut.is_empty() {
                REDACTED.into()
            } else {
                cut
            }
        }
        Operator::Date { precision } => {
            generalise_date(text, (*precision).into()).unwrap_or_else(|| REDACTED.into())
        }
        Operator::Redact | Operator::Drop => REDACTED.into(),
        Operator::Pseudonym => pseudonym(key, text),
    };
    *value = Value::String(masked);
}

/// Cleans the free text of one patient's records, remembering each text it
/// has seen: records repeat their display strings hundreds of times.
struct Cleaner<'s> {
    scrubber: Option<&'s Scrubber>,
    attachments: Attachments<'s>,
    /// Text → what it becomes (`None`: unchanged).
    seen: HashMap<String, Option<String>>,
}

impl Cleaner<'_> {
    fn clean(&mut self, text: &str) -> Option<String> {
        // Without scrubbing, the plain-text check alone is cheaper than
        // remembering.
        if self.scrubber.is_none() {
            return (!is_plain(text)).then(|| plain_text(text));
        }
        if let Some(known) = self.seen.get(text) {
            return known.clone();
        }
        let plain = if is_plain(text) {
            Cow::Borrowed(text)
        } else {
            Cow::Owned(plain_text(text))
        };
        let scrubbed = match self.scrubber {
            Some(scrubber) => match scrubber.scrub(&plain) {
                Cow::Borrowed(_) => plain,
                Cow::Owned(changed) => Cow::Owned(changed),
            },
            None => plain,
        };
        let result = match scrubbed {
            Cow::Borrowed(_) => None,
            Cow::Owned(changed) => Some(changed),
        };
        self.seen.insert(text.to_owned(), result.clone());
        result
    }
}

/// Makes every free-text string of the record plain text (markup that
/// slipped into a display string or a note keeps only its text) and, for
/// tiers that scrub, runs it through the scrubber.
fn clean_strings(node: &mut Value, cleaner: &mut Cleaner<'_>) {
    match node {
        // A date or time holds no free text (birth dates are masked as such).
        Value::String(text) if is_fhir_date(text) => {}
        Value::String(text) => {
            if let Some(cleaned) = cleaner.clean(text) {
                *text = cleaned;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|i| clean_strings(i, cleaner)),
        Value::Object(map) => {
            if map.contains_key("contentType") {
                clean_attachment(map, cleaner.attachments);
            }
            for (key, value) in map.iter_mut() {
                // The narrative is sanitised (and scrubbed) on its own;
                // attachment bytes are not text.
                if !is_machine_value(key, value) && key != "div" && key != "data" {
                    clean_strings(value, cleaner);
                }
            }
        }
        _ => {}
    }
}

/// What a tier gets of an attachment's bytes.
#[derive(Clone, Copy)]
enum Attachments<'s> {
    /// As they are, HTML sanitised.
    Keep,
    /// Text the chart can show (plain text, HTML, a CDA document) read into
    /// blocks, each scrubbed, kept as escaped HTML; other bytes and links go.
    Scrub(&'s Scrubber),
    /// None: dates in free text cannot be generalised reliably.
    Withhold,
}

/// An Attachment (any object with a `contentType`), as `mode` says. HTML
/// that cannot be read as text is dropped for every tier.
fn clean_attachment(map: &mut Map<String, Value>, mode: Attachments<'_>) {
    use base64::Engine as _;
    let engine = base64::engine::general_purpose::STANDARD;
    let content_type = map.get("contentType").and_then(Value::as_str);
    let is_html = content_type.and_then(textual_format) == Some(DocumentFormat::Html);
    let readable = readable(content_type, map.get("data").and_then(Value::as_str));
    let clean = match (mode, readable) {
        (Attachments::Withhold, _) | (Attachments::Scrub(_), None) => None,
        (Attachments::Scrub(scrubber), Some((format, text))) => {
            let blocks: Vec<DocBlock> = text_blocks(format, &text)
                .into_iter()
                .map(|block| scrub_block(block, scrubber))
                .collect();
            map.insert("contentType".into(), Value::String("text/html".into()));
            Some(blocks_to_html(&blocks))
        }
        (Attachments::Keep, Some((DocumentFormat::Html, text))) => Some(sanitize_html(&text)),
        // Other text is read as text by the chart; other bytes are not shown.
        (Attachments::Keep, _) if !is_html => return,
        (Attachments::Keep, _) => None,
    };
    if !matches!(mode, Attachments::Keep) {
        map.remove("url");
    }
    match clean {
        Some(clean) => {
            map.insert("data".into(), Value::String(engine.encode(clean)));
        }
        None => {
            map.remove("data");
        }
    }
}

fn scrub_block(block: DocBlock, scrubber: &Scrubber) -> DocBlock {
    let scrub = |text: &str| scrubber.scrub(text).into_owned();
    match block {
        DocBlock::Heading { text } => DocBlock::Heading { text: scrub(&text) },
        DocBlock::Paragraph { text } => DocBlock::Paragraph { text: scrub(&text) },
        DocBlock::Item { text } => DocBlock::Item { text: scrub(&text) },
        DocBlock::Row { cells } => {
            let each: Vec<String> = cells.iter().map(|c| scrub(c)).collect();
            // Something split across cells (an ID one part per cell) is
            // only found in the whole row: then the row becomes one cell.
            let joined = each.join(" ");
            let whole = scrub(&joined);
            if whole == joined {
                DocBlock::Row { cells: each }
            } else {
                DocBlock::Row { cells: vec![whole] }
            }
        }
    }
}

/// The `display` of every reference to a practitioner (an author, a
/// requester, a performer), masked as a name: the referenced resource may
/// not be in the history at all, and the display names them all the same.
fn mask_practitioner_references(node: &mut Value) {
    match node {
        Value::Array(items) => items.iter_mut().for_each(mask_practitioner_references),
        Value::Object(map) => {
            let reference = map
                .get("reference")
                .map(|r| serde_json::json!({ "reference": r }));
            let to_practitioner = reference
                .as_ref()
                .and_then(crate::fhir::reference_target)
                .is_some_and(|(ty, _)| PRACTITIONERS.contains(&ty));
            if to_practitioner {
                if let Some(Value::String(display)) = map.get_mut("display") {
                    *display = mask_name_text(display);
                }
            }
            map.values_mut().for_each(mask_practitioner_references);
        }
        _ => {}
    }
}

/// Every date and time in the record to the month.
fn generalise_dates(node: &mut Value) {
    match node {
        Value::String(text) if is_fhir_date(text) => {
            if let Some(month) = generalise_date(text, Precision::Month) {
                *text = month;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(generalise_dates),
        Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if !matches!(
                    key.as_str(),
                    "id" | "reference" | "system" | "code" | "url" | "version"
                ) {
                    generalise_dates(value);
                }
            }
        }
        _ => {}
    }
}

/// `YYYY-MM`, `YYYY-MM-DD` or a dateTime/instant: what FHIR dates look like.
fn is_fhir_date(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() >= 7
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && (b.len() == 7
            || (b.len() >= 10
                && b[7] == b'-'
                && b[8..10].iter().all(u8::is_ascii_digit)
                && (b.len() == 10 || b[10] == b'T')))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Grounds;
    use proptest::prelude::*;
    use serde_json::json;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    /// The one helper every table goes through: `records` as `tier` of the
    /// default policy sees them, as JSON text and as values.
    fn as_tier(tier: &str, records: &[Value], break_glass: bool) -> Masked {
        let policy = Policy::default_policy();
        let (tier_name, rules) = policy.tiers.get_key_value(tier).unwrap();
        let access = Access {
            tier_name,
            tier: rules,
            grounds: Grounds::Role,
            break_glass: break_glass && rules.break_glass,
        };
        mask_records(
            &policy,
            &access,
            records.to_vec(),
            KEY,
            &ScrubberCache::default(),
        )
    }

    fn zhang() -> Value {
        json!({
            "resourceType": "Patient", "id": "cn-0001",
            "name": [{ "use": "official", "family": "张", "given": ["伟"], "text": "张伟" }],
            "identifier": [
                { "system": "urn:oid:2.16.156.10011.1.1", "value": "11010519491231002X" },
                { "system": "urn:x:mrn", "value": "H168189619" }
            ],
            "telecom": [{ "system": "phone", "value": "13812345678", "use": "mobile" },
                        { "system": "phone", "value": "010-65123456", "use": "home" },
                        { "system": "email", "value": "zhangwei@example.cn" }],
            "address": [{ "text": "北京市朝阳区建国路95号4号楼", "line": ["建国路95号4号楼"], "city": "北京市", "district": "朝阳区", "postalCode": "100022" }],
            "birthDate": "1949-12-31",
            "contact": [{ "name": { "family": "李", "given": ["秀英"] }, "telecom": [{ "system": "phone", "value": "13900001111" }] }],
            "extension": [{ "url": "http://hl7.org/fhir/StructureDefinition/patient-mothersMaidenName", "valueString": "王" }],
            "photo": [{ "contentType": "image/png", "data": "iVBORw0KGgo=" }]
        })
    }

    fn note(text: &str) -> Value {
        json!({ "resourceType": "Condition", "id": "c1", "subject": { "reference": "Patient/cn-0001", "display": "张伟" },
                "code": { "text": "高血压" }, "note": [{ "text": text }], "recordedDate": "2024-03-15T08:30:00+08:00",
                "text": { "status": "generated", "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\"><p>患者<b>张</b>伟 {text}</p><script>alert(1)</script></div>") } })
    }

    fn at<'v>(value: &'v Value, pointer: &str) -> &'v Value {
        value.pointer(pointer).unwrap_or(&Value::Null)
    }

    #[test]
    fn each_tier_shows_the_patient_as_the_table_says() {
        let records = [zhang()];
        // (tier, JSON pointer into the Patient, expected)
        let cases = [
            ("treating", "/name/0/text", json!("张伟")),
            (
                "treating",
                "/identifier/0/value",
                json!("11010519491231002X"),
            ),
            ("treating", "/telecom/0/value", json!("13812345678")),
            ("clinician", "/name/0/family", json!("张")),
            ("clinician", "/name/0/given/0", json!("*")),
            ("clinician", "/name/0/text", json!("张*")),
            (
                "clinician",
                "/identifier/0/value",
                json!("110105********002X"),
            ),
            ("clinician", "/identifier/1/value", json!("******9619")),
            ("clinician", "/telecom/0/value", json!("138****5678")),
            ("clinician", "/telecom/1/value", json!("010-********")),
            ("clinician", "/telecom/2/value", json!("z***@example.cn")),
            ("clinician", "/address/0/text", json!("北京市朝阳区")),
            ("clinician", "/address/0/line", Value::Null),
            ("clinician", "/address/0/postalCode", Value::Null),
            ("clinician", "/address/0/district", json!("朝阳区")),
            ("clinician", "/birthDate", json!("1949")),
            ("clinician", "/contact/0/name/given/0", json!("**")),
            (
                "clinician",
                "/contact/0/telecom/0/value",
                json!("139****1111"),
            ),
            ("clinician", "/extension/0/valueString", json!(REDACTED)),
            ("clinician", "/extension/1", Value::Null),
            ("clinician", "/photo", Value::Null),
            (
                "deidentified",
                "/identifier/0/system",
                json!(PSEUDONYM_SYSTEM),
            ),
            ("deidentified", "/identifier/1", Value::Null),
            ("deidentified", "/telecom", Value::Null),
            ("deidentified", "/address", Value::Null),
            ("deidentified", "/contact", Value::Null),
            ("deidentified", "/birthDate", json!("1949")),
        ];
        for (tier, pointer, expected) in cases {
            let masked = as_tier(tier, &records, false);
            assert_eq!(
                at(&masked.records[0], pointer),
                &expected,
                "{tier} {pointer}"
            );
        }
    }

    #[test]
    fn people_contained_in_a_record_are_masked_too() {
        let observation = json!({ "resourceType": "Observation", "id": "o", "subject": { "reference": "Patient/cn-0001" },
            "contained": [{ "resourceType": "RelatedPerson", "id": "mum", "name": [{ "family": "李", "given": ["秀英"] }],
                            "telecom": [{ "system": "phone", "value": "13900002222" }] }],
            "performer": [{ "reference": "#mum" }] });
        let records = [zhang(), observation];
        let clinician = as_tier("clinician", &records, false);
        let mum = at(&clinician.records[1], "/contained/0");
        assert_eq!(at(mum, "/name/0/given/0"), "**");
        assert_eq!(at(mum, "/telecom/0/value"), "139****2222");
        let deidentified = as_tier("deidentified", &records, false);
        let mum = at(&deidentified.records[1], "/contained/0");
        assert!(at(mum, "/name/0/text").as_str().unwrap().starts_with("R-"));
        assert_eq!(at(mum, "/telecom"), &Value::Null);
        let treating = as_tier("treating", &records, false);
        assert_eq!(
            at(&treating.records[1], "/contained/0/name/0/given/0"),
            "秀英"
        );
    }

    #[test]
    fn the_pseudonym_is_stable_and_keyed() {
        let a = as_tier("deidentified", &[zhang()], false);
        let b = as_tier("deidentified", &[zhang()], false);
        let code = at(&a.records[0], "/identifier/0/value").clone();
        assert_eq!(code, *at(&b.records[0], "/identifier/0/value"));
        assert!(code.as_str().unwrap().starts_with("P-"));
        assert_eq!(at(&a.records[0], "/name/0/text"), &code);
        assert_eq!(
            code.as_str().unwrap(),
            format!("P-{}", pseudonym(KEY, "11010519491231002X")),
            "of the resident ID, so the same person has the same code on every platform"
        );
    }

    #[test]
    fn free_text_is_scrubbed_below_treating_and_kept_for_treating() {
        let text = "张伟 手机13812345678，身份证11010519491231002X，住建国路95号4号楼";
        let records = [zhang(), note(text)];
        let treating =
            serde_json::to_string(&as_tier("treating", &records, false).records[1]).unwrap();
        assert!(treating.contains("张伟 手机13812345678"), "{treating}");
        for tier in ["clinician", "deidentified"] {
            let masked = as_tier(tier, &records, false);
            let condition = serde_json::to_string(&masked.records[1]).unwrap();
            for secret in ["张伟", "13812345678", "11010519491231002X", "建国路95号"] {
                assert!(
                    !condition.contains(secret),
                    "{tier}: {secret} in {condition}"
                );
            }
            assert_eq!(
                at(&masked.records[1], "/code/text"),
                "高血压",
                "{tier}: clinical text stays"
            );
        }
    }

    #[test]
    fn narratives_are_sanitised_for_every_tier() {
        let records = [zhang(), note("ok")];
        for tier in ["treating", "clinician", "deidentified"] {
            let div = at(&as_tier(tier, &records, false).records[1], "/text/div")
                .as_str()
                .unwrap()
                .to_owned();
            assert!(
                !div.contains("<script") && !div.contains("alert(1)"),
                "{tier}: {div}"
            );
            assert!(div.contains("患者"), "{tier}: {div}");
        }
        let clinician = as_tier("clinician", &records, false);
        let div = at(&clinician.records[1], "/text/div").as_str().unwrap();
        assert!(
            !div.contains('伟'),
            "a name split by markup is still found: {div}"
        );
    }

    #[test]
    fn dates_are_generalised_for_the_deidentified_tier_only() {
        let records = [zhang(), note("ok")];
        assert_eq!(
            at(
                &as_tier("deidentified", &records, false).records[1],
                "/recordedDate"
            ),
            "2024-03"
        );
        assert_eq!(
            at(
                &as_tier("clinician", &records, false).records[1],
                "/recordedDate"
            ),
            "2024-03-15T08:30:00+08:00"
        );
    }

    fn labelled(system: &str, code: &str) -> Value {
        json!({ "resourceType": "Condition", "id": format!("c-{code}"), "subject": { "reference": "Patient/cn-0001" },
                "meta": { "security": [{ "system": system, "code": code }] } })
    }

    #[test]
    fn security_labels_seal_per_tier_and_break_the_glass_unseals() {
        let records = [
            zhang(),
            labelled(CONFIDENTIALITY, "R"),
            labelled(CONFIDENTIALITY, "V"),
            labelled(CONFIDENTIALITY, "N"),
            labelled(ACT_CODE, "HIV"),
            labelled(ACT_CODE, "PSY"),
            labelled("http://example.org/other", "V"),
            // A document labelled as R4 labels documents, not in its meta…
            json!({ "resourceType": "DocumentReference", "id": "v1",
                "securityLabel": [{ "coding": [{ "system": CONFIDENTIALITY, "code": "V" }] }] }),
            // …and a CDA document whose own header says so.
            json!({ "resourceType": "DocumentReference", "id": "v2",
                "content": [{ "attachment": { "contentType": "application/xml", "data": base64::Engine::encode(
                    &base64::engine::general_purpose::STANDARD,
                    "<ClinicalDocument><confidentialityCode code=\"V\"/><component><structuredBody/></component></ClinicalDocument>") } }] }),
        ];
        // (tier, break the glass, how many sealed)
        let cases = [
            ("treating", false, 3),
            ("treating", true, 0),
            ("clinician", false, 6),
            ("clinician", true, 0),
            ("deidentified", false, 6),
            ("deidentified", true, 6),
        ];
        for (tier, glass, sealed) in cases {
            let masked = as_tier(tier, &records, glass);
            assert_eq!(masked.sealed, sealed, "{tier} glass={glass}");
            assert_eq!(
                masked.records.len(),
                records.len() - sealed as usize,
                "{tier}"
            );
        }
    }

    #[test]
    fn scrub_tiers_get_document_text_scrubbed_and_no_other_bytes() {
        use base64::Engine as _;
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        let doc = json!({ "resourceType": "DocumentReference", "id": "d", "subject": { "reference": "Patient/cn-0001" },
            "content": [
                { "attachment": { "contentType": "text/html", "data": b64("<h1>出院小结</h1><p>患者张伟，病情稳定</p>"), "title": "出院小结" } },
                { "attachment": { "contentType": "text/plain; charset=utf-8", "data": b64("张伟 手机 13800138000\n血压平稳"), "url": "https://hie.example/doc/1" } },
                { "attachment": { "contentType": "application/pdf", "data": b64("%PDF-1.7 张伟"), "url": "https://hie.example/doc/2" } },
            ] });
        let records = [zhang(), doc];
        let decoded = |record: &Value, i: usize| {
            let data = at(record, &format!("/content/{i}/attachment/data"))
                .as_str()
                .unwrap();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap(),
            )
            .unwrap()
        };
        let clinician = as_tier("clinician", &records, false);
        let doc = &clinician.records[1];
        let html = decoded(doc, 0);
        assert!(
            html.contains("<h3>出院小结</h3>") && html.contains("病情稳定"),
            "{html}"
        );
        assert!(!html.contains("张伟"), "{html}");
        let text = decoded(doc, 1);
        assert!(
            text.contains("血压平稳") && !text.contains("张伟") && !text.contains("13800138000"),
            "{text}"
        );
        assert_eq!(at(doc, "/content/1/attachment/contentType"), "text/html");
        for gone in [
            "/content/1/attachment/url",
            "/content/2/attachment/data",
            "/content/2/attachment/url",
        ] {
            assert_eq!(at(doc, gone), &Value::Null, "{gone}");
        }
        assert_eq!(at(doc, "/content/0/attachment/title"), "出院小结");

        let treating = as_tier("treating", &records, false);
        assert!(decoded(&treating.records[1], 0).contains("张伟"));
        assert!(decoded(&treating.records[1], 2).starts_with("%PDF"));

        // Dates in free text cannot be generalised: the deidentified tier
        // gets no document text at all.
        let deidentified = as_tier("deidentified", &records, false);
        for i in 0..3 {
            let data = format!("/content/{i}/attachment/data");
            assert_eq!(at(&deidentified.records[1], &data), &Value::Null, "{data}");
        }
    }

    #[test]
    fn practitioner_names_in_references_are_masked_where_the_tier_masks_them() {
        let note = json!({ "resourceType": "DocumentReference", "id": "d", "subject": { "reference": "Patient/cn-0001" },
            "author": [{ "reference": "Practitioner/pr-1", "display": "王毅" }],
            "custodian": { "reference": "Organization/h1", "display": "北京市第一人民医院" } });
        let records = [zhang(), note];
        let deidentified = as_tier("deidentified", &records, false);
        assert_eq!(at(&deidentified.records[1], "/author/0/display"), "王*");
        assert_eq!(
            at(&deidentified.records[1], "/custodian/display"),
            "北京市第一人民医院"
        );
        let clinician = as_tier("clinician", &records, false);
        assert_eq!(at(&clinician.records[1], "/author/0/display"), "王毅");
    }

    /// Every payload as a narrative, a note, a display string and an HTML
    /// attachment, for each tier: nothing executable comes out.
    #[test]
    fn hostile_html_survives_no_tier_in_any_place() {
        use crate::sanitize::tests::{
            assert_markup_free, assert_only_allowed_markup, xss_fixtures, FAMILIES,
        };
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut payloads = xss_fixtures();
        assert!(payloads.len() > 250, "the XSS fixtures were read");
        payloads.extend(FAMILIES.iter().map(|(_, p)| (*p).to_owned()));
        for payload in &payloads {
            let records = [
                zhang(),
                json!({ "resourceType": "Condition", "id": "c", "subject": { "reference": "Patient/cn-0001" },
                        "code": { "text": payload, "coding": [{ "display": payload }] },
                        "note": [{ "text": payload }],
                        "text": { "div": format!("<div xmlns=\"http://www.w3.org/1999/xhtml\">{payload}</div>") } }),
                json!({ "resourceType": "DocumentReference", "id": "d", "subject": { "reference": "Patient/cn-0001" },
                        "content": [{ "attachment": { "contentType": "text/html", "data": b64.encode(payload) } }] }),
            ];
            for tier in ["treating", "clinician", "deidentified"] {
                let masked = as_tier(tier, &records, false);
                let (condition, document) = (&masked.records[1], &masked.records[2]);
                assert_only_allowed_markup(at(condition, "/text/div").as_str().unwrap(), payload);
                for pointer in ["/code/text", "/code/coding/0/display", "/note/0/text"] {
                    assert_markup_free(at(condition, pointer).as_str().unwrap_or(""), payload);
                }
                if let Some(data) = at(document, "/content/0/attachment/data").as_str() {
                    let html = String::from_utf8(b64.decode(data).unwrap()).unwrap();
                    assert_only_allowed_markup(&html, payload);
                }
            }
        }
    }

    /// Generated identities: a Chinese or Western name, a valid resident ID
    /// and a mobile number.
    fn identity() -> impl Strategy<Value = (String, String, String, String)> {
        let chinese = (
            prop::sample::select(vec!["张", "王", "李", "欧阳", "司马", "赵"]),
            "[伟芳娜秀英敏静丽强磊军洋勇艳杰]{2,3}",
        );
        let western = ("[A-Z][a-z]{3,8}[0-9]{0,3}", "[A-Z][a-z]{3,8}[0-9]{0,3}");
        let name = prop_oneof![
            chinese.prop_map(|(f, g)| (f.to_owned(), g)),
            western.prop_map(|(f, g)| (f, g)),
        ];
        (
            name,
            1930u32..2020,
            1u32..13,
            1u32..29,
            0u32..1000,
            "1[3-9][0-9]{9}",
        )
            .prop_map(|((family, given), y, m, d, seq, mobile)| {
                let body = format!("110105{y:04}{m:02}{d:02}{seq:03}");
                let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
                let sum: u32 = body
                    .chars()
                    .zip(weights)
                    .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
                    .sum();
                let check =
                    ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
                (family, given, format!("{body}{check}"), mobile)
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn no_masked_tier_lets_a_name_id_or_phone_through((family, given, id, mobile) in identity()) {
            let chinese = ops::is_chinese_name(&family);
            let full = if chinese { format!("{family}{given}") } else { format!("{given} {family}") };
            let patient = json!({
                "resourceType": "Patient", "id": "p1",
                "name": [{ "family": family, "given": [given], "text": full }],
                "identifier": [{ "value": id }],
                "telecom": [{ "system": "phone", "value": mobile }],
            });
            let text = format!("Seen {full} today; call {mobile}; ID {id}.");
            let condition = json!({ "resourceType": "Condition", "id": "c", "subject": { "reference": "Patient/p1", "display": full },
                "note": [{ "text": text }], "text": { "div": format!("<div><p>{full}</p><i>{mobile}</i></div>") } });
            for tier in ["clinician", "deidentified"] {
                let out = serde_json::to_string(&as_tier(tier, &[patient.clone(), condition.clone()], false).records).unwrap();
                for secret in [&full, &id, &mobile] {
                    prop_assert!(!out.contains(secret.as_str()), "{} leaked {} in {}", tier, secret, out);
                }
            }
        }
    }
}

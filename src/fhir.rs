//! Small, lenient readers over FHIR R4 JSON (`serde_json::Value`). Real data
//! from many hospitals is uneven: every reader returns `Option` and never
//! panics on a missing or oddly typed element.

use serde_json::Value;

pub(crate) fn str_field<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key)?.as_str().filter(|s| !s.trim().is_empty())
}

pub(crate) fn owned(v: &Value, key: &str) -> Option<String> {
    str_field(v, key).map(str::to_owned)
}

pub(crate) fn array<'a>(v: &'a Value, key: &str) -> impl Iterator<Item = &'a Value> {
    v.get(key).and_then(Value::as_array).into_iter().flatten()
}

pub(crate) fn resource_type(v: &Value) -> Option<&str> {
    str_field(v, "resourceType")
}

pub(crate) fn id(v: &Value) -> Option<&str> {
    str_field(v, "id")
}

/// `text`, else the first coding's `display`, else its `code`.
pub(crate) fn concept_text(cc: &Value) -> Option<String> {
    if let Some(text) = str_field(cc, "text") {
        return Some(text.to_owned());
    }
    let codings: Vec<&Value> = array(cc, "coding").collect();
    codings
        .iter()
        .find_map(|c| str_field(c, "display"))
        .or_else(|| codings.iter().find_map(|c| str_field(c, "code")))
        .map(str::to_owned)
}

/// The first coding's code.
pub(crate) fn concept_code(cc: &Value) -> Option<String> {
    array(cc, "coding").find_map(|c| owned(c, "code"))
}

/// Whether a CodeableConcept holds `code` (in any system).
pub(crate) fn concept_has_code(cc: &Value, code: &str) -> bool {
    array(cc, "coding").any(|c| str_field(c, "code") == Some(code))
}

/// The `(type, id)` a relative or absolute literal reference points at.
pub(crate) fn reference_target(reference: &Value) -> Option<(&str, &str)> {
    let r = str_field(reference, "reference")?;
    let r = r.split(['?', '#']).next()?;
    let mut parts = r.rsplit('/');
    let mut id = parts.next()?;
    let mut ty = parts.next()?;
    if ty == "_history" {
        // Type/id/_history/version
        id = parts.next()?;
        ty = parts.next()?;
    }
    Some((ty, id))
}

pub(crate) fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FA1F)
}

/// A display name from a list of HumanName: the official one if marked,
/// `text` if given, else family and given names in the order the script
/// expects (张伟 / Adán Portillo).
pub(crate) fn human_name(names: Option<&Value>) -> Option<String> {
    let names = names?.as_array()?;
    let name = names
        .iter()
        .find(|n| str_field(n, "use") == Some("official"))
        .or_else(|| names.iter().find(|n| str_field(n, "use") != Some("old")))?;
    if let Some(text) = str_field(name, "text") {
        return Some(text.to_owned());
    }
    let family = str_field(name, "family").unwrap_or("");
    let given: Vec<&str> = array(name, "given").filter_map(Value::as_str).collect();
    let cjk = family
        .chars()
        .chain(given.iter().flat_map(|g| g.chars()))
        .any(is_cjk);
    let joined = if cjk {
        format!("{family}{}", given.concat())
    } else {
        let mut parts = given;
        if !family.is_empty() {
            parts.push(family);
        }
        parts.join(" ")
    };
    let joined = joined.trim().to_owned();
    (!joined.is_empty()).then_some(joined)
}

/// The first of `dateTime`-like choices present, e.g. `effective[x]`.
pub(crate) fn date_choice(v: &Value, prefix: &str) -> Option<String> {
    owned(v, &format!("{prefix}DateTime"))
        .or_else(|| owned(v, &format!("{prefix}Instant")))
        .or_else(|| {
            v.get(format!("{prefix}Period"))
                .and_then(|p| owned(p, "start"))
        })
        .or_else(|| owned(v, &format!("{prefix}Date")))
        .or_else(|| owned(v, &format!("{prefix}String")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn human_name_orders_by_script() {
        let cases = [
            (json!([{"family": "张", "given": ["伟"]}]), Some("张伟")),
            (
                json!([{"family": "欧阳", "given": ["娜娜"]}]),
                Some("欧阳娜娜"),
            ),
            (
                json!([{"family": "Portillo", "given": ["Adán"], "prefix": ["Mr."]}]),
                Some("Adán Portillo"),
            ),
            (
                json!([{"use": "old", "family": "Old"}, {"use": "official", "text": "New Name"}]),
                Some("New Name"),
            ),
            (
                json!([{"given": ["Peter", "James"], "family": "Chalmers"}]),
                Some("Peter James Chalmers"),
            ),
            (json!([{}]), None),
            (json!("not a list"), None),
        ];
        for (input, expected) in cases {
            assert_eq!(human_name(Some(&input)).as_deref(), expected, "{input}");
        }
    }

    #[test]
    fn reference_target_reads_relative_absolute_and_versioned() {
        let cases = [
            ("Organization/abc", Some(("Organization", "abc"))),
            (
                "https://hie.example/fhir/Encounter/e1",
                Some(("Encounter", "e1")),
            ),
            ("Patient/p1/_history/3", Some(("Patient", "p1"))),
            ("urn:uuid:1234", None),
            ("", None),
        ];
        for (input, expected) in cases {
            assert_eq!(
                reference_target(&json!({ "reference": input })),
                expected,
                "{input}"
            );
        }
    }
}

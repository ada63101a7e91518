//! The small path language of the policy's masking rules:
//! `Patient.contact.telecom`, `Patient.extension('http://…/patient-birthPlace')`.
//! A path starts with a resource type; each step names an element (arrays
//! are stepped through), and `extension('url')` / `modifierExtension('url')`
//! select the extensions with that URL.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Path {
    resource_type: String,
    steps: Vec<Step>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Step {
    element: String,
    /// Only extensions with this URL.
    url: Option<String>,
}

impl Path {
    /// Parses a path; the error says what is wrong, for the policy's message.
    pub(crate) fn parse(text: &str) -> Result<Path, String> {
        let mut rest = text.trim();
        let mut parts = Vec::new();
        while !rest.is_empty() {
            let end = rest.find(['.', '(']).unwrap_or(rest.len());
            let name = &rest[..end];
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                return Err(format!("{text:?}: expected an element name at {rest:?}"));
            }
            rest = &rest[end..];
            let mut url = None;
            if let Some(args) = rest.strip_prefix("('") {
                let close = args
                    .find("')")
                    .ok_or_else(|| format!("{text:?}: unclosed ('…')"))?;
                if !name.ends_with("xtension") {
                    return Err(format!("{text:?}: only extensions can be selected by URL"));
                }
                url = Some(args[..close].to_owned());
                rest = &args[close + 2..];
            }
            parts.push(Step {
                element: name.to_owned(),
                url,
            });
            match rest.strip_prefix('.') {
                Some("") => return Err(format!("{text:?}: ends with a dot")),
                Some(after) => rest = after,
                None if rest.is_empty() => {}
                None => return Err(format!("{text:?}: unexpected {rest:?}")),
            }
        }
        let mut steps = parts.into_iter();
        let first = steps
            .next()
            .ok_or_else(|| format!("{text:?}: empty path"))?;
        if first.url.is_some() || !first.element.starts_with(|c: char| c.is_ascii_uppercase()) {
            return Err(format!("{text:?}: must start with a resource type"));
        }
        let steps: Vec<Step> = steps.collect();
        if steps.is_empty() {
            return Err(format!("{text:?}: names no element"));
        }
        Ok(Path {
            resource_type: first.element,
            steps,
        })
    }

    /// Applies `change` to every element the path selects in `resource`;
    /// returning `false` from `change` removes that element.
    pub(crate) fn apply(&self, resource: &mut Value, change: &mut dyn FnMut(&mut Value) -> bool) {
        if crate::fhir::resource_type(resource) != Some(self.resource_type.as_str()) {
            return;
        }
        visit(resource, &self.steps, change);
    }
}

fn visit(node: &mut Value, steps: &[Step], change: &mut dyn FnMut(&mut Value) -> bool) {
    let Some((step, rest)) = steps.split_first() else {
        return;
    };
    let Some(object) = node.as_object_mut() else {
        return;
    };
    let selected = |item: &Value| {
        step.url
            .as_deref()
            .is_none_or(|url| crate::fhir::str_field(item, "url") == Some(url))
    };
    let Some(child) = object.get_mut(&step.element) else {
        return;
    };
    if rest.is_empty() {
        match child {
            Value::Array(items) => {
                items.retain_mut(|item| !selected(item) || change(item));
                // An element is absent, never an empty array, in FHIR JSON.
                if items.is_empty() {
                    object.remove(&step.element);
                }
            }
            single => {
                if selected(single) && !change(single) {
                    object.remove(&step.element);
                }
            }
        }
        return;
    }
    match child {
        Value::Array(items) => {
            for item in items.iter_mut().filter(|item| selected(item)) {
                visit(item, rest, change);
            }
        }
        single if selected(single) => visit(single, rest, change),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_parse_or_say_why_not() {
        let ok = [
            "Patient.photo",
            "Patient.contact.telecom",
            "Patient.extension('http://hl7.org/fhir/StructureDefinition/patient-birthPlace')",
            "Patient.extension('http://x/y').valueString",
        ];
        for text in ok {
            assert!(Path::parse(text).is_ok(), "{text}");
        }
        let bad = [
            ("", "empty"),
            ("Patient", "names no element"),
            ("patient.name", "resource type"),
            ("Patient..name", "element name"),
            ("Patient.name.", "ends with a dot"),
            ("Patient.extension('http://x", "unclosed"),
            ("Patient.name('x')", "only extensions"),
            ("Patient.name[0]", "element name"),
        ];
        for (text, why) in bad {
            let err = Path::parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn a_path_selects_through_arrays_and_extension_urls() {
        let mut patient = json!({
            "resourceType": "Patient",
            "contact": [{ "telecom": [{ "value": "1" }, { "value": "2" }] }, { "telecom": { "value": "3" } }],
            "extension": [
                { "url": "http://x/maiden", "valueString": "Smith" },
                { "url": "http://x/other", "valueString": "keep" }
            ],
            "photo": [{ "data": "…" }]
        });
        let mut seen = Vec::new();
        Path::parse("Patient.contact.telecom")
            .unwrap()
            .apply(&mut patient, &mut |v| {
                seen.push(v["value"].clone());
                true
            });
        assert_eq!(seen, [json!("1"), json!("2"), json!("3")]);

        Path::parse("Patient.extension('http://x/maiden')")
            .unwrap()
            .apply(&mut patient, &mut |_| false);
        Path::parse("Patient.photo")
            .unwrap()
            .apply(&mut patient, &mut |_| false);
        assert_eq!(
            patient["extension"],
            json!([{ "url": "http://x/other", "valueString": "keep" }])
        );
        assert!(patient.get("photo").is_none(), "no empty array left behind");

        let mut other = json!({ "resourceType": "Observation", "photo": 1 });
        Path::parse("Patient.photo")
            .unwrap()
            .apply(&mut other, &mut |_| false);
        assert_eq!(other["photo"], 1, "another resource type is left alone");
    }
}

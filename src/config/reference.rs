//! The config's own description, made from the code: the doc comments and
//! defaults of the types in this module's parent, through their JSON schema.
//! `chartguard --print-default-config` prints it as a commented TOML file,
//! and docs/config.md is the same as Markdown; a test fails when the page
//! and the code differ, so neither can drift.

use serde_json::Value as Json;

use super::{Config, USER_KEYS};

/// One table of the config file.
struct Section {
    name: String,
    doc: String,
    keys: Vec<Key>,
}

/// One key of a table.
struct Key {
    name: String,
    doc: String,
    kind: String,
    required: bool,
    per_user: bool,
    /// What the key is when the file does not set it, as TOML.
    default: Option<String>,
    /// For keys that are unset by default: what a value looks like.
    example: Option<String>,
}

/// The config file `--print-default-config` writes: every key, with what
/// it does, at its default (keys unset by default commented out, with an
/// example); the required keys at the demo's values.
pub(crate) fn default_config_toml() -> String {
    let mut out = format!(
        "# ChartGuard configuration (chartguard {}), every key at its default.\n\
         #\n\
         # The machine-wide file IT deploys:\n\
         #   Linux    /etc/chartguard/config.toml\n\
         #   Windows  %ProgramData%\\ChartGuard\\config.toml\n\
         #   macOS    /Library/Application Support/ChartGuard/config.toml\n\
         # A key ChartGuard does not know, or a value it cannot use, stops it\n\
         # with the file, the key and the line. Check a workstation with\n\
         #   chartguard --check\n\
         # Keys commented out are unset by default; the value shows the form.\n",
        env!("CARGO_PKG_VERSION")
    );
    for section in sections() {
        out.push('\n');
        out.push_str(&comment(&section.doc));
        out.push_str(&format!("[{}]\n", section.name));
        for key in &section.keys {
            out.push_str(&comment(&key.doc));
            out.push_str(&format!("# ({})\n", key.facts().join("; ")));
            match (&key.default, &key.example) {
                (Some(value), _) => out.push_str(&format!("{} = {value}\n", key.name)),
                (None, Some(example)) => out.push_str(&format!("# {} = {example}\n", key.name)),
                (None, None) => out.push_str(&format!("# {} =\n", key.name)),
            }
        }
    }
    out
}

/// docs/config.md (made by its test).
#[cfg(test)]
fn reference_markdown() -> String {
    let mut out = String::from(
        "# Configuration reference\n\n\
         Every key of `config.toml`, made from the code: a test fails when this\n\
         page and the code differ (regenerate it with\n\
         `UPDATE_DOCS=1 cargo test --lib config::reference`).\n\
         `chartguard --print-default-config` prints the same as a commented\n\
         file to start from. Where the file goes, how users may override keys\n\
         and how to check a workstation: [the IT guide](it-guide.md).\n\n\
         Where a default depends on the OS, this page shows Linux's (the\n\
         description says what differs).\n",
    );
    for section in sections() {
        out.push_str(&format!(
            "\n## `[{}]`\n\n{}\n\n",
            section.name,
            paragraph(&section.doc)
        ));
        for key in &section.keys {
            let mut facts = key.facts();
            match (&key.default, &key.example) {
                (Some(value), _) if key.required => {
                    facts.push(format!("the built-in demo config has `{value}`"))
                }
                (Some(value), _) => facts.push(format!("default `{value}`")),
                (None, Some(example)) => facts.push(format!("unset by default; e.g. `{example}`")),
                (None, None) => facts.push("unset by default".into()),
            }
            out.push_str(&format!(
                "- **`{}`** ({}).\n  {}\n",
                key.name,
                facts.join("; "),
                paragraph(&key.doc)
            ));
        }
    }
    out
}

/// The tables in the order IT reads them: the required ones first, the
/// development one last, the others by name.
fn sections() -> Vec<Section> {
    let schema = serde_json::to_value(schemars::schema_for!(Config)).unwrap_or_default();
    let defaults = serde_json::to_value(Config::demo()).unwrap_or_default();
    let required = names(&schema["required"]);
    let mut sections: Vec<Section> = properties(&schema)
        .map(|(name, property)| {
            let definition = resolve(&schema, property);
            let required_keys = names(&definition["required"]);
            Section {
                doc: text(property)
                    .or_else(|| text(definition))
                    .unwrap_or_default(),
                keys: properties(definition)
                    .map(|(key, property)| {
                        describe(
                            &schema,
                            (name, key),
                            property,
                            &defaults[name][key],
                            &required_keys,
                        )
                    })
                    .collect(),
                name: name.clone(),
            }
        })
        .collect();
    let rank = |name: &String| {
        required
            .iter()
            .position(|r| r == name)
            .unwrap_or(required.len())
    };
    sections.sort_by_key(|s| (rank(&s.name), s.name == "dev", s.name.clone()));
    sections
}

impl Key {
    /// What kind of value, whether required, whether users may set it.
    fn facts(&self) -> Vec<String> {
        let mut facts = vec![self.kind.clone()];
        if self.required {
            facts.push("required".into());
        }
        if self.per_user {
            facts.push("users may set it where overrides.allow lists it".into());
        }
        facts
    }
}

fn describe(
    schema: &Json,
    (section, name): (&str, &str),
    property: &Json,
    default: &Json,
    required: &[String],
) -> Key {
    let example = property["examples"].get(0).map(toml_value);
    Key {
        name: name.to_owned(),
        doc: text(property).unwrap_or_default(),
        kind: kind(schema, property),
        required: required.iter().any(|r| r == name),
        per_user: USER_KEYS.contains(&format!("{section}.{name}").as_str()),
        // A key with an example is unset by default (the demo's CA bundle
        // is this computer's, not a default).
        default: match (&example, default) {
            (None, value) if !value.is_null() => Some(toml_value(value)),
            _ => None,
        },
        example,
    }
}

/// What kind of value a key takes, for the reference.
fn kind(schema: &Json, property: &Json) -> String {
    let choices = |definition: &Json| -> Option<String> {
        let values: Vec<String> = match (&definition["enum"], &definition["oneOf"]) {
            (Json::Array(values), _) => values
                .iter()
                .map(|v| format!("`{}`", toml_value(v)))
                .collect(),
            (_, Json::Array(variants)) => variants
                .iter()
                .map(|v| format!("`{}`", toml_value(&v["const"])))
                .collect(),
            _ => return None,
        };
        Some(format!("one of {}", values.join(", ")))
    };
    let resolved = resolve(schema, property);
    if let Some(choices) = choices(resolved) {
        return choices;
    }
    let scalar = |json: &Json| match json.as_str() {
        Some("boolean") => "true or false",
        Some("integer") => "a whole number",
        _ => "text",
    };
    match &resolved["type"] {
        Json::String(t) if t == "array" => {
            let items = resolve(schema, &resolved["items"]);
            let element = choices(items).unwrap_or_else(|| scalar(&items["type"]).to_owned());
            format!("a list, each {element}")
        }
        Json::Array(types) => {
            scalar(types.iter().find(|t| *t != "null").unwrap_or(&Json::Null)).to_owned()
        }
        other => scalar(other).to_owned(),
    }
}

fn resolve<'a>(schema: &'a Json, property: &'a Json) -> &'a Json {
    match property["$ref"]
        .as_str()
        .and_then(|r| r.strip_prefix("#/$defs/"))
    {
        Some(name) => &schema["$defs"][name],
        None => property,
    }
}

/// By name: the map's own order depends on whether some crate in the
/// build switched on serde_json's `preserve_order`.
fn properties(definition: &Json) -> impl Iterator<Item = (&String, &Json)> {
    let mut all: Vec<_> = definition["properties"]
        .as_object()
        .into_iter()
        .flatten()
        .collect();
    all.sort_by_key(|(name, _)| name.as_str());
    all.into_iter()
}

fn names(list: &Json) -> Vec<String> {
    list.as_array()
        .into_iter()
        .flatten()
        .filter_map(|n| n.as_str().map(str::to_owned))
        .collect()
}

fn text(json: &Json) -> Option<String> {
    json["description"].as_str().map(str::to_owned)
}

fn toml_value(json: &Json) -> String {
    toml::Value::try_from(json).map_or_else(|_| json.to_string(), |v| v.to_string())
}

fn comment(doc: &str) -> String {
    doc.lines().map(|line| format!("# {line}\n")).collect()
}

#[cfg(test)]
fn paragraph(doc: &str) -> String {
    doc.lines().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key has either a default or an example; the printed default
    /// parses strictly and is the built-in default; uncommenting every
    /// example still parses.
    #[test]
    fn the_printed_default_is_the_default() {
        for section in sections() {
            for key in &section.keys {
                assert!(
                    key.default.is_some() || key.example.is_some(),
                    "{}.{} has neither a default nor an example",
                    section.name,
                    key.name
                );
                assert!(
                    !key.doc.is_empty(),
                    "{}.{} has no doc comment",
                    section.name,
                    key.name
                );
            }
            assert!(
                !section.doc.is_empty(),
                "[{}] has no doc comment",
                section.name
            );
        }
        let printed = default_config_toml();
        let parsed = Config::from_toml(&printed).expect("the printed default parses");
        // What serde makes of a file with only the required keys.
        let demo = Config::demo();
        let minimal = Config::from_toml(&format!(
            "[platform]\nbase_url = \"{}\"\n[idp]\nissuer = \"{}\"\nclient_id = \"{}\"\n",
            demo.platform.base_url, demo.idp.issuer, demo.idp.client_id
        ))
        .unwrap();
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            serde_json::to_value(&minimal).unwrap()
        );
        let examples = regex::Regex::new(r"(?m)^# ([a-z_]+ = )").unwrap();
        let uncommented = examples.replace_all(&printed, "$1");
        assert_ne!(uncommented, printed);
        let config = Config::from_toml(&uncommented).expect("every example parses");
        assert_eq!(config.ui.locale.as_deref(), Some("zh-CN"));
    }

    #[test]
    fn every_user_key_is_a_key() {
        let keys: Vec<String> = sections()
            .iter()
            .flat_map(|s| s.keys.iter().map(move |k| format!("{}.{}", s.name, k.name)))
            .collect();
        for user_key in USER_KEYS {
            assert!(keys.iter().any(|k| k == user_key), "{user_key}");
        }
    }

    #[test]
    fn docs_config_md_is_made_from_the_code() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/config.md");
        let generated = reference_markdown();
        if std::env::var_os("UPDATE_DOCS").is_some() {
            std::fs::write(&path, &generated).unwrap();
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        let differs = committed
            .lines()
            .zip(generated.lines())
            .find(|(old, new)| old != new);
        assert!(
            committed == generated,
            "docs/config.md differs from the code (first: {differs:?}): \
             run UPDATE_DOCS=1 cargo test --lib config::reference"
        );
    }
}

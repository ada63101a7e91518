//! Where the config comes from, and errors that name the file, the key and
//! the line.
//!
//! Lookup: the machine-wide file at the OS's standard place; where there is
//! none (a test machine, the demo), the file named by `CHARTGUARD_CONFIG`,
//! else the embedded default, which points at the demo regional platform
//! on loopback. A user cannot step around a deployed machine config with
//! the variable. Over it, the user's own file, for exactly the keys the
//! machine's `[overrides] allow` lists.

use std::ops::Range;
use std::path::{Path, PathBuf};

use super::{Config, Invalid};
use crate::error::{Error, Result};

/// Environment variable naming the config file to use on a computer
/// without a machine-wide one (tests, the demo).
pub const CONFIG_ENV: &str = "CHARTGUARD_CONFIG";

impl Config {
    /// Loads the config from the first place that has one, with the user's
    /// overrides (see module docs).
    pub fn load() -> Result<Config> {
        let user = user_config_path().filter(|path| path.exists());
        Config::from_files(machine_source().as_deref(), user.as_deref())
    }

    /// Where [`Config::load`] reads from, for IT's messages.
    pub fn source() -> String {
        let machine = match (machine_source(), machine_config_path().exists()) {
            (Some(path), false) => format!("{} (from {CONFIG_ENV})", path.display()),
            (Some(path), true) => path.display().to_string(),
            (None, _) => "the built-in demo config (no machine config)".to_owned(),
        };
        match user_config_path().filter(|path| path.exists()) {
            Some(user) => format!("{machine}, with a user file {}", user.display()),
            None => machine,
        }
    }

    /// The machine file (`None`: the embedded default) with the user file
    /// over it. Files the config names (CA bundle, font) must be readable.
    pub fn from_files(machine: Option<&Path>, user: Option<&Path>) -> Result<Config> {
        if let Some(path) = machine {
            writable_by_administrators_only(path)?;
        }
        let machine = machine.map(Layer::read).transpose()?;
        let user = user.map(Layer::read).transpose()?;
        let Some(user) = user else {
            return match machine {
                Some(layer) => {
                    let config = layer.parse()?;
                    config
                        .check_files()
                        .map_err(|invalid| layer.invalid(&invalid))?;
                    Ok(config)
                }
                None => Ok(Config::demo()),
            };
        };
        let (mut config, mut table, machine) = match machine {
            Some(layer) => (layer.parse()?, layer.table()?, layer),
            None => {
                let demo = Config::demo();
                let table = toml::Table::try_from(&demo)
                    .map_err(|_| Error::Internal("the demo config as TOML"))?;
                (demo, table, Layer::default())
            }
        };
        let overridden = user.overlay(&mut config, &mut table)?;
        let layer_of = |key: &str| match overridden.iter().any(|k| k == key) {
            true => &user,
            false => &machine,
        };
        // The demo's CA exists once the demo platform has started.
        let deployed = machine.path.is_some();
        config
            .validate()
            .and_then(|()| match deployed {
                true => config.check_files(),
                false => Ok(()),
            })
            .map_err(|invalid| layer_of(invalid.key).invalid(&invalid))?;
        Ok(config)
    }

    /// Parses and validates config text; errors name the key and the line.
    /// Files it names are read only when they are used.
    pub fn from_toml(text: &str) -> Result<Config> {
        Layer {
            path: None,
            text: text.to_owned(),
        }
        .parse()
    }
}

/// The file [`Config::load`] starts from, if any.
fn machine_source() -> Option<PathBuf> {
    let machine = machine_config_path();
    if machine.exists() {
        return Some(machine);
    }
    std::env::var_os(CONFIG_ENV).map(PathBuf::from)
}

/// A machine config that any local user can change would let them point
/// ChartGuard at another platform or CA: refused. Unix only; on Windows
/// the folder's ACL is IT's to set (the IT guide says how).
fn writable_by_administrators_only(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {}", path.display(), e.kind())))?
            .permissions()
            .mode();
        if mode & 0o002 != 0 {
            return Err(Error::Config(format!(
                "{}: anyone on this computer can change it; make it writable by \
                 administrators only (chmod o-w)",
                path.display()
            )));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The machine-wide config file IT deploys.
pub fn machine_config_path() -> PathBuf {
    if cfg!(windows) {
        let base = std::env::var_os("ProgramData").unwrap_or_else(|| r"C:\ProgramData".into());
        PathBuf::from(base).join("ChartGuard").join("config.toml")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/ChartGuard/config.toml")
    } else {
        PathBuf::from("/etc/chartguard/config.toml")
    }
}

/// A user's own config file: `~/.config/chartguard/config.toml` (Linux,
/// `$XDG_CONFIG_HOME` honoured), `%APPDATA%\ChartGuard\config.toml`
/// (Windows), `~/Library/Application Support/ChartGuard/config.toml` (macOS).
pub fn user_config_path() -> Option<PathBuf> {
    let folder = match cfg!(any(windows, target_os = "macos")) {
        true => "ChartGuard",
        false => "chartguard",
    };
    dirs::config_dir().map(|dir| dir.join(folder).join("config.toml"))
}

/// One config file's text, and where it came from for messages.
#[derive(Default)]
struct Layer {
    path: Option<PathBuf>,
    text: String,
}

impl Layer {
    fn read(path: &Path) -> Result<Layer> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {}", path.display(), e.kind())))?;
        Ok(Layer {
            path: Some(path.to_owned()),
            text,
        })
    }

    fn parse(&self) -> Result<Config> {
        let config: Config = toml::from_str(&self.text).map_err(|e| self.toml_error(&e))?;
        config
            .validate()
            .map_err(|invalid| self.invalid(&invalid))?;
        Ok(config)
    }

    fn table(&self) -> Result<toml::Table> {
        toml::from_str(&self.text).map_err(|e| self.toml_error(&e))
    }

    /// Sets each key of this (user) file over `table`, refusing keys the
    /// machine config does not allow; the keys set.
    fn overlay(&self, config: &mut Config, table: &mut toml::Table) -> Result<Vec<String>> {
        let mut set = Vec::new();
        for (key, value) in leaves(&self.table()?, "") {
            if !config.overrides.allow.contains(&key) {
                return Err(self.error_at(
                    &key,
                    "this computer's config does not let users set this key (overrides.allow)",
                ));
            }
            insert(table, &key, value);
            *config = toml::Value::Table(table.clone())
                .try_into()
                .map_err(|e: toml::de::Error| self.error_at(&key, e.message()))?;
            set.push(key);
        }
        Ok(set)
    }

    fn invalid(&self, invalid: &Invalid) -> Error {
        self.error_at(invalid.key, &invalid.why)
    }

    fn error_at(&self, key: &str, why: &str) -> Error {
        let line = key_locations(&self.text)
            .into_iter()
            .find(|location| location.path == key)
            .map(|location| line_of(&self.text, location.key.start));
        self.error(Some(key), line, why)
    }

    fn toml_error(&self, e: &toml::de::Error) -> Error {
        let at = e.span().map(|span| span.start);
        let key = at.and_then(|offset| key_at(&self.text, offset));
        let line = at.map(|offset| line_of(&self.text, offset));
        self.error(key.as_deref(), line, e.message())
    }

    /// `{file}: {key} (line {n}): {why}`, each part where known.
    fn error(&self, key: Option<&str>, line: Option<usize>, why: &str) -> Error {
        let mut at = Vec::new();
        if let Some(path) = &self.path {
            at.push(path.display().to_string());
        }
        match (key, line) {
            (Some(key), Some(line)) => at.push(format!("{key} (line {line})")),
            (Some(key), None) => at.push(key.to_owned()),
            (None, Some(line)) => at.push(format!("line {line}")),
            (None, None) => {}
        }
        at.push(why.trim().to_owned());
        Error::Config(at.join(": "))
    }
}

/// Every value that is not a table, by dotted key.
fn leaves(table: &toml::Table, prefix: &str) -> Vec<(String, toml::Value)> {
    let mut out = Vec::new();
    for (name, value) in table {
        let key = dotted(prefix, name);
        match value {
            toml::Value::Table(inner) => out.extend(leaves(inner, &key)),
            other => out.push((key, other.clone())),
        }
    }
    out
}

fn insert(table: &mut toml::Table, key: &str, value: toml::Value) {
    match key.split_once('.') {
        Some((head, rest)) => {
            let inner = table
                .entry(head)
                .or_insert_with(|| toml::Value::Table(toml::Table::new()));
            if let toml::Value::Table(inner) = inner {
                insert(inner, rest, value);
            }
        }
        None => {
            table.insert(key.to_owned(), value);
        }
    }
}

fn dotted(prefix: &str, name: &str) -> String {
    match prefix {
        "" => name.to_owned(),
        _ => format!("{prefix}.{name}"),
    }
}

/// Where a key and its value are in the text.
struct KeyLocation {
    path: String,
    key: Range<usize>,
    value: Range<usize>,
}

fn key_locations(text: &str) -> Vec<KeyLocation> {
    let mut out = Vec::new();
    if let Ok(document) = toml_edit::ImDocument::parse(text) {
        walk_table(document.as_table(), "", &mut out);
    }
    out
}

fn walk_table(table: &toml_edit::Table, prefix: &str, out: &mut Vec<KeyLocation>) {
    for (name, item) in table.iter() {
        let path = dotted(prefix, name);
        let key = table.key(name).and_then(toml_edit::Key::span);
        push(out, &path, key, item.span());
        match item {
            toml_edit::Item::Table(inner) => walk_table(inner, &path, out),
            toml_edit::Item::Value(toml_edit::Value::InlineTable(inner)) => {
                walk_inline(inner, &path, out)
            }
            _ => {}
        }
    }
}

fn walk_inline(table: &toml_edit::InlineTable, prefix: &str, out: &mut Vec<KeyLocation>) {
    for (name, value) in table.iter() {
        let path = dotted(prefix, name);
        let key = table.key(name).and_then(toml_edit::Key::span);
        push(out, &path, key, value.span());
        if let toml_edit::Value::InlineTable(inner) = value {
            walk_inline(inner, &path, out);
        }
    }
}

fn push(
    out: &mut Vec<KeyLocation>,
    path: &str,
    key: Option<Range<usize>>,
    value: Option<Range<usize>>,
) {
    if let Some(key) = key {
        out.push(KeyLocation {
            path: path.to_owned(),
            value: value.unwrap_or_else(|| key.clone()),
            key,
        });
    }
}

/// The deepest key whose name or value holds `offset`.
fn key_at(text: &str, offset: usize) -> Option<String> {
    key_locations(text)
        .into_iter()
        .filter(|l| l.key.contains(&offset) || l.value.contains(&offset))
        .max_by_key(|l| l.path.matches('.').count())
        .map(|l| l.path)
}

fn line_of(text: &str, offset: usize) -> usize {
    let before = &text.as_bytes()[..offset.min(text.len())];
    before.iter().filter(|&&b| b == b'\n').count() + 1
}

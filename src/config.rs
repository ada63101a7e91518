//! Configuration: where the regional platform and the hospital identity
//! provider are, which CA to trust, which login flows are offered. Parsed
//! strictly (unknown keys and wrong types are errors that name the key), and
//! validated before anything connects.
//!
//! Lookup order: the file named by `CHARTGUARD_CONFIG`; else the machine-wide
//! file at the OS's standard place; else the embedded default, which points
//! at the demo regional platform on loopback.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use crate::error::{Error, Result};

/// Environment variable naming the config file to use (tests, demo, IT).
pub const CONFIG_ENV: &str = "CHARTGUARD_CONFIG";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub platform: PlatformConfig,
    pub idp: IdpConfig,
    #[serde(default)]
    pub tls: TlsConfig,
    #[serde(default)]
    pub session: SessionConfig,
    #[serde(default)]
    pub cache: CacheConfig,
    #[serde(default)]
    pub ui: UiConfig,
    #[serde(default)]
    pub policy: PolicyConfig,
    #[serde(default)]
    pub export: ExportConfig,
    #[serde(default)]
    pub audit: AuditConfig,
    #[serde(default)]
    pub log: LogConfig,
    #[serde(default)]
    pub dev: DevConfig,
}

/// The app's own log: PHI-free by construction (status codes, counts,
/// error codes; never URLs with ids, bodies, tokens or names).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// How much ChartGuard itself writes: `error`, `warn`, `info`, `debug`
    /// or `trace` (`CHARTGUARD_LOG` overrides). Libraries write warnings
    /// and errors only, whatever this says: their detail names URLs.
    #[serde(default = "default_log_level")]
    pub level: LogLevel,
    /// Folder of the log files (a new one each day, the last 14 kept);
    /// default: the OS's place for an application's logs.
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

impl LogLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            LogLevel::Error => "error",
            LogLevel::Warn => "warn",
            LogLevel::Info => "info",
            LogLevel::Debug => "debug",
            LogLevel::Trace => "trace",
        }
    }
}

fn default_log_level() -> LogLevel {
    LogLevel::Info
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: default_log_level(),
            dir: None,
        }
    }
}

impl LogConfig {
    /// The configured folder, else `~/.local/state/chartguard/logs` (Linux),
    /// `%LOCALAPPDATA%\chartguard\logs` (Windows),
    /// `~/Library/Logs/ChartGuard` (macOS).
    pub fn dir(&self) -> Result<PathBuf> {
        if let Some(dir) = &self.dir {
            return Ok(dir.clone());
        }
        let os = if cfg!(target_os = "macos") {
            dirs::home_dir().map(|home| home.join("Library/Logs/ChartGuard"))
        } else {
            dirs::state_dir()
                .or_else(dirs::data_local_dir)
                .map(|base| base.join("chartguard").join("logs"))
        };
        os.ok_or_else(|| {
            Error::Config("log.dir: this user has no folder for logs; set log.dir".into())
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// FHIR R4 base URL of the regional platform, e.g. `https://hie.example/fhir`.
    pub base_url: Url,
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Largest response body accepted, in MiB; larger answers are refused.
    #[serde(default = "default_max_response_mib")]
    pub max_response_mib: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdpConfig {
    /// OpenID issuer; discovery is read from `{issuer}/.well-known/openid-configuration`.
    pub issuer: Url,
    pub client_id: String,
    #[serde(default = "default_flows")]
    pub flows: Vec<LoginFlow>,
}

/// How a doctor logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "lowercase")]
pub enum LoginFlow {
    /// The in-app form: resource-owner password grant.
    Password,
    /// Authorization code + PKCE in the system browser, loopback redirect.
    Browser,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM bundle of the CAs that sign the platform's and the IdP's
    /// certificates. Without it the OS trust store is used.
    pub ca_bundle: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Whether a refresh token may be kept (in the OS keyring) so the session
    /// outlives one access token.
    #[serde(default = "default_true")]
    pub offline: bool,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig { offline: true }
    }
}

/// The encrypted local cache of charts (SQLCipher, one file per doctor).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Without the cache every chart comes from the platform, and nothing
    /// is shown while the platform is down.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Folder of the cache files; default: the user's data folder.
    pub dir: Option<PathBuf>,
    /// Patients not refreshed for this long are purged unless pinned.
    #[serde(default = "default_ttl_hours")]
    pub ttl_hours: u64,
    /// Purge the doctor's cached patients when they log out.
    #[serde(default)]
    pub purge_on_logout: bool,
    /// A refresh fetches the whole history again (instead of only what
    /// changed) when the last full fetch is older than this: only a full
    /// fetch shows what the platform deleted.
    #[serde(default = "default_full_sync_minutes")]
    pub full_sync_minutes: u64,
    /// The cache file never grows beyond this: when a chart does not fit,
    /// the least recently synced unpinned patients make room. Bounds how
    /// much patient data a workstation holds.
    #[serde(default = "default_max_size_mib")]
    pub max_size_mib: u64,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            enabled: true,
            dir: None,
            ttl_hours: default_ttl_hours(),
            purge_on_logout: false,
            full_sync_minutes: default_full_sync_minutes(),
            max_size_mib: default_max_size_mib(),
        }
    }
}

impl CacheConfig {
    /// The configured folder, else the user's local (never roaming) data
    /// folder: patient data must not follow a roaming profile to a server.
    pub fn dir(&self) -> Result<PathBuf> {
        local_data_folder(self.dir.as_ref(), "cache")
    }
}

/// `configured`, else `{local data}/chartguard/{section}`; `section` is
/// also the config table whose `dir` key sets it.
fn local_data_folder(configured: Option<&PathBuf>, section: &str) -> Result<PathBuf> {
    match (configured, dirs::data_local_dir()) {
        (Some(dir), _) => Ok(dir.clone()),
        (None, Some(local)) => Ok(local.join("chartguard").join(section)),
        (None, None) => Err(Error::Config(format!(
            "{section}.dir: this user has no local data folder; set {section}.dir"
        ))),
    }
}

fn default_ttl_hours() -> u64 {
    72
}

fn default_full_sync_minutes() -> u64 {
    60
}

fn default_max_size_mib() -> u64 {
    1024
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// `zh-CN` or `en`; without it the UI follows the system locale.
    pub locale: Option<String>,
}

/// Where the privacy policy comes from.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The policy file (tiers, masking, break-the-glass); without it the
    /// built-in default policy applies. An invalid file shows no patient
    /// data at all until it is fixed.
    pub file: Option<PathBuf>,
}

/// The operation trail: kept on this workstation (encrypted, sealed) and
/// forwarded to the regional platform.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Folder of the trail; default: the user's local data folder. Never
    /// inside a cache: purging patient data must not touch the trail.
    pub dir: Option<PathBuf>,
    /// Records are kept at least this long (and until the platform has
    /// them), whatever happens to the patient data.
    #[serde(default = "default_retention_days")]
    pub retention_days: u32,
    /// Forward every event to the platform as an `AuditEvent`.
    #[serde(default = "default_true")]
    pub forward: bool,
}

impl Default for AuditConfig {
    fn default() -> Self {
        AuditConfig {
            dir: None,
            retention_days: default_retention_days(),
            forward: true,
        }
    }
}

impl AuditConfig {
    /// The configured folder, else `{local data}/chartguard/audit`.
    pub fn dir(&self) -> Result<PathBuf> {
        local_data_folder(self.dir.as_ref(), "audit")
    }
}

fn default_retention_days() -> u32 {
    180
}

/// PDF exports and printing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// A TrueType/OpenType font (or collection) with Chinese glyphs, embedded
    /// (subset) in every export; default: the first of the OS's usual CJK
    /// fonts that is installed.
    pub font: Option<PathBuf>,
    /// How a print job reaches the printer: the program and its arguments;
    /// the PDF arrives on its standard input, and `{title}` in an argument
    /// becomes the job's title (the export ID, never patient data). Default
    /// on Linux and macOS: CUPS `lp`. Windows has no standard command that
    /// prints a PDF from standard input: set one, or printing says so.
    #[serde(default = "default_print_command")]
    pub print_command: Vec<String>,
}

impl Default for ExportConfig {
    fn default() -> Self {
        ExportConfig {
            font: None,
            print_command: default_print_command(),
        }
    }
}

fn default_print_command() -> Vec<String> {
    match cfg!(windows) {
        true => Vec::new(),
        false => ["lp", "-t", "{title}", "-"].map(String::from).to_vec(),
    }
}

/// The UI languages ChartGuard ships.
pub(crate) const LOCALES: &[&str] = &["zh-CN", "en"];

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DevConfig {
    /// Allows plain `http://` URLs. Only for development; never in a deployment.
    #[serde(default)]
    pub allow_http: bool,
}

/// Upper bound of `platform.max_response_mib`.
const MAX_RESPONSE_MIB: u64 = 1024;

fn default_timeout_secs() -> u64 {
    30
}
fn default_max_response_mib() -> u64 {
    64
}
fn default_flows() -> Vec<LoginFlow> {
    vec![LoginFlow::Password, LoginFlow::Browser]
}
fn default_true() -> bool {
    true
}

/// Loopback ports of the demo platform and identity provider that the
/// embedded default config points at (the README's run command starts them).
pub const DEMO_PLATFORM_PORT: u16 = 7443;
pub const DEMO_IDP_PORT: u16 = 7444;

impl Config {
    /// Loads the config from the first place that has one (see module docs).
    pub fn load() -> Result<Config> {
        if let Some(path) = std::env::var_os(CONFIG_ENV) {
            return Config::from_file(Path::new(&path));
        }
        let machine = machine_config_path();
        if machine.exists() {
            return Config::from_file(&machine);
        }
        Ok(Config::demo())
    }

    /// Where [`Config::load`] reads from, for IT's messages.
    pub fn source() -> String {
        if let Some(path) = std::env::var_os(CONFIG_ENV) {
            return format!("{} (from {CONFIG_ENV})", Path::new(&path).display());
        }
        let machine = machine_config_path();
        match machine.exists() {
            true => machine.display().to_string(),
            false => "the built-in demo config (no machine config)".to_owned(),
        }
    }

    pub fn from_file(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::Config(format!("cannot read {}: {}", path.display(), e.kind())))?;
        Config::from_toml(&text)
            .map_err(|e| Error::Config(format!("{}: {}", path.display(), config_detail(&e))))
    }

    pub fn from_toml(text: &str) -> Result<Config> {
        let config: Config = toml::from_str(text)
            .map_err(|e| Error::Config(e.message().to_owned() + &span_hint(text, e.span())))?;
        config.validate()?;
        Ok(config)
    }

    /// The embedded default: the demo regional platform and identity provider
    /// on loopback, trusting the CA the demo platform generated.
    pub fn demo() -> Config {
        let url = |port: u16, path: &str| {
            Url::parse(&format!("https://127.0.0.1:{port}{path}")).expect("static demo URL")
        };
        Config {
            audit: AuditConfig::default(),
            log: LogConfig::default(),
            platform: PlatformConfig {
                base_url: url(DEMO_PLATFORM_PORT, "/fhir"),
                timeout_secs: default_timeout_secs(),
                max_response_mib: default_max_response_mib(),
            },
            idp: IdpConfig {
                issuer: url(DEMO_IDP_PORT, ""),
                client_id: "chartguard-desktop".to_owned(),
                flows: default_flows(),
            },
            tls: TlsConfig {
                ca_bundle: Some(demo_state_dir().join("ca.pem")),
            },
            session: SessionConfig::default(),
            cache: CacheConfig::default(),
            ui: UiConfig::default(),
            export: ExportConfig::default(),
            policy: PolicyConfig::default(),
            dev: DevConfig::default(),
        }
    }

    fn validate(&self) -> Result<()> {
        for (key, url) in [
            ("platform.base_url", &self.platform.base_url),
            ("idp.issuer", &self.idp.issuer),
        ] {
            match url.scheme() {
                "https" => {}
                "http" if self.dev.allow_http => {}
                "http" => {
                    return Err(Error::Config(format!(
                        "{key}: plain http is refused; use https (or set dev.allow_http for development)"
                    )))
                }
                _ => return Err(Error::Config(format!("{key}: must be an https URL"))),
            }
            if url.host_str().is_none() {
                return Err(Error::Config(format!("{key}: has no host")));
            }
        }
        if self.idp.client_id.trim().is_empty() {
            return Err(Error::Config("idp.client_id: must not be empty".into()));
        }
        if self.audit.retention_days == 0 {
            return Err(Error::Config(
                "audit.retention_days: must be at least 1 (the platform's rules usually ask 180)"
                    .into(),
            ));
        }
        if self
            .export
            .print_command
            .first()
            .is_some_and(|program| program.trim().is_empty())
        {
            return Err(Error::Config(
                "export.print_command: the program must not be empty".into(),
            ));
        }
        if self.idp.flows.is_empty() {
            return Err(Error::Config(
                "idp.flows: at least one login flow is needed".into(),
            ));
        }
        if self.platform.timeout_secs == 0 {
            return Err(Error::Config(
                "platform.timeout_secs: must be at least 1".into(),
            ));
        }
        if let Some(locale) = &self.ui.locale {
            if !LOCALES.contains(&locale.as_str()) {
                return Err(Error::Config(format!(
                    "ui.locale: must be one of {}",
                    LOCALES.join(", ")
                )));
            }
        }
        if !(1..=MAX_RESPONSE_MIB).contains(&self.platform.max_response_mib) {
            return Err(Error::Config(format!(
                "platform.max_response_mib: must be between 1 and {MAX_RESPONSE_MIB}"
            )));
        }
        Ok(())
    }
}

fn config_detail(err: &Error) -> String {
    match err {
        Error::Config(detail) => detail.clone(),
        other => other.to_string(),
    }
}

/// " (line N)" for a parse error, so IT can find the typo.
fn span_hint(text: &str, span: Option<std::ops::Range<usize>>) -> String {
    match span {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!(" (line {line})")
        }
        None => String::new(),
    }
}

/// The UI language: the configured one, else the system's where ChartGuard
/// speaks it (any Chinese locale → zh-CN), else English.
pub(crate) fn ui_locale(config: &Config, system: Option<&str>) -> String {
    if let Some(locale) = &config.ui.locale {
        return locale.clone();
    }
    match system {
        Some(tag) if tag.to_ascii_lowercase().starts_with("zh") => "zh-CN".to_owned(),
        _ => "en".to_owned(),
    }
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

/// Where the demo platform keeps its generated CA and certificates.
pub fn demo_state_dir() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("chartguard")
        .join("demo")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ui_locale_prefers_config_then_a_chinese_system_then_english() {
        let mut configured = Config::demo();
        configured.ui.locale = Some("en".into());
        let cases = [
            (Config::demo(), Some("zh-CN"), "zh-CN"),
            (Config::demo(), Some("zh_TW.UTF-8"), "zh-CN"),
            (Config::demo(), Some("en-US"), "en"),
            (Config::demo(), Some("de-DE"), "en"),
            (Config::demo(), None, "en"),
            (configured, Some("zh-CN"), "en"),
        ];
        for (config, system, expected) in cases {
            assert_eq!(ui_locale(&config, system), expected, "{system:?}");
        }
    }
}

//! Configuration: where the regional platform and the hospital identity
//! provider are, which CA to trust, which login flows are offered. Parsed
//! strictly (unknown keys and wrong types are errors that name the key), and
//! validated before anything connects.
//!
//! Where it comes from and how mistakes are reported: [`load`]; the
//! commented default and the reference in docs/config.md: [`reference`].

use std::path::PathBuf;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use url::Url;

use crate::error::{Error, Result};

mod load;
pub(crate) mod reference;

pub use load::{machine_config_path, user_config_path, CONFIG_ENV};

#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
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
    pub overrides: OverridesConfig,
    #[serde(default)]
    pub dev: DevConfig,
}

/// What users may set for themselves, in their own config file
/// (`~/.config/chartguard/config.toml` on Linux, `%APPDATA%\ChartGuard\config.toml`
/// on Windows, `~/Library/Application Support/ChartGuard/config.toml` on
/// macOS), over this machine-wide file.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct OverridesConfig {
    /// The keys users may set, from `ui.locale`, `log.level` and
    /// `export.font`; every other key is the machine's alone.
    /// A user file setting a key not listed here is refused with its line.
    #[serde(default)]
    pub allow: Vec<String>,
}

/// The keys a machine config may let users set: none of them weakens
/// trust, masking, the trail or where patient data goes (not even the
/// print command, which receives every printed chart).
pub(crate) const USER_KEYS: &[&str] = &["ui.locale", "log.level", "export.font"];

/// The app's own log: PHI-free by construction (status codes, counts,
/// error codes; never URLs with ids, bodies, tokens or names).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LogConfig {
    /// How much ChartGuard itself writes: `error`, `warn`, `info`, `debug`
    /// or `trace` (`CHARTGUARD_LOG` overrides). Libraries write warnings
    /// and errors only, whatever this says: their detail names URLs.
    #[serde(default = "default_log_level")]
    pub level: LogLevel,
    /// Folder of the log files (a new one each day, the last 14 kept);
    /// default: the OS's place for an application's logs.
    #[schemars(example = "/var/log/chartguard")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema)]
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

/// The regional health information platform.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformConfig {
    /// FHIR R4 base URL of the regional platform, e.g. `https://hie.example/fhir`.
    /// The built-in default is the demo platform on this computer.
    #[schemars(with = "String")]
    pub base_url: Url,
    /// Seconds a request to the platform may take.
    #[serde(default = "default_timeout_secs")]
    pub timeout_secs: u64,
    /// Largest response body accepted, in MiB; larger answers are refused.
    #[serde(default = "default_max_response_mib")]
    pub max_response_mib: u64,
}

/// The hospital's login service (OpenID Connect).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdpConfig {
    /// OpenID issuer; discovery is read from `{issuer}/.well-known/openid-configuration`.
    #[schemars(with = "String")]
    pub issuer: Url,
    /// The client id the login service knows ChartGuard by.
    pub client_id: String,
    /// The login flows offered, in this order on the login screen.
    #[serde(default = "default_flows")]
    pub flows: Vec<LoginFlow>,
}

/// How a doctor logs in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, JsonSchema, TS)]
#[serde(rename_all = "lowercase")]
pub enum LoginFlow {
    /// The in-app form: resource-owner password grant.
    Password,
    /// Authorization code + PKCE in the system browser, loopback redirect.
    Browser,
}

/// Whom HTTPS trusts. Verification is never switched off.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    /// PEM bundle of the CAs that sign the platform's and the IdP's
    /// certificates. Without it the OS trust store is used.
    #[schemars(example = "/etc/chartguard/ca.pem")]
    pub ca_bundle: Option<PathBuf>,
    /// Public keys the platform's and the login service's own certificates
    /// must have, on top of a trusted chain: `sha256/` and the base64
    /// SHA-256 of the certificate's SubjectPublicKeyInfo. Name the next key
    /// too, or a key rollover locks every workstation out. To trust one CA
    /// only, put only that CA in `ca_bundle`. Empty: no pinning.
    #[serde(default)]
    pub spki_pins: Vec<String>,
}

/// The doctor's login session.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionConfig {
    /// Whether a refresh token may be kept (in the OS keyring) so the session
    /// outlives one access token.
    #[serde(default = "default_true")]
    pub offline: bool,
    /// Minutes without a key press or pointer movement before the screen
    /// locks: patient data leaves the window, and only the same doctor's
    /// credentials open it again (1 to 240).
    #[serde(default = "default_idle_lock_minutes")]
    pub idle_lock_minutes: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            offline: true,
            idle_lock_minutes: default_idle_lock_minutes(),
        }
    }
}

fn default_idle_lock_minutes() -> u32 {
    10
}

/// Upper bound of `session.idle_lock_minutes`: a workstation left for
/// longer than four hours is not "a moment away".
const MAX_IDLE_LOCK_MINUTES: u32 = 240;

/// The encrypted local cache of charts (SQLCipher, one file per doctor).
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CacheConfig {
    /// Without the cache every chart comes from the platform, and nothing
    /// is shown while the platform is down.
    #[serde(default = "default_true")]
    pub enabled: bool,
    /// Folder of the cache files; default: the user's local data folder.
    #[schemars(example = "/var/lib/chartguard/cache")]
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

/// The window.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UiConfig {
    /// `zh-CN` or `en`; without it the UI follows the system locale.
    #[schemars(example = "zh-CN")]
    pub locale: Option<String>,
}

/// Where the privacy policy comes from.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyConfig {
    /// The policy file (tiers, masking, break-the-glass); without it the
    /// built-in default policy applies. An invalid file shows no patient
    /// data at all until it is fixed. The watermark's fields and content
    /// protection are set there (docs/policy.md).
    #[schemars(example = "/etc/chartguard/policy.toml")]
    pub file: Option<PathBuf>,
}

/// The operation trail: kept on this workstation (encrypted, sealed) and
/// forwarded to the regional platform.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuditConfig {
    /// Folder of the trail; default: the user's local data folder. Never
    /// inside a cache: purging patient data must not touch the trail.
    #[schemars(example = "/var/lib/chartguard/audit")]
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
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExportConfig {
    /// A TrueType/OpenType font (or collection) with Chinese glyphs, embedded
    /// (subset) in every export; default: the first of the OS's usual CJK
    /// fonts that is installed.
    #[schemars(example = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")]
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

/// Development only; never in a deployment.
#[derive(Debug, Clone, Default, Deserialize, Serialize, JsonSchema)]
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
                spki_pins: Vec::new(),
            },
            session: SessionConfig::default(),
            cache: CacheConfig::default(),
            ui: UiConfig::default(),
            export: ExportConfig::default(),
            policy: PolicyConfig::default(),
            overrides: OverridesConfig::default(),
            dev: DevConfig::default(),
        }
    }

    /// The rules serde cannot state, each naming its key.
    fn validate(&self) -> std::result::Result<(), Invalid> {
        for (key, url) in [
            ("platform.base_url", &self.platform.base_url),
            ("idp.issuer", &self.idp.issuer),
        ] {
            match url.scheme() {
                "https" => {}
                "http" if self.dev.allow_http => {}
                "http" => {
                    return Err(Invalid::new(
                        key,
                        "plain http is refused; use https (or set dev.allow_http for development)",
                    ))
                }
                _ => return Err(Invalid::new(key, "must be an https URL")),
            }
            if url.host_str().is_none() {
                return Err(Invalid::new(key, "has no host"));
            }
        }
        if self.idp.client_id.trim().is_empty() {
            return Err(Invalid::new("idp.client_id", "must not be empty"));
        }
        if self.audit.retention_days == 0 {
            return Err(Invalid::new(
                "audit.retention_days",
                "must be at least 1 (the platform's rules usually ask 180)",
            ));
        }
        if self
            .export
            .print_command
            .first()
            .is_some_and(|program| program.trim().is_empty())
        {
            return Err(Invalid::new(
                "export.print_command",
                "the program must not be empty",
            ));
        }
        if self.idp.flows.is_empty() {
            return Err(Invalid::new(
                "idp.flows",
                "at least one login flow is needed",
            ));
        }
        if !(1..=MAX_IDLE_LOCK_MINUTES).contains(&self.session.idle_lock_minutes) {
            return Err(Invalid::new(
                "session.idle_lock_minutes",
                format!("must be between 1 and {MAX_IDLE_LOCK_MINUTES}"),
            ));
        }
        if self.platform.timeout_secs == 0 {
            return Err(Invalid::new("platform.timeout_secs", "must be at least 1"));
        }
        if let Some(locale) = &self.ui.locale {
            if !LOCALES.contains(&locale.as_str()) {
                return Err(Invalid::new(
                    "ui.locale",
                    format!("must be one of {}", LOCALES.join(", ")),
                ));
            }
        }
        if !(1..=MAX_RESPONSE_MIB).contains(&self.platform.max_response_mib) {
            return Err(Invalid::new(
                "platform.max_response_mib",
                format!("must be between 1 and {MAX_RESPONSE_MIB}"),
            ));
        }
        if let Some(pin) = self
            .tls
            .spki_pins
            .iter()
            .find(|pin| crate::tls::parse_pin(pin).is_none())
        {
            return Err(Invalid::new(
                "tls.spki_pins",
                format!("{pin:?} is not \"sha256/\" and the base64 of 32 bytes"),
            ));
        }
        if let Some(key) = self
            .overrides
            .allow
            .iter()
            .find(|key| !USER_KEYS.contains(&key.as_str()))
        {
            return Err(Invalid::new(
                "overrides.allow",
                format!(
                    "{key} cannot be set per user; only {}",
                    USER_KEYS.join(", ")
                ),
            ));
        }
        Ok(())
    }

    /// The files the config names, read now so that a wrong path is
    /// reported with its key and line at start rather than at first use.
    fn check_files(&self) -> std::result::Result<(), Invalid> {
        if let Some(path) = &self.tls.ca_bundle {
            crate::tls::read_ca_bundle(path).map_err(|why| Invalid::new("tls.ca_bundle", why))?;
        }
        if let Some(path) = &self.export.font {
            std::fs::metadata(path).map_err(|e| {
                Invalid::new(
                    "export.font",
                    format!("cannot read {}: {}", path.display(), e.kind()),
                )
            })?;
        }
        Ok(())
    }
}

/// A value serde accepted but ChartGuard cannot use: the key and why.
#[derive(Debug)]
pub(crate) struct Invalid {
    key: &'static str,
    why: String,
}

impl Invalid {
    fn new(key: &'static str, why: impl Into<String>) -> Invalid {
        Invalid {
            key,
            why: why.into(),
        }
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

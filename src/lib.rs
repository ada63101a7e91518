//! ChartGuard core: everything except the window. Config, login against the
//! hospital's OpenID provider, the regional platform's FHIR client, and the
//! view model the UI renders. No GUI dependency (see ARCHITECTURE.md).
//!
//! The public API is [`Viewer`] plus the types in [`view`].

mod audit;
mod auth;
#[cfg(feature = "bench")]
#[doc(hidden)]
pub mod bench;
mod cache;
mod chart;
pub mod check;
pub mod cli;
mod config;
mod error;
mod export;
mod fhir;
mod glass;
mod mask;
mod platform;
mod policy;
mod preview;
mod sanitize;
mod search;
mod secrets;
mod tls;
pub mod view;
mod viewer;
mod watermark;

pub use audit::verify_trail;
pub use auth::{BrowserOpener, SystemBrowser};
pub use config::{
    demo_state_dir, machine_config_path, user_config_path, AuditConfig, CacheConfig, Config,
    DevConfig, IdpConfig, LogConfig, LogLevel, LoginFlow, OverridesConfig, PlatformConfig,
    PolicyConfig, SessionConfig, TlsConfig, UiConfig, CONFIG_ENV, DEMO_IDP_PORT,
    DEMO_PLATFORM_PORT,
};
pub use error::{Error, ErrorCode, ErrorPayload, Remote, Result};
pub use preview::{policy_preview, preview_pdf, PreviewRequest};
pub use viewer::Viewer;

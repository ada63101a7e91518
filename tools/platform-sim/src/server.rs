//! Owns start-up and wiring: certificates, data loading, the axum router with
//! its middleware (request log, faults, bearer auth, and a 64 KiB body limit
//! on the routes that take PUT), and the TLS listener on 127.0.0.1.
//!
//! Invariant: the request log records method, path template and status only —
//! never query strings, tokens or bodies.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use axum::extract::{DefaultBodyLimit, MatchedPath, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, put};
use axum::{Json, Router};
use axum_server::tls_rustls::RustlsConfig;
use serde_json::{json, Value};

use crate::audit::{self, AuditLog};
use crate::auth::{Caller, Issuer, Rejection};
use crate::certs;
use crate::data::{fixtures, synthetic, Source};
use crate::faults::{self, FaultState};
use crate::fhir::{self, FhirState};
use crate::records::MAX_BODY;
use crate::store::Store;
use crate::task::{self, TaskBoard};

/// Default `aud` required in access tokens.
pub const DEFAULT_AUDIENCE: &str = "urn:chartguard:platform";

/// What to serve and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// Directory of the demo PKI (created if needed).
    pub dir: PathBuf,
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// OpenID issuer URL (https).
    pub issuer: Option<String>,
    /// Required `aud` of access tokens.
    pub audience: String,
    /// Third-party fixtures directory (`synthea/`, `hl7-examples/`).
    pub fixtures: Option<PathBuf>,
    /// Seed of the synthetic generator.
    pub seed: u64,
    /// Number of synthetic patients.
    pub patients: usize,
    /// Serve without token checks (local poking only).
    pub no_auth: bool,
}

impl Options {
    /// Defaults for a PKI directory: ephemeral port, seed 42, 40 patients, no issuer.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self {
            dir: dir.into(),
            port: 0,
            issuer: None,
            audience: DEFAULT_AUDIENCE.to_owned(),
            fixtures: None,
            seed: 42,
            patients: 40,
            no_auth: false,
        }
    }
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The FHIR base URL, `https://127.0.0.1:{port}/fhir`.
    pub base_url: String,
    handle: axum_server::Handle,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets in-flight requests finish (up to 5 s), and waits.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.handle.graceful_shutdown(Some(Duration::from_secs(5)));
        self.task.await??;
        Ok(())
    }
}

/// Builds the store from the generator and, if given, the fixtures directory.
pub fn load_store(options: &Options) -> Store {
    let generated = synthetic::generate(options.seed, options.patients);
    let mut resources: Vec<(Value, Source)> = generated
        .resources
        .into_iter()
        .map(|r| (r, Source::Synthetic))
        .collect();
    if let Some(dir) = &options.fixtures {
        if dir.is_dir() {
            let started = std::time::Instant::now();
            let loaded = fixtures::load(dir);
            tracing::info!(
                resources = loaded.resources.len(),
                skipped_files = loaded.skipped,
                unresolved_references = loaded.unresolved,
                elapsed_ms = started.elapsed().as_millis() as u64,
                "fixtures loaded"
            );
            resources.extend(loaded.resources);
        } else {
            tracing::warn!(path = %dir.display(), "fixtures directory not found; continuing without it");
        }
    }
    Store::new(resources)
}

#[derive(Debug, Clone)]
struct AppState {
    fhir: FhirState,
    auth: Option<Arc<Issuer>>,
}

/// Binds, starts serving in the background and returns once listening.
pub async fn start(options: Options) -> anyhow::Result<Running> {
    let paths = certs::ensure(&options.dir)?;
    let tls = certs::server_tls_config(&paths)?;
    let issuer = match &options.issuer {
        Some(url) => {
            if !url.starts_with("https://") {
                bail!("--issuer must be an https URL");
            }
            let ca = std::fs::read(&paths.ca_cert).context("reading ca.pem")?;
            Some(Arc::new(Issuer::new(url, &options.audience, &ca)?))
        }
        None if options.no_auth => None,
        None => bail!("--issuer is required unless --no-auth is given"),
    };
    let store = {
        let options = options.clone();
        tokio::task::spawn_blocking(move || load_store(&options)).await?
    };
    tracing::info!(resources = store.entries().len(), "data ready");

    let listener = std::net::TcpListener::bind(("127.0.0.1", options.port))
        .with_context(|| format!("binding 127.0.0.1:{}", options.port))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let base_url = format!("https://127.0.0.1:{}/fhir", addr.port());

    let state = AppState {
        fhir: FhirState {
            store: Arc::new(std::sync::RwLock::new(Arc::new(store))),
            faults: FaultState::default(),
            issuer: issuer.clone(),
            base_url: base_url.clone(),
            audit: AuditLog::default(),
            tasks: TaskBoard::default(),
        },
        auth: if options.no_auth { None } else { issuer },
    };
    let app = router(state);
    let handle = axum_server::Handle::new();
    let server = axum_server::from_tcp_rustls(listener, RustlsConfig::from_config(tls))
        .handle(handle.clone());
    let task = tokio::spawn(server.serve(app.into_make_service()));
    if handle.listening().await.is_none() {
        match task.await {
            Ok(Err(e)) => return Err(e).context("server failed to start"),
            _ => bail!("server failed to start"),
        }
    }
    Ok(Running {
        addr,
        base_url,
        handle,
        task,
    })
}

fn router(state: AppState) -> Router {
    let fhir_routes = Router::new()
        .route("/fhir/metadata", get(fhir::metadata))
        .route(
            "/fhir/.well-known/smart-configuration",
            get(fhir::smart_configuration),
        )
        // Static segments take precedence over `{type}`, whatever the order.
        .route("/fhir/AuditEvent", get(audit::search))
        .route(
            "/fhir/AuditEvent/{id}",
            get(audit::read)
                .put(audit::put)
                .layer(DefaultBodyLimit::max(MAX_BODY)),
        )
        .route("/fhir/Task", get(task::search))
        .route(
            "/fhir/Task/{id}",
            get(task::read)
                .put(task::put)
                .layer(DefaultBodyLimit::max(MAX_BODY)),
        )
        .route("/fhir/{type}", get(fhir::search))
        .route("/fhir/{type}/{id}", get(fhir::read))
        .route("/fhir/{type}/{id}/{operation}", get(fhir::operation))
        .method_not_allowed_fallback(fhir::method_not_allowed)
        .with_state(state.fhir.clone())
        .layer(middleware::from_fn_with_state(state.clone(), require_token))
        .layer(middleware::from_fn_with_state(
            state.fhir.faults.clone(),
            faults::middleware,
        ));
    let sim_routes = Router::new()
        .route(
            "/_sim/faults",
            get(faults::get_faults)
                .put(faults::put_faults)
                .delete(faults::delete_faults),
        )
        .with_state(state.fhir.faults.clone())
        .route(
            "/_sim/patients",
            get(sim_patients).with_state(state.fhir.clone()),
        )
        .route(
            "/_sim/resource/{type}/{id}",
            put(sim_update)
                .delete(sim_delete)
                .with_state(state.fhir.clone()),
        )
        .route(
            "/_sim/audit",
            get(audit::sim_get)
                .delete(audit::sim_delete)
                .with_state(state.fhir.clone()),
        );
    fhir_routes
        .merge(sim_routes)
        .fallback(fhir::not_found)
        .layer(middleware::from_fn(log_request))
}

async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let template = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "<unmatched>".to_owned(), |p| p.as_str().to_owned());
    let response = next.run(request).await;
    tracing::info!(%method, path = %template, status = response.status().as_u16(), "request");
    response
}

const PUBLIC_PATHS: [&str; 2] = ["/fhir/metadata", "/fhir/.well-known/smart-configuration"];

async fn require_token(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let Some(issuer) = &state.auth else {
        request.extensions_mut().insert(Caller::Unchecked);
        return next.run(request).await;
    };
    if PUBLIC_PATHS.contains(&request.uri().path()) {
        return next.run(request).await;
    }
    let token = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    let result = match token {
        Some(token) if !token.is_empty() => issuer.verify(token).await,
        _ => Err(Rejection::Missing),
    };
    match result {
        Ok(claims) => {
            request
                .extensions_mut()
                .insert(Caller::Verified(Arc::new(claims)));
            next.run(request).await
        }
        Err(rejection) => {
            tracing::info!(reason = rejection.reason(), "token refused");
            let mut response = fhir::outcome(StatusCode::UNAUTHORIZED, "login", rejection.reason());
            let challenge = if rejection == Rejection::Missing {
                "Bearer".to_owned()
            } else {
                format!(
                    "Bearer error=\"invalid_token\", error_description=\"{}\"",
                    rejection.reason()
                )
            };
            if let Ok(value) = HeaderValue::from_str(&challenge) {
                response
                    .headers_mut()
                    .insert(header::WWW_AUTHENTICATE, value);
            }
            response
        }
    }
}

/// `GET /_sim/patients`: who is in the store, for tests and demos.
async fn sim_patients(State(state): State<FhirState>) -> Json<Value> {
    let store = state.store();
    let list: Vec<Value> = store
        .patients()
        .map(|(entry, source)| {
            let r = &entry.resource;
            let name = r["name"].as_array().and_then(|n| n.first()).map(|n| {
                n["text"].as_str().map(str::to_owned).unwrap_or_else(|| {
                    let given: Vec<&str> = n["given"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                        .collect();
                    let family = n["family"].as_str().unwrap_or_default();
                    format!("{} {family}", given.join(" ")).trim().to_owned()
                })
            });
            let resident = r["identifier"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|i| i["system"] == synthetic::sid::RESIDENT_ID)
                .and_then(|i| i["value"].as_str());
            json!({"id": entry.id, "name": name, "resident_id": resident, "source": source})
        })
        .collect();
    Json(Value::Array(list))
}

/// `PUT /_sim/resource/{type}/{id}` with a JSON object: sets those
/// top-level fields of the resource, as if a hospital updated it (new
/// `meta.lastUpdated` and `versionId`). For tests of incremental refresh.
async fn sim_update(
    State(state): State<FhirState>,
    Path((kind, id)): Path<(String, String)>,
    Json(fields): Json<serde_json::Map<String, Value>>,
) -> StatusCode {
    change_resource(&state, &kind, &id, move |mut resource| {
        for (key, value) in fields {
            resource[key] = value;
        }
        Some(resource)
    })
}

/// `DELETE /_sim/resource/{type}/{id}`: the resource is gone from the platform.
async fn sim_delete(
    State(state): State<FhirState>,
    Path((kind, id)): Path<(String, String)>,
) -> StatusCode {
    change_resource(&state, &kind, &id, |_| None)
}

fn change_resource(
    state: &FhirState,
    kind: &str,
    id: &str,
    change: impl FnOnce(Value) -> Option<Value>,
) -> StatusCode {
    let now = state
        .faults
        .now()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let mut shared = state.store.write().unwrap_or_else(|p| p.into_inner());
    match shared.changed(kind, id, &now, change) {
        Some(updated) => {
            *shared = Arc::new(updated);
            StatusCode::NO_CONTENT
        }
        None => StatusCode::NOT_FOUND,
    }
}

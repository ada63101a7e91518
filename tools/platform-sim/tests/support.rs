//! Starting a server in-process and talking to it.

use std::path::{Path, PathBuf};

use platform_sim::server::{self, Options, Running};
use serde_json::Value;

pub(crate) struct Sim {
    pub(crate) running: Running,
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
    pub(crate) root: String,
    _dir: tempfile::TempDir,
}

pub(crate) fn client(ca_pem: &Path) -> reqwest::Client {
    let pem = std::fs::read(ca_pem).expect("ca.pem");
    reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&pem).expect("CA"))
        .build()
        .expect("client")
}

/// A server without auth (unless `configure` sets an issuer), in a fresh PKI dir.
pub(crate) async fn start(configure: impl FnOnce(&mut Options)) -> Sim {
    let dir = tempfile::tempdir().expect("tempdir");
    start_in(dir, configure).await
}

pub(crate) async fn start_in(dir: tempfile::TempDir, configure: impl FnOnce(&mut Options)) -> Sim {
    let mut options = Options::new(dir.path());
    options.no_auth = true;
    configure(&mut options);
    let running = server::start(options).await.expect("server starts");
    let base = running.base_url.clone();
    let root = base.trim_end_matches("/fhir").to_owned();
    Sim {
        client: client(&dir.path().join("ca.pem")),
        running,
        base,
        root,
        _dir: dir,
    }
}

impl Sim {
    pub(crate) async fn get(&self, path: &str) -> reqwest::Response {
        let url = if path.starts_with("https://") {
            path.to_owned()
        } else {
            format!("{}/{path}", self.base)
        };
        self.client.get(url).send().await.expect("request")
    }

    pub(crate) async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.expect("json")
    }

    pub(crate) async fn patients(&self) -> Vec<Value> {
        let url = format!("{}/_sim/patients", self.root);
        let list: Value = self
            .client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        list.as_array().unwrap().clone()
    }

    pub(crate) async fn stop(self) {
        self.running.shutdown().await.expect("clean shutdown");
    }
}

/// Ids of a searchset's entries, as `Type/id`.
pub(crate) fn entry_ids(bundle: &Value) -> Vec<String> {
    bundle["entry"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| {
            format!(
                "{}/{}",
                e["resource"]["resourceType"].as_str().unwrap(),
                e["resource"]["id"].as_str().unwrap()
            )
        })
        .collect()
}

pub(crate) fn next_link(bundle: &Value) -> Option<String> {
    bundle["link"]
        .as_array()?
        .iter()
        .find(|l| l["relation"] == "next")
        .and_then(|l| l["url"].as_str())
        .map(str::to_owned)
}

/// The third-party fixtures: `CHARTGUARD_FIXTURES` or `../shared/fixtures` from the repo root.
pub(crate) fn fixtures_dir() -> PathBuf {
    let dir = std::env::var_os("CHARTGUARD_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures"));
    assert!(
        dir.join("synthea").is_dir(),
        "fixtures not found at {} (set CHARTGUARD_FIXTURES)",
        dir.display()
    );
    dir
}

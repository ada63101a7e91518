//! Starts the demo platform and the identity provider as child processes on
//! ephemeral loopback ports, each test with its own pair and its own CA.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use chartguard::Config;
use tempfile::TempDir;
use url::Url;

pub(crate) fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The third-party fixtures (Synthea, HL7 examples); always present in CI.
pub(crate) fn fixtures_dir() -> PathBuf {
    std::env::var_os("CHARTGUARD_FIXTURES")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared/fixtures"))
}

/// The demo platform's binary: `CHARTGUARD_SIM_BIN`, else built once next
/// to this test binary.
fn sim_bin() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        if let Some(bin) = std::env::var_os("CHARTGUARD_SIM_BIN") {
            return PathBuf::from(bin);
        }
        let status = Command::new(env!("CARGO"))
            .args(["build", "--quiet", "-p", "platform-sim"])
            .current_dir(repo_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the demo platform failed");
        let exe = std::env::current_exe().expect("test binary path");
        let target = exe.parent().and_then(Path::parent).expect("target/debug");
        target.join(format!("platform-sim{}", std::env::consts::EXE_SUFFIX))
    })
}

/// A CA of its own and a server certificate from it, in `dir`.
pub(crate) fn make_certs(dir: &Path) -> PathBuf {
    let status = Command::new(sim_bin())
        .arg("certs")
        .arg("--dir")
        .arg(dir)
        .status()
        .expect("platform-sim certs");
    assert!(status.success(), "certificate generation failed");
    dir.to_owned()
}

/// Spawns `cmd`, waits for its `READY <url>` line, and returns the child and the URL.
fn spawn_ready(mut cmd: Command, what: &str) -> (Child, Url) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("starting the {what} failed: {e}"));
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(url) = line.strip_prefix("READY ") {
                let _ = tx.send(url.trim().to_owned());
            }
        }
    });
    let url = rx
        .recv_timeout(Duration::from_secs(60))
        .unwrap_or_else(|_| panic!("the {what} did not report READY"));
    (child, Url::parse(&url).expect("READY url"))
}

pub(crate) struct Demo {
    pub(crate) dir: TempDir,
    pub(crate) platform_url: Url,
    pub(crate) issuer: Url,
    children: Vec<Child>,
}

#[derive(Default)]
pub(crate) struct DemoOptions {
    pub(crate) access_ttl_secs: Option<u64>,
    /// Synthetic patients on the platform (its default otherwise).
    pub(crate) patients: Option<usize>,
}

impl Demo {
    pub(crate) fn start() -> Demo {
        Demo::start_with(DemoOptions::default())
    }

    pub(crate) fn start_with(options: DemoOptions) -> Demo {
        let dir = tempfile::tempdir().expect("temp dir");
        let certs = make_certs(&dir.path().join("certs"));

        let mut idp = Command::new("node");
        idp.arg(repo_root().join("tools/idp/server.mjs"))
            .args(["--port", "0", "--cert"])
            .arg(certs.join("server.pem"))
            .arg("--key")
            .arg(certs.join("server-key.pem"));
        if let Some(ttl) = options.access_ttl_secs {
            idp.args(["--access-ttl", &ttl.to_string()]);
        }
        let (idp, issuer) = spawn_ready(idp, "identity provider");

        let mut sim = Command::new(sim_bin());
        sim.args(["serve", "--port", "0", "--dir"])
            .arg(&certs)
            .arg("--issuer")
            .arg(issuer.as_str().trim_end_matches('/'))
            .arg("--fixtures")
            .arg(fixtures_dir());
        if let Some(patients) = options.patients {
            sim.args(["--patients", &patients.to_string()]);
        }
        let (sim, platform_url) = spawn_ready(sim, "demo platform");
        Demo {
            dir,
            platform_url,
            issuer,
            children: vec![idp, sim],
        }
    }

    /// Each demo has its own cache folder: parallel tests that log the same
    /// doctor in must not share (and lock) one cache file.
    pub(crate) fn cache_dir(&self) -> PathBuf {
        self.dir.path().join("cache")
    }

    /// The one cache file in this demo's cache folder.
    pub(crate) fn cache_file(&self) -> PathBuf {
        std::fs::read_dir(self.cache_dir())
            .expect("the cache folder")
            .map(|e| e.expect("a folder entry").path())
            .find(|p| p.extension().is_some_and(|x| x == "db"))
            .expect("the cache file")
    }

    /// Each demo has its own audit trail, so a test sees only its own events.
    pub(crate) fn audit_dir(&self) -> PathBuf {
        self.dir.path().join("audit")
    }

    pub(crate) fn ca(&self) -> PathBuf {
        self.dir.path().join("certs/ca.pem")
    }

    pub(crate) fn config_toml(&self) -> String {
        format!(
            "[platform]\nbase_url = \"{}\"\n\n[idp]\nissuer = \"{}\"\nclient_id = \"chartguard-desktop\"\n\n\
             [tls]\nca_bundle = {:?}\n\n[audit]\ndir = {:?}\n\n[cache]\ndir = {:?}\n",
            self.platform_url,
            self.issuer.as_str().trim_end_matches('/'),
            self.ca(),
            self.audit_dir(),
            self.cache_dir()
        )
    }

    pub(crate) fn config(&self) -> Config {
        Config::from_toml(&self.config_toml()).expect("test config is valid")
    }

    pub(crate) fn viewer(&self) -> chartguard::Viewer {
        chartguard::Viewer::new(self.config()).expect("viewer")
    }

    /// An HTTP client that trusts this demo's CA, for driving pages and
    /// the failure-injection switch directly.
    pub(crate) fn http(&self) -> reqwest::Client {
        let ca = std::fs::read(self.ca()).expect("ca.pem");
        reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("pem"))
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// Switches on failure injection (see tools/platform-sim README).
    pub(crate) async fn faults(&self, faults: serde_json::Value) {
        let url = self.platform_url.join("/_sim/faults").expect("url");
        let response = self
            .http()
            .put(url)
            .json(&faults)
            .send()
            .await
            .expect("faults");
        assert!(
            response.status().is_success(),
            "setting faults failed: {}",
            response.status()
        );
    }

    /// Changes a resource on the platform as a hospital would (`fields`
    /// replace top-level elements), or deletes it (`None`).
    pub(crate) async fn change_resource(
        &self,
        kind: &str,
        id: &str,
        fields: Option<serde_json::Value>,
    ) {
        let url = self
            .platform_url
            .join(&format!("/_sim/resource/{kind}/{id}"))
            .expect("url");
        let request = match fields {
            Some(fields) => self.http().put(url).json(&fields),
            None => self.http().delete(url),
        };
        let status = request.send().await.expect("platform answers").status();
        assert!(status.is_success(), "changing {kind}/{id} failed: {status}");
    }

    /// Takes the regional platform down (the identity provider stays up).
    pub(crate) fn stop_platform(&mut self) {
        let sim = &mut self.children[1];
        let _ = sim.kill();
        let _ = sim.wait();
    }

    /// Puts an impostor at the platform's address: the same service, but
    /// with a certificate from a CA the workstation does not trust (a
    /// man in the middle, or a platform re-keyed without telling IT).
    pub(crate) fn replace_platform_with_impostor(&mut self) {
        let certs = make_certs(&self.dir.path().join("impostor-certs"));
        self.replace_platform_serving(&certs);
    }

    /// Puts the platform back at its address, serving the certificate
    /// chain in `certs` (`server.pem`, every certificate in it sent).
    pub(crate) fn replace_platform_serving(&mut self, certs: &Path) {
        self.stop_platform();
        let port = self.platform_url.port().expect("port").to_string();
        let mut sim = Command::new(sim_bin());
        sim.args(["serve", "--port", &port, "--dir"])
            .arg(certs)
            .arg("--no-auth")
            .arg("--fixtures")
            .arg(fixtures_dir());
        let (impostor, _) = spawn_ready(sim, "impostor platform");
        self.children[1] = impostor;
    }

    /// A viewer with extra config lines appended (e.g. a `[cache]` policy).
    pub(crate) fn viewer_with(&self, extra_toml: &str) -> chartguard::Viewer {
        let toml = self
            .config_toml()
            .replace("[cache]\n", &format!("[cache]\n{extra_toml}\n"));
        chartguard::Viewer::new(Config::from_toml(&toml).expect("valid config")).expect("viewer")
    }

    /// A viewer with more config sections (`[export]`…) after the test's own.
    pub(crate) fn viewer_with_sections(&self, sections: &str) -> chartguard::Viewer {
        let toml = format!("{}\n{sections}\n", self.config_toml());
        chartguard::Viewer::new(Config::from_toml(&toml).expect("valid config")).expect("viewer")
    }

    /// A viewer with extra `[cache]` lines and its own policy file.
    pub(crate) fn viewer_with_policy(
        &self,
        extra_cache_toml: &str,
        policy: &str,
    ) -> chartguard::Viewer {
        let dir = self.dir.path().join("policy");
        std::fs::create_dir_all(&dir).expect("policy dir");
        let path = dir.join("policy.toml");
        std::fs::write(&path, policy).expect("policy file");
        let toml = format!(
            "{}\n[policy]\nfile = {:?}\n",
            self.config_toml()
                .replace("[cache]\n", &format!("[cache]\n{extra_cache_toml}\n")),
            path
        );
        chartguard::Viewer::new(Config::from_toml(&toml).expect("valid config")).expect("viewer")
    }

    pub(crate) async fn logged_in_viewer(&self, username: &str) -> chartguard::Viewer {
        let viewer = self.viewer();
        viewer
            .login_password(username, DEMO_PASSWORD)
            .await
            .expect("demo doctor logs in");
        viewer
    }
}

pub(crate) const DEMO_PASSWORD: &str = "chartguard-demo";

/// `viewer`, with the demo doctor `username` logged in.
pub(crate) async fn logged_in(viewer: chartguard::Viewer, username: &str) -> chartguard::Viewer {
    viewer
        .login_password(username, DEMO_PASSWORD)
        .await
        .unwrap_or_else(|e| panic!("{username}: {e}"));
    viewer
}

/// Opens the patient's chart; whether it came from the cache.
pub(crate) async fn opened_from_cache(viewer: &chartguard::Viewer, patient_id: &str) -> bool {
    viewer
        .open_patient(patient_id)
        .await
        .unwrap_or_else(|e| panic!("opening {patient_id}: {e}"))
        .freshness
        .from_cache
}

/// Tests that assert on a doctor's keyring entry hold this, so that two of
/// them never log the same doctor in at once (tests run in parallel, and
/// the keyring is shared).
pub(crate) static KEYRING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

impl Drop for Demo {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

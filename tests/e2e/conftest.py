"""End-to-end journeys through the real ChartGuard window.

Each test gets its own demo identity provider and regional platform on
ephemeral loopback ports (a CA made for the test run), its own app config,
and its own tauri-driver + WebKitWebDriver session driving the real app
binary. Run under Xvfb by scripts/test.sh.
"""

import json
import os
import signal
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
import selenium.common.exceptions
import urllib3.exceptions
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CHARTGUARD_TARGET_DIR", ROOT / "target"))
# The benchmark (bench_render.py) runs a release build.
APP = Path(os.environ.get("CHARTGUARD_APP", TARGET / "debug" / "chartguard"))
SIM = Path(os.environ.get("CHARTGUARD_SIM", TARGET / "debug" / "platform-sim"))
FIXTURES = Path(os.environ.get("CHARTGUARD_FIXTURES", ROOT.parent / "shared" / "fixtures"))
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"

# The .deb journey runs only in scripts/test.sh's last step, which builds
# the package and names it; the window journeys do not collect it at all.
collect_ignore = [] if os.environ.get("CHARTGUARD_DEB") else ["test_deb.py"]
PASSWORD = "chartguard-demo"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _spawn_ready(args, log_path, what, timeout=60):
    """Starts a demo service and waits for its `READY <url>` line."""
    log = open(log_path, "w")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=log, text=True)
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = proc.stdout.readline()
        if line.startswith("READY "):
            return proc, line.split(" ", 1)[1].strip()
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError(f"the {what} did not start; see {log_path}")


class Demo:
    """The demo identity provider and platform, plus config files for the app."""

    def __init__(self, workdir: Path):
        self.dir = workdir
        self.certs = workdir / "certs"
        self.logs = workdir / "logs"
        subprocess.run([SIM, "certs", "--dir", self.certs], check=True)
        self.idp, self.issuer = _spawn_ready(
            ["node", ROOT / "tools/idp/server.mjs", "--port", "0",
             "--cert", self.certs / "server.pem", "--key", self.certs / "server-key.pem"],
            workdir / "idp.log", "identity provider")
        self.sim, self.platform_url = _spawn_ready(
            [SIM, "serve", "--port", "0", "--dir", self.certs, "--issuer", self.issuer,
             "--fixtures", FIXTURES],
            workdir / "platform.log", "demo platform")

    def write_config(self, name: str, ca: Path, extra: str = "") -> Path:
        """A config for the app; `extra` adds whole sections (`[export]`…)."""
        path = self.dir / name
        path.write_text(
            f'[platform]\nbase_url = "{self.platform_url}"\n\n'
            f'[idp]\nissuer = "{self.issuer}"\nclient_id = "chartguard-desktop"\n'
            f'flows = ["password", "browser"]\n\n'
            f'[tls]\nca_bundle = {json.dumps(str(ca))}\n\n'
            # Every journey logs at the most detailed level, into the demo's
            # folder: test_zz_logs.py reads it all for patient data.
            f'[log]\nlevel = "trace"\ndir = {json.dumps(str(self.logs))}\n\n{extra}')
        return path

    def stop_platform(self):
        """Takes the regional platform down; the identity provider stays up."""
        self.sim.terminate()
        self.sim.wait(10)

    def stop(self):
        for proc in (self.sim, self.idp):
            proc.terminate()
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="session")
def demo():
    assert APP.exists(), f"build the app first: {APP}"
    workdir = Path(tempfile.mkdtemp(prefix="chartguard-e2e-"))
    d = Demo(workdir)
    yield d
    d.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def own_demo():
    """A demo of its own, for a test that takes the platform down."""
    workdir = Path(tempfile.mkdtemp(prefix="chartguard-e2e-own-"))
    d = Demo(workdir)
    yield d
    d.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def foreign_ca(demo):
    """A CA that signed nothing the demo serves."""
    other = demo.dir / "foreign"
    subprocess.run([SIM, "certs", "--dir", other], check=True)
    return other / "ca.pem"


class App:
    """The real app window, driven through tauri-driver."""

    def __init__(self, config: Path, workdir: Path, lang: str):
        env = dict(os.environ, CHARTGUARD_CONFIG=str(config), LANG=lang, LANGUAGE=lang.split(".")[0])
        # WebKitWebDriver now and then drops the very first request of a
        # session on a loaded machine (the connection closes before any
        # answer): start afresh, twice at most. Nothing the test asserts is
        # retried.
        for attempt in range(3):
            port, native_port = _free_port(), _free_port()
            # The app's own stderr (its log) lands here too.
            self.log_path = workdir / f"tauri-driver-{port}.log"
            self.driver_log = open(self.log_path, "w")
            # A process group of its own, so that quitting also ends the
            # WebKitWebDriver and the app it started.
            self.tauri_driver = subprocess.Popen(
                ["tauri-driver", "--port", str(port), "--native-port", str(native_port),
                 "--native-driver", "/usr/bin/WebKitWebDriver"],
                env=env, stdout=self.driver_log, stderr=subprocess.STDOUT, start_new_session=True)
            self._wait_port(port)
            options = ArgOptions()
            options.set_capability("browserName", "wry")
            options.set_capability("tauri:options", {"application": str(APP)})
            try:
                self.driver = webdriver.Remote(command_executor=f"http://127.0.0.1:{port}", options=options)
                break
            except (urllib3.exceptions.ProtocolError, ConnectionError,
                    selenium.common.exceptions.SessionNotCreatedException):
                self._stop_driver()
                if attempt == 2:
                    raise
        self.driver.implicitly_wait(0)

    def _stop_driver(self):
        try:
            os.killpg(self.tauri_driver.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.tauri_driver.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(self.tauri_driver.pid, signal.SIGKILL)
        self.driver_log.close()

    @staticmethod
    def _wait_port(port, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.1)
        raise RuntimeError("tauri-driver did not start")

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path

    def quit(self):
        """Closes the session; once only, and also when the app was killed."""
        if getattr(self, "_closed", False):
            return
        self._closed = True
        try:
            self.driver.quit()
        except (selenium.common.exceptions.WebDriverException, urllib3.exceptions.HTTPError,
                ConnectionError):
            pass  # the app is gone already (a test killed it)
        finally:
            self._stop_driver()


@pytest.fixture
def _open_apps():
    return []


@pytest.fixture
def launch(demo, _open_apps):
    """launch(config_name, ca=None, lang=..., extra="") starts the app; closed after the test."""
    apps = _open_apps

    def _launch(config_name="config.toml", ca=None, lang="en_US.UTF-8", extra=""):
        config = demo.write_config(config_name, ca or demo.certs / "ca.pem", extra)
        app = App(config, demo.dir, lang)
        apps.append(app)
        return app

    yield _launch
    for app in apps:
        app.quit()


@pytest.fixture
def launch_on(_open_apps):
    """launch_on(demo) starts the app against the given demo."""

    def _launch(demo, lang="en_US.UTF-8", extra=""):
        app = App(demo.write_config("config.toml", demo.certs / "ca.pem", extra), demo.dir, lang)
        _open_apps.append(app)
        return app

    yield _launch
    for app in _open_apps:
        app.quit()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Keeps a screenshot of every window of a failed test, for the CI artefacts."""
    outcome = yield
    report = outcome.get_result()
    if report.when == "call" and report.failed:
        for i, app in enumerate(item.funcargs.get("_open_apps", [])):
            try:
                app.screenshot(f"FAILED-{item.name}-{i}")
            except Exception:  # the window may be gone; the failure is reported anyway
                pass

"""The release .deb as IT installs it, from scripts/test.sh's last step
(which builds it and names it in CHARTGUARD_DEB): apt brings its
dependencies and `dpkg -i` the package; the installed binary reports the
version being released and checks the workstation against the demo platform
and identity provider; `dpkg -r` takes away every file the package put
there. The machine keeps nothing: the config is a temporary file named by
CHARTGUARD_CONFIG (never /etc/chartguard), and the packages apt added for
the .deb are purged again, also when a test fails. A chart-guard package
left by an earlier run is simply installed over."""

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from conftest import ROOT
from test_check import check

DEB = os.environ.get("CHARTGUARD_DEB")
INSTALLED = Path("/usr/bin/chartguard")
MACHINE_CONFIG = Path("/etc/chartguard")

assert DEB, "CHARTGUARD_DEB names the .deb to install (scripts/test.sh's last step sets it)"


def as_root(*args):
    """Runs a command as root: sudo when the tests run as a user, as setup.sh does."""
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    subprocess.run([*sudo, "env", "DEBIAN_FRONTEND=noninteractive", *map(str, args)], check=True)


def output(*args):
    return subprocess.run([*map(str, args)], check=True, capture_output=True, text=True).stdout


def deb_field(name):
    return output("dpkg-deb", "--field", DEB, name).strip()


def installed_packages():
    lines = output("dpkg-query", "--show", "--showformat", "${db:Status-Abbrev} ${Package}\n")
    return {line.split()[1] for line in lines.splitlines() if line.startswith("ii")}


def released_version():
    conf = json.loads((ROOT / "src-tauri/tauri.conf.json").read_text())["version"]
    cargo = tomllib.loads((ROOT / "Cargo.toml").read_text())
    assert conf == cargo["package"]["version"] == cargo["workspace"]["package"]["version"], \
        "tauri.conf.json and Cargo.toml disagree on the version"
    return conf


class Package:
    def __init__(self):
        self.name = deb_field("Package")
        self.packages_before = installed_packages() - {self.name}
        self.machine_config_existed = MACHINE_CONFIG.exists()
        self.files = []

    def install(self):
        self.install_dependencies(deb_field("Depends"))
        as_root("dpkg", "--install", DEB)
        paths = (Path(p) for p in output("dpkg-query", "--listfiles", self.name).splitlines())
        self.files = [p for p in paths if p.is_symlink() or p.is_file()]

    @staticmethod
    def install_dependencies(depends):
        try:
            as_root("apt-get", "satisfy", "--yes", "-qq", depends)
        except subprocess.CalledProcessError:  # no or stale package lists on a fresh machine
            as_root("apt-get", "update", "-qq")
            as_root("apt-get", "satisfy", "--yes", "-qq", depends)

    def status(self):
        """dpkg's word for the package: "installed", "config-files"…; "" once forgotten."""
        return subprocess.run(["dpkg-query", "--show", "--showformat", "${db:Status-Status}",
                               self.name], capture_output=True, text=True).stdout

    def remove(self):
        as_root("dpkg", "--remove", self.name)

    def purge_all(self):
        """Whatever a failed step left, and the packages apt added for this one."""
        as_root("dpkg", "--purge", self.name)  # a no-op when dpkg has forgotten it
        added = installed_packages() - self.packages_before
        if added:
            as_root("apt-get", "purge", "--yes", "-qq", *sorted(added))


@pytest.fixture(scope="module")
def package():
    """The .deb, installed; afterwards the machine's packages are as they were."""
    pkg = Package()
    try:
        pkg.install()
        yield pkg
    finally:
        pkg.purge_all()


def test_the_package_is_the_release_and_installs_the_binary(package):
    # Tauri names it after productName; IT's uninstall command names it too.
    assert package.name == "chart-guard"
    assert deb_field("Version") == released_version()
    assert INSTALLED in package.files and os.access(INSTALLED, os.X_OK)


def test_the_installed_binary_reports_the_release_version(package):
    assert output(INSTALLED, "--version") == f"chartguard {released_version()}\n"


def test_the_installed_package_checks_the_workstation(package, own_demo):
    config = own_demo.write_config("deb-check.toml", own_demo.certs / "ca.pem")
    code, report = check(config, app=INSTALLED)
    assert code == 0, report
    assert report["ok"] and all(c["outcome"] == "pass" for c in report["checks"])


def test_removing_the_package_leaves_nothing_behind(package):
    package.remove()
    assert package.status() in ("", "not-installed"), f"dpkg keeps {package.name}: {package.status()}"
    assert [f for f in package.files if f.is_symlink() or f.exists()] == []
    assert MACHINE_CONFIG.exists() == package.machine_config_existed

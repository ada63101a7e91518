#!/usr/bin/env bash
# Installs ChartGuard on a Debian or Ubuntu workstation, with its machine
# config. Run as root, with the .deb and config.toml beside this script:
#
#   sudo ./install.sh                          # the one ChartGuard_*.deb here
#   sudo ./install.sh ChartGuard_0.1.0_amd64.deb
#
# apt installs the package and its dependencies (from the workstation's
# configured apt sources); config.toml becomes /etc/chartguard/config.toml,
# owned by root, readable by everyone, writable by root only. Run again to
# upgrade or to replace the config.
# Uninstall: sudo apt-get remove chart-guard (then rm -r /etc/chartguard).
# docs/it-guide.md, "Install", says the rest. Tested by hand only: the CI
# installs the same .deb with dpkg (tests/e2e/test_deb.py).
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"

if [ $# -gt 0 ]; then
  deb=$(realpath "$1")
else
  debs=("$here"/ChartGuard_*.deb)
  if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
    die "put one ChartGuard_*.deb beside this script, or name it"
  fi
  deb=${debs[0]}
fi
[ -f "$deb" ] || die "no such package: $deb"
config="$here/config.toml"
[ -f "$config" ] || die "config.toml is missing beside this script"

DEBIAN_FRONTEND=noninteractive apt-get install --yes "$deb"
install -d -m 0755 -o root -g root /etc/chartguard
install -m 0644 -o root -g root "$config" /etc/chartguard/config.toml
echo "installed $(chartguard --version); config in /etc/chartguard/config.toml"
echo "now run 'chartguard --check' as a user who will use ChartGuard"

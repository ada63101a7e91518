#!/usr/bin/env bash
# Installs ChartGuard on a Mac, with its machine config. Run as root, with
# the .dmg and config.toml beside this script:
#
#   sudo ./install.sh                           # the one ChartGuard_*.dmg here
#   sudo ./install.sh ChartGuard_0.1.0_aarch64.dmg
#
# Mounts the .dmg (read-only, hidden from Finder), replaces
# /Applications/ChartGuard.app with the one inside, unmounts it, and copies
# config.toml to "/Library/Application Support/ChartGuard/config.toml",
# owned by root, readable by everyone, writable by root only. Run again to
# upgrade or to replace the config.
# Uninstall: sudo rm -rf /Applications/ChartGuard.app
# (and "/Library/Application Support/ChartGuard").
# docs/it-guide.md, "Install", says the rest. Never run by the project's CI,
# which has no Mac: try it on one Mac before rolling it out.
set -euo pipefail

die() { echo "install.sh: $*" >&2; exit 1; }
here=$(cd "$(dirname "$0")" && pwd)
[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"

if [ $# -gt 0 ]; then
  dmg=$1
else
  dmgs=("$here"/ChartGuard_*.dmg)
  if [ ${#dmgs[@]} -ne 1 ] || [ ! -f "${dmgs[0]}" ]; then
    die "put one ChartGuard_*.dmg beside this script, or name it"
  fi
  dmg=${dmgs[0]}
fi
[ -f "$dmg" ] || die "no such disk image: $dmg"
config="$here/config.toml"
[ -f "$config" ] || die "config.toml is missing beside this script"

mountpoint=$(mktemp -d /tmp/chartguard-dmg.XXXXXX)
trap 'rmdir "$mountpoint"' EXIT
hdiutil attach -readonly -nobrowse -noautoopen -mountpoint "$mountpoint" "$dmg" >/dev/null
trap 'hdiutil detach -quiet "$mountpoint" && rmdir "$mountpoint"' EXIT
[ -d "$mountpoint/ChartGuard.app" ] || die "the disk image holds no ChartGuard.app"

rm -rf /Applications/ChartGuard.app
ditto "$mountpoint/ChartGuard.app" /Applications/ChartGuard.app
# ditto keeps the builder's owner: no user may change the installed app.
chown -R root:wheel /Applications/ChartGuard.app
chmod -R go-w /Applications/ChartGuard.app

dir="/Library/Application Support/ChartGuard"
install -d -m 0755 -o root -g wheel "$dir"
install -m 0644 -o root -g wheel "$config" "$dir/config.toml"
echo "installed $(/Applications/ChartGuard.app/Contents/MacOS/chartguard --version); config in $dir/config.toml"
echo "now run '/Applications/ChartGuard.app/Contents/MacOS/chartguard --check' as a user who will use ChartGuard"

#!/usr/bin/env bash
# Installs everything the demo and the tests need on Debian/Ubuntu, idempotently:
# system packages, tauri-driver, the e2e test client, and the npm packages of
# the UI and the demo identity provider. Safe to run again; fast when done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

apt_packages=(
  # Tauri / WebKitGTK build and runtime
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libgtk-3-dev
  librsvg2-dev build-essential pkg-config libssl-dev file
  # the real window under a virtual display, and its WebDriver
  xvfb xauth webkit2gtk-driver
  # OS keyring (Secret Service) for refresh tokens, in tests too
  dbus-daemon dbus-x11 gnome-keyring libdbus-1-dev
  # e2e client, screenshots, fonts that render Chinese
  python3-venv imagemagick fonts-noto-cjk
)
missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

command -v tauri-driver >/dev/null || cargo install tauri-driver --locked --version '^2'

venv="$root/.venv-e2e"
if [ ! -x "$venv/bin/pytest" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$root/tests/e2e/requirements.txt"
fi

for dir in ui tools/idp; do
  if [ ! -d "$root/$dir/node_modules" ] || [ "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]; then
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

#!/usr/bin/env bash
# Installs everything the demo and the tests need on Debian/Ubuntu, idempotently:
# system packages, tauri-driver, the e2e test client, and the npm packages of
# the UI and the demo identity provider. Safe to run again; fast when done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

need() { echo "setup: $*" >&2; exit 1; }
command -v cargo >/dev/null || need "Rust is missing: install it with rustup (https://rustup.rs)"
command -v node >/dev/null || need "Node.js 20.19 or newer is missing"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
  need "Node.js $(node --version) is too old: the UI build (Vite 7) needs 20.19 or newer"
if command -v rustup >/dev/null; then
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
fi

apt_packages=(
  # Tauri / WebKitGTK build and runtime
  libwebkit2gtk-4.1-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev libgtk-3-dev
  librsvg2-dev build-essential pkg-config libssl-dev file
  # the real window under a virtual display, and its WebDriver
  xvfb xauth webkit2gtk-driver
  # OS keyring (Secret Service) for refresh tokens, in tests too
  dbus dbus-x11 gnome-keyring libdbus-1-dev
  # e2e client, screenshots, fonts that render Chinese (on screen and in
  # exports), and poppler to read exports back in tests
  python3-venv imagemagick fonts-noto-cjk poppler-utils
  # e2e: typing into the OS's save dialog, which WebDriver cannot reach
  xdotool
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
requirements="$root/tests/e2e/requirements.txt"
stamp=$(sha256sum "$requirements" | cut -d' ' -f1)
if [ "$(cat "$venv/.requirements-sha256" 2>/dev/null)" != "$stamp" ]; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q -r "$requirements"
  echo "$stamp" >"$venv/.requirements-sha256"
fi

for dir in . ui tools/idp; do
  if [ ! -d "$root/$dir/node_modules" ] || [ "$root/$dir/package-lock.json" -nt "$root/$dir/node_modules/.package-lock.json" ]; then
    (cd "$root/$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
done

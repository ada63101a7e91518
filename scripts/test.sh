#!/usr/bin/env bash
# Runs every test of ChartGuard: formatting, lints, the GUI-free check of the
# core, the Rust tests (core, shell, demo platform), the UI unit tests, the
# identity provider's tests, the end-to-end journey through the real window
# under Xvfb, and the release .deb installed, run and removed. Installs what
# is missing first. Honours CARGO_TARGET_DIR.
set -euo pipefail
export CHARTGUARD_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CHARTGUARD_TARGET_DIR=${CARGO_TARGET_DIR:-$CHARTGUARD_ROOT/target}
cd "$CHARTGUARD_ROOT"

if [ -z "${CHARTGUARD_IN_TEST_SESSION:-}" ]; then
  scripts/setup.sh
  # The OS keyring (Secret Service) runs in a D-Bus session of its own, and
  # all test data (keyring files, app data) lives in a throwaway XDG_DATA_HOME.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  status=0
  XDG_DATA_HOME="$scratch" XDG_CONFIG_HOME="$scratch/config" CHARTGUARD_IN_TEST_SESSION=1 dbus-run-session -- "$0" "$@" || status=$?
  exit $status
fi

echo -n chartguard-test | gnome-keyring-daemon --unlock --components=secrets >/dev/null

started=$SECONDS
step() {
  local name=$1; shift
  local t=$SECONDS
  echo "==> $name"
  "$@"
  echo "<== $name ($((SECONDS - t)) s)"
}

core_is_gui_free() {
  local tree
  tree=$(cargo tree --locked -p chartguard -e normal,build --prefix none)
  [ -n "$tree" ] || { echo "cargo tree printed nothing" >&2; return 1; }
  if grep -Ei '^(tauri|wry|tao|webkit2gtk|javascriptcore|soup|gtk|gdk|glib|winit|cocoa|objc2-app-kit|windows-sys-webview|webview2)[-_a-z0-9]* ' <<<"$tree"; then
    echo "the core depends on a GUI crate (DESIGN.md invariant 1)" >&2
    return 1
  fi
  echo "core dependency tree: $(wc -l <<<"$tree") crates, none of them GUI"
}

ui_checks() {
  (cd ui && npm run --silent check && npm test --silent && npm run --silent build)
}

# The release package as IT gets it, with the features shipped builds have
# (none beyond the defaults). Last, since a cold release build takes minutes.
release_deb() {
  local bundle="$CHARTGUARD_TARGET_DIR/release/bundle/deb" debs
  rm -rf "$bundle"
  CARGO_TARGET_DIR="$CHARTGUARD_TARGET_DIR" npx tauri build --ci --bundles deb -- --locked
  debs=("$bundle"/*.deb)
  if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
    echo "expected one .deb in $bundle" >&2
    return 1
  fi
  CHARTGUARD_DEB=${debs[0]} "$CHARTGUARD_ROOT/.venv-e2e/bin/pytest" -q tests/e2e/test_deb.py
}

step "rustfmt" cargo fmt --all --check
step "ui: types, unit tests, build" ui_checks
step "clippy (workspace, with the benchmark)" cargo clippy --workspace --all-targets --features chartguard/bench --locked -- -D warnings
step "core has no GUI dependency" core_is_gui_free
# cargo builds every test target, the demo platform's and the app's binaries
# among them, before it runs any test: the core's tests and the e2e journey
# use those binaries.
export CHARTGUARD_SIM_BIN="$CHARTGUARD_TARGET_DIR/debug/platform-sim"
step "rust tests (core, shell, demo platform)" cargo test --workspace --locked
step "identity provider tests" bash -c 'cd tools/idp && npm test --silent'
step "end-to-end journey (real window, Xvfb)" \
  xvfb-run -a -s "-screen 0 1280x800x24" "$CHARTGUARD_ROOT/.venv-e2e/bin/pytest" -q tests/e2e
step "release .deb: build, install, --version, --check, remove" release_deb
echo "all tests passed in $((SECONDS - started)) s"

#!/usr/bin/env bash
# Runs ChartGuard against the demo regional platform: installs what is
# missing, builds, starts the demo identity provider (port 7444) and platform
# (port 7443) on loopback, then opens the app window with its embedded
# default config, which points at them. Log in as wangyi / chartguard-demo.
set -euo pipefail
export CHARTGUARD_ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CHARTGUARD_TARGET_DIR=${CARGO_TARGET_DIR:-$CHARTGUARD_ROOT/target}
cd "$CHARTGUARD_ROOT"

scripts/setup.sh
(cd ui && npm run build --silent)
cargo build -p platform-sim -p chartguard-app

# Must match chartguard::demo_state_dir(): the embedded config trusts its CA.
state=${XDG_DATA_HOME:-$HOME/.local/share}/chartguard/demo
. scripts/demo-services.sh
trap demo_services_stop EXIT
demo_services_start "$state" 7444 7443
echo "demo platform: $PLATFORM_URL   identity provider: $IDP_URL"
echo "log in as wangyi (doctor), lihua (department head) or chen; password: chartguard-demo"

app="$CHARTGUARD_TARGET_DIR/debug/chartguard"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: running the window under Xvfb" >&2
  xvfb-run -a -s "-screen 0 1280x800x24" "$app"
else
  "$app"
fi

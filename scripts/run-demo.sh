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

app=("$CHARTGUARD_TARGET_DIR/debug/chartguard")
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: running the window under Xvfb" >&2
  app=(xvfb-run -a -s "-screen 0 1280x800x24" "${app[@]}")
fi
if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  # A desktop session: the doctor's own keyring holds tokens and cache keys.
  "${app[@]}"
else
  # No session bus (a server, a bare X display): a session of its own with
  # a Secret Service keyring for this demo, kept next to the demo's state and
  # unlocked with the demo password, so the OS never has to prompt.
  echo "no desktop session: using a demo keyring in $state/keyrings" >&2
  mkdir -p "$state/keyrings"
  dbus-run-session -- bash -c '
    echo -n chartguard-demo | XDG_DATA_HOME="$1" gnome-keyring-daemon --unlock --components=secrets >/dev/null
    shift
    exec "$@"' _ "$state/keyrings" "${app[@]}"
fi

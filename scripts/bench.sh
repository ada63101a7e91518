#!/usr/bin/env bash
# Benchmarks (see BENCHMARKS.md), in release mode. The last line printed is
# the figure line. Honours CARGO_TARGET_DIR and CHARTGUARD_FIXTURES.
#   scripts/bench.sh        opening a chart (demo platform, cache, view model)
#   scripts/bench.sh mask   what masking and sanitising add to a warm open
#   scripts/bench.sh export a PDF export of the largest chart
#   scripts/bench.sh render the real window drawing the largest Synthea
#                           patient's summary, timeline and a trend, against
#                           the smallest patient (needs what the e2e tests need:
#                           scripts/test.sh installs it)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cd "$root"
case "${1:-open}" in
open)
  cargo build --release --quiet -p platform-sim
  CHARTGUARD_SIM_BIN="$target/release/platform-sim" cargo bench --quiet --features bench --bench open
  ;;
mask)
  cargo bench --quiet --features bench --bench mask
  ;;
export)
  cargo bench --quiet --features bench --bench export
  ;;
render)
  (cd ui && npm run build >/dev/null)
  cargo build --release --quiet -p chartguard-app -p platform-sim
  scratch=$(mktemp -d)
  # The keyring lives in the scratch data folder, so it is new and unlocked.
  CHARTGUARD_APP="$target/release/chartguard" CHARTGUARD_SIM="$target/release/platform-sim" \
    XDG_DATA_HOME="$scratch" XDG_CONFIG_HOME="$scratch/config" \
    dbus-run-session -- bash -c 'echo -n bench | gnome-keyring-daemon --unlock --components=secrets >/dev/null
      xvfb-run -a -s "-screen 0 1280x800x24" .venv-e2e/bin/pytest -q -s -p no:cacheprovider tests/e2e/bench_render.py' \
    | grep -v "^$"
  ;;
*)
  echo "usage: scripts/bench.sh [open|mask|export|render]" >&2
  exit 2
  ;;
esac

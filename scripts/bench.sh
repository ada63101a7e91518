#!/usr/bin/env bash
# Benchmarks (see BENCHMARKS.md), in release mode. The last line printed is
# the figure line. Honours CARGO_TARGET_DIR and CHARTGUARD_FIXTURES.
#   scripts/bench.sh        opening a chart (demo platform, cache, view model)
#   scripts/bench.sh mask   what masking and sanitising add to a warm open
#   scripts/bench.sh export a PDF export of the largest chart
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
*)
  echo "usage: scripts/bench.sh [open|mask|export]" >&2
  exit 2
  ;;
esac

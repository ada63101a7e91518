#!/usr/bin/env bash
# Benchmarks opening a chart (see BENCHMARKS.md): builds the demo platform
# and the benchmark in release mode and runs it. The last line printed is the
# figure line. Honours CARGO_TARGET_DIR and CHARTGUARD_FIXTURES.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
cd "$root"
cargo build --release --quiet -p platform-sim
CHARTGUARD_SIM_BIN="$target/release/platform-sim" cargo bench --quiet --features bench --bench open

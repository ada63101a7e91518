#!/usr/bin/env bash
# Starts the demo identity provider and regional platform on loopback for
# scripts/run-demo.sh. (The tests start their own pairs on ephemeral ports:
# tests/support.rs for the core, tests/e2e/conftest.py for the window.)
#   demo_services_start STATE_DIR IDP_PORT PLATFORM_PORT
# sets IDP_URL, PLATFORM_URL, DEMO_PIDS. Both write "READY <url>" when up.
demo_services_start() {
  local state=$1 idp_port=$2 platform_port=$3
  local sim="$CHARTGUARD_TARGET_DIR/debug/platform-sim"
  mkdir -p "$state"
  "$sim" certs --dir "$state"

  local idp_out="$state/idp.out" sim_out="$state/platform.out"
  : >"$idp_out"; : >"$sim_out"
  node "$CHARTGUARD_ROOT/tools/idp/server.mjs" --port "$idp_port" \
    --cert "$state/server.pem" --key "$state/server-key.pem" >"$idp_out" 2>"$state/idp.log" &
  DEMO_PIDS="$!"
  IDP_URL=$(demo_wait_ready "$idp_out" "identity provider" "$state/idp.log")

  "$sim" serve --dir "$state" --port "$platform_port" --issuer "$IDP_URL" \
    --fixtures "${CHARTGUARD_FIXTURES:-$CHARTGUARD_ROOT/../shared/fixtures}" \
    >"$sim_out" 2>"$state/platform.log" &
  DEMO_PIDS="$DEMO_PIDS $!"
  PLATFORM_URL=$(demo_wait_ready "$sim_out" "demo platform" "$state/platform.log")
}

demo_wait_ready() {
  local out=$1 what=$2 log=$3
  for _ in $(seq 1 300); do
    if grep -q '^READY ' "$out"; then
      sed -n 's/^READY //p' "$out" | head -n1
      return 0
    fi
    sleep 0.1
  done
  echo "the $what did not start; its log:" >&2
  tail -n 20 "$log" >&2
  return 1
}

demo_services_stop() {
  # shellcheck disable=SC2086
  [ -n "${DEMO_PIDS:-}" ] && kill $DEMO_PIDS 2>/dev/null || true
}

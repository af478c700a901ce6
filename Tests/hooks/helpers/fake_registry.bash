# shellcheck shell=bash
#
# The fake cache registry (Tests/support/fake_registry.py) for hook tests:
#   setup() { load helpers/common; load helpers/fake_registry; hook_harness_setup; start_fake_registry; }
#   teardown() { stop_fake_registry; }
# start_fake_registry points the job at it (BUILDKITE_AGENT_ENDPOINT, BUILDKITE_AGENT_ACCESS_TOKEN,
# BUILDKITE_AGENT_CACHE_STORE_URL = file://$REGISTRY_BLOBS) and sets REGISTRY_URL, REGISTRY_PID.

REGISTRY_TOKEN=bkaj_hook-test-token-5e6f7a8b9c0d

start_fake_registry() {
  local port_file=$BATS_TEST_TMPDIR/registry-port
  REGISTRY_BLOBS=$BATS_TEST_TMPDIR/registry-blobs
  rm -f "$port_file"
  python3 "$HOOK_TEST_HELPERS_DIR/../../support/fake_registry.py" --token "$REGISTRY_TOKEN" --port-file "$port_file" \
    "$@" >/dev/null 2>"$BATS_TEST_TMPDIR/registry.stderr" 3>&- &
  REGISTRY_PID=$!
  for _ in $(seq 600); do
    [[ -s $port_file ]] && break
    kill -0 "$REGISTRY_PID" 2>/dev/null || fail "fake_registry.py exited: $(cat "$BATS_TEST_TMPDIR/registry.stderr")"
    sleep 0.01
  done
  [[ -s $port_file ]] || fail "fake_registry.py did not start listening"
  REGISTRY_URL=http://127.0.0.1:$(cat "$port_file")
  hook_env "BUILDKITE_AGENT_ENDPOINT=$REGISTRY_URL/v3" "BUILDKITE_AGENT_ACCESS_TOKEN=$REGISTRY_TOKEN" \
    "BUILDKITE_AGENT_CACHE_STORE_URL=file://$REGISTRY_BLOBS"
}

stop_fake_registry() {
  if [[ -n ${REGISTRY_PID:-} ]]; then
    kill "$REGISTRY_PID" 2>/dev/null || true
    wait "$REGISTRY_PID" 2>/dev/null || true
    REGISTRY_PID=
  fi
}

# Queues faults for the next calls of one endpoint: registry_fault retrieve 503 reset
registry_fault() {
  local endpoint=$1
  shift
  curl -fsS -X POST "$REGISTRY_URL/_control/faults" \
    -d "$(jq -cn --arg e "$endpoint" '{($e): $ARGS.positional}' --args "$@")" >/dev/null
}

# How many calls an endpoint had: registry_calls retrieve
registry_calls() {
  curl -fsS "$REGISTRY_URL/_control/requests" | jq --arg e "$1" '[.[] | select(.endpoint == $e)] | length'
}

registry_entry_count() {
  curl -fsS "$REGISTRY_URL/_control/entries" | jq length
}

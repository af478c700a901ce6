#!/usr/bin/env bats
#
# store: buildkite through the real hooks and binaries, against the fake cache registry
# (Tests/support/fake_registry.py) with its blobs in an agent-layout file:// store.

# Retries wait 1 ms here: the tests count attempts, they do not sit out the policies' waits.
FAST_RETRY='"retry":{"restore":{"strategy":"constant","interval":"1ms","jitter":"0s"},"save":{"strategy":"constant","interval":"1ms","jitter":"0s"}}'

setup() {
  load helpers/common
  load helpers/fake_registry
  hook_harness_setup
  REG_BIN=${SWIFT_CACHE_TEST_BINARY_DIR:-$HOOK_REPO_DIR/.build/debug}
  [[ -x $REG_BIN/cache-restore && -x $REG_BIN/cache-save ]] ||
    fail "no cache-restore/cache-save in $REG_BIN: run 'swift build' (scripts/test does) first"
  hook_env "SWIFT_CACHE_BINARY_DIR=$REG_BIN"
  start_fake_registry
  hook_plugin_config '{"store":"buildkite",'"$FAST_RETRY"',"caches":[{"id":"deps","key":"deps-{{ checksum \"deps.lock\" }}","fallback_keys":["deps-"],"paths":["deps","~/.tool"]}]}'
  printf 'v1\n' >"$HOOK_CHECKOUT/deps.lock"
  mkdir -p "$HOOK_CHECKOUT/deps/lib" "$HOOK_HOME/.tool"
  printf 'alpha\n' >"$HOOK_CHECKOUT/deps/lib/a.js"
  ln -s lib/a.js "$HOOK_CHECKOUT/deps/link"
  printf 'tool\n' >"$HOOK_HOME/.tool/config"
}

teardown() {
  stop_fake_registry
}

@test "registry: a miss, a save, then an exact hit, with the same lines and exports as the other stores" {
  expected=$(tree_digest "$HOOK_CHECKOUT/deps")
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "from buildkite://~ (the agent's cache registry)"
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss

  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  [[ $(find "$REGISTRY_BLOBS" -maxdepth 1 -name '*.attrs.json' | wc -l) -eq 1 ]]

  rm -rf "$HOOK_CHECKOUT/deps" "$HOOK_HOME/.tool"
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "deps: hit"
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  [[ $(hook_exported SWIFT_CACHE_MATCHED_KEY_DEPS) == deps-* ]]
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$expected"
  assert_file_exist "$HOOK_HOME/.tool/config"
  refute_output --partial "$REGISTRY_TOKEN"

  run_hook post-command
  assert_output --partial "is already cached"
}

@test "registry: each restore call's passing faults are retried and the restore still hits" {
  run_hook post-command
  assert_hook_status 0
  rm -rf "$HOOK_CHECKOUT/deps"
  registry_fault retrieve 503 429 reset cut
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_output --partial "retrieve 'deps-"
  assert_output --partial "attempt 5/5"
  assert_equal "$(registry_calls retrieve)" 5
  refute_output --partial "$REGISTRY_TOKEN"
}

@test "registry: a 200 HTML page from a proxy is retried, not taken for an answer" {
  registry_fault peek html
  registry_fault store html
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  assert_output --partial "not JSON"
  assert_equal "$(registry_calls peek)" 2
  assert_equal "$(registry_calls store)" 2
  assert_equal "$(registry_entry_count)" 1
}

@test "registry: a refused token is final at once, says what to check, and never shows the token" {
  registry_fault retrieve 401
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "HTTP 401"
  assert_output --partial "access token was refused"
  assert_output --partial "The job goes on without that cache"
  assert_equal "$(registry_calls retrieve)" 1
  refute_output --partial "$REGISTRY_TOKEN"
}

@test "registry: a 400 on commit fails that cache's save with the server's message; fail-on-error stops the job" {
  hook_plugin_config '{"store":"buildkite",'"$FAST_RETRY"',"fail-on-error":true,"caches":[{"id":"deps","key":"deps-{{ checksum \"deps.lock\" }}","paths":["deps"]}]}'
  registry_fault commit 400
  run_hook post-command
  assert_hook_status 1
  assert_output --partial "commit failed: HTTP 400 Bad Request"
  assert_equal "$(registry_calls commit)" 1
  assert_equal "$(registry_entry_count)" 0
}

@test "registry: a missing blob is a miss, the entry is expired, and the next save stores it again" {
  run_hook post-command
  find "$REGISTRY_BLOBS" -maxdepth 1 -type f ! -name '*.attrs.json' -delete
  printf 'local\n' >"$HOOK_CHECKOUT/deps/lib/a.js"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  assert_output --partial "Expired the registry entry because its blob is missing"
  assert_equal "$(cat "$HOOK_CHECKOUT/deps/lib/a.js")" "local"
  assert_equal "$(registry_entry_count)" 0
  run_hook post-command
  assert_output --partial "deps: saved"
}

@test "registry: a caches: file with save_scopes falls back on the server's match" {
  mkdir -p "$HOOK_CHECKOUT/.buildkite"
  cat >"$HOOK_CHECKOUT/.buildkite/cache.yml" <<'YAML'
caches:
  - name: deps
    cache_key:
      - literal: deps
      - agent: os
        fallback_limit: true
      - checksum: deps.lock
    target_paths: [deps]
    save_scopes:
      branch: true
      pipeline: true
YAML
  hook_plugin_config '{"store":"buildkite",'"$FAST_RETRY"',"config":".buildkite/cache.yml"}'
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  printf 'v2\n' >"$HOOK_CHECKOUT/deps.lock"
  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "deps: fallback hit"
  assert_hook_exported SWIFT_CACHE_HIT_DEPS fallback
  assert_file_exist "$HOOK_CHECKOUT/deps/lib/a.js"
  scopes=$(curl -fsS "$REGISTRY_URL/_control/requests" | jq -c '[.[] | select(.endpoint == "store") | .body | fromjson | .scopes][0]')
  assert_equal "$scopes" '{"branch":"feature/faster-builds","pipeline":"widgets"}'
}

@test "registry: an unknown save scope is a configuration error at its line and column" {
  mkdir -p "$HOOK_CHECKOUT/.buildkite"
  printf 'caches:\n  - name: deps\n    cache_key: [deps]\n    target_paths: [deps]\n    save_scopes:\n      team: true\n' \
    >"$HOOK_CHECKOUT/.buildkite/cache.yml"
  hook_plugin_config '{"store":"buildkite",'"$FAST_RETRY"',"config":".buildkite/cache.yml"}'
  run_hook pre-command
  assert_output --partial ".buildkite/cache.yml:6:7: "
  assert_output --partial "save_scopes: unsupported scope(s) 'team' (supported: branch, build, pipeline)"
  assert_equal "$(registry_calls retrieve)" 0
}

@test "registry: without the agent's token the store setting is an error that says why" {
  hook_unset BUILDKITE_AGENT_ACCESS_TOKEN
  run_hook pre-command
  assert_output --partial "BUILDKITE_AGENT_ACCESS_TOKEN is not set"
}

# The agent's side, played by Tests/support/agent_zip_fixture.py (Python's zipfile and zstandard,
# written from the protocol page): what it saves the plugin restores, and the reverse.
AGENT_FIXTURE=$BATS_TEST_DIRNAME/../support/agent_zip_fixture.py

agent_cache_file() {
  mkdir -p "$HOOK_CHECKOUT/.buildkite"
  printf 'caches:\n  - name: deps\n    cache_key: [deps, v1]\n    target_paths: [deps, "~/.tool"]\n' \
    >"$HOOK_CHECKOUT/.buildkite/cache.yml"
  hook_plugin_config '{"store":"buildkite",'"$FAST_RETRY"',"config":".buildkite/cache.yml"}'
}

@test "registry: an entry the agent saved restores byte for byte with the plugin" {
  agent_cache_file
  expected=$(tree_digest "$HOOK_CHECKOUT/deps")
  python3 "$AGENT_FIXTURE" build "$BATS_TEST_TMPDIR/agent.zip" ".:deps:$HOOK_CHECKOUT/deps" "~:.tool:$HOOK_HOME/.tool"
  digest=$(sha256sum "$BATS_TEST_TMPDIR/agent.zip" | cut -d' ' -f1)
  mkdir -p "$REGISTRY_BLOBS"
  cp "$BATS_TEST_TMPDIR/agent.zip" "$REGISTRY_BLOBS/$digest"
  size=$(stat -c %s "$REGISTRY_BLOBS/$digest")
  curl -fsS -X POST "$REGISTRY_URL/_control/entries" -d "$(jq -cn --arg d "$digest" --argjson s "$size" '{
    target_paths: ["~/.tool", "deps"],
    cache_key: [{value: "deps", mandatory: true}, {value: "v1", mandatory: true}],
    blobs: [{digest: {algorithm: "sha256", value: $d}, file_size: $s, compression: "zip"}]}')" >/dev/null
  rm -rf "$HOOK_CHECKOUT/deps" "$HOOK_HOME/.tool"

  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "deps: hit"
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$expected"
  assert_equal "$(cat "$HOOK_HOME/.tool/config")" "tool"
  assert_equal "$(readlink "$HOOK_CHECKOUT/deps/link")" "lib/a.js"
}

@test "registry: an entry the plugin saved reads byte for byte with the agent's format" {
  agent_cache_file
  expected=$(tree_digest "$HOOK_CHECKOUT/deps")
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  blob=$(find "$REGISTRY_BLOBS" -maxdepth 1 -type f ! -name '*.attrs.json' ! -name '.*')
  python3 "$AGENT_FIXTURE" extract "$blob" "$BATS_TEST_TMPDIR/agent-out"
  assert_equal "$(tree_digest "$BATS_TEST_TMPDIR/agent-out/cwd/deps")" "$expected"
  assert_equal "$(cat "$BATS_TEST_TMPDIR/agent-out/home/.tool/config")" "tool"
  body=$(curl -fsS "$REGISTRY_URL/_control/requests" | jq -c '[.[] | select(.endpoint == "store") | .body | fromjson][0]')
  assert_equal "$(jq -c .cache_key <<<"$body")" '[{"mandatory":true,"value":"deps"},{"mandatory":true,"value":"v1"}]'
  assert_equal "$(jq -c .scopes <<<"$body")" '{}'
  assert_equal "$(jq -r '.blobs[0].digest.value' <<<"$body")" "$(basename "$blob")"
}

#!/usr/bin/env bats
#
# Secrets never reach the job log: a job runs with distinctive fake credentials, including a key
# template and a store option that echo them, and no output may contain them.

load helpers/moto_file

setup() {
  load helpers/common
  load helpers/hardening
  hook_harness_setup
  E2E_BIN=${SWIFT_CACHE_TEST_BINARY_DIR:-$HOOK_REPO_DIR/.build/debug}
  [[ -x $E2E_BIN/cache-restore ]] || fail "no binaries in $E2E_BIN: run 'swift build' (scripts/test does) first"
  SECRETS=(
    AKIASWIFTCACHE7EXAMPLE
    wJalrXUtnFEMI/SwiftCacheTestSecret/bPxRfiCYEXAMPLEKEY
    FwoGZXIvYXdzESwiftCacheSessionTokenExample0123456789
    bkua_swiftcache_agent_token_0123456789abcdef
  )
  hook_env "SWIFT_CACHE_BINARY_DIR=$E2E_BIN" "BUILDKITE_CACHE_STORE_URL=file://$BATS_TEST_TMPDIR/store" \
    "AWS_ACCESS_KEY_ID=${SECRETS[0]}" "AWS_SECRET_ACCESS_KEY=${SECRETS[1]}" \
    "AWS_SESSION_TOKEN=${SECRETS[2]}" "BUILDKITE_AGENT_ACCESS_TOKEN=${SECRETS[3]}"
  mkdir -p "$HOOK_CHECKOUT/deps"
  printf 'x\n' >"$HOOK_CHECKOUT/deps/file"
}

refute_secrets_in() {
  local secret
  for secret in "${SECRETS[@]}"; do
    if [[ $1 == *"$secret"* ]]; then
      fail "a secret reached the log: ${secret:0:6}…"
    fi
  done
}

@test "a key built from a secret is redacted in every line of save and restore" {
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-{{ env \"AWS_SECRET_ACCESS_KEY\" }}","paths":["deps"]}]}'
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  assert_output --partial "[REDACTED]"
  refute_secrets_in "$output"
  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  refute_secrets_in "$output"
}

@test "errors that echo a secret are redacted too" {
  hook_plugin_config "{\"store\":\"ftp://${SECRETS[3]}@example\",\"caches\":[{\"id\":\"deps\",\"key\":\"k\",\"paths\":[\"deps\"]}]}"
  run_hook pre-command
  assert_hook_status 2
  assert_output --partial "store URLs must not carry them"
  refute_secrets_in "$output"
}

@test "a dry run prints keys without the secret" {
  hook_plugin_config '{"caches":[{"id":"deps","key":"{{ env \"AWS_SESSION_TOKEN\" }}","paths":["deps"]}]}'
  run env -i PATH="$PATH" HOME="$HOOK_HOME" BUILDKITE_BUILD_CHECKOUT_PATH="$HOOK_CHECKOUT" \
    AWS_SESSION_TOKEN="${SECRETS[2]}" BUILDKITE_PLUGIN_CONFIGURATION="${HOOK_ENV[BUILDKITE_PLUGIN_CONFIGURATION]}" \
    "$E2E_BIN/cache-restore" --dry-run
  assert_success
  assert_output --partial "key: [REDACTED]"
  refute_secrets_in "$output"
}

@test "a store URL with credentials in it is refused without printing them" {
  hook_plugin_config "{\"store\":\"s3://${SECRETS[0]}:${SECRETS[1]//\//%2F}@bucket/prefix\",\"caches\":[{\"id\":\"deps\",\"key\":\"k\",\"paths\":[\"deps\"]}]}"
  run_hook pre-command
  assert_hook_status 2
  assert_output --partial "store URLs must not carry them"
  refute_secrets_in "$output"
  refute_output --partial "${SECRETS[1]//\//%2F}"
}

@test "a secret in a key is redacted when an error prints the entry's percent-encoded path" {
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-{{ env \"AWS_SECRET_ACCESS_KEY\" }}","paths":["deps"]}]}'
  # The entry's file name is taken by a directory, so committing it fails and prints the path.
  local entries=$BATS_TEST_TMPDIR/store/v1/entries/${HOOK_ENV[BUILDKITE_ORGANIZATION_SLUG]}/${HOOK_ENV[BUILDKITE_PIPELINE_SLUG]}
  entries+=/$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="-_~"))' "${HOOK_ENV[BUILDKITE_BRANCH]}")
  local name
  name=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe="-_.~"))' "deps-${SECRETS[1]}")
  mkdir -p "$entries/$name.json/blocker"
  run_hook post-command
  assert_output --partial "deps: not saved"
  assert_output --partial "[REDACTED]"
  refute_secrets_in "$output"
  refute_output --partial "${SECRETS[1]//\//%2F}"
}

# start_credentials_server TOKEN: the loopback container-credentials endpoint of the Swift tests
# (Tests/support/credentials-server.py), requiring TOKEN; it hands out
# container-secret-NNNN-swiftcache / container-session-NNNN-swiftcache. Sets CREDENTIALS_URI.
start_credentials_server() {
  local state=$BATS_TEST_TMPDIR/credentials _
  mkdir -p "$state"
  {
    sleep 600 &
    printf '%s\n' "$!" >"$state/holder.pid"
    wait
  } 3>&- | python3 "$HOOK_REPO_DIR/Tests/support/credentials-server.py" --token "$1" >"$state/out" 2>&1 3>&- &
  for _ in $(seq 1 200); do
    if grep -q '^ready ' "$state/out" 2>/dev/null; then
      CREDENTIALS_URI="http://127.0.0.1:$(sed -n 's/^ready //p' "$state/out")/container/v1/credentials"
      return 0
    fi
    sleep 0.05
  done
  fail "credentials-server.py did not start: $(cat "$state/out")"
}

stop_credentials_server() {
  local holder=$BATS_TEST_TMPDIR/credentials/holder.pid
  [[ -f $holder ]] && kill "$(cat "$holder")" 2>/dev/null
  return 0
}

# An S3 store on moto whose credentials come from the container endpoint, not the environment.
use_container_credentials() {
  hook_unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
  start_credentials_server "${SECRETS[3]}"
  hook_env "BUILDKITE_CACHE_STORE_URL=$(s3_bucket "secrets-$BATS_SUITE_TEST_NUMBER-$RANDOM")" \
    "AWS_CONTAINER_CREDENTIALS_FULL_URI=$CREDENTIALS_URI" "AWS_EC2_METADATA_DISABLED=true"
  SECRETS+=(container-secret-0001-swiftcache container-session-0001-swiftcache
    container-secret-0002-swiftcache container-session-0002-swiftcache)
}

@test "credentials fetched from a container endpoint never reach the log" {
  use_container_credentials
  hook_env "AWS_CONTAINER_AUTHORIZATION_TOKEN=${SECRETS[3]}"
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-v1","paths":["deps"]}]}'
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "S3 credentials: the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
  assert_output --partial "deps: saved"
  refute_secrets_in "$output"
  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  stop_credentials_server
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  refute_secrets_in "$output"
}

@test "a refused credentials request says so without the token" {
  use_container_credentials
  hook_env "AWS_CONTAINER_AUTHORIZATION_TOKEN=bkct_wrong_${SECRETS[3]}"
  SECRETS+=("bkct_wrong_${SECRETS[3]}")
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-v1","paths":["deps"]}]}'
  run_hook pre-command
  stop_credentials_server
  assert_hook_status 0
  assert_output --partial "the container credentials endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI) answered HTTP 401"
  assert_output --partial "The job goes on"
  refute_secrets_in "$output"
}

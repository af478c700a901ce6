#!/usr/bin/env bats
#
# Secrets never reach the job log: a job runs with distinctive fake credentials, including a key
# template and a store option that echo them, and no output may contain them.

setup() {
  load helpers/common
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

#!/usr/bin/env bats
#
# What a branch, a checkout or the agent's environment can do to a job, through the real hooks
# and binaries: a link in the checkout, bytes that are not UTF-8, a umask that opens the store.

setup() {
  load helpers/common
  hook_harness_setup
  HOSTILE_BIN=${SWIFT_CACHE_TEST_BINARY_DIR:-$HOOK_REPO_DIR/.build/debug}
  [[ -x $HOSTILE_BIN/cache-restore && -x $HOSTILE_BIN/cache-save ]] ||
    fail "no cache-restore/cache-save in $HOSTILE_BIN: run 'swift build' (scripts/test does) first"
  HOSTILE_STORE=$BATS_TEST_TMPDIR/store
  hook_env "SWIFT_CACHE_BINARY_DIR=$HOSTILE_BIN" "BUILDKITE_CACHE_STORE_URL=file://$HOSTILE_STORE"
}

@test "a committed link in a cache path's parents never redirects a restore out of the checkout" {
  hook_plugin_config '{"caches":[{"id":"gems","key":"gems-v1","paths":["vendor/bundle"]}]}'
  mkdir -p "$HOOK_CHECKOUT/vendor/bundle"
  printf 'gem\n' >"$HOOK_CHECKOUT/vendor/bundle/a.rb"
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "gems: saved"

  # A fork's pull request commits vendor -> a directory of the agent host.
  local outside=$BATS_TEST_TMPDIR/host-dir
  mkdir -p "$outside/bundle"
  printf 'precious\n' >"$outside/bundle/keep"
  rm -rf "$HOOK_CHECKOUT/vendor"
  ln -s "$outside" "$HOOK_CHECKOUT/vendor"

  run_hook pre-command

  assert_hook_status 0
  assert_output --partial "gems: skipped: '$HOOK_CHECKOUT/vendor' is a symbolic link to '$outside', outside the checkout"
  assert_file_exist "$outside/bundle/keep"
  assert_file_not_exist "$outside/bundle/a.rb"
  assert_hook_exported SWIFT_CACHE_HIT_GEMS miss
}

@test "a branch name that is not UTF-8 is a configuration error, never a shared scope" {
  hook_env "BUILDKITE_BRANCH=feature-"$'\xff\xfe'
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-v1","paths":["deps"]}]}'

  run_hook pre-command

  assert_hook_status 2
  assert_output --partial "BUILDKITE_BRANCH: holds bytes that are not UTF-8"
}

@test "with umask 000 the file store is still not writable by other users" {
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-v1","paths":["deps"]}]}'
  mkdir -p "$HOOK_CHECKOUT/deps"
  printf 'x\n' >"$HOOK_CHECKOUT/deps/file"
  (
    umask 000
    cd "$HOOK_CHECKOUT" &&
      env HOME="$HOOK_HOME" BUILDKITE_BUILD_CHECKOUT_PATH="$HOOK_CHECKOUT" BUILDKITE_COMMAND_EXIT_STATUS=0 \
        BUILDKITE_CACHE_STORE_URL="file://$HOSTILE_STORE" \
        BUILDKITE_PLUGIN_CONFIGURATION="${HOOK_ENV[BUILDKITE_PLUGIN_CONFIGURATION]}" "$HOSTILE_BIN/cache-save"
  )
  local writable
  writable=$(find "$HOSTILE_STORE" -perm /022 -printf '%m %p\n')
  assert_equal "$writable" ""
  assert [ -n "$(find "$HOSTILE_STORE/v1/entries" -name '*.json')" ]
}

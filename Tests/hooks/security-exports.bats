#!/usr/bin/env bats
#
# A key is data from branch names, environment values and shared stores. Through the real hooks
# and binaries: a carriage return and line feed in a key must never become an export of its own
# (PATH, BASH_ENV, LD_PRELOAD) in the job.

setup() {
  load helpers/common
  hook_harness_setup
  SEC_BIN=${SWIFT_CACHE_TEST_BINARY_DIR:-$HOOK_REPO_DIR/.build/debug}
  [[ -x $SEC_BIN/cache-restore && -x $SEC_BIN/cache-save ]] ||
    fail "no cache-restore/cache-save in $SEC_BIN: run 'swift build' (scripts/test does) first"
  SEC_STORE=$BATS_TEST_TMPDIR/store
  SEC_ATTACKER=$BATS_TEST_TMPDIR/attacker
  mkdir -p "$SEC_ATTACKER" "$HOOK_CHECKOUT/deps"
  printf 'touch %q\n' "$SEC_ATTACKER/ran" >"$SEC_ATTACKER/env.sh"
  printf 'dep\n' >"$HOOK_CHECKOUT/deps/file"
  hook_env "SWIFT_CACHE_BINARY_DIR=$SEC_BIN" "BUILDKITE_CACHE_STORE_URL=file://$SEC_STORE"
}

# Fails unless the job's PATH, BASH_ENV and LD_PRELOAD are as they were and only documented names
# changed: the export file's two, and the state file's path that pre-command sets itself (a file of
# its own in TMPDIR).
assert_no_injected_exports() {
  local name state
  while IFS= read -r name; do
    [[ -z $name ]] && continue
    if [[ $name == SWIFT_CACHE_STATE_FILE ]]; then
      state=$(hook_exported SWIFT_CACHE_STATE_FILE)
      [[ $state == "${HOOK_ENV[TMPDIR]}"/swift-cache-state.* ]] || fail "the hook exported SWIFT_CACHE_STATE_FILE=$state"
      continue
    fi
    [[ $name =~ ^SWIFT_CACHE_(HIT|MATCHED_KEY)_[A-Z0-9_]+$ ]] || fail "the hook exported $name"
  done < <(hook_changed_exports)
  refute_hook_exported BASH_ENV
  refute_hook_exported LD_PRELOAD
  assert_file_not_exist "$SEC_ATTACKER/ran"
}

@test "a branch name with CR LF in a key template is a configuration error at the template" {
  hook_env "BUILDKITE_BRANCH=feature"$'\r\n'"BASH_ENV=$SEC_ATTACKER/env.sh"
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-{{ git.branch }}","paths":["deps"]}]}'

  run_hook pre-command

  assert_hook_status 2
  assert_output --partial "(BUILDKITE_PLUGIN_CONFIGURATION), option caches[0].key: cache 'deps': the key renders to 'deps-feature\\u{D}\\u{A}BASH_ENV="
  assert_output --partial "holds a control character"
  assert_no_injected_exports

  # Run on its own (pre-command stops the job first), post-command renders the key after the
  # command: that cache is not saved, and the job's work is not failed for it.
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: not saved: could not compute its key"
  assert_output --partial "holds a control character"
  assert_no_injected_exports
}

@test "a literal key with CR LF is a configuration error, and PATH is left alone" {
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-v2\r\nPATH='"$SEC_ATTACKER"':/usr/bin:/bin","paths":["deps"]}]}'

  run_hook pre-command

  assert_hook_status 2
  assert_output --partial "holds a control character"
  assert_no_injected_exports
  assert_equal "$(hook_exported PATH)" "${HOOK_ENV[PATH]}"
}

@test "a poisoned entry in a shared store, reached through a fallback key, is a miss and never data" {
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-{{ env \"LOCK\" }}","fallback_keys":["deps-"],"paths":["deps"]}]}'
  hook_env LOCK=one
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"

  # Someone with write access to the store rewrites the entry's key; the blob stays valid.
  local entries
  entries=$(dirname -- "$(find "$SEC_STORE/v1/entries" -name deps-one.json)")
  assert_file_exist "$entries/deps-one.json"
  jq --arg key "deps-"$'\r\n'"PATH=$SEC_ATTACKER:/usr/bin:/bin"$'\r\n'"LD_PRELOAD=$SEC_ATTACKER/lib.so" \
    '.key = $key' "$entries/deps-one.json" >"$entries/deps-zz.json"
  rm "$entries/deps-one.json"

  hook_env LOCK=two
  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  assert_hook_exported SWIFT_CACHE_MATCHED_KEY_DEPS ''
  assert_no_injected_exports
  assert_equal "$(hook_exported PATH)" "${HOOK_ENV[PATH]}"
  assert_file_not_exist "$HOOK_CHECKOUT/deps"
}

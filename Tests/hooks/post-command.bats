#!/usr/bin/env bats
#
# post-command: runs cache-save and returns its status, leaving the job's
# shell as it found it.

setup() {
  load helpers/common
  setup_hook_test
  stub_command cache-save
}

@test "runs cache-save once, with no arguments, in the job's checkout" {
  run_hook post-command

  assert_hook_status 0
  assert_equal "$(stub_call_count cache-save)" 1
  assert_equal "$(stub_args cache-save)" ""
  assert_equal "$(stub_cwd cache-save)" "$HOOK_CHECKOUT"
  assert_equal "$(hook_changed_exports)" ""
  assert_shell_state_unchanged
}

@test "cache-save sees the command's exit status and the plugin configuration" {
  hook_env BUILDKITE_COMMAND_EXIT_STATUS=1
  hook_plugin_config '{"caches": [{"id": "bundler", "template": "ruby"}]}'

  run_hook post-command

  assert_hook_status 0
  assert_equal "$(stub_env cache-save BUILDKITE_COMMAND_EXIT_STATUS)" 1
  assert_equal "$(stub_env cache-save BUILDKITE_PLUGIN_SWIFT_CACHE_CACHES_0_TEMPLATE)" ruby
  assert_equal "$(stub_env cache-save BUILDKITE_PLUGIN_CONFIGURATION)" "${HOOK_ENV[BUILDKITE_PLUGIN_CONFIGURATION]}"
}

@test "cache-save's output reaches the job log and the hook adds nothing to it" {
  stub_output cache-save '~~~ :package: Saving caches'

  run_hook post-command

  assert_hook_status 0
  assert_equal "$output" '~~~ :package: Saving caches'
}

@test "cache-save's non-zero status is the hook's, returned without exit" {
  stub_exit cache-save 4

  run_hook post-command

  assert_hook_status 4
  assert_equal "$status" 4
  assert_shell_state_unchanged
}

@test "works in a wrapper shell running with errexit, nounset and pipefail" {
  # shellcheck disable=SC2034 # read by run_hook
  HOOK_WRAPPER_BASH_FLAGS='-e -u -o pipefail'

  run_hook post-command

  assert_hook_status 0
  assert_shell_state_unchanged
}

@test "passes pre-command's state file to cache-save, then removes it and forgets the variable" {
  local state=${HOOK_ENV[TMPDIR]}/swift-cache-state.AbC123
  printf '{}' >"$state"
  hook_env "SWIFT_CACHE_STATE_FILE=$state"

  run_hook post-command

  assert_hook_status 0
  assert_equal "$(stub_args cache-save)" "$(printf '%s\n' --state-file "$state")"
  assert_file_not_exist "$state"
  refute_hook_exported SWIFT_CACHE_STATE_FILE
}

@test "a state file is removed even when cache-save fails" {
  local state=${HOOK_ENV[TMPDIR]}/swift-cache-state.XyZ789
  printf '{}' >"$state"
  hook_env "SWIFT_CACHE_STATE_FILE=$state"
  stub_exit cache-save 1

  run_hook post-command

  assert_hook_status 1
  assert_file_not_exist "$state"
}

@test "SWIFT_CACHE_STATE_FILE naming a file that is not a state file: passed along, never removed" {
  local other=$BATS_TEST_TMPDIR/precious.txt
  printf 'keep me\n' >"$other"
  hook_env "SWIFT_CACHE_STATE_FILE=$other"

  run_hook post-command

  assert_hook_status 0
  assert_file_exist "$other"
  assert_equal "$(stub_args cache-save)" "$(printf '%s\n' --state-file "$other")"
}

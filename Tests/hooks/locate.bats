#!/usr/bin/env bats
#
# Which cache-restore / cache-save the hooks run: a directory named by the
# plugin option binary-dir or by SWIFT_CACHE_BINARY_DIR, else the install
# cache, else PATH when its version is the plugin's (these stubs report it),
# else a download (download.bats), else a build (build.bats).

setup() {
  load helpers/common
  setup_hook_test
  stub_command cache-restore
  stub_command cache-save
  BINARY_DIR="$BATS_TEST_TMPDIR/prebuilt binaries"
  mkdir -p "$BINARY_DIR"
}

@test "PATH: the hooks run the binaries found on PATH" {
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_path cache-restore)" "$HOOK_STUB_BIN/cache-restore"

  run_hook post-command
  assert_hook_status 0
  assert_equal "$(stub_path cache-save)" "$HOOK_STUB_BIN/cache-save"
}

@test "PATH: a shell function of the same name does not stand in for the binary" {
  hook_env 'BASH_FUNC_cache-restore%%=() { echo "the function ran"; }'

  run_hook pre-command

  assert_hook_status 0
  grep -qx 'declare -fx cache-restore' "$HOOK_RUN_DIR/before/functions" # the function was there
  refute_output --partial "the function ran"
  assert_equal "$(stub_call_count cache-restore)" 1
}

@test "binary-dir option: its binaries win over PATH, for both hooks" {
  stub_command cache-restore "$BINARY_DIR"
  stub_command cache-save "$BINARY_DIR"
  hook_plugin_config "$(jq -cn --arg dir "$BINARY_DIR" '{"binary-dir": $dir}')"
  assert_equal "${HOOK_ENV[BUILDKITE_PLUGIN_SWIFT_CACHE_BINARY_DIR]}" "$BINARY_DIR"

  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_path cache-restore)" "$BINARY_DIR/cache-restore"

  run_hook post-command
  assert_hook_status 0
  assert_equal "$(stub_path cache-save)" "$BINARY_DIR/cache-save"
  assert_equal "$(stub_call_count cache-restore)" 1
  assert_equal "$(stub_call_count cache-save)" 1
}

@test "SWIFT_CACHE_BINARY_DIR: the agent's setting is used when the option is absent" {
  stub_command cache-restore "$BINARY_DIR"
  stub_command cache-save "$BINARY_DIR"
  hook_env SWIFT_CACHE_BINARY_DIR="$BINARY_DIR"

  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_path cache-restore)" "$BINARY_DIR/cache-restore"

  run_hook post-command
  assert_hook_status 0
  assert_equal "$(stub_path cache-save)" "$BINARY_DIR/cache-save"
}

@test "the binary-dir option wins over SWIFT_CACHE_BINARY_DIR" {
  local fleet_dir=$BATS_TEST_TMPDIR/fleet
  stub_command cache-restore "$BINARY_DIR"
  stub_command cache-restore "$fleet_dir"
  hook_env SWIFT_CACHE_BINARY_DIR="$fleet_dir"
  hook_plugin_config "$(jq -cn --arg dir "$BINARY_DIR" '{"binary-dir": $dir}')"

  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(stub_path cache-restore)" "$BINARY_DIR/cache-restore"
}

@test "binary-dir option without the binary is an error, with no fallback to PATH" {
  stub_command cache-restore "$BINARY_DIR" # cache-save is missing there
  hook_plugin_config "$(jq -cn --arg dir "$BINARY_DIR" '{"binary-dir": $dir}')"

  run_hook post-command

  assert_hook_status 1
  assert_line '^^^ +++'
  assert_line "swift-cache: error: there is no executable cache-save in '$BINARY_DIR' (from the plugin option binary-dir)."
  assert_equal "$(stub_call_count cache-save)" 0
  assert_shell_state_unchanged
}

@test "SWIFT_CACHE_BINARY_DIR without the binary is an error naming the variable" {
  hook_env SWIFT_CACHE_BINARY_DIR="$BINARY_DIR"

  run_hook pre-command

  assert_hook_status 1
  assert_line "swift-cache: error: there is no executable cache-restore in '$BINARY_DIR' (from the agent environment variable SWIFT_CACHE_BINARY_DIR)."
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_shell_state_unchanged
}

@test "a binary-dir that is not a directory is an error" {
  hook_plugin_config '{"binary-dir": "/nonexistent/swift-cache/bin"}'

  run_hook pre-command

  assert_hook_status 1
  assert_line --partial "the plugin option binary-dir names '/nonexistent/swift-cache/bin', which is not a directory."
  assert_equal "$(stub_call_count cache-restore)" 0
}

@test "a binary-dir whose file is not executable is an error" {
  printf '#!/bin/sh\n' >"$BINARY_DIR/cache-restore"
  hook_plugin_config "$(jq -cn --arg dir "$BINARY_DIR" '{"binary-dir": $dir}')"

  run_hook pre-command

  assert_hook_status 1
  assert_line --partial "there is no executable cache-restore in '$BINARY_DIR'"
}

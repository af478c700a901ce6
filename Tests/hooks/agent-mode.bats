#!/usr/bin/env bats
#
# The hooks as agent (or repository) hooks: no plugin variables, the caches come from the
# repository's .buildkite/cache.yml, and a step that names the plugin is left to the plugin.
# Real binaries (SWIFT_CACHE_TEST_BINARY_DIR, default .build/debug) where the work matters,
# stubs where counting calls is the point.

bats_require_minimum_version 1.5.0

setup() {
  load helpers/common
  load helpers/agent_mode
  setup_hook_test
  hook_agent_mode
  STORE=$BATS_TEST_TMPDIR/store
  hook_env "BUILDKITE_CACHE_STORE_URL=file://$STORE"
}

# Points the hooks at the real binaries.
use_real_binaries() {
  hook_env "SWIFT_CACHE_BINARY_DIR=$(real_binary_dir)"
}

# Puts stub binaries first on PATH, and a stub swift that would "build" them, so a test sees
# any run and any build.
use_recording_stubs() {
  stub_command cache-restore
  stub_command cache-save
  stub_swift
}

@test "agent hook without plugin variables: save, then restore, from .buildkite/cache.yml" {
  use_real_binaries
  write_deps_cache_file cache.yml
  make_deps_tree
  for name in BUILDKITE_PLUGIN_CONFIGURATION BUILDKITE_PLUGIN_NAME BUILDKITE_PLUGINS BUILDKITE_PLUGIN_SWIFT_CACHE_CACHES_0_ID; do
    [[ -z ${HOOK_ENV[$name]+set} ]] || fail "$name is still set"
  done

  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  assert_shell_state_unchanged
  assert_equal "$(store_entry_count "$STORE")" 1

  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_equal "$(cat "$HOOK_CHECKOUT/deps/lib/a.js")" alpha
  [[ -x $HOOK_CHECKOUT/deps/run ]]
  assert_shell_state_unchanged
}

@test "agent hook: .buildkite/cache.yaml works the same" {
  use_real_binaries
  write_deps_cache_file cache.yaml
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
}

@test "agent hook: a configuration error in the cache file fails pre-command" {
  use_real_binaries
  write_cache_file cache.yml 'dependencies:
  - id: deps
    key: k
    paths: [deps]
    colour: red'
  run_hook pre-command
  assert_hook_status 2
  assert_output --partial "unknown key 'colour'"
  assert_shell_state_unchanged
}

@test "no cache file: one line, status 0, no binary run, no build, for both hooks" {
  use_recording_stubs
  before=$(tree_listing "$HOOK_HOME")

  run_hook pre-command
  assert_hook_status 0
  assert_equal "$output" "swift-cache: no .buildkite/cache.yml in this repository; nothing to restore"
  assert_equal "$(hook_changed_exports)" ""
  assert_shell_state_unchanged

  run_hook post-command
  assert_hook_status 0
  assert_equal "$output" "swift-cache: no .buildkite/cache.yml in this repository; nothing to save"
  assert_shell_state_unchanged

  assert_equal "$(stub_call_count cache-restore)" 0
  assert_equal "$(stub_call_count cache-save)" 0
  assert_equal "$(stub_call_count swift)" 0
  assert_dir_not_exist "$(default_build_root)"
  assert_equal "$(tree_listing "$HOOK_HOME")" "$before"
  assert_dir_not_exist "$STORE"
}

@test "no cache file: a binary directory that does not exist is never looked at" {
  hook_env SWIFT_CACHE_BINARY_DIR="$BATS_TEST_TMPDIR/no-such-dir"
  run_hook pre-command
  assert_hook_status 0
  assert_equal "${#lines[@]}" 1
}

@test "no cache file: works in a wrapper shell with errexit, nounset and pipefail" {
  # shellcheck disable=SC2034 # read by run_hook
  HOOK_WRAPPER_BASH_FLAGS='-e -u -o pipefail'
  use_recording_stubs
  run_hook pre-command
  assert_hook_status 0
  assert_shell_state_unchanged
  write_deps_cache_file
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_call_count cache-restore)" 1
  assert_shell_state_unchanged
}

@test "both .buildkite/cache.yml and .yaml: a clear error before any binary is found or built" {
  use_recording_stubs
  write_deps_cache_file cache.yml
  write_deps_cache_file cache.yaml

  run_hook pre-command
  assert_hook_status 2
  assert_output --partial "+++"
  assert_output --partial "both .buildkite/cache.yml and .buildkite/cache.yaml exist in $HOOK_CHECKOUT"
  assert_output --partial "Keep one of them"
  assert_shell_state_unchanged

  run_hook post-command
  assert_hook_status 2
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_equal "$(stub_call_count cache-save)" 0
  assert_equal "$(stub_call_count swift)" 0
}

@test "both cache files: the real binary refuses them too, with exit status 2" {
  # The hook's check keeps a build from running first; the binary says the same on its own.
  write_deps_cache_file cache.yml
  write_deps_cache_file cache.yaml
  run env -i PATH=/usr/bin:/bin HOME="$HOOK_HOME" BUILDKITE_BUILD_CHECKOUT_PATH="$HOOK_CHECKOUT" \
    "$(real_binary_dir)/cache-restore"
  assert_equal "$status" 2
  assert_output --partial "both .buildkite/cache.yml and .buildkite/cache.yaml exist"
}

@test "with a cache file, the agent hook runs the binary without plugin variables, in the checkout" {
  use_recording_stubs
  write_deps_cache_file
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_call_count cache-restore)" 1
  assert_equal "$(stub_cwd cache-restore)" "$HOOK_CHECKOUT"
  run ! stub_env cache-restore BUILDKITE_PLUGIN_CONFIGURATION
  run ! stub_env cache-restore BUILDKITE_PLUGINS
}

@test "without BUILDKITE_BUILD_CHECKOUT_PATH the cache file is looked for in the working directory" {
  use_recording_stubs
  hook_unset BUILDKITE_BUILD_CHECKOUT_PATH
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "no .buildkite/cache.yml"
  write_deps_cache_file
  run_hook pre-command
  assert_equal "$(stub_call_count cache-restore)" 1
}

@test "a step with other plugins only: the agent hook does the work" {
  use_recording_stubs
  write_deps_cache_file
  # Another plugin whose options mention swift-cache as values, never as a location.
  hook_plugins_json '[{"github.com/buildkite-plugins/docker-buildkite-plugin#v5.12.0":{"image":"swift-cache","environment":["swift-cache"],"volumes":{"swift-cache":"x"}}},"github.com/acme/swift-cache-extras-buildkite-plugin#v1"]'

  run_hook pre-command
  assert_hook_status 0
  refute_output --partial "plugin handles caching"
  assert_equal "$(stub_call_count cache-restore)" 1
  run_hook post-command
  assert_equal "$(stub_call_count cache-save)" 1
}

@test "a step that names the plugin: the agent hook leaves caching to it, in every spelling" {
  use_real_binaries
  write_deps_cache_file
  local plugins
  for plugins in \
    '[{"github.com/your-org/swift-cache-buildkite-plugin#v1.0.0":{"caches":[{"id":"x","key":"x","paths":["x"]}]}}]' \
    '[{"docker#v5":{"image":"a \"quoted\" swift-cache"}}, {"https:\/\/git.example.com\/acme\/swift-cache.git#v2":{"config":".buildkite/cache.yml"}}]' \
    '[ "docker#v5" , { "./vendor/plugins/swift-cache" : { } } ]'; do
    hook_plugins_json "$plugins"
    run_hook pre-command
    assert_hook_status 0
    assert_equal "$output" "swift-cache: the step's swift-cache plugin handles caching; this agent or repository hook stands aside; nothing to restore"
    refute_hook_exported SWIFT_CACHE_STATE_FILE
    assert_shell_state_unchanged
    run_hook post-command
    assert_hook_status 0
    assert_equal "$output" "swift-cache: the step's swift-cache plugin handles caching; this agent or repository hook stands aside; nothing to save"
  done
  assert_equal "$(store_entry_count "$STORE")" 0
}

@test "a step that names the plugin without options: reported, since its own hook fails the same way" {
  use_real_binaries
  hook_plugins_json '["github.com/acme/swift-cache-buildkite-plugin.git#main"]'
  run_hook pre-command
  assert_hook_status 2
  assert_output --partial "has no options: give it at least 'caches' or 'config'"
}

# The agent drops every plugin variable, BUILDKITE_PLUGIN_CONFIGURATION included, when an option
# is null (an empty `fallback_keys:` in pipeline.yml). The plugin's own hook then looks like an
# agent hook; it must report the null, not stand aside and leave the job green with no cache.
@test "a null option: the plugin's own hook reports it with the option path instead of doing nothing" {
  use_real_binaries
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-v1","paths":["deps"],"fallback_keys":null}]}'
  hook_as_agent_hook
  local hook
  for hook in pre-command post-command; do
    run_hook "$hook"
    assert_hook_status 2
    assert_output --partial "option caches[0].fallback_keys: 'fallback_keys' in cache definition is null"
    assert_output --partial "The agent passes no options at all to a plugin with a null option"
    refute_output --partial "handles caching"
  done
}

@test "plugin and agent hook in one job: the plugin's hooks restore and save once" {
  use_real_binaries
  write_deps_cache_file
  make_deps_tree
  # The step's plugin options name the same cache file the agent hook would read.
  local config='{"config":".buildkite/cache.yml"}'

  # The agent runs its own hook, then the plugin's, for pre-command and for post-command.
  hook_plugin_config "$config"
  hook_as_agent_hook
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "the step's swift-cache plugin handles caching"
  refute_hook_exported SWIFT_CACHE_HIT_DEPS

  hook_plugin_config "$config"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss

  hook_as_agent_hook
  run_hook post-command
  assert_hook_status 0
  refute_output --partial "deps: saved"
  assert_equal "$(store_entry_count "$STORE")" 0

  hook_plugin_config "$config"
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  assert_equal "$(store_entry_count "$STORE")" 1
}

@test "plugin and agent hook in one job: only the plugin's hooks hand keys over in a state file" {
  use_recording_stubs
  write_deps_cache_file
  local hook binary state=${HOOK_ENV[TMPDIR]}/swift-cache-state.fromplugin
  printf '{}' >"$state"
  hook_env "SWIFT_CACHE_STATE_FILE=$state"
  for hook in pre-command post-command; do
    hook_plugin_config '{"config":".buildkite/cache.yml"}'
    hook_as_agent_hook
    run_hook "$hook"
    assert_hook_status 0
    # The agent hook's post-command leaves the plugin's state file alone.
    assert_file_exist "$state"
    hook_plugin_config '{"config":".buildkite/cache.yml"}'
    run_hook "$hook"
    assert_hook_status 0
  done
  assert_file_not_exist "$state"
  # The agent hook's run only checks the step's options (the real binary then stands aside, see
  # above), without a state file; the plugin's run hands keys over.
  for binary in cache-restore cache-save; do
    assert_equal "$(stub_call_count "$binary")" 2
    run grep -c -- --state-file "$(stub_calls "$binary" | head -n 1)/args"
    assert_output 0
    run grep -c -- --state-file "$(stub_last_call "$binary")/args"
    assert_output 1
  done
  assert_equal "$(stub_env cache-save BUILDKITE_PLUGIN_CONFIGURATION)" '{"config":".buildkite/cache.yml"}'
}

@test "a repository hook that sources the hooks: two lines, a save and a restore" {
  use_real_binaries
  write_deps_cache_file
  make_deps_tree
  mkdir -p "$HOOK_CHECKOUT/.buildkite/hooks"
  local hook
  for hook in pre-command post-command; do
    printf '#!/bin/bash\n. %q || return\n' "$HOOK_PLUGIN_DIR/hooks/$hook" >"$HOOK_CHECKOUT/.buildkite/hooks/$hook"
  done

  run_hook "$HOOK_CHECKOUT/.buildkite/hooks/post-command"
  assert_hook_status 0
  assert_output --partial "deps: saved"
  assert_shell_state_unchanged

  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook "$HOOK_CHECKOUT/.buildkite/hooks/pre-command"
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_file_exist "$HOOK_CHECKOUT/deps/lib/a.js"
  assert_shell_state_unchanged
}

#!/usr/bin/env bats
#
# pre-command: runs cache-restore with an export file and carries what it
# wrote into the job, the way the agent sources the hook.

setup() {
  load helpers/common
  setup_hook_test
  stub_command cache-restore
}

@test "exports every line cache-restore writes, values taken literally" {
  # shellcheck disable=SC2016 # the point: these must stay unexpanded
  stub_exports cache-restore \
    'SWIFT_CACHE_RESTORED=node_modules bundler' \
    'SWIFT_CACHE_KEY=node_modules-linux-x86_64-abc=def==' \
    'EMPTY_VALUE=' \
    'QUOTES=say "hi" and '"'"'bye'"'"'' \
    'DOLLARS=$HOME `id` $(id) \n'

  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_RESTORED 'node_modules bundler'
  assert_hook_exported SWIFT_CACHE_KEY 'node_modules-linux-x86_64-abc=def=='
  assert_hook_exported EMPTY_VALUE ''
  assert_hook_exported QUOTES "say \"hi\" and 'bye'"
  # shellcheck disable=SC2016
  assert_hook_exported DOLLARS '$HOME `id` $(id) \n'
  assert_equal "$(hook_changed_exports)" "$(printf '%s\n' DOLLARS EMPTY_VALUE QUOTES SWIFT_CACHE_KEY SWIFT_CACHE_RESTORED)"
  assert_shell_state_unchanged
}

@test "runs cache-restore once with --export-file in TMPDIR, and removes the file" {
  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(stub_call_count cache-restore)" 1
  mapfile -t args < <(stub_args cache-restore)
  assert_equal "${#args[@]}" 2
  assert_equal "${args[0]}" --export-file
  assert_equal "${args[1]%/*}" "${HOOK_ENV[TMPDIR]}"
  assert_file_not_exist "${args[1]}"
  assert_equal "$(stub_cwd cache-restore)" "$HOOK_CHECKOUT"
}

@test "cache-restore gets the agent's environment, including the plugin configuration" {
  hook_plugin_config '{"store": "file:///var/cache/buildkite", "caches": [{"id": "node_modules", "paths": ["node_modules"]}]}'

  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(stub_env cache-restore BUILDKITE_PLUGIN_NAME)" SWIFT_CACHE
  assert_equal "$(stub_env cache-restore BUILDKITE_PLUGIN_CONFIGURATION)" "${HOOK_ENV[BUILDKITE_PLUGIN_CONFIGURATION]}"
  assert_equal "$(stub_env cache-restore BUILDKITE_PLUGINS)" "${HOOK_ENV[BUILDKITE_PLUGINS]}"
  assert_equal "$(stub_env cache-restore BUILDKITE_PLUGIN_SWIFT_CACHE_STORE)" file:///var/cache/buildkite
  assert_equal "$(stub_env cache-restore BUILDKITE_PLUGIN_SWIFT_CACHE_CACHES_0_PATHS_0)" node_modules
  assert_equal "$(stub_env cache-restore BUILDKITE_JOB_ID)" "${HOOK_ENV[BUILDKITE_JOB_ID]}"
}

@test "cache-restore's output reaches the job log and the hook adds nothing to it" {
  stub_output cache-restore '~~~ :package: Restoring caches'
  stub_output cache-restore 'restore warning' stderr

  run_hook pre-command

  assert_hook_status 0
  assert_equal "$output" "$(printf '%s\n' '~~~ :package: Restoring caches' 'restore warning')"
}

@test "replaces a variable the job already had" {
  hook_env SWIFT_CACHE_RESTORED=stale
  stub_exports cache-restore 'SWIFT_CACHE_RESTORED=fresh'

  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_RESTORED fresh
}

@test "invalid lines are skipped with a warning and never evaluated" {
  local pwned=$BATS_TEST_TMPDIR/pwned
  stub_exports cache-restore \
    'GOOD_BEFORE=1' \
    "\$(touch $pwned)=x" \
    "\`touch $pwned\`=x" \
    'a line without an equals sign' \
    '1STARTS_WITH_DIGIT=x' \
    'HAS-DASH=x' \
    ' LEADING_SPACE=x' \
    "ARR[\$(touch $pwned)]=x" \
    '=no name' \
    "VALUE_IS_CODE=\$(touch $pwned)" \
    'GOOD_AFTER=2'

  run_hook pre-command

  assert_hook_status 0
  assert_file_not_exist "$pwned"
  assert_hook_exported GOOD_BEFORE 1
  assert_hook_exported GOOD_AFTER 2
  assert_hook_exported VALUE_IS_CODE "\$(touch $pwned)"
  assert_equal "$(hook_changed_exports)" "$(printf '%s\n' GOOD_AFTER GOOD_BEFORE VALUE_IS_CODE)"
  assert_line --partial "ignoring line 2 of cache-restore's export file"
  assert_line --partial "ignoring line 3 of cache-restore's export file"
  assert_line "swift-cache: warning: ignoring line 4 of cache-restore's export file: it is not NAME=VALUE."
  for line in 5 6 7 8 9; do
    assert_line --partial "ignoring line $line of cache-restore's export file"
  done
  refute_line --partial "ignoring line 10"
  assert_shell_state_unchanged
}

@test "special shell variables are refused, since assigning them could evaluate the value" {
  local pwned=$BATS_TEST_TMPDIR/pwned
  stub_exports cache-restore \
    "RANDOM=a[\$(touch $pwned)]" \
    "SECONDS=a[\$(touch $pwned)]" \
    "OPTIND=a[\$(touch $pwned)]" \
    'BASH_VERSINFO=x' \
    'SHELLOPTS=errexit' \
    'GROUPS=x' \
    'swift_cache_status=0' \
    'STILL_FINE=yes'

  run_hook pre-command

  assert_hook_status 0
  assert_file_not_exist "$pwned"
  assert_equal "$(hook_changed_exports)" STILL_FINE
  for line in 1 2 3 4 5 6 7; do
    assert_line --partial "ignoring line $line of cache-restore's export file"
  done
  assert_shell_state_unchanged
}

@test "a last line without a newline counts; blank lines are skipped silently" {
  stub_exports_raw cache-restore $'FIRST=1\n\n\nLAST=no newline'

  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported FIRST 1
  assert_hook_exported LAST 'no newline'
  refute_output --partial warning
}

@test "an empty export file changes nothing" {
  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(hook_changed_exports)" ""
  assert_shell_state_unchanged
}

@test "cache-restore's non-zero status is the hook's, returned without exit" {
  stub_exports cache-restore 'SWIFT_CACHE_RESTORED=partial'
  stub_exit cache-restore 3

  run_hook pre-command

  # assert_hook_status needs the wrapper's after-dump: an `exit` would skip it.
  assert_hook_status 3
  assert_equal "$status" 3
  assert_hook_exported SWIFT_CACHE_RESTORED partial
  mapfile -t args < <(stub_args cache-restore)
  assert_file_not_exist "${args[1]}"
  assert_shell_state_unchanged
}

@test "works in a wrapper shell running with errexit, nounset and pipefail" {
  # shellcheck disable=SC2034 # read by run_hook
  HOOK_WRAPPER_BASH_FLAGS='-e -u -o pipefail'
  stub_exports cache-restore 'SWIFT_CACHE_RESTORED=yes'

  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_RESTORED yes
  assert_shell_state_unchanged
}

@test "leaves the functions the job's shell already had" {
  # Functions exported through the environment are defined in the wrapper.
  hook_env 'BASH_FUNC_job_helper%%=() { echo helper; }'

  run_hook pre-command

  assert_hook_status 0
  assert_shell_state_unchanged
  grep -qx 'declare -fx job_helper' "$HOOK_RUN_DIR/after/functions"
}

@test "an unwritable TMPDIR is an error before cache-restore runs" {
  hook_env TMPDIR="$BATS_TEST_TMPDIR/no-such-dir"

  run_hook pre-command

  assert_hook_status 1
  assert_line --partial "cannot create a temporary file in '$BATS_TEST_TMPDIR/no-such-dir' for cache-restore's exports."
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_shell_state_unchanged
}

@test "an incomplete plugin checkout is an error, and the functions loaded so far are forgotten" {
  rm "$HOOK_PLUGIN_DIR/hooks/lib/exports.bash"

  run_hook pre-command

  assert_hook_status 1
  assert_line --partial "cannot load the hook library from"
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_shell_state_unchanged
}

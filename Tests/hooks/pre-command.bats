#!/usr/bin/env bats
#
# pre-command: runs cache-restore with an export file and carries what it
# wrote into the job, the way the agent sources the hook.

setup() {
  load helpers/common
  setup_hook_test
  stub_command cache-restore
}

# The names exported from cache-restore's export file: every changed export but
# SWIFT_CACHE_STATE_FILE, which the hook sets itself (tested on its own below).
exports_from_file() {
  hook_changed_exports | grep -vx SWIFT_CACHE_STATE_FILE || true
}

@test "exports every line cache-restore writes, values taken literally" {
  # shellcheck disable=SC2016 # the point: these must stay unexpanded
  stub_exports cache-restore \
    'SWIFT_CACHE_HIT_NODE_MODULES=exact' \
    'SWIFT_CACHE_MATCHED_KEY_NODE_MODULES=node_modules-linux-x86_64-abc=def==' \
    'SWIFT_CACHE_MATCHED_KEY_EMPTY=' \
    'SWIFT_CACHE_MATCHED_KEY_QUOTES=say "hi" and '"'"'bye'"'"'' \
    'SWIFT_CACHE_MATCHED_KEY_DOLLARS=$HOME `id` $(id) \n'

  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_NODE_MODULES exact
  assert_hook_exported SWIFT_CACHE_MATCHED_KEY_NODE_MODULES 'node_modules-linux-x86_64-abc=def=='
  assert_hook_exported SWIFT_CACHE_MATCHED_KEY_EMPTY ''
  assert_hook_exported SWIFT_CACHE_MATCHED_KEY_QUOTES "say \"hi\" and 'bye'"
  # shellcheck disable=SC2016
  assert_hook_exported SWIFT_CACHE_MATCHED_KEY_DOLLARS '$HOME `id` $(id) \n'
  assert_equal "$(exports_from_file)" "$(printf '%s\n' SWIFT_CACHE_HIT_NODE_MODULES SWIFT_CACHE_MATCHED_KEY_DOLLARS \
    SWIFT_CACHE_MATCHED_KEY_EMPTY SWIFT_CACHE_MATCHED_KEY_NODE_MODULES SWIFT_CACHE_MATCHED_KEY_QUOTES)"
  assert_shell_state_unchanged
}

@test "a carriage return and line feed in a value never becomes an export of its own" {
  local attacker=$BATS_TEST_TMPDIR/attacker
  stub_exports_raw cache-restore "SWIFT_CACHE_HIT_DEPS=fallback
SWIFT_CACHE_MATCHED_KEY_DEPS=deps-"$'\r'"
PATH=$attacker:/usr/bin:/bin"$'\r'"
BASH_ENV=$attacker/env.sh
LD_PRELOAD=$attacker/lib.so
SWIFT_CACHE_MATCHED_KEY_TAB=a"$'\t'"b
SWIFT_CACHE_MATCHED_KEY_ESC=a"$'\e'"[31m
SWIFT_CACHE_MATCHED_KEY_DEL=a"$'\x7f'"
SWIFT_CACHE_MATCHED_KEY_C1=a"$'\xc2\x85'"b
SWIFT_CACHE_MATCHED_KEY_UTF8=caf"$'\xc3\xa9'"
"

  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(exports_from_file)" "$(printf '%s\n' SWIFT_CACHE_HIT_DEPS SWIFT_CACHE_MATCHED_KEY_UTF8)"
  assert_hook_exported SWIFT_CACHE_MATCHED_KEY_UTF8 "caf"$'\xc3\xa9'
  assert_line --partial "ignoring line 2 of cache-restore's export file: the value of SWIFT_CACHE_MATCHED_KEY_DEPS holds a control character."
  assert_line --partial "ignoring line 3 of cache-restore's export file: 'PATH' is not a name swift-cache exports"
  assert_line --partial "ignoring line 4 of cache-restore's export file: 'BASH_ENV' is not a name swift-cache exports"
  for line in 5 6 7 8 9; do
    assert_line --partial "ignoring line $line of cache-restore's export file"
  done
  refute_line --partial "ignoring line 10"
  assert_shell_state_unchanged
}

@test "random bytes through the export file: nothing but the documented names is ever exported" {
  local round name
  for round in $(seq 1 40); do
    # Lines of random bytes, some of them prefixed with an allowed name, so both checks are hit.
    python3 - "$BATS_TEST_TMPDIR/export-$round" "$round" <<'PY'
import random, sys
rng = random.Random(int(sys.argv[2]))
alphabet = [bytes([b]) for b in range(1, 256)] + [b"\r\n", b"\n", b"=", b"PATH=", b"BASH_ENV=", b"SWIFT_CACHE_HIT_", b"\xc2\x85"]
with open(sys.argv[1], "wb") as out:
    for _ in range(rng.randint(1, 30)):
        prefix = rng.choice([b"", b"SWIFT_CACHE_HIT_X=", b"SWIFT_CACHE_MATCHED_KEY_Y=", b"SWIFT_CACHE_HIT_"])
        out.write(prefix + b"".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) + b"\n")
PY
    stub_exports_raw cache-restore "$(cat "$BATS_TEST_TMPDIR/export-$round")"

    run_hook pre-command

    assert_hook_status 0
    while IFS= read -r name; do
      [[ -z $name ]] && continue
      [[ $name =~ ^SWIFT_CACHE_(HIT|MATCHED_KEY)_[A-Z0-9_]+$ ]] || fail "round $round exported '$name'"
      if LC_ALL=C grep -q '[[:cntrl:]]' <<<"$(hook_exported "$name")"; then
        fail "round $round exported a control character in $name"
      fi
    done < <(exports_from_file)
    assert_shell_state_unchanged
  done
}

@test "runs cache-restore once with --export-file in TMPDIR, and removes the file" {
  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(stub_call_count cache-restore)" 1
  mapfile -t args < <(stub_args cache-restore)
  assert_equal "${#args[@]}" 4
  assert_equal "${args[0]}" --export-file
  assert_equal "${args[1]%/*}" "${HOOK_ENV[TMPDIR]}"
  assert_file_not_exist "${args[1]}"
  assert_equal "$(stub_cwd cache-restore)" "$HOOK_CHECKOUT"
}

@test "hands cache-restore a state file for post-command and exports its path itself" {
  run_hook pre-command

  assert_hook_status 0
  mapfile -t args < <(stub_args cache-restore)
  assert_equal "${args[2]}" --state-file
  assert_equal "${args[3]%/*}" "${HOOK_ENV[TMPDIR]}"
  assert_equal "$(hook_changed_exports)" SWIFT_CACHE_STATE_FILE
  assert_hook_exported SWIFT_CACHE_STATE_FILE "${args[3]}"
  # Kept for post-command, which removes it.
  assert_file_exist "${args[3]}"
  assert_shell_state_unchanged
}

@test "an export file line cannot set SWIFT_CACHE_STATE_FILE" {
  stub_exports cache-restore "SWIFT_CACHE_STATE_FILE=$BATS_TEST_TMPDIR/elsewhere" 'SWIFT_CACHE_HIT_DEPS=miss'

  run_hook pre-command

  assert_hook_status 0
  assert_line --partial "ignoring line 1 of cache-restore's export file: 'SWIFT_CACHE_STATE_FILE' is not a name swift-cache exports"
  mapfile -t args < <(stub_args cache-restore)
  assert_hook_exported SWIFT_CACHE_STATE_FILE "${args[3]}"
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
  hook_env SWIFT_CACHE_HIT_DEPS=stale
  stub_exports cache-restore 'SWIFT_CACHE_HIT_DEPS=fresh'

  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS fresh
}

@test "invalid lines are skipped with a warning and never evaluated" {
  local pwned=$BATS_TEST_TMPDIR/pwned
  stub_exports cache-restore \
    'SWIFT_CACHE_HIT_BEFORE=1' \
    "\$(touch $pwned)=x" \
    "\`touch $pwned\`=x" \
    'a line without an equals sign' \
    '1STARTS_WITH_DIGIT=x' \
    'HAS-DASH=x' \
    ' LEADING_SPACE=x' \
    "ARR[\$(touch $pwned)]=x" \
    '=no name' \
    "SWIFT_CACHE_MATCHED_KEY_CODE=\$(touch $pwned)" \
    'SWIFT_CACHE_HIT_AFTER=2'

  run_hook pre-command

  assert_hook_status 0
  assert_file_not_exist "$pwned"
  assert_hook_exported SWIFT_CACHE_HIT_BEFORE 1
  assert_hook_exported SWIFT_CACHE_HIT_AFTER 2
  assert_hook_exported SWIFT_CACHE_MATCHED_KEY_CODE "\$(touch $pwned)"
  assert_equal "$(exports_from_file)" "$(printf '%s\n' SWIFT_CACHE_HIT_AFTER SWIFT_CACHE_HIT_BEFORE SWIFT_CACHE_MATCHED_KEY_CODE)"
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
    'SWIFT_CACHE_HIT_STILL_FINE=yes'

  run_hook pre-command

  assert_hook_status 0
  assert_file_not_exist "$pwned"
  assert_equal "$(exports_from_file)" SWIFT_CACHE_HIT_STILL_FINE
  for line in 1 2 3 4 5 6 7; do
    assert_line --partial "ignoring line $line of cache-restore's export file"
  done
  assert_shell_state_unchanged
}

@test "a last line without a newline counts; blank lines are skipped silently" {
  stub_exports_raw cache-restore $'SWIFT_CACHE_HIT_FIRST=1\n\n\nSWIFT_CACHE_HIT_LAST=no newline'

  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_FIRST 1
  assert_hook_exported SWIFT_CACHE_HIT_LAST 'no newline'
  refute_output --partial warning
}

@test "an empty export file changes nothing" {
  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(exports_from_file)" ""
  assert_shell_state_unchanged
}

@test "cache-restore's non-zero status is the hook's, returned without exit" {
  stub_exports cache-restore 'SWIFT_CACHE_HIT_RESTORED=partial'
  stub_exit cache-restore 3

  run_hook pre-command

  # assert_hook_status needs the wrapper's after-dump: an `exit` would skip it.
  assert_hook_status 3
  assert_equal "$status" 3
  assert_hook_exported SWIFT_CACHE_HIT_RESTORED partial
  mapfile -t args < <(stub_args cache-restore)
  assert_file_not_exist "${args[1]}"
  assert_shell_state_unchanged
}

@test "works in a wrapper shell running with errexit, nounset and pipefail" {
  # shellcheck disable=SC2034 # read by run_hook
  HOOK_WRAPPER_BASH_FLAGS='-e -u -o pipefail'
  stub_exports cache-restore 'SWIFT_CACHE_HIT_RESTORED=yes'

  run_hook pre-command

  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_RESTORED yes
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

@test "a TMPDIR that does not exist falls back to /tmp with a warning" {
  hook_env TMPDIR="$BATS_TEST_TMPDIR/no-such-dir"
  stub_exports cache-restore 'SWIFT_CACHE_HIT_DEPS=exact'

  run_hook pre-command

  assert_hook_status 0
  assert_line "swift-cache: warning: TMPDIR='$BATS_TEST_TMPDIR/no-such-dir' is not a writable directory; using /tmp for cache-restore's exports."
  assert_equal "$(stub_call_count cache-restore)" 1
  mapfile -t args < <(stub_args cache-restore)
  assert_equal "${args[1]%/*}" /tmp
  assert_file_not_exist "${args[1]}"
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
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

@test "a failed or cancelled restore removes its state file: no post-command will read it" {
  local code
  for code in 1 2 130; do
    stub_exit cache-restore "$code"
    run_hook pre-command
    assert_hook_status "$code"
    refute_hook_exported SWIFT_CACHE_STATE_FILE
    mapfile -t args < <(stub_args cache-restore)
    assert_file_not_exist "${args[3]}"
  done
}

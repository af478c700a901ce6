# shellcheck shell=bash
#
# Runs a plugin hook the way buildkite-agent does, so tests see what a job sees.
#
# The agent does not execute a job hook: it writes a wrapper script that dumps
# the environment, *sources* the hook, records `$?` and the working directory,
# dumps the environment again, and exits with the recorded status. The
# difference between the two dumps is what the command and later hooks get.
# That is why a hook that calls `exit` loses its exports, and why anything a
# hook leaves in the shell (options, functions, variables, traps, descriptors)
# is a bug. This harness does the same in a fresh `bash` with a clean,
# agent-like environment, and also snapshots that shell state before and after.
#
# Usage (see Tests/hooks/README.md):
#   setup() { hook_harness_setup; }            # fresh dirs and environment
#   hook_env NAME=VALUE ...                     # add or override variables
#   hook_plugin_config '{"binary-dir": "/x"}'   # JSON + flattened variables
#   run_hook pre-command                        # bats `run`; sets HOOK_STATUS
#   assert_hook_status 0
#   assert_hook_exported NAME VALUE
#   assert_shell_state_unchanged

# The plugin's name as the agent spells it in variable names.
HOOK_PLUGIN_ENV_NAME=SWIFT_CACHE

# Repository root (this file is Tests/hooks/helpers/agent_wrapper.bash).
HOOK_REPO_DIR=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/../../.." && pwd)

# Prepares a fresh job for the current test: temp HOME, TMPDIR and checkout,
# a stub bin directory first on PATH, and the variables the agent sets.
# Globals it sets (tests may change them before run_hook):
#   HOOK_PLUGIN_DIR  plugin checkout whose hooks/ run (default: this repository)
#   HOOK_CHECKOUT    the job's checkout, and the hook's working directory
#   HOOK_HOME        HOME of the job
#   HOOK_STUB_BIN    first directory on PATH (for stubs)
#   HOOK_WRAPPER_BASH_FLAGS  flags for the wrapper's bash (e.g. -u), default none
#   HOOK_ENV         associative array: the job's whole environment
hook_harness_setup() {
  local root=${BATS_TEST_TMPDIR:?hook_harness_setup runs inside a bats test}/job
  mkdir -p "$root/home" "$root/tmp" "$root/checkout" "$root/stub-bin" "$root/runs"
  HOOK_PLUGIN_DIR=$HOOK_REPO_DIR
  HOOK_CHECKOUT=$root/checkout
  HOOK_HOME=$root/home
  HOOK_STUB_BIN=$root/stub-bin
  HOOK_RUNS_DIR=$root/runs
  HOOK_WRAPPER_BASH_FLAGS=
  HOOK_STATUS=
  HOOK_RUN_DIR=

  declare -gA HOOK_ENV=()
  HOOK_ENV=(
    [PATH]="$HOOK_STUB_BIN:/usr/local/bin:/usr/bin:/bin"
    [HOME]=$HOOK_HOME
    [TMPDIR]=$root/tmp
    [LANG]=C.UTF-8
    [CI]=true
    [BUILDKITE]=true
    [BUILDKITE_AGENT_NAME]=test-agent-1
    [BUILDKITE_ORGANIZATION_SLUG]=acme
    [BUILDKITE_PIPELINE_SLUG]=widgets
    [BUILDKITE_PIPELINE_DEFAULT_BRANCH]=main
    [BUILDKITE_BRANCH]=feature/faster-builds
    [BUILDKITE_COMMIT]=0123456789abcdef0123456789abcdef01234567
    [BUILDKITE_REPO]=git@github.com:acme/widgets.git
    [BUILDKITE_PULL_REQUEST]=false
    [BUILDKITE_BUILD_ID]=01890000-0000-4000-8000-000000000001
    [BUILDKITE_BUILD_NUMBER]=42
    [BUILDKITE_JOB_ID]=01890000-0000-4000-8000-000000000002
    [BUILDKITE_STEP_KEY]=test
    [BUILDKITE_LABEL]=":npm: test"
    [BUILDKITE_COMMAND]="make test"
    [BUILDKITE_BUILD_CHECKOUT_PATH]=$HOOK_CHECKOUT
    [BUILDKITE_PLUGIN_NAME]=$HOOK_PLUGIN_ENV_NAME
    # No test may reach the real network: a release download goes to a
    # closed loopback port unless the test serves one (helpers/download.bash),
    # and its retries do not wait.
    [SWIFT_CACHE_DOWNLOAD_URL]=http://127.0.0.1:1/downloads-are-off-in-tests
    [SWIFT_CACHE_DOWNLOAD_RETRY_DELAY]=0
  )
  hook_plugin_config '{}'
}

# Adds or overrides variables of the job's environment: hook_env NAME=VALUE ...
hook_env() {
  local assignment
  for assignment in "$@"; do
    HOOK_ENV[${assignment%%=*}]=${assignment#*=}
  done
}

# Removes variables from the job's environment: hook_unset NAME ...
hook_unset() {
  local name
  for name in "$@"; do
    unset "HOOK_ENV[$name]"
  done
}

# Sets this plugin's options as the agent hands them over: the JSON in
# BUILDKITE_PLUGIN_CONFIGURATION and BUILDKITE_PLUGINS, and one flattened
# BUILDKITE_PLUGIN_SWIFT_CACHE_* variable per scalar (keys upper-cased, runs of
# other characters turned into `_`, array indexes as numbers; nulls skipped).
# $1: the options as JSON. $2: the plugin reference (optional).
hook_plugin_config() {
  local json=$1 reference=${2:-github.com/your-org/swift-cache-buildkite-plugin#v1.0.0}
  local name pair prefix=BUILDKITE_PLUGIN_${HOOK_PLUGIN_ENV_NAME}_
  for name in "${!HOOK_ENV[@]}"; do
    if [[ $name == "$prefix"* ]]; then
      unset "HOOK_ENV[$name]"
    fi
  done
  HOOK_ENV[BUILDKITE_PLUGIN_CONFIGURATION]=$json
  HOOK_ENV[BUILDKITE_PLUGINS]=$(jq -cn --arg ref "$reference" --argjson config "$json" '[{($ref): $config}]') ||
    fail "hook_plugin_config: not valid JSON: $json"
  while IFS= read -r -d '' pair; do
    HOOK_ENV[${pair%%=*}]=${pair#*=}
  done < <(jq -j --arg prefix "$prefix" '
    [paths(type != "object" and type != "array") as $p | select(getpath($p) != null)
      | $prefix + ([$p[] | tostring | ascii_upcase | gsub("[^A-Z0-9]+"; "_")] | join("_"))
        + "=" + (getpath($p) | tostring) + "\u0000"] | add // ""' <<<"$json")
}

# Writes the wrapper for one run of hook $1 and sets HOOK_RUN_DIR and the
# array HOOK_COMMAND (the command that runs it). $1 is a hook name under
# $HOOK_PLUGIN_DIR/hooks (pre-command) or a path.
hook_prepare_run() {
  local hook=$1 name
  if [[ $hook != */* ]]; then
    hook=$HOOK_PLUGIN_DIR/hooks/$hook
  fi
  [[ -f $hook ]] || fail "hook_prepare_run: no hook at $hook"
  HOOK_RUN_DIR=$(mktemp -d "$HOOK_RUNS_DIR/run.XXXXXX")

  # The first four lines after the snapshot mirror the agent's wrapper
  # (buildkite-agent's scriptwrapper: env dump, `. hook`, status, env dump).
  {
    printf '#!/bin/bash\n'
    printf '__harness_dir=%q\n' "$HOOK_RUN_DIR"
    cat <<'WRAPPER'
__harness_snapshot() {
  local __harness_into=$__harness_dir/$1
  mkdir -p "$__harness_into"
  export -p >"$__harness_into/export"
  env -0 >"$__harness_into/env0"
  set -o >"$__harness_into/set-o"
  shopt >"$__harness_into/shopt"
  declare -F >"$__harness_into/functions"
  # Shell variables that are not exported: the hook must not leave any behind
  # (its exports are compared separately).
  # (Plain files, not process substitutions, which hold descriptors open that
  # the descriptor check below would see.)
  compgen -v | LC_ALL=C sort >"$__harness_into/all-variables"
  compgen -e | LC_ALL=C sort >"$__harness_into/exported-variables"
  LC_ALL=C comm -23 "$__harness_into/all-variables" "$__harness_into/exported-variables" |
    grep -v -e '^__harness_' >"$__harness_into/variables"
  trap -p >"$__harness_into/traps"
  umask >"$__harness_into/umask"
  pwd >"$__harness_into/pwd"
  # No pipeline here: the shell holds the pipe's ends while it starts ls.
  ls "/proc/$$/fd" >"$__harness_into/fds.unsorted"
  LC_ALL=C sort -n "$__harness_into/fds.unsorted" >"$__harness_into/fds"
}
__harness_snapshot before
WRAPPER
    printf '. %q\n' "$hook"
    cat <<'WRAPPER'
export BUILDKITE_HOOK_EXIT_STATUS=$?
export BUILDKITE_HOOK_WORKING_DIR="${PWD}"
printf '%s\n' "$BUILDKITE_HOOK_EXIT_STATUS" >"$__harness_dir/status"
__harness_snapshot after
exit $BUILDKITE_HOOK_EXIT_STATUS
WRAPPER
  } >"$HOOK_RUN_DIR/wrapper"

  local -a assignments=()
  for name in "${!HOOK_ENV[@]}"; do
    assignments+=("$name=${HOOK_ENV[$name]}")
  done
  if [[ ${hook##*/} == post-command && -z ${HOOK_ENV[BUILDKITE_COMMAND_EXIT_STATUS]+set} ]]; then
    assignments+=(BUILDKITE_COMMAND_EXIT_STATUS=0)
  fi
  local -a flags=()
  if [[ -n $HOOK_WRAPPER_BASH_FLAGS ]]; then
    read -r -a flags <<<"$HOOK_WRAPPER_BASH_FLAGS"
  fi
  # shellcheck disable=SC2016 # expanded by the inner bash
  HOOK_COMMAND=(bash -c 'cd -- "$1" && shift && exec "$@"' hook-run "$HOOK_CHECKOUT"
    env -i "${assignments[@]}" bash "${flags[@]}" "$HOOK_RUN_DIR/wrapper")
}

# Runs hook $1 with bats `run` (so $status and $output are the wrapper's
# status and the job log lines), then sets HOOK_STATUS to the status the
# wrapper recorded for the hook (empty if the hook ended the wrapper early).
run_hook() {
  hook_prepare_run "$1"
  run "${HOOK_COMMAND[@]}"
  hook_collect_status
}

# Starts hook $1 in the background, with its log in $HOOK_RUN_DIR/output.
# Keep $HOOK_RUN_DIR and pass it to wait_hook. (Call it directly, not in
# `$(...)`: the wait needs the hook to be a child of the test's shell.)
start_hook() {
  hook_prepare_run "$1"
  "${HOOK_COMMAND[@]}" >"$HOOK_RUN_DIR/output" 2>&1 &
  printf '%s\n' "$!" >"$HOOK_RUN_DIR/pid"
}

# Waits for a hook started with start_hook (run directory $1), then makes it
# the current run: sets HOOK_RUN_DIR, HOOK_STATUS, $status and $output.
# shellcheck disable=SC2034 # bats' own $status and $output, as `run` sets them
wait_hook() {
  HOOK_RUN_DIR=$1
  status=0
  wait "$(cat "$HOOK_RUN_DIR/pid")" || status=$?
  output=$(cat "$HOOK_RUN_DIR/output")
  hook_collect_status
}

hook_collect_status() {
  HOOK_STATUS=
  if [[ -f $HOOK_RUN_DIR/status ]]; then
    HOOK_STATUS=$(cat "$HOOK_RUN_DIR/status")
  fi
}

# Reads the exported variables of the last run's dump $1 (before|after) into
# the associative array named $2.
hook_read_environment() {
  local -n into=$2
  local entry
  into=()
  while IFS= read -r -d '' entry; do
    # shellcheck disable=SC2034 # a reference to the caller's array
    into[${entry%%=*}]=${entry#*=}
  done <"$HOOK_RUN_DIR/$1/env0"
}

# Prints, one per line and sorted, the names the last run exported anew or
# with a changed value (leaving out the two the wrapper itself adds).
hook_changed_exports() {
  local -A before=() after=()
  local name
  hook_read_environment before before
  hook_read_environment after after
  for name in "${!after[@]}"; do
    case $name in BUILDKITE_HOOK_EXIT_STATUS | BUILDKITE_HOOK_WORKING_DIR) continue ;; esac
    if [[ -z ${before[$name]+set} || ${before[$name]} != "${after[$name]}" ]]; then
      printf '%s\n' "$name"
    fi
  done | LC_ALL=C sort
}

# Prints the value $1 had in the environment after the last run;
# fails if it was not exported.
hook_exported() {
  local -A after=()
  hook_read_environment after after
  [[ -n ${after[$1]+set} ]] || return 1
  printf '%s' "${after[$1]}"
}

# Fails unless the last run's hook status (as the wrapper recorded it) is $1.
assert_hook_status() {
  [[ -f $HOOK_RUN_DIR/status ]] ||
    fail "the hook ended the wrapper before it could record its status (did it call exit?); output:
$output"
  [[ $HOOK_STATUS == "$1" ]] ||
    fail "expected the hook to return $1 but it returned $HOOK_STATUS; output:
$output"
}

# Fails unless the last run exported $1 with the value $2.
assert_hook_exported() {
  local value
  value=$(hook_exported "$1") || fail "the hook did not export $1; it changed: $(hook_changed_exports | tr '\n' ' ')"
  [[ $value == "$2" ]] || fail "the hook exported $1='$value', expected '$2'"
}

# Fails if the last run exported $1 (anew or changed).
refute_hook_exported() {
  if hook_changed_exports | grep -qx -- "$1"; then
    fail "the hook exported $1='$(hook_exported "$1")', expected it to leave it alone"
  fi
}

# Fails unless the shell the hook was sourced into has the same options,
# functions, variable names, traps, umask, working directory and open file
# descriptors after the hook as before.
assert_shell_state_unchanged() {
  [[ -d $HOOK_RUN_DIR/after ]] ||
    fail "the hook ended the wrapper before the after-dump (did it call exit?); output:
$output"
  local aspect differences
  for aspect in set-o shopt functions variables traps umask pwd fds; do
    if ! differences=$(diff -u "$HOOK_RUN_DIR/before/$aspect" "$HOOK_RUN_DIR/after/$aspect"); then
      fail "the hook changed the job shell's $aspect:
$differences"
    fi
  done
}

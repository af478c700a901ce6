# shellcheck shell=bash
#
# Fake executables for hook tests (bats-mock is not packaged for Debian).
#
# A stub is a small bash script that records each call (arguments, working
# directory, environment, its own path) and then behaves as the test set it
# up: lines to write to the file after `--export-file`, text to print, an exit
# status. The behaviour lives in files beside the records, so a test changes
# it at any time without quoting trouble, and copies of a stub (the fake swift
# "builds" them) report to the same place.
#
#   stub_command cache-restore               # on PATH ($HOOK_STUB_BIN)
#   stub_command cache-save "$dir"           # somewhere else
#   HOOK_STUB_VERSION=0.9.0 stub_command cache-restore   # answers --version with 0.9.0
#   stub_exports cache-restore 'A=1' 'B=x y'
#   stub_exit cache-restore 3
#   stub_output cache-restore 'restored node_modules'
#   stub_call_count cache-restore            # prints 1
#   stub_args cache-restore                  # arguments of the last call, one a line
#
# stub_swift writes a fake `swift` whose `swift build` copies the stubs made
# with stub_swift_product into <scratch-path>/release, the way a real release
# build leaves its executables there.

# Where records and behaviour of the stub $1 live (per test).
stub_state() {
  printf '%s\n' "${BATS_TEST_TMPDIR:?stubs run inside a bats test}/stubs/$1"
}

# Writes the shared recording prologue of a stub script to stdout.
# $1: the stub's state directory. $2 (optional): the version the stub
# answers `--version` with, without recording a call (the hooks ask a binary
# on PATH for its version before they decide to run it).
stub_write_prologue() {
  printf '#!/bin/bash\n'
  if [[ -n ${2:-} ]]; then
    # shellcheck disable=SC2016 # expanded by the stub
    printf 'if [[ $# -eq 1 && $1 == --version ]]; then printf "%%s\\n" %q; exit 0; fi\n' "$2"
  fi
  printf 'stub_state=%q\n' "$1"
  cat <<'STUB'
stub_call=$stub_state/calls/$(date +%s%N).$$
mkdir -p "$stub_call"
printf '%s\n' "$0" >"$stub_call/path"
pwd >"$stub_call/cwd"
printf '%s\n' "$@" >"$stub_call/args"
env -0 >"$stub_call/env0"
if [[ -f $stub_state/stdout ]]; then cat "$stub_state/stdout"; fi
if [[ -f $stub_state/stderr ]]; then cat "$stub_state/stderr" >&2; fi
STUB
}

# Creates the stub $1 (a fake executable) in directory $2 (default: the
# harness's stub bin, first on PATH). Its default behaviour: exit 0, no
# output, an empty export file. It answers `--version` with
# $HOOK_STUB_VERSION (default: the fake plugin's version, see common.bash)
# and does not count that as a call.
stub_command() {
  local name=$1 dir=${2:-${HOOK_STUB_BIN:?}} state
  state=$(stub_state "$name")
  mkdir -p "$dir" "$state/calls"
  {
    stub_write_prologue "$state" "${HOOK_STUB_VERSION:-${HOOK_TEST_PLUGIN_VERSION:?}}"
    cat <<'STUB'
while (($# > 0)); do
  if [[ $1 == --export-file && $# -ge 2 ]]; then
    if [[ -f $stub_state/exports ]]; then
      cat "$stub_state/exports" >"$2"
    else
      : >"$2"
    fi
  fi
  shift
done
exit "$(cat "$stub_state/exit" 2>/dev/null || echo 0)"
STUB
  } >"$dir/$name"
  chmod +x "$dir/$name"
}

# Sets the exact bytes the stub $1 writes to its export file: the remaining
# arguments, each followed by a newline.
stub_exports() {
  local state
  state=$(stub_state "$1")
  shift
  printf '%s\n' "$@" >"$state/exports"
}

# Sets the exact bytes (no newline added) the stub $1 writes to its export file.
stub_exports_raw() {
  local state
  state=$(stub_state "$1")
  printf '%s' "$2" >"$state/exports"
}

# Sets the exit status of the stub $1.
stub_exit() {
  printf '%s\n' "$2" >"$(stub_state "$1")/exit"
}

# Sets a line the stub $1 prints on stdout ($3 = stderr to print it there).
stub_output() {
  printf '%s\n' "$2" >"$(stub_state "$1")/${3:-stdout}"
}

# Prints the record directories of the stub $1's calls, oldest first.
stub_calls() {
  local state
  state=$(stub_state "$1")
  if [[ -d $state/calls ]]; then
    find "$state/calls" -mindepth 1 -maxdepth 1 -type d | LC_ALL=C sort
  fi
}

# Prints how many times the stub $1 ran.
stub_call_count() {
  stub_calls "$1" | grep -c . || true
}

# Prints the record directory of the stub $1's last call; fails if it never ran.
stub_last_call() {
  local last
  last=$(stub_calls "$1" | tail -n 1)
  [[ -n $last ]] || fail "$1 was never called"
  printf '%s\n' "$last"
}

# Prints the arguments of the stub $1's last call, one a line.
stub_args() {
  cat "$(stub_last_call "$1")/args"
}

# Prints the path the stub $1 ran from in its last call.
stub_path() {
  cat "$(stub_last_call "$1")/path"
}

# Prints the working directory of the stub $1's last call.
stub_cwd() {
  cat "$(stub_last_call "$1")/cwd"
}

# Prints the value of variable $2 in the environment of the stub $1's last
# call; fails if it was not set.
stub_env() {
  local entry call
  call=$(stub_last_call "$1") || return 1
  while IFS= read -r -d '' entry; do
    if [[ ${entry%%=*} == "$2" ]]; then
      printf '%s' "${entry#*=}"
      return 0
    fi
  done <"$call/env0"
  return 1
}

# Creates a fake `swift` in directory $1 (default: the stub bin). `swift build`
# records its call like any stub, then:
#   - if stub_swift_fail was called, prints that text and exits 1;
#   - if stub_swift_hold was called, creates <state>/started and waits (up to
#     60 s) for <state>/release to exist, so a test can hold one build open
#     while it starts another;
#   - copies every stub made with stub_swift_product into the release
#     directory of --scratch-path.
stub_swift() {
  local dir=${1:-${HOOK_STUB_BIN:?}} state
  state=$(stub_state swift)
  mkdir -p "$dir" "$state/calls" "$state/products"
  {
    stub_write_prologue "$state"
    cat <<'STUB'
[[ ${1:-} == build ]] || exit 0
scratch=
while (($# > 0)); do
  if [[ $1 == --scratch-path && $# -ge 2 ]]; then scratch=$2; fi
  shift
done
if [[ -z $scratch ]]; then echo "fake swift: expected --scratch-path" >&2; exit 2; fi
if [[ -f $stub_state/fail ]]; then cat "$stub_state/fail"; exit 1; fi
if [[ -f $stub_state/hold ]]; then
  : >"$stub_state/started"
  for _ in $(seq 1200); do
    [[ -e $stub_state/release ]] && break
    sleep 0.05
  done
fi
mkdir -p "$scratch/release"
cp "$stub_state/products/"* "$scratch/release/"
echo "Build complete!"
STUB
  } >"$dir/swift"
  chmod +x "$dir/swift"
}

# Makes the fake swift produce the stub executable $1 (see stub_command).
stub_swift_product() {
  stub_command "$1" "$(stub_state swift)/products"
}

# Makes the fake swift's build fail, printing the given lines.
stub_swift_fail() {
  printf '%s\n' "$@" >"$(stub_state swift)/fail"
}

# Makes the fake swift's build wait for stub_swift_release.
stub_swift_hold() {
  : >"$(stub_state swift)/hold"
}

# Lets a held fake swift build finish.
stub_swift_release() {
  : >"$(stub_state swift)/release"
}

# Waits (up to 60 s) until a held fake swift build has started.
stub_swift_wait_until_started() {
  local state
  state=$(stub_state swift)
  for _ in $(seq 1200); do
    [[ -e $state/started ]] && return 0
    sleep 0.05
  done
  fail "the fake swift build never started"
}

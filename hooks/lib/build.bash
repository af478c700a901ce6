# shellcheck shell=bash
#
# Building cache-restore and cache-save from the plugin's own checkout, once per
# agent host and plugin version, when no prebuilt binary was found and a Swift
# toolchain is installed (the last resort before going on without caching).
#
# Why it is shaped like this:
# - The build directory is keyed by a fingerprint of the sources, so every
#   plugin version gets its own binaries and a host can run jobs pinned to
#   different versions side by side.
# - The plugin checkout and the job checkout are never written to: the package
#   is copied into the build directory and built there with --scratch-path.
#   (The agent may share one plugin checkout between jobs, and a job's checkout
#   belongs to the job.)
# - Parallel jobs on one host take an flock(1) lock, so exactly one of them
#   builds while the others wait and then reuse its result.
# - Binaries are installed by copy-to-temp + rename, so a job that looks
#   without the lock sees either no binary or a complete one.
# - A failed build leaves build.failed in its directory: the same sources on
#   the same agent fail the same way (a missing -dev package), so later jobs
#   warn at once instead of spending minutes failing again. Deleting the file
#   (or a new plugin version, which has other sources) tries again.
# - Failures are not errors here: they go into `swift_cache_build_problem`
#   and the hook decides (fail-on-error) whether the job goes on.
#
# Sourced into the agent's job shell: functions only.

# The executables the package builds; both are installed together.
swift_cache__products() {
  printf '%s\n' cache-restore cache-save
}

# Prints the plugin checkout: the directory above hooks/.
swift_cache__plugin_dir() {
  # BASH_SOURCE[0] is this file (hooks/lib/build.bash) wherever it is called from.
  (cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
}

# Prints where builds live; one subdirectory per source fingerprint. Fails,
# printing nothing, when no variable names a place.
swift_cache__build_root() {
  swift_cache__host_cache_dir builds "${SWIFT_CACHE_BUILD_ROOT:-}"
}

# Prints the host-wide directory the hooks keep $1 (builds, install) in: $2
# (the agent's override) when set, else under XDG_CACHE_HOME, else under
# ~/.cache. Fails, printing nothing, when none of them is set.
swift_cache__host_cache_dir() {
  if [[ -n $2 ]]; then
    printf '%s\n' "$2"
  elif [[ -n ${XDG_CACHE_HOME:-} ]]; then
    printf '%s\n' "$XDG_CACHE_HOME/swift-cache/$1"
  elif [[ -n ${HOME:-} ]]; then
    printf '%s\n' "$HOME/.cache/swift-cache/$1"
  else
    return 1
  fi
}

# Prints the sha256 of the files that decide what gets built: Package.swift,
# Package.resolved (if any) and everything under Sources/, each hashed with its
# path, in a locale-independent order.
# $1: plugin checkout.
swift_cache__source_fingerprint() (
  set -o pipefail
  cd -- "$1" || return 1
  local -a inputs=(Package.swift Sources)
  if [[ -e Package.resolved ]]; then
    inputs+=(Package.resolved)
  fi
  find -L "${inputs[@]}" -type f -print0 |
    LC_ALL=C sort -z |
    xargs -0 -r sha256sum |
    sha256sum |
    cut -d ' ' -f 1
)

# Succeeds when $1 holds every product, executable.
swift_cache__has_binaries() {
  local swift_cache_product
  while IFS= read -r swift_cache_product; do
    if [[ ! -f $1/$swift_cache_product || ! -x $1/$swift_cache_product ]]; then
      return 1
    fi
  done < <(swift_cache__products)
}

# Sets the caller's `swift_cache_build_dir` to the build directory of the
# plugin's current sources (which need not exist yet). Prints nothing; on
# failure sets the caller's `swift_cache_build_problem` and returns 1.
swift_cache__source_build_dir() {
  local swift_cache_plugin_dir swift_cache_fingerprint swift_cache_root
  if ! swift_cache_plugin_dir=$(swift_cache__plugin_dir); then
    swift_cache_build_problem="cannot find the plugin checkout above the hook at '${BASH_SOURCE[0]}'"
    return 1
  fi
  if [[ ! -f $swift_cache_plugin_dir/Package.swift || ! -d $swift_cache_plugin_dir/Sources ]]; then
    swift_cache_build_problem="the plugin checkout at '$swift_cache_plugin_dir' has no Package.swift and Sources/ to build from"
    return 1
  fi
  if ! swift_cache_fingerprint=$(swift_cache__source_fingerprint "$swift_cache_plugin_dir") ||
    [[ ${#swift_cache_fingerprint} -ne 64 ]]; then
    swift_cache_build_problem="cannot fingerprint the plugin sources in '$swift_cache_plugin_dir' (sha256sum over Package.swift and Sources/ failed; check that find, sort, xargs and sha256sum are installed)"
    return 1
  fi
  if ! swift_cache_root=$(swift_cache__build_root); then
    swift_cache_build_problem="SWIFT_CACHE_BUILD_ROOT, XDG_CACHE_HOME and HOME are all unset, so there is no place to build in"
    return 1
  fi
  # shellcheck disable=SC2034 # the caller's output variable
  swift_cache_build_dir=$swift_cache_root/$swift_cache_fingerprint
}

# Builds (or reuses) the binaries and sets the caller's variable
# `swift_cache_built_bin_dir` to the directory holding them. On failure sets
# the caller's `swift_cache_build_problem` (one line) and returns 1: the hook
# then decides whether the job goes on without caching.
swift_cache__build_from_plugin_sources() {
  local swift_cache_build_dir
  swift_cache__source_build_dir || return 1

  # The common case, every job after the first: no lock, no output.
  if swift_cache__has_binaries "$swift_cache_build_dir/bin"; then
    swift_cache_built_bin_dir=$swift_cache_build_dir/bin
    return 0
  fi
  if ! type -P swift >/dev/null; then
    swift_cache_build_problem="there is no swift on PATH to build from the plugin's sources"
    return 1
  fi
  # A build that failed once fails again (a missing -dev package, a compiler
  # too old): later jobs say so at once instead of spending minutes on it.
  if [[ -f $swift_cache_build_dir/$(swift_cache__build_failed_marker) ]]; then
    swift_cache_build_problem="building these sources failed before on this agent (log: $swift_cache_build_dir/build.log); to try again, delete $swift_cache_build_dir/$(swift_cache__build_failed_marker)"
    return 1
  fi
  if ! type -P flock >/dev/null; then
    swift_cache_build_problem="flock is not installed (it keeps parallel jobs on this host from building at once; Debian/Ubuntu: util-linux, macOS: brew install flock)"
    return 1
  fi
  if ! mkdir -p -- "$swift_cache_build_dir" 2>/dev/null; then
    swift_cache_build_problem="cannot create the build directory '$swift_cache_build_dir' (set SWIFT_CACHE_BUILD_ROOT to a directory the agent can write)"
    return 1
  fi

  # fd 9 holds the lock for as long as the function runs; the redirection is
  # undone when it returns, so the job's shell keeps no descriptor of ours.
  swift_cache__build_holding_lock "$(swift_cache__plugin_dir)" "$swift_cache_build_dir" \
    9>>"$swift_cache_build_dir/build.lock" || return 1
  # shellcheck disable=SC2034 # the caller's output variable (see above)
  swift_cache_built_bin_dir=$swift_cache_build_dir/bin
}

# The name of the file, in a build directory, that says its build failed.
swift_cache__build_failed_marker() {
  printf 'build.failed\n'
}

# The locked part of a build: wait for the lock on fd 9, build unless another
# job did so meanwhile (or failed to), install.
# $1: plugin checkout, $2: build directory.
swift_cache__build_holding_lock() {
  local swift_cache_plugin_dir=$1 swift_cache_build_dir=$2
  local swift_cache_log=$2/build.log swift_cache_started
  local swift_cache_product swift_cache_build_status=0

  if ! flock -n 9; then
    swift_cache__section ":swift: Waiting for another job on this agent to finish building swift-cache"
    if ! flock 9; then
      swift_cache_build_problem="cannot lock '$swift_cache_build_dir/build.lock' (does its file system support flock?)"
      return 1
    fi
  fi
  if swift_cache__has_binaries "$swift_cache_build_dir/bin"; then
    return 0
  fi
  if [[ -f $swift_cache_build_dir/$(swift_cache__build_failed_marker) ]]; then
    swift_cache_build_problem="building these sources failed on this agent (log: $swift_cache_log); to try again, delete $swift_cache_build_dir/$(swift_cache__build_failed_marker)"
    return 1
  fi

  swift_cache__section ":swift: Building swift-cache (first use on this agent)"
  swift_cache_started=$SECONDS
  swift_cache__stage_sources "$swift_cache_plugin_dir" "$swift_cache_build_dir/src" || return 1

  # Only the two products: the package's other executables (fuzz targets)
  # are for development. The subshell keeps the cd away from the job's shell;
  # `9>&-` keeps the lock from being inherited by anything the build leaves
  # running.
  (cd -- "$swift_cache_build_dir/src" &&
    while IFS= read -r swift_cache_product; do
      swift build -c release --product "$swift_cache_product" --scratch-path "$swift_cache_build_dir/scratch" || exit
    done < <(swift_cache__products)) \
    >"$swift_cache_log" 2>&1 9>&- || swift_cache_build_status=$?
  if ((swift_cache_build_status != 0)); then
    : >"$swift_cache_build_dir/$(swift_cache__build_failed_marker)"
    swift_cache_build_problem="building swift-cache from the plugin's sources failed ('swift build -c release' exited with status $swift_cache_build_status; log: $swift_cache_log); later jobs on this agent will not try again until $swift_cache_build_dir/$(swift_cache__build_failed_marker) is deleted"
    swift_cache__warn "building swift-cache failed: 'swift build -c release' exited with status $swift_cache_build_status. The last lines of $swift_cache_log:"
    tail -n 40 -- "$swift_cache_log" >&2
    return 1
  fi

  while IFS= read -r swift_cache_product; do
    swift_cache__install_binary "$swift_cache_build_dir/scratch/release/$swift_cache_product" \
      "$swift_cache_build_dir/bin" || return 1
  done < <(swift_cache__products)
  swift_cache__info "built cache-restore and cache-save in $((SECONDS - swift_cache_started))s; later jobs on this agent reuse $swift_cache_build_dir/bin"
}

# Copies what the build needs out of the plugin checkout into $2 (replacing
# what an earlier attempt left there). Test targets must exist for the package
# to load, but are not built, so Tests/ contributes its directories only.
# $1: plugin checkout, $2: destination.
swift_cache__stage_sources() {
  local swift_cache_tests_dir
  if ! {
    rm -rf -- "$2" &&
      mkdir -p -- "$2" &&
      cp -RL -- "$1/Package.swift" "$1/Sources" "$2/" &&
      if [[ -e $1/Package.resolved ]]; then cp -L -- "$1/Package.resolved" "$2/"; fi
  }; then
    swift_cache_build_problem="cannot copy the plugin sources from '$1' to '$2' for building (check the free space and permissions of SWIFT_CACHE_BUILD_ROOT)"
    return 1
  fi
  if [[ -d $1/Tests ]]; then
    while IFS= read -r -d '' swift_cache_tests_dir; do
      if ! mkdir -p -- "$2/Tests${swift_cache_tests_dir#"$1/Tests"}"; then
        swift_cache_build_problem="cannot create '$2/Tests${swift_cache_tests_dir#"$1/Tests"}' for building"
        return 1
      fi
    done < <(find "$1/Tests" -type d -print0)
  fi
}

# Installs the executable $1 into the directory $2 under the same name, by way
# of a temporary file and a rename, so no one ever runs a half-copied binary.
swift_cache__install_binary() {
  local swift_cache_name swift_cache_temp
  swift_cache_name=$(basename -- "$1")
  if [[ ! -f $1 || ! -x $1 ]]; then
    swift_cache_build_problem="swift build reported success but produced no executable at '$1' (does Package.swift still declare the products cache-restore and cache-save?)"
    return 1
  fi
  if ! mkdir -p -- "$2" ||
    ! swift_cache_temp=$(mktemp "$2/.$swift_cache_name.XXXXXX"); then
    swift_cache_build_problem="cannot create a temporary file in '$2' to install $swift_cache_name"
    return 1
  fi
  if ! { cp -- "$1" "$swift_cache_temp" && chmod 755 -- "$swift_cache_temp" &&
    mv -f -- "$swift_cache_temp" "$2/$swift_cache_name"; }; then
    rm -f -- "$swift_cache_temp"
    # shellcheck disable=SC2034 # the caller's variable (see swift_cache__build_from_plugin_sources)
    swift_cache_build_problem="cannot install $swift_cache_name into '$2' (check the free space and permissions of SWIFT_CACHE_BUILD_ROOT)"
    return 1
  fi
}

# shellcheck shell=bash
#
# Finding the cache-restore / cache-save executable a hook runs.
#
# Order, first match wins:
#   1. a directory named by the plugin option `binary-dir`
#      (BUILDKITE_PLUGIN_SWIFT_CACHE_BINARY_DIR) or, fleet-wide, by the agent's
#      environment variable SWIFT_CACHE_BINARY_DIR. Naming a directory is a
#      promise: if the executable is not there, that is an error rather than a
#      silent fallback to some other copy of the tool.
#   2. the executable on PATH (a prebuilt install on the agent image);
#   3. a build from the plugin's own sources, done once per agent host and
#      reused (see build.bash).
#
# Sourced into the agent's job shell: functions only.

# Sets the caller's variable `swift_cache_binary` to the executable to run.
# $1: cache-restore or cache-save.
# The result goes through a variable of the caller (it must declare
# `local swift_cache_binary`), not through stdout, because building prints
# progress that belongs in the job log rather than in a command substitution.
swift_cache__locate_binary() {
  local swift_cache_name=$1
  local swift_cache_dir='' swift_cache_origin='' swift_cache_found

  if [[ -n ${BUILDKITE_PLUGIN_SWIFT_CACHE_BINARY_DIR:-} ]]; then
    swift_cache_dir=$BUILDKITE_PLUGIN_SWIFT_CACHE_BINARY_DIR
    swift_cache_origin="the plugin option binary-dir"
  elif [[ -n ${SWIFT_CACHE_BINARY_DIR:-} ]]; then
    swift_cache_dir=$SWIFT_CACHE_BINARY_DIR
    swift_cache_origin="the agent environment variable SWIFT_CACHE_BINARY_DIR"
  fi

  if [[ -n $swift_cache_dir ]]; then
    if [[ ! -d $swift_cache_dir ]]; then
      swift_cache__error "$swift_cache_origin names '$swift_cache_dir', which is not a directory." \
        "Point it at the directory holding cache-restore and cache-save, or remove it to use the ones on PATH or build them from the plugin's sources."
      return 1
    fi
    if [[ ! -f $swift_cache_dir/$swift_cache_name || ! -x $swift_cache_dir/$swift_cache_name ]]; then
      swift_cache__error "there is no executable $swift_cache_name in '$swift_cache_dir' (from $swift_cache_origin)." \
        "Install cache-restore and cache-save there (swift build -c release, then copy them from .build/release), or remove the setting to use the ones on PATH or build them from the plugin's sources."
      return 1
    fi
    swift_cache_binary=$swift_cache_dir/$swift_cache_name
    return 0
  fi

  # `type -P` looks at PATH only: a shell function or alias of the same name
  # in the job's shell must not stand in for the tool.
  if swift_cache_found=$(type -P "$swift_cache_name"); then
    swift_cache_binary=$swift_cache_found
    return 0
  fi

  local swift_cache_built_bin_dir
  swift_cache__build_from_plugin_sources || return 1
  # shellcheck disable=SC2034 # the caller's output variable (see above)
  swift_cache_binary=$swift_cache_built_bin_dir/$swift_cache_name
}

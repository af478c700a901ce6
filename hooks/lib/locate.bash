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
#   2. the host's install cache for this plugin version (install.bash);
#   3. the executable on PATH, only when its --version is the plugin's
#      (release/VERSION): a prebuilt install on the agent image must not
#      silently replace the version the pipeline pinned; then an earlier
#      build of the very same sources (build.bash), if any;
#   4. a download of this version's release artifact, verified against
#      release/SHA256SUMS (install.bash), unless it already failed in this
#      job's pre-command;
#   5. a build from the plugin's own sources, only where Swift is installed
#      (build.bash);
#   6. otherwise one warning, and the job goes on without caching (the hook
#      runs swift_cache__without_binary in place of the tool), unless
#      fail-on-error is true.
#
# Sourced into the agent's job shell: functions only.

# shellcheck source=hooks/lib/release.bash
source "$(dirname -- "${BASH_SOURCE[0]}")/release.bash" || return
# shellcheck source=hooks/lib/download.bash
source "$(dirname -- "${BASH_SOURCE[0]}")/download.bash" || return
# shellcheck source=hooks/lib/install.bash
source "$(dirname -- "${BASH_SOURCE[0]}")/install.bash" || return

# Sets the caller's variable `swift_cache_binary` to the executable to run.
# $1: cache-restore or cache-save.
# The result goes through a variable of the caller (it must declare
# `local swift_cache_binary`), not through stdout, because downloading and
# building print progress that belongs in the job log rather than in a
# command substitution. Returns 1 only when the hook must fail.
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
        "Point it at the directory holding cache-restore and cache-save, or remove it to let the hook install the release binaries."
      return 1
    fi
    if [[ ! -f $swift_cache_dir/$swift_cache_name || ! -x $swift_cache_dir/$swift_cache_name ]]; then
      swift_cache__error "there is no executable $swift_cache_name in '$swift_cache_dir' (from $swift_cache_origin)." \
        "Install cache-restore and cache-save there (from a release artifact, or swift build -c release and .build/release), or remove the setting to let the hook install the release binaries."
      return 1
    fi
    swift_cache_binary=$swift_cache_dir/$swift_cache_name
    return 0
  fi

  local swift_cache_plugin_dir swift_cache_version='' swift_cache_platform swift_cache_root
  local swift_cache_install_dir='' swift_cache_build_dir swift_cache_built_bin_dir
  local swift_cache_download_url='' swift_cache_expected_sha256='' swift_cache_download_problem=''
  local swift_cache_build_problem='' swift_cache_path_note='' swift_cache_reported_version=''
  swift_cache_plugin_dir=$(swift_cache__plugin_dir) || swift_cache_plugin_dir=''
  swift_cache_platform=$(swift_cache__host_platform) || swift_cache_platform=unknown
  if [[ -n $swift_cache_plugin_dir ]]; then
    swift_cache__read_plugin_version "$swift_cache_plugin_dir"
  fi
  if [[ -n $swift_cache_version ]] && swift_cache_root=$(swift_cache__install_root); then
    swift_cache_install_dir=$swift_cache_root/$swift_cache_version/$swift_cache_platform
  fi

  # What this job's pre-command learnt about the download (post-command only).
  local swift_cache_download_failed_before=false
  if [[ $swift_cache_name == cache-save && -n $swift_cache_version ]] &&
    swift_cache__recall_failed_download "$swift_cache_version" "$swift_cache_platform"; then
    swift_cache_download_failed_before=true
  fi

  # 2. Installed on this host: no lock, no output.
  if [[ -n $swift_cache_install_dir ]] && swift_cache__has_binaries "$swift_cache_install_dir"; then
    swift_cache__touch_install "$swift_cache_install_dir"
    swift_cache_binary=$swift_cache_install_dir/$swift_cache_name
    return 0
  fi

  # 3. PATH. `type -P` looks at PATH only: a shell function or alias of the
  # same name in the job's shell must not stand in for the tool.
  if swift_cache_found=$(type -P "$swift_cache_name"); then
    if [[ -z $swift_cache_version ]] || swift_cache__reports_version "$swift_cache_found" "$swift_cache_version"; then
      swift_cache_binary=$swift_cache_found
      return 0
    fi
    swift_cache_path_note="not using $swift_cache_found, which reports version '$swift_cache_reported_version', not the plugin's $swift_cache_version"
    swift_cache__info "$swift_cache_path_note."
  fi

  # An earlier build of these very sources (step 5 on an earlier job) is as
  # good as an install, and checking costs no request: an agent that cannot
  # download must not wait for the network on every job.
  if swift_cache__source_build_dir && swift_cache__has_binaries "$swift_cache_build_dir/bin"; then
    swift_cache_binary=$swift_cache_build_dir/bin/$swift_cache_name
    return 0
  fi

  # 4. Download.
  if [[ -z $swift_cache_version ]]; then
    swift_cache_download_problem="the plugin checkout has no release/VERSION, so there is no release to download"
  elif [[ -z $swift_cache_install_dir ]]; then
    swift_cache_download_problem="SWIFT_CACHE_INSTALL_ROOT, XDG_CACHE_HOME and HOME are all unset, so there is no place to install to"
  elif [[ $swift_cache_download_failed_before == true ]]; then
    : # the recalled URL, checksum and problem go into the warning below
  elif swift_cache__install_release "$swift_cache_plugin_dir" "$swift_cache_version" "$swift_cache_platform" "$swift_cache_install_dir"; then
    swift_cache_binary=$swift_cache_install_dir/$swift_cache_name
    return 0
  elif [[ $swift_cache_name == cache-restore ]]; then
    swift_cache__remember_failed_download "$swift_cache_version" "$swift_cache_platform"
  fi

  # 5. Source build.
  if swift_cache__build_from_plugin_sources; then
    swift_cache_binary=$swift_cache_built_bin_dir/$swift_cache_name
    return 0
  fi

  # 6. Nothing.
  swift_cache__without_binary_verdict
}

# Succeeds when the executable $1 answers --version with exactly $2. Sets the
# caller's `swift_cache_reported_version` to the first line it printed.
swift_cache__reports_version() {
  local swift_cache_output
  swift_cache_output=$("$1" --version </dev/null 2>/dev/null) || swift_cache_output=''
  swift_cache_reported_version=${swift_cache_output%%$'\n'*}
  [[ $swift_cache_output == "$2" ]]
}

# Stands in for cache-restore / cache-save when none was found and the job
# goes on without caching: the hook runs it as it would the tool.
swift_cache__without_binary() {
  return 0
}

# Says that no binary was found, with everything that was tried and the ways
# out. Without fail-on-error: a warning, and the caller's `swift_cache_binary`
# becomes swift_cache__without_binary (status 0). With it: an error, status 1.
# Reads the caller's locals set by swift_cache__locate_binary.
swift_cache__without_binary_verdict() {
  local swift_cache_fail_on_error
  local -a swift_cache_details=()
  swift_cache__fail_on_error_setting || return 1

  if [[ -n $swift_cache_download_url ]]; then
    swift_cache_details+=("Download: $swift_cache_download_url: $swift_cache_download_problem.")
  else
    swift_cache_details+=("Download: none, $swift_cache_download_problem.")
  fi
  if [[ -n $swift_cache_expected_sha256 ]]; then
    swift_cache_details+=("Expected sha256 (release/SHA256SUMS): $swift_cache_expected_sha256")
  fi
  if [[ -n $swift_cache_path_note ]]; then
    swift_cache_details+=("PATH: $swift_cache_path_note.")
  fi
  swift_cache_details+=("Source build: $swift_cache_build_problem."
    "Ways out: name a directory holding cache-restore and cache-save with the plugin option binary-dir (or SWIFT_CACHE_BINARY_DIR in the agent's environment);"
    "serve the release artifacts from a mirror and set SWIFT_CACHE_DOWNLOAD_URL to its base URL; or install a Swift 6 toolchain on the agent so the hook can build them.")

  if [[ $swift_cache_fail_on_error == true ]]; then
    swift_cache__error "no $swift_cache_name for $swift_cache_platform (plugin version ${swift_cache_version:-unknown}); failing the job because fail-on-error is true." \
      "${swift_cache_details[@]}"
    return 1
  fi
  swift_cache__warn "no $swift_cache_name for $swift_cache_platform (plugin version ${swift_cache_version:-unknown}); this job runs without caching."
  printf '  %s\n' "${swift_cache_details[@]}" "Set fail-on-error: true to fail the job instead." >&2
  # shellcheck disable=SC2034 # the caller's output variable
  swift_cache_binary=swift_cache__without_binary
}

# Sets the caller's `swift_cache_fail_on_error` to true or false from the
# plugin option fail-on-error, else the agent's SWIFT_CACHE_FAIL_ON_ERROR, in
# any of the agent's spellings of a boolean. A bad value is an error (status 1).
swift_cache__fail_on_error_setting() {
  local swift_cache_value swift_cache_from
  if [[ -n ${BUILDKITE_PLUGIN_SWIFT_CACHE_FAIL_ON_ERROR:-} ]]; then
    swift_cache_value=$BUILDKITE_PLUGIN_SWIFT_CACHE_FAIL_ON_ERROR
    swift_cache_from="the plugin option fail-on-error"
  else
    swift_cache_value=${SWIFT_CACHE_FAIL_ON_ERROR:-false}
    swift_cache_from="the agent environment variable SWIFT_CACHE_FAIL_ON_ERROR"
  fi
  case $swift_cache_value in
    1 | t | T | TRUE | true | True) swift_cache_fail_on_error=true ;;
    0 | f | F | FALSE | false | False) swift_cache_fail_on_error=false ;;
    *)
      swift_cache__error "$swift_cache_from is '$swift_cache_value', not true or false." \
        "Set it to true or false."
      return 1
      ;;
  esac
}

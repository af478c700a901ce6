# shellcheck shell=bash
#
# What the plugin checkout says about its own release: its version, the
# artifact built for this host, that artifact's checksum, and where it is
# published.
#
# Why from the checkout: the agent clones the plugin at the tag the pipeline
# pinned, and the release commit holds release/VERSION and release/SHA256SUMS.
# So the hook of a given tag knows exactly which bytes it may run, and never
# has to parse BUILDKITE_PLUGINS to learn its own version.
#
# Sourced into the agent's job shell: functions only.

# Sets the caller's `swift_cache_version` to the plugin's version from
# release/VERSION (one line, no leading v), or to '' when the checkout has none
# (a development checkout: nothing to download or to compare a binary with).
# A malformed file is a warning and counts as none: the version ends up in
# paths and URLs.
# $1: plugin checkout.
swift_cache__read_plugin_version() {
  local swift_cache_line=''
  swift_cache_version=''
  if [[ ! -f $1/release/VERSION ]]; then
    return 0
  fi
  IFS= read -r swift_cache_line <"$1/release/VERSION" || [[ -n $swift_cache_line ]] || true
  swift_cache_line=${swift_cache_line%$'\r'}
  if ! swift_cache__is_version "$swift_cache_line"; then
    swift_cache__warn "ignoring $1/release/VERSION: its first line '$swift_cache_line' is not a version like 1.2.0."
    return 0
  fi
  # shellcheck disable=SC2034 # the caller's output variable
  swift_cache_version=$swift_cache_line
}

# Succeeds when $1 looks like a release version (1.2.0, 1.2.0-rc.1). A
# subshell, so the match leaves no BASH_REMATCH behind in the job's shell.
# shellcheck disable=SC2235 # the subshell is the point
swift_cache__is_version() (
  [[ $1 =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$ ]]
)

# Prints the host's platform as release artifacts name it: linux-x86_64,
# linux-aarch64, darwin-universal (one binary for both Mac architectures).
# Other systems print their own names, for which no artifact exists.
swift_cache__host_platform() {
  local swift_cache_os swift_cache_arch
  swift_cache_os=$(uname -s) && swift_cache_arch=$(uname -m) || return 1
  case $swift_cache_os in
    Linux) swift_cache_os=linux ;;
    Darwin) printf 'darwin-universal\n' && return 0 ;;
    *) swift_cache_os=$(printf '%s' "$swift_cache_os" | tr '[:upper:]' '[:lower:]') ;;
  esac
  case $swift_cache_arch in
    x86_64 | amd64) swift_cache_arch=x86_64 ;;
    aarch64 | arm64) swift_cache_arch=aarch64 ;;
  esac
  printf '%s-%s\n' "$swift_cache_os" "$swift_cache_arch"
}

# Prints the artifact's file name. $1: version, $2: platform.
swift_cache__artifact_name() {
  printf 'swift-cache-%s-%s.tar.gz\n' "$1" "$2"
}

# Prints the sha256 that release/SHA256SUMS (sha256sum's format) lists for the
# artifact $2; fails, printing nothing, when the file or the line is missing.
# $1: plugin checkout.
swift_cache__expected_sha256() {
  local swift_cache_sum swift_cache_file
  [[ -f $1/release/SHA256SUMS ]] || return 1
  while read -r swift_cache_sum swift_cache_file; do
    # sha256sum marks binary mode with a `*` before the name.
    if [[ ${swift_cache_file#\*} == "$2" && ${#swift_cache_sum} -eq 64 &&
      $swift_cache_sum != *[!0123456789abcdef]* ]]; then
      printf '%s\n' "$swift_cache_sum"
      return 0
    fi
  done <"$1/release/SHA256SUMS"
  return 1
}

# Prints the base URL the artifacts of version $2 are downloaded from:
# SWIFT_CACHE_DOWNLOAD_URL (a mirror) when set, else the GitHub release of the
# tag v$2 of the repository the plugin was cloned from (its `origin` remote).
# Fails, printing nothing, when there is neither.
# $1: plugin checkout.
swift_cache__download_base_url() {
  local swift_cache_origin swift_cache_repository
  if [[ -n ${SWIFT_CACHE_DOWNLOAD_URL:-} ]]; then
    printf '%s\n' "${SWIFT_CACHE_DOWNLOAD_URL%/}"
    return 0
  fi
  type -P git >/dev/null || return 1
  swift_cache_origin=$(git -C "$1" config --get remote.origin.url 2>/dev/null) || return 1
  swift_cache_repository=$(swift_cache__github_repository "$swift_cache_origin") || return 1
  printf 'https://github.com/%s/releases/download/v%s\n' "$swift_cache_repository" "$2"
}

# Prints OWNER/REPO of a GitHub clone URL in any of the forms git accepts
# (https://github.com/O/R.git, git@github.com:O/R, ssh://git@github.com/O/R);
# fails for any other host. A subshell, so BASH_REMATCH stays out of the job.
swift_cache__github_repository() (
  pattern='^(https?://([^@/]+@)?|ssh://([^@/]+@)?|git://|git@)github\.com[:/]([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)/?$'
  [[ $1 =~ $pattern ]] || exit 1
  printf '%s/%s\n' "${BASH_REMATCH[4]}" "${BASH_REMATCH[5]%.git}"
)

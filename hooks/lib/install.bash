# shellcheck shell=bash
#
# The agent's install cache of release binaries: one directory per plugin
# version and platform, shared by every job and agent worker on the host,
# filled once by downloading that version's release artifact.
#
#   ${SWIFT_CACHE_INSTALL_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/swift-cache/install}/
#     1.1.0/linux-x86_64/{cache-restore,cache-save,LICENSE}   a finished install
#     1.1.0/linux-x86_64.lock                                  held while one job installs
#     1.1.0/.linux-x86_64.XXXXXX/                              work in progress (same file system)
#
# Why it is shaped like this:
# - The artifact's sha256 is checked against release/SHA256SUMS of the plugin
#   checkout *before* anything is unpacked or run: the hook of a tag runs only
#   the bytes that tag names, whoever serves them.
# - Parallel jobs take an flock(1) lock, so one downloads while the others
#   wait and then use its result; the finished directory appears with one
#   rename, so a job that looks without the lock sees all of it or nothing.
# - A directory that exists is never changed in place: jobs may be running
#   its binaries.
# - Old versions do not pile up: after installing one, the hook removes the
#   install directories of other versions for the same platform, keeping the
#   3 most recently used (a job that runs an installed binary refreshes its
#   directory's time) and any used in the last 24 hours, so a running job
#   never loses its binary; each removal holds that version's lock.
# - A download that failed in a job's pre-command is not tried again by its
#   post-command: the job has had its one warning and its one wait.
#
# Sourced into the agent's job shell: functions only.

# Prints the install root; fails (printing nothing) when no variable names a
# place for it.
swift_cache__install_root() {
  swift_cache__host_cache_dir install "${SWIFT_CACHE_INSTALL_ROOT:-}"
}

# Downloads, verifies and installs the release artifact of version $2 for
# platform $3 into the install directory $4 (unless another job did so
# meanwhile). $1: plugin checkout.
# Sets the caller's `swift_cache_download_url` (the URL tried, if any),
# `swift_cache_expected_sha256` (if known) and, on failure,
# `swift_cache_download_problem` (one line), and returns 1.
swift_cache__install_release() {
  local swift_cache_plugin_dir=$1 swift_cache_version=$2 swift_cache_platform=$3 swift_cache_install_dir=$4
  local swift_cache_artifact swift_cache_base_url
  swift_cache_artifact=$(swift_cache__artifact_name "$swift_cache_version" "$swift_cache_platform")

  if ! swift_cache_expected_sha256=$(swift_cache__expected_sha256 "$swift_cache_plugin_dir" "$swift_cache_artifact"); then
    if [[ -f $swift_cache_plugin_dir/release/SHA256SUMS ]]; then
      swift_cache_download_problem="release/SHA256SUMS of the plugin has no checksum for $swift_cache_artifact (no release artifact for $swift_cache_platform)"
    else
      swift_cache_download_problem="the plugin checkout has no release/SHA256SUMS, so no download can be verified"
    fi
    return 1
  fi
  if ! swift_cache_base_url=$(swift_cache__download_base_url "$swift_cache_plugin_dir" "$swift_cache_version"); then
    swift_cache_download_problem="no download URL: SWIFT_CACHE_DOWNLOAD_URL is not set and the plugin was not cloned from GitHub (its git remote 'origin')"
    return 1
  fi
  swift_cache_download_url=$swift_cache_base_url/$swift_cache_artifact

  if ! mkdir -p -- "${swift_cache_install_dir%/*}" 2>/dev/null; then
    swift_cache_download_problem="cannot create '${swift_cache_install_dir%/*}' (set SWIFT_CACHE_INSTALL_ROOT to a directory the agent can write)"
    return 1
  fi
  if ! type -P flock >/dev/null; then
    # Still safe (temporary directory + rename), only not deduplicated.
    swift_cache__install_release_locked "$swift_cache_install_dir" "$swift_cache_artifact"
    return
  fi
  # fd 9 holds the lock for as long as the function runs; the redirection is
  # undone when it returns, so the job's shell keeps no descriptor of ours.
  swift_cache__install_release_locked "$swift_cache_install_dir" "$swift_cache_artifact" \
    9>>"$swift_cache_install_dir.lock"
}

# The locked part: wait for the lock on fd 9 (when flock exists), then
# download, verify, unpack, check and rename into place, unless another job
# installed it meanwhile. $1: install directory, $2: artifact name.
# Reads the caller's swift_cache_download_url, swift_cache_expected_sha256 and
# swift_cache_version; sets swift_cache_download_problem on failure.
swift_cache__install_release_locked() {
  local swift_cache_install_dir=$1 swift_cache_artifact=$2
  local swift_cache_work swift_cache_fetch_problem='' swift_cache_actual swift_cache_started=$SECONDS

  if type -P flock >/dev/null && ! flock -n 9; then
    swift_cache__section ":hourglass: Waiting for another job on this agent to install swift-cache $swift_cache_version"
    if ! flock 9; then
      swift_cache_download_problem="cannot lock '$swift_cache_install_dir.lock'"
      return 1
    fi
  fi
  if swift_cache__has_binaries "$swift_cache_install_dir"; then
    return 0
  fi
  swift_cache__remove_abandoned_work "$swift_cache_install_dir"

  swift_cache__section ":arrow_down: Installing swift-cache $swift_cache_version for ${swift_cache_install_dir##*/} (first use on this agent)"
  swift_cache__info "downloading $swift_cache_download_url"
  if ! swift_cache_work=$(mktemp -d "${swift_cache_install_dir%/*}/.${swift_cache_install_dir##*/}.XXXXXX"); then
    swift_cache_download_problem="cannot create a temporary directory in '${swift_cache_install_dir%/*}'"
    return 1
  fi
  if ! swift_cache__fetch "$swift_cache_download_url" "$swift_cache_work/$swift_cache_artifact" "$swift_cache_work"; then
    rm -rf -- "$swift_cache_work"
    swift_cache_download_problem="the download failed: $swift_cache_fetch_problem"
    return 1
  fi

  # Nothing of the file is unpacked or run before this check.
  swift_cache_actual=$(swift_cache__sha256_of_file "$swift_cache_work/$swift_cache_artifact") || swift_cache_actual=''
  if [[ $swift_cache_actual != "$swift_cache_expected_sha256" ]]; then
    rm -rf -- "$swift_cache_work"
    swift_cache_download_problem="refused the download: its sha256 is ${swift_cache_actual:-unknown (no sha256sum or shasum)}, not the ${swift_cache_expected_sha256} that release/SHA256SUMS names; nothing of it was unpacked or run"
    swift_cache__warn "$swift_cache_download_problem."
    return 1
  fi

  if ! swift_cache__unpack_release "$swift_cache_work/$swift_cache_artifact" "$swift_cache_work/unpacked"; then
    rm -rf -- "$swift_cache_work"
    return 1
  fi
  if [[ -e $swift_cache_install_dir ]]; then
    # An incomplete directory (someone deleted a file): no job can be using it.
    rm -rf -- "$swift_cache_install_dir"
  fi
  if ! mv -- "$swift_cache_work/unpacked" "$swift_cache_install_dir"; then
    rm -rf -- "$swift_cache_work"
    swift_cache_download_problem="cannot move the unpacked binaries to '$swift_cache_install_dir'"
    return 1
  fi
  rm -rf -- "$swift_cache_work"
  swift_cache__info "verified (sha256 $swift_cache_expected_sha256) and installed in $((SECONDS - swift_cache_started))s; later jobs on this agent reuse $swift_cache_install_dir"
  swift_cache__prune_old_installs "$swift_cache_install_dir"
}

# How many other versions' install directories stay, newest use first, and
# for how many minutes after its last use a directory is never removed.
swift_cache__installs_kept() { printf '3\n'; }
swift_cache__install_recent_minutes() { printf '1440\n'; }

# Removes the install directories of other versions for the platform of the
# install directory $1, but for the most recently used few and any used in
# the last 24 hours (see the top of this file). Each goes under its own
# version's lock, taken without waiting: a version being installed right now
# is left alone. Quiet, and never fails the job.
swift_cache__prune_old_installs() {
  local swift_cache_root=${1%/*/*} swift_cache_platform=${1##*/} swift_cache_current=${1%/*}
  local swift_cache_old swift_cache_kept=0 swift_cache_doomed
  # Newest modification first; $1 itself is never a candidate.
  while IFS= read -r swift_cache_old; do
    [[ ${swift_cache_old%/*} != "$swift_cache_current" && -d $swift_cache_old && ! -L $swift_cache_old ]] || continue
    if ((swift_cache_kept < $(swift_cache__installs_kept))) ||
      [[ -z $(find "$swift_cache_old" -maxdepth 0 -mmin "+$(swift_cache__install_recent_minutes)" 2>/dev/null) ]]; then
      swift_cache_kept=$((swift_cache_kept + 1))
      continue
    fi
    if type -P flock >/dev/null; then
      # The subshell holds the lock for the rename; rm runs on the renamed copy.
      swift_cache_doomed=$( (flock -n 9 && swift_cache__retire_install "$swift_cache_old") 9>>"$swift_cache_old.lock") || continue
    else
      swift_cache_doomed=$(swift_cache__retire_install "$swift_cache_old") || continue
    fi
    rm -rf -- "$swift_cache_doomed"
    rm -f -- "$swift_cache_old.lock"
    rmdir -- "${swift_cache_old%/*}" 2>/dev/null || true
  done < <(ls -dt -- "$swift_cache_root"/*/"$swift_cache_platform" 2>/dev/null)
  return 0
}

# Renames the install directory $1 out of the way (one rename, so a job that
# looks sees it whole or not at all) and prints the new name.
swift_cache__retire_install() {
  local swift_cache_doomed
  swift_cache_doomed=$(mktemp -d "${1%/*}/.${1##*/}.removing.XXXXXX") || return 1
  mv -- "$1" "$swift_cache_doomed/" || { rmdir -- "$swift_cache_doomed"; return 1; }
  printf '%s\n' "$swift_cache_doomed"
}

# Marks the install directory $1 as just used, for the pruning above.
swift_cache__touch_install() {
  touch -c -- "$1" 2>/dev/null || true
}

# Where pre-command leaves the note of a failed download for the post-command
# of the same job (nothing without BUILDKITE_JOB_ID: no job to remember it for).
swift_cache__failed_download_note() {
  [[ -n ${BUILDKITE_JOB_ID:-} && ${BUILDKITE_JOB_ID} != */* ]] || return 1
  printf '%s/swift-cache-download-failed.%s\n' "${TMPDIR:-/tmp}" "$BUILDKITE_JOB_ID"
}

# Writes the note: the version and platform, the URL, the expected sha256 and
# the problem, one a line. Written aside and renamed into place, so a file
# someone planted under that name is replaced, never written through.
# $1: version, $2: platform; reads the caller's swift_cache_download_* and
# swift_cache_expected_sha256.
swift_cache__remember_failed_download() {
  local swift_cache_note swift_cache_temporary
  swift_cache_note=$(swift_cache__failed_download_note) || return 0
  swift_cache_temporary=$(mktemp "$swift_cache_note.XXXXXX" 2>/dev/null) || return 0
  if printf '%s %s\n%s\n%s\n%s\n' "$1" "$2" "$swift_cache_download_url" "$swift_cache_expected_sha256" \
    "$swift_cache_download_problem" >"$swift_cache_temporary" && mv -f -- "$swift_cache_temporary" "$swift_cache_note"; then
    return 0
  fi
  rm -f -- "$swift_cache_temporary"
}

# In post-command: reads and removes this job's note. When it is for version
# $1 and platform $2, sets the caller's swift_cache_download_url,
# swift_cache_expected_sha256 and swift_cache_download_problem from it and
# succeeds; otherwise fails. Only a plain file of ours is believed.
swift_cache__recall_failed_download() {
  local swift_cache_note swift_cache_for='' swift_cache_url='' swift_cache_sum='' swift_cache_problem=''
  swift_cache_note=$(swift_cache__failed_download_note) || return 1
  [[ -f $swift_cache_note && ! -L $swift_cache_note && -O $swift_cache_note ]] || return 1
  {
    IFS= read -r swift_cache_for
    IFS= read -r swift_cache_url
    IFS= read -r swift_cache_sum
    IFS= read -r swift_cache_problem
  } <"$swift_cache_note"
  rm -f -- "$swift_cache_note"
  [[ $swift_cache_for == "$1 $2" && -n $swift_cache_problem ]] || return 1
  swift_cache_download_url=$swift_cache_url
  swift_cache_expected_sha256=$swift_cache_sum
  swift_cache_download_problem="$swift_cache_problem (in this job's pre-command; not tried again)"
}

# Unpacks the verified artifact $1 into the new directory $2 and checks it:
# both executables present (cache-save may link to cache-restore, which must
# stay inside the directory) and both answering --version with the plugin's
# version. Sets swift_cache_download_problem on failure.
swift_cache__unpack_release() {
  local swift_cache_product swift_cache_target swift_cache_reported
  if ! mkdir -- "$2" || ! tar -xzf "$1" -C "$2" --no-same-owner 2>/dev/null; then
    swift_cache_download_problem="cannot unpack ${1##*/} (a gzip-compressed tar file is expected)"
    return 1
  fi
  while IFS= read -r swift_cache_product; do
    if [[ -L $2/$swift_cache_product ]]; then
      swift_cache_target=$(readlink -- "$2/$swift_cache_product")
      if [[ $swift_cache_target == */* ]]; then
        swift_cache_download_problem="${1##*/} holds $swift_cache_product as a link to '$swift_cache_target', outside the artifact"
        return 1
      fi
    fi
    if [[ ! -f $2/$swift_cache_product || ! -x $2/$swift_cache_product ]]; then
      swift_cache_download_problem="${1##*/} holds no executable $swift_cache_product at its top level"
      return 1
    fi
    swift_cache_reported=$("$2/$swift_cache_product" --version </dev/null 2>/dev/null 9>&-) || swift_cache_reported=''
    if [[ $swift_cache_reported != "$swift_cache_version" ]]; then
      swift_cache_download_problem="$swift_cache_product in ${1##*/} reports version '${swift_cache_reported%%$'\n'*}', not $swift_cache_version"
      return 1
    fi
  done < <(swift_cache__products)
}

# Removes temporary directories that killed jobs left beside the install
# directory $1. Called with the lock held: no live job owns one then.
swift_cache__remove_abandoned_work() {
  local swift_cache_leftover
  if ! type -P flock >/dev/null; then
    return 0
  fi
  for swift_cache_leftover in "${1%/*}/.${1##*/}".*; do
    if [[ -d $swift_cache_leftover ]]; then
      rm -rf -- "$swift_cache_leftover"
    fi
  done
}

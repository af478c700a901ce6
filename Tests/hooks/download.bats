#!/usr/bin/env bats
#
# With no binary given, none on PATH and no swift, the hooks download this
# plugin version's release artifact (served here by a local HTTP server),
# verify it against release/SHA256SUMS before unpacking anything, install it
# once per host and run it. When that is impossible the job goes on without
# caching, unless fail-on-error is true.

setup() {
  load helpers/common
  load helpers/download
  setup_hook_test
  publish_release
  start_dist_server
}

teardown() {
  stop_dist_server
}

@test "first job: downloads, verifies, installs and runs the release binary" {
  run_hook pre-command

  assert_hook_status 0
  assert_line "~~~ :arrow_down: Installing swift-cache $HOOK_TEST_PLUGIN_VERSION for $(artifact_platform) (first use on this agent)"
  assert_line "swift-cache: downloading $DIST_URL/$(artifact_name)"
  assert_line --regexp "^swift-cache: verified \(sha256 $(published_sha256)\) and installed in [0-9]+s; later jobs on this agent reuse $(install_dir)\$"
  assert_equal "$(artifact_request_count)" 1
  assert_file_executable "$(install_dir)/cache-restore"
  assert_file_executable "$(install_dir)/cache-save"
  assert_file_exist "$(install_dir)/LICENSE"
  assert_equal "$(standin_runs)" "cache-restore $(install_dir)/cache-restore"
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  # Only the finished directory and the lock are left.
  assert_equal "$(ls -A "$(default_install_root)/$HOOK_TEST_PLUGIN_VERSION")" \
    "$(printf '%s\n' "$(artifact_platform)" "$(artifact_platform).lock")"
  assert_shell_state_unchanged
}

@test "in a wrapper shell with errexit, nounset and pipefail: installing, and going on without a binary" {
  # shellcheck disable=SC2034 # read by run_hook
  HOOK_WRAPPER_BASH_FLAGS='-e -u -o pipefail'
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_shell_state_unchanged

  rm -rf "$(default_install_root)"
  stop_dist_server
  run_hook post-command
  assert_hook_status 0
  assert_line --partial "this job runs without caching."
  assert_shell_state_unchanged
}

@test "later jobs, of either hook, use the installed copy without a request or a word" {
  run_hook pre-command
  assert_hook_status 0

  run_hook pre-command
  assert_hook_status 0
  assert_output ''
  run_hook post-command
  assert_hook_status 0
  assert_output ''

  assert_equal "$(artifact_request_count)" 1
  assert_equal "$(standin_runs)" "$(printf '%s\n' "cache-restore $(install_dir)/cache-restore" \
    "cache-restore $(install_dir)/cache-restore" "cache-save $(install_dir)/cache-save")"
}

@test "post-command on a fresh agent installs too, and runs cache-save" {
  run_hook post-command

  assert_hook_status 0
  assert_equal "$(artifact_request_count)" 1
  assert_equal "$(standin_runs)" "cache-save $(install_dir)/cache-save"
}

@test "a tampered artifact is refused: nothing of it is unpacked or run, a warning, the job goes on" {
  tamper_with_artifact
  local served
  served=$(sha256sum "$DIST_DIR/$(artifact_name)" | cut -d ' ' -f 1)

  run_hook pre-command

  assert_hook_status 0
  assert_line "swift-cache: warning: refused the download: its sha256 is $served, not the $(published_sha256) that release/SHA256SUMS names; nothing of it was unpacked or run."
  assert_line "swift-cache: warning: no cache-restore for $(artifact_platform) (plugin version $HOOK_TEST_PLUGIN_VERSION); this job runs without caching."
  assert_line "  Expected sha256 (release/SHA256SUMS): $(published_sha256)"
  assert_file_not_exist "$BATS_TEST_TMPDIR/tampered-ran"
  assert_nothing_installed
  assert_equal "$(standin_runs)" ''
  assert_equal "$(hook_changed_exports)" ''
  assert_shell_state_unchanged

  # The same job's post-command does not fetch it again (see the test on that below).
  run_hook post-command
  assert_hook_status 0
  assert_line --partial "refused the download"
  assert_equal "$(artifact_request_count)" 1
  assert_file_not_exist "$BATS_TEST_TMPDIR/tampered-ran"
  assert_nothing_installed
}

@test "fail-on-error: true turns a refused artifact into a failed hook" {
  tamper_with_artifact
  hook_plugin_config '{"fail-on-error": true}'

  run_hook pre-command

  assert_hook_status 1
  assert_line '^^^ +++'
  assert_line "swift-cache: error: no cache-restore for $(artifact_platform) (plugin version $HOOK_TEST_PLUGIN_VERSION); failing the job because fail-on-error is true."
  assert_line --partial "refused the download"
  assert_file_not_exist "$BATS_TEST_TMPDIR/tampered-ran"
  assert_nothing_installed
  assert_shell_state_unchanged
}

@test "server down: a warning naming the URL, the checksum and the ways out; the job goes on" {
  stop_dist_server

  run_hook pre-command

  assert_hook_status 0
  assert_line "swift-cache: warning: no cache-restore for $(artifact_platform) (plugin version $HOOK_TEST_PLUGIN_VERSION); this job runs without caching."
  assert_line --regexp "^  Download: $DIST_URL/$(artifact_name): the download failed: .* \(after 3 attempts\)\.\$"
  assert_line "  Expected sha256 (release/SHA256SUMS): $(published_sha256)"
  assert_line "  Source build: there is no swift on PATH to build from the plugin's sources."
  assert_line --partial "the plugin option binary-dir (or SWIFT_CACHE_BINARY_DIR in the agent's environment)"
  assert_line --partial "set SWIFT_CACHE_DOWNLOAD_URL to its base URL; or install a Swift 6 toolchain"
  assert_line "  Set fail-on-error: true to fail the job instead."
  assert_equal "$(grep -c 'download attempt [12] of 3 failed' <<<"$output")" 2
  assert_nothing_installed
  assert_shell_state_unchanged

  run_hook post-command
  assert_hook_status 0
  assert_line "swift-cache: warning: no cache-save for $(artifact_platform) (plugin version $HOOK_TEST_PLUGIN_VERSION); this job runs without caching."
  assert_shell_state_unchanged
}

@test "a file:// mirror in SWIFT_CACHE_DOWNLOAD_URL works too" {
  hook_env SWIFT_CACHE_DOWNLOAD_URL="file://$DIST_DIR"

  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(standin_runs)" "cache-restore $(install_dir)/cache-restore"
  assert_equal "$(artifact_request_count)" 0
}

@test "404: one request (an answer, not retried), a warning, the job goes on" {
  printf '404\n' >"$DIST_CONTROL/status"

  run_hook pre-command

  assert_hook_status 0
  assert_line "  Download: $DIST_URL/$(artifact_name): the download failed: HTTP 404."
  assert_equal "$(artifact_request_count)" 1
  assert_nothing_installed
}

# The note pre-command leaves for its job's post-command after a failed download.
failed_download_note() {
  printf '%s/swift-cache-download-failed.%s\n' "${HOOK_ENV[TMPDIR]}" "${HOOK_ENV[BUILDKITE_JOB_ID]}"
}

@test "post-command does not try again a download that failed in the same job's pre-command; another job does" {
  printf '404\n' >"$DIST_CONTROL/status"
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(artifact_request_count)" 1
  assert_file_exist "$(failed_download_note)"

  run_hook post-command

  assert_hook_status 0
  assert_line "swift-cache: warning: no cache-save for $(artifact_platform) (plugin version $HOOK_TEST_PLUGIN_VERSION); this job runs without caching."
  assert_line "  Download: $DIST_URL/$(artifact_name): the download failed: HTTP 404 (in this job's pre-command; not tried again)."
  assert_line "  Expected sha256 (release/SHA256SUMS): $(published_sha256)"
  refute_line --partial "downloading"
  assert_equal "$(artifact_request_count)" 1
  assert_file_not_exist "$(failed_download_note)"
  assert_equal "$(hook_changed_exports)" ''
  assert_shell_state_unchanged

  # The server is back; the next job is another job and tries.
  rm "$DIST_CONTROL/status"
  hook_env BUILDKITE_JOB_ID=01890000-0000-4000-8000-000000000099
  run_hook post-command
  assert_hook_status 0
  assert_equal "$(artifact_request_count)" 2
  assert_equal "$(standin_runs)" "cache-save $(install_dir)/cache-save"
}

@test "a download note of another version, or not a plain file of ours, is not believed" {
  mkdir -p "${HOOK_ENV[TMPDIR]}"
  printf '0.0.1 %s\nhttp://elsewhere\n\nthe download failed: HTTP 404\n' "$(artifact_platform)" >"$(failed_download_note)"
  run_hook post-command
  assert_hook_status 0
  assert_equal "$(artifact_request_count)" 1
  assert_file_not_exist "$(failed_download_note)"

  rm -rf "$(default_install_root)"
  printf '%s %s\nhttp://elsewhere\n\nthe download failed: HTTP 404\n' "$HOOK_TEST_PLUGIN_VERSION" "$(artifact_platform)" \
    >"$BATS_TEST_TMPDIR/planted"
  ln -s "$BATS_TEST_TMPDIR/planted" "$(failed_download_note)"
  run_hook post-command
  assert_hook_status 0
  assert_equal "$(artifact_request_count)" 2
  assert_equal "$(standin_runs)" "$(printf 'cache-save %s\n' "$(install_dir)/cache-save" "$(install_dir)/cache-save")"
}

@test "503s are retried: the third attempt installs" {
  printf '2\n' >"$DIST_CONTROL/fail-first"

  run_hook pre-command

  assert_hook_status 0
  assert_line "swift-cache: download attempt 1 of 3 failed: HTTP 503; trying again in 0s"
  assert_line "swift-cache: download attempt 2 of 3 failed: HTTP 503; trying again in 0s"
  assert_equal "$(artifact_request_count)" 3
  assert_equal "$(standin_runs)" "cache-restore $(install_dir)/cache-restore"
}

@test "fail-on-error from the agent's SWIFT_CACHE_FAIL_ON_ERROR, in the agent's spellings; the option wins" {
  printf '404\n' >"$DIST_CONTROL/status"
  local spelling
  for spelling in 1 t T TRUE true True; do
    hook_env SWIFT_CACHE_FAIL_ON_ERROR="$spelling"
    run_hook post-command
    assert_hook_status 1
    assert_line --partial "failing the job because fail-on-error is true."
  done
  for spelling in 0 f F FALSE false False; do
    hook_env SWIFT_CACHE_FAIL_ON_ERROR="$spelling"
    run_hook post-command
    assert_hook_status 0
  done

  hook_env SWIFT_CACHE_FAIL_ON_ERROR=true
  hook_plugin_config '{"fail-on-error": false}'
  run_hook pre-command
  assert_hook_status 0
  assert_line --partial "this job runs without caching."
}

@test "a fail-on-error that is not a boolean is an error naming where it came from" {
  printf '404\n' >"$DIST_CONTROL/status"
  hook_env SWIFT_CACHE_FAIL_ON_ERROR=yes

  run_hook pre-command

  assert_hook_status 1
  assert_line "swift-cache: error: the agent environment variable SWIFT_CACHE_FAIL_ON_ERROR is 'yes', not true or false."
}

@test "four jobs at once: one download, four jobs running the installed binary" {
  : >"$DIST_CONTROL/hold"
  local -a runs=()
  local run
  for _ in 1 2 3 4; do
    start_hook pre-command
    runs+=("$HOOK_RUN_DIR")
  done
  # One job is downloading (the server holds its response); wait until the
  # other three are blocked on the lock, then let the download finish.
  local waiting=0
  for _ in $(seq 1200); do
    waiting=$(grep -l 'Waiting for another job on this agent to install swift-cache' \
      "${runs[@]/%//output}" 2>/dev/null | wc -l)
    [[ -e $DIST_CONTROL/held && $waiting -eq 3 ]] && break
    sleep 0.05
  done
  : >"$DIST_CONTROL/release"
  assert_equal "$waiting" 3

  for run in "${runs[@]}"; do
    wait_hook "$run"
    assert_hook_status 0
    assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
    assert_shell_state_unchanged
  done
  assert_equal "$(artifact_request_count)" 1
  assert_equal "$(grep -l 'Installing swift-cache' "${runs[@]/%//output}" | wc -l)" 1
  assert_equal "$(standin_runs | grep -c -x "cache-restore $(install_dir)/cache-restore")" 4
}

@test "a binary of another version on PATH is not used: one line says so, the release is installed" {
  HOOK_STUB_VERSION=0.9.0 stub_command cache-restore

  run_hook pre-command

  assert_hook_status 0
  assert_line "swift-cache: not using $HOOK_STUB_BIN/cache-restore, which reports version '0.9.0', not the plugin's $HOOK_TEST_PLUGIN_VERSION."
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_equal "$(standin_runs)" "cache-restore $(install_dir)/cache-restore"
}

@test "a binary on PATH that reports no version is not used" {
  # As today's binaries do: an unknown option is a usage error.
  printf '#!/bin/sh\necho "$*" >>%q\necho "Error: Unknown option" >&2\nexit 64\n' "$BATS_TEST_TMPDIR/old-ran" \
    >"$HOOK_STUB_BIN/cache-restore"
  chmod 755 "$HOOK_STUB_BIN/cache-restore"

  run_hook pre-command

  assert_hook_status 0
  assert_line "swift-cache: not using $HOOK_STUB_BIN/cache-restore, which reports version '', not the plugin's $HOOK_TEST_PLUGIN_VERSION."
  assert_equal "$(cat "$BATS_TEST_TMPDIR/old-ran")" --version
  assert_equal "$(standin_runs)" "cache-restore $(install_dir)/cache-restore"
}

@test "a binary of the plugin's version on PATH is used, with no download" {
  stub_command cache-restore

  run_hook pre-command

  assert_hook_status 0
  assert_output ''
  assert_equal "$(stub_path cache-restore)" "$HOOK_STUB_BIN/cache-restore"
  assert_equal "$(artifact_request_count)" 0
}

@test "the installed copy wins over PATH" {
  run_hook pre-command
  assert_hook_status 0
  stub_command cache-restore

  run_hook pre-command

  assert_hook_status 0
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_equal "$(standin_runs | wc -l)" 2
}

@test "cache-save as a symbolic link or a hard link to cache-restore installs and runs under both names" {
  local link
  for link in symlink hardlink; do
    rm -rf "$(default_install_root)"
    publish_release "$link"
    run_hook pre-command
    assert_hook_status 0
    run_hook post-command
    assert_hook_status 0
    assert_equal "$(standin_runs)" "$(printf '%s\n' "cache-restore $(install_dir)/cache-restore" \
      "cache-save $(install_dir)/cache-save")"
  done
  # The last one packed was a hard link, and stays one.
  assert_equal "$(stat -c %h "$(install_dir)/cache-save")" 2
}

@test "an artifact whose binaries report another version is not installed" {
  pack_artifact 1.0.9 copy "$(artifact_name)" >/dev/null
  (cd "$DIST_DIR" && sha256sum "$(artifact_name)") >"$HOOK_PLUGIN_DIR/release/SHA256SUMS"

  run_hook pre-command

  assert_hook_status 0
  assert_line "  Download: $DIST_URL/$(artifact_name): cache-restore in $(artifact_name) reports version '1.0.9', not $HOOK_TEST_PLUGIN_VERSION."
  assert_nothing_installed
  assert_equal "$(standin_runs)" ''
}

@test "an install with a file missing is replaced by a fresh download" {
  run_hook pre-command
  assert_hook_status 0
  rm "$(install_dir)/cache-save"

  run_hook post-command

  assert_hook_status 0
  assert_equal "$(artifact_request_count)" 2
  assert_file_executable "$(install_dir)/cache-save"
  assert_equal "$(standin_runs | tail -n 1)" "cache-save $(install_dir)/cache-save"
}

@test "a temporary directory left by a killed job is removed by the next install" {
  mkdir -p "$(default_install_root)/$HOOK_TEST_PLUGIN_VERSION/.$(artifact_platform).AbC123/unpacked"

  run_hook pre-command

  assert_hook_status 0
  assert_dir_not_exist "$(default_install_root)/$HOOK_TEST_PLUGIN_VERSION/.$(artifact_platform).AbC123"
}

# Installs stand-ins of version $1 as the hooks would have, last used at $2
# (a `touch -d` date).
fake_install() {
  write_standin "$(install_dir "$1")" "$1"
  cp -p "$(install_dir "$1")/cache-restore" "$(install_dir "$1")/cache-save"
  touch -d "$2" "$(install_dir "$1")"
}

@test "an install removes old versions but the 3 last used, any used in the last day, and one being installed" {
  fake_install 0.1.0 '10 days ago'
  mkdir -p "$(default_install_root)/0.1.0/other-platform"
  fake_install 0.2.0 '9 days ago'
  fake_install 0.3.0 '8 days ago'
  fake_install 0.4.0 '20 hours ago'
  fake_install 0.5.0 '3 hours ago'
  fake_install 0.6.0 '2 hours ago'
  fake_install 0.7.0 '1 hour ago'
  # Another job holds the lock of 0.2.0 (it is installing or removing it).
  local lock_fd
  exec {lock_fd}>>"$(install_dir 0.2.0).lock"
  flock "$lock_fd"

  run_hook pre-command
  exec {lock_fd}>&-

  assert_hook_status 0
  assert_equal "$(standin_runs)" "cache-restore $(install_dir)/cache-restore"
  local version
  for version in "$HOOK_TEST_PLUGIN_VERSION" 0.7.0 0.6.0 0.5.0 0.4.0 0.2.0; do
    assert_file_executable "$(install_dir "$version")/cache-restore"
  done
  assert_dir_not_exist "$(install_dir 0.3.0)"
  assert_dir_not_exist "$(default_install_root)/0.3.0"
  assert_dir_not_exist "$(install_dir 0.1.0)"
  assert_file_not_exist "$(install_dir 0.1.0).lock"
  # Another platform's install of an old version is not this agent's to judge.
  assert_dir_exist "$(default_install_root)/0.1.0/other-platform"
  assert_equal "$(find "$(default_install_root)" -name '*.removing.*')" ''
}

@test "a job that runs an installed binary marks it used, so pruning keeps it" {
  run_hook pre-command
  assert_hook_status 0
  touch -d '5 days ago' "$(install_dir)"

  run_hook post-command

  assert_hook_status 0
  assert_output ''
  assert [ -n "$(find "$(install_dir)" -maxdepth 0 -mmin -60)" ]
}

@test "no checksum line for this platform: no request, and the warning says why" {
  grep -v -F "$(artifact_name)" "$HOOK_PLUGIN_DIR/release/SHA256SUMS" >"$BATS_TEST_TMPDIR/sums"
  cp "$BATS_TEST_TMPDIR/sums" "$HOOK_PLUGIN_DIR/release/SHA256SUMS"

  run_hook pre-command

  assert_hook_status 0
  assert_line "  Download: none, release/SHA256SUMS of the plugin has no checksum for $(artifact_name) (no release artifact for $(artifact_platform))."
  assert_equal "$(artifact_request_count)" 0
}

@test "no release/SHA256SUMS: no request" {
  rm "$HOOK_PLUGIN_DIR/release/SHA256SUMS"

  run_hook pre-command

  assert_hook_status 0
  assert_line "  Download: none, the plugin checkout has no release/SHA256SUMS, so no download can be verified."
  assert_equal "$(artifact_request_count)" 0
}

@test "no release/VERSION (a development checkout): no download, and PATH is used whatever its version" {
  rm "$HOOK_PLUGIN_DIR/release/VERSION"
  run_hook pre-command
  assert_hook_status 0
  assert_line "swift-cache: warning: no cache-restore for $(artifact_platform) (plugin version unknown); this job runs without caching."
  assert_line "  Download: none, the plugin checkout has no release/VERSION, so there is no release to download."

  HOOK_STUB_VERSION=0.9.0 stub_command cache-restore
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_call_count cache-restore)" 1
  assert_equal "$(artifact_request_count)" 0
}

@test "a release/VERSION that is not a version is ignored with a warning" {
  printf '../../etc\n' >"$HOOK_PLUGIN_DIR/release/VERSION"

  run_hook pre-command

  assert_hook_status 0
  assert_line "swift-cache: warning: ignoring $HOOK_PLUGIN_DIR/release/VERSION: its first line '../../etc' is not a version like 1.2.0."
  assert_equal "$(artifact_request_count)" 0
}

@test "SWIFT_CACHE_INSTALL_ROOT, then XDG_CACHE_HOME, choose the install root" {
  hook_env XDG_CACHE_HOME="$BATS_TEST_TMPDIR/xdg"
  run_hook pre-command
  assert_hook_status 0
  assert_file_executable "$BATS_TEST_TMPDIR/xdg/swift-cache/install/$HOOK_TEST_PLUGIN_VERSION/$(artifact_platform)/cache-restore"

  hook_env SWIFT_CACHE_INSTALL_ROOT="$BATS_TEST_TMPDIR/shared install"
  run_hook pre-command
  assert_hook_status 0
  assert_file_executable "$BATS_TEST_TMPDIR/shared install/$HOOK_TEST_PLUGIN_VERSION/$(artifact_platform)/cache-restore"
  assert_equal "$(artifact_request_count)" 2
  assert_file_not_exist "$(default_install_root)"
}

@test "an install root that cannot be created: a warning, the job goes on" {
  printf 'a file\n' >"$BATS_TEST_TMPDIR/not-a-dir"
  hook_env SWIFT_CACHE_INSTALL_ROOT="$BATS_TEST_TMPDIR/not-a-dir/install"

  run_hook pre-command

  assert_hook_status 0
  assert_line "  Download: $DIST_URL/$(artifact_name): cannot create '$BATS_TEST_TMPDIR/not-a-dir/install/$HOOK_TEST_PLUGIN_VERSION' (set SWIFT_CACHE_INSTALL_ROOT to a directory the agent can write)."
  assert_equal "$(artifact_request_count)" 0
}

@test "with wget and no curl, the download works the same, and a 404 is not retried" {
  # A PATH of every command of this machine except curl.
  local bin=$BATS_TEST_TMPDIR/no-curl-bin entry dir
  mkdir -p "$bin"
  for dir in /usr/local/bin /usr/bin /bin; do
    for entry in "$dir"/*; do
      [[ ${entry##*/} == curl || -e $bin/${entry##*/} ]] || ln -s "$entry" "$bin/${entry##*/}"
    done
  done
  [[ -e $bin/wget ]] || skip "wget is not installed"
  hook_env PATH="$HOOK_STUB_BIN:$bin"

  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(standin_runs)" "cache-restore $(install_dir)/cache-restore"

  rm -rf "$(default_install_root)"
  printf '404\n' >"$DIST_CONTROL/status"
  run_hook pre-command
  assert_hook_status 0
  assert_line "  Download: $DIST_URL/$(artifact_name): the download failed: HTTP 404."
  assert_equal "$(artifact_request_count)" 2
}

@test "by default the artifact comes from the GitHub release of the plugin's origin remote" {
  git -C "$HOOK_PLUGIN_DIR" init -q
  git -C "$HOOK_PLUGIN_DIR" remote add origin https://github.com/acme/swift-cache-buildkite-plugin.git
  hook_unset SWIFT_CACHE_DOWNLOAD_URL
  # Nothing may leave this machine: every request goes to a closed proxy port.
  hook_env https_proxy=http://127.0.0.1:1 HTTPS_PROXY=http://127.0.0.1:1 http_proxy=http://127.0.0.1:1 \
    ALL_PROXY=http://127.0.0.1:1

  run_hook pre-command

  assert_hook_status 0
  assert_line --regexp "^  Download: https://github\.com/acme/swift-cache-buildkite-plugin/releases/download/v$HOOK_TEST_PLUGIN_VERSION/$(artifact_name): the download failed: "
}

@test "without SWIFT_CACHE_DOWNLOAD_URL or a GitHub origin there is no download, and the warning says so" {
  git -C "$HOOK_PLUGIN_DIR" init -q
  git -C "$HOOK_PLUGIN_DIR" remote add origin https://git.example.com/acme/swift-cache.git
  hook_unset SWIFT_CACHE_DOWNLOAD_URL

  run_hook pre-command

  assert_hook_status 0
  assert_line "  Download: none, no download URL: SWIFT_CACHE_DOWNLOAD_URL is not set and the plugin was not cloned from GitHub (its git remote 'origin')."
}

@test "GitHub remotes in every form git accepts name their repository; other hosts none" {
  source "$HOOK_PLUGIN_DIR/hooks/lib/release.bash"
  local url
  for url in https://github.com/acme/swift-cache.git https://github.com/acme/swift-cache \
    https://token@github.com/acme/swift-cache.git git@github.com:acme/swift-cache.git \
    ssh://git@github.com/acme/swift-cache.git git://github.com/acme/swift-cache https://github.com/acme/swift-cache/; do
    run swift_cache__github_repository "$url"
    assert_success
    assert_output acme/swift-cache
  done
  for url in https://gitlab.com/acme/swift-cache.git https://github.com.evil.test/acme/swift-cache \
    https://github.com/acme/swift-cache/extra /tmp/swift-cache ''; do
    run swift_cache__github_repository "$url"
    assert_failure
  done
}

@test "the real release artifact installs, saves, and restores an exact hit (when dist/ has one)" {
  # The repository's version (or the one SWIFT_CACHE_TEST_ARTIFACT is named after) stands in for
  # the fake plugin's, since the binaries check it.
  local artifact=${SWIFT_CACHE_TEST_ARTIFACT:-}
  if [[ -z $artifact ]]; then
    [[ -f $HOOK_REPO_DIR/release/VERSION ]] || skip "no release/VERSION in this repository"
    artifact=$HOOK_REPO_DIR/dist/$(artifact_name "$(cat "$HOOK_REPO_DIR/release/VERSION")")
  fi
  [[ -f $artifact ]] || skip "no release artifact at $artifact (scripts/release makes one)"
  HOOK_TEST_PLUGIN_VERSION=${artifact##*/swift-cache-}
  HOOK_TEST_PLUGIN_VERSION=${HOOK_TEST_PLUGIN_VERSION%-"$(artifact_platform)".tar.gz}
  printf '%s\n' "$HOOK_TEST_PLUGIN_VERSION" >"$HOOK_PLUGIN_DIR/release/VERSION"
  stop_dist_server
  start_dist_server # its URL names the version
  cp "$artifact" "$DIST_DIR/$(artifact_name)"
  (cd "$DIST_DIR" && sha256sum "$(artifact_name)") >"$HOOK_PLUGIN_DIR/release/SHA256SUMS"
  hook_plugin_config '{"caches": [{"id": "deps", "key": "deps-v1", "paths": ["deps"]}]}'
  hook_env BUILDKITE_CACHE_STORE_URL="file://$BATS_TEST_TMPDIR/store"
  mkdir -p "$HOOK_CHECKOUT/deps"
  printf 'cached\n' >"$HOOK_CHECKOUT/deps/file"

  run_hook post-command
  assert_hook_status 0
  assert_line --partial "deps: saved"

  rm -rf "$(default_install_root)" "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  assert_hook_status 0
  assert_line --partial "Installing swift-cache $HOOK_TEST_PLUGIN_VERSION"
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_equal "$(cat "$HOOK_CHECKOUT/deps/file")" cached
  assert_equal "$(artifact_request_count)" 2
}

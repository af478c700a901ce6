# shellcheck shell=bash
#
# A published release, as the hooks download it, for tests with no swift on
# PATH: stand-in binaries packed the way scripts/release packs the real ones,
# the fake plugin checkout's release/VERSION and release/SHA256SUMS, and a
# local HTTP server (dist_server.py) that serves dist/ and logs each request.
#
#   setup()    { load helpers/common; load helpers/download; setup_hook_test
#                publish_release; start_dist_server; }
#   teardown() { stop_dist_server; }
#
# The stand-ins answer --version, write SWIFT_CACHE_HIT_DEPS=exact to the
# export file, and append "NAME PATH" to $STANDIN_RUNS each time they run.

# The platform as release artifacts name it, worked out here on its own (not
# with the hook's code) so that the tests check the hook's mapping.
artifact_platform() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) printf 'linux-x86_64\n' ;;
    Linux-aarch64 | Linux-arm64) printf 'linux-aarch64\n' ;;
    Darwin-*) printf 'darwin-universal\n' ;;
    *) fail "no release artifacts exist for $(uname -s)-$(uname -m)" ;;
  esac
}

# Prints the artifact file name of version $1 (default: the plugin's).
artifact_name() {
  printf 'swift-cache-%s-%s.tar.gz\n' "${1:-$HOOK_TEST_PLUGIN_VERSION}" "$(artifact_platform)"
}

# Prints the directory the hooks install version $1 (default: the plugin's) in.
install_dir() {
  printf '%s/%s/%s\n' "$(default_install_root)" "${1:-$HOOK_TEST_PLUGIN_VERSION}" "$(artifact_platform)"
}

# Writes a stand-in cache-restore into directory $1 that reports version $2.
write_standin() {
  mkdir -p "$1"
  cat >"$1/cache-restore" <<STANDIN
#!/bin/bash
if [[ \$# -eq 1 && \$1 == --version ]]; then printf '%s\n' '$2'; exit 0; fi
printf '%s %s\n' "\${0##*/}" "\$0" >>'$STANDIN_RUNS'
while ((\$# > 0)); do
  if [[ \$1 == --export-file ]]; then printf 'SWIFT_CACHE_HIT_DEPS=exact\n' >"\$2"; fi
  shift
done
STANDIN
  chmod 755 "$1/cache-restore"
}

# Packs an artifact into $DIST_DIR and prints its path.
# $1: version the binaries report, $2: how cache-save is made from
# cache-restore: copy (default), symlink or hardlink, $3: artifact name
# (default: the one for $1).
pack_artifact() {
  local version=$1 link=${2:-copy} name=${3:-$(artifact_name "$1")}
  local stage
  stage=$(mktemp -d "$BATS_TEST_TMPDIR/stage.XXXXXX")
  write_standin "$stage" "$version"
  case $link in
    copy) cp -p "$stage/cache-restore" "$stage/cache-save" ;;
    symlink) ln -s cache-restore "$stage/cache-save" ;;
    hardlink) ln "$stage/cache-restore" "$stage/cache-save" ;;
  esac
  printf 'license text\n' >"$stage/LICENSE"
  mkdir -p "$DIST_DIR"
  tar -czf "$DIST_DIR/$name" -C "$stage" cache-restore cache-save LICENSE
  printf '%s\n' "$DIST_DIR/$name"
}

# Packs the plugin's version into dist/ and writes the fake plugin checkout's
# release/SHA256SUMS for it (with a line for another platform before it, as a
# real release has). $1: how cache-save is linked (see pack_artifact).
publish_release() {
  STANDIN_RUNS=$BATS_TEST_TMPDIR/standin-runs
  DIST_DIR=$BATS_TEST_TMPDIR/dist
  : >"$STANDIN_RUNS"
  local artifact
  artifact=$(pack_artifact "$HOOK_TEST_PLUGIN_VERSION" "${1:-copy}")
  {
    printf '%s  swift-cache-%s-other-platform.tar.gz\n' "$(printf other | sha256sum | cut -d ' ' -f 1)" \
      "$HOOK_TEST_PLUGIN_VERSION"
    (cd "$DIST_DIR" && sha256sum "${artifact##*/}")
  } >"$HOOK_PLUGIN_DIR/release/SHA256SUMS"
}

# Prints the sha256 release/SHA256SUMS names for this platform's artifact.
published_sha256() {
  grep -F "  $(artifact_name)" "$HOOK_PLUGIN_DIR/release/SHA256SUMS" | cut -d ' ' -f 1
}

# Replaces the served artifact with one of other bytes, whose cache-restore
# and cache-save leave $BATS_TEST_TMPDIR/tampered-ran behind if anything runs
# them (even for --version). The checksum file keeps the published sum.
tamper_with_artifact() {
  local stage
  stage=$(mktemp -d "$BATS_TEST_TMPDIR/tampered.XXXXXX")
  printf '#!/bin/bash\ntouch %q\nprintf "%%s\\n" %q\n' "$BATS_TEST_TMPDIR/tampered-ran" "$HOOK_TEST_PLUGIN_VERSION" \
    >"$stage/cache-restore"
  chmod 755 "$stage/cache-restore"
  cp -p "$stage/cache-restore" "$stage/cache-save"
  tar -czf "$DIST_DIR/$(artifact_name)" -C "$stage" cache-restore cache-save
}

# Starts dist_server.py on a free loopback port, serving $DIST_DIR, and points
# the job's SWIFT_CACHE_DOWNLOAD_URL at it. Sets DIST_URL, DIST_LOG (one line
# per request), DIST_CONTROL (see dist_server.py) and DIST_PID.
start_dist_server() {
  DIST_LOG=$BATS_TEST_TMPDIR/dist-requests
  DIST_CONTROL=$BATS_TEST_TMPDIR/dist-control
  local port_file=$BATS_TEST_TMPDIR/dist-port
  mkdir -p "$DIST_CONTROL" "$DIST_DIR"
  : >"$DIST_LOG"
  rm -f "$port_file"
  python3 "$HOOK_TEST_HELPERS_DIR/dist_server.py" "$DIST_DIR" "$DIST_CONTROL" "$DIST_LOG" "$port_file" \
    >/dev/null 2>"$BATS_TEST_TMPDIR/dist-server.stderr" 3>&- &
  DIST_PID=$!
  for _ in $(seq 600); do
    [[ -s $port_file ]] && break
    kill -0 "$DIST_PID" 2>/dev/null || fail "dist_server.py exited: $(cat "$BATS_TEST_TMPDIR/dist-server.stderr")"
    sleep 0.01
  done
  [[ -s $port_file ]] || fail "dist_server.py did not start listening"
  DIST_URL=http://127.0.0.1:$(cat "$port_file")/releases/v$HOOK_TEST_PLUGIN_VERSION
  hook_env SWIFT_CACHE_DOWNLOAD_URL="$DIST_URL"
}

# Stops the server (safe to call twice); its port is closed afterwards.
stop_dist_server() {
  if [[ -n ${DIST_PID:-} ]]; then
    kill "$DIST_PID" 2>/dev/null || true
    wait "$DIST_PID" 2>/dev/null || true
    DIST_PID=
  fi
}

# Prints how many requests the server has had for this platform's artifact.
artifact_request_count() {
  grep -c -F "GET /releases/v$HOOK_TEST_PLUGIN_VERSION/$(artifact_name)" "$DIST_LOG" || true
}

# Prints the lines of $STANDIN_RUNS (which stand-in ran, from where).
standin_runs() {
  cat "$STANDIN_RUNS"
}

# Fails unless the install root holds nothing but empty version directories
# and lock files: no unpacked file, no leftover download.
assert_nothing_installed() {
  local root leftovers
  root=$(default_install_root)
  [[ -d $root ]] || return 0
  leftovers=$(find "$root" -mindepth 1 ! -type d ! -name '*.lock')
  leftovers+=$(find "$root" -mindepth 2 -type d)
  [[ -z $leftovers ]] || fail "the install root holds more than locks: $leftovers"
}

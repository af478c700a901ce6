#!/usr/bin/env bats
#
# SIGTERM, as the agent sends it when a job is cancelled, through the real hooks. The promise: a
# wait ends at once, temp files are removed, and the exit status (130) says the job was cancelled.
# Stores whose calls keep failing with a retryable error make the binaries wait: an S3 endpoint on
# a loopback port nobody listens on (connection refused), and a small S3 look-alike that answers
# 503 to uploads (while the archive sits in TMPDIR) or to downloads (which stream into the
# extraction, so nothing of the blob is ever in TMPDIR).
# The signal goes to the binary the hook runs, the process the agent's SIGTERM stops the job with.

setup() {
  load helpers/hardening
  hardening_setup
  hardening_s3_credentials
  JOB_TMPDIR=${HOOK_ENV[TMPDIR]}
  make_tree "$HOOK_CHECKOUT/deps" job 1 20
}

teardown() {
  stop_fault_server
}

# Temp files of ours anywhere the binaries write them: TMPDIR (S3 downloads and archives) and
# the file store's tmp.
temp_files() {
  find "$JOB_TMPDIR" "$HARDENING_STORE/v1/tmp" -name 'swift-cache-*' -o -name '*.tar.zst' -o -name '*.blob' 2>/dev/null |
    grep -v '/swift-cache-exports\.' || true
}

# cancel_after_retry RUN_DIR BINARY TEXT: waits (bounded) for the first retry line that mentions
# TEXT, sends SIGTERM to the binary, and waits at most 4 s for it to end: the retry wait is 5 s, so
# a binary that sleeps it out is caught, while a loaded host has seconds to spare. Sets CANCEL_MS
# (from the signal to the end of the process; the hardening report shows it).
cancel_after_retry() {
  local pid sent
  pid=$(hook_binary_pid "$1" "$2") || fail "$2 did not start: $(cat "$1/output")"
  wait_for_line "$1/output" "retrying in" 20 || fail "no retry within 20 s: $(cat "$1/output")"
  grep -F "retrying in" "$1/output" | grep -qF -- "$3" || fail "the first retry was not of '$3': $(cat "$1/output")"
  # The state file pre-command hands to post-command is the hook's, not a transfer's.
  CANCEL_TEMP_BEFORE=$(temp_files | grep -cv '/swift-cache-state\.' || true)
  sent=$(now_ms)
  kill -TERM "$pid"
  wait_for_exit "$pid" 4 || {
    kill -9 "$pid" 2>/dev/null
    fail "$2 was still running 4 s after SIGTERM (it was in a 5 s retry wait)"
  }
  CANCEL_MS=$(($(now_ms) - sent))
}

@test "SIGTERM during a save's retry wait (S3 refuses connections) ends it at once with status 130" {
  port=$(free_port)
  hardening_config '"paths":["deps"]' "\"store\":\"s3://bucket/cache?endpoint=http://127.0.0.1:$port\""
  start_hook post-command
  run_dir=$HOOK_RUN_DIR
  cancel_after_retry "$run_dir" cache-save "check for 'deps-one'"
  wait_hook "$run_dir"
  assert_hook_status 130
  # The save policy waits 5 s plus a jitter below 1 s, printed to the tenth: 5s to 5.9s, or 6s
  # when the jitter rounds up.
  assert_output --regexp "retrying in (5(\.[0-9])?|6)s"
  assert_equal "$(temp_files)" ""
  hardening_record sigterm-save-refused exit="$HOOK_STATUS" ms="$CANCEL_MS" temp_left=0
}

@test "SIGTERM during a restore's retry wait (S3 refuses connections) ends it at once with status 130" {
  port=$(free_port)
  hardening_config '"paths":["deps"]' \
    "\"store\":\"s3://bucket/cache?endpoint=http://127.0.0.1:$port\",\"retry\":{\"restore\":{\"attempts\":10,\"strategy\":\"constant\",\"interval\":\"5s\"}}"
  before=$(tree_digest "$HOOK_CHECKOUT/deps")
  start_hook pre-command
  run_dir=$HOOK_RUN_DIR
  cancel_after_retry "$run_dir" cache-restore "look up 'deps-one'"
  wait_hook "$run_dir"
  assert_hook_status 130
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$before"
  assert_equal "$(staging_leftovers "$HOOK_CHECKOUT")" 0
  assert_equal "$(temp_files)" ""
  hardening_record sigterm-restore-refused exit="$HOOK_STATUS" ms="$CANCEL_MS" temp_left=0
}

@test "SIGTERM while an upload is retried removes the archive from TMPDIR and exits 130 at once" {
  start_fault_server upload-fails
  hardening_config '"paths":["deps"]' "\"store\":\"s3://bucket/cache?endpoint=http://127.0.0.1:$FAULT_PORT\""
  start_hook post-command
  run_dir=$HOOK_RUN_DIR
  cancel_after_retry "$run_dir" cache-save "upload"
  # The archive was built and waited in TMPDIR for its upload when the signal came.
  assert_equal "$CANCEL_TEMP_BEFORE" 1
  wait_hook "$run_dir"
  assert_hook_status 130
  assert_equal "$(temp_files)" ""
  grep -q '^PUT .*/v1/blobs/sha256/' "$BATS_TEST_TMPDIR/fault-server.log"
  run grep -c '^PUT .*/v1/entries/' "$BATS_TEST_TMPDIR/fault-server.log"
  assert_output 0
  hardening_record sigterm-save-upload exit=130 ms="$CANCEL_MS" temp_before="$CANCEL_TEMP_BEFORE" temp_left=0
}

@test "SIGTERM while a download is retried leaves the target and nothing in TMPDIR, exits 130 at once" {
  # A real entry (from a save to a file store) for the fault server to hand out.
  run_hook post-command
  assert_output --partial "deps: saved"
  entry=$(find "$HARDENING_STORE/v1/entries" -name 'deps-one.json')
  export FAULT_ENTRY FAULT_BLOB_SIZE
  FAULT_ENTRY=$(cat "$entry")
  FAULT_BLOB_SIZE=$(jq -r .size "$entry")
  start_fault_server download-fails
  hardening_config '"paths":["deps"]' \
    "\"store\":\"s3://bucket/cache?endpoint=http://127.0.0.1:$FAULT_PORT\",\"retry\":{\"restore\":{\"attempts\":10,\"strategy\":\"constant\",\"interval\":\"5s\"}}"
  printf 'mine\n' >"$HOOK_CHECKOUT/deps/label"
  before=$(tree_digest "$HOOK_CHECKOUT/deps")

  start_hook pre-command
  run_dir=$HOOK_RUN_DIR
  cancel_after_retry "$run_dir" cache-restore "download"
  # The blob streams into the extraction: no copy of it on disk, even mid-download.
  assert_equal "$CANCEL_TEMP_BEFORE" 0
  wait_hook "$run_dir"
  assert_hook_status 130
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$before"
  assert_equal "$(staging_leftovers "$HOOK_CHECKOUT")" 0
  assert_equal "$(temp_files)" ""
  hardening_record sigterm-restore-download exit=130 ms="$CANCEL_MS" temp_before="$CANCEL_TEMP_BEFORE" temp_left=0
}

# The file work itself (extracting, archiving) runs on a thread of its own, which checks the
# cancellation between entries and blocks. Trees that take seconds to extract (many small files:
# each is a create, write, chmod and utimes) or to archive (zstd at level 19) show whether a
# SIGTERM in the middle ends that work early. The bound is not a wall time but the same work
# uncancelled, on the same host in the same test: the cancelled run must end in less than half of
# it (in practice it ends in milliseconds; both numbers go to the report).

@test "SIGTERM during an extraction ends the restore early: status 130, the old tree whole, no staging left" {
  rm -rf "$HOOK_CHECKOUT/deps"
  make_tree "$HOOK_CHECKOUT/deps" new 0 16000
  run_hook post-command
  assert_output --partial "deps: saved"
  rm -rf "$HOOK_CHECKOUT/deps"
  make_tree "$HOOK_CHECKOUT/deps" old 0 50
  old=$(tree_digest "$HOOK_CHECKOUT/deps")

  start_hook pre-command
  run_dir=$HOOK_RUN_DIR
  pid=$(hook_binary_pid "$run_dir" cache-restore) || fail "cache-restore did not start"
  for _ in $(seq 1 2000); do
    compgen -G "$HOOK_CHECKOUT/.swift-cache-staging.*" >/dev/null && break
    sleep 0.005
  done
  compgen -G "$HOOK_CHECKOUT/.swift-cache-staging.*" >/dev/null || fail "no staging tree appeared"
  sent=$(now_ms)
  kill -TERM "$pid"
  wait_for_exit "$pid" 60 || {
    kill -9 "$pid"
    fail "cache-restore was still extracting 60 s after SIGTERM"
  }
  latency=$(($(now_ms) - sent))
  wait_hook "$run_dir"
  assert_hook_status 130
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$old"
  assert_equal "$(staging_leftovers "$HOOK_CHECKOUT")" 0

  # For comparison: the same restore, not cancelled.
  rm -rf "$HOOK_CHECKOUT/deps"
  start_hook pre-command
  run_dir=$HOOK_RUN_DIR
  pid=$(hook_binary_pid "$run_dir" cache-restore) || fail "cache-restore did not start"
  started=$(now_ms)
  wait_hook "$run_dir"
  whole=$(($(now_ms) - started))
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  ((latency * 2 < whole)) || fail "the cancelled restore took $latency ms after SIGTERM, the whole restore $whole ms"
  hardening_record sigterm-during-extraction files=16000 exit=130 signal_to_exit_ms=$latency uncancelled_restore_ms=$whole \
    target=old staging_left=0
}

# cancel_archive_build BOUND: starts a save of a 12 MiB file at zstd level 19 (seconds of work),
# sends SIGTERM once its archive appears in the store's tmp, and waits at most BOUND seconds for
# cache-save to end. Sets CANCEL_MS.
cancel_archive_build() {
  hardening_config '"paths":["deps"]' '"compression-level":19'
  # One big file alone, so the signal lands while that file is being archived.
  rm -rf "$HOOK_CHECKOUT/deps"
  mkdir -p "$HOOK_CHECKOUT/deps"
  head -c $((12 << 20)) /dev/urandom >"$HOOK_CHECKOUT/deps/blob.bin"
  start_hook post-command
  CANCEL_RUN=$HOOK_RUN_DIR
  local pid sent _
  pid=$(hook_binary_pid "$CANCEL_RUN" cache-save) || fail "cache-save did not start"
  for _ in $(seq 1 2000); do
    compgen -G "$HARDENING_STORE/v1/tmp/*" >/dev/null && break
    sleep 0.005
  done
  compgen -G "$HARDENING_STORE/v1/tmp/*" >/dev/null || fail "no archive appeared in the store's tmp"
  # Past the directory entry and into the file (which takes seconds at level 19).
  sleep 0.2
  sent=$(now_ms)
  kill -TERM "$pid"
  wait_for_exit "$pid" "$1" || {
    kill -9 "$pid"
    fail "cache-save was still archiving $1 s after SIGTERM"
  }
  CANCEL_MS=$(($(now_ms) - sent))
}

@test "SIGTERM during an archive build ends the save early: status 130, no partial entry, no temp file left" {
  cancel_archive_build 60
  wait_hook "$CANCEL_RUN"
  assert_hook_status 130
  # Once the archive is finished the save may still store and commit it, whole.
  run check_file_store "$HARDENING_STORE"
  assert_output --regexp '^entries=[01] broken=0$'
  committed=${output#entries=}
  committed=${committed%% *}
  assert_equal "$(find "$HARDENING_STORE/v1/tmp" -type f 2>/dev/null | wc -l)" 0
  hook_env HARDENING_KEY=two

  # For comparison: the same save, not cancelled.
  start_hook post-command
  run_dir=$HOOK_RUN_DIR
  pid=$(hook_binary_pid "$run_dir" cache-save) || fail "cache-save did not start"
  started=$(now_ms)
  wait_hook "$run_dir"
  whole=$(($(now_ms) - started))
  assert_output --partial "deps: saved"
  ((CANCEL_MS * 2 < whole)) || fail "the cancelled save took $CANCEL_MS ms after SIGTERM, the whole save $whole ms"
  hardening_record sigterm-during-archive mib=12 level=19 exit=130 signal_to_exit_ms=$CANCEL_MS uncancelled_save_ms=$whole \
    committed_after_cancel="$committed" temp_left=0
}

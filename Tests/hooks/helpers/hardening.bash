# shellcheck shell=bash
#
# Shared by the hardening tests (Tests/hooks/hardening*.bats): jobs that run the real binaries
# through the real hooks while the tests kill them, cancel them, starve them of disk, or run many
# of them at once, and check afterwards that every promise held.
#
# Every helper that waits is bounded: a test that hangs is a failure with a message, not a stuck CI.
# Numbers a test wants in docs/hardening.md go through `hardening_record`, which prints a TAP
# comment (`# hardening: NAME key=value ...`) that scripts/hardening-report collects.

# The job the tests start from: the real binaries, a file store in the test's temp dir, one cache
# `deps` in the checkout whose key is `deps-` plus $HARDENING_KEY (so a test picks the key per job).
hardening_setup() {
  load helpers/common
  hook_harness_setup
  HARDENING_BIN=${SWIFT_CACHE_TEST_BINARY_DIR:-$HOOK_REPO_DIR/.build/debug}
  [[ -x $HARDENING_BIN/cache-restore && -x $HARDENING_BIN/cache-save ]] ||
    fail "no cache-restore/cache-save in $HARDENING_BIN: run 'swift build' (scripts/test does) first"
  HARDENING_STORE=$BATS_TEST_TMPDIR/store
  hook_env "SWIFT_CACHE_BINARY_DIR=$HARDENING_BIN" "BUILDKITE_CACHE_STORE_URL=file://$HARDENING_STORE" \
    HARDENING_KEY=one
  hardening_config '"paths":["deps"]'
}

# Sets the plugin options: one cache `deps` keyed `deps-{{ env "HARDENING_KEY" }}` with the JSON
# members $1 (its paths and anything else), plus top-level members $2 (optional).
hardening_config() {
  local cache=$1 extra=${2:+,$2}
  hook_plugin_config "{\"annotate\":false$extra,\"caches\":[{\"id\":\"deps\",\"key\":\"deps-{{ env \\\"HARDENING_KEY\\\" }}\",$cache}]}"
}

# One digest over the name, type, mode and link target of every path under $1 and the sha256 of
# every file: two trees print the same digest only if they are the same (mtimes left out: a restore
# keeps them, a copy would not). A missing tree prints MISSING.
tree_digest() {
  [[ -e $1 ]] || {
    printf 'MISSING %s\n' "$1"
    return 0
  }
  (cd -- "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort) |
    sha256sum | cut -d' ' -f1
}

# make_tree DIR LABEL MIB FILES: a tree that tells who made it: LABEL in DIR/label, MIB MiB that
# zstd cannot shrink in DIR/blob.bin (so archives and extractions take a while), FILES small files
# under DIR/many, an executable and a relative symlink.
make_tree() {
  local dir=$1 label=$2 mib=$3 files=$4
  mkdir -p "$dir/many"
  printf '%s\n' "$label" >"$dir/label"
  if ((mib > 0)); then
    head -c $((mib << 20)) /dev/urandom >"$dir/blob.bin"
  fi
  # One line per file, split into files by one process: thousands of files in milliseconds.
  if ((files > 0)); then
    seq -f "$label %g" 1 "$files" | (cd -- "$dir/many" && split -l 1 -a 5 - f)
  fi
  printf '#!/bin/sh\necho %s\n' "$label" >"$dir/run"
  chmod 755 "$dir/run"
  ln -s label "$dir/link"
}

# Staging trees (whole or partial) that restores left beside the paths in directory $1.
staging_leftovers() {
  find "$1" -maxdepth 1 -name '.swift-cache-staging.*' | wc -l
}

# Prints the current time in milliseconds.
now_ms() {
  local t=${EPOCHREALTIME/./}
  printf '%s\n' $((t / 1000))
}

# hook_binary_pid RUN_DIR NAME: the pid of the binary NAME that the hook started with start_hook
# (run directory RUN_DIR) runs: a child of the wrapper's bash. Waits up to 20 s for it to appear;
# prints nothing and fails if the hook ended first or never started it.
# (Reads /proc directly: no process per look, so the polling steals little time from the job.)
hook_binary_pid() {
  local wrapper pid comm end=$((SECONDS + 20))
  local -a children
  read -r wrapper <"$1/pid"
  while ((SECONDS < end)); do
    [[ -d /proc/$wrapper ]] || return 1
    children=()
    if [[ -e /proc/$wrapper/task/$wrapper/children ]]; then
      # (The file has no final newline, so read reports EOF even when it read the pids.)
      { read -r -a children <"/proc/$wrapper/task/$wrapper/children"; } 2>/dev/null || true
    else
      mapfile -t children < <(pgrep -P "$wrapper")
    fi
    for pid in "${children[@]}"; do
      { read -r comm <"/proc/$pid/comm"; } 2>/dev/null || continue
      if [[ $comm == "$2" ]]; then
        printf '%s\n' "$pid"
        return 0
      fi
    done
    sleep 0.002
  done
  return 1
}

# wait_for_exit PID SECONDS: waits (bounded) for a process that is not our child to end; fails if
# it is still running after SECONDS.
wait_for_exit() {
  timeout "$2" tail --pid="$1" -s 0.01 -f /dev/null
}

# wait_for_line FILE TEXT SECONDS: waits until FILE holds a line containing TEXT; fails after SECONDS.
wait_for_line() {
  local deadline=$(($(now_ms) + $3 * 1000))
  until grep -qF -- "$2" "$1" 2>/dev/null; do
    (($(now_ms) < deadline)) || return 1
    sleep 0.01
  done
}

# hardening_record NAME key=value ...: one line of numbers for docs/hardening.md, as a TAP comment
# on fd 3, which bats prints before the test's result.
hardening_record() {
  printf '# hardening: %s\n' "$*" >&3
}

# Checks that every entry in file store $1 names a blob that exists and whose sha256 and size are
# the entry's. Prints one line per broken entry, then "entries=N broken=M".
check_file_store() {
  local store=$1 entry digest size blob entries=0 broken=0
  while IFS= read -r -d '' entry; do
    entries=$((entries + 1))
    if ! digest=$(jq -er '.digest' "$entry" 2>/dev/null) || ! size=$(jq -er '.size' "$entry" 2>/dev/null); then
      printf 'unreadable entry %s\n' "$entry"
      broken=$((broken + 1))
      continue
    fi
    blob=$store/v1/blobs/sha256/${digest:0:2}/$digest
    if [[ ! -f $blob ]]; then
      printf 'entry %s names a missing blob %s\n' "${entry##*/}" "${digest:0:12}"
      broken=$((broken + 1))
    elif [[ $(stat -c %s "$blob") != "$size" || $(sha256sum "$blob" | cut -d' ' -f1) != "$digest" ]]; then
      printf 'entry %s names a partial or changed blob %s\n' "${entry##*/}" "${digest:0:12}"
      broken=$((broken + 1))
    fi
  done < <(find "$store/v1/entries" -name '*.json' -print0 2>/dev/null)
  printf 'entries=%d broken=%d\n' "$entries" "$broken"
}

# A TCP port on 127.0.0.1 that nobody listens on right now.
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Credentials for S3 stores on loopback (moto and the fault server check no signature).
hardening_s3_credentials() {
  hook_env AWS_ACCESS_KEY_ID=AKIDHARDENINGTEST01 AWS_SECRET_ACCESS_KEY=hardening/secret/key AWS_REGION=us-east-1
}

# start_fault_server MODE: a small S3 look-alike on loopback that injects faults, for the tests
# that need a call to keep failing while files are in flight. Sets FAULT_PORT. MODE:
#   upload-fails    GET of an entry: 404 (nothing cached); every PUT: 503 (retried).
#   download-fails  GET of an entry: the JSON in $FAULT_ENTRY; HEAD of a blob: 200 with
#                   $FAULT_BLOB_SIZE bytes; GET of a blob: 503 (retried).
# Requests are logged to $BATS_TEST_TMPDIR/fault-server.log. Stopped by stop_fault_server.
start_fault_server() {
  FAULT_PORT=$(free_port)
  cat >"$BATS_TEST_TMPDIR/fault-server.py" <<'PY'
import http.server, os, sys

MODE = sys.argv[2]
ENTRY = os.environ.get("FAULT_ENTRY", "").encode()
BLOB_SIZE = os.environ.get("FAULT_BLOB_SIZE", "0")
UNAVAILABLE = b"<?xml version='1.0'?><Error><Code>ServiceUnavailable</Code><Message>injected fault</Message></Error>"
MISSING = b"<?xml version='1.0'?><Error><Code>NoSuchKey</Code><Message>no such key</Message></Error>"

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        if not any(name.lower() == "content-length" for name, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def drain(self):
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:
            chunk = self.rfile.read(min(length, 1 << 20))
            if not chunk:
                break
            length -= len(chunk)

    def do_GET(self):
        if "/entries/" in self.path:
            if MODE == "download-fails":
                self.answer(200, ENTRY, [("Content-Type", "application/json")])
            else:
                self.answer(404, MISSING, [("Content-Type", "application/xml")])
        else:
            self.answer(503, UNAVAILABLE, [("Content-Type", "application/xml")])

    def do_HEAD(self):
        if MODE == "download-fails" and "/blobs/" in self.path:
            self.answer(200, headers=[("Content-Length", BLOB_SIZE), ("Content-Type", "application/octet-stream")])
        else:
            self.answer(404, headers=[("Content-Length", "0")])

    def do_PUT(self):
        self.drain()
        self.answer(503, UNAVAILABLE, [("Content-Type", "application/xml")])

    do_POST = do_PUT

    def log_message(self, format, *args):
        sys.stderr.write("%s %s\n" % (self.command, self.path))

http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
PY
  python3 "$BATS_TEST_TMPDIR/fault-server.py" "$FAULT_PORT" "$1" 2>"$BATS_TEST_TMPDIR/fault-server.log" 3>&- &
  FAULT_PID=$!
  local _
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$FAULT_PORT") 2>/dev/null; then
      return 0
    fi
    kill -0 "$FAULT_PID" 2>/dev/null || fail "the fault server did not start"
    sleep 0.02
  done
  fail "the fault server did not answer on port $FAULT_PORT within 6 s"
}

stop_fault_server() {
  if [[ -n ${FAULT_PID:-} ]]; then
    kill "$FAULT_PID" 2>/dev/null || true
    wait "$FAULT_PID" 2>/dev/null || true
    FAULT_PID=
  fi
}

# start_moto: one moto_server (a real S3 on loopback) for a whole bats file, from setup_file.
# Sets MOTO_PORT (exported, so tests see it). Tests/support/moto-server.sh stops the server when
# its stdin closes; that stdin is a pipe from a `sleep` that stop_moto ends.
start_moto() {
  command -v moto_server >/dev/null ||
    fail "moto_server is not on PATH: the S3 hardening tests need it (scripts/install-deps installs it)"
  MOTO_PORT=$(free_port)
  export MOTO_PORT
  local state=$BATS_FILE_TMPDIR/moto _
  mkdir -p "$state"
  {
    sleep 3600 &
    printf '%s\n' "$!" >"$state/holder.pid"
    wait
  } 3>&- | "$HOOK_REPO_DIR/Tests/support/moto-server.sh" "$MOTO_PORT" >"$state/out" 2>&1 3>&- &
  printf '%s\n' "$!" >"$state/script.pid"
  for _ in $(seq 1 600); do
    if grep -qx ready "$state/out" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  stop_moto
  fail "moto_server did not start: $(cat "$state/out")"
}

stop_moto() {
  local state=$BATS_FILE_TMPDIR/moto _
  [[ -f $state/holder.pid ]] && kill "$(cat "$state/holder.pid")" 2>/dev/null
  # The script kills moto and waits for it once its stdin closes; give it up to 10 s.
  for _ in $(seq 1 200); do
    kill -0 "$(cat "$state/script.pid" 2>/dev/null)" 2>/dev/null || return 0
    sleep 0.05
  done
}

# s3_bucket NAME: creates an empty bucket on the moto server and prints the store URL for it.
s3_bucket() {
  curl -fsS -X PUT "http://127.0.0.1:$MOTO_PORT/$1" >/dev/null || fail "could not create the bucket $1 on moto"
  printf 's3://%s/cache?endpoint=http://127.0.0.1:%s&region=us-east-1\n' "$1" "$MOTO_PORT"
}

# use_checkout DIR: makes DIR the job's checkout for the next start_hook / run_hook.
use_checkout() {
  mkdir -p "$1"
  # shellcheck disable=SC2034 # read by hook_prepare_run
  HOOK_CHECKOUT=$1
  hook_env "BUILDKITE_BUILD_CHECKOUT_PATH=$1"
}

# --- Many jobs at once --------------------------------------------------------------------------
# The bodies of the parallel tests, shared by the file store (hardening-parallel.bats) and S3
# (hardening-parallel-s3.bats). Each job has a checkout of its own; the store is the job's
# BUILDKITE_CACHE_STORE_URL. `count_entries` prints the number of entries in the store.

PARALLEL_JOBS=${HARDENING_PARALLEL_JOBS:-6}

# gate_batch COUNT: the binaries of the jobs started next wait at a gate until COUNT of them have
# arrived, so that many jobs really run at once (started one after the other, the first would be
# done before the last began). Points SWIFT_CACHE_BINARY_DIR at wrappers that wait (at most 30 s),
# then exec the real binaries under the same pid. Call open_gate after starting the batch.
gate_batch() {
  GATE_DIR=$(mktemp -d "$BATS_TEST_TMPDIR/gate.XXXXXX")
  GATE_COUNT=$1
  local name
  mkdir -p "$GATE_DIR/bin" "$GATE_DIR/arrived"
  for name in cache-restore cache-save; do
    cat >"$GATE_DIR/bin/$name" <<GATE
#!/bin/bash
: >"$GATE_DIR/arrived/\$\$"
for _ in \$(seq 1 3000); do
  [[ -e "$GATE_DIR/open" ]] && break
  sleep 0.01
done
exec "$HARDENING_BIN/$name" "\$@"
GATE
    chmod +x "$GATE_DIR/bin/$name"
  done
  hook_env "SWIFT_CACHE_BINARY_DIR=$GATE_DIR/bin"
}

# open_gate [DIR COUNT]: waits (at most 30 s) until COUNT binaries wait at the gate DIR (default:
# the last batch's), then lets them all go at once.
open_gate() {
  local dir=${1:-$GATE_DIR} count=${2:-$GATE_COUNT} _
  for _ in $(seq 1 3000); do
    (($(find "$dir/arrived" -type f | wc -l) >= count)) && break
    sleep 0.01
  done
  (($(find "$dir/arrived" -type f | wc -l) >= count)) || fail "only $(find "$dir/arrived" -type f | wc -l) of $count jobs reached the gate"
  : >"$dir/open"
}

# start_job HOOK CHECKOUT KEY: starts one job's hook in the background; prints nothing, appends
# its run directory to the array JOB_RUNS.
start_job() {
  use_checkout "$2"
  hook_env "HARDENING_KEY=$3"
  start_hook "$1"
  JOB_RUNS+=("$HOOK_RUN_DIR")
}

# Six saves of one key at once, and six restores of it at once while they commit; then six
# restores of it at once. Every
# restore gets one whole tree that one of the saves saved (or, before any save committed, a miss
# that leaves its old tree), and afterwards all of them get the same one. Leaves its numbers in
# the array PARALLEL_NUMBERS.
# shellcheck disable=SC2154 # $output is bats' (set by wait_hook)
parallel_same_key() {
  local j run digest hits=0 misses=0 saved=0 already=0
  local -A source_of=() got=()
  local -a old=()
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    make_tree "$BATS_TEST_TMPDIR/src$j/deps" "job $j" 1 100
    source_of[$(tree_digest "$BATS_TEST_TMPDIR/src$j/deps")]=$j
    make_tree "$BATS_TEST_TMPDIR/dst$j/deps" "old $j" 0 20
    old[j]=$(tree_digest "$BATS_TEST_TMPDIR/dst$j/deps")
  done
  ((${#source_of[@]} == PARALLEL_JOBS)) || fail "the jobs' trees are not distinguishable"

  # The saves go at once; the restores go at once as soon as the first entry is visible, while
  # the other saves are still writing theirs.
  JOB_RUNS=()
  gate_batch "$PARALLEL_JOBS"
  local saves_gate=$GATE_DIR
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    start_job post-command "$BATS_TEST_TMPDIR/src$j" shared
  done
  gate_batch "$PARALLEL_JOBS"
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    start_job pre-command "$BATS_TEST_TMPDIR/dst$j" shared
  done
  open_gate "$saves_gate" "$PARALLEL_JOBS"
  local _
  for _ in $(seq 1 1000); do
    (($(count_entries) > 0)) && break
    sleep 0.01
  done
  open_gate
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    wait_hook "${JOB_RUNS[j - 1]}"
    assert_hook_status 0
    if [[ $output == *"deps: saved"* ]]; then
      saved=$((saved + 1))
    elif [[ $output == *"already saved by another job"* ]]; then
      # Archived while another job committed the key first: its entry is kept.
      already=$((already + 1))
    else
      assert_output --partial "is already cached"
      already=$((already + 1))
    fi
    wait_hook "${JOB_RUNS[PARALLEL_JOBS + j - 1]}"
    assert_hook_status 0
    refute_output --partial "⚠️"
    digest=$(tree_digest "$BATS_TEST_TMPDIR/dst$j/deps")
    case $(hook_exported SWIFT_CACHE_HIT_DEPS) in
      exact)
        [[ -n ${source_of[$digest]:-} ]] || fail "restore $j got a tree that no job saved (mixed or partial)"
        got[$digest]=1
        hits=$((hits + 1))
        ;;
      miss)
        assert_equal "$digest" "${old[j]}"
        misses=$((misses + 1))
        ;;
      *) fail "restore $j: unexpected outcome $(hook_exported SWIFT_CACHE_HIT_DEPS)" ;;
    esac
  done
  assert_equal "$(count_entries)" 1

  # Now the key is there: six restores at once all get the same whole tree.
  local first=
  JOB_RUNS=()
  gate_batch "$PARALLEL_JOBS"
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    start_job pre-command "$BATS_TEST_TMPDIR/after$j" shared
  done
  open_gate
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    wait_hook "${JOB_RUNS[j - 1]}"
    assert_hook_status 0
    assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
    digest=$(tree_digest "$BATS_TEST_TMPDIR/after$j/deps")
    [[ -n ${source_of[$digest]:-} ]] || fail "restore $j after the saves got a tree that no job saved"
    first=${first:-$digest}
    assert_equal "$digest" "$first"
  done
  # shellcheck disable=SC2034 # read by the test that called this
  PARALLEL_NUMBERS=("jobs=$((3 * PARALLEL_JOBS))" "saved=$saved" "already_cached=$already"
    "restores_during=$PARALLEL_JOBS" "hits_during=$hits" "misses_during=$misses" "trees_seen_during=${#got[@]}"
    "restores_after=$PARALLEL_JOBS" "identical_after=$PARALLEL_JOBS" mixed=0 entries=1)
}

# Six saves of six keys at once; then six restores of those keys while six more saves of six new
# keys run; then six restores of the new keys. Each restore gets its own job's tree, whole. Leaves
# its numbers in the array PARALLEL_NUMBERS.
parallel_distinct_keys() {
  local j digest
  local -a want=()
  for ((j = 1; j <= 2 * PARALLEL_JOBS; j++)); do
    make_tree "$BATS_TEST_TMPDIR/src$j/deps" "job $j" 1 100
    want[j]=$(tree_digest "$BATS_TEST_TMPDIR/src$j/deps")
  done

  JOB_RUNS=()
  gate_batch "$PARALLEL_JOBS"
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    start_job post-command "$BATS_TEST_TMPDIR/src$j" "key$j"
  done
  open_gate
  for run in "${JOB_RUNS[@]}"; do
    wait_hook "$run"
    assert_hook_status 0
    assert_output --partial "deps: saved"
  done

  JOB_RUNS=()
  gate_batch $((2 * PARALLEL_JOBS))
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    start_job pre-command "$BATS_TEST_TMPDIR/dst$j" "key$j"
    start_job post-command "$BATS_TEST_TMPDIR/src$((j + PARALLEL_JOBS))" "key$((j + PARALLEL_JOBS))"
  done
  open_gate
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    wait_hook "${JOB_RUNS[2 * j - 2]}"
    assert_hook_status 0
    assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
    assert_equal "$(tree_digest "$BATS_TEST_TMPDIR/dst$j/deps")" "${want[j]}"
    wait_hook "${JOB_RUNS[2 * j - 1]}"
    assert_hook_status 0
    assert_output --partial "deps: saved"
  done

  JOB_RUNS=()
  gate_batch "$PARALLEL_JOBS"
  for ((j = PARALLEL_JOBS + 1; j <= 2 * PARALLEL_JOBS; j++)); do
    start_job pre-command "$BATS_TEST_TMPDIR/dst$j" "key$j"
  done
  open_gate
  for ((j = PARALLEL_JOBS + 1; j <= 2 * PARALLEL_JOBS; j++)); do
    wait_hook "${JOB_RUNS[j - PARALLEL_JOBS - 1]}"
    assert_hook_status 0
    assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
    assert_equal "$(tree_digest "$BATS_TEST_TMPDIR/dst$j/deps")" "${want[j]}"
  done
  assert_equal "$(count_entries)" $((2 * PARALLEL_JOBS))
  # shellcheck disable=SC2034 # read by the test that called this
  PARALLEL_NUMBERS=("jobs=$((4 * PARALLEL_JOBS))" "saves=$((2 * PARALLEL_JOBS))" "restores=$((2 * PARALLEL_JOBS))"
    "own_tree_whole=$((2 * PARALLEL_JOBS))" mixed=0 "entries=$((2 * PARALLEL_JOBS))")
}

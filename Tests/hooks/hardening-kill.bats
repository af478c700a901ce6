#!/usr/bin/env bats
#
# kill -9 of the binary at many moments of a restore and of a save, through the real hooks on a
# file store. The kill moments are spread evenly over a measured uninterrupted run, plus kills
# timed on what the test sees happen (a staging tree appears, the target turns into the new tree,
# a blob or an entry appears). After every kill the promises are checked:
#   restore: the target is the old tree or the new one, whole; the next run removes the leftovers.
#   save: every entry a restore could find names a blob that is whole; the next save succeeds; the
#         leftovers in the store's tmp are removed by `cache-save prune`.
# Numbers go to docs/hardening.md through scripts/hardening-report.

setup() {
  load helpers/hardening
  hardening_setup
  KILL_RUNS=${HARDENING_KILL_RUNS:-20}
}

# sleep_ms N
sleep_ms() {
  sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"
}

# kill_when MODE RUN_DIR PID: waits (bounded, 20 s) until MODE is seen, then kills PID with SIGKILL.
#   staging   a staging tree exists beside the target
#   swapped   the target holds the new tree (its label reads "new")
#   leaving   the target is no longer plainly the old tree: its marker or its label is gone (with an
#             atomic swap, that is the instant the new tree takes its place)
#   temp      the store's tmp holds a file
#   blob      the store holds more blobs than $KILL_BLOBS_BEFORE
#   entry     the store holds the entry file $KILL_ENTRY
kill_when() {
  local mode=$1 pid=$3 label end=$((SECONDS + 20)) blobs
  while kill -0 "$pid" 2>/dev/null && ((SECONDS < end)); do
    case $mode in
      staging) compgen -G "$HOOK_CHECKOUT/.swift-cache-staging.*" >/dev/null && break ;;
      swapped)
        { read -r label <"$HOOK_CHECKOUT/deps/label"; } 2>/dev/null || label=
        [[ $label == new ]] && break
        ;;
      leaving)
        { read -r label <"$HOOK_CHECKOUT/deps/label"; } 2>/dev/null || label=
        [[ $label == old && -e $HOOK_CHECKOUT/deps/old-marker ]] || break
        ;;
      temp) compgen -G "$HARDENING_STORE/v1/tmp/*" >/dev/null && break ;;
      blob)
        blobs=("$HARDENING_STORE"/v1/blobs/sha256/*/*)
        ((${#blobs[@]} > KILL_BLOBS_BEFORE)) && break
        ;;
      entry) [[ -e $KILL_ENTRY ]] && break ;;
    esac
  done
  kill -9 "$pid" 2>/dev/null || true
}

@test "kill -9 at many moments of a restore: the target is always the old tree or the new one, whole" {
  # The new tree (saved) and the old tree (in place before every restore). The old one has many
  # small files, so a swap that deleted it before putting the new one in place would be seen.
  make_tree "$HOOK_CHECKOUT/deps" new 16 500
  new=$(tree_digest "$HOOK_CHECKOUT/deps")
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  make_tree "$BATS_TEST_TMPDIR/old" old 0 1000
  printf 'old\n' >"$BATS_TEST_TMPDIR/old/old-marker"
  old=$(tree_digest "$BATS_TEST_TMPDIR/old")

  reset_target() {
    rm -rf "$HOOK_CHECKOUT/deps"
    cp -a "$BATS_TEST_TMPDIR/old" "$HOOK_CHECKOUT/deps"
  }

  # Uninterrupted restores, to spread the kill moments over their length (the shorter of two, so
  # that a moment of load on the host does not push the kills past the end).
  length=
  for _ in 1 2; do
    reset_target
    start_hook pre-command
    run_dir=$HOOK_RUN_DIR
    pid=$(hook_binary_pid "$run_dir" cache-restore) || fail "cache-restore did not start"
    started=$(now_ms)
    wait_hook "$run_dir"
    took=$(($(now_ms) - started))
    length=$((length && length < took ? length : took))
    assert_hook_status 0
    assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
    assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$new"
  done

  killed=0 finished=0 landed_old=0 landed_new=0 torn=0 leftovers=0 torn_report=''
  kill_once() { # $1: milliseconds after the binary started, or a kill_when mode
    reset_target
    start_hook pre-command
    local run_dir=$HOOK_RUN_DIR pid digest
    pid=$(hook_binary_pid "$run_dir" cache-restore) || fail "cache-restore did not start: $(cat "$run_dir/output")"
    if [[ $1 =~ ^[0-9]+$ ]]; then
      sleep_ms "$1"
      kill -9 "$pid" 2>/dev/null || true
    else
      kill_when "$1" "$run_dir" "$pid"
    fi
    wait_hook "$run_dir"
    case $HOOK_STATUS in
      137) killed=$((killed + 1)) ;;
      0) finished=$((finished + 1)) ;;
      *) fail "the hook returned $HOOK_STATUS after a kill at $1: $output" ;;
    esac
    digest=$(tree_digest "$HOOK_CHECKOUT/deps")
    if [[ $digest == "$old" ]]; then
      landed_old=$((landed_old + 1))
    elif [[ $digest == "$new" ]]; then
      landed_new=$((landed_new + 1))
    else
      torn=$((torn + 1))
      torn_report+="kill at $1: target is neither tree: $(find "$HOOK_CHECKOUT/deps" 2>/dev/null | wc -l) paths"$'\n'
    fi
    leftovers=$((leftovers + $(staging_leftovers "$HOOK_CHECKOUT")))
  }

  for ((i = 0; i < KILL_RUNS; i++)); do
    kill_once $((i * length / KILL_RUNS))
  done
  for mode in staging swapped leaving; do
    kill_once "$mode"
  done
  left_before_cleanup=$(staging_leftovers "$HOOK_CHECKOUT")

  # The next uninterrupted run restores the new tree and removes every leftover of the killed ones.
  reset_target
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$new"
  assert_equal "$(staging_leftovers "$HOOK_CHECKOUT")" 0

  hardening_record restore-kill runs=$((KILL_RUNS + 3)) killed="$killed" finished="$finished" old="$landed_old" \
    new="$landed_new" torn="$torn" leftovers_seen="$leftovers" left_before_cleanup="$left_before_cleanup" left_after=0 \
    restore_ms="$length"
  [[ $torn -eq 0 ]] || fail "$torn kills left a target that is neither the old tree nor the new one:
$torn_report"
  # The kills must have hit the restore while it ran, on both sides of the swap.
  ((killed >= KILL_RUNS / 2)) || fail "only $killed of $((KILL_RUNS + 3)) kills hit a running restore"
  ((landed_old > 0)) || fail "no kill landed before the swap"
}

@test "kill -9 at many moments of a save: no entry ever names a partial blob, and the next save succeeds" {
  make_tree "$HOOK_CHECKOUT/deps" save 16 1000

  # Uninterrupted saves, to spread the kill moments over their length (the shorter of two).
  length=
  for calibration in 1 2; do
    hook_env HARDENING_KEY=calibration$calibration
    start_hook post-command
    run_dir=$HOOK_RUN_DIR
    pid=$(hook_binary_pid "$run_dir" cache-save) || fail "cache-save did not start"
    started=$(now_ms)
    wait_hook "$run_dir"
    took=$(($(now_ms) - started))
    length=$((length && length < took ? length : took))
    assert_hook_status 0
    assert_output --partial "deps: saved"
  done

  killed=0 finished=0 committed=0 uncommitted_key='' broken=0 broken_report=''
  kill_once() { # $1: run number; $2: milliseconds after the binary started, or a kill_when mode
    # Each run saves a tree of its own under a key of its own, so each does the whole work.
    printf 'run %s\n' "$1" >"$HOOK_CHECKOUT/deps/label"
    hook_env "HARDENING_KEY=run$1"
    KILL_ENTRY=$(find "$HARDENING_STORE/v1/entries" -name 'deps-calibration1.json' -printf '%h')/deps-run$1.json
    KILL_BLOBS_BEFORE=$(find "$HARDENING_STORE/v1/blobs" -type f | wc -l)
    start_hook post-command
    local run_dir=$HOOK_RUN_DIR pid check
    pid=$(hook_binary_pid "$run_dir" cache-save) || fail "cache-save did not start: $(cat "$run_dir/output")"
    if [[ $2 =~ ^[0-9]+$ ]]; then
      sleep_ms "$2"
      kill -9 "$pid" 2>/dev/null || true
    else
      kill_when "$2" "$run_dir" "$pid"
    fi
    wait_hook "$run_dir"
    case $HOOK_STATUS in
      137) killed=$((killed + 1)) ;;
      0) finished=$((finished + 1)) ;;
      *) fail "the hook returned $HOOK_STATUS after a kill at $2: $output" ;;
    esac
    if [[ -e $KILL_ENTRY ]]; then
      committed=$((committed + 1))
    else
      uncommitted_key=run$1
    fi
    check=$(check_file_store "$HARDENING_STORE")
    if [[ $check != *"broken=0" ]]; then
      broken=$((broken + 1))
      broken_report+="kill at $2: $check"$'\n'
    fi
  }

  run_number=0
  for ((i = 0; i < KILL_RUNS; i++)); do
    kill_once $((run_number++)) $((i * length / KILL_RUNS))
  done
  for mode in temp blob entry; do
    kill_once $((run_number++)) "$mode"
  done
  [[ $broken -eq 0 ]] || fail "after $broken kills an entry named a missing or partial blob:
$broken_report"

  # Whatever a restore can find restores whole (every entry's blob was checked above; four of them
  # go through a real restore, tree compared by its label).
  restored=0
  for entry in "$HARDENING_STORE"/v1/entries/*/*/*/deps-run*.json; do
    [[ -e $entry ]] || continue
    ((restored < 4)) || break
    key=$(jq -r .key "$entry")
    use_checkout "$BATS_TEST_TMPDIR/restore-$key"
    hook_env "HARDENING_KEY=${key#deps-}"
    run_hook pre-command
    assert_hook_status 0
    assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
    assert_equal "$(cat "$HOOK_CHECKOUT/deps/label")" "run ${key#deps-run}"
    restored=$((restored + 1))
  done
  assert_equal "$restored" $((committed < 4 ? committed : 4))

  # The next save of a key whose save was killed succeeds, despite the leftovers.
  use_checkout "$BATS_TEST_TMPDIR/job/checkout"
  temp_leftovers=$(find "$HARDENING_STORE/v1/tmp" -type f | wc -l)
  [[ -n $uncommitted_key ]] || fail "every killed save had committed: the kills came too late"
  printf 'run %s\n' "${uncommitted_key#run}" >"$HOOK_CHECKOUT/deps/label"
  hook_env "HARDENING_KEY=$uncommitted_key"
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  run check_file_store "$HARDENING_STORE"
  assert_output --partial "broken=0"

  # Nothing but prune removes the leftovers in tmp: once they are a day old, it does.
  assert_equal "$(find "$HARDENING_STORE/v1/tmp" -type f | wc -l)" "$temp_leftovers"
  entries_before=$(find "$HARDENING_STORE/v1/entries" -name '*.json' | wc -l)
  find "$HARDENING_STORE/v1/tmp" -type f -exec touch -d '2 days ago' {} +
  run "$HARDENING_BIN/cache-save" prune --store "file://$HARDENING_STORE" --max-age 3650d
  assert_success
  assert_output --partial "$temp_leftovers temporary files removed"
  assert_equal "$(find "$HARDENING_STORE/v1/tmp" -type f | wc -l)" 0
  assert_equal "$(find "$HARDENING_STORE/v1/entries" -name '*.json' | wc -l)" "$entries_before"

  hardening_record save-kill runs="$run_number" killed="$killed" finished="$finished" committed="$committed" \
    broken="$broken" restored_whole="$restored" tmp_leftovers="$temp_leftovers" pruned="$temp_leftovers" save_ms="$length"
  ((killed >= KILL_RUNS / 2)) || fail "only $killed of $run_number kills hit a running save"
}

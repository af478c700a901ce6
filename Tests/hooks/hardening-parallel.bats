#!/usr/bin/env bats
#
# Many jobs on one host at once, on the file store, through the real hooks: saves and restores of
# one key and of different keys, and restores of different keys into one shared path (a home
# directory cache such as ~/.npm that every job on the agent uses). Each job's tree can be told
# apart from the others, and every restore must get one whole saved tree: never a mix, never a
# partial one. The S3 variants are in hardening-parallel-s3.bats.

setup() {
  load helpers/hardening
  hardening_setup
}

count_entries() {
  find "$HARDENING_STORE/v1/entries" -name '*.json' | wc -l
}

@test "file store: six saves and six restores of one key at once; every restore gets one whole saved tree" {
  parallel_same_key
  assert_equal "$(find "$HARDENING_STORE/v1/tmp" -type f | wc -l)" 0
  run check_file_store "$HARDENING_STORE"
  assert_output "entries=1 broken=0"
  hardening_record parallel-file-same-key "${PARALLEL_NUMBERS[@]}"
}

@test "file store: saves and restores of twelve keys, six at once; each restore gets its own tree whole" {
  parallel_distinct_keys
  assert_equal "$(find "$HARDENING_STORE/v1/tmp" -type f | wc -l)" 0
  run check_file_store "$HARDENING_STORE"
  assert_output "entries=$((2 * PARALLEL_JOBS)) broken=0"
  hardening_record parallel-file-distinct-keys "${PARALLEL_NUMBERS[@]}"
}

@test "six restores of six keys into one shared path at once: the path ends as one whole tree, no leftovers" {
  hardening_config '"paths":["~/.shared"]'
  local -A source_of=()
  # Six trees saved from six homes, under six keys.
  JOB_RUNS=()
  gate_batch "$PARALLEL_JOBS"
  for ((j = 1; j <= PARALLEL_JOBS; j++)); do
    make_tree "$BATS_TEST_TMPDIR/home$j/.shared" "job $j" 2 300
    source_of[$(tree_digest "$BATS_TEST_TMPDIR/home$j/.shared")]=$j
    hook_env "HOME=$BATS_TEST_TMPDIR/home$j"
    start_job post-command "$BATS_TEST_TMPDIR/src$j" "key$j"
  done
  open_gate
  for run in "${JOB_RUNS[@]}"; do
    wait_hook "$run"
    assert_output --partial "deps: saved"
  done

  # One agent home that every job restores into, twice over.
  shared_home=$BATS_TEST_TMPDIR/shared-home
  hook_env "HOME=$shared_home"
  make_tree "$shared_home/.shared" old 0 50
  rounds=2 hits=0 winners=
  for ((round = 1; round <= rounds; round++)); do
    JOB_RUNS=()
    gate_batch "$PARALLEL_JOBS"
    for ((j = 1; j <= PARALLEL_JOBS; j++)); do
      start_job pre-command "$BATS_TEST_TMPDIR/round$round-job$j" "key$j"
    done
    open_gate
    for run in "${JOB_RUNS[@]}"; do
      wait_hook "$run"
      assert_hook_status 0
      assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
      hits=$((hits + 1))
    done
    digest=$(tree_digest "$shared_home/.shared")
    [[ -n ${source_of[$digest]:-} ]] || fail "round $round: the shared path holds a tree that no job saved (mixed or partial)"
    winners+=" ${source_of[$digest]}"
    assert_equal "$(staging_leftovers "$shared_home")" 0
  done
  hardening_record parallel-shared-path jobs=$((rounds * PARALLEL_JOBS)) hits=$hits whole_at_end=$rounds mixed=0 leftovers=0 "last_writer=${winners# }"
}

#!/usr/bin/env bats
#
# Many jobs on one host at once on an S3 store (moto_server on loopback, one for the file), through
# the real hooks: the bodies of hardening-parallel.bats with `store: s3://…`. Every restore gets
# one whole saved tree; an entry is written once, whole (If-None-Match: *).

load helpers/moto_file

setup() {
  load helpers/hardening
  hardening_setup
  hardening_s3_credentials
  BUCKET=hardening-$BATS_SUITE_TEST_NUMBER-$RANDOM
  hook_env "BUILDKITE_CACHE_STORE_URL=$(s3_bucket "$BUCKET")"
}

count_entries() {
  curl -fsS "http://127.0.0.1:$MOTO_PORT/$BUCKET?list-type=2&prefix=cache/v1/entries/" | grep -o '<Key>[^<]*\.json</Key>' | wc -l
}

@test "S3: six saves and six restores of one key at once; every restore gets one whole saved tree" {
  parallel_same_key
  # No download or archive left in TMPDIR. (Each pre-command leaves its state file for the
  # post-command of its job, which these restore-only jobs do not run.)
  [[ -z $(find "${HOOK_ENV[TMPDIR]}" -name 'swift-cache-*' ! -name 'swift-cache-exports.*' ! -name 'swift-cache-state.*') ]]
  hardening_record parallel-s3-same-key "${PARALLEL_NUMBERS[@]}"
}

@test "S3: saves and restores of twelve keys, six at once; each restore gets its own tree whole" {
  parallel_distinct_keys
  # No download or archive left in TMPDIR. (Each pre-command leaves its state file for the
  # post-command of its job, which these restore-only jobs do not run.)
  [[ -z $(find "${HOOK_ENV[TMPDIR]}" -name 'swift-cache-*' ! -name 'swift-cache-exports.*' ! -name 'swift-cache-state.*') ]]
  hardening_record parallel-s3-distinct-keys "${PARALLEL_NUMBERS[@]}"
}

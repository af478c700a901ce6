#!/usr/bin/env bats
#
# The README's two ways to prune a file store, run as written: the cron line and the agent
# post-command line must find cache-save where the documented install puts it. The install goes
# to a temporary prefix, so the README's default prefix is replaced by it in the lines; nothing
# else in them changes. scripts/test passes the binaries in SWIFT_CACHE_TEST_BINARY_DIR.

bats_require_minimum_version 1.5.0

setup() {
  load helpers/common
  PD_BIN=$(real_binary_dir) || return
  PD_PREFIX=$BATS_TEST_TMPDIR/prefix
  PD_STORE=$BATS_TEST_TMPDIR/store
  run "$HOOK_REPO_DIR/scripts/install-agent-hooks" --print --binary-dir "$PD_BIN" --prefix "$PD_PREFIX"
  assert_success
}

# The line of the README's fenced sh block that contains $1, with the default prefix replaced.
readme_line() {
  local line
  line=$(awk -v want="$1" '/^```sh$/ { inside = 1; next } /^```$/ { inside = 0 } inside && index($0, want) { print; exit }' \
    "$HOOK_REPO_DIR/README.md")
  [[ -n $line ]] || fail "README has no sh line containing '$1'"
  printf '%s\n' "${line//\/usr\/local\/lib\/swift-cache/$PD_PREFIX}"
}

# An entry created 30 days ago, its blob, and a day-old temporary file.
make_old_entry() {
  local digest=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
  mkdir -p "$PD_STORE/v1/entries/acme/web/main" "$PD_STORE/v1/blobs/sha256/aa" "$PD_STORE/v1/tmp"
  printf 'blob' >"$PD_STORE/v1/blobs/sha256/aa/$digest"
  touch -d '2 days ago' "$PD_STORE/v1/blobs/sha256/aa/$digest"
  printf '{"version":1,"key":"old","digest":"%s","size":4,"created":"%s","platform":"linux/amd64","members":["checkout/x"],"branch":"main","format":"tar+zstd"}\n' \
    "$digest" "$(date -u -d '30 days ago' +%Y-%m-%dT%H:%M:%SZ)" >"$PD_STORE/v1/entries/acme/web/main/old.json"
}

@test "README's cron line prunes, with cache-save where the install put it" {
  make_old_entry
  line=$(readme_line "cache-save prune --store")
  # A cron line: five time fields and the user, then the command.
  read -r _ _ _ _ _ user command <<<"$line"
  assert_equal "$user" buildkite-agent
  command=${command//file:\/\/\/var\/cache\/buildkite/file:\/\/$PD_STORE}
  run bash -c "$command"
  assert_success
  assert_output --partial "1 entry and 1 blob removed"
  assert_file_not_exist "$PD_STORE/v1/entries/acme/web/main/old.json"
}

@test "README's per-job post-command line prunes the default store" {
  make_old_entry
  line=$(readme_line "cache-save prune --max-age 14d --max-size 50GiB >/dev/null || true")
  run env -i PATH=/usr/bin:/bin HOME="$BATS_TEST_TMPDIR" BUILDKITE_CACHE_STORE_URL="file://$PD_STORE" bash -c "$line"
  assert_success
  refute_output --partial "not found"
  assert_file_not_exist "$PD_STORE/v1/entries/acme/web/main/old.json"
}

@test "prune of a store that does not exist is an error, not '0 entries removed'" {
  run "$PD_PREFIX/bin/cache-save" prune --store file:///does-not-exist --max-age 14d
  assert_equal "$status" 2
  assert_output --partial "does not exist"
  refute_output --partial "removed"
}

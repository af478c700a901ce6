#!/usr/bin/env bats
#
# Restores whose writes fail, through the real hooks: a file size limit (EFBIG), a full file
# system (ENOSPC), a read-only one (EROFS), a target whose parent is a file (ENOTDIR). The
# promise: a clear error, which is a miss with a warning (the job goes on) or, with
# fail-on-error: true, a failed hook in an error section; the old target untouched; no staging
# tree left behind; and the entry kept (the blob was fine, the disk was not).
#
# The tests run as root (as CI does), so chmod cannot make anything read-only. Instead:
#   - `ulimit -f` with SIGXFSZ ignored makes writes past the limit fail with EFBIG: works for any
#     user, anywhere; always runs.
#   - a tmpfs of a few MiB (ENOSPC) and a read-only bind mount (EROFS) need mount(2), which root
#     has on our machines and CI; where it is not permitted these two skip and say so.
#   - a target under a regular file fails with ENOTDIR anywhere.

setup() {
  load helpers/hardening
  hardening_setup
  MOUNTS=()
  # The saved tree holds a 4 MiB file, more than any limit below lets a restore write.
  make_tree "$HOOK_CHECKOUT/vol/deps" new 4 50
  NEW=$(tree_digest "$HOOK_CHECKOUT/vol/deps")
  hardening_config '"paths":["vol/deps"]'
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  rm -rf "$HOOK_CHECKOUT/vol"
  ENTRY=$(find "$HARDENING_STORE/v1/entries" -name 'deps-one.json')
  [[ -n $ENTRY ]] || fail "the save left no entry"
}

teardown() {
  local mount
  for mount in "${MOUNTS[@]}"; do
    umount -l "$mount" 2>/dev/null || true
  done
}

# The old tree a restore must not harm, in $HOOK_CHECKOUT/vol/deps.
make_old_tree() {
  make_tree "$HOOK_CHECKOUT/vol/deps" old 0 30
  OLD=$(tree_digest "$HOOK_CHECKOUT/vol/deps")
}

# mount_or_skip ARGS...: runs mount ARGS, or skips the test when mounting is not permitted here.
mount_or_skip() {
  local target=${*: -1}
  if ! mount "$@" 2>"$BATS_TEST_TMPDIR/mount.err"; then
    skip "mount is not permitted here ($(cat "$BATS_TEST_TMPDIR/mount.err")); the ulimit test covers failed writes"
  fi
  MOUNTS=("$target" "${MOUNTS[@]}")
}

# run_limited_hook HOOK BLOCKS: runs the hook with a file size limit of BLOCKS KiB per file and
# SIGXFSZ ignored (inherited by the binary), so a write past the limit fails with EFBIG.
run_limited_hook() {
  hook_prepare_run "$1"
  # shellcheck disable=SC2016 # expanded by the inner bash
  run bash -c 'ulimit -f "$1" && trap "" XFSZ && shift && exec "$@"' limited "$2" "${HOOK_COMMAND[@]}"
  hook_collect_status
}

# The checks every failed restore must pass: old tree untouched, no staging tree, entry kept, and
# a later restore where the disk is fine works.
assert_failed_restore_harmless() {
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/vol/deps")" "$OLD"
  assert_equal "$(staging_leftovers "$HOOK_CHECKOUT/vol")" 0
  assert_file_exist "$ENTRY"
}

assert_restores_elsewhere() {
  use_checkout "$BATS_TEST_TMPDIR/elsewhere"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/vol/deps")" "$NEW"
}

@test "a file size limit (EFBIG) during a restore is a miss with a warning; the old tree is untouched" {
  make_old_tree
  run_limited_hook pre-command 1024
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  assert_output --partial "could not extract 'deps-one'"
  assert_output --partial "blob.bin"
  assert_output --partial "The job goes on"
  assert_failed_restore_harmless
  assert_restores_elsewhere
  hardening_record disk-efbig-restore fault=EFBIG outcome=miss exit=0 old_intact=1 staging_left=0 entry_kept=1
}

@test "a file size limit (EFBIG) with fail-on-error: true fails the hook in an error section" {
  hardening_config '"paths":["vol/deps"]' '"fail-on-error":true'
  make_old_tree
  run_limited_hook pre-command 1024
  assert_hook_status 1
  assert_output --partial "+++ "
  assert_output --partial "could not extract 'deps-one'"
  assert_failed_restore_harmless
  hardening_record disk-efbig-restore-fail-on-error fault=EFBIG outcome=failed exit=1 old_intact=1 staging_left=0 entry_kept=1
}

@test "a full file system (ENOSPC) during a restore is a miss; the old tree is untouched and the space freed" {
  mkdir -p "$HOOK_CHECKOUT/vol"
  mount_or_skip -t tmpfs -o size=2m tmpfs "$HOOK_CHECKOUT/vol"
  make_old_tree
  used_before=$(df --output=used -B1 "$HOOK_CHECKOUT/vol" | tail -n 1)
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  assert_output --partial "No space left on device"
  assert_failed_restore_harmless
  # The staging tree that filled the disk is gone again.
  assert_equal "$(df --output=used -B1 "$HOOK_CHECKOUT/vol" | tail -n 1)" "$used_before"

  hardening_config '"paths":["vol/deps"]' '"fail-on-error":true'
  run_hook pre-command
  assert_hook_status 1
  assert_output --partial "+++ "
  assert_failed_restore_harmless
  assert_restores_elsewhere
  hardening_record disk-enospc-restore fault=ENOSPC outcome=miss/failed exit=0/1 old_intact=1 staging_left=0 entry_kept=1
}

@test "a read-only file system (EROFS) under the target is a miss; the old tree is untouched" {
  make_old_tree
  mount_or_skip --bind "$HOOK_CHECKOUT/vol" "$HOOK_CHECKOUT/vol"
  mount -o remount,bind,ro "$HOOK_CHECKOUT/vol"
  run touch "$HOOK_CHECKOUT/vol/probe"
  assert_failure
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  assert_output --partial "could not extract 'deps-one'"
  assert_output --partial "Can't create"
  assert_failed_restore_harmless
  assert_restores_elsewhere
  hardening_record disk-erofs-restore fault=EROFS outcome=miss exit=0 old_intact=1 staging_left=0 entry_kept=1
}

@test "a target whose parent is a file (ENOTDIR) is a miss; the file is untouched" {
  printf 'a file where a directory was\n' >"$HOOK_CHECKOUT/vol"
  before=$(sha256sum "$HOOK_CHECKOUT/vol")
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  assert_output --partial "vol"
  assert_equal "$(sha256sum "$HOOK_CHECKOUT/vol")" "$before"
  assert_equal "$(staging_leftovers "$HOOK_CHECKOUT")" 0
  assert_file_exist "$ENTRY"
  assert_restores_elsewhere
  hardening_record disk-enotdir-restore fault=ENOTDIR outcome=miss exit=0 old_intact=1 staging_left=0 entry_kept=1
}

@test "a file size limit (EFBIG) during a save fails it clearly and leaves no entry and no temp file" {
  make_tree "$HOOK_CHECKOUT/vol/deps" other 4 10
  hook_env HARDENING_KEY=two
  run_limited_hook post-command 1024
  assert_hook_status 0
  assert_output --partial "File too large"
  [[ -z $(find "$HARDENING_STORE/v1/entries" -name 'deps-two.json') ]]
  assert_equal "$(find "$HARDENING_STORE/v1/tmp" -type f | wc -l)" 0
  hardening_record disk-efbig-save fault=EFBIG outcome=failed exit=0 entry_written=0 temp_left=0
}

@test "a full store (ENOSPC) during a save fails it with the cause, and leaves no entry and no temp file" {
  make_tree "$HOOK_CHECKOUT/vol/deps" other 4 10
  small_store=$BATS_TEST_TMPDIR/small-store
  mkdir -p "$small_store"
  mount_or_skip -t tmpfs -o size=2m tmpfs "$small_store"
  hook_env "BUILDKITE_CACHE_STORE_URL=file://$small_store"
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: not saved"
  assert_output --partial "No space left on device"
  [[ -z $(find "$small_store/v1/entries" -name '*.json' 2>/dev/null) ]]
  assert_equal "$(find "$small_store/v1" -type f | wc -l)" 0
  hardening_record disk-enospc-save fault=ENOSPC outcome=failed exit=0 entry_written=0 temp_left=0
}

@test "a restore that fails on the disk says why: File too large, Read-only file system" {
  make_old_tree
  run_limited_hook pre-command 1024
  assert_output --partial "File too large"
  mount_or_skip --bind "$HOOK_CHECKOUT/vol" "$HOOK_CHECKOUT/vol"
  mount -o remount,bind,ro "$HOOK_CHECKOUT/vol"
  run_hook pre-command
  assert_output --partial "Read-only file system"
}

#!/usr/bin/env bats
#
# With no binary given and none on PATH, the hooks build cache-restore and
# cache-save once per agent host from the plugin's sources (here a fake
# `swift` and a stand-in package), under a lock, outside both checkouts.

setup() {
  load helpers/common
  setup_hook_test
  stub_swift
  stub_swift_product cache-restore
  stub_swift_product cache-save
}

# Prints the one build directory under the build root $1.
only_build_dir() {
  local -a dirs
  mapfile -t dirs < <(find "$1" -mindepth 1 -maxdepth 1 -type d)
  assert_equal "${#dirs[@]}" 1
  printf '%s\n' "${dirs[0]}"
}

@test "first use builds with swift build -c release in a build directory, then runs the result" {
  stub_exports cache-restore 'SWIFT_CACHE_HIT_RESTORED=node_modules'

  run_hook pre-command

  assert_hook_status 0
  assert_line '~~~ :swift: Building swift-cache (first use on this agent)'
  local build_dir
  build_dir=$(only_build_dir "$(default_build_root)")
  [[ ${build_dir##*/} =~ ^[0-9a-f]{64}$ ]] || fail "not a sha256 fingerprint: ${build_dir##*/}"
  assert_equal "$(stub_call_count swift)" 1
  assert_equal "$(stub_args swift)" "$(printf '%s\n' build -c release --scratch-path "$build_dir/scratch")"
  assert_equal "$(stub_cwd swift)" "$build_dir/src"
  assert_equal "$(stub_path cache-restore)" "$build_dir/bin/cache-restore"
  assert_file_executable "$build_dir/bin/cache-save"
  assert_hook_exported SWIFT_CACHE_HIT_RESTORED node_modules
  assert_shell_state_unchanged
}

@test "the build sees Package.swift, Sources/ and the Tests/ directories of the plugin" {
  run_hook pre-command

  assert_hook_status 0
  local src
  src=$(stub_cwd swift)
  assert_files_equal "$src/Package.swift" "$HOOK_PLUGIN_DIR/Package.swift"
  assert_files_equal "$src/Sources/cache-restore/main.swift" "$HOOK_PLUGIN_DIR/Sources/cache-restore/main.swift"
  assert_dir_exist "$src/Tests/FakeCoreTests"
  assert_file_not_exist "$src/Tests/FakeCoreTests/FakeTests.swift"
  assert_file_not_exist "$src/hooks"
}

@test "later runs, of either hook, reuse the build and print nothing extra" {
  run_hook pre-command
  assert_hook_status 0

  stub_output cache-restore 'from cache-restore'
  stub_output cache-save 'from cache-save'
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$output" 'from cache-restore'

  run_hook post-command
  assert_hook_status 0
  assert_equal "$output" 'from cache-save'

  assert_equal "$(stub_call_count swift)" 1
  assert_equal "$(stub_call_count cache-restore)" 2
  assert_equal "$(stub_path cache-save)" "$(only_build_dir "$(default_build_root)")/bin/cache-save"
}

@test "a change to the plugin sources builds anew, in a different directory" {
  run_hook pre-command
  assert_hook_status 0
  local first
  first=$(stub_cwd swift)

  printf 'print("restore, improved")\n' >"$HOOK_PLUGIN_DIR/Sources/cache-restore/main.swift"
  run_hook pre-command
  assert_hook_status 0

  assert_equal "$(stub_call_count swift)" 2
  refute [ "$(stub_cwd swift)" = "$first" ]
}

@test "Package.resolved is part of the fingerprint and is copied for the build" {
  printf '{"pins": []}\n' >"$HOOK_PLUGIN_DIR/Package.resolved"
  run_hook pre-command
  assert_hook_status 0
  assert_files_equal "$(stub_cwd swift)/Package.resolved" "$HOOK_PLUGIN_DIR/Package.resolved"

  printf '{"pins": [], "version": 3}\n' >"$HOOK_PLUGIN_DIR/Package.resolved"
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_call_count swift)" 2
}

@test "nothing is written under the plugin checkout or the job checkout" {
  printf 'job file\n' >"$HOOK_CHECKOUT/README"
  local plugin_before checkout_before
  plugin_before=$(tree_listing "$HOOK_PLUGIN_DIR")
  checkout_before=$(tree_listing "$HOOK_CHECKOUT")

  run_hook pre-command
  assert_hook_status 0
  run_hook post-command
  assert_hook_status 0

  assert_equal "$(tree_listing "$HOOK_PLUGIN_DIR")" "$plugin_before"
  assert_equal "$(tree_listing "$HOOK_CHECKOUT")" "$checkout_before"
}

@test "SWIFT_CACHE_BUILD_ROOT, then XDG_CACHE_HOME, choose where builds live" {
  hook_env XDG_CACHE_HOME="$BATS_TEST_TMPDIR/xdg"
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_cwd swift)" "$(only_build_dir "$BATS_TEST_TMPDIR/xdg/swift-cache/builds")/src"

  hook_env SWIFT_CACHE_BUILD_ROOT="$BATS_TEST_TMPDIR/build root"
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_cwd swift)" "$(only_build_dir "$BATS_TEST_TMPDIR/build root")/src"
  assert_file_not_exist "$(default_build_root)"
}

@test "two jobs starting at once build once: the second waits for the first" {
  stub_swift_hold
  stub_exports cache-restore 'SWIFT_CACHE_HIT_RESTORED=yes'

  local first second
  start_hook pre-command
  first=$HOOK_RUN_DIR
  start_hook pre-command
  second=$HOOK_RUN_DIR
  stub_swift_wait_until_started
  # One job is building (held); wait until the other is blocked on the lock.
  local waiting=
  for _ in $(seq 1200); do
    if grep -q 'Waiting for another job' "$first/output" "$second/output"; then
      waiting=yes
      break
    fi
    sleep 0.05
  done
  stub_swift_release
  [[ -n $waiting ]] || fail "neither job waited for the other's build"

  wait_hook "$first"
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_RESTORED yes
  assert_shell_state_unchanged
  wait_hook "$second"
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_RESTORED yes
  assert_shell_state_unchanged

  assert_equal "$(stub_call_count swift)" 1
  assert_equal "$(stub_call_count cache-restore)" 2
  assert_equal "$(grep -l 'Building swift-cache' "$first/output" "$second/output" | wc -l)" 1
}

@test "a failed build is an error with the end of its log, and is retried by the next job" {
  stub_swift_fail 'Compiling CacheCore Restore.swift' "error: cannot find 'restore' in scope"

  run_hook pre-command

  assert_hook_status 1
  assert_line '~~~ :swift: Building swift-cache (first use on this agent)'
  assert_line '^^^ +++'
  assert_line "swift-cache: error: building swift-cache failed: 'swift build -c release' exited with status 1."
  assert_line "error: cannot find 'restore' in scope"
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_file_not_exist "$(only_build_dir "$(default_build_root)")/bin/cache-restore"
  assert_shell_state_unchanged

  rm "$(stub_state swift)/fail"
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_call_count swift)" 2
  assert_equal "$(stub_call_count cache-restore)" 1
}

@test "a build that leaves no binaries is an error" {
  rm "$(stub_state swift)/products/cache-save"

  run_hook post-command

  assert_hook_status 1
  assert_line --partial "swift build reported success but produced no executable at"
  assert_equal "$(stub_call_count cache-save)" 0
}

@test "without swift, a binary or a binary-dir, the hooks fail saying what to install" {
  rm "$HOOK_STUB_BIN/swift"

  run_hook pre-command

  assert_hook_status 1
  assert_line --partial "cannot build swift-cache: there is no swift on PATH"
  assert_shell_state_unchanged
}

@test "a plugin checkout without sources cannot build, and says so" {
  rm "$HOOK_PLUGIN_DIR/Package.swift"

  run_hook post-command

  assert_hook_status 1
  assert_line --partial "has no Package.swift and Sources/ to build them from."
  assert_equal "$(stub_call_count swift)" 0
}

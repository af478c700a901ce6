#!/usr/bin/env bats
#
# With no binary given, none on PATH and no release to download, the hooks
# build cache-restore and cache-save once per agent host from the plugin's
# sources (here a fake `swift` and a stand-in package), under a lock, outside
# both checkouts. A build that fails is remembered, and the job goes on.

setup() {
  load helpers/common
  load helpers/download
  setup_hook_test
  stub_swift
  stub_swift_product cache-restore
  stub_swift_product cache-save
}

# Prints the arguments of every call of the fake swift, one call a line.
swift_calls() {
  local call
  while IFS= read -r call; do
    paste -s -d ' ' "$call/args"
  done < <(stub_calls swift)
}

# Prints the one build directory under the build root $1.
only_build_dir() {
  local -a dirs
  mapfile -t dirs < <(find "$1" -mindepth 1 -maxdepth 1 -type d)
  assert_equal "${#dirs[@]}" 1
  printf '%s\n' "${dirs[0]}"
}

@test "first use builds the two products with swift build -c release in a build directory, then runs the result" {
  stub_exports cache-restore 'SWIFT_CACHE_HIT_RESTORED=node_modules'

  run_hook pre-command

  assert_hook_status 0
  assert_line '~~~ :swift: Building swift-cache (first use on this agent)'
  local build_dir
  build_dir=$(only_build_dir "$(default_build_root)")
  [[ ${build_dir##*/} =~ ^[0-9a-f]{64}$ ]] || fail "not a sha256 fingerprint: ${build_dir##*/}"
  # Only the two products: no fuzz target (or any other executable) is compiled.
  assert_equal "$(swift_calls)" "$(printf '%s\n' \
    "build -c release --product cache-restore --scratch-path $build_dir/scratch" \
    "build -c release --product cache-save --scratch-path $build_dir/scratch")"
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

  assert_equal "$(stub_call_count swift)" 2 # one build: one call per product
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

  assert_equal "$(stub_call_count swift)" 4
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
  assert_equal "$(stub_call_count swift)" 4
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

  assert_equal "$(stub_call_count swift)" 2
  assert_equal "$(stub_call_count cache-restore)" 2
  assert_equal "$(grep -l 'Building swift-cache' "$first/output" "$second/output" | wc -l)" 1
}

@test "a failed build: a warning with the end of its log, and the job goes on" {
  stub_swift_fail 'Compiling CacheCore Restore.swift' "error: cannot find 'restore' in scope"

  run_hook pre-command

  assert_hook_status 0
  assert_line '~~~ :swift: Building swift-cache (first use on this agent)'
  assert_line "swift-cache: warning: building swift-cache failed: 'swift build -c release' exited with status 1. The last lines of $(only_build_dir "$(default_build_root)")/build.log:"
  assert_line "error: cannot find 'restore' in scope"
  assert_line "swift-cache: warning: no cache-restore for $(artifact_platform) (plugin version $HOOK_TEST_PLUGIN_VERSION); this job runs without caching."
  refute_line '^^^ +++'
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_equal "$(hook_changed_exports)" ''
  assert_file_not_exist "$(only_build_dir "$(default_build_root)")/bin/cache-restore"
  assert_shell_state_unchanged

  run_hook post-command
  assert_hook_status 0
  assert_equal "$(stub_call_count cache-save)" 0
}

@test "a failed build is remembered: later jobs warn at once, until the marker is deleted" {
  stub_swift_fail "error: 'archive.h' file not found"
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_call_count swift)" 1
  local build_dir
  build_dir=$(only_build_dir "$(default_build_root)")
  assert_file_exist "$build_dir/build.failed"

  rm "$(stub_state swift)/fail" # the agent's owner installs libarchive-dev
  run_hook pre-command
  assert_hook_status 0
  refute_line --partial 'Building swift-cache'
  assert_line "  Source build: building these sources failed before on this agent (log: $build_dir/build.log); to try again, delete $build_dir/build.failed."
  assert_equal "$(stub_call_count swift)" 1

  rm "$build_dir/build.failed"
  run_hook pre-command
  assert_hook_status 0
  assert_equal "$(stub_call_count swift)" 3
  assert_equal "$(stub_call_count cache-restore)" 1
}

@test "a failed build with fail-on-error: true fails the hook" {
  stub_swift_fail "error: 'archive.h' file not found"
  hook_plugin_config '{"fail-on-error": true}'

  run_hook pre-command

  assert_hook_status 1
  assert_line '^^^ +++'
  assert_line --partial "failing the job because fail-on-error is true."
  assert_line --partial "  Source build: building swift-cache from the plugin's sources failed ('swift build -c release' exited with status 1;"
  assert_shell_state_unchanged
}

@test "a build that leaves no binaries: a warning, the job goes on" {
  rm "$(stub_state swift)/products/cache-save"

  run_hook post-command

  assert_hook_status 0
  assert_line --partial "swift build reported success but produced no executable at"
  assert_equal "$(stub_call_count cache-save)" 0
}

@test "without swift, a binary or a release to download: a warning saying what to install, the job goes on" {
  rm "$HOOK_STUB_BIN/swift"

  run_hook pre-command

  assert_hook_status 0
  assert_line "  Source build: there is no swift on PATH to build from the plugin's sources."
  assert_line --partial "install a Swift 6 toolchain on the agent"
  assert_dir_not_exist "$(default_build_root)"
  assert_shell_state_unchanged

  run_hook post-command
  assert_hook_status 0
}

@test "a plugin checkout without sources cannot build, and says so" {
  rm "$HOOK_PLUGIN_DIR/Package.swift"

  run_hook post-command

  assert_hook_status 0
  assert_line --partial "has no Package.swift and Sources/ to build from."
  assert_equal "$(stub_call_count swift)" 0
}

@test "an earlier build of the same sources is used before any download is tried" {
  publish_release # checksums published, but the harness's download URL is a closed port
  run_hook pre-command
  assert_hook_status 0
  assert_line --partial 'Building swift-cache'
  assert_line --partial 'download attempt 1 of 3 failed'

  run_hook pre-command

  assert_hook_status 0
  assert_output ''
  assert_equal "$(stub_call_count swift)" 2
  assert_equal "$(stub_path cache-restore)" "$(only_build_dir "$(default_build_root)")/bin/cache-restore"
}

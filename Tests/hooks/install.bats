#!/usr/bin/env bats
#
# scripts/install-agent-hooks: puts the hooks in an agent's hooks directory (a temporary one
# here) and the binaries and a copy of hooks/ in a prefix, idempotently and reversibly; then
# jobs run through what it installed, sourced the way the agent sources hooks.

bats_require_minimum_version 1.5.0

setup() {
  load helpers/common
  load helpers/agent_mode
  hook_harness_setup
  hook_agent_mode
  AGENT_HOOKS=$BATS_TEST_TMPDIR/agent-hooks
  PREFIX="$BATS_TEST_TMPDIR/opt/swift cache"
  STUB_BINARIES=$BATS_TEST_TMPDIR/stub-binaries
  STORE=$BATS_TEST_TMPDIR/store
  mkdir -p "$AGENT_HOOKS"
  make_stub_binary_dir "$STUB_BINARIES"
  hook_env "BUILDKITE_CACHE_STORE_URL=file://$STORE"
  INSTALLER=$HOOK_REPO_DIR/scripts/install-agent-hooks
}

# Runs the installer (bats `run`) with the test's hooks directory and prefix.
install_hooks() {
  run "$INSTALLER" --hooks-path "$AGENT_HOOKS" --prefix "$PREFIX" "$@"
}

# Prints sha256, mode and name of every file in the agent's hooks directory.
hooks_digest() {
  (cd -- "$AGENT_HOOKS" && find . -type f -printf '%m %p\n' | LC_ALL=C sort &&
    find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

block_count() {
  grep -c '^# >>> swift-cache >>>' "$1"
}

@test "install: creates both hooks, and the prefix holds the binaries and a copy of hooks/" {
  install_hooks --binary-dir "$STUB_BINARIES"
  assert_success
  assert_line "$AGENT_HOOKS/pre-command: created"
  assert_line "$AGENT_HOOKS/post-command: created"
  assert_output --partial "BUILDKITE_CACHE_STORE_URL"

  cmp "$STUB_BINARIES/cache-restore" "$PREFIX/bin/cache-restore"
  cmp "$STUB_BINARIES/cache-save" "$PREFIX/bin/cache-save"
  [[ -x $PREFIX/bin/cache-restore && -x $PREFIX/bin/cache-save ]]
  diff -r "$HOOK_REPO_DIR/hooks" "$PREFIX/hooks"
  for hook in pre-command post-command; do
    [[ -x $AGENT_HOOKS/$hook ]]
    assert_equal "$(head -n 1 "$AGENT_HOOKS/$hook")" '#!/bin/bash'
    assert_equal "$(block_count "$AGENT_HOOKS/$hook")" 1
    grep -qF "$(printf 'SWIFT_CACHE_BINARY_DIR=%q command . %q || return' "$PREFIX/bin" "$PREFIX/hooks/$hook")" "$AGENT_HOOKS/$hook"
    bash -n "$AGENT_HOOKS/$hook"
  done
}

@test "install twice: one block per hook, the same bytes" {
  printf '#!/bin/bash\necho "agent pre-command"\n' >"$AGENT_HOOKS/pre-command"
  install_hooks --binary-dir "$STUB_BINARIES"
  assert_success
  first=$(hooks_digest)

  install_hooks --binary-dir "$STUB_BINARIES"
  assert_success
  assert_line "$AGENT_HOOKS/pre-command: swift-cache block already up to date"
  assert_equal "$(hooks_digest)" "$first"
  assert_equal "$(block_count "$AGENT_HOOKS/pre-command")" 1
  assert_equal "$(block_count "$AGENT_HOOKS/post-command")" 1
}

@test "existing hooks keep their content, and --uninstall gives them back exactly" {
  # One without a final line break, one with; unusual modes; a hook we do not manage.
  printf '#!/bin/bash\n# the agent'\''s own pre-command\nexport FROM_AGENT_HOOK=yes' >"$AGENT_HOOKS/pre-command"
  printf '#!/usr/bin/env bash\nset -euo pipefail\necho "cleanup"\n' >"$AGENT_HOOKS/post-command"
  printf 'export SECRET_THING=1\n' >"$AGENT_HOOKS/environment"
  chmod 750 "$AGENT_HOOKS/pre-command"
  chmod 700 "$AGENT_HOOKS/post-command"
  original=$(hooks_digest)
  cp -p "$AGENT_HOOKS/pre-command" "$BATS_TEST_TMPDIR/pre-command.original"
  cp -p "$AGENT_HOOKS/post-command" "$BATS_TEST_TMPDIR/post-command.original"

  install_hooks --binary-dir "$STUB_BINARIES"
  assert_success
  assert_line --partial "$AGENT_HOOKS/pre-command: appended the swift-cache block"
  for hook in pre-command post-command; do
    original_text=$(cat "$BATS_TEST_TMPDIR/$hook.original")
    [[ $(cat "$AGENT_HOOKS/$hook") == "$original_text"$'\n# >>> swift-cache >>>'* ]] ||
      fail "$hook does not start with its old content: $(cat "$AGENT_HOOKS/$hook")"
    assert_equal "$(block_count "$AGENT_HOOKS/$hook")" 1
    assert_equal "$(stat -c %a "$AGENT_HOOKS/$hook")" "$(stat -c %a "$BATS_TEST_TMPDIR/$hook.original")"
  done
  install_hooks --binary-dir "$STUB_BINARIES"
  assert_success

  run "$INSTALLER" --uninstall --hooks-path "$AGENT_HOOKS" --prefix "$PREFIX"
  assert_success
  assert_line "$AGENT_HOOKS/pre-command: removed the swift-cache block (the other lines are unchanged)"
  cmp "$BATS_TEST_TMPDIR/pre-command.original" "$AGENT_HOOKS/pre-command"
  cmp "$BATS_TEST_TMPDIR/post-command.original" "$AGENT_HOOKS/post-command"
  assert_equal "$(hooks_digest)" "$original"
  assert_dir_not_exist "$PREFIX"
  assert_dir_exist "$(dirname "$PREFIX")"
}

@test "--uninstall removes the hook files it created, and keeps lines added to them since" {
  printf '#!/bin/bash\necho "agent pre-command"\n' >"$AGENT_HOOKS/pre-command"
  cp "$AGENT_HOOKS/pre-command" "$BATS_TEST_TMPDIR/pre-command.original"
  install_hooks --binary-dir "$STUB_BINARIES"
  assert_success

  run "$INSTALLER" --uninstall --hooks-path "$AGENT_HOOKS" --prefix "$PREFIX"
  assert_success
  assert_line "$AGENT_HOOKS/post-command: removed (it held only the swift-cache block)"
  assert_file_not_exist "$AGENT_HOOKS/post-command"
  cmp "$BATS_TEST_TMPDIR/pre-command.original" "$AGENT_HOOKS/pre-command"

  install_hooks --binary-dir "$STUB_BINARIES"
  printf 'echo "added later"\n' >>"$AGENT_HOOKS/post-command"
  run "$INSTALLER" --uninstall --hooks-path "$AGENT_HOOKS" --prefix "$PREFIX"
  assert_success
  assert_equal "$(cat "$AGENT_HOOKS/post-command")" $'#!/bin/bash\necho "added later"'

  # Nothing left to remove: a second uninstall changes nothing.
  before=$(hooks_digest)
  run "$INSTALLER" --uninstall --hooks-path "$AGENT_HOOKS" --prefix "$PREFIX"
  assert_success
  assert_equal "$(hooks_digest)" "$before"
}

@test "a hook that is a symlink is changed at its target, and never removed" {
  mkdir -p "$BATS_TEST_TMPDIR/managed"
  printf '#!/bin/bash\necho managed\n' >"$BATS_TEST_TMPDIR/managed/pre-command"
  cp "$BATS_TEST_TMPDIR/managed/pre-command" "$BATS_TEST_TMPDIR/original"
  ln -s ../managed/pre-command "$AGENT_HOOKS/pre-command"

  install_hooks --binary-dir "$STUB_BINARIES"
  assert_success
  [[ -L $AGENT_HOOKS/pre-command ]]
  assert_equal "$(block_count "$BATS_TEST_TMPDIR/managed/pre-command")" 1

  run "$INSTALLER" --uninstall --hooks-path "$AGENT_HOOKS" --prefix "$PREFIX"
  assert_success
  [[ -L $AGENT_HOOKS/pre-command ]]
  cmp "$BATS_TEST_TMPDIR/original" "$BATS_TEST_TMPDIR/managed/pre-command"
}

@test "a new prefix updates the block in place, before lines that follow it" {
  printf '#!/bin/bash\necho before\n' >"$AGENT_HOOKS/pre-command"
  install_hooks --binary-dir "$STUB_BINARIES"
  printf 'echo after\n' >>"$AGENT_HOOKS/pre-command"

  new_prefix=$BATS_TEST_TMPDIR/new-prefix
  run "$INSTALLER" --hooks-path "$AGENT_HOOKS" --prefix "$new_prefix" --binary-dir "$STUB_BINARIES"
  assert_success
  assert_line "$AGENT_HOOKS/pre-command: updated the swift-cache block"
  assert_equal "$(block_count "$AGENT_HOOKS/pre-command")" 1
  run ! grep -qF "$PREFIX" "$AGENT_HOOKS/pre-command"
  grep -qF "$new_prefix/hooks/pre-command" "$AGENT_HOOKS/pre-command"
  assert_equal "$(head -n 2 "$AGENT_HOOKS/pre-command")" $'#!/bin/bash\necho before'
  assert_equal "$(tail -n 1 "$AGENT_HOOKS/pre-command")" 'echo after'
}

@test "a job through the installed agent hooks saves and restores, after the checkout it came from is gone" {
  # Install from a copy of the repository that is deleted afterwards.
  source_copy=$BATS_TEST_TMPDIR/swift-cache-checkout
  mkdir -p "$source_copy"
  cp -R "$HOOK_REPO_DIR/hooks" "$HOOK_REPO_DIR/scripts" "$source_copy/"
  printf '#!/bin/bash\nexport FROM_AGENT_HOOK=yes\n' >"$AGENT_HOOKS/pre-command"
  run "$source_copy/scripts/install-agent-hooks" --hooks-path "$AGENT_HOOKS" --prefix "$PREFIX" \
    --binary-dir "$(real_binary_dir)"
  assert_success
  rm -rf "$source_copy"

  write_deps_cache_file
  make_deps_tree
  run_hook "$AGENT_HOOKS/post-command"
  assert_hook_status 0
  assert_output --partial "deps: saved"
  assert_shell_state_unchanged
  assert_equal "$(store_entry_count "$STORE")" 1

  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook "$AGENT_HOOKS/pre-command"
  assert_hook_status 0
  assert_hook_exported FROM_AGENT_HOOK yes
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_equal "$(cat "$HOOK_CHECKOUT/deps/lib/a.js")" alpha
  refute_hook_exported SWIFT_CACHE_BINARY_DIR
  assert_shell_state_unchanged
}

@test "the installed agent hook: no cache file costs one line and runs nothing" {
  install_hooks --binary-dir "$STUB_BINARIES"
  run_hook "$AGENT_HOOKS/pre-command"
  assert_hook_status 0
  assert_equal "$output" "swift-cache: no .buildkite/cache.yml in this repository; nothing to restore"
  assert_equal "$(stub_call_count cache-restore)" 0
  assert_shell_state_unchanged
}

@test "the block runs the prefix's binaries and leaves the agent's SWIFT_CACHE_BINARY_DIR as it was" {
  install_hooks --binary-dir "$STUB_BINARIES"
  write_deps_cache_file
  hook_env SWIFT_CACHE_BINARY_DIR=/somewhere/else

  run_hook "$AGENT_HOOKS/pre-command"
  assert_hook_status 0
  assert_equal "$(stub_path cache-restore)" "$PREFIX/bin/cache-restore"
  assert_equal "$(stub_env cache-restore SWIFT_CACHE_BINARY_DIR)" "$PREFIX/bin"
  refute_hook_exported SWIFT_CACHE_BINARY_DIR
  assert_equal "$(hook_exported SWIFT_CACHE_BINARY_DIR)" /somewhere/else
  assert_shell_state_unchanged
}

@test "the block in an existing hook: success runs the lines after it, failure returns its status" {
  printf '#!/bin/bash\nexport BEFORE_BLOCK=ran\n' >"$AGENT_HOOKS/pre-command"
  install_hooks --binary-dir "$STUB_BINARIES"
  printf 'export AFTER_BLOCK=ran\n' >>"$AGENT_HOOKS/pre-command"
  write_deps_cache_file
  stub_exports cache-restore 'SWIFT_CACHE_HIT_DEPS=exact'

  run_hook "$AGENT_HOOKS/pre-command"
  assert_hook_status 0
  assert_hook_exported BEFORE_BLOCK ran
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_hook_exported AFTER_BLOCK ran
  assert_shell_state_unchanged

  stub_exit cache-restore 2
  run_hook "$AGENT_HOOKS/pre-command"
  assert_hook_status 2
  assert_equal "$status" 2
  assert_hook_exported BEFORE_BLOCK ran
  refute_hook_exported AFTER_BLOCK
  assert_shell_state_unchanged

  # A cache file the hook itself refuses fails the agent's hook the same way.
  stub_exit cache-restore 0
  write_deps_cache_file cache.yaml
  run_hook "$AGENT_HOOKS/pre-command"
  assert_hook_status 2
  refute_hook_exported AFTER_BLOCK
}

@test "--print installs the prefix, prints the lines, and writes no hook" {
  printf '#!/bin/bash\necho mine\n' >"$AGENT_HOOKS/pre-command"
  before=$(hooks_digest)
  install_hooks --binary-dir "$STUB_BINARIES" --print
  assert_success
  assert_equal "$(hooks_digest)" "$before"
  [[ -x $PREFIX/bin/cache-restore && -f $PREFIX/hooks/pre-command ]]
  assert_line "# Add to $AGENT_HOOKS/pre-command (a bash hook; create it with a '#!/bin/bash' line if it does not exist):"
  assert_line "$(printf 'SWIFT_CACHE_BINARY_DIR=%q command . %q || return' "$PREFIX/bin" "$PREFIX/hooks/pre-command")"
  assert_line "$(printf 'SWIFT_CACHE_BINARY_DIR=%q command . %q || return' "$PREFIX/bin" "$PREFIX/hooks/post-command")"
  assert_line '# >>> swift-cache >>>'
  assert_line '# <<< swift-cache <<<'
}

@test "a repository hook that sources the installed hooks: save, then restore" {
  run "$INSTALLER" --print --prefix "$PREFIX" --binary-dir "$(real_binary_dir)"
  assert_success
  write_deps_cache_file
  make_deps_tree
  mkdir -p "$HOOK_CHECKOUT/.buildkite/hooks"
  for hook in pre-command post-command; do
    # The two lines a team commits as .buildkite/hooks/<hook>.
    printf '#!/bin/bash\nSWIFT_CACHE_BINARY_DIR=%q command . %q || return\n' "$PREFIX/bin" "$PREFIX/hooks/$hook" \
      >"$HOOK_CHECKOUT/.buildkite/hooks/$hook"
  done

  run_hook "$HOOK_CHECKOUT/.buildkite/hooks/post-command"
  assert_hook_status 0
  assert_output --partial "deps: saved"
  assert_shell_state_unchanged

  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook "$HOOK_CHECKOUT/.buildkite/hooks/pre-command"
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_file_exist "$HOOK_CHECKOUT/deps/lib/a.js"
  assert_shell_state_unchanged
}

@test "refusals change nothing: a hook that is not a shell script" {
  printf '#!/usr/bin/env python3\nprint("hi")\n' >"$AGENT_HOOKS/pre-command"
  before=$(hooks_digest)
  install_hooks --binary-dir "$STUB_BINARIES"
  assert_equal "$status" 2
  assert_output --partial "is not a shell script (#!/usr/bin/env python3)"
  assert_equal "$(hooks_digest)" "$before"
  assert_dir_not_exist "$PREFIX"
}

@test "refusals change nothing: missing binaries, a foreign prefix, no or a wrong --hooks-path" {
  before=$(hooks_digest)

  install_hooks --binary-dir "$BATS_TEST_TMPDIR/empty"
  assert_equal "$status" 2
  assert_output --partial "there is no executable cache-restore in '$BATS_TEST_TMPDIR/empty'"
  assert_dir_not_exist "$PREFIX"

  mkdir -p "$PREFIX"
  printf 'other\n' >"$PREFIX/someone-elses-file"
  install_hooks --binary-dir "$STUB_BINARIES"
  assert_equal "$status" 2
  assert_output --partial "holds other files"
  run "$INSTALLER" --uninstall --hooks-path "$AGENT_HOOKS" --prefix "$PREFIX"
  assert_success
  assert_file_exist "$PREFIX/someone-elses-file"
  rm -rf "$PREFIX"

  run "$INSTALLER" --prefix "$PREFIX" --binary-dir "$STUB_BINARIES"
  assert_equal "$status" 2
  assert_output --partial "--hooks-path is required"

  run "$INSTALLER" --hooks-path "$PREFIX/hooks/" --prefix "$PREFIX" --binary-dir "$STUB_BINARIES"
  assert_equal "$status" 2
  assert_output --partial "its hooks would source themselves"

  run "$INSTALLER" --hooks-path "$AGENT_HOOKS" --colour red
  assert_equal "$status" 2
  assert_output --partial "unknown argument '--colour'"

  assert_equal "$(hooks_digest)" "$before"
  assert_dir_not_exist "$PREFIX"
}

@test "an existing hook that calls exit gets a warning" {
  printf '#!/bin/bash\necho hi\nexit 0\n' >"$AGENT_HOOKS/pre-command"
  install_hooks --binary-dir "$STUB_BINARIES"
  assert_success
  assert_output --partial "calls exit; lines after it"
}

@test "the hooks, the installer and the agent-mode tests pass shellcheck" {
  type -P shellcheck >/dev/null || skip "shellcheck is not installed"
  cd "$HOOK_REPO_DIR"
  run shellcheck -x hooks/pre-command hooks/post-command hooks/lib/*.bash scripts/install-agent-hooks \
    Tests/hooks/helpers/agent_mode.bash Tests/hooks/agent-mode.bats Tests/hooks/install.bats
  assert_success
}

# shellcheck shell=bash
#
# Loaded by every hook test: the Debian-packaged bats libraries, the agent
# harness, the stub helper, and fixtures shared by the test files.

load /usr/lib/bats/bats-support/load.bash
load /usr/lib/bats/bats-assert/load.bash
load /usr/lib/bats/bats-file/load.bash

HOOK_TEST_HELPERS_DIR=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=Tests/hooks/helpers/agent_wrapper.bash
source "$HOOK_TEST_HELPERS_DIR/agent_wrapper.bash"
# shellcheck source=Tests/hooks/helpers/stubs.bash
source "$HOOK_TEST_HELPERS_DIR/stubs.bash"

# The version of the fake plugin checkout (its release/VERSION), which stub
# binaries report by default.
HOOK_TEST_PLUGIN_VERSION=1.1.0

# A fresh job whose plugin checkout is a copy of this repository's hooks/ with
# a small fake package and a release/VERSION beside it (no release/SHA256SUMS:
# nothing to download unless a test publishes a release, see download.bash),
# so no test depends on (or could build) the real sources, and writes into the
# plugin checkout are easy to spot.
setup_hook_test() {
  hook_harness_setup
  HOOK_PLUGIN_DIR=$BATS_TEST_TMPDIR/plugin
  mkdir -p "$HOOK_PLUGIN_DIR/Sources/cache-restore" "$HOOK_PLUGIN_DIR/Sources/cache-save" \
    "$HOOK_PLUGIN_DIR/Tests/FakeCoreTests" "$HOOK_PLUGIN_DIR/release"
  printf '%s\n' "$HOOK_TEST_PLUGIN_VERSION" >"$HOOK_PLUGIN_DIR/release/VERSION"
  cp -R "$HOOK_REPO_DIR/hooks" "$HOOK_PLUGIN_DIR/hooks"
  printf '// swift-tools-version:6.0\n// a stand-in package for hook tests\n' >"$HOOK_PLUGIN_DIR/Package.swift"
  printf 'print("restore")\n' >"$HOOK_PLUGIN_DIR/Sources/cache-restore/main.swift"
  printf 'print("save")\n' >"$HOOK_PLUGIN_DIR/Sources/cache-save/main.swift"
  printf 'import Testing\n' >"$HOOK_PLUGIN_DIR/Tests/FakeCoreTests/FakeTests.swift"
}

# Prints every path under $1 with its type, size, mode and modification time,
# sorted: two listings differ if anything under $1 was written.
tree_listing() {
  (cd -- "$1" && find . -printf '%p %y %s %m %T@\n' | LC_ALL=C sort)
}

# Content, type and mode of every path under $1 (mtimes left out: a restore keeps them, a fresh
# copy for comparison would not).
tree_digest() {
  (cd -- "$1" && find . -printf '%p %y %m %l\n' | LC_ALL=C sort && find . -type f -exec sha256sum {} + | LC_ALL=C sort)
}

# Where the hooks build when nothing overrides it (HOME is the harness's).
default_build_root() {
  printf '%s\n' "$HOOK_HOME/.cache/swift-cache/builds"
}

# Where the hooks install release binaries when nothing overrides it.
default_install_root() {
  printf '%s\n' "$HOOK_HOME/.cache/swift-cache/install"
}

# Prints the directory of the real cache-restore and cache-save (SWIFT_CACHE_TEST_BINARY_DIR, as
# scripts/test sets it, else this repository's debug build); fails the test when they are missing.
real_binary_dir() {
  local dir=${SWIFT_CACHE_TEST_BINARY_DIR:-$HOOK_REPO_DIR/.build/debug}
  [[ -x $dir/cache-restore && -x $dir/cache-save ]] ||
    fail "no cache-restore/cache-save in $dir: run 'swift build' (scripts/test does) first"
  printf '%s\n' "$dir"
}

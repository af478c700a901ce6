#!/usr/bin/env bats
#
# The release artifact is self-contained: unpacked into a chroot that holds nothing but the program
# and the libraries its ldd lists (no Swift toolchain, no -dev package, no shell), it answers
# --version under both names and saves and restores a cache on a file store. scripts/test builds
# the artifact first (scripts/release --check) and passes its directory in
# SWIFT_CACHE_TEST_RELEASE_DIST; run alone:
#   scripts/release --check --dist /tmp/dist
#   SWIFT_CACHE_TEST_RELEASE_DIST=/tmp/dist bats Tests/hooks/release-binary.bats

setup() {
  load helpers/common
  RELEASE_REPO=$(cd -P -- "$BATS_TEST_DIRNAME/../.." && pwd)
  if [[ -z ${SWIFT_CACHE_TEST_RELEASE_DIST:-} || $(id -u) -ne 0 ]]; then
    # CI must never pass by skipping: there it is a failure.
    local why="needs root (for chroot) and SWIFT_CACHE_TEST_RELEASE_DIST (scripts/test sets both up)"
    [[ -n ${CI:-}${BUILDKITE:-} ]] && fail "$why"
    skip "$why"
  fi
  RELEASE_VERSION=$(cat "$RELEASE_REPO/release/VERSION")
  local arch
  case $(uname -m) in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
  esac
  RELEASE_ARTIFACT=$SWIFT_CACHE_TEST_RELEASE_DIST/swift-cache-$RELEASE_VERSION-linux-$arch.tar.gz
  assert_file_exist "$RELEASE_ARTIFACT"

  # Runs a program in the chroot with only the variables given (env -i empties PATH, so the tools
  # are named by their paths). /proc is the kernel's, not a file of the program: the Swift runtime
  # reads its arguments from /proc/self/cmdline. unshare mounts it in a mount namespace of the
  # command's own, so nothing is left mounted.
  IN_CHROOT=("$(command -v unshare)" --mount-proc="$BATS_TEST_TMPDIR/root/proc" "$(command -v chroot)" "$BATS_TEST_TMPDIR/root")
  ROOT=$BATS_TEST_TMPDIR/root
  mkdir -p "$ROOT/bin"
  tar -xzf "$RELEASE_ARTIFACT" -C "$ROOT/bin"
}

# Copies every library ldd lists for the program into the chroot, at the same path.
copy_ldd_libraries() {
  local library
  while read -r library; do
    mkdir -p "$ROOT$(dirname "$library")"
    cp -L "$library" "$ROOT$library"
  done < <(ldd "$ROOT/bin/cache-restore" | grep -o '/[^ ]*')
}

@test "the artifact holds exactly cache-restore, cache-save (the same program) and LICENSE" {
  run bash -c "tar -tzf '$RELEASE_ARTIFACT' | LC_ALL=C sort"
  assert_success
  assert_output "$(printf '%s\n' LICENSE cache-restore cache-save)"
  [ -f "$ROOT/bin/cache-restore" ] && [ -x "$ROOT/bin/cache-restore" ]
  [ "$ROOT/bin/cache-save" -ef "$ROOT/bin/cache-restore" ] || fail "cache-save is not cache-restore: $(ls -l "$ROOT/bin")"
  assert_file_contains "$ROOT/bin/LICENSE" 'Copyright (c) 2026 the swift-cache authors'
}

@test "ldd lists only the C runtime, each from Debian's C runtime packages" {
  run ldd "$ROOT/bin/cache-restore"
  assert_success
  refute_output --partial 'not found'
  refute_output --partial '/opt/swift'
  local library package
  while read -r library; do
    package=$(dpkg -S "$library" 2>/dev/null || dpkg -S "$(readlink -f "$library")")
    package=${package%%:*}
    [[ $package =~ ^(libc6|libstdc\+\+6|libgcc-s1)$ ]] || fail "$library comes from $package, not the C runtime"
  done < <(ldd "$ROOT/bin/cache-restore" | grep -o '/[^ ]*')
}

@test "in a chroot with only its ldd libraries (and /proc): --version under both names, then a save and an exact hit" {
  copy_ldd_libraries
  # Nothing else: no shell, no toolchain, no /etc or /dev.
  local expected_files
  expected_files=$({
    printf '%s\n' bin/LICENSE bin/cache-restore bin/cache-save
    ldd "$ROOT/bin/cache-restore" | grep -o '/[^ ]*' | sed 's|^/||'
  } | LC_ALL=C sort -u)
  assert_equal "$(cd "$ROOT" && find . ! -type d | sed 's|^\./||' | LC_ALL=C sort)" "$expected_files"
  mkdir -p "$ROOT/proc" "$ROOT/tmp" "$ROOT/store" "$ROOT/home" "$ROOT/checkout/deps/lib" "$ROOT/checkout/deps/empty"
  chmod 1777 "$ROOT/tmp"

  for name in cache-restore cache-save; do
    run env -i "${IN_CHROOT[@]}" "/bin/$name" --version
    assert_success
    assert_output "$RELEASE_VERSION"
  done

  printf 'v1\n' >"$ROOT/checkout/deps.lock"
  printf 'alpha\n' >"$ROOT/checkout/deps/lib/a.js"
  printf '#!/bin/sh\n' >"$ROOT/checkout/deps/run"
  chmod 755 "$ROOT/checkout/deps/run"
  ln -s lib/a.js "$ROOT/checkout/deps/link"
  local expected
  expected=$(tree_digest "$ROOT/checkout/deps")

  local job=(
    BUILDKITE_PLUGIN_CONFIGURATION='{"caches":[{"id":"deps","key":"deps-{{ checksum \"deps.lock\" }}","paths":["deps"]}]}'
    BUILDKITE_BUILD_CHECKOUT_PATH=/checkout HOME=/home
    BUILDKITE_ORGANIZATION_SLUG=acme BUILDKITE_PIPELINE_SLUG=web BUILDKITE_BRANCH=main
    BUILDKITE_JOB_ID=job-1 BUILDKITE_CACHE_STORE_URL=file:///store BUILDKITE_COMMAND_EXIT_STATUS=0
  )
  run env -i "${job[@]}" "${IN_CHROOT[@]}" /bin/cache-save
  assert_success
  assert_output --partial "deps: saved 'deps-"

  rm -rf "$ROOT/checkout/deps"
  run env -i "${job[@]}" "${IN_CHROOT[@]}" /bin/cache-restore
  assert_success
  assert_output --partial "deps: hit on 'deps-"
  assert_equal "$(tree_digest "$ROOT/checkout/deps")" "$expected"
}

#!/usr/bin/env bats
#
# The main job through the real hooks and the real binaries, on the file store: what the agent
# does, end to end. scripts/test builds the binaries and passes their directory in
# SWIFT_CACHE_TEST_BINARY_DIR; run alone, `swift build` first.

setup() {
  load helpers/common
  hook_harness_setup
  E2E_BIN=${SWIFT_CACHE_TEST_BINARY_DIR:-$HOOK_REPO_DIR/.build/debug}
  [[ -x $E2E_BIN/cache-restore && -x $E2E_BIN/cache-save ]] ||
    fail "no cache-restore/cache-save in $E2E_BIN: run 'swift build' (scripts/test does) first"
  E2E_STORE=$BATS_TEST_TMPDIR/store
  hook_env "SWIFT_CACHE_BINARY_DIR=$E2E_BIN" "BUILDKITE_CACHE_STORE_URL=file://$E2E_STORE"
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-{{ checksum \"deps.lock\" }}","fallback_keys":["deps-"],"paths":["deps","~/.tool"]}]}'
  printf 'v1\n' >"$HOOK_CHECKOUT/deps.lock"
}

# A dependency tree with a nested dir, an executable, a relative symlink and an empty dir.
make_deps() {
  mkdir -p "$HOOK_CHECKOUT/deps/lib/nested" "$HOOK_CHECKOUT/deps/empty" "$HOOK_HOME/.tool"
  printf 'alpha\n' >"$HOOK_CHECKOUT/deps/lib/a.js"
  printf 'beta\n' >"$HOOK_CHECKOUT/deps/lib/nested/b.js"
  printf '#!/bin/sh\necho hi\n' >"$HOOK_CHECKOUT/deps/run"
  chmod 755 "$HOOK_CHECKOUT/deps/run"
  ln -s lib/a.js "$HOOK_CHECKOUT/deps/link"
  printf 'tool\n' >"$HOOK_HOME/.tool/config"
}

@test "a miss, then a save, then an exact hit restores the tree whole" {
  make_deps
  expected=$(tree_digest "$HOOK_CHECKOUT/deps")

  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  assert_output --partial "deps: miss"
  assert_shell_state_unchanged

  run_hook post-command
  assert_hook_status 0
  assert_output --partial "deps: saved"
  assert_shell_state_unchanged

  rm -rf "$HOOK_CHECKOUT/deps" "$HOOK_HOME/.tool"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  [[ $(hook_exported SWIFT_CACHE_MATCHED_KEY_DEPS) == deps-* ]]
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$expected"
  assert_file_exist "$HOOK_HOME/.tool/config"
  assert_equal "$(readlink "$HOOK_CHECKOUT/deps/link")" "lib/a.js"
  assert_dir_exist "$HOOK_CHECKOUT/deps/empty"
}

@test "a home path restores under another home" {
  make_deps
  run_hook post-command
  assert_hook_status 0
  hook_env "HOME=$BATS_TEST_TMPDIR/other-home"
  mkdir -p "$BATS_TEST_TMPDIR/other-home"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_file_exist "$BATS_TEST_TMPDIR/other-home/.tool/config"
}

@test "a changed lock file restores the newest fallback" {
  make_deps
  run_hook post-command
  printf 'v2\n' >"$HOOK_CHECKOUT/deps.lock"
  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS fallback
  assert_file_exist "$HOOK_CHECKOUT/deps/lib/a.js"
}

@test "a failed command is not saved" {
  make_deps
  hook_env BUILDKITE_COMMAND_EXIT_STATUS=1
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "command failed"
  [[ ! -d $E2E_STORE/v1/entries ]]
}

@test "a corrupt blob is a miss that leaves the target, and the next save repairs it" {
  make_deps
  run_hook post-command
  blob=$(find "$E2E_STORE/v1/blobs" -type f | head -n 1)
  size=$(stat -c %s "$blob")
  printf 'XXXX' | dd of="$blob" bs=1 seek=$((size / 2)) conv=notrunc status=none
  printf 'mine\n' >"$HOOK_CHECKOUT/deps/lib/a.js"

  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  assert_output --partial "corrupt"
  assert_equal "$(cat "$HOOK_CHECKOUT/deps/lib/a.js")" "mine"
  [[ -z $(find "$HOOK_CHECKOUT" -maxdepth 1 -name '.swift-cache-staging.*') ]]

  run_hook post-command
  assert_output --partial "deps: saved"
  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_equal "$(cat "$HOOK_CHECKOUT/deps/lib/a.js")" "mine"
}

@test "a configuration error fails pre-command in an error section" {
  hook_plugin_config '{"caches":[{"id":"deps","key":"k","paths":["deps"],"colour":"red"}]}'
  run_hook pre-command
  assert_hook_status 2
  assert_output --partial "+++ "
  assert_output --partial "unknown key 'colour'"
}

@test "kill -9 during a restore leaves the old tree whole, and the next run cleans up" {
  # A cache big enough that extraction takes a moment: 64 MiB that zstd cannot shrink.
  mkdir -p "$HOOK_CHECKOUT/deps"
  head -c $((64 << 20)) /dev/urandom >"$HOOK_CHECKOUT/deps/big.bin"
  printf 'new\n' >"$HOOK_CHECKOUT/deps/version"
  run_hook post-command
  assert_output --partial "deps: saved"

  rm -rf "$HOOK_CHECKOUT/deps"
  mkdir -p "$HOOK_CHECKOUT/deps"
  printf 'old\n' >"$HOOK_CHECKOUT/deps/version"
  old=$(tree_digest "$HOOK_CHECKOUT/deps")

  start_hook pre-command
  run_dir=$HOOK_RUN_DIR
  # Wait (bounded) until a staging tree exists: extraction is under way. Then kill the binary.
  saw_staging=no
  for _ in $(seq 1 2000); do
    if compgen -G "$HOOK_CHECKOUT/.swift-cache-staging.*" >/dev/null; then
      saw_staging=yes
      break
    fi
    sleep 0.005
  done
  pkill -9 -f "$E2E_BIN/cache-restore" || true
  assert_equal "$saw_staging" yes
  wait_hook "$run_dir"

  # Whatever moment the kill hit, the target is one whole tree: the old one, or (had the swap
  # already happened) the new one.
  version=$(cat "$HOOK_CHECKOUT/deps/version")
  if [[ $version == old ]]; then
    assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$old"
  else
    assert_equal "$version" "new"
    assert_equal "$(stat -c %s "$HOOK_CHECKOUT/deps/big.bin")" $((64 << 20))
  fi

  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_equal "$(cat "$HOOK_CHECKOUT/deps/version")" "new"
  [[ -z $(find "$HOOK_CHECKOUT" -maxdepth 1 -name '.swift-cache-staging.*') ]]
}

@test "two saves of one key at once leave one whole entry" {
  make_deps
  start_hook post-command
  first=$HOOK_RUN_DIR
  start_hook post-command
  second=$HOOK_RUN_DIR
  wait_hook "$first"
  assert_hook_status 0
  wait_hook "$second"
  assert_hook_status 0
  [[ $(find "$E2E_STORE/v1/entries" -name '*.json' | wc -l) -eq 1 ]]
  [[ -z $(ls -A "$E2E_STORE/v1/tmp") ]]

  expected=$(tree_digest "$HOOK_CHECKOUT/deps")
  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_equal "$(tree_digest "$HOOK_CHECKOUT/deps")" "$expected"
}

@test "a hostile archive under a valid entry is refused and writes nothing outside" {
  make_deps
  run_hook post-command
  entry=$(find "$E2E_STORE/v1/entries" -name '*.json' | head -n 1)
  # Replace the blob with an archive holding ../escaped, and point the entry at it.
  hostile=$BATS_TEST_TMPDIR/hostile
  mkdir -p "$hostile/checkout/deps"
  printf 'pwned\n' >"$BATS_TEST_TMPDIR/escaped"
  (cd "$hostile" && tar -cf - --absolute-names checkout/deps ../escaped | zstd -q -c >"$BATS_TEST_TMPDIR/hostile.tar.zst")
  zstd -dc "$BATS_TEST_TMPDIR/hostile.tar.zst" | tar -t 2>/dev/null | grep -qx "../escaped"
  rm "$BATS_TEST_TMPDIR/escaped"
  digest=$(sha256sum "$BATS_TEST_TMPDIR/hostile.tar.zst" | cut -d' ' -f1)
  mkdir -p "$E2E_STORE/v1/blobs/sha256/${digest:0:2}"
  cp "$BATS_TEST_TMPDIR/hostile.tar.zst" "$E2E_STORE/v1/blobs/sha256/${digest:0:2}/$digest"
  jq --arg d "$digest" '.digest = $d' "$entry" >"$entry.new" && mv "$entry.new" "$entry"

  printf 'mine\n' >"$HOOK_CHECKOUT/deps/lib/a.js"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS miss
  # The blob is the one its entry names: the message says what that means and what to report.
  assert_output --partial "byte for byte the blob its entry names"
  assert_file_not_exist "$HOOK_CHECKOUT/../escaped"
  assert_file_not_exist "$BATS_TEST_TMPDIR/escaped"
  assert_equal "$(cat "$HOOK_CHECKOUT/deps/lib/a.js")" "mine"
}

# Carries what the last hook exported into the job's environment for the next hook, as the agent
# does between pre-command and post-command.
carry_exports() {
  local name
  while IFS= read -r name; do
    [[ -n $name ]] && hook_env "$name=$(hook_exported "$name")"
  done < <(hook_changed_exports)
}

@test "the command deletes a checksummed file: saved under pre-command's key, the job stays green" {
  make_deps
  local key state
  key=deps-$(sha256sum "$HOOK_CHECKOUT/deps.lock" | cut -d' ' -f1)
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "miss for '$key'"
  carry_exports
  state=$(hook_exported SWIFT_CACHE_STATE_FILE)
  assert_file_exist "$state"

  rm "$HOOK_CHECKOUT/deps.lock"
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "✅ deps: saved '$key'"
  assert_file_not_exist "$state"
  refute_hook_exported SWIFT_CACHE_STATE_FILE
  assert_shell_state_unchanged
}

@test "the command deletes a checksummed file with save-when: never: no key is rendered, green" {
  hook_plugin_config '{"save-when":"never","caches":[{"id":"deps","key":"deps-{{ checksum \"deps.lock\" }}","paths":["deps"]}]}'
  run_hook pre-command
  assert_hook_status 0
  rm "$HOOK_CHECKOUT/deps.lock"
  # Even without pre-command's state, a save that is skipped reads no file.
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "not saving: save-when is 'never'"
}

@test "a glob that matches files the command creates: saved under pre-command's key, the next job hits exactly" {
  hook_plugin_config '{"caches":[{"id":"deps","key":"deps-{{ checksum \"**/deps.lock\" }}","fallback_keys":["deps-"],"paths":["deps"]}]}'
  make_deps
  run_hook pre-command
  assert_hook_status 0
  local key
  key=$(grep -o "miss for 'deps-[0-9a-f]*'" <<<"$output" | cut -d"'" -f2)
  [[ -n $key ]] || fail "no key in: $output"
  carry_exports

  # `npm ci` installs a package that ships its own lock file.
  mkdir -p "$HOOK_CHECKOUT/deps/node_modules/pkg"
  printf 'the package own\n' >"$HOOK_CHECKOUT/deps/node_modules/pkg/deps.lock"
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "✅ deps: saved '$key'"

  hook_unset SWIFT_CACHE_STATE_FILE
  rm -rf "$HOOK_CHECKOUT/deps"
  run_hook pre-command
  assert_hook_status 0
  assert_hook_exported SWIFT_CACHE_HIT_DEPS exact
  assert_hook_exported SWIFT_CACHE_MATCHED_KEY_DEPS "$key"
}

@test "the dry-run option prints keys and paths in both hooks and touches no store" {
  hook_plugin_config '{"dry-run":true,"caches":[{"id":"deps","key":"deps-{{ checksum \"deps.lock\" }}","paths":["deps"]}]}'
  make_deps
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "swift-cache dry run: 1 cache, store file://$E2E_STORE"
  assert_output --partial "  key: deps-"
  assert_output --partial "  path: deps -> $HOOK_CHECKOUT/deps"
  carry_exports
  run_hook post-command
  assert_hook_status 0
  assert_output --partial "would save the caches above"
  assert_dir_not_exist "$E2E_STORE"
}

@test "dry-run: a bad value is a configuration error naming the option" {
  hook_plugin_config '{"dry-run":"yes","caches":[{"id":"deps","key":"deps","paths":["deps"]}]}'
  run_hook pre-command
  assert_hook_status 2
  assert_output --partial "option dry-run: 'dry-run' in plugin configuration must be true or false"
}

@test "a preset whose lock file is not committed: one warning naming it, the job goes on" {
  hook_plugin_config '{"caches":[{"id":"gomod","template":"go"}]}'
  printf 'module x\n' >"$HOOK_CHECKOUT/go.mod"
  run_hook pre-command
  assert_hook_status 0
  assert_output --partial "'go.sum'"
  assert_hook_exported SWIFT_CACHE_HIT_GOMOD miss
  carry_exports
  run_hook post-command
  assert_hook_status 0
  refute_output --partial "warning"
  assert_output --partial "gomod: not saved: skipped in pre-command"
}

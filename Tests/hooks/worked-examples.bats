#!/usr/bin/env bats
#
# The README's worked examples, as written: each test reads its step's plugin options from the
# README (by the step's label), lays the tree out the way the tool does (by hand: no registry or
# toolchain is reachable here), then runs two jobs through the real hooks and binaries. The first
# misses and saves; the second, in a fresh checkout with the cached paths gone, must get an exact
# hit that puts every path back byte for byte: types, link targets, modes, contents, mtimes and
# hard links. scripts/test passes the binaries in SWIFT_CACHE_TEST_BINARY_DIR.

setup() {
  load helpers/common
  hook_harness_setup
  WE_BIN=$(real_binary_dir) || return
  hook_env "SWIFT_CACHE_BINARY_DIR=$WE_BIN" "BUILDKITE_CACHE_STORE_URL=file://$BATS_TEST_TMPDIR/store"
  # What the repository holds: copied into every fresh checkout.
  WE_REPO=$BATS_TEST_TMPDIR/repo
  mkdir -p "$WE_REPO"
}

# The plugin options of the README step labelled $1, as JSON.
readme_options() {
  python3 - "$HOOK_REPO_DIR/README.md" "$1" <<'PY'
import json, re, sys, yaml
text = open(sys.argv[1]).read()
for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
    document = yaml.safe_load(block)
    if not isinstance(document, dict):
        continue
    for step in document.get("steps", []):
        if step.get("label") != sys.argv[2]:
            continue
        for plugin in step.get("plugins", []):
            for location, options in plugin.items():
                if location.startswith("acme/swift-cache"):
                    print(json.dumps(options))
                    sys.exit(0)
sys.exit("README has no step labelled %r with the plugin" % sys.argv[2])
PY
}

# Everything a restore must keep of the trees at $@ (paths that do not exist print nothing).
tree_state() {
  local path
  for path in "$@"; do
    [[ -e $path || -L $path ]] || continue
    printf '== %s\n' "$path"
    (cd -- "$path" && find . -printf '%p %y %m %l %T@ %n\n' | LC_ALL=C sort &&
      find . -type f -exec sha256sum {} + | LC_ALL=C sort)
  done
}

fresh_checkout() {
  chmod -R u+w "$HOOK_CHECKOUT"
  rm -rf "$HOOK_CHECKOUT"
  mkdir -p "$HOOK_CHECKOUT"
  cp -a "$WE_REPO/." "$HOOK_CHECKOUT/"
}

# Runs the example: $1 the README label, $2 a function that builds the tree (the step's
# command), then the cached paths (absolute). Asserts miss+save, then an exact, identical restore.
run_example() {
  local label=$1 build=$2 options
  shift 2
  options=$(readme_options "$label") || fail "$options"
  hook_plugin_config "$options"
  fresh_checkout

  run_hook pre-command
  assert_hook_status 0
  assert_output --partial ": miss"
  (cd "$HOOK_CHECKOUT" && HOME=$HOOK_HOME "$build") || fail "building the tree failed"
  local saved
  saved=$(tree_state "$@")
  [[ -n $saved ]] || fail "the example built nothing at $*"
  run_hook post-command
  assert_hook_status 0
  assert_output --partial ": saved"
  refute_output --partial "could not"

  fresh_checkout
  local path
  for path in "$@"; do
    [[ -e $path ]] && chmod -R u+w "$path"
    rm -rf "$path"
  done
  run_hook pre-command
  assert_hook_status 0
  refute_output --partial "miss"
  refute_output --partial "fallback"
  assert_output --partial ": hit"
  assert_equal "$(tree_state "$@")" "$saved"
}

# --- a Python virtualenv -------------------------------------------------------------------

build_venv() {
  python3 -m venv --without-pip .venv
  mkdir -p .venv/lib/python3/site-packages/demo
  printf 'VALUE = 42\n' >.venv/lib/python3/site-packages/demo/__init__.py
}

@test "README: a Python venv (absolute interpreter link) restores exactly" {
  printf 'demo==1.0\n' >"$WE_REPO/requirements.txt"
  run_example ":python: venv" build_venv "$HOOK_CHECKOUT/.venv"
  [[ $(readlink "$HOOK_CHECKOUT/.venv/bin/python3") == /* ]]
  "$HOOK_CHECKOUT/.venv/bin/python" -c 'import sys; assert sys.prefix != sys.base_prefix'
}

# --- pip's cache ---------------------------------------------------------------------------

build_pip_cache() {
  local cache=$HOME/.cache/pip
  mkdir -p "$cache/http-v2/a/b/c/d/e" "$cache/wheels/ab/cd/ef" "$cache/selfcheck"
  head -c 5000 /dev/urandom >"$cache/http-v2/a/b/c/d/e/0123456789abcdef"
  printf 'body' >"$cache/http-v2/a/b/c/d/e/0123456789abcdef.body"
  head -c 20000 /dev/urandom >"$cache/wheels/ab/cd/ef/demo-1.0-py3-none-any.whl"
  printf '{"last_check":"2026-11-30T00:00:00Z"}' >"$cache/selfcheck/abc.json"
}

@test "README: pip's cache restores exactly" {
  printf 'demo==1.0\n' >"$WE_REPO/requirements.txt"
  run_example ":python: pip cache" build_pip_cache "$HOOK_HOME/.cache/pip"
}

# --- an npm workspace monorepo -------------------------------------------------------------

build_npm_workspace() {
  mkdir -p node_modules/@acme node_modules/.bin node_modules/left-pad
  ln -s ../../packages/ui node_modules/@acme/ui
  ln -s ../../packages/api node_modules/@acme/api
  ln -s ../@acme/ui/bin/ui.js node_modules/.bin/acme-ui
  ln -s ../left-pad/cli.js node_modules/.bin/left-pad
  printf 'module.exports = (s) => s\n' >node_modules/left-pad/index.js
  printf '#!/usr/bin/env node\n' >node_modules/left-pad/cli.js
  chmod 755 node_modules/left-pad/cli.js
  printf '{"name":"left-pad","version":"1.3.0"}\n' >node_modules/left-pad/package.json
  printf '{"lockfileVersion":3}\n' >node_modules/.package-lock.json
}

@test "README: an npm workspace monorepo (links into packages/) restores exactly" {
  mkdir -p "$WE_REPO/packages/ui/bin" "$WE_REPO/packages/api"
  printf '{"name":"monorepo","workspaces":["packages/*"]}\n' >"$WE_REPO/package.json"
  printf '{"lockfileVersion":3,"packages":{}}\n' >"$WE_REPO/package-lock.json"
  printf '{"name":"@acme/ui"}\n' >"$WE_REPO/packages/ui/package.json"
  printf '#!/usr/bin/env node\n' >"$WE_REPO/packages/ui/bin/ui.js"
  printf '{"name":"@acme/api"}\n' >"$WE_REPO/packages/api/package.json"
  run_example ":npm: workspaces" build_npm_workspace "$HOOK_CHECKOUT/node_modules"
  assert_equal "$(readlink "$HOOK_CHECKOUT/node_modules/@acme/ui")" "../../packages/ui"
  assert_file_exist "$HOOK_CHECKOUT/node_modules/@acme/ui/package.json"
}

# --- Go's module cache ---------------------------------------------------------------------

build_go_cache() {
  local mod=$HOME/go/pkg/mod
  mkdir -p "$mod/github.com/acme/util@v1.2.0/internal" "$mod/cache/download/github.com/acme/util/@v" \
    "$HOME/.cache/go-build/ab"
  printf 'module github.com/acme/util\n' >"$mod/github.com/acme/util@v1.2.0/go.mod"
  printf 'package util\n' >"$mod/github.com/acme/util@v1.2.0/util.go"
  printf 'package internal\n' >"$mod/github.com/acme/util@v1.2.0/internal/x.go"
  printf '{"Version":"v1.2.0"}' >"$mod/cache/download/github.com/acme/util/@v/v1.2.0.info"
  head -c 3000 /dev/urandom >"$mod/cache/download/github.com/acme/util/@v/v1.2.0.zip"
  # The go command makes extracted modules read-only, files and directories alike.
  chmod -R a-w "$mod/github.com/acme/util@v1.2.0"
  head -c 2000 /dev/urandom >"$HOME/.cache/go-build/ab/abcdef0123-d"
  printf '1700000000\n' >"$HOME/.cache/go-build/trim.txt"
}

@test "README: Go's module cache (read-only files and directories) restores exactly" {
  printf 'module example.com/app\n' >"$WE_REPO/go.mod"
  printf 'github.com/acme/util v1.2.0 h1:abc=\n' >"$WE_REPO/go.sum"
  run_example ":go: modules" build_go_cache "$HOOK_HOME/go/pkg/mod" "$HOOK_HOME/.cache/go-build"
  assert_equal "$(stat -c %a "$HOOK_HOME/go/pkg/mod/github.com/acme/util@v1.2.0")" 555
  assert_equal "$(stat -c %a "$HOOK_HOME/go/pkg/mod/github.com/acme/util@v1.2.0/go.mod")" 444
}

# --- Cargo's registry and target/ ----------------------------------------------------------

build_cargo() {
  local registry=$HOME/.cargo/registry
  mkdir -p "$registry/index/index.crates.io-6f17d22bba15001f/.cache/se/rd" \
    "$registry/cache/index.crates.io-6f17d22bba15001f" "$registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.0/src"
  printf 'index entry' >"$registry/index/index.crates.io-6f17d22bba15001f/.cache/se/rd/serde"
  head -c 8000 /dev/urandom >"$registry/cache/index.crates.io-6f17d22bba15001f/serde-1.0.0.crate"
  printf 'pub fn f() {}\n' >"$registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.0/src/lib.rs"
  printf '{"v":1}' >"$registry/src/index.crates.io-6f17d22bba15001f/serde-1.0.0/.cargo-ok"
  mkdir -p target/debug/deps target/debug/.fingerprint/app-1234 target/debug/build
  head -c 9000 /dev/urandom >target/debug/deps/app-1234abcd
  chmod 755 target/debug/deps/app-1234abcd
  # cargo hard-links the final binary to its copy in deps/.
  ln target/debug/deps/app-1234abcd target/debug/app
  head -c 4000 /dev/urandom >target/debug/deps/libserde-5678.rlib
  printf 'fingerprint' >target/debug/.fingerprint/app-1234/bin-app
  printf 'Signature: 8a477f597d28d172789f06886806bc55\n' >target/CACHEDIR.TAG
}

@test "README: Cargo's registry and target/ (hard links) restore exactly" {
  printf '[package]\nname = "app"\n' >"$WE_REPO/Cargo.toml"
  printf '# lock\n' >"$WE_REPO/Cargo.lock"
  run_example ":rust: cargo registry and target" build_cargo "$HOOK_HOME/.cargo/registry" "$HOOK_CHECKOUT/target"
  assert_equal "$(stat -c %i "$HOOK_CHECKOUT/target/debug/app")" "$(stat -c %i "$HOOK_CHECKOUT/target/debug/deps/app-1234abcd")"
}

# --- Gradle's caches -----------------------------------------------------------------------

build_gradle() {
  local caches=$HOME/.gradle/caches wrapper=$HOME/.gradle/wrapper
  mkdir -p "$caches/modules-2/files-2.1/org.acme/lib/1.0/0a1b2c" "$caches/8.5/transforms" \
    "$wrapper/dists/gradle-8.5-bin/5t9huq95ubn472n8rpzujfbqh/gradle-8.5/bin"
  head -c 12000 /dev/urandom >"$caches/modules-2/files-2.1/org.acme/lib/1.0/0a1b2c/lib-1.0.jar"
  : >"$caches/modules-2/modules-2.lock"
  printf 'transform' >"$caches/8.5/transforms/metadata.bin"
  printf '#!/bin/sh\n' >"$wrapper/dists/gradle-8.5-bin/5t9huq95ubn472n8rpzujfbqh/gradle-8.5/bin/gradle"
  chmod 755 "$wrapper/dists/gradle-8.5-bin/5t9huq95ubn472n8rpzujfbqh/gradle-8.5/bin/gradle"
  : >"$wrapper/dists/gradle-8.5-bin/5t9huq95ubn472n8rpzujfbqh/gradle-8.5-bin.zip.ok"
}

@test "README: Gradle's caches restore exactly" {
  mkdir -p "$WE_REPO/gradle/wrapper" "$WE_REPO/app"
  printf 'plugins { id "java" }\n' >"$WE_REPO/app/build.gradle"
  printf 'rootProject.name = "demo"\n' >"$WE_REPO/settings.gradle"
  printf 'distributionUrl=https\\://services.gradle.org/distributions/gradle-8.5-bin.zip\n' \
    >"$WE_REPO/gradle/wrapper/gradle-wrapper.properties"
  run_example ":gradle: gradle caches" build_gradle "$HOOK_HOME/.gradle/caches" "$HOOK_HOME/.gradle/wrapper"
}

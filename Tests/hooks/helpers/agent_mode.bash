# shellcheck shell=bash
#
# Helpers for the hooks run as agent or repository hooks (agent-mode.bats,
# install.bats). Load after helpers/common.
#
# The agent sets BUILDKITE_PLUGIN_NAME, BUILDKITE_PLUGIN_CONFIGURATION and the
# flattened BUILDKITE_PLUGIN_<NAME>_* variables only while a plugin's own hook
# runs; agent and repository hooks see the job's BUILDKITE_PLUGINS (every
# plugin of the step) and nothing else of it.

# Turns the harness's job into what an agent hook sees when the step names
# no plugin: no plugin variables at all.
hook_agent_mode() {
  hook_as_agent_hook
  hook_unset BUILDKITE_PLUGINS
}

# Turns the harness's job into what an agent hook sees in a job whose step
# names plugins: BUILDKITE_PLUGINS stays (as hook_plugin_config or
# hook_plugins_json set it), the plugin hook's own variables go.
hook_as_agent_hook() {
  local name
  hook_unset BUILDKITE_PLUGIN_CONFIGURATION BUILDKITE_PLUGIN_NAME
  for name in "${!HOOK_ENV[@]}"; do
    if [[ $name == BUILDKITE_PLUGIN_"${HOOK_PLUGIN_ENV_NAME}"_* ]]; then
      hook_unset "$name"
    fi
  done
}

# Sets the job's BUILDKITE_PLUGINS to the JSON $1 (as the agent would for a
# step with those plugins), leaving every other plugin variable out.
hook_plugins_json() {
  hook_agent_mode
  hook_env "BUILDKITE_PLUGINS=$1"
}

# Writes the repository's cache file: $1 its name under .buildkite/ (cache.yml
# or cache.yaml), $2 its text.
write_cache_file() {
  mkdir -p "$HOOK_CHECKOUT/.buildkite"
  printf '%s\n' "$2" >"$HOOK_CHECKOUT/.buildkite/$1"
}

# A cache file with one cache, `deps`, keyed on deps.lock (which it writes).
write_deps_cache_file() {
  write_cache_file "${1:-cache.yml}" "dependencies:
  - id: deps
    key: 'deps-{{ checksum \"deps.lock\" }}'
    fallback_keys: ['deps-']
    paths: [deps]"
  printf 'v1\n' >"$HOOK_CHECKOUT/deps.lock"
}

# A small dependency tree in the checkout for the deps cache.
make_deps_tree() {
  mkdir -p "$HOOK_CHECKOUT/deps/lib"
  printf 'alpha\n' >"$HOOK_CHECKOUT/deps/lib/a.js"
  printf '#!/bin/sh\necho hi\n' >"$HOOK_CHECKOUT/deps/run"
  chmod 755 "$HOOK_CHECKOUT/deps/run"
}

# Prints the directory of the real debug (or test) binaries; fails the test
# when they have not been built.
real_binary_dir() {
  local dir=${SWIFT_CACHE_TEST_BINARY_DIR:-$HOOK_REPO_DIR/.build/debug}
  [[ -x $dir/cache-restore && -x $dir/cache-save ]] ||
    fail "no cache-restore/cache-save in $dir: run 'swift build' (scripts/test does) first"
  printf '%s\n' "$dir"
}

# Makes $1 a directory of stub cache-restore and cache-save (see stubs.bash):
# prebuilt "binaries" whose calls the test can count.
make_stub_binary_dir() {
  stub_command cache-restore "$1"
  stub_command cache-save "$1"
}

# Prints how many entries the file store at $1 holds.
store_entry_count() {
  if [[ -d $1/v1/entries ]]; then
    find "$1/v1/entries" -name '*.json' | wc -l
  else
    echo 0
  fi
}

#!/usr/bin/env bats
#
# The hooks' side of the decisions the binary makes too, against the same tables of cases
# (Tests/cases; the Swift side is Tests/CacheCoreTests/SharedCaseTests.swift).

bats_require_minimum_version 1.5.0

setup() {
  load /usr/lib/bats/bats-support/load.bash
  load /usr/lib/bats/bats-assert/load.bash
  CASES=$BATS_TEST_DIRNAME/../cases
  # shellcheck source=hooks/lib/log.bash
  source "$BATS_TEST_DIRNAME/../../hooks/lib/log.bash"
  # shellcheck source=hooks/lib/agent_mode.bash
  source "$BATS_TEST_DIRNAME/../../hooks/lib/agent_mode.bash"
}

# Prints the cases of Tests/cases/$1, one a line, without comments.
table() {
  grep -v -e '^#' -e '^[[:space:]]*$' "$CASES/$1"
}

@test "whether BUILDKITE_PLUGINS names this plugin: every case of plugin-names.txt" {
  local expected json answer count=0
  while IFS=' ' read -r expected json; do
    answer=no
    if swift_cache__plugins_name_this_plugin "$json"; then answer=yes; fi
    [[ $answer == "$expected" ]] || fail "$json: $answer, expected $expected"
    count=$((count + 1))
  done < <(table plugin-names.txt)
  ((count >= 10)) || fail "only $count cases read"
}

# The hook only tells none, one (the binary then reads it) and both apart.
@test "whether the repository has no cache file, one or both: every case of cache-files.txt" {
  local expected setup item name kind checkout status answer count=0
  local -a items
  while IFS=' ' read -r expected setup; do
    [[ $expected == none || $expected == both ]] || expected=one
    checkout=$BATS_TEST_TMPDIR/checkout-$count
    mkdir -p "$checkout/.buildkite"
    printf 'caches: []\n' >"$BATS_TEST_TMPDIR/elsewhere.yml"
    IFS=',' read -r -a items <<<"$setup"
    for item in "${items[@]}"; do
      [[ $item == - ]] && continue
      name=${item%%:*} kind=${item#*:}
      case $kind in
        file) printf 'caches: []\n' >"$checkout/.buildkite/$name" ;;
        directory) mkdir "$checkout/.buildkite/$name" ;;
        link) ln -s "$BATS_TEST_TMPDIR/elsewhere.yml" "$checkout/.buildkite/$name" ;;
        dangling) ln -s "$BATS_TEST_TMPDIR/nothing" "$checkout/.buildkite/$name" ;;
        *) fail "unknown kind in '$setup'" ;;
      esac
    done
    status=0
    BUILDKITE_PLUGIN_CONFIGURATION='' BUILDKITE_PLUGINS='' BUILDKITE_BUILD_CHECKOUT_PATH=$checkout \
      swift_cache__agent_mode_gate restore >/dev/null 2>&1 || status=$?
    case $status in
      1) answer=none ;;
      2) answer=both ;;
      0) answer=one ;;
      *) answer="status $status" ;;
    esac
    [[ $answer == "$expected" ]] || fail "$setup: $answer, expected $expected"
    count=$((count + 1))
  done < <(table cache-files.txt)
  ((count >= 8)) || fail "only $count cases read"
}

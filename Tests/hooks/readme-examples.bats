#!/usr/bin/env bats
#
# The README's pipeline examples must pass plugin.yml's schema, as the plugin linter checks them.

setup() {
  load helpers/common
}

@test "every README plugin example validates against plugin.yml" {
  run python3 "$HOOK_REPO_DIR/scripts/check-readme-examples.py" "$HOOK_REPO_DIR"
  assert_success
  assert_output --regexp '[1-9][0-9]* README plugin examples checked, 0 invalid'
}

@test "the check fails on an example with an unknown option" {
  copy=$BATS_TEST_TMPDIR/repo
  mkdir -p "$copy"
  cp "$HOOK_REPO_DIR/plugin.yml" "$copy/"
  printf '```yaml\nsteps:\n  - plugins:\n      - acme/swift-cache#v1.0.0:\n          cachez: []\n```\n' >"$copy/README.md"
  run python3 "$HOOK_REPO_DIR/scripts/check-readme-examples.py" "$copy"
  assert_failure
  assert_output --partial "1 README plugin examples checked, 1 invalid"
}

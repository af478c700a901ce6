# shellcheck shell=bash
#
# Agent-hook mode: the same hooks installed once for a whole fleet (in the
# agent's hooks-path, or sourced from an existing agent or repository hook)
# instead of named in a step's `plugins:`.
#
# The agent only sets BUILDKITE_PLUGIN_CONFIGURATION while it runs a plugin's
# own hook, so its absence is how the hooks know they run as an agent or
# repository hook. In that mode every job on the agent comes through here, and
# most repositories have no cache file: for them the hook must cost one log
# line and nothing else. So this is decided in bash, before the binary is
# located or (worse) built or downloaded, and before any store is touched. The
# binary decides the same things again; one table of cases (Tests/cases) keeps
# the two in step.
#
# A step that names this plugin gets its caches from the plugin's own hook.
# Without BUILDKITE_PLUGIN_CONFIGURATION such a job is either an agent hook
# beside that plugin, or the plugin's own hook after the agent dropped every
# plugin variable because an option is null. Bash cannot tell them apart, so
# the binary runs and decides from the options in BUILDKITE_PLUGINS: valid
# ones mean the plugin's hook does the caching (it stands aside, one line),
# broken ones are reported with their option path instead of caching nothing.
#
# Sourced into the agent's job shell: functions only.

# Decides whether the hook runs its binary. Prints why when it does not.
# $1: what the hook would do ("restore" or "save"), for the log line.
# Returns 0: run the binary (plugin mode, or an agent hook with a cache file);
#         1: nothing to do here (a line was printed; the hook succeeds);
#         2: the repository's cache setup is wrong (an error was printed);
#         3: the step names this plugin but its options did not arrive: run
#            the binary to check them (it stands aside or reports), without
#            handing keys from pre-command to post-command.
swift_cache__agent_mode_gate() {
  local swift_cache_phase=$1 swift_cache_checkout

  # The plugin's own hook: the binary reads the options.
  if [[ -n ${BUILDKITE_PLUGIN_CONFIGURATION:-} ]]; then
    return 0
  fi

  if [[ -n ${BUILDKITE_PLUGINS:-} ]] && swift_cache__plugins_name_this_plugin "$BUILDKITE_PLUGINS"; then
    return 3
  fi

  # Where the binary looks: the job's checkout, else the working directory.
  swift_cache_checkout=${BUILDKITE_BUILD_CHECKOUT_PATH:-$PWD}
  if [[ -e $swift_cache_checkout/.buildkite/cache.yml && -e $swift_cache_checkout/.buildkite/cache.yaml ]]; then
    # Said here rather than by the binary so that a host that has to build the
    # binary first does not spend minutes on it before saying so.
    swift_cache__error "both .buildkite/cache.yml and .buildkite/cache.yaml exist in $swift_cache_checkout, and swift-cache cannot tell which one holds the caches." \
      "Keep one of them (merge the other into it) and push the change."
    return 2
  fi
  if [[ ! -e $swift_cache_checkout/.buildkite/cache.yml && ! -e $swift_cache_checkout/.buildkite/cache.yaml ]]; then
    swift_cache__info "no .buildkite/cache.yml in this repository; nothing to $swift_cache_phase"
    return 1
  fi
  return 0
}

# Succeeds when the location $1 (a `plugins:` entry as the agent spells it,
# e.g. github.com/acme/swift-cache-buildkite-plugin.git#v1.0.0 or
# ./plugins/swift-cache) names this plugin: its last path component, without
# the version, `.git` and `-buildkite-plugin`, is `swift-cache`. The same rule
# as the binaries' ConfigurationLoader.isThisPlugin: both are tested against
# Tests/cases/plugin-names.txt, as the cache-file check is against
# Tests/cases/cache-files.txt.
swift_cache__is_this_plugin() {
  local swift_cache_name=${1%%#*}
  while [[ $swift_cache_name == */ ]]; do
    swift_cache_name=${swift_cache_name%/}
  done
  swift_cache_name=${swift_cache_name##*/}
  swift_cache_name=${swift_cache_name%.git}
  swift_cache_name=${swift_cache_name%-buildkite-plugin}
  [[ $swift_cache_name == swift-cache ]]
}

# Succeeds when the JSON array $1 (BUILDKITE_PLUGINS) has an element naming
# this plugin: either a string `"location#version"` or an object whose key is
# `"location#version"`. Only those positions count, so an option value of some
# other plugin that happens to say swift-cache does not.
#
# A small scanner rather than jq, which agents need not have. Split at every
# `"`, the pieces alternate between text outside strings and string contents
# (a piece ending in an odd number of backslashes ends in an escaped quote and
# is joined to the next). The brackets still open and the last structural
# character before a string tell an array element or an object key from a
# value. One pass, and only when the text mentions swift-cache at all: about
# 5 ms for a few kB of plugins, 0.1 s for an unusually large 25 kB. The
# subshell keeps LC_ALL (byte-wise indexing, whatever the job's locale) to
# itself.
swift_cache__plugins_name_this_plugin() (
  local swift_cache_piece swift_cache_string='' swift_cache_inside=false swift_cache_i
  local swift_cache_open='' swift_cache_last='' swift_cache_char swift_cache_backslashes
  local -a swift_cache_pieces

  # The common case (another plugin, or none) needs no scan.
  [[ $1 == *swift-cache* ]] || return 1
  export LC_ALL=C
  IFS='"' read -r -d '' -a swift_cache_pieces <<<"$1" || true

  for swift_cache_piece in "${swift_cache_pieces[@]}"; do
    if [[ $swift_cache_inside == true ]]; then
      swift_cache_string+=$swift_cache_piece
      if [[ $swift_cache_piece == *\\ ]]; then
        # Trailing backslashes (a piece that is all backslashes follows an
        # escaped quote, so it has all of them).
        swift_cache_backslashes=${swift_cache_piece##*[!\\]}
        if ((${#swift_cache_backslashes} % 2 == 1)); then
          swift_cache_string+='"'
          continue
        fi
      fi
      # The string ended. An element of the top-level array, or a key of an
      # object that is one? (JSON may write / as \/.)
      if [[ ($swift_cache_open == '[' && ($swift_cache_last == '[' || $swift_cache_last == ',')) ||
        ($swift_cache_open == '[{' && ($swift_cache_last == '{' || $swift_cache_last == ',')) ]] &&
        swift_cache__is_this_plugin "${swift_cache_string//\\\//\/}"; then
        return 0
      fi
      swift_cache_string=''
      swift_cache_last='"'
      swift_cache_inside=false
      continue
    fi
    for ((swift_cache_i = 0; swift_cache_i < ${#swift_cache_piece}; swift_cache_i++)); do
      swift_cache_char=${swift_cache_piece:swift_cache_i:1}
      case $swift_cache_char in
        '[' | '{') swift_cache_open+=$swift_cache_char swift_cache_last=$swift_cache_char ;;
        ']' | '}') swift_cache_open=${swift_cache_open%?} swift_cache_last=$swift_cache_char ;;
        ',' | ':') swift_cache_last=$swift_cache_char ;;
      esac
    done
    swift_cache_inside=true
  done
  return 1
)

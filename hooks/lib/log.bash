# shellcheck shell=bash
#
# Log lines for the Buildkite job log.
#
# The log is read in Buildkite's web UI, so output follows its conventions:
# `~~~` starts a collapsed section (normal runs stay quiet), and an error is
# preceded by `^^^ +++`, which expands the section it happened in so the reader
# lands on it. Errors and warnings go to stderr; the job log shows both streams.
#
# Everything here is sourced into the agent's job shell: define functions only
# (prefixed `swift_cache__`, so the hooks can forget them all afterwards).

# Opens a collapsed log section.
swift_cache__section() {
  printf '~~~ %s\n' "$1"
}

# A line of progress inside the current section.
swift_cache__info() {
  printf 'swift-cache: %s\n' "$1"
}

# Something the job survives but the pipeline owner should fix.
swift_cache__warn() {
  printf 'swift-cache: warning: %s\n' "$1" >&2
}

# An error that fails the hook. The first argument says what went wrong; each
# further argument is printed as its own indented line (where it came from,
# what to do).
swift_cache__error() {
  printf '^^^ +++\n' >&2
  printf 'swift-cache: error: %s\n' "$1" >&2
  shift
  if (($# > 0)); then
    printf '  %s\n' "$@" >&2
  fi
}

# shellcheck shell=bash
#
# Fetching one URL into a file, with a few retries, and hashing a file.
#
# Why it is shaped like this:
# - curl, else wget: one of them is on every agent image; no other tool is
#   needed to bring a binary onto an agent without Swift.
# - Each attempt has short timeouts (connect 10 s, whole transfer 120 s), so a
#   blocked network costs a job seconds, not minutes; the attempts and waits
#   are ours rather than the tool's so the rule is the same for both tools and
#   the log says what happened: transfers that can pass (refused or reset
#   connections, timeouts, DNS, HTTP 408, 429 and 5xx) are tried again; an
#   answer such as 404 is final at once.
#
# Sourced into the agent's job shell: functions only.

# Downloads $1 into the file $2 (attempts: 3; waits before a retry:
# SWIFT_CACHE_DOWNLOAD_RETRY_DELAY seconds, default 1, doubled each time).
# On failure sets the caller's `swift_cache_fetch_problem` to a one-line reason
# and returns 1. $3: a scratch directory for the tool's messages.
swift_cache__fetch() {
  local swift_cache_url=$1 swift_cache_into=$2 swift_cache_scratch=$3
  local swift_cache_attempt swift_cache_attempts=3 swift_cache_delay=${SWIFT_CACHE_DOWNLOAD_RETRY_DELAY:-1}
  local swift_cache_tool swift_cache_verdict
  case $swift_cache_delay in
    '' | *[!0123456789]*)
      swift_cache__warn "ignoring SWIFT_CACHE_DOWNLOAD_RETRY_DELAY='$swift_cache_delay': it must be a whole number of seconds."
      swift_cache_delay=1
      ;;
  esac
  if type -P curl >/dev/null; then
    swift_cache_tool=curl
  elif type -P wget >/dev/null; then
    swift_cache_tool=wget
  else
    swift_cache_fetch_problem="neither curl nor wget is installed"
    return 1
  fi

  for ((swift_cache_attempt = 1; ; swift_cache_attempt++)); do
    swift_cache_verdict=$(swift_cache__fetch_once_with_"$swift_cache_tool" \
      "$swift_cache_url" "$swift_cache_into" "$swift_cache_scratch/$swift_cache_tool.log")
    case $swift_cache_verdict in
      ok) return 0 ;;
      final:*)
        swift_cache_fetch_problem=${swift_cache_verdict#final:}
        return 1
        ;;
    esac
    # shellcheck disable=SC2034 # the caller's variable (see above)
    swift_cache_fetch_problem="${swift_cache_verdict#retry:} (after $swift_cache_attempt attempts)"
    if ((swift_cache_attempt >= swift_cache_attempts)); then
      return 1
    fi
    swift_cache__info "download attempt $swift_cache_attempt of $swift_cache_attempts failed: ${swift_cache_verdict#retry:}; trying again in ${swift_cache_delay}s"
    sleep "$swift_cache_delay"
    swift_cache_delay=$((swift_cache_delay * 2))
  done
}

# One attempt with curl. Prints `ok`, `retry:REASON` or `final:REASON`.
# $1: URL, $2: output file, $3: file for curl's own message.
swift_cache__fetch_once_with_curl() {
  local swift_cache_code swift_cache_status=0
  swift_cache_code=$(curl --silent --show-error --location --connect-timeout 10 --max-time 120 \
    --max-filesize 268435456 --output "$2" --write-out '%{http_code}' -- "$1" 2>"$3" 9>&-) ||
    swift_cache_status=$?
  if ((swift_cache_status == 0)) && [[ $swift_cache_code == 200 || $swift_cache_code == 000 ]]; then
    # 000: a file:// URL, which has no HTTP status.
    printf 'ok\n'
  elif [[ $swift_cache_code != 000 && -n $swift_cache_code ]]; then
    swift_cache__http_verdict "$swift_cache_code"
  else
    case $swift_cache_status in
      # Bad URL, unsupported protocol, unreadable file:// path, too large: no retry mends those.
      1 | 3 | 37 | 63) printf 'final:%s\n' "$(swift_cache__last_line "$3" "curl exited with status $swift_cache_status")" ;;
      *) printf 'retry:%s\n' "$(swift_cache__last_line "$3" "curl exited with status $swift_cache_status")" ;;
    esac
  fi
}

# One attempt with wget; prints as swift_cache__fetch_once_with_curl does.
swift_cache__fetch_once_with_wget() {
  local swift_cache_status=0 swift_cache_code
  wget --quiet --server-response --tries=1 --connect-timeout=10 --timeout=120 \
    --output-document="$2" -- "$1" 2>"$3" 9>&- || swift_cache_status=$?
  # The last status line wget saw (after any redirects).
  swift_cache_code=$(sed -n 's/^ *HTTP\/[0-9.]* \([0-9][0-9][0-9]\).*/\1/p' "$3" | tail -n 1)
  if ((swift_cache_status == 0)); then
    printf 'ok\n'
  elif [[ -n $swift_cache_code ]]; then
    swift_cache__http_verdict "$swift_cache_code"
  else
    printf 'retry:%s\n' "$(swift_cache__last_line "$3" "wget exited with status $swift_cache_status")"
  fi
}

# Prints the verdict on an HTTP status that is not a success.
swift_cache__http_verdict() {
  case $1 in
    408 | 429 | 5??) printf 'retry:HTTP %s\n' "$1" ;;
    *) printf 'final:HTTP %s\n' "$1" ;;
  esac
}

# Prints the last non-empty line of the file $1, else $2.
swift_cache__last_line() {
  local swift_cache_line
  swift_cache_line=$(grep -v '^[[:space:]]*$' -- "$1" 2>/dev/null | tail -n 1)
  printf '%s\n' "${swift_cache_line:-$2}"
}

# Prints the sha256 of the file $1 in lowercase hex (sha256sum on Linux,
# shasum on macOS).
swift_cache__sha256_of_file() {
  local swift_cache_line
  if type -P sha256sum >/dev/null; then
    swift_cache_line=$(sha256sum -- "$1") || return 1
  elif type -P shasum >/dev/null; then
    swift_cache_line=$(shasum -a 256 -- "$1") || return 1
  else
    return 1
  fi
  printf '%s\n' "${swift_cache_line%% *}"
}

# shellcheck shell=bash
#
# Carrying variables from cache-restore into the job.
#
# A child process cannot change its parent's environment, so cache-restore
# writes `NAME=VALUE` lines to a file and the hook exports them in the job's
# shell, which the agent then carries into the command and later hooks.
# The file's contents are data: they are never evaluated. The format is strict
# (see ExportFile.swift, its one writer): only the documented names, only
# values without control bytes; any other line is refused with a warning, so a
# key (data from branches, environment values and shared stores) can never
# become an export of its own.
#
# Sourced into the agent's job shell: functions only. All locals are named
# `swift_cache_*` (and LC_ALL), and no such name is exportable, so an exported
# name can never land in one of our locals (which would vanish on return).

# Succeeds when $1 is a name the export file may set: only the names the
# README documents, SWIFT_CACHE_HIT_<ID> and SWIFT_CACHE_MATCHED_KEY_<ID>
# with <ID> of A-Z, 0-9 and _ (spelled out: ranges depend on the locale).
# The same rule as ExportFile.isExportable in the binary.
swift_cache__is_exportable_name() {
  local swift_cache_suffix
  case $1 in
    SWIFT_CACHE_HIT_?*) swift_cache_suffix=${1#SWIFT_CACHE_HIT_} ;;
    SWIFT_CACHE_MATCHED_KEY_?*) swift_cache_suffix=${1#SWIFT_CACHE_MATCHED_KEY_} ;;
    *) return 1 ;;
  esac
  case $swift_cache_suffix in
    *[!ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_]*) return 1 ;;
  esac
}

# Succeeds when $1 holds no control character: no C0 byte (0x01-0x1f; bash
# strings hold no 0x00), no DEL (0x7f), and no C1 control as UTF-8
# (0xc2 0x80-0x9f). Checked byte by byte: the caller sets LC_ALL=C.
swift_cache__is_printable_value() {
  case $1 in
    *[[:cntrl:]]* | *$'\xc2'[$'\x80'-$'\x9f']*) return 1 ;;
  esac
}

# Exports $1=$2 literally. Refuses a name that is already an array, integer,
# reference, read-only or case-converting variable in this shell: assigning to
# those evaluates the value (as arithmetic, an array literal or another name),
# or fails.
swift_cache__export_literally() {
  case $(declare -p "$1" 2>/dev/null) in
    '' | "declare -- $1" | "declare -- $1="* | "declare -x $1" | "declare -x $1="*)
      export "$1=$2"
      ;;
    *)
      return 1
      ;;
  esac
}

# Exports every valid line of the export file $1, written by the program $2
# (named in warnings). Blank lines are skipped; other invalid lines are
# reported by line number and skipped.
swift_cache__apply_export_file() {
  local swift_cache_file=$1 swift_cache_writer=$2
  local swift_cache_line swift_cache_name swift_cache_number=0
  # Bytes, not characters, for every check below; restored when this returns.
  local LC_ALL=C

  while IFS= read -r swift_cache_line || [[ -n $swift_cache_line ]]; do
    swift_cache_number=$((swift_cache_number + 1))
    if [[ -z $swift_cache_line ]]; then
      continue
    fi
    if [[ $swift_cache_line != *=* ]]; then
      swift_cache__warn "ignoring line $swift_cache_number of $swift_cache_writer's export file: it is not NAME=VALUE."
      continue
    fi
    swift_cache_name=${swift_cache_line%%=*}
    if ! swift_cache__is_exportable_name "$swift_cache_name"; then
      swift_cache_name=${swift_cache_name:0:80}
      swift_cache__warn "ignoring line $swift_cache_number of $swift_cache_writer's export file: '${swift_cache_name//[[:cntrl:]]/?}' is not a name swift-cache exports (SWIFT_CACHE_HIT_<ID>, SWIFT_CACHE_MATCHED_KEY_<ID>)."
      continue
    fi
    if ! swift_cache__is_printable_value "${swift_cache_line#*=}"; then
      swift_cache__warn "ignoring line $swift_cache_number of $swift_cache_writer's export file: the value of $swift_cache_name holds a control character."
      continue
    fi
    if ! swift_cache__export_literally "$swift_cache_name" "${swift_cache_line#*=}"; then
      swift_cache__warn "ignoring line $swift_cache_number of $swift_cache_writer's export file: $swift_cache_name is a special or read-only variable in the job's shell and is left as it is."
    fi
  done <"$swift_cache_file"
}

# Sets the caller's variable `swift_cache_export_file` to a new empty file for
# cache-restore's exports: in TMPDIR, or in /tmp with a warning when TMPDIR
# names a directory that is missing or not writable (a wrong TMPDIR must not
# fail the job). Fails, with an error, only when neither works.
swift_cache__make_export_file() {
  # shellcheck disable=SC2034 # the caller's output variable
  if swift_cache_export_file=$(mktemp "${TMPDIR:-/tmp}/swift-cache-exports.XXXXXX" 2>/dev/null); then
    return 0
  fi
  # shellcheck disable=SC2034 # the caller's output variable
  if [[ -n ${TMPDIR:-} && $TMPDIR != /tmp ]] &&
    swift_cache_export_file=$(mktemp /tmp/swift-cache-exports.XXXXXX 2>/dev/null); then
    swift_cache__warn "TMPDIR='$TMPDIR' is not a writable directory; using /tmp for cache-restore's exports."
    return 0
  fi
  swift_cache__error "cannot create a temporary file in '${TMPDIR:-/tmp}' or /tmp for cache-restore's exports." \
    "Check that TMPDIR (or /tmp) on the agent exists and is writable."
  return 1
}

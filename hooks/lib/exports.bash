# shellcheck shell=bash
#
# Carrying variables from cache-restore into the job.
#
# A child process cannot change its parent's environment, so cache-restore
# writes `NAME=VALUE` lines to a file and the hook exports them in the job's
# shell, which the agent then carries into the command and later hooks.
# The file's contents are data: they are never evaluated, and a line that
# could make the shell evaluate something is refused with a warning.
#
# Sourced into the agent's job shell: functions only. All locals are named
# `swift_cache_*`, and names of that form are refused, so an exported name can
# never land in one of our locals (which would vanish on return).

# Succeeds when $1 is a variable name the export file may set.
swift_cache__is_exportable_name() {
  case $1 in
    '' | [0-9]* | *[!A-Za-z0-9_]* | swift_cache_*) return 1 ;;
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
      swift_cache__warn "ignoring line $swift_cache_number of $swift_cache_writer's export file: '${swift_cache_name:0:80}' is not a valid environment variable name."
      continue
    fi
    if ! swift_cache__export_literally "$swift_cache_name" "${swift_cache_line#*=}"; then
      swift_cache__warn "ignoring line $swift_cache_number of $swift_cache_writer's export file: $swift_cache_name is a special or read-only variable in the job's shell and is left as it is."
    fi
  done <"$swift_cache_file"
}

# shellcheck shell=bash disable=SC2034 # globals are read by the sourcing script
# The one library of ovn-ocf's shell harness (ocf-tests/cluster/, ocf-tests/bench/): every
# script sources it, none redefines what is here. Sourcing it starts nothing.
#
#   say TEXT         a log line on stderr: "$SAY HH:MM:SS.mmm TEXT" (SAY: the script's
#                    name unless set before sourcing)
#   bad TEXT         a failure's reason: said, and written to $WORK/why when WORK is set
#                    (bad is often called in a $(...) subshell)
#   die TEXT         said as an error, exit 1 (the teardown hooks run)
#   now, secs T0 [T1], since T0, past T0 S
#                    timing on $EPOCHREALTIME: seconds between two epochs (two decimals),
#                    since T0, true once S seconds have passed since T0
#   other NODE       the other node of a 2-node cluster
#   at_exit FN       the teardown trap: FN joins the hooks run on EXIT whatever happens
#                    (success, failure, ^C, TERM), last registered first; a hook reads the
#                    exit status in RC and may set it (RC=1: teardown incomplete)
#   result NAME PASS|FAIL TEXT, tally_at_exit
#                    one "RESULT NAME: PASS|FAIL TEXT" line per test on stdout; at exit
#                    "total T s, exit RC" and the closing line "$SAY: N passed, M failed"
#                    (tally_at_exit --one: a script that tests one thing and records no
#                    result; its exit status is the result)

# Sourced once (the cluster and bench libraries both source it).
[ -z "${HARNESS_LOADED:-}" ] || return 0
HARNESS_LOADED=1

# ------------------------------------------------------------------------ constants

SUBNET=198.51.100          # the namespace cluster's wire (node K = .10+K)
VIP=$SUBNET.100            # where clients reach the databases
CLIENT_IP=$SUBNET.200      # the client netns, outside every node
NODES=(node1 node2)        # a 2-node cluster's node names
NB_PORT=6641
SB_PORT=6642
PCMK_LOG=/var/log/pacemaker/pacemaker.log   # inside a node

# --------------------------------------------------------------------------- logging

SAY=${SAY:-$(basename "$0" .sh)}
say() { echo "$SAY $(date +%T.%3N) $*" >&2; }
bad() {
    [ -z "${WORK:-}" ] || echo "$*" >"$WORK/why"
    say "FAIL: $*"
}
die() {
    say "ERROR: $*"
    exit 1
}

# ---------------------------------------------------------------------------- timing

now() { echo "$EPOCHREALTIME"; }
secs() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.2f", b - a }'; }
since() { secs "$1"; }
past() { awk -v a="$1" -v b="$EPOCHREALTIME" -v s="$2" 'BEGIN { exit !(b - a > s) }'; }
T_START=${T_START:-$EPOCHREALTIME}

other() { [ "$1" = node1 ] && echo node2 || echo node1; }

# -------------------------------------------------------------------------- teardown

EXIT_HOOKS=()
RC=0
at_exit() {
    EXIT_HOOKS+=("$1")
    trap harness_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

harness_exit() {
    RC=$?
    trap - EXIT INT TERM
    set +e
    local i
    for ((i = ${#EXIT_HOOKS[@]} - 1; i >= 0; i--)); do "${EXIT_HOOKS[i]}"; done
    exit "$RC"
}

# ------------------------------------------------------------------------- processes

# Processes a script started are recorded as "pid starttime" and ended only while that
# very process lives (a recycled PID is never signalled).
# "pid starttime" of a live, non-zombie process, or nothing.
proc_id() {
    local stat rest
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    rest=${stat##*) }
    # shellcheck disable=SC2086 # split into /proc/PID/stat's fields on purpose
    set -- $rest
    case $1 in Z | X) return 1 ;; esac
    shift 19
    echo "$1"
}
# The PID recorded in FILE ("pid starttime") if that very process still lives.
live_pid() {
    local pid start
    [ -f "$1" ] && read -r pid start <"$1" || return 1
    [ -n "$pid" ] && [ "$(proc_id "$pid" || true)" = "$start" ] && echo "$pid"
}

# ------------------------------------------------------------------------ BENCHMARKS.md

# benchmarks_section NAME FILE PATH: FILE goes between PATH's lines "<!-- BEGIN NAME -->"
# and "<!-- END NAME -->" (markers kept); both are appended at the end when absent (PATH
# created if missing). How make soak and make load put their sections into BENCHMARKS.md
# (bench/run.sh carries them over).
benchmarks_section() {
    local name=$1 file=$2 path=$3 tmp
    local begin="<!-- BEGIN $name -->" end="<!-- END $name -->"
    [ -f "$path" ] || : >"$path"
    tmp=$(mktemp "$path.$name.XXXXXX")
    if grep -qxF "$begin" "$path" && grep -qxF "$end" "$path"; then
        awk -v f="$file" -v b="$begin" -v e="$end" '
            $0 == b && !done { print; while ((getline l < f) > 0) print l; skip = 1; done = 1; next }
            $0 == e && skip { skip = 0 }
            !skip' "$path" >"$tmp"
    else
        { cat "$path"; [ -z "$(tail -n 1 "$path")" ] || echo; echo "$begin"; cat "$file"; echo "$end"; } >"$tmp"
    fi
    chmod --reference="$path" "$tmp"
    mv "$tmp" "$path"
    say "the $name section of $path replaced by $file"
}

# --------------------------------------------------------------------------- results

PASSED=0
FAILED=0
result() {
    echo "RESULT $1: $2 $3"
    if [ "$2" = PASS ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}

TALLY_ONE=0
tally() {
    if [ "$TALLY_ONE" = 1 ] && [ $((PASSED + FAILED)) = 0 ]; then
        if [ "$RC" = 0 ]; then PASSED=1; else FAILED=1; fi
    fi
    [ "$FAILED" = 0 ] || RC=1
    say "total $(since "$T_START") s, exit $RC"
    echo "$SAY: $PASSED passed, $FAILED failed"
}
# The first hook registered runs last: call this before registering the teardown.
tally_at_exit() {
    [ "${1:-}" != --one ] || TALLY_ONE=1   # --many: results are recorded
    at_exit tally
}

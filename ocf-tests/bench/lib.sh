# shellcheck shell=bash disable=SC2034 # globals are read by the sourcing script
# What every figure of `make bench` shares (sourced by monitor.sh, northd.sh, repair.sh,
# failover.sh, raft.sh and run.sh, after ../lib/harness.sh's say/die/timing/teardown): paths, the
# knobs, the built binary, a temp directory removed on exit, and the measuring helpers.
#
# A figure script: `SAY=NAME; . lib.sh; figure_start "$@"`, then its measurements, then
# its markdown section appended to --report FILE (default stdout). Everything a figure
# starts is stopped by pid from a teardown hook (at_exit), whatever happens.
#
# Knobs (env), checked by check_knobs: OURS_RUNS (300), OURS_WARMUP (20), INC_RUNS (100),
# INC_WARMUP (5), TRACE_CALLS (5, traced calls per agent for the children count),
# NORTHD_RUNS (30), NORTHD_WARMUP (3) for promote and cold start, BIGDB_MIB (1024, size
# of the generated database), SMALLDB_MIB (300, size of the small-records one), CHECK_RUNS (10), SHOWLOG_RUNS (3), REPAIR_RUNS (3),
# FAILOVER_RUNS (3, per trigger and agent; more in failover.sh), REBUILD_SIZES ("medium
# large", or none), REBUILD_RUNS (3; more in rebuild.sh), RAFT_SYSTEMS ("raft ovn-ocf
# ovn-ocf-b incumbent", or none), RAFT_RUNS (3; more in raft.sh).

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/harness.sh
. "$BENCH_DIR/../lib/harness.sh"

REPO=$(cd "$BENCH_DIR/../.." && pwd)
RAW="$REPO/target/bench"
HOST_TRIPLE=$(rustc -vV 2>/dev/null | sed -n "s/^host: //p") || HOST_TRIPLE=unknown
BIN="$REPO/target/$HOST_TRIPLE/release/ovn-ocf"  # what `make build` makes (static-pie)
INCUMBENT=/usr/share/ovn/scripts/ovndb-servers.ocf
RUN_DIR=/var/run/ovn
ADDR=127.0.0.1
NODE=$(uname -n)
PY=/usr/bin/python3
STRACE=$(command -v strace || echo /usr/bin/strace)

OURS_RUNS=${OURS_RUNS:-300}
OURS_WARMUP=${OURS_WARMUP:-20}
INC_RUNS=${INC_RUNS:-100}
INC_WARMUP=${INC_WARMUP:-5}
TRACE_CALLS=${TRACE_CALLS:-5}
NORTHD_RUNS=${NORTHD_RUNS:-30}
NORTHD_WARMUP=${NORTHD_WARMUP:-3}
BIGDB_MIB=${BIGDB_MIB:-1024}
SMALLDB_MIB=${SMALLDB_MIB:-300}
CHECK_RUNS=${CHECK_RUNS:-10}
SHOWLOG_RUNS=${SHOWLOG_RUNS:-3}
REPAIR_RUNS=${REPAIR_RUNS:-3}
REBUILD_SIZES=${REBUILD_SIZES:-medium large}
RAFT_SYSTEMS=${RAFT_SYSTEMS:-raft ovn-ocf ovn-ocf-b incumbent}
SCALE_SIZES=${SCALE_SIZES:-tiny small medium large xlarge}

check_knobs() {
    local k
    for k in OURS_RUNS INC_RUNS; do
        if ! [[ ${!k} =~ ^[0-9]+$ ]] || ((${!k} < 2)); then die "$k=${!k}: need an integer >= 2"; fi
    done
    for k in OURS_WARMUP INC_WARMUP; do
        [[ ${!k} =~ ^[0-9]+$ ]] || die "$k=${!k}: need an integer >= 0"
    done
    if ! [[ $TRACE_CALLS =~ ^[0-9]+$ ]] || ((TRACE_CALLS < 1)); then
        die "TRACE_CALLS=$TRACE_CALLS: need an integer >= 1"
    fi
    for k in NORTHD_RUNS CHECK_RUNS SHOWLOG_RUNS REPAIR_RUNS; do
        if ! [[ ${!k} =~ ^[0-9]+$ ]] || ((${!k} < 2)); then die "$k=${!k}: need an integer >= 2"; fi
    done
    [[ $NORTHD_WARMUP =~ ^[0-9]+$ ]] || die "NORTHD_WARMUP=$NORTHD_WARMUP: need an integer >= 0"
    for k in BIGDB_MIB SMALLDB_MIB; do
        if ! [[ ${!k} =~ ^[0-9]+$ ]] || ((${!k} < 16)); then die "$k=${!k}: need an integer >= 16"; fi
    done
    if ! [[ ${FAILOVER_RUNS:-3} =~ ^[0-9]+$ ]] || ((${FAILOVER_RUNS:-3} < 1)); then
        die "FAILOVER_RUNS=$FAILOVER_RUNS: need an integer >= 1"
    fi
    if ! [[ ${REBUILD_RUNS:-3} =~ ^[0-9]+$ ]] || ((${REBUILD_RUNS:-3} < 1)); then
        die "REBUILD_RUNS=$REBUILD_RUNS: need an integer >= 1"
    fi
    [[ $REBUILD_SIZES == none || $REBUILD_SIZES =~ ^\ *((small|medium|large)\ *)+$ ]] ||
        die "REBUILD_SIZES=$REBUILD_SIZES: small, medium and/or large, or none"
    if ! [[ ${RAFT_RUNS:-3} =~ ^[0-9]+$ ]] || ((${RAFT_RUNS:-3} < 1)); then
        die "RAFT_RUNS=$RAFT_RUNS: need an integer >= 1"
    fi
    [[ $RAFT_SYSTEMS == none || $RAFT_SYSTEMS =~ ^\ *((raft|ovn-ocf|ovn-ocf-b|incumbent|idl)\ *)+$ ]] ||
        die "RAFT_SYSTEMS=$RAFT_SYSTEMS: raft, ovn-ocf, ovn-ocf-b, incumbent and/or idl, or none"
    [[ $SCALE_SIZES == none || $SCALE_SIZES =~ ^\ *((tiny|small|medium|large|xlarge)\ *)+$ ]] ||
        die "SCALE_SIZES=$SCALE_SIZES: tiny, small, medium, large and/or xlarge, or none"
}

# figure_start [--report FILE]: the checks and the temp directory every figure needs;
# sets REPORT (default stdout), TMP (removed on exit) and OURS (a symlink named
# ovsdb-server → the built binary, in TMP).
REPORT=/dev/stdout
TMP=""
OURS=""
figure_start() {
    while (($#)); do
        case $1 in
        --report) [[ $# -ge 2 ]] || die "--report FILE"; REPORT=$2; shift 2 ;;
        *) die "usage: $0 [--report FILE]" ;;
        esac
    done
    check_knobs
    [[ $(id -u) == 0 ]] || die "run as root: the servers use $RUN_DIR, the incumbent's only run directory"
    [[ -x $BIN ]] || die "$BIN is not built (make build; run.sh builds it)"
    TMP=$(mktemp -d /tmp/ovn-ocf-bench.XXXXXX)
    at_exit remove_tmp
    mkdir -p "$RAW"
    ln -s "$BIN" "$TMP/ovsdb-server"
    OURS="$TMP/ovsdb-server"
}
remove_tmp() { [[ -z $TMP || ! -d $TMP ]] || rm -rf "$TMP"; }

# alive PID: the process exists and is not a zombie.
alive() {
    local st
    st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
    [[ -n $st && $st != Z ]]
}

# stop_ours PID MARK: TERM, then KILL after 5 s, the process PID, but only if its command
# line contains MARK (a path under this run's temp directory: proof that this script
# started it). A pid that is gone, or is somebody else's, is left alone.
stop_ours() {
    local pid=$1 mark=$2
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$mark" || return 0
    say "stopping pid $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | cut -c1-80))"
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 50); do
        alive "$pid" || return 0
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
}

# exit_codes JSON: the distinct exit codes of every timed run, e.g. "0" or "8".
exit_codes() {
    jq -r '[.results[0].exit_codes[]] | unique | map(tostring) | join(",")' "$1"
}

# hstat JSON FIELD: a hyperfine statistic in seconds.
hstat() {
    jq -r ".results[0].$2" "$1"
}

# ratio A B: A / B as "1.5×" or "12×"; "-" if either is missing.
# stats "V1 V2 ..." [FMT]: "min median max" of the numbers given, each printed with FMT
# (default %.2f: two decimals; %s as given), "- - -" for none.
stats() {
    tr ' ' '\n' <<<"$1" | { grep . || true; } | sort -g | awk -v f="${2:-%.2f}" '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "- - -"; exit }
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf f " " f " " f "\n", v[1], m, v[NR]
        }'
}

ratio() { awk -v i="$1" -v o="$2" 'BEGIN { if (o <= 0 || i == "-" || o == "-") { print "-"; exit } r = i / o; printf (r < 10 ? "%.1f×" : "%.0f×"), r }'; }

# ms SECONDS [SD]: milliseconds, 2 decimals under 10 ms, else 1; "mean ± sd" with SD.
ms() {
    awk -v s="$1" -v d="${2:-}" 'BEGIN {
        f = (s * 1000 < 10) ? "%.2f" : "%.1f"
        printf f, s * 1000
        if (d != "") printf " ± " f, d * 1000
    }'
}

# trace_one LOG CMD...: one call under strace (processes, exec and socket connects),
# with the environment in ENV; strace execs CMD itself, so the trace's first execve is
# the agent.
trace_one() {
    local log=$1
    shift
    env -i "${ENV[@]}" timeout -k 5 60 "$STRACE" -f -qq -e trace=process,connect -o "$log" "$@" \
        >/dev/null 2>&1 || true
}

# children LOG: processes created (clone/fork/vfork that returned a pid, threads excluded).
children() {
    awk '
        $2 ~ /^(clone|clone3|fork|vfork)\(/ {
            if ($0 ~ /<unfinished \.\.\.>$/) { thr[$1] = ($0 ~ /CLONE_THREAD/); next }
            if ($0 !~ /CLONE_THREAD/ && $0 ~ /= [0-9]+$/) n++
            next
        }
        $0 ~ /^[0-9]+ +<\.\.\. (clone|clone3|fork|vfork) resumed>/ {
            if (!thr[$1] && $0 !~ /CLONE_THREAD/ && $0 ~ /= [0-9]+$/) n++
        }
        END { print n + 0 }' "$1"
}

# distinct_pids LOG: every pid that appears, minus the agent itself (a cross-check).
distinct_pids() {
    awk '{ print $1 }' "$1" | sort -u | wc -l | awk '{ print $1 - 1 }'
}

# programs LOG: "count program" for every successful execve after the agent's own.
programs() {
    awk '
        $2 ~ /^execve\(/ {
            p = $2; sub(/^execve\("/, "", p); sub(/".*/, "", p); last[$1] = p
            if ($0 ~ /= 0$/) ok(p)
            next
        }
        $0 ~ /^[0-9]+ +<\.\.\. execve resumed>/ { if ($0 ~ /= 0$/) ok(last[$1]) }
        function ok(p) { if (seen++) cnt[p]++ }
        END { for (p in cnt) printf "%d %s\n", cnt[p], p }' "$1" | sort -k1,1nr -k2
}

# sockets LOG: unix sockets the call connected to successfully.
sockets() {
    awk '
        $2 ~ /^connect\(/ && /sun_path="/ {
            p = $0; sub(/.*sun_path="/, "", p); sub(/".*/, "", p); last[$1] = p
            if ($0 ~ /= 0$/) print p
            next
        }
        $0 ~ /^[0-9]+ +<\.\.\. connect resumed>/ { if ($0 ~ /= 0$/ && last[$1] != "") print last[$1] }
    ' "$1" | sort -u
}

# traced_children LABEL CMD...: TRACE_CALLS calls of CMD under strace (environment in
# ENV); sets CH (the count, or "min–max" if it varied) and CH_LOG (the last trace).
CH="" CH_LOG=""
traced_children() {
    local label=$1 k n c min="" max=""
    shift
    for k in $(seq "$TRACE_CALLS"); do
        CH_LOG="$RAW/children-$label-$k.strace"
        trace_one "$CH_LOG" "$@"
        n=$(children "$CH_LOG")
        c=$(distinct_pids "$CH_LOG")
        if [[ $n != "$c" ]]; then
            say "$label call $k: $n forks but $c distinct child pids (threads?)"
        fi
        if [[ -z $min ]] || ((n < min)); then min=$n; fi
        if [[ -z $max ]] || ((n > max)); then max=$n; fi
    done
    if [[ $min == "$max" ]]; then CH=$min; else CH="$min–$max"; fi
}

#!/bin/bash
# `make bench`: measures ovn-ocf on this host and writes BENCHMARKS.md (the whole file,
# every run): its depth-0 monitor against OVN's own shell agent ovndb-servers.ocf (the
# incumbent), ovn-northd's promote against a cold start, `ovn-ocf check`/`repair` on a
# 1 GiB database against `ovsdb-tool show-log`, and failover time after kill -9 and
# power-off, ovn-ocf against the incumbent, in the namespace cluster (failover.sh).
#
# Needs root (it starts ovsdb-server with OVN's default run_dir /var/run/ovn, the only
# one the incumbent knows). Installs with apt-get, if missing and only then:
#   ovn-central pacemaker-cli-utils resource-agents hyperfine strace jq iproute2 python3 openssl
#   pacemaker corosync pcs fence-agents kmod (the namespace cluster of the failover figure)
#
# What it does: builds with `make build` (the binary `make install` installs); starts a real NB and SB
# ovsdb-server through ovn-ocf's own `start` (primitive mode, database files in a
# mktemp -d directory, listeners on 127.0.0.1:6641/6642 only); runs both agents' depth-0
# monitor against those same servers; stops the servers with ovn-ocf's `stop` (which
# TERMs the server by pid) on exit, whatever happens. It refuses to run when
# /var/run/ovn/ovn{nb,sb}_db.pid names a live process or 6641/6642 are taken.
# The ovn-northd figures use a second NB and SB of their own (run_dir in the temp
# directory, unix sockets, 127.0.0.1 on ports the kernel picks), never /var/run/ovn.
# The repair figures generate a ~1 GiB NB database once with Debian's ovsdb-server
# (unix socket in the temp directory only) and keep it in target/bench/ for later runs.
#
# Layout: one function per figure, each appends a markdown section to the report; the
# report replaces BENCHMARKS.md only when every figure succeeded. Raw data (hyperfine
# JSON, strace logs) stays in target/bench/. The soak section (`make soak`) is carried over
# from the current BENCHMARKS.md unchanged. Everything a section starts is stopped by
# pid from the EXIT trap (CLEANUP_HOOKS), whatever happens.
#
# Knobs (env): OURS_RUNS (300), OURS_WARMUP (20), INC_RUNS (100), INC_WARMUP (5),
#              TRACE_CALLS (5, traced calls per agent for the children count),
#              NORTHD_RUNS (30), NORTHD_WARMUP (3) for promote and cold start,
#              BIGDB_MIB (1024, size of the generated database), CHECK_RUNS (5),
#              SHOWLOG_RUNS (3), REPAIR_RUNS (3), FAILOVER_RUNS (3, per trigger and agent),
#              FAILOVER_LIMIT (120 s a failover may take), FAILOVER_CLUSTER (bench, the
#              namespace cluster's name; see failover.sh).
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT="$REPO/BENCHMARKS.md"
RAW="$REPO/target/bench"
HOST_TRIPLE=$(rustc -vV | sed -n 's/^host: //p')
BIN="$REPO/target/$HOST_TRIPLE/release/ovn-ocf"  # what `make build` makes (static-pie)
INCUMBENT=/usr/share/ovn/scripts/ovndb-servers.ocf
RUN_DIR=/var/run/ovn
ADDR=127.0.0.1
NB_PORT=6641
SB_PORT=6642

OURS_RUNS=${OURS_RUNS:-300}
OURS_WARMUP=${OURS_WARMUP:-20}
INC_RUNS=${INC_RUNS:-100}
INC_WARMUP=${INC_WARMUP:-5}
TRACE_CALLS=${TRACE_CALLS:-5}

PKGS=(ovn-central pacemaker-cli-utils resource-agents hyperfine strace jq iproute2 python3 openssl
    pacemaker corosync pcs fence-agents kmod)

say() { printf 'bench: %s\n' "$*" >&2; }
die() {
    printf 'bench: ERROR: %s\n' "$*" >&2
    exit 1
}

# ------------------------------------------------------------------ setup

install_deps() {
    local p missing=()
    for p in "${PKGS[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
    done
    if ((${#missing[@]})); then
        say "installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

build() {
    say "make build"
    make -C "$REPO" --no-print-directory build >&2
    [[ -x $BIN ]] || die "$BIN was not built"
}

# A live process named by one of the pidfiles the incumbent reads, or a taken port,
# belongs to somebody else: this script never touches it.
refuse_if_busy() {
    local f pid port
    for f in "$RUN_DIR/ovnnb_db.pid" "$RUN_DIR/ovnsb_db.pid"; do
        [[ -s $f ]] || continue
        pid=$(tr -dc '0-9' <"$f")
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            die "$f names live process $pid ($(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null | cut -c1-120)): an OVN database is already running here; stop it first (this script only measures databases it starts itself)"
        fi
    done
    for port in "$NB_PORT" "$SB_PORT"; do
        if [[ -n $(ss -Hltn "sport = :$port") ]]; then
            die "TCP port $port is already in use ($(ss -Hltnp "sport = :$port" | head -1)); free it first"
        fi
    done
}

# ------------------------------------------------------------------ environment

NODE=$(uname -n)
TMP=""
CREATED_RUN_DIR=0
declare -A SERVER_PID=()

# What Pacemaker's execd passes to an agent for a recurring depth-0 monitor, plus the
# incumbent's parameters. Both agents get exactly the same environment (env -i): the
# variables meant for one are ignored by the other.
common_env() {
    printf '%s\n' \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C \
        OCF_ROOT=/usr/lib/ocf \
        OCF_RA_VERSION_MAJOR=1 \
        OCF_RA_VERSION_MINOR=1 \
        "OCF_RESKEY_CRM_meta_on_node=$NODE" \
        OCF_RESKEY_CRM_meta_interval=10000 \
        OCF_RESKEY_CRM_meta_timeout=20000 \
        OCF_CHECK_LEVEL=0 \
        "OCF_RESKEY_master_ip=$ADDR" \
        "OCF_RESKEY_nb_master_port=$NB_PORT" \
        "OCF_RESKEY_sb_master_port=$SB_PORT"
}

# ovn-ocf's parameters for one database (default ctl/sock/pid names under run_dir).
db_env() {
    local db=$1 port
    port=$([[ $db == nb ]] && echo "$NB_PORT" || echo "$SB_PORT")
    printf '%s\n' \
        "OCF_RESOURCE_INSTANCE=ovn-$db" \
        "OCF_RESKEY_db=$db" \
        "OCF_RESKEY_db_file=$TMP/ovn${db}_db.db" \
        "OCF_RESKEY_log_file=$TMP/ovsdb-server-$db.log" \
        "OCF_RESKEY_run_dir=$RUN_DIR" \
        "OCF_RESKEY_listen_address=$ADDR" \
        "OCF_RESKEY_port=$port"
}

# env_for DB: fills the array ENV with the full environment for that database's run.
env_for() {
    mapfile -t ENV < <(common_env; db_env "$1")
}

OURS=""  # set in setup: a symlink named ovsdb-server → the built binary

ours() { # ours DB ACTION
    local db=$1 action=$2 ENV
    env_for "$db"
    env -i "${ENV[@]}" "$OURS" "$action"
}

start_servers() {
    local db pid
    if [[ ! -d $RUN_DIR ]]; then CREATED_RUN_DIR=1; fi
    for db in nb sb; do
        say "starting $db through ovn-ocf start"
        SERVER_PID[$db]=starting
        if ! ours "$db" start 2>"$TMP/start-$db.err"; then
            cat "$TMP/start-$db.err" >&2
            die "ovn-ocf start of $db failed"
        fi
        pid=$(tr -dc '0-9' <"$RUN_DIR/ovn${db}_db.pid")
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$TMP/ovn${db}_db.db" ||
            die "$RUN_DIR/ovn${db}_db.pid ($pid) is not the server just started"
        SERVER_PID[$db]=$pid
        say "$db: ovsdb-server pid $pid on $ADDR:$([[ $db == nb ]] && echo $NB_PORT || echo $SB_PORT)"
    done
}

# EXIT trap: stop what this script started, by its pid, and nothing else.
cleanup() {
    local rc=$? db pid
    trap - EXIT INT TERM
    set +e
    run_cleanup_hooks
    for db in nb sb; do
        [[ -n ${SERVER_PID[$db]:-} ]] || continue
        ours "$db" stop 2>/dev/null || say "ovn-ocf stop of $db returned $?"
        pid=${SERVER_PID[$db]}
        [[ $pid =~ ^[0-9]+$ ]] || continue
        # Fallback only for the pid this script started, recognised by its temp database.
        if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$TMP/"; then
            say "ovsdb-server pid $pid survived stop: TERM"
            kill -TERM "$pid" 2>/dev/null || true
            for _ in $(seq 50); do
                kill -0 "$pid" 2>/dev/null || break
                sleep 0.1
            done
            kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
        fi
    done
    [[ -n $TMP && -d $TMP ]] && rm -rf "$TMP"
    if ((CREATED_RUN_DIR)); then rmdir "$RUN_DIR" 2>/dev/null || true; fi
    exit "$rc"
}

# Functions the EXIT trap runs first, last registered first: each stops what one section
# started, by pid, and removes its files. Each is safe to run twice.
CLEANUP_HOOKS=()
run_cleanup_hooks() {
    local i
    for ((i = ${#CLEANUP_HOOKS[@]} - 1; i >= 0; i--)); do
        "${CLEANUP_HOOKS[i]}"
    done
}

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

# ------------------------------------------------------------------ measuring helpers

# hyperfine_pair DB JSON: times ovn-ocf's monitor of DB and the incumbent's monitor,
# back to back, in one hyperfine process with the same environment. -N: no shell.
# -i: the incumbent exits 8 (see check_rcs); every run's exit code is checked afterwards.
hyperfine_pair() {
    local db=$1 json=$2 ENV
    env_for "$db"
    say "timing $db: ovn-ocf ${OURS_RUNS} runs, ovndb-servers.ocf ${INC_RUNS} runs"
    env -i "${ENV[@]}" timeout 300 hyperfine -N -i --style basic \
        --export-json "$json.ours" --warmup "$OURS_WARMUP" --runs "$OURS_RUNS" \
        -n "ovn-ocf $db" "$OURS monitor" >&2
    env -i "${ENV[@]}" timeout 300 hyperfine -N -i --style basic \
        --export-json "$json.inc" --warmup "$INC_WARMUP" --runs "$INC_RUNS" \
        -n "ovndb-servers.ocf" "$INCUMBENT monitor" >&2
}

# exit_codes JSON: the distinct exit codes of every timed run, e.g. "0" or "8".
exit_codes() {
    jq -r '[.results[0].exit_codes[]] | unique | map(tostring) | join(",")' "$1"
}

# hstat JSON FIELD: a hyperfine statistic in seconds.
hstat() {
    jq -r ".results[0].$2" "$1"
}

ratio() { awk -v i="$1" -v o="$2" 'BEGIN { r = i / o; printf (r < 10 ? "%.1f×" : "%.0f×"), r }'; }

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

# ------------------------------------------------------------------ report sections

REPORT=""
STRACE=$(command -v strace || echo /usr/bin/strace)

section_header() {
    local cpu ovsdb_ver ovn_ver pcmk_ver rev
    cpu=$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)
    [[ -n $cpu ]] || cpu=$(awk -F': *' '/^(Hardware|CPU part|cpu model)/ { print $2; exit }' /proc/cpuinfo)
    ovsdb_ver=$(ovsdb-server --version | head -1)
    ovn_ver=$(dpkg-query -W -f='${Package} ${Version}' ovn-central)
    pcmk_ver=$(dpkg-query -W -f='${Package} ${Version}' pacemaker-cli-utils)
    rev=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
    cat >>"$REPORT" <<EOF
# Benchmarks

Generated by \`ocf-tests/bench/run.sh\` — do not edit by hand. Reproduce with:

    make bench

Everything below was measured on this host in one run:

1. the depth-0 monitor, ovn-ocf against OVN's own Pacemaker agent \`ovndb-servers.ocf\`
   (the incumbent, run from \`$INCUMBENT\`), both watching the same live
   ovsdb-servers;
2. ovn-northd: promote of a paused hot standby against a cold start, and its monitor;
3. \`ovn-ocf check\` against \`ovsdb-tool show-log\` on a ${BIGDB_MIB} MiB database, and \`ovn-ocf repair\`;
4. failover time after kill -9 and after power-off, ovn-ocf against \`ovndb-servers.ocf\`,
   in a namespace Pacemaker cluster on this host (\`ocf-tests/cluster/\`).

| | |
|---|---|
| date | $(date -u '+%Y-%m-%d %H:%M UTC') |
| machine | $(nproc) CPUs, ${cpu:-unknown CPU}; kernel $(uname -r) |
| ovn-ocf | $rev, \`make build\` (static-pie, \`-C target-feature=+crt-static\`) |
| ovsdb-server | $ovsdb_ver |
| ovn-northd | $(ovn-northd --version | head -1) |
| incumbent | $ovn_ver (ships \`ovndb-servers.ocf\`) |
| pacemaker | $pcmk_ver (no cluster running for 1–3; 4 runs its own namespace clusters) |
| tools | $(hyperfine --version), $(strace -V | head -1 | sed 's/ -- version//') |

EOF
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

# Runs each agent's monitor once, checks what it returned and that it talked to the
# running servers: a measurement of an agent that does not look is worthless.
INC_RC=""
INC_ERR=""
check_rcs() {
    local db rc ENV log socks
    for db in nb sb; do
        rc=0
        ours "$db" monitor 2>"$TMP/ours-$db.err" || rc=$?
        if ((rc != 0)); then
            cat "$TMP/ours-$db.err" >&2
            die "ovn-ocf monitor of $db returned $rc, expected 0"
        fi
        env_for "$db"
        log="$RAW/check-ours-$db.strace"
        trace_one "$log" "$OURS" monitor
        socks=$(sockets "$log")
        grep -qx "$RUN_DIR/ovn${db}_db.ctl" <<<"$socks" ||
            die "ovn-ocf monitor of $db never connected to $RUN_DIR/ovn${db}_db.ctl"
    done
    env_for nb
    rc=0
    env -i "${ENV[@]}" "$INCUMBENT" monitor >"$TMP/inc.out" 2>"$TMP/inc.err" || rc=$?
    INC_RC=$rc
    INC_ERR=$(grep -v '^$' "$TMP/inc.err" | head -1 || true)
    log="$RAW/check-incumbent.strace"
    trace_one "$log" "$INCUMBENT" monitor
    socks=$(sockets "$log")
    for db in nb sb; do
        grep -qx "$RUN_DIR/ovn${db}_db.ctl" <<<"$socks" ||
            die "ovndb-servers.ocf monitor never connected to $RUN_DIR/ovn${db}_db.ctl: it is not looking at the servers"
    done
    case $INC_RC in
        8 | 0) ;;
        *)
            cat "$TMP/inc.out" "$TMP/inc.err" >&2
            die "ovndb-servers.ocf monitor returned $INC_RC (expected 8: both databases running/active)"
            ;;
    esac
    say "monitor rc: ovn-ocf nb=0 sb=0, ovndb-servers.ocf=$INC_RC${INC_ERR:+ (stderr: $INC_ERR)}"
}

# Figure 1: depth-0 monitor, wall time and children per call.
section_monitor() {
    local db j codes ENV IC IPROG OFORKS=""
    local -A OM OS OMED IM IS IMED OCH
    local progs_file=$TMP/inc-programs
    for db in nb sb; do
        j="$RAW/monitor-$db.json"
        hyperfine_pair "$db" "$j"
        codes=$(exit_codes "$j.ours")
        [[ $codes == 0 ]] || die "ovn-ocf monitor of $db exited with {$codes} during timing"
        codes=$(exit_codes "$j.inc")
        [[ $codes == "$INC_RC" ]] || die "ovndb-servers.ocf monitor exited with {$codes} during timing, $INC_RC before"
        OM[$db]=$(hstat "$j.ours" mean) OS[$db]=$(hstat "$j.ours" stddev) OMED[$db]=$(hstat "$j.ours" median)
        IM[$db]=$(hstat "$j.inc" mean) IS[$db]=$(hstat "$j.inc" stddev) IMED[$db]=$(hstat "$j.inc" median)
    done

    for db in nb sb; do
        env_for "$db"
        traced_children "ours-$db" "$OURS" monitor
        OCH[$db]=$CH
        if [[ $CH != 0 ]]; then
            OFORKS+="$db: $(programs "$CH_LOG" | awk '{ printf "%s%s ×%d", (NR > 1 ? ", " : ""), $2, $1 }'); "
            say "ovn-ocf monitor of $db started $CH children: $OFORKS"
        fi
    done
    env_for nb
    traced_children incumbent "$INCUMBENT" monitor
    IC=$CH
    programs "$CH_LOG" >"$progs_file"
    IPROG=$(awk '{ s += $1 } END { print s + 0 }' "$progs_file")

    # Numbers for the table.
    local o_sum o_sum_sd i_both i_both_sd r_nb r_sb r_both
    o_sum=$(awk -v a="${OM[nb]}" -v b="${OM[sb]}" 'BEGIN { print a + b }')
    o_sum_sd=$(awk -v a="${OS[nb]}" -v b="${OS[sb]}" 'BEGIN { print sqrt(a * a + b * b) }')
    # The incumbent was timed twice (once beside each of ours): pool both runs.
    i_both=$(awk -v a="${IM[nb]}" -v b="${IM[sb]}" 'BEGIN { print (a + b) / 2 }')
    i_both_sd=$(awk -v a="${IS[nb]}" -v b="${IS[sb]}" 'BEGIN { print sqrt((a * a + b * b) / 2) }')
    r_nb=$(ratio "${IM[nb]}" "${OM[nb]}")
    r_sb=$(ratio "${IM[sb]}" "${OM[sb]}")
    r_both=$(ratio "$i_both" "$o_sum")
    # The goal, read both ways: per monitor call, and per pair of databases.
    local kids=no g_call g_pair
    if [[ ${OCH[nb]}${OCH[sb]} == 00 ]]; then kids=yes; fi
    g_call=$(awk -v a="${IM[nb]}" -v b="${OM[nb]}" -v c="${IM[sb]}" -v d="${OM[sb]}" -v k=$kids \
        'BEGIN { print ((b * 20 <= a && d * 20 <= c && k == "yes") ? "met" : "NOT met") }')
    g_pair=$(awk -v i="$i_both" -v o="$o_sum" -v k=$kids \
        'BEGIN { print ((o * 20 <= i && k == "yes") ? "met" : "NOT met") }')
    local o_prog_nb o_prog_sb
    o_prog_nb=$(programs "$RAW/children-ours-nb-1.strace" | awk '{ s += $1 } END { print s + 0 }')
    o_prog_sb=$(programs "$RAW/children-ours-sb-1.strace" | awk '{ s += $1 } END { print s + 0 }')

    cat >>"$REPORT" <<EOF
## Depth-0 monitor: time and child processes per call

A recurring depth-0 monitor (\`OCF_RESKEY_CRM_meta_interval=10000\`, \`OCF_CHECK_LEVEL=0\`),
as Pacemaker runs it every few seconds on every node for the life of the cluster.
ovn-ocf is the primitive \`ocf:ovn-ocf:ovsdb-server\`, one resource per database; the
incumbent is one promotable resource whose single monitor checks both NB and SB, so the
**NB + SB** row (two ovn-ocf calls against one incumbent call) is the fair comparison.

| metric | ovn-ocf | ovndb-servers.ocf | ratio (incumbent / ovn-ocf) |
|---|---:|---:|---:|
| NB: wall time per call, mean ± σ | $(ms "${OM[nb]}" "${OS[nb]}") ms | $(ms "${IM[nb]}" "${IS[nb]}") ms | $r_nb |
| NB: wall time per call, median | $(ms "${OMED[nb]}") ms | $(ms "${IMED[nb]}") ms | |
| NB: child processes per call | ${OCH[nb]} | $IC | |
| NB: programs executed per call | $o_prog_nb | $IPROG | |
| SB: wall time per call, mean ± σ | $(ms "${OM[sb]}" "${OS[sb]}") ms | $(ms "${IM[sb]}" "${IS[sb]}") ms | $r_sb |
| SB: wall time per call, median | $(ms "${OMED[sb]}") ms | $(ms "${IMED[sb]}") ms | |
| SB: child processes per call | ${OCH[sb]} | $IC | |
| SB: programs executed per call | $o_prog_sb | $IPROG | |
| **NB + SB**: wall time, mean ± σ | $(ms "$o_sum" "$o_sum_sd") ms (2 calls) | $(ms "$i_both" "$i_both_sd") ms (1 call) | **$r_both** |
| **NB + SB**: child processes | $(awk -v a="${OCH[nb]%%–*}" -v b="${OCH[sb]%%–*}" 'BEGIN { print a + b }') | $IC | |

Goal (ovn-ocf at most 1/20 of the incumbent's time, and no child process): per monitor
call (NB and SB rows) **$g_call**; per pair of databases (NB + SB row) **$g_pair**.

How it was measured:

- Servers: one NB and one SB ovsdb-server started by ovn-ocf's own \`start\` (database
  files in a \`mktemp -d\` directory, \`run_dir=$RUN_DIR\` with ovn-ctl's file names,
  listening on $ADDR:$NB_PORT and $ADDR:$SB_PORT), stopped by ovn-ocf's \`stop\` afterwards.
- Time: \`hyperfine -N\` (no shell), ovn-ocf ${OURS_WARMUP} warm-up + ${OURS_RUNS} runs, the
  incumbent ${INC_WARMUP} warm-up + ${INC_RUNS} runs, once beside each database (the incumbent
  columns of NB and SB are two separate runs of the same call; NB + SB pools them).
  Each hyperfine runs under \`env -i\` with one environment shared by both agents: what
  Pacemaker's execd passes (OCF_ROOT=/usr/lib/ocf, OCF_RESOURCE_INSTANCE,
  OCF_RESKEY_CRM_meta_on_node, OCF_RESKEY_CRM_meta_interval=10000,
  OCF_RESKEY_CRM_meta_timeout=20000, OCF_CHECK_LEVEL=0), ovn-ocf's
  parameters (db, db_file, log_file, run_dir, listen_address, port) and the incumbent's
  (master_ip=$ADDR, nb_master_port=$NB_PORT, sb_master_port=$SB_PORT; everything else at its
  defaults, manage_northd=no), PATH=/usr/sbin:/usr/bin:/sbin:/bin, LC_ALL=C. Every timed
  run's exit code was checked: ovn-ocf 0, the incumbent $INC_RC. CRM_meta_on_node matters
  to the incumbent: without it, its node-name lookup (ocf_local_nodename) would also run
  which, pacemakerd, grep, awk and uname on every call.
- Children: \`strace -f -e trace=process,connect\`, ${TRACE_CALLS} calls per agent; a child is a
  clone/fork/vfork that returned a pid (threads excluded), cross-checked against the
  distinct pids in the trace. "Programs executed" counts the successful execve calls
  after the agent's own; the other children are the shell's subshells for \`\$(…)\`
  and pipes. A range means the count varied between calls.

What each monitor did (read from the traces in \`target/bench/\`):

- ovn-ocf: finds the server from \`ovn{nb,sb}_db.pid\` and /proc, then asks the server
  itself over its control socket \`$RUN_DIR/ovn{nb,sb}_db.ctl\` (JSON-RPC
  \`ovsdb-server/sync-status\`, and \`list-remotes\` to check its listener is open).
  Exit 0: running (a primitive has no promoted role).$(if [[ -n $OFORKS ]]; then printf '\n  **It started child processes**: %s' "$OFORKS"; else printf ' No process is started.'; fi)
- ovndb-servers.ocf: exit **$INC_RC** ($(inc_rc_meaning)). It ran
  \`ovn-ctl status_ovnsb\` and \`ovn-ctl status_ovnnb\` (each: pidfile and /proc, then
  \`ovn-appctl -t …_db.ctl ovsdb-server/sync-status | awk\`, a connect to
  \`ovnsb_db.ctl\` and \`ovnnb_db.ctl\`), then \`crm_master -l reboot -N $NODE -v $([[ $INC_RC == 8 ]] && echo 10 || echo 5)\`
  to write its promotion score. Without a cluster that write fails fast$([[ -n $INC_ERR ]] && printf ' (`%s`)' "$INC_ERR") and
  the agent ignores its result; in a cluster it succeeds and is a CIB write on every
  monitor, so the incumbent's cost in production is higher than measured here.
  Programs it ran in one call ($IPROG):
$(awk '{ n = $2; sub(/.*\//, "", n); printf "%s%s ×%d", (NR > 1 ? ", " : "  "), n, $1 } END { print "." }' "$progs_file")

EOF
}

inc_rc_meaning() {
    case $INC_RC in
        8) echo 'OCF_RUNNING_MASTER: both databases report `running/active`; this agent has no plain "running", a healthy active server is always "promoted"' ;;
        0) echo 'OCF_SUCCESS: both databases report `running/backup`' ;;
        *) echo "unexpected" ;;
    esac
}

# ------------------------------------------------------------------ ovn-northd

NORTHD_RUNS=${NORTHD_RUNS:-30}
NORTHD_WARMUP=${NORTHD_WARMUP:-3}
NT=""              # this section's directory (under $TMP)
NRUN=""            # run_dir of its NB and SB servers
N_NB_PORT=""
N_SB_PORT=""
NORTHD=""          # a symlink named ovn-northd → the built binary
STUB_DIR=""        # crm_attribute and attrd_updater that exit 0 (mode "stub")
COLD_HELPER=""
N_SERVERS=()       # databases this section started
N_NORTHDS=()       # "NAME MODE" of the ovn-northd resources it started
PY=/usr/bin/python3

# free_ports: two free TCP ports on 127.0.0.1, picked by the kernel (bind to port 0).
free_ports() {
    "$PY" -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in ss))'
}

# nserver_env DB: ovn-ocf's ovsdb-server parameters for this section's NB or SB.
nserver_env() {
    local db=$1 port
    port=$([[ $db == nb ]] && echo "$N_NB_PORT" || echo "$N_SB_PORT")
    printf '%s\n' \
        PATH=/usr/sbin:/usr/bin:/sbin:/bin \
        LC_ALL=C \
        OCF_ROOT=/usr/lib/ocf \
        OCF_RA_VERSION_MAJOR=1 \
        OCF_RA_VERSION_MINOR=1 \
        "OCF_RESKEY_CRM_meta_on_node=$NODE" \
        OCF_RESKEY_CRM_meta_timeout=60000 \
        "OCF_RESOURCE_INSTANCE=bench-$db" \
        "OCF_RESKEY_db=$db" \
        "OCF_RESKEY_db_file=$NT/ovn${db}_db.db" \
        "OCF_RESKEY_log_file=$NT/ovsdb-server-$db.log" \
        "OCF_RESKEY_run_dir=$NRUN" \
        "OCF_RESKEY_listen_address=$ADDR" \
        "OCF_RESKEY_port=$port" \
        "OCF_RESKEY_gate_nb_connection=unix:$NRUN/ovnnb_db.sock"
}

nserver() { # nserver DB ACTION
    local ENV
    mapfile -t ENV < <(nserver_env "$1")
    env -i "${ENV[@]}" "$OURS" "$2"
}

# northd_env NAME MODE [monitor]: the environment of one ovn-northd resource. NAME hot
# is a promotable clone instance, cold a primitive; MODE real runs Pacemaker's own
# crm_attribute/attrd_updater (no cluster: they fail fast), stub puts STUB_DIR first in
# PATH. "monitor": a recurring depth-0 monitor (interval 10 s) rather than an action.
northd_env() {
    local name=$1 mode=$2 kind=${3:-action} path=/usr/sbin:/usr/bin:/sbin:/bin
    [[ $mode == stub ]] && path=$STUB_DIR:$path
    printf '%s\n' \
        "PATH=$path" \
        LC_ALL=C \
        OCF_ROOT=/usr/lib/ocf \
        OCF_RA_VERSION_MAJOR=1 \
        OCF_RA_VERSION_MINOR=1 \
        "OCF_RESKEY_CRM_meta_on_node=$NODE" \
        OCF_RESKEY_CRM_meta_timeout=30000 \
        "OCF_RESOURCE_INSTANCE=bench-northd-$name-$mode" \
        "OCF_RESKEY_nb_connection=unix:$NRUN/ovnnb_db.sock" \
        "OCF_RESKEY_sb_connection=unix:$NRUN/ovnsb_db.sock" \
        "OCF_RESKEY_run_dir=$NT/$name-$mode" \
        "OCF_RESKEY_log_file=$NT/ovn-northd-$name-$mode.log"
    if [[ $name == hot ]]; then
        printf '%s\n' OCF_RESKEY_CRM_meta_promoted_max=1 OCF_RESKEY_CRM_meta_master_max=1
    fi
    if [[ $kind == monitor ]]; then
        printf '%s\n' OCF_RESKEY_CRM_meta_interval=10000 OCF_CHECK_LEVEL=0
    else
        printf '%s\n' OCF_RESKEY_CRM_meta_interval=0
    fi
}

nd() { # nd NAME MODE ACTION [monitor]: one agent call
    local ENV
    mapfile -t ENV < <(northd_env "$1" "$2" "${4:-}")
    env -i "${ENV[@]}" "$NORTHD" "$3"
}

# nd_expect NAME MODE ACTION RC [monitor]: one agent call that must return RC.
nd_expect() {
    local rc=0
    nd "$1" "$2" "$3" "${5:-}" 2>"$NT/last.err" || rc=$?
    if ((rc != $4)); then
        cat "$NT/last.err" >&2
        die "ovn-northd $1 ($2): $3 returned $rc, expected $4"
    fi
}

# EXIT hook: stops this section's ovn-northd resources and databases through the agent,
# then TERMs whatever a pidfile under $NT still names, if its command line shows it is
# ours (the SB gate's own ovn-northd included).
northd_cleanup() {
    local i f
    [[ -n $NT && -d $NT ]] || return 0
    for i in "${N_NORTHDS[@]}"; do
        # shellcheck disable=SC2086 # "NAME MODE"
        nd $i stop >/dev/null 2>&1 || say "ovn-northd $i: stop returned $?"
    done
    N_NORTHDS=()
    for ((i = ${#N_SERVERS[@]} - 1; i >= 0; i--)); do
        nserver "${N_SERVERS[i]}" stop >/dev/null 2>&1 || say "ovn-ocf stop of ${N_SERVERS[i]} (northd section) returned $?"
    done
    N_SERVERS=()
    while IFS= read -r -d '' f; do
        stop_ours "$(tr -dc '0-9' <"$f")" "$TMP/"
    done < <(find "$NT" -name '*.pid' -print0 2>/dev/null)
}

# trace_spawned LOG CMD...: one call under strace, following children only until they
# exec (-b execve), so a daemon the call spawns is let go; environment in ENV.
trace_spawned() {
    local log=$1
    shift
    env -i "${ENV[@]}" timeout -k 5 60 "$STRACE" -f -b execve -qq -e trace=process -o "$log" "$@" \
        >/dev/null 2>&1 || true
}

# spawned LOG: "prog ×n, ..." for every execve after the agent's own, or "none".
spawned() {
    awk '
        $2 ~ /^execve\(/ {
            if (!seen++) next
            p = $2; sub(/^execve\("/, "", p); sub(/".*/, "", p); sub(/.*\//, "", p); cnt[p]++
        }
        END {
            for (p in cnt) { printf "%s%s ×%d", (n++ ? ", " : ""), p, cnt[p] }
            if (!n) printf "none"
        }' "$1"
}

declare -A NM_MEAN=() NM_SD=() NM_MED=() NM_CH=() NM_PROG=()

# northd_monitor NAME MODE LABEL RC: times the depth-0 monitor of one resource, checks
# every run returned RC, counts its children (TRACE_CALLS traced calls).
northd_monitor() {
    local name=$1 mode=$2 label=$3 want=$4 j=$RAW/northd.json.mon-$3 ENV codes
    nd_expect "$name" "$mode" monitor "$want" monitor
    mapfile -t ENV < <(northd_env "$name" "$mode" monitor)
    say "timing ovn-northd monitor ($label): ${OURS_RUNS} runs"
    env -i "${ENV[@]}" timeout 300 hyperfine -N -i --style basic \
        --export-json "$j" --warmup "$OURS_WARMUP" --runs "$OURS_RUNS" \
        -n "ovn-northd monitor ($label)" "$NORTHD monitor" >&2
    codes=$(exit_codes "$j")
    [[ $codes == "$want" ]] || die "ovn-northd monitor ($label) exited with {$codes} during timing, expected $want"
    NM_MEAN[$label]=$(hstat "$j" mean) NM_SD[$label]=$(hstat "$j" stddev) NM_MED[$label]=$(hstat "$j" median)
    traced_children "northd-$label" "$NORTHD" monitor
    NM_CH[$label]=$CH
    NM_PROG[$label]=$(programs "$CH_LOG" | awk '{ n = $2; sub(/.*\//, "", n); printf "%s%s ×%d", (NR > 1 ? ", " : ""), n, $1 }')
}

declare -A NH_MEAN=() NH_SD=() NH_MED=() NC_MEAN=() NC_SD=() NC_MED=() NH_KIDS=() NC_KIDS=() NC_POLLS=()

# northd_hot MODE: a promotable instance, started (paused) once; times promote with a
# demote before every run. Then its monitors, promoted and unpromoted.
northd_hot() {
    local mode=$1 j=$RAW/northd.json.hot-$1 ENV
    N_NORTHDS+=("hot $mode")
    say "ovn-northd hot standby ($mode): start, promote, demote"
    nd_expect hot "$mode" start 0
    nd_expect hot "$mode" monitor 0 monitor
    nd_expect hot "$mode" promote 0
    nd_expect hot "$mode" monitor 8 monitor
    nd_expect hot "$mode" demote 0
    mapfile -t ENV < <(northd_env hot "$mode")
    say "timing promote ($mode): ${NORTHD_RUNS} runs, demote before each"
    env -i "${ENV[@]}" timeout 600 hyperfine -N --style basic --export-json "$j" \
        --warmup "$NORTHD_WARMUP" --runs "$NORTHD_RUNS" --prepare "$NORTHD demote" \
        -n "promote ($mode)" "$NORTHD promote" >&2
    NH_MEAN[$mode]=$(hstat "$j" mean) NH_SD[$mode]=$(hstat "$j" stddev) NH_MED[$mode]=$(hstat "$j" median)
    nd_expect hot "$mode" demote 0
    trace_spawned "$RAW/northd-promote-$mode.strace" "$NORTHD" promote
    NH_KIDS[$mode]="$(children "$RAW/northd-promote-$mode.strace") ($(spawned "$RAW/northd-promote-$mode.strace"))"
    if [[ $mode == stub ]]; then
        northd_monitor hot stub promoted 8
        nd_expect hot stub demote 0
        northd_monitor hot stub unpromoted 0
    else
        northd_monitor hot real promoted-nocluster 8
    fi
    nd_expect hot "$mode" stop 0
}

# northd_cold MODE: a primitive; times COLD_HELPER (agent start, then ovn-appctl status
# until active) with the agent's stop before every run. Then its monitor.
northd_cold() {
    local mode=$1 j=$RAW/northd.json.cold-$1 ENV rc=0 polls=$NT/polls-$1
    N_NORTHDS+=("cold $mode")
    mapfile -t ENV < <(northd_env cold "$mode")
    say "ovn-northd cold start ($mode): one checked run"
    env -i "${ENV[@]}" "POLL_LOG=$polls" /bin/bash "$COLD_HELPER" "$NORTHD" 2>"$NT/last.err" || rc=$?
    if ((rc != 0)); then
        cat "$NT/last.err" >&2
        die "ovn-northd cold start ($mode) failed ($rc)"
    fi
    nd_expect cold "$mode" stop 0
    : >"$polls"
    say "timing cold start ($mode): ${NORTHD_RUNS} runs, stop before each"
    env -i "${ENV[@]}" "POLL_LOG=$polls" timeout 600 hyperfine -N --style basic --export-json "$j" \
        --warmup "$NORTHD_WARMUP" --runs "$NORTHD_RUNS" --prepare "$NORTHD stop" \
        -n "cold start ($mode)" "/bin/bash $COLD_HELPER $NORTHD" >&2
    NC_MEAN[$mode]=$(hstat "$j" mean) NC_SD[$mode]=$(hstat "$j" stddev) NC_MED[$mode]=$(hstat "$j" median)
    # Status polls per timed run (the warm-up runs come first in the file).
    NC_POLLS[$mode]=$(tail -n "$NORTHD_RUNS" "$polls" | sort -n | uniq -c |
        awk '{ printf "%s%d poll%s in %d", (NR > 1 ? ", " : ""), $2, ($2 == 1 ? "" : "s"), $1 }')
    if [[ $mode == real ]]; then
        # The helper's own share: bash plus one ovn-appctl, against a northd already active.
        say "timing the cold-start helper's polling alone"
        env -i "${ENV[@]}" timeout 300 hyperfine -N --style basic --export-json "$RAW/northd.json.poll" \
            --warmup 3 --runs "$NORTHD_RUNS" -n "helper poll" "/bin/bash $COLD_HELPER $NORTHD poll" >&2
    else
        northd_monitor cold stub primitive 0
    fi
    nd_expect cold "$mode" stop 0
    trace_spawned "$RAW/northd-start-$mode.strace" "$NORTHD" start
    NC_KIDS[$mode]="$(children "$RAW/northd-start-$mode.strace") ($(spawned "$RAW/northd-start-$mode.strace"))"
    nd_expect cold "$mode" monitor 0 monitor
    nd_expect cold "$mode" stop 0
}

write_cold_helper() {
    cat >"$COLD_HELPER" <<'EOF'
#!/bin/bash
# northd-cold-start AGENT [poll] (written by ocf-tests/bench/run.sh): the cold-start
# figure. AGENT start (a primitive: spawns ovn-northd, returns once it is connected to
# both databases), then `ovn-appctl status` until "Status: active", for at most 30 s.
# With "poll": the polling alone, against an ovn-northd that already runs.
# Environment: the agent's (OCF_RESKEY_run_dir); POLL_LOG gets the number of polls.
set -euo pipefail
agent=$1
run=$OCF_RESKEY_run_dir
if [[ ${2:-} != poll ]]; then "$agent" start 2>/dev/null; fi
pid=$(<"$run/ovn-northd.pid")
n=0
while ((SECONDS < 30)); do
    n=$((n + 1))
    if [[ $(ovn-appctl -t "$run/ovn-northd.$pid.ctl" status 2>/dev/null || true) == "Status: active" ]]; then
        if [[ -n ${POLL_LOG:-} ]]; then echo "$n" >>"$POLL_LOG"; fi
        exit 0
    fi
done
echo "ovn-northd pid $pid not active after 30 s ($n polls)" >&2
exit 1
EOF
}

# Figure 2: ovn-northd, promote of a paused hot standby against a cold start; its monitor.
section_northd() {
    local db pid mode ENV
    NT=$TMP/northd NRUN=$TMP/northd/run STUB_DIR=$TMP/northd/stub-bin
    NORTHD=$TMP/ovn-northd COLD_HELPER=$TMP/northd/northd-cold-start
    CLEANUP_HOOKS+=(northd_cleanup)
    mkdir -p "$NRUN" "$STUB_DIR"
    ln -s "$BIN" "$NORTHD"
    ln -s /bin/true "$STUB_DIR/crm_attribute"
    ln -s /bin/true "$STUB_DIR/attrd_updater"
    write_cold_helper
    read -r N_NB_PORT N_SB_PORT < <(free_ports)
    [[ $N_NB_PORT =~ ^[0-9]+$ && $N_SB_PORT =~ ^[0-9]+$ ]] || die "could not pick two free ports"

    for db in nb sb; do
        say "northd section: starting $db through ovn-ocf start (run_dir $NRUN)"
        N_SERVERS+=("$db")
        if ! nserver "$db" start 2>"$NT/start-$db.err"; then
            cat "$NT/start-$db.err" >&2
            die "ovn-ocf start of $db (northd section) failed"
        fi
        pid=$(tr -dc '0-9' <"$NRUN/ovn${db}_db.pid")
        tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$NT/ovn${db}_db.db" ||
            die "$NRUN/ovn${db}_db.pid ($pid) is not the server just started"
    done

    for mode in real stub; do
        northd_hot "$mode"
        northd_cold "$mode"
    done

    # What the two Pacemaker tools cost here, where they fail fast.
    local tool_crm tool_attrd codes_crm codes_attrd
    mapfile -t ENV < <(northd_env hot real)
    say "timing crm_attribute and attrd_updater alone"
    env -i "${ENV[@]}" timeout 120 hyperfine -N -i --style basic --export-json "$RAW/northd.json.crm_attribute" \
        --warmup 3 --runs "$NORTHD_RUNS" -n crm_attribute "crm_attribute --promotion -v 10" >&2
    env -i "${ENV[@]}" timeout 120 hyperfine -N -i --style basic --export-json "$RAW/northd.json.attrd_updater" \
        --warmup 3 --runs "$NORTHD_RUNS" -n attrd_updater "attrd_updater -n ovn-ocf-northd-role -U serving" >&2
    tool_crm=$(hstat "$RAW/northd.json.crm_attribute" mean)
    tool_attrd=$(hstat "$RAW/northd.json.attrd_updater" mean)
    codes_crm=$(exit_codes "$RAW/northd.json.crm_attribute")
    codes_attrd=$(exit_codes "$RAW/northd.json.attrd_updater")
    northd_cleanup

    local poll_mean poll_sd r_real r_stub cold_net r_net hot_min hot_max
    poll_mean=$(hstat "$RAW/northd.json.poll" mean)
    poll_sd=$(hstat "$RAW/northd.json.poll" stddev)
    cold_net=$(awk -v c="${NC_MEAN[stub]}" -v p="$poll_mean" 'BEGIN { print c - p }')
    r_net=$(ratio "$cold_net" "${NH_MEAN[stub]}")
    hot_min=$(hstat "$RAW/northd.json.hot-stub" min)
    hot_max=$(hstat "$RAW/northd.json.hot-stub" max)
    local one_poll=""
    if [[ ${NC_POLLS[real]} == "1 poll in $NORTHD_RUNS" && ${NC_POLLS[stub]} == "1 poll in $NORTHD_RUNS" ]]; then
        one_poll=$'\n  (always one: ovn-northd was already active when the agent\'s `start` returned)'
    fi
    r_real=$(ratio "${NC_MEAN[real]}" "${NH_MEAN[real]}")
    r_stub=$(ratio "${NC_MEAN[stub]}" "${NH_MEAN[stub]}")
    local northd_ver
    northd_ver=$(ovn-northd --version | head -1)

    cat >>"$REPORT" <<EOF
## ovn-northd: promote of a paused hot standby against a cold start

Time until ovn-northd reports \`Status: active\` (it holds the Southbound lock, so it is
the northd that writes), measured in the same run against the same NB and SB. Hot: a
promotable \`ocf:ovn-ocf:ovn-northd\` instance started once (ovn-northd running paused,
\`--dry-run\`, connected to both databases); each timed \`promote\` resumes it and returns
when it reports active, with a \`demote\` (pause) before every run. Cold: nothing
running; each timed run is ovn-ocf's primitive \`start\` (spawns $northd_ver and returns once
it is connected to both databases), then \`ovn-appctl status\` until active; the
agent's \`stop\` before every run.

| | hot: \`promote\`, mean ± σ (median) | cold: \`start\` + poll, mean ± σ (median) | ratio (cold / hot) |
|---|---:|---:|---:|
| as on this host: Pacemaker tools present, no cluster | $(ms "${NH_MEAN[real]}" "${NH_SD[real]}") ms ($(ms "${NH_MED[real]}")) | $(ms "${NC_MEAN[real]}" "${NC_SD[real]}") ms ($(ms "${NC_MED[real]}")) | **$r_real** |
| Pacemaker tools stubbed (\`/bin/true\`) | $(ms "${NH_MEAN[stub]}" "${NH_SD[stub]}") ms ($(ms "${NH_MED[stub]}")) | $(ms "${NC_MEAN[stub]}" "${NC_SD[stub]}") ms ($(ms "${NC_MED[stub]}")) | **$r_stub** |
| child processes of the agent's action | ${NH_KIDS[real]} | ${NC_KIDS[real]} | |

What each includes:

- Both: one exec of the agent (static binary) and its reading of pidfile and /proc; the
  agent's Pacemaker calls, which on this host (no cluster) fail fast: \`crm_attribute
  --promotion\` $(ms "$tool_crm") ms and \`attrd_updater\` $(ms "$tool_attrd") ms alone (exit $codes_crm and
  $codes_attrd, measured in this run). In a cluster they are CIB/attrd writes and cost more. The
  stubbed row puts a directory with \`crm_attribute\` and \`attrd_updater\` → \`/bin/true\`
  first in PATH: what is left is the agent and ovn-northd themselves (plus two execs of
  /bin/true).
- Hot \`promote\`: unixctl \`resume\`, then \`status\` at once and every 1 ms until active
  (the agent's own poll), the promotion score (\`crm_attribute\`) and the role attribute
  (\`attrd_updater\`). Stubbed, promote took $(ms "$hot_min")–$(ms "$hot_max") ms (the agent polls
  \`status\` every 1 ms).
- Cold: Debian's ovn-northd exec and start-up, its connections to NB and SB (the
  agent checks \`nb-connection-status\`/\`sb-connection-status\` every 10 ms until both say
  connected), the role attribute (\`attrd_updater\`), then this script's helper: bash and
  \`ovn-appctl -t ovn-northd.PID.ctl status\` in a loop until active. The helper's own share,
  bash plus one \`ovn-appctl\` against an ovn-northd that is already active, is
  $(ms "$poll_mean" "$poll_sd") ms; polls needed per timed run: ${NC_POLLS[real]} runs (real), ${NC_POLLS[stub]} runs (stub)$one_poll.
  Without the helper's share, the stubbed cold start is about $(ms "$cold_net") ms, $r_net the
  stubbed promote (a difference of means, not a measurement of its own).
- Neither includes Pacemaker's own scheduling of the action, nor ovn-northd's first
  recompute after it becomes active: \`Status: active\` only means it holds the lock.
  NB and SB here are empty; a cold ovn-northd must also download both databases
  and recompute everything, which grows with their size, while a paused one has them
  already (this run does not measure that).
- \`hyperfine -N\`, ${NORTHD_WARMUP} warm-up + ${NORTHD_RUNS} runs each; \`--prepare\` (demote or stop) is not
  timed. Databases: ovn-ocf's own \`start\` in a \`mktemp -d\` directory (\`run_dir\` there,
  northd connects over their unix sockets; TCP listeners on $ADDR:$N_NB_PORT and
  $ADDR:$N_SB_PORT, ports the kernel picked), not /var/run/ovn. Children: one call under
  \`strace -f -b execve -e trace=process\` (children are let go at their exec, so the
  daemon is not followed).

## ovn-northd: depth-0 monitor, time and child processes per call

There is no incumbent to compare with: OVN's \`ovndb-servers.ocf\` can run northd
(\`manage_northd=yes\`) only through \`ovn-ctl\` alongside the databases, and has no agent of
its own for it. These are ovn-ocf's own figures, same method as the first section
(\`hyperfine -N\`, ${OURS_WARMUP} warm-up + ${OURS_RUNS} runs; children from ${TRACE_CALLS} calls under \`strace -f\`;
\`OCF_RESKEY_CRM_meta_interval=10000\`, \`OCF_CHECK_LEVEL=0\`).

| resource, role | exit | wall time per call, mean ± σ | median | child processes per call |
|---|---:|---:|---:|---:|
| primitive, running (active) | 0 | $(ms "${NM_MEAN[primitive]}" "${NM_SD[primitive]}") ms | $(ms "${NM_MED[primitive]}") ms | ${NM_CH[primitive]} |
| promotable clone, unpromoted (paused) | 0 | $(ms "${NM_MEAN[unpromoted]}" "${NM_SD[unpromoted]}") ms | $(ms "${NM_MED[unpromoted]}") ms | ${NM_CH[unpromoted]} |
| promotable clone, promoted (active) | 8 | $(ms "${NM_MEAN[promoted]}" "${NM_SD[promoted]}") ms | $(ms "${NM_MED[promoted]}") ms | ${NM_CH[promoted]} |
| promoted, no cluster: score write fails, retried every call | 8 | $(ms "${NM_MEAN[promoted-nocluster]}" "${NM_SD[promoted-nocluster]}") ms | $(ms "${NM_MED[promoted-nocluster]}") ms | ${NM_CH[promoted-nocluster]}${NM_PROG[promoted-nocluster]:+ (${NM_PROG[promoted-nocluster]})} |

Each call reads the state file, finds ovn-northd from its pidfile and /proc and asks it
\`status\` over its control socket (one unixctl round trip). A promotable monitor
writes the promotion score only when it differs from the one last written: the first
three rows ran with the stubbed Pacemaker tools, so the score written at promote/demote
was recorded and the monitor writes nothing, as in a cluster once the write succeeded.
The last row is the same promoted resource with the real tools and no cluster: every
write fails, so every monitor tries again (one \`crm_attribute\` per call).

EOF
}

# ------------------------------------------------------------------ check and repair

BIGDB_MIB=${BIGDB_MIB:-1024}
CHECK_RUNS=${CHECK_RUNS:-5}
SHOWLOG_RUNS=${SHOWLOG_RUNS:-3}
REPAIR_RUNS=${REPAIR_RUNS:-3}
NB_SCHEMA=/usr/share/ovn/ovn-nb.ovsschema
BIGDB=""           # the generated database, kept across runs
GEN_PID=""         # the ovsdb-server writing it, while it runs
GEN_SETS=4         # Address_Set rows per transaction
GEN_ADDRS=4000     # addresses per row
REPAIR_DIR=""      # torn copy and backups, removed afterwards

# The generator: drives a real ovsdb-server over its unix socket until the database file
# reaches TARGET bytes. Each transaction deletes the previous one's Address_Set rows and
# inserts SETS new ones of ADDRS addresses (3 in 4 IPv4, 1 in 4 IPv6) and two external_ids,
# so the server's memory stays small while its file grows. Up to 3 transactions in flight.
# Prints the number of transactions committed.
GEN_PY=$(
    cat <<'PY'
import json, os, socket, sys
sock_path, db_file = sys.argv[1], sys.argv[2]
target, sets, addrs = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
s = socket.socket(socket.AF_UNIX)
s.settimeout(60)
s.connect(sock_path)
dec = json.JSONDecoder()
buf = ""
def message():
    global buf
    while True:
        b = buf.lstrip()
        if b:
            try:
                v, end = dec.raw_decode(b)
                buf = b[end:]
                return v
            except ValueError:
                pass
        chunk = s.recv(1 << 16)
        if not chunk:
            sys.exit("ovsdb-server closed the connection")
        buf += chunk.decode()
def reply():
    while True:
        m = message()
        if m.get("method") == "echo":
            s.sendall(json.dumps({"id": m["id"], "result": m["params"], "error": None}).encode())
            continue
        if m.get("error") is not None or any(r and "error" in r for r in m["result"]):
            sys.exit("transaction %s failed: %s" % (m.get("id"), json.dumps(m)[:300]))
        return
n = inflight = 0
while os.path.getsize(db_file) < target:
    ops = [{"op": "delete", "table": "Address_Set", "where": []}]
    for k in range(sets):
        b = n * sets + k
        a = ["fd%02x:%x::%x" % (b & 255, b, i) if i % 4 == 3 else
             "10.%d.%d.%d" % (((b + i) >> 16) & 255, (i >> 8) & 255, i & 255)
             for i in range(addrs)]
        ops.append({"op": "insert", "table": "Address_Set",
                    "row": {"name": "as_%d_%d" % (n, k), "addresses": ["set", a],
                            "external_ids": ["map", [["neutron:revision", str(n)],
                                                     ["owner", "bench-%d" % b]]]}})
    s.sendall(json.dumps({"id": n, "method": "transact",
                          "params": ["OVN_Northbound"] + ops}).encode())
    n += 1
    inflight += 1
    if inflight == 3:
        reply()
        inflight -= 1
while inflight:
    reply()
    inflight -= 1
print(n)
PY
)

# What the cached database was made from: a different value means generate again.
bigdb_signature() {
    printf 'generator=%s target=%s sets=%s addrs=%s server=%s schema=%s\n' \
        "$(sha1sum <<<"$GEN_PY" | cut -c1-12)" "$((BIGDB_MIB << 20))" "$GEN_SETS" "$GEN_ADDRS" \
        "$(ovsdb-server --version | head -1 | awk '{ print $NF }')" \
        "$(sha1sum "$NB_SCHEMA" | cut -c1-12)"
}

# gen_value KEY: a value from the cached database's .gen file.
gen_value() { sed -n "s/^$1=//p" "$BIGDB.gen" 2>/dev/null; }

bigdb_valid() {
    [[ -s $BIGDB && -s $BIGDB.gen ]] || return 1
    [[ $(gen_value signature) == "$(bigdb_signature)" ]] || return 1
    [[ $(stat -c %s "$BIGDB") == "$(gen_value size)" ]] || return 1
    say "verifying the cached $BIGDB"
    "$BIN" check "$BIGDB" >/dev/null 2>&1
}

# EXIT hook: the generating ovsdb-server (by pid), a partial database, the repair copies.
repair_cleanup() {
    if [[ -n $GEN_PID ]]; then
        stop_ours "$GEN_PID" "$BIGDB.partial"
        wait "$GEN_PID" 2>/dev/null || true
        GEN_PID=""
    fi
    [[ -n $BIGDB ]] && rm -f "$BIGDB.partial" "$(dirname "$BIGDB")/.$(basename "$BIGDB").partial.~lock~"
    [[ -n $REPAIR_DIR ]] && rm -rf "$REPAIR_DIR"
    return 0
}

# Writes BIGDB with Debian's ovsdb-server: ovsdb-tool create, then transactions over a
# unix socket in the temp directory (no other remote), until the file is BIGDB_MIB MiB.
generate_bigdb() {
    local partial=$BIGDB.partial dir=$TMP/gen t0 t1 txns records size
    rm -f "$BIGDB" "$BIGDB.gen" "$partial" "$(dirname "$BIGDB")/.$(basename "$BIGDB").partial.~lock~"
    mkdir -p "$dir"
    ovsdb-tool create "$partial" "$NB_SCHEMA"
    say "generating a ${BIGDB_MIB} MiB NB database: ovsdb-server on $partial, punix only"
    /usr/sbin/ovsdb-server "$partial" --remote="punix:$dir/nb.sock" --unixctl="$dir/nb.ctl" \
        --no-chdir -vconsole:off -vfile:info --log-file="$dir/ovsdb-server.log" \
        </dev/null >/dev/null 2>&1 &
    GEN_PID=$!
    t0=$(date +%s.%N)
    while [[ ! -S $dir/nb.sock ]]; do
        alive "$GEN_PID" || die "ovsdb-server exited at startup: $(tail -3 "$dir/ovsdb-server.log" 2>/dev/null)"
        (($(date +%s) - ${t0%.*} < 10)) || die "ovsdb-server did not open $dir/nb.sock within 10 s"
        sleep 0.05
    done
    t0=$(date +%s.%N)
    txns=$(timeout --foreground 900 "$PY" -c "$GEN_PY" "$dir/nb.sock" "$partial" "$((BIGDB_MIB << 20))" \
        "$GEN_SETS" "$GEN_ADDRS") || die "the generator failed (see above; server log $dir/ovsdb-server.log)"
    t1=$(date +%s.%N)
    stop_ours "$GEN_PID" "$partial"
    wait "$GEN_PID" 2>/dev/null || true
    GEN_PID=""
    rm -f "$(dirname "$BIGDB")/.$(basename "$BIGDB").partial.~lock~"
    records=$("$BIN" check --json "$partial" | jq -r 'if .verdict.kind == "clean" then .verdict.records else "damaged" end') || true
    # One record per transaction after the schema: proof the server never compacted it.
    [[ $records == "$((txns + 1))" ]] ||
        die "$partial: $records records after $txns transactions (compacted or damaged?); see $dir/ovsdb-server.log"
    size=$(stat -c %s "$partial")
    mv "$partial" "$BIGDB"
    {
        printf 'signature=%s\n' "$(bigdb_signature)"
        printf 'size=%s\nrecords=%s\ntransactions=%s\n' "$size" "$records" "$txns"
        printf 'generated=%s\nseconds=%s\n' "$(date -u '+%Y-%m-%d %H:%M UTC')" \
            "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", b - a }')"
    } >"$BIGDB.gen"
    say "generated $BIGDB: $size bytes, $records records in $(gen_value seconds) s"
}

secs() { awk -v s="$1" -v d="${2:-}" 'BEGIN { printf "%.2f", s; if (d != "") printf " ± %.2f", d }'; }
gbps() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.2f", b / s / 1e9 }'; }

# Figure 3: `ovn-ocf check` against `ovsdb-tool show-log` on a ~1 GiB database of real
# transactions, and `ovn-ocf repair` of a torn copy.
section_repair() {
    local avail need cached=0 reused size records txns
    BIGDB=$RAW/nb-${BIGDB_MIB}m.db
    REPAIR_DIR=$RAW/repair-work
    CLEANUP_HOOKS+=(repair_cleanup)
    rm -rf "$REPAIR_DIR"
    if bigdb_valid; then cached=1; fi
    # Room: a torn copy, its backup and the repaired temp file (3×), plus the database
    # itself if it must be generated, plus 512 MiB.
    avail=$(df -B1 --output=avail "$RAW" | tail -1 | tr -dc '0-9')
    need=$(((BIGDB_MIB << 20) * (cached ? 3 : 4) + (512 << 20)))
    if ((avail < need)); then
        say "SKIPPING check/repair: $((avail >> 20)) MiB free on $(df --output=target "$RAW" | tail -1), need $((need >> 20)) MiB"
        cat >>"$REPORT" <<EOF
## Verifying and repairing a ${BIGDB_MIB} MiB standalone database

**Skipped in this run**: $((avail >> 20)) MiB free on the file system of \`target/bench/\`,
$((need >> 20)) MiB needed (the database$( ((cached)) && printf ' is cached;' || printf ',') a torn copy, its backup and the repaired temp file).

EOF
        return 0
    fi
    if ((cached)); then
        reused="reused from an earlier run (generated $(gen_value generated) in $(gen_value seconds) s)"
        say "reusing $BIGDB"
    else
        generate_bigdb
        reused="generated in this run, in $(gen_value seconds) s"
    fi
    size=$(gen_value size) records=$(gen_value records) txns=$(gen_value transactions)

    # --- check vs show-log, page cache warm for both.
    say "warming the page cache: reading $BIGDB"
    cat "$BIGDB" >/dev/null
    local j=$RAW/repair.json
    say "timing ovn-ocf check: ${CHECK_RUNS} runs; ovsdb-tool show-log: ${SHOWLOG_RUNS} runs"
    timeout 600 hyperfine -N --style basic --export-json "$j.check" --warmup 1 --runs "$CHECK_RUNS" \
        -n "ovn-ocf check" "$BIN check $BIGDB" >&2
    timeout 900 hyperfine -N --style basic --export-json "$j.showlog" --warmup 0 --runs "$SHOWLOG_RUNS" \
        -n "ovsdb-tool show-log" "ovsdb-tool show-log $BIGDB" >&2
    # Reference floors: SHA-1 alone (OpenSSL, same hardware instructions) and reading.
    timeout 600 hyperfine -N --style basic --export-json "$j.sha1" --warmup 1 --runs "$CHECK_RUNS" \
        -n "openssl sha1" "openssl sha1 $BIGDB" >&2
    timeout 600 hyperfine -N --style basic --export-json "$j.read" --warmup 1 --runs "$CHECK_RUNS" \
        -n "dd" "dd if=$BIGDB of=/dev/null bs=4M" >&2
    local c_mean c_sd s_mean s_sd c_gb s_gb r g_speed g_ratio sha_mean read_mean
    c_mean=$(hstat "$j.check" mean) c_sd=$(hstat "$j.check" stddev)
    s_mean=$(hstat "$j.showlog" mean) s_sd=$(hstat "$j.showlog" stddev)
    sha_mean=$(hstat "$j.sha1" mean) read_mean=$(hstat "$j.read" mean)
    c_gb=$(gbps "$size" "$c_mean") s_gb=$(gbps "$size" "$s_mean")
    r=$(ratio "$s_mean" "$c_mean")
    g_speed=$(awk -v g="$c_gb" 'BEGIN { print (g >= 1 ? "met" : "NOT met") }')
    g_ratio=$(awk -v s="$s_mean" -v c="$c_mean" 'BEGIN { print (s >= 10 * c ? "met" : "NOT met") }')

    # --- repair of a torn copy: the last record cut in half.
    local work=$REPAIR_DIR/ovnnb_db.db bdir=$REPAIR_DIR/backups prep=$TMP/repair-prepare
    local tail_len=$((16 << 20)) off last torn kind
    ((tail_len < size)) || tail_len=$size
    off=$(tail -c "$tail_len" "$BIGDB" | grep -abo '^OVSDB JSON ' | tail -1 | cut -d: -f1)
    [[ $off =~ ^[0-9]+$ ]] || die "cannot find the last record header of $BIGDB"
    last=$((size - tail_len + off))
    torn=$((last + (size - last) / 2))
    mkdir -p "$REPAIR_DIR"
    cat >"$prep" <<EOF
#!/bin/bash
# Written by ocf-tests/bench/run.sh: a fresh torn copy before each timed repair.
set -euo pipefail
rm -rf '$bdir' '$work'
cp '$BIGDB' '$work'
truncate -s $torn '$work'
sync '$work'
EOF
    chmod +x "$prep"
    "$prep"
    kind=$("$BIN" check --json "$work" | jq -r .verdict.kind) || true
    [[ $kind == torn-tail ]] || die "$work: expected a torn tail after truncating to $torn bytes, found $kind"
    say "timing ovn-ocf repair of a torn ${BIGDB_MIB} MiB copy: ${REPAIR_RUNS} runs"
    timeout 900 hyperfine -N --style basic --export-json "$j.repair" --runs "$REPAIR_RUNS" \
        --prepare "$prep" -n "ovn-ocf repair" \
        "$BIN repair $work --backup-dir $bdir --schema $NB_SCHEMA" >&2
    # What the last run did: cut the torn record, kept the rest, verified.
    local rep outcome kept dropped after
    rep=$(find "$bdir" -name '*.report.json' | head -1)
    outcome=$(jq -r '.outcome' "$rep")
    kept=$(jq -r '.steps[0].records' "$rep")
    dropped=$(jq -r '.steps[0].dropped' "$rep")
    after=$("$BIN" check --json "$work" | jq -r 'if .verdict.kind == "clean" then .verdict.records else "damaged" end') || true
    [[ $outcome == cut && $kept == "$((records - 1))" && $after == "$((records - 1))" ]] ||
        die "repair did not do what was expected: outcome $outcome, kept $kept, file now $after records (want cut, $((records - 1)))"
    # One more run under strace -T, for where the time goes (not one of the timed runs).
    "$prep"
    local tlog=$RAW/repair.strace t0 t1
    t0=$(date +%s.%N)
    timeout -k 5 900 "$STRACE" -f -T -qq -o "$tlog" \
        -e trace=read,copy_file_range,fsync,fdatasync,rename,renameat,renameat2 \
        "$BIN" repair "$work" --backup-dir "$bdir" --schema "$NB_SCHEMA" >/dev/null
    t1=$(date +%s.%N)
    local -A T=()
    local k v read_bytes
    while read -r k v; do T[$k]=$v; done < <(awk '
        $2 ~ /^[a-z_0-9]+\(/ && $NF ~ /^<[0-9.]+>$/ {
            n = $2; sub(/\(.*/, "", n); sub(/^rename.*/, "rename", n)
            t = $NF; gsub(/[<>]/, "", t); s[n] += t
        }
        END { for (n in s) print n, s[n] }' "$tlog")
    read_bytes=$(awk '$2 ~ /^read\(/ && $(NF - 1) ~ /^[0-9]+$/ { b += $(NF - 1) } END { printf "%.0f", b }' "$tlog")
    local t_total t_rest
    t_total=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    t_rest=$(awk -v t="$t_total" -v r="${T[read]:-0}" -v c="${T[copy_file_range]:-0}" \
        -v f="${T[fsync]:-0}" -v d="${T[fdatasync]:-0}" -v n="${T[rename]:-0}" \
        'BEGIN { print t - r - c - f - d - n }')
    rm -rf "$REPAIR_DIR"

    local rp_mean rp_sd rp_min rp_max
    rp_mean=$(hstat "$j.repair" mean) rp_sd=$(hstat "$j.repair" stddev)
    rp_min=$(hstat "$j.repair" min) rp_max=$(hstat "$j.repair" max)
    cat >>"$REPORT" <<EOF
## Verifying and repairing a ${BIGDB_MIB} MiB standalone database

The database: $(awk -v b="$size" 'BEGIN { printf "%.2f GB (%.0f MiB)", b / 1e9, b / 1048576 }'), $records records ($txns transactions after the schema,
$(awk -v b="$size" -v n="$records" 'BEGIN { printf "%.0f", b / n / 1000 }') kB each on average), written by Debian's ovsdb-server itself: \`ovsdb-tool create\`
with the installed NB schema, then the server with a single \`punix:\` remote in the temp
directory, fed by a small python3 client. Each transaction deletes the previous one's
${GEN_SETS} \`Address_Set\` rows and inserts ${GEN_SETS} new ones of ${GEN_ADDRS} addresses each (3 in 4 IPv4, 1 in 4
IPv6) with two \`external_ids\`; up to 3 transactions in flight. One record per
transaction shows the server never compacted it. Kept in
\`target/bench/$(basename "$BIGDB")\` for later runs: $reused.

| command (page cache warm) | wall time, mean ± σ | throughput |
|---|---:|---:|
| \`ovn-ocf check FILE\` | $(secs "$c_mean" "$c_sd") s | **$c_gb GB/s** |
| \`ovsdb-tool show-log FILE\` (output to /dev/null) | $(secs "$s_mean" "$s_sd") s | $s_gb GB/s |
| ratio (show-log / check) | | **$r** |
| reference: \`openssl sha1 FILE\` (SHA-1 alone) | $(secs "$sha_mean") s | $(gbps "$size" "$sha_mean") GB/s |
| reference: \`dd if=FILE of=/dev/null bs=4M\` (reading alone) | $(secs "$read_mean") s | $(gbps "$size" "$read_mean") GB/s |

Targets: \`ovn-ocf check\` at least 1 GB/s **$g_speed**; at least 10× \`ovsdb-tool show-log\`
**$g_ratio**. GB is 10⁹ bytes; throughput is the file size over the mean wall time, process
start included. \`check\` verifies every record's length and SHA-1 in one streaming pass
(4 MiB buffer); \`show-log\` parses every record's JSON, which is why it is slower. The two
reference rows bound what a verifier can do here: \`check\` took
$(awk -v c="$c_mean" -v s="$sha_mean" 'BEGIN { printf "%.2f", c / s }')× the time OpenSSL's SHA-1 needs for the same bytes, and reading them
from the page cache is a small share of either, so hashing is where its time goes.
Records here are large (tens of kB); a database of small records would add per-record
work (one header parse, one SHA-1 finalisation each) that this file does not exercise.
\`hyperfine -N\`: check ${CHECK_RUNS} runs after 1 warm-up, show-log ${SHOWLOG_RUNS} runs (the file was read
once with \`cat\` before, and by every check run), the references ${CHECK_RUNS} runs each;
every run exited 0.

**Repair** of the same file with a torn tail (its last record cut in half, as a crash
mid-write would leave it; $((size - torn)) bytes missing): \`ovn-ocf repair FILE --backup-dir D
--schema ovn-nb.ovsschema\` took **$(secs "$rp_mean" "$rp_sd") s** (min $(secs "$rp_min"), max $(secs "$rp_max"); ${REPAIR_RUNS} runs). Each run:
reads and verifies the whole file (finds the torn record), copies it byte for byte into
the backup directory, fsyncs and renames the copy, compares it with the original byte for
byte (hashing the backup in the same pass), copies the intact prefix ($kept records, $dropped bytes dropped) to a temp file,
fsyncs it, verifies it again, renames it over the database and fsyncs the directory,
then writes its JSON report. The last run's report said \`$outcome\` and the file checked
clean afterwards. Before each run (not timed) a fresh torn copy was made from the
database and fsynced, and the previous backup removed; the torn copy and backups were
deleted at the end.

Where the time goes, from one more run under \`strace -f -T\` ($(secs "$t_total") s including
strace's own overhead; syscall times summed):

| | seconds |
|---|---:|
| \`read\` ($(awk -v b="$read_bytes" -v s="$size" 'BEGIN { printf "%.1f", b / s }')× the file size read from the page cache) | $(secs "${T[read]:-0}") |
| \`copy_file_range\` (the backup and the kept prefix, copied in the kernel) | $(secs "${T[copy_file_range]:-0}") |
| \`fsync\`/\`fdatasync\` (backup, repaired file, directories) | $(secs "$(awk -v a="${T[fsync]:-0}" -v b="${T[fdatasync]:-0}" 'BEGIN { print a + b }')") |
| \`rename\` (over the torn file: freeing its blocks) | $(secs "${T[rename]:-0}") |
| the rest: user time (mostly SHA-1 of what was read) and strace's overhead | $(secs "$t_rest") |

The copies and fsyncs depend on this machine's disk and its page-cache writeback, hence
the spread between runs.

EOF
}

# ------------------------------------------------------------------ main

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
    if ! [[ $BIGDB_MIB =~ ^[0-9]+$ ]] || ((BIGDB_MIB < 16)); then
        die "BIGDB_MIB=$BIGDB_MIB: need an integer >= 16"
    fi
    if ! [[ ${FAILOVER_RUNS:-3} =~ ^[0-9]+$ ]] || ((${FAILOVER_RUNS:-3} < 1)); then
        die "FAILOVER_RUNS=$FAILOVER_RUNS: need an integer >= 1"
    fi
}

# Failover after kill -9 and power-off in the namespace cluster, both agents: failover.sh
# brings up (and tears down, on every exit) one cluster per agent and appends its section.
section_failover() {
    say "failover: namespace cluster, ovn-ocf then ovndb-servers.ocf, ${FAILOVER_RUNS:-3} runs per trigger"
    OVN_OCF_BIN=$BIN "$REPO/ocf-tests/bench/failover.sh" --report "$REPORT" --raw "$RAW" >&2 ||
        die "failover figure failed (cluster logs in $RAW/failover-logs-*)"
}

main() {
    check_knobs
    [[ $(id -u) == 0 ]] || die "run as root: the servers use $RUN_DIR, the incumbent's only run directory"
    install_deps
    [[ -r $INCUMBENT ]] || die "$INCUMBENT not found (package ovn-central)"
    build
    refuse_if_busy

    TMP=$(mktemp -d /tmp/ovn-ocf-bench.XXXXXX)
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mkdir -p "$RAW"
    rm -f "$RAW"/*.strace "$RAW"/*.json.*
    ln -s "$BIN" "$TMP/ovsdb-server"
    OURS="$TMP/ovsdb-server"
    REPORT="$TMP/BENCHMARKS.md"

    start_servers
    check_rcs

    : >"$REPORT"
    section_header
    section_monitor
    section_northd
    section_repair
    section_failover
    # `make soak`'s section (ocf-tests/cluster/soak.sh --benchmarks) is not measured here:
    # carry it over from the current BENCHMARKS.md as it is, markers included.
    if [[ -f $OUT ]] && grep -qxF '<!-- BEGIN soak -->' "$OUT" && grep -qxF '<!-- END soak -->' "$OUT"; then
        sed -n '/^<!-- BEGIN soak -->$/,/^<!-- END soak -->$/p' "$OUT" >>"$REPORT"
    fi

    mv "$REPORT" "$OUT.tmp.$$"
    mv "$OUT.tmp.$$" "$OUT"
    say "wrote $OUT"
}

main "$@"

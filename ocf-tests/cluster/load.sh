#!/bin/bash
# No false failover under load (issue 14 item 3): README's shape A in the namespace
# cluster, with its recommended monitor settings (interval 1 s, timeout 10 s), under
# LOAD_CONTROLLERS simulated ovn-controllers (loadgen.py: monitor_cond on the SB through
# the VIP) and bursts of NB changes (logical switches and ports created and deleted, so
# that ovn-northd recomputes and the SB pushes to every monitor), plus writer.py's SB
# writer, for LOAD_MINUTES. Passes if nothing failed over: no failed action, the group on
# the same node, the same NB, SB and ovn-northd processes, every acknowledged write in the
# SB, every controller connected, no node fenced (the standby included) and both online.
# Figures (printed, never asserted): ovsdb-server and ovn-northd CPU % over time (from
# /proc inside the node), monitor answers the agent logged as late (busy, not hung) and
# their durations, writer acks, the load generator's counters, Corosync's warnings that
# a token was late. OVNOCF_TOKEN (cluster.sh) sets Corosync's token: the load is what
# tells whether a shorter one mistakes a busy node for a lost one.
#
#   ocf-tests/cluster/load.sh [--report FILE] [--benchmarks PATH]
#
#   --report FILE      also write the figures as a markdown section ("## Load") to FILE
#   --benchmarks PATH  after a run that passed, put that section into PATH between the
#                      lines <!-- BEGIN load --> and <!-- END load --> (appended when absent)
#
#   LOAD_MINUTES=5         how long the load runs (LOAD_SECONDS, if set, wins: make test's
#                          short run)
#   LOAD_CONTROLLERS=200   simulated ovn-controllers
#   LOAD_SWITCHES=20 LOAD_PORTS=50 LOAD_BURST_EVERY=1
#                          an NB burst every LOAD_BURST_EVERY s: LOAD_SWITCHES switches of
#                          LOAD_PORTS ports created, the next burst deletes them
#   LOAD_SAMPLE=5          seconds between CPU samples
#
# Environment of cluster.sh applies (OVNOCF_CLUSTER, OVN_OCF_BIN, ...). Teardown on every
# exit: the load generator and the writer by PID, then `cluster.sh down` (logs kept in
# target/load-logs/<timestamp> when the run fails).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

COMMAND=
for v in LOAD_MINUTES LOAD_SECONDS LOAD_CONTROLLERS LOAD_SWITCHES LOAD_PORTS LOAD_BURST_EVERY OVNOCF_CLUSTER OVNOCF_TOKEN OVNOCF_CONSENSUS; do
    [ -z "${!v:-}" ] || COMMAND+="$v=$(printf %q "${!v}") "
done
COMMAND+=$(printf '%q ' "$0" "$@")
COMMAND=${COMMAND% }

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
REPORT=
BENCH=
while [ $# -gt 0 ]; do
    case $1 in
    --report) [ $# -ge 2 ] || usage; REPORT=$2; shift 2 ;;
    --benchmarks) [ $# -ge 2 ] || usage; BENCH=$2; shift 2 ;;
    *) usage ;;
    esac
done

SECONDS_RUN=${LOAD_SECONDS:-$((${LOAD_MINUTES:-5} * 60))}
CONTROLLERS=${LOAD_CONTROLLERS:-200}
SAMPLE=${LOAD_SAMPLE:-5}
for v in SECONDS_RUN CONTROLLERS SAMPLE; do
    [[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "load: $v=${!v}: need an integer >= 1" >&2; exit 2; }
done
[ "$SECONDS_RUN" -le 3600 ] || { echo "load: at most 3600 s" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "load: must run as root" >&2; exit 2; }

SHAPE=A
SAY=load
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
WORK=$(mktemp -d /var/tmp/ovn-ocf-load.XXXXXX)
chmod 777 "$WORK"
LOGS=$REPO/target/load-logs/$(date +%Y%m%dT%H%M%S)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

CLUSTER_UP=0
LG_WRAP=
WHY=
NODE=

load_finish() {
    [ -z "$LG_WRAP" ] || { kill "$LG_WRAP" 2>/dev/null; wait "$LG_WRAP" 2>/dev/null; }
    lg_stop
    writer_stop
    [ "$RC" = 0 ] || [ -n "$WHY" ] || WHY="interrupted (exit $RC)"
    if [ "$CLUSTER_UP" = 1 ]; then
        if [ -n "$WHY" ]; then
            "$C" status >&2
            "$C" down --save-logs "$LOGS" || true
            cp "$WORK"/*.tsv "$WORK"/*.json "$WORK"/acks.log* "$LOGS/" 2>/dev/null
            say "logs in $LOGS"
        else
            "$C" down || WHY="cluster down incomplete"
        fi
    fi
    if [ -z "$WHY" ]; then
        report >"$WORK/section.md"
        cat "$WORK/section.md" >&2
        [ -z "$REPORT" ] || { cp "$WORK/section.md" "$REPORT"; say "report written to $REPORT"; }
        [ -z "$BENCH" ] || benchmarks_section load "$WORK/section.md" "$BENCH"
        RC=0
        say "PASS: no false failover under load"
    else
        say "FAIL: $WHY"
        RC=1
    fi
    rm -rf "$WORK"
}
# The closing line "load: N passed, M failed" (one test: its exit status is the result).
tally_at_exit --one
at_exit load_finish

# The load generator's python process, by the pid it wrote (in the client netns).
lg_stop() {
    local pid
    pid=$(cat "$WORK/loadgen.pid" 2>/dev/null) || return 0
    [ -n "$pid" ] && grep -q loadgen.py "/proc/$pid/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null
    rm -f "$WORK/loadgen.pid"
}

# --------------------------------------------------------------------------- sampling

# "sb nb northd sbwait": utime+stime ticks (10 ms) of the three processes on NODE, and the
# SB's time spent waiting for a CPU while runnable (/proc/PID/schedstat, in 10 ms); "-" for
# one gone.
ticks() {
    local p out=()
    for p in "$SB_PID" "$NB_PID" "$NORTHD_PID"; do
        out+=("$("$C" exec "$NODE" cat "/proc/$p/stat" 2>/dev/null |
            awk '{ sub(/.*\) /, ""); print $12 + $13 }')")
        [ -n "${out[-1]}" ] || out[-1]=-
    done
    out+=("$("$C" exec "$NODE" cat "/proc/$SB_PID/schedstat" 2>/dev/null | awk '{ printf "%.0f", $2 / 1e7 }')")
    [ -n "${out[-1]}" ] || out[-1]=-
    echo "${out[*]}"
}

# One line of samples.tsv: seconds since the load began, CPU % of SB, NB, northd over the
# last interval, where the group runs, failed actions so far.
sample_loop() {
    local t_prev t_now prev cur where nfail
    t_prev=$EPOCHREALTIME
    prev=$(ticks)
    while kill -0 "$LG_WRAP" 2>/dev/null; do
        sleep "$SAMPLE"
        t_now=$EPOCHREALTIME
        cur=$(ticks)
        where=$(crm where ovn-sb 2>/dev/null | tr '\n' ',' | sed 's/,$//') || true
        nfail=$(crm failures 2>/dev/null | grep -c . || true)
        awk -v t0="$T_LOAD" -v a="$t_prev" -v b="$t_now" -v p="$prev" -v c="$cur" -v w="${where:-none}" -v f="$nfail" '
            BEGIN { split(p, P, " "); split(c, Q, " "); printf "%.0f", b - t0
                    for (i = 1; i <= 3; i++)
                        if (P[i] == "-" || Q[i] == "-") printf "\tgone"; else printf "\t%.0f", (Q[i] - P[i]) / (b - a)
                    printf "\t%s\t%s", w, f
                    if (P[4] == "-" || Q[4] == "-") printf "\tgone\n"; else printf "\t%.0f\n", (Q[4] - P[4]) / (b - a) }' >>"$WORK/samples.tsv"
        tail -n 1 "$WORK/samples.tsv" | awk -F'\t' '{ printf "t=%ss SB %s%% (+%s%% waiting for a CPU) NB %s%% northd %s%% on %s, failed actions %s\n", $1, $2, $7, $3, $4, $5, $6 }' |
            while read -r l; do say "$l"; done
        t_prev=$t_now prev=$cur
    done
}

# ------------------------------------------------------------------------------ report

stats() {
    sort -g | awk '{ v[NR] = $1 } END { if (!NR) { print "- - - -"; exit }
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        p = v[int(NR * 0.9 + 0.999)]; printf "%.0f %.0f %.0f %.0f\n", v[1], m, p, v[NR] }'
}

report() {
    local lg sb_cpu
    lg=$WORK/loadgen.json
    read -r SB_MIN SB_MED SB_P90 SB_MAX < <(cut -f2 "$WORK/samples.tsv" | grep -v gone | stats)
    read -r NB_MIN NB_MED _ NB_MAX < <(cut -f3 "$WORK/samples.tsv" | grep -v gone | stats)
    read -r ND_MIN ND_MED _ ND_MAX < <(cut -f4 "$WORK/samples.tsv" | grep -v gone | stats)
    read -r RQ_MIN RQ_MED _ RQ_MAX < <(awk -F'\t' '$2 != "gone" && $7 != "gone" { print $2 + $7 }' "$WORK/samples.tsv" | stats)
    sb_cpu=$(awk -F'\t' '{ printf "%s%s+%s", (NR > 1 ? " " : ""), $2, $7 }' "$WORK/samples.tsv")
    j() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get(sys.argv[2], "?"))' "$lg" "$1"; }
    cat <<EOF
## Load: no false failover

$DATE. README's shape A in the namespace cluster (2 nodes), the recommended monitor
settings (\`op monitor interval=1s timeout=10s\`), $CONTROLLERS simulated ovn-controllers and NB
bursts for $SECONDS_RUN s, plus the SB writer, all through the VIP from the client netns:

    $COMMAND

Each controller (\`ocf-tests/cluster/loadgen.py\`) registers its Chassis, then holds a
\`monitor_cond\` on SB_Global, Chassis, Encap, Datapath_Binding, Port_Binding,
Logical_Flow and MAC_Binding (half of them with conditions, half everything). Every
${LOAD_BURST_EVERY:-1} s an NB burst creates ${LOAD_SWITCHES:-20} logical switches of ${LOAD_PORTS:-50} ports (one transaction each), the next
deletes them: ovn-northd recomputes and the SB pushes the change to every monitor.

| | |
|---|---|
| failed actions (crm_mon) | $N_FAILED |
| failovers (group placement changes) | $N_MOVES |
| NB / SB / ovn-northd restarted (pid changed) | $PID_CHANGES |
| SB ovsdb-server CPU % ($SAMPLE s samples: min / median / p90 / max) | $SB_MIN / $SB_MED / $SB_P90 / $SB_MAX |
| SB ovsdb-server runnable % (ran + waited for a CPU: min / median / max) | $RQ_MIN / $RQ_MED / $RQ_MAX |
| NB ovsdb-server CPU % (min / median / max) | $NB_MIN / $NB_MED / $NB_MAX |
| ovn-northd CPU % (min / median / max) | $ND_MIN / $ND_MED / $ND_MAX |
| SB monitors answered late (> 0.5 s; the agent logs each, the others took less) | $LATE_N (durations $LATE_STATS s) |
| SB monitors still unanswered at the 9 s deadline, found busy (running, not hung) | $BUSY_N |
| NB monitors answered late / unanswered but busy | $NB_LATE_N / $NB_BUSY_N |
| controllers connected (peak / at the end) | $(j peak_connected) / $(j connected_at_end) of $CONTROLLERS |
| connections closed by the server / reconnects | $(j closed_by_server) / $(j reconnects) |
| SB bytes pushed to the controllers | $(j sb_bytes) |
| NB bursts, NB transactions acked / failed | $(j bursts), $(j nb_acked) / $(j nb_failed) |
| writer: acknowledged SB writes, all in the SB afterwards | $ACKS |
| Corosync token $TOKEN_MS ms, consensus $CONSENSUS_MS ms: nodes fenced / online at the end | $FENCED / $ONLINE of 2 |
| Corosync "Token has not been received" warnings (at 75 % of the token; node1 + node2) | $TOKEN_WARN |

SB ovsdb-server per $SAMPLE s sample, CPU % + % of the time it was runnable but waited for a
CPU (100 % = one core; the machine has $(nproc), shared with other work):
$sb_cpu

EOF
}

# ------------------------------------------------------------------------------- run

say "cluster ${OVNOCF_CLUSTER:-default}: up, shape A"
CLUSTER_UP=1   # down cleans a half-built cluster too
"$C" up >&2
"$C" shape A >&2
NODE=$(settle --standby) || { WHY="shape A did not settle"; exit 1; }
writer_start || { WHY="writer did not start"; exit 1; }
if ! { SB_PID=$(db_pid "$NODE" sb) && NB_PID=$(db_pid "$NODE" nb) && NORTHD_PID=$(db_pid "$NODE" northd); }; then
    WHY="daemons not found on $NODE"
    exit 1
fi
LOG_MARK=$(node_size "$NODE" "$PCMK_LOG")
say "everything on $NODE: SB pid $SB_PID, NB pid $NB_PID, ovn-northd pid $NORTHD_PID"

: >"$WORK/samples.tsv"
T_LOAD=$EPOCHREALTIME
say "load: $CONTROLLERS controllers, NB bursts, $SECONDS_RUN s"
# shellcheck disable=SC2016 # expanded by that sh
"$C" client sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$WORK/loadgen.pid" \
    python3 "$HERE/loadgen.py" run "$WORK/loadgen.json" --controllers "$CONTROLLERS" \
    --seconds "$SECONDS_RUN" --switches "${LOAD_SWITCHES:-20}" --ports "${LOAD_PORTS:-50}" \
    --burst-every "${LOAD_BURST_EVERY:-1}" >"$WORK/loadgen.out" 2>&1 </dev/null &
LG_WRAP=$!
sample_loop
wait "$LG_WRAP" || { WHY="loadgen.py failed: $(tail -3 "$WORK/loadgen.out" | tr '\n' ' ')"; LG_WRAP=; exit 1; }
LG_WRAP=
say "load over after $(since "$T_LOAD") s: $(cat "$WORK/loadgen.json")"

# ------------------------------------------------------------------------------ checks

writer_stop
ack_check || WHY="acknowledged SB writes lost"
FAILED_ACTIONS=$(crm failures || true)
N_FAILED=$(grep -c . <<<"$FAILED_ACTIONS" || true)
[ "$N_FAILED" = 0 ] || WHY="failed actions: $(tr '\n' ';' <<<"$FAILED_ACTIONS")"
N_MOVES=$(awk -F'\t' -v n="$NODE" '$5 != n' "$WORK/samples.tsv" | grep -c . || true)
[ "$N_MOVES" = 0 ] || WHY="the group left $NODE in $N_MOVES samples"
PID_CHANGES=0
[ "$(db_pid "$NODE" sb 2>/dev/null)" = "$SB_PID" ] || { PID_CHANGES=$((PID_CHANGES + 1)); WHY="SB restarted"; }
[ "$(db_pid "$NODE" nb 2>/dev/null)" = "$NB_PID" ] || { PID_CHANGES=$((PID_CHANGES + 1)); WHY="NB restarted"; }
[ "$(db_pid "$NODE" northd 2>/dev/null)" = "$NORTHD_PID" ] || { PID_CHANGES=$((PID_CHANGES + 1)); WHY="ovn-northd restarted"; }
# A node Corosync took for lost under the load is fenced even when it is the standby (the
# group stays where it is): nothing may have been fenced, both nodes online at the end.
ONLINE=$(crm online || echo 0)
[ "$ONLINE" = 2 ] || WHY="$ONLINE of 2 nodes online after the load"
# stonith_admin ends its history with "N event(s) found" ("0 events found" when none):
# without that line the check has not run, and says so.
HISTORY=$("$C" exec "$NODE" stonith_admin --history '*' 2>&1) || WHY="stonith_admin --history failed: $(tr '\n' ' ' <<<"$HISTORY")"
FENCED=$(sed -n 's/^\([0-9][0-9]*\) events\{0,1\} found$/\1/p' <<<"$HISTORY")
if [ -z "$FENCED" ]; then
    FENCED="?"
    WHY="no fencing history from stonith_admin: $(tr '\n' ' ' <<<"$HISTORY")"
elif [ "$FENCED" != 0 ]; then
    WHY="$FENCED fencing event(s) during the load: $(tr '\n' ' ' <<<"$HISTORY")"
fi
# The token and consensus Corosync runs with (not cluster.sh's defaults copied here).
cmap() { "$C" exec "$NODE" corosync-cmapctl -g "runtime.config.totem.$1" 2>/dev/null | awk '{ print $NF }'; }
TOKEN_MS=$(cmap token)
CONSENSUS_MS=$(cmap consensus)
[ -n "$TOKEN_MS" ] && [ -n "$CONSENSUS_MS" ] || WHY="corosync-cmapctl: no totem token or consensus on $NODE"
# How close Corosync came to losing a node (printed, not asserted): it warns once 75 % of
# the token has passed without one. Each node's log is its own, fresh at `up`.
TOKEN_WARN=0
for n in node1 node2; do
    w=$("$C" exec "$n" grep -c 'Token has not been received' /var/log/corosync/corosync.log 2>/dev/null || true)
    TOKEN_WARN=$((TOKEN_WARN + ${w:-0}))
done
PEAK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["peak_connected"])' "$WORK/loadgen.json")
[ "$PEAK" = "$CONTROLLERS" ] || WHY="only $PEAK of $CONTROLLERS controllers connected"

# What the agent logged about late answers (pacemaker.log: execd copies its stderr).
node_since "$NODE" "$PCMK_LOG" "$LOG_MARK" >"$WORK/pcmk.log" || true
# LATE PID: the durations of PID's late answers, one a line.
late() { grep -o "ovsdb-server pid $1 answered its control socket late, after [0-9.]* s" "$WORK/pcmk.log" | awk '{ print $(NF - 1) }'; }
LATE_N=$(late "$SB_PID" | grep -c . || true)
LATE_STATS=$(late "$SB_PID" | sort -g | awk '{ v[NR] = $1 } END { if (!NR) print "-"; else printf "min %s, median %s, max %s", v[1], v[int((NR + 1) / 2)], v[NR] }')
NB_LATE_N=$(late "$NB_PID" | grep -c . || true)
BUSY_N=$(grep -c "ovsdb-server pid $SB_PID has not answered .* but is busy" "$WORK/pcmk.log" || true)
NB_BUSY_N=$(grep -c "ovsdb-server pid $NB_PID has not answered .* but is busy" "$WORK/pcmk.log" || true)
say "failed actions $N_FAILED, moves $N_MOVES, restarts $PID_CHANGES, late monitors $LATE_N ($LATE_STATS), busy at deadline $BUSY_N, fenced $FENCED, token warnings $TOKEN_WARN (token $TOKEN_MS ms, consensus $CONSENSUS_MS ms)"
[ -z "$WHY" ] || exit 1

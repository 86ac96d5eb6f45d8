#!/bin/bash
# Soak: many failovers in a row in one namespace cluster, with a background SB writer
# through the VIP all along whose every acknowledged transaction must survive.
#
#   ocf-tests/cluster/soak.sh [--report FILE] [--benchmarks PATH]
#   ocf-tests/cluster/soak.sh --benchmarks PATH --from FILE    (no soak: insert FILE)
#
# One cluster (`cluster.sh up`, README's shape verbatim, writer.py's writer), then SOAK_N
# failovers cycling through four triggers, each from "everything on one node, the other a
# standby" back to the same (the services do not move back). In groups of four, two orders
# in turn, so that every trigger hits both nodes (fence-off and standby move the services
# to the other node): from node X, kill-sb@X fence-off(X→Y) sigstop-sb@Y standby(Y→X),
# then sigstop-sb@X standby(X→Y) kill-sb@Y fence-off(Y→X), and again.
#   kill-sb     kill -9 of the serving SB ovsdb-server (its watcher reports the death,
#               Pacemaker recovers it);
#   sigstop-sb  SIGSTOP of it (the monitor fails on the stopped process, stop ends it);
#   fence-off   power-off of the active node through the fence agent (`stonith_admin
#               --fence` on the other node: a power cut); then it is powered on again and
#               the soak waits until it is back online;
#   standby     `pcs node standby` of the active node, then unstandby.
# And, only when named in SOAK_KINDS:
#   kill-nb     kill -9 of the serving NB ovsdb-server;
#   kill-northd kill -9 of the active ovn-northd.
# Failover time, as scenarios.sh measures it: kill-sb, sigstop-sb, kill-nb: trigger → an
# SB (NB) transaction (a read, writer.py recovered) through the VIP succeeds after failing;
# kill-northd: trigger → a logical switch created in the NB after it has its
# Datapath_Binding in the SB;
# fence-off, standby: trigger → the writer's first acknowledged SB transaction on a
# connection opened after the trigger (after the power-off for fence-off).
# After every failover: the acknowledged transactions are counted in the SB through the
# VIP (a lost one is reported, the soak goes on and fails at the end); every failed
# action crm_mon lists is recorded (by trigger kind, with its exit reason; expected: after
# kill-sb ovn-sb's asyncmon, the watcher's report (kill-nb: ovn-nb's, kill-northd:
# ovn-northd's), after sigstop-sb ovn-sb's failed monitor), then cleared with
# `pcs resource cleanup`. A failover that does not happen within SOAK_LIMIT s (the
# service answering through the VIP, then everything Started/Promoted on one node) fails
# the soak; the cluster is then restored (power on, unstandby, cleanup) and the soak goes
# on, or stops if even that fails.
#
# Prints one "SOAK round" line per failover and a summary: acknowledged vs present
# transactions, failover time min/median/max per trigger kind and overall, failed actions
# by kind with their exit reasons, total time. Times are printed, never asserted. Exit 1
# if any acknowledged transaction was lost or a failover did not happen within its limit.
#
#   --report FILE      also write the summary as a markdown section ("## Soak") to FILE
#   --benchmarks PATH  after a soak that passed, put that section into PATH between the
#                      lines <!-- BEGIN soak --> and <!-- END soak --> (replacing what is
#                      there; both markers are appended at the end when absent); with
#                      another SOAK_SHAPE than A or with SOAK_KINDS, a section of its
#                      own: "soak", "-shape-b" for shape B, "-" and the kinds joined by
#                      "-" (e.g. soak-shape-b-kill-sb)
#   --from FILE        with --benchmarks: no soak, insert FILE (a --report of an earlier one)
#
#   SOAK_N=50          failovers
#   SOAK_SHAPE=A       README's shape A (group) or B (promotable clones)
#   SOAK_KINDS=        only these triggers (space-separated, from kill-sb sigstop-sb
#                      fence-off standby kill-nb kill-northd), round after round in that
#                      order, instead of the two orders above: e.g. SOAK_KINDS=kill-sb
#                      SOAK_N=40 for the spread of one failover
#   SOAK_LIMIT=120     seconds a failover may take
#   SOAK_LOGS=DIR      where logs go (default target/soak-logs): DIR/<timestamp> when the
#                      soak fails (always with SOAK_KEEP_LOGS=1), with the writer's ack log
#
# Environment of cluster.sh applies (OVNOCF_CLUSTER, OVN_OCF_BIN, ...). Teardown on every
# exit (success, failure, ^C): the writer by PID, then `cluster.sh down`. Not part of
# `make test`.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

# The exact command, for the report: the knobs that were set, then the command line.
COMMAND=
for v in SOAK_N SOAK_SHAPE SOAK_KINDS SOAK_LIMIT OVNOCF_CLUSTER OVN_OCF_BIN; do
    [ -z "${!v:-}" ] || COMMAND+="$v=$(printf %q "${!v}") "
done
COMMAND+=$(printf '%q ' "$0" "$@")
COMMAND=${COMMAND% }

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }

REPORT=
BENCH=
FROM=
while [ $# -gt 0 ]; do
    case $1 in
    --report) [ $# -ge 2 ] || usage; REPORT=$2; shift 2 ;;
    --benchmarks) [ $# -ge 2 ] || usage; BENCH=$2; shift 2 ;;
    --from) [ $# -ge 2 ] || usage; FROM=$2; shift 2 ;;
    *) usage ;;
    esac
done

# benchmarks_section (the shared library): the --from path needs it before lib.sh.
# shellcheck source-path=SCRIPTDIR source=../lib/harness.sh
. "$HERE/../lib/harness.sh"

ONLY=()   # SOAK_KINDS (checked below)
read -ra ONLY <<<"${SOAK_KINDS:-}"
SECTION=soak
[ "${SOAK_SHAPE:-A}" = A ] || SECTION+="-shape-${SOAK_SHAPE,,}"
[ ${#ONLY[@]} = 0 ] || SECTION+="-$(IFS=-; echo "${ONLY[*]}")"

if [ -n "$FROM" ]; then
    [ -n "$BENCH" ] || usage
    [ -f "$FROM" ] || { echo "soak: $FROM: no such file" >&2; exit 2; }
    benchmarks_section "$SECTION" "$FROM" "$BENCH"
    exit 0
fi

N=${SOAK_N:-50}
SHAPE=${SOAK_SHAPE:-A}
FO_LIMIT=${SOAK_LIMIT:-120}
[[ $N =~ ^[1-9][0-9]*$ ]] || { echo "soak: SOAK_N=$N: need an integer >= 1" >&2; exit 2; }
[[ $FO_LIMIT =~ ^[1-9][0-9]*$ ]] || { echo "soak: SOAK_LIMIT=$FO_LIMIT: need an integer >= 1" >&2; exit 2; }
case $SHAPE in A | B) ;; *) echo "soak: SOAK_SHAPE=$SHAPE: A or B" >&2; exit 2 ;; esac
[ "$(id -u)" = 0 ] || { echo "soak: must run as root" >&2; exit 2; }

LOGS=${SOAK_LOGS:-$REPO/target/soak-logs}/$(date +%Y%m%dT%H%M%S)
KINDS=(kill-sb sigstop-sb fence-off standby)   # the order of the summary
ORDER1=(kill-sb fence-off sigstop-sb standby)  # the order of the rounds: see the top
ORDER2=(sigstop-sb standby kill-sb fence-off)
if [ ${#ONLY[@]} != 0 ]; then
    for k in "${ONLY[@]}"; do
        case " ${KINDS[*]} kill-nb kill-northd " in
        *" $k "*) ;;
        *) echo "soak: SOAK_KINDS: $k: one of ${KINDS[*]} kill-nb kill-northd" >&2; exit 2 ;;
        esac
    done
    # The summary: the kinds run, once each, in their order.
    read -ra KINDS <<<"$(printf '%s\n' "${ONLY[@]}" | awk '!seen[$0]++' | tr '\n' ' ')"
fi
T_START=$EPOCHREALTIME
DATE=$(date -u '+%Y-%m-%d %H:%M UTC')
# Visible from the client netns and the nodes (not /tmp: nodes have their own).
WORK=$(mktemp -d /var/tmp/ovn-ocf-soak.XXXXXX)
SAY=soak
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

CLUSTER_UP=0
FAILED=0        # the soak fails (lost transaction, a failover beyond its limit, setup)
ABORTED=        # why the soak stopped early
DONE=0          # failovers attempted
LATE=0          # failovers that did not happen within the limit
LOST_TOTAL=0    # lost acknowledged transactions (distinct names, over all checks)
declare -A TIMES=() FA_N=() FA_EXP=() FA_ROUNDS=() LATE_K=() DONE_K=()
# kill-* and sigstop-sb times again, split: triggered within JOIN_WINDOW s after a node
# powered on by a fence-off round was back (TIMES_J), or not (TIMES_O). Just after a node
# joins, Pacemaker's DC holds back its scheduler while its own CIB updates of the join are
# pending (a blocking 1 s sleep per retry before Pacemaker 3.0.2): a failure reported then
# waits for it.
declare -A TIMES_J=() TIMES_O=()
JOIN_WINDOW=10
LAST_JOIN=      # epoch when the last fence-off round's victim was back online, settled
LAST_JOINED=    # and its name
: >"$WORK/lost.all"
: >"$WORK/failed.tsv"   # kind TAB expected|unexpected TAB failed action (node removed)

# Teardown hook: the writer by PID, the cluster (logs saved if the soak failed), the
# summary and the report.
soak_finish() {
    writer_stop
    [ "$RC" = 0 ] || [ -n "$ABORTED" ] || ABORTED="interrupted (exit $RC)"
    [ -z "$ABORTED" ] || FAILED=1
    if [ "$CLUSTER_UP" = 1 ]; then
        if [ "$FAILED" = 1 ] || [ "${SOAK_KEEP_LOGS:-0}" = 1 ]; then
            say "cluster state:"
            "$C" status >&2
            "$C" down --save-logs "$LOGS" || FAILED=1
            cp "$WORK"/acks.log* "$WORK"/lost.all "$WORK"/failed.tsv "$LOGS/" 2>/dev/null
        else
            "$C" down || { say "cluster down incomplete"; FAILED=1; }
        fi
    fi
    summary
    if [ -n "$REPORT" ]; then report >"$REPORT" && say "report written to $REPORT"; fi
    if [ -n "$BENCH" ]; then
        if [ "$FAILED" = 0 ]; then
            report >"$WORK/section.md" && benchmarks_section "$SECTION" "$WORK/section.md" "$BENCH"
        else
            say "the soak failed: $BENCH not changed"
        fi
    fi
    rm -rf "$WORK"
    if [ "$FAILED" = 0 ]; then RC=0; else RC=1; fi
}
at_exit soak_finish

# --------------------------------------------------------------------------- summary

# VALUES...: "n min median max" (seconds), or "0 - - -".
stats() {
    [ $# -gt 0 ] || { echo "0 - - -"; return 0; }
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              printf "%d %.2f %.2f %.2f\n", NR, v[1], m, v[NR] }'
}

# One line per trigger kind, then "all": KIND N MIN MEDIAN MAX LATE.
time_rows() {
    local k all=()
    for k in "${KINDS[@]}"; do
        # shellcheck disable=SC2086 # a list of numbers
        echo "$k $(stats ${TIMES[$k]:-}) ${LATE_K[$k]:-0}"
        if [ -n "${TIMES_J[$k]:-}" ]; then
            # shellcheck disable=SC2086 # lists of numbers
            echo "$k:joined $(stats ${TIMES_J[$k]}) -"
            # shellcheck disable=SC2086
            echo "$k:other $(stats ${TIMES_O[$k]:-}) -"
        fi
        # shellcheck disable=SC2206
        all+=(${TIMES[$k]:-})
    done
    echo "all $(stats "${all[@]}") $LATE"
}

# The failed actions of KIND, grouped: "COUNT× expected|unexpected: ACTION" (the node
# left out, "pid 123" as "pid N").
failed_groups() {
    awk -F'\t' -v k="$1" '$1 == k { print $2 "\t" $3 }' "$WORK/failed.tsv" |
        sed -E 's/pid [0-9]+/pid N/g' | sort | uniq -c |
        sort -rn | awk '{ c = $1; sub(/^ *[0-9]+ /, ""); split($0, f, "\t"); printf "%d× %s: %s\n", c, f[1], f[2] }'
}

ack_totals() {
    ACKED=${ACKS:-?}
    PRESENT=$([[ $ACKED =~ ^[0-9]+$ ]] && echo $((ACKED - LOST_TOTAL)) || echo "?")
}

summary() {
    local k n mn md mx late
    ack_totals
    echo "SOAK summary: shape $SHAPE, $DONE of $N failovers done${ABORTED:+ (stopped: $ABORTED)}, limit $FO_LIMIT s each"
    echo "SOAK transactions: $ACKED acknowledged, $PRESENT present, $LOST_TOTAL lost$( [ "$LOST_TOTAL" = 0 ] || echo " ($(head -5 "$WORK/lost.all" | tr '\n' ' ')...)")"
    printf 'SOAK %-18s %5s %8s %8s %8s %6s\n' "failover(s)" n min median max late
    while read -r k n mn md mx late; do
        printf 'SOAK %-18s %5s %8s %8s %8s %6s\n' "$k" "$n" "$mn" "$md" "$mx" "$late"
    done < <(time_rows)
    for k in "${KINDS[@]}"; do
        echo "SOAK failed actions after $k: ${FA_N[$k]:-0} in ${FA_ROUNDS[$k]:-0} of ${DONE_K[$k]:-0} rounds (${FA_EXP[$k]:-0} the expected one)"
        failed_groups "$k" | sed 's/^/SOAK     /'
    done
    [ "$(time_rows | grep -c :joined)" = 0 ] ||
        echo "SOAK (KIND:joined: triggered within $JOIN_WINDOW s after a powered-on node was back online; KIND:other: the rest)"
    echo "SOAK total $(secs "$T_START") s: $([ "$FAILED" = 0 ] && echo PASS || echo FAIL)"
}

# The markdown section (## Soak) for --report and --benchmarks.
report() {
    local k n mn md mx late rev bin cycle
    ack_totals
    rev=$(git -C "$REPO" describe --always --dirty 2>/dev/null || echo unknown)
    bin=${OVN_OCF_BIN:-/usr/local/sbin/ovn-ocf}
    cycle="cycling four triggers, each on both nodes in turn"
    [ ${#ONLY[@]} = 0 ] || cycle="only ${ONLY[*]} (SOAK_KINDS), round after round, of these triggers"
    cat <<EOF
## Soak$([ "$SHAPE" = A ] || echo ", shape $SHAPE")$([ ${#ONLY[@]} = 0 ] || echo ": ${ONLY[*]} only")

$N failovers in a row in one namespace cluster (\`ocf-tests/cluster/\`, 2 nodes, stonith
on), README's shape $SHAPE verbatim, $cycle:
\`kill -9\` of the serving SB ovsdb-server, SIGSTOP of it, power-off of the active node
through the fence agent (then powered on again until it is back online), \`pcs node
standby\` of the active node (then unstandby)$(case " ${KINDS[*]} " in *" kill-nb "* | *" kill-northd "*)
    echo "; kill -9 of the serving NB ovsdb-server (kill-nb), of the active ovn-northd
(kill-northd)" ;; esac). A background writer inserts SB rows through
the VIP all along; after every failover each acknowledged transaction must be in the SB.
Failover time: trigger → an SB transaction through the VIP succeeds (as \`scenarios.sh\`
measures it; kill-nb: an NB transaction; kill-northd: a logical switch created in the NB
after the kill has its \`Datapath_Binding\` in the SB). Times are measured, not
asserted; each failover had to happen within $FO_LIMIT s.

| | |
|---|---|
| date | $DATE |
| command | \`$COMMAND\` |
| ovn-ocf | \`$bin\`: $("$bin" --version 2>/dev/null | head -1), sha256 $(sha256sum "$bin" | cut -c1-12); repository at $rev |
| failovers | $DONE of $N${ABORTED:+ (stopped: $ABORTED)} |
| result | $([ "$FAILED" = 0 ] && echo pass || echo '**FAIL**') |
| total time | $(secs "$T_START") s |
| acknowledged SB transactions | $ACKED |
| present after every failover | $PRESENT ($LOST_TOTAL lost) |

| trigger | failovers | min (s) | median (s) | max (s) | beyond the limit |
|---|---:|---:|---:|---:|---:|
EOF
    while read -r k n mn md mx late; do
        case $k in
        all) k="**all**" ;;
        *:joined) k="↳ ${k%:*} within $JOIN_WINDOW s after a powered-on node was back online" ;;
        *:other) k="↳ ${k%:*}, the other rounds" ;;
        esac
        echo "| $k | $n | $mn | $md | $mx | $late |"
    done < <(time_rows)
    echo
    if [ "$(time_rows | grep -c :joined)" != 0 ]; then
        cat <<EOF
Rounds triggered just after a node (re)joined the cluster are shown apart: then Pacemaker's
DC holds back its scheduler while the CIB updates of the join are pending (Pacemaker
before 3.0.2, Debian 12's 2.1.5 among them, sleeps 1 s at a time doing so, and handles
nothing else meanwhile), and a failure reported in that window waits for it.

EOF
    fi
    echo "Failed actions (each cleared with \`pcs resource cleanup\` before the next failover):"
    echo
    echo "| trigger | failed actions | rounds with any | expected (the killed daemon's asyncmon, the stopped SB's monitor) |"
    echo "|---|---:|---:|---:|"
    for k in "${KINDS[@]}"; do
        echo "| $k | ${FA_N[$k]:-0} | ${FA_ROUNDS[$k]:-0} of ${DONE_K[$k]:-0} | ${FA_EXP[$k]:-0} |"
    done
    echo
    for k in "${KINDS[@]}"; do
        [ "${FA_N[$k]:-0}" = 0 ] && continue
        echo "- after $k:"
        # shellcheck disable=SC2016 # markdown backticks
        failed_groups "$k" | sed 's/^/  - `/; s/$/`/'
    done
    [ "$(awk 'END { print NR }' "$WORK/failed.tsv")" != 0 ] || echo "None."
    echo
}

# ---------------------------------------------------------------------------- rounds

FO=      # failover seconds of the round (set by failover)
NEW=     # where everything runs after the failover
# Soak rounds take the template's trigger, wait and settle; the transactions are counted,
# the failed actions recorded and the victim brought back by round itself.
# shellcheck disable=SC2034 # read by failover (lib.sh)
FO_ACKS=: FO_CLEAN=: FO_BACK=: FO_FINAL=:

# Every node powered on, none in standby, no failed actions, everything on one node with
# a standby (120 s per step); failed actions are recorded for KIND ($1). After a failed
# round; non-zero if the cluster stays broken.
restore() {
    local kind=$1 node live=
    for node in "${NODES[@]}"; do
        case $("$C" power status "$node" 2>&1) in
        *"status $node: off"*) say "restore: powering $node on"; "$C" power on "$node" 2>/dev/null || return 1 ;;
        *) live=$node ;;
        esac
    done
    "$C" wait-online 120 >/dev/null 2>&1 || { bad "restore: nodes not online"; return 1; }
    [ -n "$live" ] || live=node1
    "$C" exec "$live" pcs node unstandby --all >/dev/null 2>&1 || true
    clear_failures "$live" "$kind" || true
    settle --standby >/dev/null || return 1
    clear_failures "$live" "$kind" || return 1
}

# NODE KIND: records every failed action crm_mon lists (for KIND), then pcs resource
# cleanup (on NODE) until none is listed (30 s). Sets ROUND_FA (a summary for the round).
ROUND_FA=
clear_failures() {
    local node=$1 kind=$2 f line exp n=0 t0=$EPOCHREALTIME
    ROUND_FA=none
    f=$(crm failures) && return 0
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        exp=unexpected
        # How the failure reached Pacemaker: the killed daemon's watcher (crm_resource
        # --fail, recorded as asyncmon), the stopped SB's monitor.
        case $kind in
        kill-sb | kill-nb | kill-northd) [[ $line == "ovn-${kind#kill-}_asyncmon_"* ]] && exp=expected ;;
        sigstop-sb) [[ $line == ovn-sb_monitor_* ]] && exp=expected ;;
        esac
        # "OP on NODE: REST": the node goes, the rest stays (exit status and reason).
        printf '%s\t%s\t%s\n' "$kind" "$exp" "${line%% on *}:${line#*:}" >>"$WORK/failed.tsv"
        FA_N[$kind]=$((${FA_N[$kind]:-0} + 1))
        [ $exp = unexpected ] || FA_EXP[$kind]=$((${FA_EXP[$kind]:-0} + 1))
        n=$((n + 1))
    done <<<"$f"
    FA_ROUNDS[$kind]=$((${FA_ROUNDS[$kind]:-0} + 1))
    ROUND_FA="$n: $(tr '\n' ';' <<<"$f")"
    "$C" exec "$node" pcs resource cleanup >/dev/null 2>&1 || { bad "pcs resource cleanup on $node failed"; return 1; }
    until crm failures >/dev/null; do
        past "$t0" 30 && { bad "failed actions not cleared 30 s after pcs resource cleanup: $(crm failures | tr '\n' ';')"; return 1; }
        sleep 0.2
    done
}

# Counts the acknowledged transactions in the SB; a newly lost one is reported and
# remembered (the soak goes on). Sets ROUND_ACK.
ROUND_ACK=
check_acks() {
    local new
    if ! ack_count "$WORK/lost.now"; then
        ROUND_ACK="not checked ($(cat "$WORK/why"))"
        return 1
    fi
    new=$(sort "$WORK/lost.now" | comm -23 - <(sort "$WORK/lost.all"))
    if [ -n "$new" ]; then
        echo "$new" >>"$WORK/lost.all"
        LOST_TOTAL=$(sort -u "$WORK/lost.all" | awk 'END { print NR }')
        FAILED=1
        say "LOST acknowledged SB transactions: $(tr '\n' ' ' <<<"$new")"
    fi
    ROUND_ACK="$((ACKS - LOST))/$ACKS acks present"
    [ "$LOST" = 0 ] || ROUND_ACK+=" ($LOST LOST)"
}

# I KIND: one failover, from everything on one node with a standby back to the same.
round() {
    local i=$1 kind=$2 active t0=$EPOCHREALTIME ok=1 why='' after=''
    rm -f "$WORK/why"
    FO=''
    NEW=''
    active=$(settle --standby) || { ABORTED="round $i: not settled before the trigger: $(cat "$WORK/why")"; return 1; }
    say "--- round $i/$N: $kind, active $active"
    DONE=$((DONE + 1))
    DONE_K[$kind]=$((${DONE_K[$kind]:-0} + 1))
    failover "$kind" "$active" || ok=0
    NEW=$FO_NEW
    if [ $ok = 1 ]; then
        TIMES[$kind]+=" $FO"
        case $kind in
        kill-* | sigstop-sb)
            if [ -n "$LAST_JOIN" ] && awk -v a="$LAST_JOIN" -v b="$FO_T0" -v w="$JOIN_WINDOW" 'BEGIN { exit !(b - a <= w) }'; then
                TIMES_J[$kind]+=" $FO"
                after=" ($(secs "$LAST_JOIN" "$FO_T0") s after $LAST_JOINED was back online)"
            else
                TIMES_O[$kind]+=" $FO"
            fi
            ;;
        esac
    else
        why=$(cat "$WORK/why" 2>/dev/null || echo "see the log")
        LATE=$((LATE + 1))
        LATE_K[$kind]=$((${LATE_K[$kind]:-0} + 1))
        FAILED=1
    fi
    check_acks || FAILED=1
    if [ $ok = 1 ]; then
        case $kind in
        fence-off) "$C" power on "$active" 2>/dev/null || { ok=0; why="power on $active failed"; } ;;
        standby) "$C" exec "$NEW" pcs node unstandby "$active" >/dev/null || { ok=0; why="pcs node unstandby $active failed"; } ;;
        esac
    fi
    if [ $ok = 1 ]; then
        if NEW=$(settle --standby); then
            [ "$kind" != fence-off ] || LAST_JOIN=$EPOCHREALTIME LAST_JOINED=$active
            clear_failures "$NEW" "$kind" || { ok=0; why=$(cat "$WORK/why"); FAILED=1; }
        else
            ok=0 why="not back to one node + standby: $(cat "$WORK/why")"
            FAILED=1
        fi
    fi
    if [ $ok = 1 ]; then
        echo "SOAK round $i/$N $kind: $active → $NEW, failover ${FO} s$after; $ROUND_ACK; failed actions $ROUND_FA ($(secs "$t0") s)"
        return 0
    fi
    echo "SOAK round $i/$N $kind: FAIL (limit $FO_LIMIT s) $why; $ROUND_ACK ($(secs "$t0") s)"
    # Put the cluster back together (what failed is recorded on the way).
    restore "$kind" || { ABORTED="round $i: cluster not restored: $(cat "$WORK/why")"; return 1; }
}

# ------------------------------------------------------------------------------ main

say "shape $SHAPE, $N failovers (${KINDS[*]}), limit $FO_LIMIT s, cluster ${OVNOCF_CLUSTER:-ovnocf}"
"$C" up >&2 || { ABORTED="cluster up failed"; exit 1; }
CLUSTER_UP=1
"$C" shape "$SHAPE" >/dev/null || { ABORTED="shape $SHAPE did not come up"; exit 1; }
no_failures || { ABORTED="failed actions after shape $SHAPE: $(cat "$WORK/why")"; exit 1; }
writer_start || { ABORTED="writer: $(cat "$WORK/why")"; exit 1; }
for ((i = 1; i <= N; i++)); do
    if [ ${#ONLY[@]} -gt 0 ]; then
        kind=${ONLY[(i - 1) % ${#ONLY[@]}]}
    elif (((i - 1) / 4 % 2 == 0)); then
        kind=${ORDER1[(i - 1) % 4]}
    else
        kind=${ORDER2[(i - 1) % 4]}
    fi
    round "$i" "$kind" || break
done
# The last word on the transactions: once more, with the writer stopped.
writer_stop
check_acks || { [ -n "$ABORTED" ] || ABORTED="final check: $ROUND_ACK"; }
say "final check: $ROUND_ACK"

#!/bin/bash
# Failover time of OVN's Southbound database behind a VIP, ovn-ocf against OVN's own agent
# ovndb-servers.ocf (the incumbent), in the namespace cluster (ocf-tests/cluster/), one
# cluster per agent, same harness, same client, same run. A figure of `make bench`
# (run.sh calls it with --report); runs on its own too:
#
#   OVN_OCF_BIN=/usr/local/sbin/ovn-ocf ocf-tests/bench/failover.sh --report /tmp/failover.md
#
# Per agent: `cluster.sh up` (2 nodes, stonith on) → the resources → wait until served →
# FAILOVER_RUNS repetitions of each trigger → `cluster.sh down`:
#   kill -9   of the active SB ovsdb-server (pid from /var/run/ovn/ovnsb_db.pid inside
#             the serving node, checked to be the active SB server first);
#   power-off of the serving node through the fence agent (`stonith_admin --fence` run on
#             the other node: a power cut), then `power on` + `wait-online` to restore.
# Time: from the trigger to the first SB transaction through the VIP, from the client
# netns, that is acknowledged (after a power-off: by a node other than the victim, as the
# client's ARP entry for the VIP tells). Attempts back to back, each at most 0.5 s.
# No assertion on times; every failover must happen within FAILOVER_LIMIT s, or the figure
# fails (cluster logs saved to target/bench/failover-logs-*).
#
# ovn-ocf: README's shape A (`cluster.sh shape A`, the README's pcs lines verbatim).
# Incumbent: OVN's documented setup (Documentation/topics/integration.rst: promotable
# ovndb_servers + IPaddr2 VirtualIP colocated with the promoted role, ordered after the
# promotion), written for pcs 0.11 (see INC_CMDS); its databases live in each node's own
# /var/lib/ovn (active-backup replication, no shared storage), as OVN runs it.
#
# Knobs (env): FAILOVER_RUNS (3) repetitions per trigger and agent; FAILOVER_LIMIT (120)
# seconds a failover may take before the figure fails; FAILOVER_CLUSTER (bench) the
# harness's cluster name (OVNOCF_CLUSTER; never an existing cluster: the script refuses);
# OVN_OCF_BIN (/usr/local/sbin/ovn-ocf) the binary under test; FAILOVER_KEEP_LOGS=1
# saves every node's logs to target/bench/failover-logs-* on success too.
# Options: --report FILE (append the markdown section; default stdout), --raw DIR (raw
# data, default target/bench), --agents "ovn-ocf incumbent" (development: one of them;
# a section needs both).
#
# Teardown of the cluster on every exit path (EXIT/INT/TERM trap); only processes of the
# harness's own namespaces are ever stopped (by cluster.sh down).
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

SAY=failover
# shellcheck source-path=SCRIPTDIR source=../cluster/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export OVNOCF_CLUSTER=${FAILOVER_CLUSTER:-bench}
unset OVNOCF_CLUSTER_DIR
CLUSTER_RUN=/var/tmp/ovn-ocf-cluster.$OVNOCF_CLUSTER   # cluster.sh's run dir for that name
export OVN_OCF_BIN=${OVN_OCF_BIN:-/usr/local/sbin/ovn-ocf}

RUNS=${FAILOVER_RUNS:-3}
LIMIT=${FAILOVER_LIMIT:-120}
ATTEMPT_TIMEOUT=0.5

REPORT=/dev/stdout
AGENTS="ovn-ocf incumbent"

usage() { sed -n '2,/^# Markdown backticks/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
    case $1 in
    --report) REPORT=$2; shift 2 ;;
    --raw) RAW=$2; shift 2 ;;
    --agents) AGENTS=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

if ! [[ $RUNS =~ ^[0-9]+$ ]] || ((RUNS < 1)); then die "FAILOVER_RUNS=$RUNS: need an integer >= 1"; fi
if ! [[ $LIMIT =~ ^[0-9]+$ ]] || ((LIMIT < 10)); then die "FAILOVER_LIMIT=$LIMIT: need an integer >= 10"; fi
for a in $AGENTS; do
    case $a in ovn-ocf | incumbent) ;; *) die "--agents: ovn-ocf and/or incumbent, not $a" ;; esac
done

# ------------------------------------------------------------------ cluster lifetime

UP=0        # 1 while a cluster of ours may exist: the trap tears it down
WORK=""
CUR_AGENT=""

# Teardown hook: the cluster of ours that may be up (its logs saved after a failure).
teardown() {
    local logs
    if ((UP)); then
        if ((RC != 0)); then
            logs=$RAW/failover-logs-${CUR_AGENT:-none}-$(date +%Y%m%dT%H%M%S)
            say "failed (exit $RC) with the $CUR_AGENT cluster up; cluster state:"
            summary >&2
            "$C" down --save-logs "$logs" >&2 || RC=1
        else
            "$C" down >&2 || RC=1
        fi
    fi
    [[ -z $WORK || ! -d $WORK ]] || rm -rf "$WORK"
}

# Never touches a cluster it did not bring up: one of that name must not exist yet.
cluster_up() {
    [[ ! -e $CLUSTER_RUN ]] ||
        die "$CLUSTER_RUN exists: a cluster named $OVNOCF_CLUSTER is up (or was not torn down); not touching it (FAILOVER_CLUSTER picks another name)"
    if ip netns list | grep "^$OVNOCF_CLUSTER-" >/dev/null; then
        die "netns $OVNOCF_CLUSTER-* exist: not touching them (FAILOVER_CLUSTER picks another name)"
    fi
    UP=1
    "$C" up >&2
}

cluster_down() {
    local save=()
    if [[ ${FAILOVER_KEEP_LOGS:-0} == 1 ]]; then
        save=(--save-logs "$RAW/failover-logs-$CUR_AGENT-$(date +%Y%m%dT%H%M%S)")
    fi
    "$C" down "${save[@]}" >&2 || die "cluster.sh down failed"
    UP=0
}

# ------------------------------------------------------------------ the client

SEQ=0
LAST_ERR=""
# One attempt: insert a Chassis (+ its Encap, indexed by (type, ip): a fresh ip each time)
# through the VIP. Success = exit 0 and a reply without "error".
sb_insert() {
    local out ip
    SEQ=$((SEQ + 1))
    ip=10.$((SEQ >> 16 & 255)).$((SEQ >> 8 & 255)).$((SEQ & 255))
    out=$("$C" client timeout -k 0.1 "$ATTEMPT_TIMEOUT" ovsdb-client transact "tcp:$VIP:6642" \
        "[\"OVN_Southbound\",
          {\"op\":\"insert\",\"table\":\"Encap\",\"uuid-name\":\"e\",
           \"row\":{\"type\":\"geneve\",\"ip\":\"$ip\",\"chassis_name\":\"fo-$SEQ\"}},
          {\"op\":\"insert\",\"table\":\"Chassis\",
           \"row\":{\"name\":\"fo-$SEQ\",\"hostname\":\"failover\",\"encaps\":[\"named-uuid\",\"e\"]}}]" \
        2>&1) || { LAST_ERR="exit $?: $out"; return 1; }
    case $out in *error*) LAST_ERR=$out; return 1 ;; esac
}

# until_ack T0 NOT LIMIT: attempts back to back until one is acknowledged by a node other
# than NOT (empty: any node); sets T_OK (s since T0), BY (the node), TRIES.
T_OK="" BY="" TRIES=0
until_ack() {
    local t0=$1 not=$2 limit=$3 by
    TRIES=0
    while :; do
        TRIES=$((TRIES + 1))
        if sb_insert; then
            by=$("$C" vip-node)
            if [[ $by != "$not" ]]; then
                T_OK=$(since "$t0")
                BY=$by
                return 0
            fi
            LAST_ERR="acknowledged by $by"
        fi
        if past "$t0" "$limit"; then
            say "last SB attempt: $LAST_ERR"
            return 1
        fi
        sleep 0.05
    done
}

# attempt_cost: mean wall time of one acknowledged attempt (the client's resolution), ms.
attempt_cost() {
    local t0 k n=10
    t0=$(now)
    for ((k = 0; k < n; k++)); do sb_insert || die "SB transaction through the VIP failed: $LAST_ERR"; done
    awk -v a="$t0" -v b="$EPOCHREALTIME" -v n="$n" 'BEGIN { printf "%.0f", (b - a) * 1000 / n }'
}

# ------------------------------------------------------------------ cluster facts

summary() { crm summary 2>/dev/null; }
online_count() { crm online 2>/dev/null; }

# failures: one line per failed action now in the CIB (none: nothing).
failures() { crm failures 2>/dev/null || true; }

# The provider link Debian installs for the incumbent (ovn-common's postinst) points to
# /usr/share/openvswitch/scripts/ovndb-servers.ocf, which no package ships: Pacemaker
# cannot find ocf:ovn:ovndb-servers. cluster.sh up then adds a correct link to the nodes'
# overlay of /usr/lib/ocf/resource.d (the host is not changed); checked here per node.
PROVIDER_FIX=0
provider_fix_needed() {
    if [[ -x $INC_LINK ]]; then PROVIDER_FIX=0; else PROVIDER_FIX=1; fi
}
provider_fix() { # NODE: the incumbent's agent is there (once the node's init mounted it)
    local t0
    t0=$(now)
    until "$C" exec "$1" test -x "$INC_LINK" 2>/dev/null; do
        past "$t0" 20 && die "$1: $INC_LINK is not executable in the node after 20 s"
        sleep 0.02
    done
}

# ready AGENT: until the service is fully up again (every online node in its role, the
# standby replicating for the incumbent) and an SB transaction through the VIP is
# acknowledged by the serving node; sets ACTIVE. Deadline FAILOVER_LIMIT.
ACTIVE=""
WHY=""
ready() {
    local agent=$1 t0 where s p u v n node ok want_u
    t0=$(now)
    while :; do
        where=""
        if [[ $agent == ovn-ocf ]]; then
            where=$("$C" wait-group ovn 5 2>/dev/null) || where=""
            WHY="group ovn not Started on one node"
        else
            s=$(summary 2>/dev/null) || s=""
            n=$(online_count 2>/dev/null) || n=0
            read -r p u v < <(awk '
                $1 == "resource" && $2 == "ovndb_servers" && $3 == "Promoted" && $4 == "on" { p = p "," $5 }
                $1 == "resource" && $2 == "ovndb_servers" && $3 == "Unpromoted" && $4 == "on" { u = u "," $5 }
                $1 == "resource" && $2 == "VirtualIP" && $3 == "Started" && $4 == "on" { v = $5 }
                END { print (p == "" ? "-" : substr(p, 2)), (u == "" ? "-" : substr(u, 2)), (v == "" ? "-" : v) }' <<<"$s")
            want_u=-
            if ((n == 2)) && [[ $p != - ]]; then want_u=$(other "$p"); fi
            WHY="promoted: $p, unpromoted: $u (want $want_u), VirtualIP on $v, $n online"
            if ((n >= 1)) && [[ $p != *,* && $p != - && $v == "$p" && $u == "$want_u" ]]; then
                ok=1
                if [[ $u != - ]]; then
                    for node in ${u//,/ }; do
                        replicating "$node" || ok=0
                    done
                fi
                if ((ok)); then where=$p; fi
            fi
        fi
        if [[ -n $where ]]; then
            WHY="no SB transaction acknowledged by $where through the VIP"
            if until_ack "$(now)" "" 10 && [[ $BY == "$where" ]]; then
                ACTIVE=$where
                return 0
            fi
        fi
        if past "$t0" "$LIMIT"; then
            summary >&2 || true
            die "$agent: not served on one node with every online node in its role after $LIMIT s: $WHY"
        fi
        sleep 0.5
    done
}

# replicating NODE: the incumbent's standby on NODE replicates NB and SB from the VIP.
replicating() {
    local node=$1 db port st
    for db in nb:6641 sb:6642; do
        port=${db#*:} db=${db%:*}
        st=$("$C" exec "$node" ovn-appctl -t "/var/run/ovn/ovn${db}_db.ctl" ovsdb-server/sync-status 2>&1) || st="(no answer) $st"
        if [[ $st != *"state: backup"* || $st != *"replicating: tcp:$VIP:$port"* ]]; then
            WHY="the standby on $node does not replicate $db from the VIP: $(tr '\n' ' ' <<<"$st")"
            return 1
        fi
    done
}

# clean_failures: fail counts and failed actions go, so the next repetition starts clean
# (and its failed actions are its own).
clean_failures() {
    "$C" exec "$ACTIVE" crm_resource --cleanup >/dev/null 2>&1 || true
}

# log_after NODE T0 TEXT [EXCLUDE]: seconds from T0 to the first line of NODE's Pacemaker
# log at or after T0 that contains TEXT (and does not match the regex EXCLUDE); empty if
# none. The log's timestamps have ms resolution, no year (this year is assumed).
log_after() {
    local node=$1 t0=$2 text=$3 exclude=${4:-^$} log line t
    log=$CLUSTER_RUN/$node/var-log-pacemaker/pacemaker.log
    [[ -r $log ]] || return 0
    while IFS= read -r line; do
        t=$(date -d "$(awk '{ print $1, $2, $3 }' <<<"$line")" +%s.%N 2>/dev/null) || continue
        if awk -v a="$t0" -v b="$t" 'BEGIN { exit !(b >= a - 0.001) }'; then
            awk -v a="$t0" -v b="$t" 'BEGIN { printf "%.2f", b - a }'
            return 0
        fi
    done < <(grep -aF -- "$text" "$log" | { grep -a -v -E -- "$exclude" || true; })
}

# detect_time NODE RSC T0: when NODE's Pacemaker first logged RSC's failure: a failed
# recurring monitor, or (ovn-ocf) the failure its watcher reported (crm_resource --fail:
# an `asyncmon` result), whichever came first.
detect_time() {
    local m a
    m=$(log_after "$1" "$3" "Result of monitor operation for $2 on $1: " ": (ok|promoted|unpromoted|Cancelled) \|")
    a=$(log_after "$1" "$3" "Result of asyncmon operation for $2 on $1: ")
    if [[ -n $m && -n $a ]]; then
        awk -v m="$m" -v a="$a" 'BEGIN { printf "%.2f", (a < m ? a : m) }'
    else
        echo "$m$a"
    fi
}

# started_time NODE T0: the last start Pacemaker needs before the SB can answer through
# the VIP (ovn-ocf: ovn-sb, which returns once its listener is open; the incumbent:
# VirtualIP, ordered after the promotion) completed on NODE.
started_time() {
    local rsc=ovn-sb
    [[ $CUR_AGENT == incumbent ]] && rsc=VirtualIP
    log_after "$1" "$2" "Result of start operation for $rsc on $1: ok"
}

# ------------------------------------------------------------------ results

declare -A VALS=() DETECT=() RECOVER=() FENCE=() FAILS=() BYS=() COST=() SETUP=() STARTED=() GAP=()
TSV=""
MONITOR_EXITED=0   # incumbent kills after which OVS's --monitor logged that it exits too

record() { # AGENT TRIGGER RUN SECONDS BY DETECT FENCE STARTED
    VALS[$1,$2]+="$4 "
    BYS[$1,$2]+="$5 "
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$TSV"
}

# After a repetition: keep its failed actions, clean them, and wait until served again.
collect_failures() { # AGENT TRIGGER
    local f
    f=$(failures)
    if [[ -n $f ]]; then
        FAILS[$1,$2]+="$f"$'\n'
        say "$1 $2: failed actions: $(tr '\n' ';' <<<"$f")"
        clean_failures
        ready "$1"
    fi
}

# ------------------------------------------------------------------ triggers

# One repetition is one run of the failover template (cluster/lib.sh's failover), with
# this figure's own hooks: its client instead of the writer, and every agent's readiness.
REP_AGENT="" REP_RUN="" REP_RSC="" FO_TRIES=0

# kill -9 of the active SB ovsdb-server on ACTIVE.
kill_rep() {
    REP_AGENT=$1 REP_RUN=$2 REP_RSC=$3
    FO_TRIGGER=kill_trigger FO_WAIT=kill_wait FO_SETTLE=rep_ready FO_CHECK=kill_check FO_ACKS=: \
        FO_CLEAN=kill_clean FO_BACK=: FO_FINAL=: failover kill-sb "$ACTIVE"
}

kill_trigger() {
    local agent=$REP_AGENT run=$REP_RUN node=$FO_FROM pid comm cmd st t0 offset
    # Where the kill falls in the incumbent's 10 s monitor cycle decides most of its time
    # (ovn-ocf's watcher reports a kill at once): run r of N first waits a random offset
    # within the r-th N-th of 10 s, the same for both agents.
    offset=$(awk -v r="$run" -v n="$RUNS" -v u="$RANDOM" 'BEGIN { printf "%.2f", ((r - 1) + u / 32768) / n * 10 }')
    sleep "$offset"
    pid=$("$C" exec "$node" cat /var/run/ovn/ovnsb_db.pid | tr -dc '0-9')
    [[ -n $pid ]] || die "$agent: no pid in $node:/var/run/ovn/ovnsb_db.pid"
    comm=$("$C" exec "$node" cat "/proc/$pid/comm" 2>/dev/null) || comm=""
    cmd=$("$C" exec "$node" cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ') || cmd=""
    st=$("$C" exec "$node" ovn-appctl -t /var/run/ovn/ovnsb_db.ctl ovsdb-server/sync-status 2>&1) || st=""
    [[ $comm == ovsdb-server && $cmd == *ovnsb_db.db* && $st == *"state: active"* ]] ||
        die "$agent: $node:/var/run/ovn/ovnsb_db.pid ($pid) is not the active SB ovsdb-server (comm '$comm', sync-status '$st', cmdline '${cmd:0:200}')"
    say "$agent kill -9 #$run: SB ovsdb-server pid $pid on $node, after a $offset s offset (${cmd:0:100}...)"
    # The time is taken inside the node right after kill(2) returned.
    t0=$("$C" exec "$node" sh -c 'kill -KILL "$1" && date +%s.%N' sh "$pid") || t0=""
    [[ $t0 =~ ^[0-9]+\.[0-9]+$ ]] || die "$agent: kill -KILL $pid on $node failed"
    FO_PID=$pid FO_T0=$t0
}

# The answer: FO (s after the trigger), FO_NEW the node that gave it.
kill_wait() {
    until_ack "$FO_T0" "" "$LIMIT" ||
        die "$REP_AGENT kill -9 #$REP_RUN: no SB transaction acknowledged through the VIP within $LIMIT s"
    FO=$T_OK FO_NEW=$BY FO_TRIES=$TRIES
}

rep_ready() { ready "$REP_AGENT"; }

kill_check() {
    local agent=$REP_AGENT run=$REP_RUN node=$FO_FROM pid=$FO_PID t0=$FO_T0 det rec up
    if "$C" exec "$node" test -e "/proc/$pid" &&
        [[ $("$C" exec "$node" cat "/proc/$pid/comm" 2>/dev/null) == ovsdb-server ]]; then
        die "$agent kill -9 #$run: pid $pid on $node still lives after kill -9"
    fi
    # ovn-ctl runs the incumbent's servers under OVS's --monitor: it must not have
    # restarted the killed server (it exits with a child killed by SIGKILL).
    if [[ $agent == incumbent ]]; then
        if grep -aq "pid $pid died, killed (Killed), exiting" "$CLUSTER_RUN/$node/var-log-ovn/ovsdb-server-sb.log"; then
            MONITOR_EXITED=$((MONITOR_EXITED + 1))
        else
            say "note: no 'pid $pid died, killed (Killed), exiting' in $node's ovsdb-server-sb.log"
        fi
    fi
    det=$(detect_time "$node" "$REP_RSC" "$t0")
    rec=""
    if [[ -n $det ]]; then
        rec=$(awk -v a="$FO" -v d="$det" 'BEGIN { printf "%.2f", a - d }')
        DETECT[$agent]+="$det "
        RECOVER[$agent]+="$rec "
    fi
    up=$(started_time "$FO_NEW" "$t0")
    STARTED[$agent,kill]+="${up:+$up }"
    [[ -z $up ]] || GAP[$agent,kill]+="$(awk -v a="$FO" -v u="$up" 'BEGIN { printf "%.2f", a - u }') "
    say "$agent kill -9 #$run: SB acknowledged by $FO_NEW after $FO s ($FO_TRIES attempts; failure logged after ${det:-?} s, last start done after ${up:-?} s)"
    record "$agent" kill "$run" "$FO" "$FO_NEW" "$det" "" "$up"
}

kill_clean() {
    local newpid
    collect_failures "$REP_AGENT" kill
    newpid=$("$C" exec "$ACTIVE" cat /var/run/ovn/ovnsb_db.pid | tr -dc '0-9')
    say "$REP_AGENT kill -9 #$REP_RUN: serving again on $ACTIVE, SB pid $newpid"
}

# Power-off of ACTIVE through the fence agent, run on the other node; then power it on.
power_rep() {
    REP_AGENT=$1 REP_RUN=$2
    FO_TRIGGER=power_trigger FO_WAIT=power_wait FO_SETTLE=: FO_CHECK=power_check FO_ACKS=: \
        FO_CLEAN=: FO_BACK=power_back FO_FINAL=: failover fence-off "$ACTIVE"
}

# stonith_admin runs in the background while the client tries: FENCE_PID.
FENCE_PID=""
power_trigger() {
    local frc peer
    FO_VICTIM=$FO_FROM
    peer=$(other "$FO_VICTIM")
    say "$REP_AGENT power-off #$REP_RUN: fencing $FO_VICTIM from $peer"
    rm -f "$WORK/fence.done"
    FO_T0=$(now)
    {
        frc=0
        timeout -k 5 100 "$C" exec "$peer" timeout 90 stonith_admin --fence "$FO_VICTIM" --timeout 60 \
            >"$WORK/fence.log" 2>&1 || frc=$?
        echo "$frc $EPOCHREALTIME" >"$WORK/fence.done"
    } &
    FENCE_PID=$!
}

power_wait() {
    until_ack "$FO_T0" "$FO_VICTIM" "$LIMIT" ||
        die "$REP_AGENT power-off #$REP_RUN: no SB transaction acknowledged by a node other than $FO_VICTIM within $LIMIT s"
    FO=$T_OK FO_NEW=$BY FO_TRIES=$TRIES
}

power_check() {
    local agent=$REP_AGENT run=$REP_RUN victim=$FO_VICTIM frc ft up
    wait "$FENCE_PID" || true
    read -r frc ft <"$WORK/fence.done" || die "stonith_admin result missing"
    ((frc == 0)) || die "$agent power-off #$run: stonith_admin --fence $victim failed ($frc): $(cat "$WORK/fence.log")"
    "$C" power status "$victim" 2>&1 | grep "status $victim: off" >/dev/null ||
        die "$agent power-off #$run: $victim is not powered off after the fence"
    ft=$(awk -v a="$FO_T0" -v b="$ft" 'BEGIN { printf "%.2f", b - a }')
    FENCE[$agent]+="$ft "
    up=$(started_time "$FO_NEW" "$FO_T0")
    STARTED[$agent,power]+="${up:+$up }"
    [[ -z $up ]] || GAP[$agent,power]+="$(awk -v a="$FO" -v u="$up" 'BEGIN { printf "%.2f", a - u }') "
    say "$agent power-off #$run: SB acknowledged by $FO_NEW after $FO s ($FO_TRIES attempts; stonith_admin returned after $ft s, last start done after ${up:-?} s)"
    record "$agent" power "$run" "$FO" "$FO_NEW" "" "$ft" "$up"
}

# The victim boots again and rejoins; then the failed actions of the repetition.
power_back() {
    "$C" power on "$FO_VICTIM" >&2
    if [[ $REP_AGENT == incumbent ]]; then provider_fix "$FO_VICTIM"; fi
    "$C" wait-online "$LIMIT" >&2
    ready "$REP_AGENT"
    collect_failures "$REP_AGENT" power
}

# ------------------------------------------------------------------ per agent

create_ovn_ocf() {
    "$C" shape A | tail -1
}

# OVN's commands, applied to a copy of the CIB (pcs -f) and pushed at once: run one by one
# against the live CIB, the VirtualIP starts before its colocation exists, possibly on the
# standby, and the standby can end up never replicating (see the section).
# FAILOVER_INC_CREATE=live runs them one by one instead (to see that happen).
create_incumbent() {
    local node c f=/tmp/ovndb-servers-cib.xml
    for node in node1 node2; do provider_fix "$node"; done
    if [[ ${FAILOVER_INC_CREATE:-batch} == live ]]; then
        for c in "${INC_CMDS[@]}"; do
            say "node1# $c"
            "$C" exec node1 bash -c "$c" >&2 || die "failed: $c"
        done
        return 0
    fi
    "$C" exec node1 pcs cluster cib "$f" || die "pcs cluster cib failed"
    for c in "${INC_CMDS[@]}"; do
        say "node1# pcs -f $f ${c#pcs }"
        "$C" exec node1 bash -c "pcs -f $f ${c#pcs }" >&2 || die "failed: $c"
    done
    say "node1# pcs cluster cib-push $f --config"
    "$C" exec node1 pcs cluster cib-push "$f" --config >&2 || die "pcs cluster cib-push failed"
}

run_agent() {
    local agent=$1 rsc r t0
    CUR_AGENT=$agent
    say "=== $agent: cluster up"
    cluster_up
    t0=$(now)
    if [[ $agent == ovn-ocf ]]; then
        rsc=ovn-sb
        create_ovn_ocf >/dev/null
    else
        rsc=ovndb_servers
        create_incumbent
    fi
    ready "$agent"
    SETUP[$agent]=$(since "$t0")
    COST[$agent]=$(attempt_cost)
    say "$agent: served on $ACTIVE ${SETUP[$agent]} s after the first pcs command; one acknowledged attempt takes ${COST[$agent]} ms"
    collect_failures "$agent" setup
    for ((r = 1; r <= RUNS; r++)); do kill_rep "$agent" "$r" "$rsc"; done
    for ((r = 1; r <= RUNS; r++)); do power_rep "$agent" "$r"; done
    say "=== $agent: cluster down"
    cluster_down
    CUR_AGENT=""
}

# ------------------------------------------------------------------ the section

# stats "V1 V2 ...": "min median max" (seconds).
stats() {
    tr ' ' '\n' <<<"$1" | { grep . || true; } | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "- - -"; exit }
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.2f %.2f %.2f\n", v[1], m, v[NR]
        }'
}
median() { stats "$1" | awk '{ print $2 }'; }
cell() { # "min median max" → "**median** (min–max)"
    awk '{ if ($2 == "-") print "-"; else printf "**%s s** (%s–%s)", $2, $1, $3 }' <<<"$1"
}
runs_list() { tr ' ' '\n' <<<"$1" | { grep . || true; } | paste -sd, - | sed 's/,/, /g'; }

fails_text() { # AGENT TRIGGER: "none" or "N × action" items
    local f=${FAILS[$1,$2]:-}
    if [[ -z ${f//$'\n'/} ]]; then echo "none"; return; fi
    grep . <<<"$f" | sort | uniq -c | sort -k1,1nr |
        awk '{ n = $1; $1 = ""; sub(/^ /, ""); printf "%s`%s` ×%d", (NR > 1 ? "; " : ""), $0, n }'
    echo
}

write_section() {
    local ko kn po pn ro rn ratio_k ratio_p ratio_r pkg_pcmk pkg_coro pkg_pcs pkg_ra pkg_ovn shape fixnote
    ko=$(stats "${VALS[ovn-ocf,kill]:-}") kn=$(stats "${VALS[incumbent,kill]:-}")
    po=$(stats "${VALS[ovn-ocf,power]:-}") pn=$(stats "${VALS[incumbent,power]:-}")
    ro=$(stats "${RECOVER[ovn-ocf]:-}") rn=$(stats "${RECOVER[incumbent]:-}")
    ratio_k=$(ratio "$(awk '{ print $2 }' <<<"$kn")" "$(awk '{ print $2 }' <<<"$ko")")
    ratio_p=$(ratio "$(awk '{ print $2 }' <<<"$pn")" "$(awk '{ print $2 }' <<<"$po")")
    ratio_r=$(ratio "$(awk '{ print $2 }' <<<"$rn")" "$(awk '{ print $2 }' <<<"$ro")")
    pkg_pcmk=$(dpkg-query -W -f='${Version}' pacemaker 2>/dev/null || echo '?')
    pkg_coro=$(dpkg-query -W -f='${Version}' corosync 2>/dev/null || echo '?')
    pkg_pcs=$(dpkg-query -W -f='${Version}' pcs 2>/dev/null || echo '?')
    pkg_ra=$(dpkg-query -W -f='${Version}' resource-agents 2>/dev/null || echo '?')
    pkg_ovn=$(dpkg-query -W -f='${Package} ${Version}' ovn-common 2>/dev/null || echo '?')
    shape=$(awk '/^\*\*A\. Group/ { f = 1; next } /^\*\*[B-Z]\./ { f = 0 } f && /^    pcs |^        / { print }' "$REPO/README.md")
    if ((PROVIDER_FIX)); then
        fixnote="**The incumbent does not run as Debian installs it.** \`$pkg_ovn\`'s postinst
makes \`$INC_LINK\` a symlink to \`/usr/share/openvswitch/scripts/ovndb-servers.ocf\`, a
file no package ships (the script is \`$INC_SCRIPT\`): Pacemaker finds no
\`ocf:ovn:ovndb-servers\`, and OVN's first pcs command fails with \`Error: Agent
'ocf:ovn:ovndb-servers' is not installed or does not provide valid metadata\`. To measure
it anyway, the cluster harness's overlay of \`/usr/lib/ocf/resource.d\` in each node (the
host is not changed) adds \`ovn/ovndb-servers\` linking to \`$INC_SCRIPT\`. The agent
itself is Debian's, unmodified."
    else
        fixnote="\`$INC_LINK\` resolves on this host: the agent is used as installed."
    fi
    cat >>"$REPORT" <<EOF
## Failover after kill -9 and after power-off: ovn-ocf against ovndb-servers.ocf

Time from the trigger until the Southbound database answers again through the VIP: the
first SB transaction (insert of a \`Chassis\` with its \`Encap\`) acknowledged by the server,
sent from a client outside the cluster (netns 198.51.100.200 on the cluster's wire) to
\`tcp:$VIP:6642\`; attempts back to back (\`ovsdb-client transact\`, each at most
${ATTEMPT_TIMEOUT} s, 50 ms apart). After a power-off only an acknowledgement from a node other
than the victim counts (the client's ARP entry for the VIP names the node that answered);
after a kill -9 the service may come back on the same node, so the first acknowledgement
counts. Both agents in the same namespace cluster harness, one cluster each, in this run;
${RUNS} runs per trigger and agent; **median** (min–max), seconds.

| trigger | ovn-ocf | ovndb-servers.ocf | ratio of medians (incumbent / ovn-ocf) |
|---|---:|---:|---:|
| kill -9 of the active SB ovsdb-server | $(cell "$ko") | $(cell "$kn") | **$ratio_k** |
| … of which after the failure was known (recovery) | $(cell "$ro") | $(cell "$rn") | **$ratio_r** |
| power-off of the active node (fence) | $(cell "$po") | $(cell "$pn") | **$ratio_p** |

Where the time goes, from each serving node's Pacemaker log (ms timestamps, same clock);
medians over the runs, each row its own median, seconds after the trigger:

| | kill -9: ovn-ocf | kill -9: ovndb-servers.ocf | power-off: ovn-ocf | power-off: ovndb-servers.ocf |
|---|---:|---:|---:|---:|
| failure known: the watcher's report (ovn-ocf) or the failed monitor (incumbent) logged (kill -9), \`stonith_admin\` returned (power-off) | $(median "${DETECT[ovn-ocf]:-}") | $(median "${DETECT[incumbent]:-}") | $(median "${FENCE[ovn-ocf]:-}") | $(median "${FENCE[incumbent]:-}") |
| last start done: \`ovn-sb\` (ovn-ocf), \`VirtualIP\` (incumbent) | $(median "${STARTED[ovn-ocf,kill]:-}") | $(median "${STARTED[incumbent,kill]:-}") | $(median "${STARTED[ovn-ocf,power]:-}") | $(median "${STARTED[incumbent,power]:-}") |
| first acknowledged SB transaction | $(median "${VALS[ovn-ocf,kill]:-}") | $(median "${VALS[incumbent,kill]:-}") | $(median "${VALS[ovn-ocf,power]:-}") | $(median "${VALS[incumbent,power]:-}") |
| from the last start to that transaction | $(median "${GAP[ovn-ocf,kill]:-}") | $(median "${GAP[incumbent,kill]:-}") | $(median "${GAP[ovn-ocf,power]:-}") | $(median "${GAP[incumbent,power]:-}") |

Every run, in order (s): kill -9, ovn-ocf $(runs_list "${VALS[ovn-ocf,kill]:-}"); ovndb-servers.ocf
$(runs_list "${VALS[incumbent,kill]:-}"). Power-off, ovn-ocf $(runs_list "${VALS[ovn-ocf,power]:-}"); ovndb-servers.ocf
$(runs_list "${VALS[incumbent,power]:-}"). No time is asserted; every failover had to happen within ${LIMIT} s
(each did, or this section would not exist).

What the times are made of:

- **kill -9**: ovn-ocf's watcher (\`ovn-ocf watch\`, beside each daemon) learns of the
  death through a pidfd and tells Pacemaker at once (\`crm_resource --fail\`: a failed
  \`asyncmon\` in its log), so recovery starts without a monitor. Nothing notices the
  incumbent's dead ovsdb-server before its next recurring monitor (every 10 s), so its
  time is that wait (0–10 s, depending on where in the monitor cycle the kill fell) plus
  the recovery. Run r of N waits a random offset within the r-th N-th of 10 s before its
  kill, the same for both agents. The recovery row is the time from the failure as the
  serving node's Pacemaker log stamps it to the first acknowledged transaction. ovn-ocf restarts \`ovn-sb\` in place (and \`ovn-northd\`, after it in the group);
  its start returns once the listener is open. The incumbent's one resource holds NB, SB
  and northd, so Pacemaker demotes it (which fails, \`not running\`), stops, starts and
  promotes it whole, and stops and starts the VIP (ordered after the promotion). Answered by:
  ovn-ocf $(runs_list "${BYS[ovn-ocf,kill]:-}"); ovndb-servers.ocf $(runs_list "${BYS[incumbent,kill]:-}") (the serving node before each run).
- **power-off**: \`stonith_admin --fence\` on the other node; the fence agent cuts the
  victim's power (SIGKILL of its init; its netns and the VIP leave the wire; see
  \`ocf-tests/cluster/README.md\`) and Pacemaker knows at once: no monitor wait.
  stonith_admin returned after a median of $(median "${FENCE[ovn-ocf]:-}") s (ovn-ocf's cluster) and
  $(median "${FENCE[incumbent]:-}") s (the incumbent's). Then ovn-ocf mounts the shared LUN (ext4 journal
  recovery), adds the VIP and starts NB, SB and northd on the files the victim wrote;
  the incumbent promotes the standby (\`ovn-ctl promote_ovn{nb,sb}\`: the replica stops
  following and becomes active), starts ovn-northd, then the VIP. Answered by: ovn-ocf
  $(runs_list "${BYS[ovn-ocf,power]:-}"); ovndb-servers.ocf $(runs_list "${BYS[incumbent,power]:-}").
- **From the last start to the answer**: ovn-ctl starts the incumbent's ovsdb-servers
  (and its standby already runs them) with a listener on the VIP, and the VIP comes only
  after the promotion: the listener fails (\`bind: Cannot assign requested address\` in
  \`ovsdb-server-sb.log\`) and the server binds it on a later retry, the gap in the last
  row. ovn-ocf opens its listener after the VIP is there (the group's order) and its
  start returns only then.
- The client's resolution: an acknowledged attempt took ${COST[ovn-ocf]:-?} ms (ovn-ocf's cluster) and
  ${COST[incumbent]:-?} ms (the incumbent's), \`ip netns exec\` and \`ovsdb-client\` included; a refused
  connection fails about as fast, an unanswered one (VIP not on the wire yet) after ${ATTEMPT_TIMEOUT} s.

Failed actions Pacemaker showed (\`crm_mon\`: the last failure per resource and node),
collected after each run and then cleared with \`crm_resource --cleanup\`, so each run
starts clean:

| | ovn-ocf | ovndb-servers.ocf |
|---|---|---|
| setup | $(fails_text ovn-ocf setup) | $(fails_text incumbent setup) |
| kill -9 (${RUNS} runs) | $(fails_text ovn-ocf kill) | $(fails_text incumbent kill) |
| power-off (${RUNS} runs) | $(fails_text ovn-ocf power) | $(fails_text incumbent power) |

The clusters: \`ocf-tests/cluster/cluster.sh up\`, 2 nodes (Pacemaker $pkg_pcmk, Corosync
$pkg_coro with token 1000 ms, pcs $pkg_pcs, resource-agents $pkg_ra), stonith on
(\`fence_ovnocf_ns\`, \`pcmk_reboot_action=off\`). Before every run the service was up on one
node, the other node online in its role (the incumbent's standby replicating NB and SB
from the VIP: \`ovsdb-server/sync-status\`), and an SB transaction through the VIP had been
acknowledged by the serving node. After each power-off the victim was powered on again
and rejoined (\`cluster.sh power on\`, \`cluster.sh wait-online\`) before the next run; the
service stays where it is, so successive power-offs alternate between the nodes.

**ovn-ocf**: README's shape A, created by \`cluster.sh shape A\` from README's lines
verbatim (database files on the shared LUN, mounted \`options=sync\`; monitors every 1 s,
timeout 10 s, on \`ovn-nb\`, \`ovn-sb\` and \`ovn-northd\`, Filesystem's and IPaddr2's at
pcs's defaults):

$shape

**ovndb-servers.ocf** (Debian's \`$INC_SCRIPT\`, $pkg_ovn, driving \`$OVN_CTL\`):
OVN's documented setup (\`Documentation/topics/integration.rst\`, "HA for OVN DB servers
using pacemaker": a promotable \`ovndb_servers\` with \`notify=true\`, an IPaddr2 VirtualIP
with \`op monitor interval=30s\`, \`order promote … then VirtualIP\`, \`colocation add
VirtualIP with master … score=INFINITY\`), its databases in each node's own
\`/var/lib/ovn\` (active-backup replication, no shared storage), as OVN runs it:

$(printf '    %s\n' "${INC_CMDS[@]}")

Differences from OVN's text, each forced or for comparability: pcs 0.11 has no
\`pcs resource master\` (the clone comes from \`promotable notify=true\` and is named
\`ovndb_servers-clone\`) and calls the role Promoted, not Master. OVN documents
\`op monitor interval=10s\` and \`op monitor role=Master interval=15s\`; here the promoted
monitor runs every 10 s, the unpromoted one every 11 s (Pacemaker refuses two monitors
with one interval). Its monitor forks 29 processes a call (~39 ms), ovn-ocf's none
(~1 ms), which is what lets ovn-ocf's README recommend 1 s. \`manage_northd=yes\` because shape A runs ovn-northd
too; the ports are the defaults, spelled out; \`ovn_ctl\` is Debian's path. No
resource-stickiness (OVN documents none; its promotion scores, 10 promoted and 5
standby, keep the master where it is). The four commands are applied to a copy of the
CIB (\`pcs -f FILE\`) and pushed at once (\`pcs cluster cib-push FILE --config\`), not one
by one: run one by one, the VirtualIP exists before its colocation and may start on the
node that becomes the standby; the standby is then told to replicate from the VIP, that
is from itself (\`Server ID check failed: Self replicating is not allowed\`), its monitor
fails, Pacemaker restarts it, the restart meets the same refusal, and the agent's start,
finding the server active, demotes it to replicate from its placeholder \`192.0.2.254\`.
There it stays: only a post-promote notification re-points a standby, and no promotion
follows. Its monitor reports it healthy (\`running/backup\`): a standby that never
replicates, which a later failover would promote. Seen while this benchmark was developed (intermittent: it depends on where the
VIP starts and on timing); \`FAILOVER_INC_CREATE=live\` runs the commands one by one (the
figure then fails when it happens, at the standby check above).

$fixnote

Each kill -9 victim was checked first: \`/var/run/ovn/ovnsb_db.pid\` inside the serving
node named a live \`ovsdb-server\` with \`ovnsb_db.db\` on its command line whose
\`ovsdb-server/sync-status\` said \`state: active\`; after the failover that pid was gone.
ovn-ctl starts the incumbent's servers under OVS's \`--monitor\`, which does not restart a
child killed by SIGKILL but exits with it (its log said so after $MONITOR_EXITED of the incumbent's
${RUNS} kills), so Pacemaker does the recovery for both agents.

Reproduce (raw data of this run: \`target/bench/failover.tsv\`):

    make bench                       # every figure, this one included
    FAILOVER_RUNS=$RUNS OVN_OCF_BIN=/usr/local/sbin/ovn-ocf \\
        ocf-tests/bench/failover.sh --report /tmp/failover.md   # this figure alone

or one run by hand (\`C=ocf-tests/cluster/cluster.sh\`, \`export OVNOCF_CLUSTER=bench\`):

    \$C up
    \$C shape A                       # ovn-ocf (the incumbent: the commands above, on node1)
    \$C exec node1 sh -c 'kill -KILL "\$(cat /var/run/ovn/ovnsb_db.pid)"'   # on the serving node
    \$C exec node2 stonith_admin --fence node1 --timeout 60
    \$C power on node1 && \$C wait-online
    \$C client ovsdb-client transact tcp:$VIP:6642 '["OVN_Southbound",{"op":"select","table":"SB_Global","where":[]}]'
    \$C vip-node                      # the node that answered
    \$C down

EOF
}

# ------------------------------------------------------------------ main

main() {
    [[ $(id -u) == 0 ]] || die "run as root (the namespace cluster needs it)"
    [[ -x $OVN_OCF_BIN ]] || die "OVN_OCF_BIN=$OVN_OCF_BIN is not an executable"
    [[ -r $INC_SCRIPT ]] || die "$INC_SCRIPT not found (package ovn-central)"
    [[ -x $OVN_CTL ]] || die "$OVN_CTL not found (package ovn-central)"
    at_exit teardown
    mkdir -p "$RAW"
    WORK=$(mktemp -d /var/tmp/ovn-ocf-failover.XXXXXX)   # visible inside the nodes
    chmod 0755 "$WORK"
    provider_fix_needed
    TSV=$RAW/failover.tsv
    printf 'agent\ttrigger\trun\tseconds\tanswered_by\tdetect_s\tfence_s\tlast_start_s\n' >"$TSV"
    local t0 a
    t0=$(now)
    for a in $AGENTS; do run_agent "$a"; done
    say "both clusters done in $(since "$t0") s"
    if [[ $AGENTS == *ovn-ocf* && $AGENTS == *incumbent* ]]; then
        write_section
        say "section written to $REPORT"
    else
        say "one agent only (--agents): no section written; raw data in $TSV"
    fi
}

main

#!/bin/bash
# OVN's native RAFT cluster side by side with ovn-ocf (README's shape A) and OVN's own
# agent ovndb-servers.ocf (the incumbent), as the Northbound database's clients see a
# failover, in the namespace cluster harness (ocf-tests/cluster/): the same nodes, the
# same power switch, the same client netns and clients for all three. A figure of
# `make bench` (run.sh calls it with --report); runs on its own too:
#
#   OVN_OCF_BIN=/usr/local/sbin/ovn-ocf ocf-tests/bench/raft.sh --report /tmp/raft.md
#
# RAFT, as OVN documents it (ovn-ctl(8)'s clustered databases: every node
# `--db-{nb,sb}-cluster-local-addr`, the others also `--db-{nb,sb}-cluster-remote-addr`
# of the first one): `cluster.sh up --nodes 3`
# (Pacemaker runs in the nodes but manages nothing; stonith off), then in every node
# `ovn-ctl start_ovsdb` (clustered NB and SB, ovsdb-tool create-cluster on node1,
# join-cluster on node2 and node3; client remotes ptcp:6641 and ptcp:6642) and `ovn-ctl
# --ovn-manage-ovsdb=no start_northd` with all three NB and all three SB remotes (one
# northd holds the SB lock, the others wait). Election timer RAFT_TIMERS (1000 then 5000
# ms; raised with `cluster/change-election-timer`, at most doubling per step as ovsdb
# requires, NB and SB). Triggers, RAFT_RUNS each per timer:
#   kill -9   of the NB leader's ovsdb-server (its pid from ovnnb_db.pid, checked to be
#             the leader: `cluster/status` says Role: leader); restarted by ovn-ctl after;
#   power-off of the NB leader's node through the power switch (`cluster.sh power off`:
#             the node's port off the bridge, so its kernel's FINs for the killed
#             processes' sockets reach nobody, then SIGKILL of the node's init; the time
#             starts when the port went down); powered on again after, its servers and northd
#             started again (they rejoin).
# ovn-ocf: `cluster.sh up` (2 nodes, stonith on), `cluster.sh shape A` (README's lines:
# the LUN mounted `options=sync`), clients through the VIP; kill -9 of the NB
# ovsdb-server on the serving node; power-off of the serving node the same way as for
# RAFT: nobody tells Pacemaker, Corosync finds the node gone (token 1000 ms) and
# Pacemaker fences it (the fence agent finds it off) before it moves the service, unlike
# failover.sh, whose `stonith_admin --fence` tells Pacemaker at once. After the run the
# node is powered on once Pacemaker's fence history has that fencing. The incumbent:
# OVN's documented setup as failover.sh makes it (INC_CMDS of cluster/lib.sh pushed at
# once with `pcs -f`), same triggers, no offset within its monitor cycle.
#
# Clients, all from the client netns (198.51.100.200), both running through every
# repetition (nbclient.py has the details):
#   fresh   a new connection every 50 ms, one transaction inserting one Address_Set row;
#           with several remotes (RAFT) it keeps only a connection whose server says it
#           is the leader (_Server.Database), trying the remotes in order from the last
#           leader on, as ovsdb-client does; every connect and reply bounded by 0.5 s
#           (the connect alone by RAFT_CONNECT_BOUND when set);
#   nbctl   OVN's own IDL: an `ovn-nbctl --detach` daemon (OVN_NB_DAEMON) with all the
#           remotes (RAFT) or the VIP, `ovn-nbctl create Address_Set ...` 50 ms after the
#           previous one returned: what northd, ovn-controller and Neutron's IDL see.
# Figures per system × trigger × client: time from the trigger to the first acknowledged
# write sent at or after it; acknowledged writes lost (every acknowledged row is read back
# from NB after the repetition); time until an NB change made after the trigger shows in
# SB (fresh: a Logical_Switch created through fresh connections, then its
# Datapath_Binding read from SB; nbctl: `ovn-nbctl --wait=sb ls-add` through a second
# daemon, idle until the trigger); and, per system, steady-state write throughput and
# latency (one connection to the leader / VIP, single-row inserts back to back for
# RAFT_TPUT_SECS, p50/p99). No time is asserted; every failover must happen within
# RAFT_LIMIT s, or the figure fails (logs saved to target/bench/raft-logs-*).
#
# Knobs (env): RAFT_RUNS (3) per trigger, timer and system; RAFT_TIMERS ("1000 5000");
# RAFT_TPUT_SECS (10); RAFT_LIMIT (120); RAFT_CONNECT_BOUND (0.5, seconds: the fresh
# client's bound on each TCP connect; an attempt sent while no server holds the address
# waits it out, so it sets how often that client tries during an outage); RAFT_KEEP_LOGS
# (1: every cluster's logs saved to target/bench/raft-logs-*, not only a failed one's);
# RAFT_CLUSTER (raft: the harness's cluster name;
# the script refuses one that exists); RAFT_SYSTEMS ("raft ovn-ocf ovn-ocf-b incumbent";
# ovn-ocf-b is README's shape B, promotable clones, the same triggers on the promoted
# node; add idl
# for OVN's IDL reconnect schedule: a standalone NB on node1 killed and started again
# after each of RAFT_IDL_DELAYS ("0.3 0.7 1.3 2 3.5") seconds, the next write of both
# clients; its own table, RAFT_RUNS per delay);
# OVN_OCF_BIN (/usr/local/sbin/ovn-ocf) for ovn-ocf's cluster.
# Options: --report FILE (append the markdown section; default stdout), --raw DIR (raw
# data, default target/bench).
#
# Scale mode (scale.sh's RAFT column): --failover-tsv FILE. The Southbound instead: RAFT
# alone (RAFT_SYSTEMS is ignored), one election timer (RAFT_TIMERS holds one), no writers
# running; per trigger RAFT_RUNS runs of: the SB leader's ovsdb-server killed (-9) or its
# node powered off, as above (whether that node also runs the active northd is logged),
# then `nbclient.py sbfirst` (attempts back to back, 50 ms apart, each a fresh
# connection to the SB leader inserting a Chassis, as failover.sh's client does through
# the VIP: after a power-off only an ack by another node counts) and `nbclient.py sbvis`
# right after it (a logical switch created in NB, until its Datapath_Binding is in SB:
# ovn-northd's takeover); FILE gets failover.sh's raw-data rows (agent raft, seconds,
# answered_by, nb_in_sb_s; the columns RAFT has no use for "-"). RAFT_SEED_DIR (none): a
# directory with ovnnb_db.db and ovnsb_db.db (gendb.sh's standalone files) copied into
# node1's /var/lib/ovn before its first start: ovn-ctl turns a standalone file into the
# cluster's first member (`ovsdb-tool create-cluster` from it, as OVN documents for
# moving to RAFT), node2 and node3 join and get it from the leader.
#
# Teardown on every exit path (EXIT/INT/TERM trap): the clients and ovn-nbctl daemons by
# their pids, the cluster by `cluster.sh down`.
# Markdown backticks inside single quotes are meant literally.
# shellcheck disable=SC2016
set -euo pipefail

SAY=raft
# shellcheck source-path=SCRIPTDIR source=../cluster/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../cluster/lib.sh"
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

export OVNOCF_CLUSTER=${RAFT_CLUSTER:-raft}
unset OVNOCF_CLUSTER_DIR
CLUSTER_RUN=/var/tmp/ovn-ocf-cluster.$OVNOCF_CLUSTER
export OVN_OCF_BIN=${OVN_OCF_BIN:-/usr/local/sbin/ovn-ocf}
NBC=$BENCH_DIR/nbclient.py

RUNS=${RAFT_RUNS:-3}
TIMER=1000
TIMERS=${RAFT_TIMERS:-1000 5000}
TPUT_SECS=${RAFT_TPUT_SECS:-10}
LIMIT=${RAFT_LIMIT:-120}
CONNECT_BOUND=${RAFT_CONNECT_BOUND:-0.5}
KEEP_LOGS=${RAFT_KEEP_LOGS:-0}
SYSTEMS=${RAFT_SYSTEMS:-raft ovn-ocf ovn-ocf-b incumbent}
IDL_DELAYS=${RAFT_IDL_DELAYS:-0.3 0.7 1.3 2 3.5}
REPORT=/dev/stdout
SCALE_TSV=""
SEED=${RAFT_SEED_DIR:-}

usage() { sed -n '2,/^# Markdown backticks/p' "$0" | sed '$d; s/^# \{0,1\}//'; }

while (($#)); do
    case $1 in
    --report) REPORT=$2; shift 2 ;;
    --raw) RAW=$2; shift 2 ;;
    --failover-tsv) SCALE_TSV=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

if ! [[ $RUNS =~ ^[0-9]+$ ]] || ((RUNS < 1)); then die "RAFT_RUNS=$RUNS: need an integer >= 1"; fi
if ! [[ $LIMIT =~ ^[0-9]+$ ]] || ((LIMIT < 10)); then die "RAFT_LIMIT=$LIMIT: need an integer >= 10"; fi
if ! [[ $TPUT_SECS =~ ^[0-9]+$ ]] || ((TPUT_SECS < 1)); then die "RAFT_TPUT_SECS=$TPUT_SECS: need an integer >= 1"; fi
[[ $KEEP_LOGS == [01] ]] || die "RAFT_KEEP_LOGS=$KEEP_LOGS: 0 or 1"
[[ $CONNECT_BOUND =~ ^0\.[0-9]*[1-9][0-9]*$|^[1-4](\.[0-9]+)?$|^5$ ]] || die "RAFT_CONNECT_BOUND=$CONNECT_BOUND: seconds, more than 0, at most 5"
for t in $TIMERS; do
    if ! [[ $t =~ ^[0-9]+$ ]] || ((t < 100 || t > 600000)); then die "RAFT_TIMERS: $t is not 100..600000 ms"; fi
done
for d in $IDL_DELAYS; do
    [[ $d =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "RAFT_IDL_DELAYS: $d is not a number of seconds"
done
for s in $SYSTEMS; do
    case $s in raft | ovn-ocf | ovn-ocf-b | incumbent | idl) ;; *) die "RAFT_SYSTEMS: raft, ovn-ocf, ovn-ocf-b, incumbent and/or idl, not $s" ;; esac
done
if [[ -n $SEED ]]; then
    [[ $SEED == /* && -s $SEED/ovnnb_db.db && -s $SEED/ovnsb_db.db ]] ||
        die "RAFT_SEED_DIR=$SEED: an absolute path to a directory with ovnnb_db.db and ovnsb_db.db"
fi
if [[ -n $SCALE_TSV ]]; then
    SYSTEMS=raft
    [[ $TIMERS =~ ^[0-9]+$ ]] || die "--failover-tsv: RAFT_TIMERS holds one timer, not \"$TIMERS\""
fi

CTL=/usr/share/ovn/scripts/ovn-ctl
NB_CTL=/var/run/ovn/ovnnb_db.ctl
SB_CTL=/var/run/ovn/ovnsb_db.ctl
RAFT_NODES=(node1 node2 node3)
ip_of() { echo "$SUBNET.$((10 + ${1#node}))"; }
remotes() { # PORT: tcp:IP:PORT of every RAFT node, comma-separated
    local n out=""
    for n in "${RAFT_NODES[@]}"; do out+="${out:+,}tcp:$(ip_of "$n"):$1"; done
    echo "$out"
}

# ------------------------------------------------------------------ lifetime

UP=0
WORK=""
SYS=""       # the system (and timer) being measured: raft-1000, ovn-ocf, incumbent
NB_REMOTES="" SB_REMOTES=""

teardown() {
    clients_stop
    daemons_stop
    if ((UP)); then
        if ((RC != 0)); then
            say "failed (exit $RC) with the ${SYS:-?} cluster up"
            "$C" down --save-logs "$RAW/raft-logs-${SYS:-none}-$(date +%Y%m%dT%H%M%S)" >&2 || RC=1
        else
            "$C" down >&2 || RC=1
        fi
    fi
    [[ -z $WORK || ! -d $WORK ]] || rm -rf "$WORK"
}

cluster_up() { # [ARGS of cluster.sh up]
    [[ ! -e $CLUSTER_RUN ]] ||
        die "$CLUSTER_RUN exists: a cluster named $OVNOCF_CLUSTER is up (or was not torn down); not touching it (RAFT_CLUSTER picks another name)"
    if ip netns list | grep "^$OVNOCF_CLUSTER-" >/dev/null; then
        die "netns $OVNOCF_CLUSTER-* exist: not touching them (RAFT_CLUSTER picks another name)"
    fi
    UP=1
    "$C" up "$@" >&2
}

cluster_down() {
    local keep=()
    if [[ $KEEP_LOGS == 1 ]]; then keep=(--save-logs "$RAW/raft-logs-${SYS:-none}-$(date +%Y%m%dT%H%M%S)"); fi
    "$C" down "${keep[@]}" >&2 || die "cluster.sh down failed"
    UP=0
}

# ------------------------------------------------------------------ ovn-nbctl daemons

# Two per system: d-write (the nbctl writer's) and d-sb (the --wait=sb probe's).
declare -A DAEMON_PID=()
daemon_start() { # NAME
    local n=$1 pid t0
    rm -f "$WORK/$n.pid" "$WORK/$n.ctl"
    "$C" client ovn-nbctl --db="$NB_REMOTES" --detach --pidfile="$WORK/$n.pid" \
        --log-file="$WORK/$n-$SYS.log" --unixctl="$WORK/$n.ctl" >/dev/null ||
        die "ovn-nbctl --detach ($n) failed"
    t0=$(now)
    until [[ -s $WORK/$n.pid && -S $WORK/$n.ctl ]]; do
        past "$t0" 10 && die "ovn-nbctl daemon $n: no pidfile/socket after 10 s"
        sleep 0.05
    done
    pid=$(tr -dc '0-9' <"$WORK/$n.pid")
    DAEMON_PID[$n]=$pid
    say "ovn-nbctl daemon $n: pid $pid, --db=$NB_REMOTES"
}

daemons_stop() {
    local n
    for n in "${!DAEMON_PID[@]}"; do
        stop_ours "${DAEMON_PID[$n]}" "$WORK/$n.pid"
        unset "DAEMON_PID[$n]"
    done
}

# ------------------------------------------------------------------ writers

declare -A CLIENT_PID=() CLIENT_WRAP=()
client_start() { # KIND(fresh|nbctl) TAG
    local kind=$1 tag=$2 log=$WORK/$1-$2.log t0 target
    : >"$log"
    rm -f "$log.pid"
    if [[ $kind == fresh ]]; then target=$NB_REMOTES; else target=$WORK/d-write.ctl; fi
    local bound=()
    if [[ $kind == fresh ]]; then bound=(--connect-bound "$CONNECT_BOUND"); fi
    "$C" client python3 "$NBC" "$kind" "$log" "$log.pid" "$target" "$tag" --interval 0.05 "${bound[@]}" </dev/null &
    CLIENT_WRAP[$kind]=$!
    t0=$(now)
    until [[ -s $log.pid ]]; do
        past "$t0" 10 && die "$kind writer: no pidfile after 10 s"
        kill -0 "${CLIENT_WRAP[$kind]}" 2>/dev/null || die "$kind writer exited"
        sleep 0.05
    done
    CLIENT_PID[$kind]=$(tr -dc '0-9' <"$log.pid")
    until [[ -s $log ]]; do
        past "$t0" 60 && die "$kind writer: no acknowledged write within 60 s"
        kill -0 "${CLIENT_WRAP[$kind]}" 2>/dev/null || die "$kind writer exited"
        sleep 0.05
    done
}

clients_stop() {
    local k t0
    for k in "${!CLIENT_PID[@]}"; do
        if tr '\0' ' ' 2>/dev/null <"/proc/${CLIENT_PID[$k]}/cmdline" | grep -qF -- "$NBC"; then
            kill -TERM "${CLIENT_PID[$k]}" 2>/dev/null || true
        fi
    done
    for k in "${!CLIENT_WRAP[@]}"; do
        t0=$(now)
        while kill -0 "${CLIENT_WRAP[$k]}" 2>/dev/null && ! past "$t0" 125; do sleep 0.05; done
        if [[ -n ${CLIENT_PID[$k]:-} ]] &&
            tr '\0' ' ' 2>/dev/null <"/proc/${CLIENT_PID[$k]}/cmdline" | grep -qF -- "$NBC"; then
            kill -KILL "${CLIENT_PID[$k]}" 2>/dev/null || true
        fi
        wait "${CLIENT_WRAP[$k]}" 2>/dev/null || true
    done
    CLIENT_PID=() CLIENT_WRAP=()
}

# ------------------------------------------------------------------ RAFT

# disks NODE: the node's own /var/lib/ovn and /var/log/ovn are mounted (else they would
# be the host's).
disks() {
    "$C" exec "$1" sh -c 'mountpoint -q /var/lib/ovn && mountpoint -q /var/log/ovn' 2>/dev/null ||
        die "$1: /var/lib/ovn or /var/log/ovn is not the node's own mount"
}

raft_start_dbs() { # NODE: ovn-ctl's clustered NB and SB (create on node1, join elsewhere)
    local node=$1 ip join=()
    disks "$node"
    ip=$(ip_of "$node")
    if [[ $node != node1 ]]; then
        join=(--db-nb-cluster-remote-addr="$(ip_of node1)" --db-sb-cluster-remote-addr="$(ip_of node1)")
    fi
    "$C" exec "$node" "$CTL" --db-nb-cluster-local-addr="$ip" --db-sb-cluster-local-addr="$ip" \
        "${join[@]}" --db-nb-create-insecure-remote=yes --db-sb-create-insecure-remote=yes \
        start_ovsdb >/dev/null 2>&1 || die "$node: ovn-ctl start_ovsdb failed"
}

# seed_node1: RAFT_SEED_DIR's standalone files in node1's /var/lib/ovn (its own mount),
# before ovn-ctl's first start there turns them into the cluster's first member.
seed_node1() {
    local f
    [[ -n $SEED ]] || return 0
    disks node1
    say "seeding node1 with $SEED's ovnnb_db.db and ovnsb_db.db ($(du -cm "$SEED/ovnnb_db.db" "$SEED/ovnsb_db.db" | tail -1 | cut -f1) MB)"
    for f in ovnnb_db.db ovnsb_db.db; do
        cp "$SEED/$f" "$CLUSTER_RUN/node1/var-lib-ovn/$f.seed"
        mv "$CLUSTER_RUN/node1/var-lib-ovn/$f.seed" "$CLUSTER_RUN/node1/var-lib-ovn/$f"
    done
    "$C" exec node1 ovsdb-tool db-is-standalone /var/lib/ovn/ovnsb_db.db ||
        die "node1: the seeded /var/lib/ovn/ovnsb_db.db is not a standalone database"
}

raft_start_one() { # NODE nb|sb: only that database's server again (after its kill -9)
    local node=$1 d=$2 ip join=()
    disks "$node"
    ip=$(ip_of "$node")
    [[ $node == node1 ]] || join=("--db-$d-cluster-remote-addr=$(ip_of node1)")
    "$C" exec "$node" "$CTL" "--db-$d-cluster-local-addr=$ip" "${join[@]}" \
        "--db-$d-create-insecure-remote=yes" "start_${d}_ovsdb" >/dev/null 2>&1 ||
        die "$node: ovn-ctl start_${d}_ovsdb failed"
}

raft_start_northd() {
    disks "$1"
    "$C" exec "$1" "$CTL" --ovn-manage-ovsdb=no --ovn-northd-nb-db="$(remotes 6641)" \
        --ovn-northd-sb-db="$(remotes 6642)" start_northd >/dev/null 2>&1 ||
        die "$1: ovn-ctl start_northd failed"
}

raft_status() { # NODE NB|SB
    local ctl=$NB_CTL db=OVN_Northbound
    [[ $2 == SB ]] && ctl=$SB_CTL db=OVN_Southbound
    "$C" exec "$1" timeout 5 ovn-appctl -t "$ctl" cluster/status "$db" 2>/dev/null
}

raft_leader() { # NB|SB: the node whose server says Role: leader
    local n
    for n in "${RAFT_NODES[@]}"; do
        if raft_status "$n" "$1" | grep -qx 'Role: leader'; then echo "$n"; return 0; fi
    done
    return 1
}

northd_active() { # the node whose ovn-northd holds the SB lock, or -
    local n
    for n in "${RAFT_NODES[@]}"; do
        if "$C" exec "$n" timeout 5 ovn-appctl -t ovn-northd status 2>/dev/null | grep -qx 'Status: active'; then
            echo "$n"; return 0
        fi
    done
    echo -
}

# Every node: NB and SB cluster members with a known leader, the election timer at TIMER,
# one northd active. Sets SERVE (the NB leader).
raft_ready() {
    local t0 n db st ok why
    t0=$(now)
    while :; do
        ok=1 why=""
        for n in "${RAFT_NODES[@]}"; do
            for db in NB SB; do
                st=$(raft_status "$n" "$db") || st=""
                if ! grep -qx 'Status: cluster member' <<<"$st" || grep -qx 'Leader: unknown' <<<"$st" ||
                    ! grep -qx "Election timer: $TIMER" <<<"$st"; then
                    # (An empty st: the server did not answer within 5 s, a big SB's
                    # while it sends a client the whole database.)
                    ok=0 why="$n $db: $({ grep -E '^(Status|Role|Leader|Election timer):' <<<"$st" || echo "no answer to cluster/status"; } | tr '\n' ' ')"
                    break 2
                fi
            done
        done
        if ((ok)); then
            if SERVE=$(raft_leader NB) && [[ $(northd_active) != - ]]; then return 0; fi
            why="no NB leader or no active northd"
        fi
        past "$t0" "$LIMIT" && die "RAFT not ready after $LIMIT s: $why"
        sleep 0.2
    done
}

raft_set_timer() { # MS on NB and SB, stepwise (at most doubling)
    local want=$1 db ctl name cur next leader t0
    for db in NB SB; do
        ctl=$NB_CTL name=OVN_Northbound
        [[ $db == SB ]] && ctl=$SB_CTL name=OVN_Southbound
        t0=$(now)
        while :; do
            leader=$(raft_leader "$db") || leader=""
            if [[ -n $leader ]]; then
                cur=$(raft_status "$leader" "$db" | sed -n 's/^Election timer: //p')
                [[ $cur == "$want" ]] && break
                if [[ $cur =~ ^[0-9]+$ ]]; then
                    next=$want
                    ((want <= cur * 2)) || next=$((cur * 2))
                    "$C" exec "$leader" ovn-appctl -t "$ctl" cluster/change-election-timer "$name" "$next" >/dev/null 2>&1 || true
                fi
            fi
            past "$t0" 60 && die "$db election timer not $want after 60 s (now ${cur:-?})"
            sleep 0.3
        done
    done
    say "election timer $want ms on NB and SB"
}

raft_up() {
    local n
    cluster_up --nodes 3
    "$C" exec node1 pcs property set stonith-enabled=false >/dev/null
    seed_node1
    for n in "${RAFT_NODES[@]}"; do raft_start_dbs "$n"; done
    for n in "${RAFT_NODES[@]}"; do raft_start_northd "$n"; done
    NB_REMOTES=$(remotes 6641) SB_REMOTES=$(remotes 6642)
}

# ------------------------------------------------------------------ Pacemaker systems

pcmk_ready() { # ovn-ocf: group ovn Started; incumbent: promoted + standby replicating
    local t0 s p u v n
    t0=$(now)
    while :; do
        if [[ $SYS == ovn-ocf ]]; then
            if SERVE=$("$C" wait-group ovn 5 2>/dev/null); then return 0; fi
        elif [[ $SYS == ovn-ocf-b ]]; then
            if SERVE=$("$C" wait-promoted --standby --secs 5 ovn-storage ovn-nb-clone ovn-sb-clone ovn-northd-clone 2>/dev/null); then
                return 0
            fi
        else
            s=$(crm summary 2>/dev/null) || s=""
            n=$(crm online 2>/dev/null) || n=0
            read -r p u v < <(clone_roles ovndb_servers VirtualIP <<<"$s")
            if ((n == 2)) && [[ $p != *,* && $p != - && $v == "$p" && $u == "$(other "$p")" ]] &&
                inc_replicating "$u"; then
                SERVE=$p
                return 0
            fi
        fi
        past "$t0" "$LIMIT" && die "$SYS: not served after $LIMIT s"
        sleep 0.5
    done
}

inc_replicating() { # NODE: the incumbent's standby replicates NB and SB from the VIP
    local node=$1 db st
    for db in nb:6641 sb:6642; do
        st=$("$C" exec "$node" ovn-appctl -t "/var/run/ovn/ovn${db%:*}_db.ctl" ovsdb-server/sync-status 2>&1) || return 1
        [[ $st == *"state: backup"* && $st == *"replicating: tcp:$VIP:${db#*:}"* ]] || return 1
    done
}

create_incumbent() { # as failover.sh: OVN's commands on a CIB copy, pushed at once
    local node c f=/tmp/ovndb-servers-cib.xml t0
    for node in node1 node2; do
        t0=$(now)
        until "$C" exec "$node" test -x "$INC_LINK" 2>/dev/null; do
            past "$t0" 20 && die "$node: $INC_LINK is not executable in the node after 20 s"
            sleep 0.05
        done
    done
    "$C" exec node1 pcs cluster cib "$f" || die "pcs cluster cib failed"
    for c in "${INC_CMDS[@]}"; do
        "$C" exec node1 bash -c "pcs -f $f ${c#pcs }" >&2 || die "failed: $c"
    done
    "$C" exec node1 pcs cluster cib-push "$f" --config >&2 || die "pcs cluster cib-push failed"
}

pcmk_up() {
    cluster_up
    if [[ $SYS == ovn-ocf ]]; then
        "$C" shape A >/dev/null
    elif [[ $SYS == ovn-ocf-b ]]; then
        "$C" shape B >/dev/null
    else
        create_incumbent
    fi
    NB_REMOTES=tcp:$VIP:$NB_PORT SB_REMOTES=tcp:$VIP:$SB_PORT
}

# ------------------------------------------------------------------ triggers

# kill -9 of the TDB (NB; scale mode: SB) ovsdb-server on SERVE; T0 taken inside the
# node after kill(2).
VICTIM="" T0="" TDB=NB
trigger_kill() {
    local pid comm cmd f
    f=ovn${TDB,,}_db
    VICTIM=$SERVE
    pid=$("$C" exec "$VICTIM" cat "/var/run/ovn/$f.pid" | tr -dc '0-9')
    [[ -n $pid ]] || die "no pid in $VICTIM:/var/run/ovn/$f.pid"
    comm=$("$C" exec "$VICTIM" cat "/proc/$pid/comm" 2>/dev/null) || comm=""
    cmd=$("$C" exec "$VICTIM" cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ') || cmd=""
    [[ $comm == ovsdb-server && $cmd == *"$f.db"* ]] ||
        die "$VICTIM: pid $pid is not the $TDB ovsdb-server ($comm: ${cmd:0:120})"
    if [[ $SYS == raft-* ]]; then
        raft_status "$VICTIM" "$TDB" | grep -qx 'Role: leader' || die "$VICTIM: $TDB is no longer the leader"
    fi
    T0=$("$C" exec "$VICTIM" sh -c 'kill -KILL "$1" && date +%s.%N' sh "$pid") || T0=""
    [[ $T0 =~ ^[0-9]+\.[0-9]+$ ]] || die "kill -KILL $pid on $VICTIM failed"
    say "$SYS kill -9: $TDB ovsdb-server pid $pid on $VICTIM"
}

# Power-off of SERVE through the power switch (its port off the bridge, then SIGKILL of
# the node's init): a power cut nobody announces; T0 when the port went down.
trigger_power() {
    VICTIM=$SERVE
    [[ $SYS == raft-* ]] || FENCES=$(fence_count "$VICTIM")
    T0=$("$C" power off "$VICTIM") || die "power off $VICTIM failed"
    [[ $T0 =~ ^[0-9]+\.[0-9]+$ ]] || die "power off $VICTIM: no time of the cut ($T0)"
    say "$SYS power-off of $VICTIM"
}

# fence_count NODE: how many successful fencings of NODE Pacemaker's history holds
# (--verbose: without it, only the latest per node).
fence_count() {
    local n
    n=$("$C" exec "$(other "$1")" stonith_admin --history "$1" --verbose 2>/dev/null | grep -c "successful") || true
    echo "${n:-0}"
}

# fenced NODE: Pacemaker's fence history has one more successful fencing of NODE than
# before the trigger (FENCES): a fence coming after the node is powered on again would
# cut it off again.
FENCES=0
fenced() {
    local t0
    t0=$(now)
    until (($(fence_count "$1") > FENCES)); do
        past "$t0" "$LIMIT" && die "no new successful fencing of $1 after $LIMIT s"
        sleep 0.5
    done
}

# Back to three members / two nodes, everything served as before the trigger.
restore() { # TRIGGER
    local n
    if [[ $SYS == raft-* ]]; then
        if [[ $1 == kill ]]; then
            raft_start_one "$VICTIM" "${TDB,,}"
        else
            "$C" power on "$VICTIM" >&2
            # Its disks first: until node-init has mounted them, /var/lib/ovn and
            # /var/log/ovn inside the node are the host's own.
            n=$(now)
            until "$C" exec "$VICTIM" sh -c 'mountpoint -q /var/lib/ovn && mountpoint -q /var/log/ovn && mountpoint -q /etc/ovn' 2>/dev/null; do
                past "$n" 30 && die "$VICTIM: its disks are not mounted 30 s after power on"
                sleep 0.1
            done
            raft_start_dbs "$VICTIM"
            raft_start_northd "$VICTIM"
        fi
        raft_ready
        return 0
    fi
    if [[ $1 == power ]]; then
        fenced "$VICTIM"
        "$C" power on "$VICTIM" >&2
        "$C" wait-online "$LIMIT" >&2
    fi
    pcmk_ready
    "$C" exec "$SERVE" crm_resource --cleanup >/dev/null 2>&1 || true
    pcmk_ready
}

# ------------------------------------------------------------------ one repetition

declare -A V=()   # V[SYS,TRIGGER,FIGURE] = "value value ..."
TSV=""
add() { V[$1]+="$2 "; }

rep() { # TRIGGER RUN
    local trig=$1 run=$2 tag out f_first n_first sb_f sb_n lost_f lost_n acks_f acks_n northd=- t
    tag=$(tr -c 'a-z0-9\n' '_' <<<"${SYS}_${trig}_$run")
    if [[ $SYS == raft-* ]]; then raft_ready; else pcmk_ready; fi
    [[ $SYS != raft-* ]] || northd=$(northd_active)
    client_start fresh "$tag"
    client_start nbctl "$tag"
    sleep 1
    "trigger_$trig"
    t=$T0
    "$C" client python3 "$NBC" sbvis "$NB_REMOTES" "$SB_REMOTES" "sbf_$tag" "$t" "$LIMIT" \
        >"$WORK/sbvis-fresh" 2>&1 </dev/null &
    local sbf_pid=$!
    "$C" client python3 "$NBC" sbvis-nbctl "$WORK/d-sb.ctl" "sbn_$tag" "$t" "$LIMIT" \
        >"$WORK/sbvis-nbctl" 2>&1 </dev/null &
    local sbn_pid=$!
    out=$("$C" client python3 "$NBC" first "$WORK/fresh-$tag.log" "$t" "$LIMIT") ||
        die "$SYS $trig #$run fresh: $out"
    f_first=${out% *}
    out=$("$C" client python3 "$NBC" first "$WORK/nbctl-$tag.log" "$t" "$LIMIT") ||
        die "$SYS $trig #$run nbctl: $out"
    n_first=${out% *}
    wait "$sbf_pid" || die "$SYS $trig #$run SB (fresh): $(cat "$WORK/sbvis-fresh")"
    wait "$sbn_pid" || die "$SYS $trig #$run SB (nbctl): $(cat "$WORK/sbvis-nbctl")"
    read -r _ sb_f <"$WORK/sbvis-fresh"
    read -r sb_n <"$WORK/sbvis-nbctl"
    sleep 1
    clients_stop
    out=$("$C" client python3 "$NBC" check "$NB_REMOTES" "$tag" "$WORK/fresh-$tag.log" \
        "$WORK/nbctl-$tag.log") || true
    read -r acks_f lost_f acks_n lost_n <<<"$out"
    [[ $lost_f =~ ^[0-9]+$ && $lost_n =~ ^[0-9]+$ ]] || die "$SYS $trig #$run: check failed: $out"
    say "$SYS $trig #$run on $VICTIM: next write fresh ${f_first} s, nbctl ${n_first} s; in SB fresh ${sb_f} s, nbctl ${sb_n} s; lost ${lost_f}/${acks_f} fresh, ${lost_n}/${acks_n} nbctl (northd active on $northd)"
    add "$SYS,$trig,fresh" "$f_first"
    add "$SYS,$trig,nbctl" "$n_first"
    add "$SYS,$trig,sbfresh" "$sb_f"
    add "$SYS,$trig,sbnbctl" "$sb_n"
    add "$SYS,$trig,lost" "$((lost_f + lost_n))"
    add "$SYS,$trig,acks" "$((acks_f + acks_n))"
    add "$SYS,$trig,northd" "$northd"
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$SYS" "$trig" "$run" "$VICTIM" \
        "$f_first" "$n_first" "$sb_f" "$sb_n" "$acks_f" "$lost_f" "$acks_n" "$lost_n" "$northd" >>"$TSV"
    restore "$trig"
}

# sb_settled: raft_ready, and then the same SB leader in the same term for STABLE_SECS
# (a big SB's leader that sends a client the whole database, a joining member's catch-up,
# stalls for seconds and the others elect another one; the trigger must hit a leader that
# is not already being replaced). Sets SERVE (the SB leader).
STABLE_SECS=10
sb_settled() {
    local t0 t1 st term="" leader="" cur_l cur_t
    t0=$(now)
    while :; do
        raft_ready
        cur_l=$(raft_leader SB) || cur_l=""
        cur_t=""
        [[ -z $cur_l ]] || { st=$(raft_status "$cur_l" SB) && cur_t=$(sed -n 's/^Term: //p' <<<"$st"); } || cur_t=""
        if [[ -n $cur_l && -n $cur_t && $cur_l == "$leader" && $cur_t == "$term" ]]; then
            if past "$t1" "$STABLE_SECS"; then SERVE=$leader; return 0; fi
        else
            leader=$cur_l term=$cur_t t1=$(now)
        fi
        past "$t0" "$LIMIT" && die "no SB leader stable for $STABLE_SECS s within $LIMIT s (last: ${cur_l:-none}, term ${cur_t:-?})"
        sleep 1
    done
}

# One scale-mode repetition (--failover-tsv): the SB leader's server or node, SB and
# NB-in-SB figures as failover.sh takes them, a row of its raw data. The active northd
# logged is "-" when no northd answered `ovn-appctl status` as active within 5 s (a big
# database's northd computing).
rep_sb() { # TRIGGER RUN
    local trig=$1 run=$2 northd out secs by tries not="" n s_nb n2s
    sb_settled
    northd=$(northd_active)
    "trigger_$trig"
    [[ $trig != power ]] || not=$(ip_of "$VICTIM")
    out=$("$C" client python3 "$NBC" sbfirst "$SB_REMOTES" "$T0" "$LIMIT" ${not:+"$not"} </dev/null) ||
        die "$SYS $trig #$run: $out"
    read -r secs by tries <<<"$out"
    for n in "${RAFT_NODES[@]}"; do [[ $(ip_of "$n") != "$by" ]] || by=$n; done
    out=$("$C" client python3 "$NBC" sbvis "$NB_REMOTES" "$SB_REMOTES" "sc_${trig}_${run}_${T0%.*}" "$T0" "$LIMIT" </dev/null) ||
        die "$SYS $trig #$run: NB change not in SB: $out"
    read -r s_nb n2s <<<"$out"
    say "$SYS $trig #$run: SB leader on $VICTIM (active northd on $northd): SB answers (by $by) after $secs s, $tries attempts; NB change in SB after $n2s s (NB ack $s_nb s)"
    printf 'raft\t%s\t%s\t%s\t%s\t-\t-\t-\t%s\n' "$trig" "$run" "$secs" "$by" "$n2s" >>"$SCALE_TSV"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$trig" "$run" "$VICTIM" "$northd" "$secs" "$n2s" >>"$RAW/raft-scale-runs.tsv"
    restore "$trig"
}

run_scale() {
    local r
    SYS=raft-boot
    raft_up
    TIMER=$TIMERS SYS=raft-$TIMERS TDB=SB
    raft_set_timer "$TIMER"
    for ((r = 1; r <= RUNS; r++)); do rep_sb kill "$r"; done
    for ((r = 1; r <= RUNS; r++)); do rep_sb power "$r"; done
    cluster_down
}

measure_tput() {
    local out n rate p50 p99 max
    out=$("$C" client python3 "$NBC" tput "$NB_REMOTES" "$TPUT_SECS") || die "$SYS throughput: $out"
    read -r n rate p50 p99 max <<<"$out"
    V[$SYS,tput]="$n $rate $p50 $p99 $max"
    say "$SYS throughput: $n single-row transactions in $TPUT_SECS s = $rate/s, p50 $p50 ms, p99 $p99 ms, max $max ms"
}

# The IDL's own reconnect schedule, which sets most of the nbctl figures: one standalone
# NB ovsdb-server on node1 (tcp:IP:6641, no Pacemaker, stonith off), both writers
# running; kill -9 of the server, started again D s later (RAFT_IDL_DELAYS); the next
# acknowledged write of each client.
idl_nb() { # start the standalone NB on node1
    "$C" exec node1 ovsdb-server --detach --no-chdir --pidfile=/run/ovn/idl-nb.pid \
        --remote="ptcp:$NB_PORT:$(ip_of node1)" --unixctl=/run/ovn/idl-nb.ctl \
        --log-file=/var/log/ovn/idl-nb.log /var/lib/ovn/idl-nb.db || die "idl: ovsdb-server did not start"
}

run_idl() {
    local d r k=0 pid t1 out f
    SYS=idl
    cluster_up
    "$C" exec node1 pcs property set stonith-enabled=false >/dev/null
    disks node1
    "$C" exec node1 ovsdb-tool create /var/lib/ovn/idl-nb.db /usr/share/ovn/ovn-nb.ovsschema ||
        die "idl: ovsdb-tool create failed"
    idl_nb
    NB_REMOTES=tcp:$(ip_of node1):$NB_PORT
    daemon_start d-write
    for d in $IDL_DELAYS; do
        for ((r = 1; r <= RUNS; r++)); do
            k=$((k + 1))
            client_start fresh "idl_$k"
            client_start nbctl "idl_$k"
            # The IDL's backoff starts again at 1 s only after a connection that lasted
            # longer than the backoff (at most 8 s): connected that long before each kill.
            sleep 9
            pid=$("$C" exec node1 cat /run/ovn/idl-nb.pid | tr -dc '0-9')
            T0=$("$C" exec node1 sh -c 'kill -KILL "$1" && date +%s.%N' sh "$pid") || T0=""
            [[ $T0 =~ ^[0-9]+\.[0-9]+$ ]] || die "idl: kill -KILL $pid failed"
            sleep "$d"
            idl_nb
            t1=$(now)
            add "idl,$d,listen" "$(secs "$T0" "$t1")"
            out=$("$C" client python3 "$NBC" first "$WORK/fresh-idl_$k.log" "$T0" "$LIMIT") || die "idl fresh: $out"
            f=${out% *}
            add "idl,$d,fresh" "$f"
            out=$("$C" client python3 "$NBC" first "$WORK/nbctl-idl_$k.log" "$T0" "$LIMIT") || die "idl nbctl: $out"
            add "idl,$d,nbctl" "${out% *}"
            clients_stop
            say "idl: restarted after $d s (listening after $(secs "$T0" "$t1") s): next write fresh $f s, nbctl ${out% *} s"
        done
    done
    daemons_stop
    cluster_down
}

run_system() { # raft | ovn-ocf | ovn-ocf-b | incumbent | idl
    local r t
    if [[ $1 == idl ]]; then
        run_idl
        return 0
    fi
    if [[ $1 == raft ]]; then
        SYS=raft-boot
        raft_up
        for t in $TIMERS; do
            TIMER=$t SYS=raft-$t
            raft_set_timer "$t"
            raft_ready
            daemon_start d-write
            daemon_start d-sb
            for ((r = 1; r <= RUNS; r++)); do rep kill "$r"; done
            for ((r = 1; r <= RUNS; r++)); do rep power "$r"; done
            measure_tput
            daemons_stop
        done
    else
        SYS=$1
        pcmk_up
        pcmk_ready
        "$C" exec "$SERVE" crm_resource --cleanup >/dev/null 2>&1 || true
        daemon_start d-write
        daemon_start d-sb
        # Throughput last: its thousands of transactions would stay in NB's log, which
        # shape A's every takeover loads (NB's starts took 140-309 ms, not 70-130 ms).
        for ((r = 1; r <= RUNS; r++)); do rep kill "$r"; done
        for ((r = 1; r <= RUNS; r++)); do rep power "$r"; done
        measure_tput
        daemons_stop
    fi
    mkdir -p "$RAW/raft-clients"
    cp "$WORK"/*.log "$RAW/raft-clients/" 2>/dev/null || true
    rm -f "$WORK"/*.log
    cluster_down
}

# ------------------------------------------------------------------ the section

stats() { # "V1 V2 ...": "min median max"
    tr ' ' '\n' <<<"$1" | { grep -E '^[0-9.]+$' || true; } | sort -g | awk '
        { v[NR] = $1 }
        END {
            if (NR == 0) { print "- - -"; exit }
            m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%.2f %.2f %.2f\n", v[1], m, v[NR]
        }'
}
cell() { # KEY: "**median s** (min–max)"
    stats "${V[$1]:-}" | awk '{ if ($2 == "-") print "-"; else printf "**%s s** (%s–%s)", $2, $1, $3 }'
}
med() { stats "${V[$1]:-}" | awk '{ print $2 }'; }
sum() { tr ' ' '\n' <<<"${V[$1]:-}" | awk '/^[0-9]+$/ { s += $1; n++ } END { if (n) print s; else print "-" }'; }
runs_list() { tr ' ' '\n' <<<"${V[$1]:-}" | { grep . || true; } | paste -sd, - | sed 's/,/, /g'; }
label() {
    case $1 in
    raft-*) echo "RAFT, ${1#raft-} ms timer" ;;
    ovn-ocf) echo "ovn-ocf (shape A)" ;;
    ovn-ocf-b) echo "ovn-ocf (shape B)" ;;
    incumbent) echo "ovndb-servers.ocf" ;;
    esac
}

write_section() {
    local systems=() s t trig fig base rate p50 p99 max
    for s in $SYSTEMS; do
        if [[ $s == raft ]]; then for t in $TIMERS; do systems+=("raft-$t"); done; else systems+=("$s"); fi
    done
    base=raft-${TIMERS%% *}
    {
        echo "## OVN's RAFT cluster side by side: kill -9 and power-off of the NB server, as clients see it"
        echo
        echo "Northbound database; ${RUNS} runs per trigger and system, **median** (min–max), seconds"
        echo "after the trigger. Both clients ran through every run from the client netns"
        echo "(198.51.100.200): **fresh** = a new connection every 50 ms writing one row (leader-only"
        echo "across RAFT's three remotes, as ovsdb-client; the VIP for the others; each connect"
        echo "bounded by ${CONNECT_BOUND} s, each reply by 0.5 s), **nbctl** = OVN's"
        echo "own IDL, an \`ovn-nbctl --detach\` daemon (OVN_NB_DAEMON) with the same remotes. Lost ="
        echo "acknowledged rows missing from NB afterwards (both clients, all runs). In SB = an NB"
        echo "change made after the trigger visible in SB (fresh: Logical_Switch created, its"
        echo "Datapath_Binding read from SB; nbctl: \`ovn-nbctl --wait=sb ls-add\` through a second"
        echo "daemon returned). Ratio = $(label "$base") / system, from medians (>1: faster than RAFT)."
        echo
        for trig in kill power; do
            if [[ $trig == kill ]]; then
                echo "**kill -9 of the NB ovsdb-server** (RAFT: the leader's; Pacemaker systems: the serving one)"
            else
                echo "**power-off of its node** (the power switch: the node's port off the bridge, then SIGKILL of its init; nobody tells the cluster)"
            fi
            echo
            echo "| system | next write, fresh | next write, nbctl | in SB, fresh | in SB, nbctl | lost / acknowledged |"
            echo "|---|---:|---:|---:|---:|---:|"
            for s in "${systems[@]}"; do
                [[ -n ${V[$s,$trig,fresh]:-} ]] || continue
                echo "| $(label "$s") | $(cell "$s,$trig,fresh") | $(cell "$s,$trig,nbctl") | $(cell "$s,$trig,sbfresh") | $(cell "$s,$trig,sbnbctl") | $(sum "$s,$trig,lost") / $(sum "$s,$trig,acks") |"
            done
            for s in "${systems[@]}"; do
                [[ $s != "$base" && -n ${V[$s,$trig,fresh]:-} && -n ${V[$base,$trig,fresh]:-} ]] || continue
                echo -n "| ratio $(label "$base") / $(label "$s") "
                for fig in fresh nbctl sbfresh sbnbctl; do
                    echo -n "| $(ratio "$(med "$base,$trig,$fig")" "$(med "$s,$trig,$fig")") "
                done
                echo "| |"
            done
            echo
        done
        echo "Steady-state writes: one connection (to the NB leader / through the VIP), single-row"
        echo "inserts back to back for ${TPUT_SECS} s, northd running:"
        echo
        echo "| system | transactions/s | p50 | p99 | max |"
        echo "|---|---:|---:|---:|---:|"
        for s in "${systems[@]}"; do
            [[ -n ${V[$s,tput]:-} ]] || continue
            read -r _ rate p50 p99 max <<<"${V[$s,tput]}"
            echo "| $(label "$s") | **$rate** | $p50 ms | $p99 ms | $max ms |"
        done
        echo
        if [[ " $SYSTEMS " == *" idl "* ]]; then
            echo "OVN's IDL after a kill -9 (\`RAFT_SYSTEMS=idl\`): one standalone NB ovsdb-server (no"
            echo "Pacemaker), killed and started again D s later, each kill after 9 s connected (the IDL"
            echo "starts its backoff at 1 s again only after a connection longer than the backoff);"
            echo "both clients writing every 50 ms; s after the kill, median (min–max) of ${RUNS}:"
            echo
            echo "| D | listening again | next write, fresh | next write, nbctl (IDL) |"
            echo "|---:|---:|---:|---:|"
            for d in $IDL_DELAYS; do
                echo "| $d s | $(cell "idl,$d,listen") | $(cell "idl,$d,fresh") | $(cell "idl,$d,nbctl") |"
            done
            echo
        fi
        echo "Every run, in order (s; next write fresh / nbctl, in SB fresh / nbctl):"
        echo
        for s in "${systems[@]}"; do
            for trig in kill power; do
                [[ -n ${V[$s,$trig,fresh]:-} ]] || continue
                echo "- $(label "$s"), $trig: fresh $(runs_list "$s,$trig,fresh"); nbctl $(runs_list "$s,$trig,nbctl"); in SB fresh $(runs_list "$s,$trig,sbfresh"), nbctl $(runs_list "$s,$trig,sbnbctl")$([[ $s != raft-* ]] || echo "; active northd before each run: $(runs_list "$s,$trig,northd")")"
            done
        done
        echo
        echo "What the times are made of (mechanisms; the runs above are the figures):"
        echo
        echo "- RAFT: a new NB leader about one election timer (+ up to one more, random) after"
        echo "  the leader is gone; a client must then find it: the fresh client asks each remote"
        echo "  whether it is the leader. OVN's IDL (ovn-nbctl's daemon, and ovn-northd, whose"
        echo "  NB connection decides the \"in SB\" figures) reconnects with its backoff (1, 2, 4, 8 s"
        echo "  between attempts) and, leader-only, drops a follower and tries the next remote."
        echo "  A killed server's connections are reset at once; a powered-off node's are not:"
        echo "  the IDL learns it from its inactivity probe, or from the TCP reset or timeout"
        echo "  of a request it sends."
        echo "- ovn-ocf and the incumbent: one address (the VIP). After a kill -9 the client's"
        echo "  connections are reset at once and it reconnects, with the same backoff, until the"
        echo "  restarted server listens. After a power-off the old connections stay half-open"
        echo "  until the VIP answers on a surviving node, which resets them on the client's next"
        echo "  packet, or, with ovn-ocf (shapes A and B), at once: the start that opens the"
        echo "  listeners on the survivor sends every connection the serving node's monitor had"
        echo "  kept a tickle ACK, which the client answers and the survivor's kernel resets."
        echo "  Reconnects refused while no server listens on the VIP push the IDL's"
        echo "  backoff further (ovn-ocf's group adds the VIP before NB listens; the incumbent adds"
        echo "  it after the promotion, when its servers already run). The daemons' logs:"
        echo "  \`target/bench/raft-clients/\`."
        echo "- Writes: RAFT commits each transaction on a majority (fsync on each), ovn-ocf"
        echo "  writes the LUN mounted \`sync\`, the incumbent its local file with no fsync."
        echo
        echo "Machine: $(nproc) CPUs; load average at the start $LOAD_START, at the end $(cut -d' ' -f1-3 /proc/loadavg);"
        echo "run under \`nice -n 5\` with other work on the machine. $(ovsdb-server --version | head -1),"
        echo "$(ovn-northd --version | head -1). Raw data: \`target/bench/raft.tsv\`."
        echo
        echo "Reproduce:"
        echo
        echo "    ${OVNOCF_TOKEN:+OVNOCF_TOKEN=$OVNOCF_TOKEN }${OVNOCF_CONSENSUS:+OVNOCF_CONSENSUS=$OVNOCF_CONSENSUS }RAFT_RUNS=$RUNS RAFT_TIMERS=\"$TIMERS\" RAFT_SYSTEMS=\"$SYSTEMS\" RAFT_CONNECT_BOUND=$CONNECT_BOUND \\"
        echo "        nice -n 5 ocf-tests/bench/raft.sh --report /tmp/raft.md"
        echo
    } >>"$REPORT"
}

# ------------------------------------------------------------------ main

main() {
    local s t0
    [[ $(id -u) == 0 ]] || die "run as root (the namespace cluster needs it)"
    [[ -x $CTL ]] || die "$CTL not found (package ovn-central)"
    [[ $SYSTEMS != *ovn-ocf* ]] || [[ -x $OVN_OCF_BIN ]] || die "OVN_OCF_BIN=$OVN_OCF_BIN is not an executable"
    at_exit teardown
    mkdir -p "$RAW"
    WORK=$(mktemp -d /var/tmp/ovn-ocf-raft.XXXXXX)
    chmod 0755 "$WORK"
    if [[ -n $SCALE_TSV ]]; then
        printf 'agent\ttrigger\trun\tseconds\tanswered_by\tdetect_s\tfence_s\tlast_start_s\tnb_in_sb_s\n' >"$SCALE_TSV"
        printf 'trigger\trun\tsb_leader\tnorthd_active\tseconds\tnb_in_sb_s\n' >"$RAW/raft-scale-runs.tsv"
        t0=$(now)
        run_scale
        say "done in $(since "$t0") s; rows in $SCALE_TSV"
        return 0
    fi
    TSV=$RAW/raft.tsv
    printf 'system\ttrigger\trun\tvictim\tfresh_s\tnbctl_s\tsb_fresh_s\tsb_nbctl_s\tfresh_acks\tfresh_lost\tnbctl_acks\tnbctl_lost\tnorthd_active\n' >"$TSV"
    LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
    t0=$(now)
    for s in $SYSTEMS; do run_system "$s"; done
    say "done in $(since "$t0") s"
    write_section
    say "section written to $REPORT"
}

main

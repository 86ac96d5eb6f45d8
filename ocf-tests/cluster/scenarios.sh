#!/bin/bash
# Failover scenarios in the namespace cluster, end to end, with README's shapes verbatim.
#
#   run A (shape A, group ovn):      status a-standby b-kill-nb b-kill-sb b-kill-northd
#                                    c-sigstop-sb d-fence-off corosync-kill f-torn-tail
#   run B (shape B, promotable clones): status a-standby b-kill-nb b-kill-sb b-kill-northd
#                                       d-fence-off
#   run D (shape D, replicated clones, no shared storage): status a-standby b-kill-nb
#                                       b-kill-sb b-kill-northd c-sigstop-sb d-fence-off
#                                       corosync-kill (acknowledged writes lost by the last
#                                       two are counted, not a failure: replication is
#                                       asynchronous)
#
# One cluster per run: up → shape → background writer → scenarios → down. The writer
# (writer.py, in the client netns) commits SB transactions through the VIP all along and
# logs every acknowledged one; after each scenario all of them must be in the SB through
# the VIP (a lost one fails the scenario). Each scenario starts from everything on one node
# with a standby node, ends the same way with no failed actions, and prints its failover
# time (trigger → the service answers through the VIP again: see each scenario). Times
# are printed, never asserted. A scenario that fails ends its run (the others are reported
# as not run); the next run still happens.
#
#   SCENARIOS_RUNS="A B D" which runs (default all three)
#   SCENARIO_LOGS=DIR      where logs go (default target/cluster-scenario-logs): saved to
#                          DIR/<timestamp>/<run> when a run fails, always with
#                          SCENARIO_KEEP_LOGS=1
#
# Environment of cluster.sh applies (OVNOCF_CLUSTER, OVN_OCF_BIN, ...). Teardown on
# every exit (success, failure, ^C). Prints one RESULT line per scenario and a last line
# "scenarios: N passed, M failed"; exit 1 if any failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOGS=${SCENARIO_LOGS:-$HERE/../../target/cluster-scenario-logs}/$(date +%Y%m%dT%H%M%S)
# Visible from the client netns and the nodes (not /tmp: nodes have their own).
WORK=$(mktemp -d /var/tmp/ovn-ocf-scenarios.XXXXXX)
SHAPE=
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

RUN=         # name of the run in progress
RUN_FAILED=0
CLUSTER_UP=0
DETAIL=      # what a scenario measured, for its result line

cluster_down() {
    writer_stop
    [ $CLUSTER_UP = 1 ] || return 0
    CLUSTER_UP=0
    if [ $RUN_FAILED = 1 ] || [ "${SCENARIO_KEEP_LOGS:-0}" = 1 ]; then
        say "run $RUN: cluster state:"
        "$C" status >&2 || true
        "$C" down --save-logs "$LOGS/$RUN" || true
        cp "$WORK"/acks.log* "$LOGS/$RUN/" 2>/dev/null || true
    else
        "$C" down || { say "cluster down incomplete"; RUN_FAILED=1; }
    fi
}
remove_work() { rm -rf "$WORK"; }
tally_at_exit --many
at_exit remove_work
at_exit cluster_down

# ---------------------------------------------------------------------------- scenarios

# The operator's view: `ovn-ocf status --json` on both nodes agrees with the cluster
# (statuscheck.py): on the active node every resource serves there with the pidfile's
# pid, its listener on the VIP and its lease; on the other node it runs elsewhere (shape
# D: a replica of the active node's, once crm_mon -A says it replicates).
scen_status() {
    local active node out pids why
    active=$(settle --standby) || return 1
    if [ "$SHAPE" = D ]; then wait_replicating "$active" 30 >/dev/null || return 1; fi
    local f k
    pids=
    for k in nb=ovnnb_db sb=ovnsb_db northd=ovn-northd; do
        f=$("$C" exec "$active" cat "/var/run/ovn/${k#*=}.pid") || { bad "cannot read ${k#*=}.pid on $active"; return 1; }
        pids="${pids:+$pids }${k%%=*}=$f"
    done
    for node in "$active" "$(other "$active")"; do
        out=$("$C" exec "$node" ovn-ocf status --json) ||
            { bad "ovn-ocf status --json failed on $node"; return 1; }
        why=$(python3 "$HERE/statuscheck.py" "$SHAPE" "$node" "$active" "$pids" <<<"$out") ||
            { bad "ovn-ocf status on $node: $(tr '\n' ';' <<<"$why")"; return 1; }
    done
    DETAIL="ovn-ocf status --json on $active (serving: $pids) and $(other "$active") agrees with the cluster"
}

# Each scenario is one failover (lib.sh's failover: trigger, the answer through the VIP,
# settle, acknowledged transactions, the expected failed actions cleared, back to a
# standby, no failed action); what it adds is said above it.

# a. `pcs node standby` of the active node; then unstandby: nothing moves back
# (resource-stickiness), no transaction is lost, no failed action.
scen_standby() {
    failover standby || return 1
    [ "$FO_BACK_ON" = "$FO_NEW" ] || { bad "the services moved back to $FO_BACK_ON after unstandby"; return 1; }
    DETAIL="standby $FO_FROM → SB transact through the VIP after $FO s, all on $FO_NEW after $FO_ALL s; writer longest gap $GAP s; unstandby: stays on $FO_NEW, longest gap $(python3 "$W" gap "$WRITER_LOG" "$FO_T_BACK") s; $ACKS acks present"
}

# b. kill -9 of the active ovsdb-server ($1 = nb|sb): its watcher reports the death to
# Pacemaker at once (crm_resource --fail: one failed asyncmon, and no failed monitor: the
# same death is not counted twice), the resource is recovered. Failover time: kill → a
# transaction on that DB through the VIP.
scen_kill_db() {
    local db=$1
    failover "kill-$db" || return 1
    DETAIL="kill -9 ovsdb-server ${db^^} pid $FO_PID on $FO_FROM → ${db^^} transact through the VIP after $FO s, all on $FO_NEW after $FO_ALL s; SB writer longest gap $(python3 "$W" gap "$WRITER_LOG" "$FO_T0") s; $ACKS acks present"
}

# b. kill -9 of ovn-northd, reported by its watcher as above. Failover time: kill → a logical switch created in the NB
# through the VIP right after the kill is in the SB (Datapath_Binding) through the VIP.
scen_kill_northd() {
    failover kill-northd || return 1
    DETAIL="kill -9 ovn-northd pid $FO_PID on $FO_FROM → new logical switch in the SB after $FO s, all on $FO_NEW after $FO_ALL s; SB writer longest gap $(python3 "$W" gap "$WRITER_LOG" "$FO_T0") s; $ACKS acks present"
}

# c. SIGSTOP of the active SB ovsdb-server: monitor reports the stopped process as an
# error (it does not hang on it), stop ends it (TERM+CONT, then KILL), start serves again.
MARK=
HOW=
scen_sigstop_sb() {
    local active
    active=$(settle --standby) || return 1
    MARK=$(node_size "$active" "$PCMK_LOG")
    FO_CHECK=sigstop_check failover sigstop-sb "$active" || return 1
    DETAIL="SIGSTOP ovsdb-server SB pid $FO_PID on $FO_FROM → recovered (SB transact through the VIP) after $FO s, all on $FO_NEW after $FO_ALL s; agent: $HOW; writer longest gap $(python3 "$W" gap "$WRITER_LOG" "$FO_T0") s; $ACKS acks present"
}
sigstop_check() {
    grep -q "ovn-sb_monitor_.*pid $FO_PID is stopped" <<<"$(crm failures)" ||
        { bad "no failed SB monitor saying pid $FO_PID is stopped: $(crm failures | tr '\n' ';')"; return 1; }
    HOW=$(node_since "$FO_FROM" "$PCMK_LOG" "$MARK" | grep -o "stopped ovsdb-server pid=$FO_PID ([A-Za-z]*)" | head -1)
    [ -n "$HOW" ] || { bad "no 'stopped ovsdb-server pid=$FO_PID' in $FO_FROM's log"; return 1; }
}

# d. The active node is powered off through the fence agent (stonith_admin on the other
# node; a power cut: what was not on the LUN is lost). Failover time: trigger → an SB
# transaction through the VIP on the survivor. Then the node is powered on again.
# An idle SB client (it answers the server's probes and sends nothing else) learns at
# once that its server lost its power: the survivor's start (shapes A, B) or promotion (D)
# resets its connection (a tickle ACK from the VIP). Without that it would hold the dead
# connection until its own inactivity probe; this one has none, so it would wait out
# writer.py's 120 s. Before the trigger, the serving node's monitor must have kept it in
# the clients list: beside the SB file on the LUN (A, B), in the CIB property
# ovn-ocf-sb-clients (D).
scen_fence_off() {
    FO_READY=idle_ready FO_CHECK=idle_check failover fence-off || return 1
    DETAIL="fence (power off) $FO_FROM → SB transact through the VIP after $FO s, all on $FO_NEW after $FO_ALL s; writer longest gap $GAP s; $ACKS acks present; idle SB client reset"
}
IDLE_OUT='' IDLE_PID=''
idle_ready() {
    local t0 port kept
    fo_ready || return 1
    IDLE_OUT=$WORK/idle-$RUN.out
    rm -f "$IDLE_OUT"
    "$C" client python3 "$W" idle sb "$IDLE_OUT" 120 </dev/null >/dev/null 2>&1 &
    IDLE_PID=$!
    t0=$EPOCHREALTIME
    until port=$(sed -n 's/^connected \([0-9]*\)$/\1/p' "$IDLE_OUT" 2>/dev/null) && [ -n "$port" ] &&
        kept=$(idle_kept) &&
        grep -q "^198\.51\.100\.100:6642 198\.51\.100\.200:$port\$" <<<"$kept"; do
        past "$t0" 30 && { bad "the idle SB client (port ${port:-none}) is not in $FO_FROM's clients list after 30 s"; return 1; }
        sleep 0.2
    done
    say "idle SB client on port $port kept in $FO_FROM's clients list"
}
# The serving node's clients list, one connection a line.
idle_kept() {
    if [ "$SHAPE" = D ]; then
        "$C" exec "$FO_FROM" crm_attribute --type crm_config --name ovn-ocf-sb-clients --query --quiet 2>/dev/null | tr ';' '\n'
    else
        "$C" exec "$FO_FROM" cat /srv/ovn/.ovnsb_db.db.clients 2>/dev/null
    fi
}
idle_check() {
    local how
    wait "$IDLE_PID" || true
    how=$(tail -n 1 "$IDLE_OUT" 2>/dev/null)
    [ "$how" = reset ] || { bad "the idle SB client's connection was not reset by the takeover: ${how:-no outcome}"; return 1; }
}

# d in shape D: the replica that takes over holds what was replicated before the power
# cut; acknowledged writes it had not received are lost (asynchronous replication). They
# are counted (LOST) and named in the result, and taken out of the writer's log (the
# writer paused meanwhile; a new writer would number its rows from the start again and
# collide with the old ones) so that every later scenario again requires all of the
# acknowledged writes that are left.
scen_fence_off_replicated() {
    FO_READY=idle_ready FO_CHECK=idle_check FO_ACKS=replicated_acks failover fence-off || return 1
    DETAIL="fence (power off) $FO_FROM → SB transact through the VIP after $FO s, all on $FO_NEW after $FO_ALL s; writer longest gap $GAP s; acknowledged writes lost by asynchronous replication: $FENCE_LOST of $FENCE_ACKS (named in $(basename "$WRITER_LOG").fence-lost); idle SB client reset"
}
FENCE_ACKS='' FENCE_LOST=''
replicated_acks() {
    ack_count "$WRITER_LOG.fence-lost" || return 1
    FENCE_ACKS=$ACKS FENCE_LOST=$LOST
    say "asynchronous replication: $LOST of $ACKS acknowledged SB transactions lost at the power cut"
    [ "$LOST" != 0 ] || return 0
    writer_pause || return 1
    cp "$WRITER_LOG" "$WRITER_LOG.fence"
    awk 'NR == FNR { lost[$1] = 1; next } !($2 in lost)' "$WRITER_LOG.fence-lost" "$WRITER_LOG.fence" >"$WRITER_LOG.kept"
    # In place: the writer appends to the same file (O_APPEND) once resumed.
    cat "$WRITER_LOG.kept" >"$WRITER_LOG"
    writer_resume
}

# The same in shape D when the active node's corosync is killed (the survivor fences it).
scen_corosync_kill_replicated() {
    FO_ACKS=replicated_acks failover corosync-kill || return 1
    DETAIL="kill -9 corosync on $FO_FROM → fenced after $(secs "$FO_T0" "$T_OFF") s, SB transact through the VIP after $FO s, all on $FO_NEW after $FO_ALL s; writer longest gap $GAP s; acknowledged writes lost by asynchronous replication: $FENCE_LOST of $FENCE_ACKS"
}

# The active node's corosync is killed: the survivor fences it and takes over.
scen_corosync_kill() {
    failover corosync-kill || return 1
    DETAIL="kill -9 corosync on $FO_FROM → fenced after $(secs "$FO_T0" "$T_OFF") s, SB transact through the VIP after $FO s, all on $FO_NEW after $FO_ALL s; writer longest gap $GAP s; $ACKS acks present"
}

# f. Repair on failover: the active node's SB file gets a torn tail (a partial record
# appended; the LUN is mounted sync, so it reaches the device), then the node is powered
# off at once. The survivor must: back the torn file up byte for byte, cut the tail
# (ovn-ocf-sb-repair in crm_mon -A), run repair_hook while the SB's port on the VIP is
# still closed, pass the SB gate (northd recomputes before the port opens), and keep
# every acknowledged transaction (the torn tail holds none: the writer is paused).
HOOK=/srv/ovn/scn-hook.sh
HOOK_OUT=/srv/ovn/scn-hook.result
scen_torn_tail() {
    local victim survivor back=fo_back
    victim=$(settle --standby) || return 1
    survivor=$(other "$victim")
    # The hook lives on the shared LUN, so whichever node serves runs the same one. It
    # must exit 0 (a failing hook fails the start); the test reads what it recorded.
    "$C" exec "$victim" bash -c "cat >$HOOK.tmp && chmod 0755 $HOOK.tmp && mv $HOOK.tmp $HOOK && rm -f $HOOK_OUT" <<EOF ||
#!/bin/bash
# repair_hook of the torn-tail scenario: can a client reach the SB through the VIP yet?
if /usr/bin/timeout 2 bash -c 'exec 3<>/dev/tcp/$VIP/6642' 2>/dev/null; then port=open; else port=closed; fi
if /usr/bin/ovsdb-client list-dbs "\$OVN_OCF_DB_CONNECTION" >/dev/null 2>&1; then sock=ok; else sock=failed; fi
echo "db=\$OVN_OCF_DB outcome=\$OVN_OCF_REPAIR_OUTCOME vip_port_6642=\$port local_socket=\$sock" >>$HOOK_OUT
echo "vip_port_6642=\$port local_socket=\$sock"
EOF
        { bad "cannot write $HOOK on $victim"; return 1; }
    "$C" exec "$victim" pcs resource update ovn-sb repair_hook="$HOOK" \
        repair_hook_when=after-change --wait=60 >/dev/null ||
        { bad "pcs resource update ovn-sb repair_hook failed"; return 1; }
    victim=$(settle --standby) || return 1
    survivor=$(other "$victim")
    ack_check || return 1
    writer_pause || return 1
    MARK=$(node_size "$survivor" "$PCMK_LOG")
    # The torn tail, then the power cut right away (nothing writes to the SB meanwhile:
    # the writer is paused, northd has nothing to do).
    local sum
    sum=$("$C" exec "$victim" sh -c 'printf '\''OVSDB JSON 300 0000000000000000000000000000000000000000\n{"_date":1,'\'' >>/srv/ovn/ovnsb_db.db && sha1sum /srv/ovn/ovnsb_db.db') ||
        { bad "cannot tear the SB file on $victim"; writer_resume; return 1; }
    SUM=${sum%% *}
    # The survivor must not be powered back on after the last scenario of a run.
    [ "${1:-}" != last ] || back=:
    FO_CHECK=torn_check FO_BACK=$back failover fence-off "$victim" || return 1
    DETAIL="torn tail + fence $victim → SB transact through the VIP after $FO s, all on $survivor after $FO_ALL s; backup $BACKUP = torn file (sha1 ${SUM:0:12}); hook: port closed, local socket ok; crm_mon: $ATTR; nb_cfg NB=SB=${NBCFG% *}; $ACKS acks present"
}

# The survivor's agent log of this failover, in order: repair (cut, with a backup), hook,
# SB gate, listener; the backup, the hook's record, the repair attribute and nb_cfg.
SUM='' BACKUP='' ATTR='' NBCFG=''
torn_check() {
    local survivor log line bsum hook _i
    survivor=$(other "$FO_FROM")
    log=$(node_since "$survivor" "$PCMK_LOG" "$MARK" | grep -F 'ovsdb-server(ovn-sb)')
    line=$(grep -F 'repair db_file=/srv/ovn/ovnsb_db.db found="torn tail' <<<"$log" | grep -F outcome=cut | head -1)
    [ -n "$line" ] || { bad "no 'repair ... found=\"torn tail...\" outcome=cut' in $survivor's log"; return 1; }
    BACKUP=$(sed -n 's/.* backup=\([^ ]*\) .*/\1/p' <<<"$line")
    case $BACKUP in /srv/ovn/ovn-ocf-backups/*) ;; *) bad "backup not under /srv/ovn/ovn-ocf-backups: $line"; return 1 ;; esac
    bsum=$("$C" exec "$survivor" sha1sum "$BACKUP") || { bad "cannot read backup $BACKUP"; return 1; }
    [ "${bsum%% *}" = "$SUM" ] || { bad "backup $BACKUP sha1 ${bsum%% *} != torn file's $SUM"; return 1; }
    if ! awk '
        /repair db_file=.*outcome=cut/ && !r { r = NR }
        /running repair_hook/ && !h { h = NR }
        /SB gate: ovn-northd pid=[0-9]+ recomputing/ && !g { g = NR }
        /SB gate: Southbound recomputed/ && !d { d = NR }
        /listening on ptcp:6642/ && !l { l = NR }
        END { exit !(r && r < h && h < g && g < d && d < l) }' <<<"$log"; then
        bad "$survivor's agent log is not repair → hook → SB gate → listening: $(tr '\n' '|' <<<"$log")"
        return 1
    fi
    hook=$("$C" exec "$survivor" cat "$HOOK_OUT" 2>/dev/null) || { bad "the repair hook did not run (no $HOOK_OUT)"; return 1; }
    [ "$hook" = "db=sb outcome=cut vip_port_6642=closed local_socket=ok" ] ||
        { bad "repair hook recorded: $hook"; return 1; }
    ATTR=$("$C" exec "$survivor" crm_mon -1 -A | grep 'ovn-ocf-sb-repair' | tr -s ' \t' ' ' | sed 's/^ \* //')
    case $ATTR in *": cut "*) ;; *) bad "crm_mon -A: '$ATTR', not a cut"; return 1 ;; esac
    # The gate bumped NB_Global.nb_cfg; northd brought SB_Global.nb_cfg to it.
    for _i in $(seq 50); do
        NBCFG=$("$C" client python3 "$W" nb-cfg 2>/dev/null) || NBCFG="? ?"
        [ "${NBCFG% *}" = "${NBCFG#* }" ] && break
        sleep 0.1
    done
    [ "${NBCFG% *}" = "${NBCFG#* }" ] || { bad "NB_Global.nb_cfg/SB_Global.nb_cfg: $NBCFG"; return 1; }
    # The operator sees the same in `ovn-ocf status`: the SB's last repair, its backup.
    local st
    st=$("$C" exec "$survivor" ovn-ocf status --json) || { bad "ovn-ocf status --json failed on $survivor"; return 1; }
    python3 -c '
import json, sys
r = {x["resource"]: x for x in json.load(sys.stdin)["resources"]}["ovn-sb"]
last = r["last_repair"] or {}
sys.exit(0 if last.get("outcome") == "cut" and last.get("backup") == sys.argv[1] else
         "ovn-ocf status: ovn-sb last_repair %r" % (last,))' "$BACKUP" <<<"$st" 2>"$WORK/status.err" ||
        { bad "$(cat "$WORK/status.err")"; return 1; }
}

# ---------------------------------------------------------------------------------- runs

scenario() {   # NAME FUNCTION ARGS...
    local name=$1 t0=$EPOCHREALTIME
    shift
    if [ $RUN_FAILED = 1 ]; then
        result "$RUN/$name" FAIL "not run: an earlier step of run $RUN failed"
        return 0
    fi
    say "--- $RUN/$name"
    rm -f "$WORK/why"
    DETAIL=
    if "$@"; then
        result "$RUN/$name" PASS "($(secs "$t0") s) $DETAIL"
    else
        result "$RUN/$name" FAIL "($(secs "$t0") s) $(cat "$WORK/why" 2>/dev/null || echo "see the log above")"
        RUN_FAILED=1
    fi
}

# SHAPE SCENARIO-LINES: one cluster, up → shape → writer → scenarios → down.
run() {
    local t0=$EPOCHREALTIME
    RUN=$1 SHAPE=$1 RUN_FAILED=0
    say "=== run $RUN: shape $SHAPE"
    rm -f "$WORK/why"
    if ! "$C" up >&2; then
        RUN_FAILED=1
    else
        CLUSTER_UP=1
        "$C" shape "$SHAPE" >/dev/null ||
            { bad "shape $SHAPE did not come up: $(crm failures | head -3 | tr '\n' ';')"; RUN_FAILED=1; }
        [ $RUN_FAILED = 1 ] || no_failures || RUN_FAILED=1
    fi
    [ $RUN_FAILED = 1 ] || writer_start || RUN_FAILED=1
    [ $RUN_FAILED = 0 ] || result "$RUN/setup" FAIL "$(cat "$WORK/why" 2>/dev/null || echo "cluster up failed")"
    shift
    while read -r name fn args; do
        # shellcheck disable=SC2086 # args: words on purpose
        [ -n "$name" ] && scenario "$name" "$fn" $args
    done <<<"$1"
    cluster_down
    say "=== run $RUN: $(secs "$t0") s"
}

for r in ${SCENARIOS_RUNS:-A B D}; do
    case $r in
    A) run A "status scen_status
a-standby scen_standby
b-kill-nb scen_kill_db nb
b-kill-sb scen_kill_db sb
b-kill-northd scen_kill_northd
c-sigstop-sb scen_sigstop_sb
d-fence-off scen_fence_off
corosync-kill scen_corosync_kill
f-torn-tail scen_torn_tail last" ;;
    B) run B "status scen_status
a-standby scen_standby
b-kill-nb scen_kill_db nb
b-kill-sb scen_kill_db sb
b-kill-northd scen_kill_northd
d-fence-off scen_fence_off" ;;
    D) run D "status scen_status
a-standby scen_standby
b-kill-nb scen_kill_db nb
b-kill-sb scen_kill_db sb
b-kill-northd scen_kill_northd
c-sigstop-sb scen_sigstop_sb
d-fence-off scen_fence_off_replicated
corosync-kill scen_corosync_kill_replicated" ;;
    *) say "unknown run $r (A, B or D)"; exit 2 ;;
    esac
done
[ $FAILED = 0 ]

#!/bin/bash
# Failover scenarios in the namespace cluster, end to end, with README's shapes verbatim.
#
#   run A (shape A, group ovn):      a-standby b-kill-nb b-kill-sb b-kill-northd
#                                    c-sigstop-sb d-fence-off corosync-kill f-torn-tail
#   run B (shape B, promotable clones): a-standby b-kill-nb d-fence-off
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
#   SCENARIOS_RUNS="A B"   which runs (default both)
#   SCENARIO_LOGS=DIR      where logs go (default target/cluster-scenario-logs): saved to
#                          DIR/<timestamp>/<run> when a run fails, always with
#                          SCENARIO_KEEP_LOGS=1
#
# Environment of cluster.sh applies (OVNOCF_CLUSTER, OVN_OCF_BIN, ...). Teardown on
# every exit (success, failure, ^C). Prints one RESULT line per scenario and a last line
# "scenarios: N passed, M failed"; exit 1 if any failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
C=$HERE/cluster.sh
W=$HERE/writer.py
LOGS=${SCENARIO_LOGS:-$HERE/../../target/cluster-scenario-logs}/$(date +%Y%m%dT%H%M%S)
T_START=$EPOCHREALTIME
# Visible from the client netns and the nodes (not /tmp: nodes have their own).
WORK=$(mktemp -d /var/tmp/ovn-ocf-scenarios.XXXXXX)
SHAPE=
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

PASSED=0
FAILED=0
RUN=         # name of the run in progress
RUN_FAILED=0
CLUSTER_UP=0
DETAIL=      # what a scenario measured, for its result line

result() {   # NAME PASS|FAIL TEXT
    local line="RESULT $RUN/$1: $2 $3"
    echo "$line"
    if [ "$2" = PASS ]; then PASSED=$((PASSED + 1)); else FAILED=$((FAILED + 1)); fi
}

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

finish() {
    local rc=$?
    trap - EXIT INT TERM
    cluster_down
    rm -rf "$WORK"
    [ $FAILED = 0 ] && [ $rc = 0 ] || rc=1
    say "total $(secs "$T_START") s, exit $rc"
    echo "scenarios: $PASSED passed, $FAILED failed"
    exit $rc
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------- scenarios

# a. `pcs node standby` of the active node; then unstandby: nothing moves back
# (resource-stickiness), no transaction is lost, no failed action.
scen_standby() {
    local active new t0 t1 tall where gap2
    active=$(settle --standby) || return 1
    t0=$EPOCHREALTIME
    "$C" exec "$(other "$active")" pcs node standby "$active" >/dev/null ||
        { bad "pcs node standby $active failed"; return 1; }
    writer_first_ack "$t0" || return 1
    new=$(settle --not "$active") || return 1
    tall=$(secs "$t0")
    ack_check || return 1
    t1=$EPOCHREALTIME
    "$C" exec "$new" pcs node unstandby "$active" >/dev/null ||
        { bad "pcs node unstandby $active failed"; return 1; }
    where=$(settle --standby) || return 1
    [ "$where" = "$new" ] || { bad "the services moved back to $where after unstandby"; return 1; }
    gap2=$(python3 "$W" gap "$WRITER_LOG" "$t1")
    ack_check && no_failures || return 1
    DETAIL="standby $active → SB transact through the VIP after $FO s, all on $new after $tall s; writer longest gap $GAP s; unstandby: stays on $new, longest gap $gap2 s; $ACKS acks present"
}

# b. kill -9 of the active ovsdb-server ($1 = nb|sb): Pacemaker's monitor finds it gone,
# the resource is recovered. Failover time: kill → a transaction on that DB through the VIP.
scen_kill_db() {
    local db=$1 active pid t0 back fo where tall gap
    active=$(settle --standby) || return 1
    pid=$("$C" exec "$active" cat "/var/run/ovn/ovn${db}_db.pid") || { bad "no ${db} pidfile on $active"; return 1; }
    t0=$EPOCHREALTIME
    "$C" exec "$active" kill -KILL "$pid" || { bad "kill -9 $pid on $active failed"; return 1; }
    back=$(db_back "$db") || return 1
    fo=$(secs "$t0" "$back")
    where=$(settle) || return 1
    tall=$(secs "$t0")
    expect_monitor_failure "ovn-$db" "$where" || return 1
    where=$(settle --standby) || return 1
    gap=$(python3 "$W" gap "$WRITER_LOG" "$t0")
    ack_check && no_failures || return 1
    DETAIL="kill -9 ovsdb-server ${db^^} pid $pid on $active → ${db^^} transact through the VIP after $fo s, all on $where after $tall s; SB writer longest gap $gap s; $ACKS acks present"
}

# b. kill -9 of ovn-northd. Failover time: kill → a logical switch created in the NB
# through the VIP right after the kill is in the SB (Datapath_Binding) through the VIP.
scen_kill_northd() {
    local active pid t0 seen fo where tall gap
    active=$(settle --standby) || return 1
    pid=$("$C" exec "$active" cat /var/run/ovn/ovn-northd.pid) || { bad "no ovn-northd pidfile on $active"; return 1; }
    t0=$EPOCHREALTIME
    "$C" exec "$active" kill -KILL "$pid" || { bad "kill -9 $pid on $active failed"; return 1; }
    seen=$("$C" client python3 "$W" ls-datapath "scn-ls-$RUN-$pid" 120) || { bad "$seen"; return 1; }
    fo=$(secs "$t0" "$seen")
    where=$(settle) || return 1
    tall=$(secs "$t0")
    expect_monitor_failure ovn-northd "$where" || return 1
    where=$(settle --standby) || return 1
    gap=$(python3 "$W" gap "$WRITER_LOG" "$t0")
    ack_check && no_failures || return 1
    DETAIL="kill -9 ovn-northd pid $pid on $active → new logical switch in the SB after $fo s, all on $where after $tall s; SB writer longest gap $gap s; $ACKS acks present"
}

# c. SIGSTOP of the active SB ovsdb-server: monitor reports the stopped process as an
# error (it does not hang on it), stop ends it (TERM+CONT, then KILL), start serves again.
scen_sigstop_sb() {
    local active pid t0 back fo where tall mark how gap
    active=$(settle --standby) || return 1
    pid=$("$C" exec "$active" cat /var/run/ovn/ovnsb_db.pid) || { bad "no SB pidfile on $active"; return 1; }
    mark=$(node_size "$active" "$PCMK_LOG")
    t0=$EPOCHREALTIME
    "$C" exec "$active" kill -STOP "$pid" || { bad "kill -STOP $pid on $active failed"; return 1; }
    back=$(db_back sb) || return 1
    fo=$(secs "$t0" "$back")
    where=$(settle) || return 1
    tall=$(secs "$t0")
    grep -q "ovn-sb_monitor_.*pid $pid is stopped" <<<"$(crm failures)" ||
        { bad "no failed SB monitor saying pid $pid is stopped: $(crm failures | tr '\n' ';')"; return 1; }
    how=$(node_since "$active" "$PCMK_LOG" "$mark" | grep -o "stopped ovsdb-server pid=$pid ([A-Za-z]*)" | head -1)
    [ -n "$how" ] || { bad "no 'stopped ovsdb-server pid=$pid' in $active's log"; return 1; }
    expect_monitor_failure ovn-sb "$where" || return 1
    where=$(settle --standby) || return 1
    gap=$(python3 "$W" gap "$WRITER_LOG" "$t0")
    ack_check && no_failures || return 1
    DETAIL="SIGSTOP ovsdb-server SB pid $pid on $active → recovered (SB transact through the VIP) after $fo s, all on $where after $tall s; agent: $how; writer longest gap $gap s; $ACKS acks present"
}

# d. The active node is powered off through the fence agent (stonith_admin on the other
# node; a power cut: what was not on the LUN is lost). Failover time: trigger → an SB
# transaction through the VIP on the survivor. Then the node is powered on again.
scen_fence_off() {
    local victim survivor t0 new tall
    victim=$(settle --standby) || return 1
    survivor=$(other "$victim")
    t0=$EPOCHREALTIME
    "$C" exec "$survivor" stonith_admin --fence "$victim" --timeout 60 >/dev/null ||
        { bad "stonith_admin --fence $victim failed"; return 1; }
    wait_off "$victim" "$t0" || return 1
    writer_first_ack "$t0" "$T_OFF" || return 1
    new=$(settle --not "$victim") || return 1
    tall=$(secs "$t0")
    ack_check || return 1
    power_back "$victim" || return 1
    no_failures || return 1
    DETAIL="fence (power off) $victim → SB transact through the VIP after $FO s, all on $new after $tall s; writer longest gap $GAP s; $ACKS acks present"
}

# The active node's corosync is killed: the survivor fences it and takes over.
scen_corosync_kill() {
    local victim t0 new tall
    victim=$(settle --standby) || return 1
    t0=$EPOCHREALTIME
    # shellcheck disable=SC2016 # expanded inside the node
    "$C" exec "$victim" sh -c 'kill -KILL "$(cat /run/corosync.pid)"' ||
        { bad "cannot kill corosync on $victim"; return 1; }
    wait_off "$victim" "$t0" || return 1
    writer_first_ack "$t0" "$T_OFF" || return 1
    new=$(settle --not "$victim") || return 1
    tall=$(secs "$t0")
    ack_check || return 1
    power_back "$victim" || return 1
    no_failures || return 1
    DETAIL="kill -9 corosync on $victim → fenced after $(secs "$t0" "$T_OFF") s, SB transact through the VIP after $FO s, all on $new after $tall s; writer longest gap $GAP s; $ACKS acks present"
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
    local victim survivor t0 tall sum mark log line backup bsum attr hook nbcfg _i
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
    mark=$(node_size "$survivor" "$PCMK_LOG")
    # The torn tail, then the power cut right away (nothing writes to the SB meanwhile:
    # the writer is paused, northd has nothing to do).
    sum=$("$C" exec "$victim" sh -c 'printf '\''OVSDB JSON 300 0000000000000000000000000000000000000000\n{"_date":1,'\'' >>/srv/ovn/ovnsb_db.db && sha1sum /srv/ovn/ovnsb_db.db') ||
        { bad "cannot tear the SB file on $victim"; writer_resume; return 1; }
    sum=${sum%% *}
    t0=$EPOCHREALTIME
    "$C" exec "$survivor" stonith_admin --fence "$victim" --timeout 60 >/dev/null ||
        { bad "stonith_admin --fence $victim failed"; writer_resume; return 1; }
    wait_off "$victim" "$t0" || { writer_resume; return 1; }
    writer_resume
    writer_first_ack "$t0" "$T_OFF" || return 1
    settle --not "$victim" >/dev/null || return 1
    tall=$(secs "$t0")

    # The survivor's agent log of this failover, in order: repair (cut, with a backup),
    # hook, SB gate, listener.
    log=$(node_since "$survivor" "$PCMK_LOG" "$mark" | grep -F 'ovsdb-server(ovn-sb)')
    line=$(grep -F 'repair db_file=/srv/ovn/ovnsb_db.db found="torn tail' <<<"$log" | grep -F outcome=cut | head -1)
    [ -n "$line" ] || { bad "no 'repair ... found=\"torn tail...\" outcome=cut' in $survivor's log"; return 1; }
    backup=$(sed -n 's/.* backup=\([^ ]*\) .*/\1/p' <<<"$line")
    case $backup in /srv/ovn/ovn-ocf-backups/*) ;; *) bad "backup not under /srv/ovn/ovn-ocf-backups: $line"; return 1 ;; esac
    bsum=$("$C" exec "$survivor" sha1sum "$backup") || { bad "cannot read backup $backup"; return 1; }
    [ "${bsum%% *}" = "$sum" ] || { bad "backup $backup sha1 ${bsum%% *} != torn file's $sum"; return 1; }
    if ! awk '
        /repair db_file=.*outcome=cut/ && !r { r = NR }
        /running repair_hook/ && !h { h = NR }
        /SB gate: ovn-northd pid=/ && !g { g = NR }
        /SB gate: Southbound recomputed/ && !d { d = NR }
        /listening on ptcp:6642/ && !l { l = NR }
        END { exit !(r && r < h && h < g && g < d && d < l) }' <<<"$log"; then
        bad "$survivor's agent log is not repair → hook → SB gate → listening: $(tr '\n' '|' <<<"$log")"
        return 1
    fi
    hook=$("$C" exec "$survivor" cat "$HOOK_OUT" 2>/dev/null) || { bad "the repair hook did not run (no $HOOK_OUT)"; return 1; }
    [ "$hook" = "db=sb outcome=cut vip_port_6642=closed local_socket=ok" ] ||
        { bad "repair hook recorded: $hook"; return 1; }
    attr=$("$C" exec "$survivor" crm_mon -1 -A | grep 'ovn-ocf-sb-repair' | tr -s ' \t' ' ' | sed 's/^ \* //')
    case $attr in *": cut "*) ;; *) bad "crm_mon -A: '$attr', not a cut"; return 1 ;; esac
    # The gate bumped NB_Global.nb_cfg; northd brought SB_Global.nb_cfg to it.
    for _i in $(seq 50); do
        nbcfg=$("$C" client python3 "$W" nb-cfg 2>/dev/null) || nbcfg="? ?"
        [ "${nbcfg% *}" = "${nbcfg#* }" ] && break
        sleep 0.1
    done
    [ "${nbcfg% *}" = "${nbcfg#* }" ] || { bad "NB_Global.nb_cfg/SB_Global.nb_cfg: $nbcfg"; return 1; }
    ack_check || return 1
    if [ "${1:-}" != last ]; then power_back "$victim" || return 1; fi
    no_failures || return 1
    DETAIL="torn tail + fence $victim → SB transact through the VIP after $FO s, all on $survivor after $tall s; backup $backup = torn file (sha1 ${sum:0:12}); hook: port closed, local socket ok; crm_mon: $attr; nb_cfg NB=SB=${nbcfg% *}; $ACKS acks present"
}

# ---------------------------------------------------------------------------------- runs

scenario() {   # NAME FUNCTION ARGS...
    local name=$1 t0=$EPOCHREALTIME
    shift
    if [ $RUN_FAILED = 1 ]; then
        result "$name" FAIL "not run: an earlier step of run $RUN failed"
        return 0
    fi
    say "--- $RUN/$name"
    rm -f "$WORK/why"
    DETAIL=
    if "$@"; then
        result "$name" PASS "($(secs "$t0") s) $DETAIL"
    else
        result "$name" FAIL "($(secs "$t0") s) $(cat "$WORK/why" 2>/dev/null || echo "see the log above")"
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
    [ $RUN_FAILED = 0 ] || result setup FAIL "$(cat "$WORK/why" 2>/dev/null || echo "cluster up failed")"
    shift
    while read -r name fn args; do
        # shellcheck disable=SC2086 # args: words on purpose
        [ -n "$name" ] && scenario "$name" "$fn" $args
    done <<<"$1"
    cluster_down
    say "=== run $RUN: $(secs "$t0") s"
}

for r in ${SCENARIOS_RUNS:-A B}; do
    case $r in
    A) run A "a-standby scen_standby
b-kill-nb scen_kill_db nb
b-kill-sb scen_kill_db sb
b-kill-northd scen_kill_northd
c-sigstop-sb scen_sigstop_sb
d-fence-off scen_fence_off
corosync-kill scen_corosync_kill
f-torn-tail scen_torn_tail last" ;;
    B) run B "a-standby scen_standby
b-kill-nb scen_kill_db nb
d-fence-off scen_fence_off" ;;
    *) say "unknown run $r (A or B)"; exit 2 ;;
    esac
done
[ $FAILED = 0 ]

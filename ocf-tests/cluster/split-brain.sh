#!/bin/bash
# Scenario g: split brain with stonith disabled, README's shape A, 2 nodes.
#
#   1. shape A Started on the active node; SB transactions through the VIP;
#   2. stonith-enabled=false; the active node's corosync is killed (SIGKILL). Each side
#      now thinks the other is gone: the survivor mounts the LUN (a second mount of one
#      filesystem), takes the VIP and starts ovn-nb;
#   3. the guard must refuse: the cut-off node's ovsdb-servers still serve and their lease
#      keepers renew the owner records, so ovn-nb's start fails on the survivor with the
#      reason "node X still serves ..." (asserted, from crm_mon's failed action);
#      throughout, no DB file is served by ovsdb-server on two nodes at once (sampled on
#      both nodes from the trigger until the refusal is seen, and for 5 s after);
#   4. the operator's way out, as the exit reason says: power the cut-off node off (the
#      fence the cluster could not do), `pcs resource cleanup` on the survivor: the group
#      starts there (the lease is no longer renewed), every acknowledged SB transaction is
#      present, no failed actions remain.
# Prints the time from the trigger to the refusal and from the cleanup to an SB
# transaction through the VIP; no timed assertions. Teardown on every exit.
#
# SPLIT_SHAPE=D: the same in README's shape D (replicated promotable clones, no shared
# storage; make test runs both). The guard there is promote's: the survivor's ovn-nb
# promote must fail with "... is not an online cluster member but still accepts clients
# ..."; "served on two nodes at once" means client listeners (the NB and SB ports) on
# both nodes, the replicas serve their own files all along.
#
# SPLIT_SHAPE=C: README's shape C (every node its own files, a takeover rebuilds them).
# The guard is the survivor's ovn-nb start: "fence X, then pcs resource cleanup: X is
# out of the cluster but its host is up ..."; served on two nodes means client
# listeners, as in D. The way out rebuilds both databases on the survivor: NB's
# repair_hook is set to /bin/true first (a stand-in: the sync util needs the Neutron
# DB, which this lab has not; cloud-scenarios.sh runs the real one in shape C, and the
# lab's NB holds no switch the stand-in could lose), and the SB writes are not checked
# afterwards (shape C recomputes the SB: they are lost by design).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LOGS=${SCENARIO_LOGS:-$HERE/../../target/cluster-scenario-logs}/split-brain-$(date +%Y%m%dT%H%M%S)
SHAPE=${SPLIT_SHAPE:-A}
case $SHAPE in A | C | D) ;; *) echo "SPLIT_SHAPE: A, C or D" >&2; exit 2 ;; esac
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

teardown() {
    if [ "$RC" != 0 ]; then
        say "failed (exit $RC); cluster state:"
        "$C" status >&2 || true
        "$C" down --save-logs "$LOGS" || true
    else
        "$C" down || RC=1
    fi
}
tally_at_exit --one
at_exit teardown

ACKED=()
SEQ=0
# One SB insert (Chassis + Encap) through the VIP; success = exit 0 and no "error".
sb_insert() {
    local out ip=10.9.$(($1 >> 8 & 255)).$(($1 & 255))
    out=$("$C" client timeout -k 0.1 0.5 ovsdb-client transact "tcp:$VIP:6642" \
        "[\"OVN_Southbound\",
          {\"op\":\"insert\",\"table\":\"Encap\",\"uuid-name\":\"e\",
           \"row\":{\"type\":\"geneve\",\"ip\":\"$ip\",\"chassis_name\":\"sb-$1\"}},
          {\"op\":\"insert\",\"table\":\"Chassis\",
           \"row\":{\"name\":\"sb-$1\",\"hostname\":\"split\",\"encaps\":[\"named-uuid\",\"e\"]}}]" \
        2>&1) || return 1
    case $out in *error*) return 1 ;; esac
    ACKED+=("sb-$1")
}
sb_insert_until_ok() {   # T0 LIMIT
    while ! { SEQ=$((SEQ + 1)); sb_insert "$SEQ"; }; do
        past "$1" "$2" && return 1
        sleep 0.05
    done
}
sb_check_all() {
    local out name missing=()
    out=$("$C" client timeout 5 ovsdb-client query "tcp:$VIP:6642" \
        '["OVN_Southbound",{"op":"select","table":"Chassis","where":[],"columns":["name"]}]') ||
        die "cannot read the SB through the VIP"
    for name in "${ACKED[@]}"; do
        case $out in *"\"$name\""*) ;; *) missing+=("$name") ;; esac
    done
    [ ${#missing[@]} = 0 ] || die "${#missing[@]} acknowledged SB transactions lost: ${missing[*]:0:10}"
    say "all ${#ACKED[@]} acknowledged SB transactions present"
}

# What NODE serves, one per line: shape A the DB files an ovsdb-server there serves (its
# last argument); shapes C and D the client ports it listens on (a replica listens on
# none; in C every node has its own files).
served_on() {
    if [ "$SHAPE" != A ]; then
        "$C" exec "$1" ss -Hltn "( sport = :$NB_PORT or sport = :$SB_PORT )" 2>/dev/null |
            awk '{ n = split($4, a, ":"); print "port-" a[n] }' | sort -u || true
        return 0
    fi
    # shellcheck disable=SC2016 # expanded inside the node
    "$C" exec "$1" sh -c 'for p in $(pgrep -x ovsdb-server); do
        tr "\0" "\n" < /proc/$p/cmdline | tail -1; done' 2>/dev/null || true
}
# Fails if one DB file is served on both nodes now.
check_single_server() {
    local a b f
    a=$(served_on "$1")
    b=$(served_on "$2")
    for f in $a; do
        case " $(echo "$b" | tr '\n' ' ') " in *" $f "*) die "$f is served on $1 and $2 at once" ;; esac
    done
    SAMPLES=$((SAMPLES + 1))
}

# ---------------------------------------------------------------------------- run

"$C" up
active=$("$C" shape "$SHAPE" | tail -1)
survivor=$(other "$active")
say "shape $SHAPE serving on $active"
sb_insert_until_ok "$EPOCHREALTIME" 30 || die "no SB transaction through the VIP"
for _ in $(seq 20); do sb_insert_until_ok "$EPOCHREALTIME" 10 || die "SB insert failed"; done
sb_check_all

"$C" exec "$survivor" pcs property set stonith-enabled=false
t0=$EPOCHREALTIME
# shellcheck disable=SC2016 # expanded inside the node
"$C" exec "$active" sh -c 'kill -KILL "$(cat /run/corosync.pid)"'
say "killed corosync on $active (stonith disabled)"

# Until the survivor's ovn-nb start (A) or promote (D) has failed with the guard's reason.
op=ovn-nb_start_0 why='still serves.*'
[ "$SHAPE" != D ] || op=ovn-nb_promote_0 why='is not an online cluster member but still accepts clients.*'
[ "$SHAPE" != C ] || why='fence .*, then pcs resource cleanup: .* is out of the cluster but its host is up.*'
SAMPLES=0
reason=
while :; do
    check_single_server "$active" "$survivor"
    if xml=$("$C" exec "$survivor" crm_mon -1 --output-as=xml 2>/dev/null) &&
        # (crmfacts.py failures exits 1 when it lists any)
        reason=$({ "$HERE/crmfacts.py" failures <<<"$xml" || true; } | grep "$op" | grep -o "$why" | head -1 || true) &&
        [ -n "$reason" ]; then
        break
    fi
    past "$t0" 90 && die "no refused $op on $survivor after 90 s"
    sleep 0.2
done
t_refused=$(since "$t0")
say "REFUSED on $survivor after $t_refused s: ... $reason"
t1=$EPOCHREALTIME
while ! past "$t1" 5; do check_single_server "$active" "$survivor"; sleep 0.2; done
[ -n "$(served_on "$active")" ] || die "$active no longer serves: nothing was protected"
what="DB file"
[ "$SHAPE" = A ] || what="client listener"
say "no $what served on two nodes at once ($SAMPLES samples); $active serves on"

# The way out, as a failover: the fence the cluster could not do (power off), a cleanup on
# the survivor; then an SB transaction through the VIP, group ovn Started there, every
# acknowledged transaction present, no failed actions.
way_out() {
    FO_VICTIM=$FO_FROM
    if [ "$SHAPE" = C ]; then
        "$C" exec "$(other "$FO_FROM")" pcs resource update ovn-nb repair_hook=/bin/true >/dev/null ||
            die "cannot set the stand-in repair_hook"
    fi
    "$C" power off "$FO_FROM"
    FO_T0=$EPOCHREALTIME
    "$C" exec "$(other "$FO_FROM")" pcs resource cleanup >/dev/null
}
until_sb_ok() {
    sb_insert_until_ok "$FO_T0" 60 || die "no SB transaction through the VIP after the cleanup"
    FO=$(since "$FO_T0")
}
on_survivor() {
    [ "$FO_NEW" = "$survivor" ] || die "shape $SHAPE serving on $FO_NEW, expected $survivor"
    "$C" exec "$survivor" crm_mon -1 -A -f >&2
}
acks=sb_check_all
[ "$SHAPE" != C ] || acks=:
FO_TRIGGER=way_out FO_WAIT=until_sb_ok FO_CHECK=on_survivor FO_ACKS=$acks FO_CLEAN=: FO_BACK=: \
    FO_FINAL=no_failures failover power-off-cleanup "$active" || die "after the cleanup: the $FO_STEP step failed"
name=split-brain
[ "$SHAPE" = A ] || name=split-brain-$SHAPE
rebuilt=
[ "$SHAPE" != C ] || rebuilt=" (both databases rebuilt there, NB by the stand-in hook; the SB's earlier writes lost by design, not checked)"
result "$name" PASS "refused on $survivor $t_refused s after the corosync kill: $reason; no $what on two nodes at once in $SAMPLES samples; after power-off of $active and cleanup, SB transaction through the VIP in $FO s$rebuilt"

#!/bin/bash
# Smoke scenario of the namespace cluster, end to end, with README's shape A:
#
#   1. cluster up (2 nodes, stonith), shape A Started on one node (the active one);
#      an SB transaction through the VIP from the client netns succeeds;
#   2. `pcs node standby` of the active node: everything moves to the other node;
#   3. unstandby (writing through the VIP meanwhile: the group may move back); then the
#      active node is powered off through the fence agent (`stonith_admin --fence`, run on
#      the other node, pcmk_reboot_action=off): the survivor takes everything;
#   4. the fenced node is powered on again (fence agent "on") and rejoins;
#   5. the active node's corosync is killed (SIGKILL): Pacemaker on the other node fences
#      it through the fence agent and takes everything.
#
# After a standby every acknowledged SB transaction must still be there; after a power-off
# (a power cut: see powerswitch.py) lost ones are reported (LOST), not failed on. Each
# failover prints its time: trigger → the first SB transaction through the VIP that the new
# node acknowledges (client attempts of at most 0.5 s, back to back). No timed assertions. Teardown on every
# exit (success, failure, ^C); logs are kept in $SMOKE_LOGS/<timestamp> (default
# target/cluster-smoke-logs/<timestamp>) when something failed, or always with
# SMOKE_KEEP_LOGS=1.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
C=$HERE/cluster.sh
LOGS=${SMOKE_LOGS:-$HERE/../../target/cluster-smoke-logs}/$(date +%Y%m%dT%H%M%S)
VIP=198.51.100.100
T_START=$EPOCHREALTIME

say() { echo "smoke $(date +%T.%3N) $*" >&2; }
fail() { say "FAIL: $*"; exit 1; }
RESULTS=()  # one line per failover done; finish() counts them
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

finish() {
    local rc=$?
    trap - EXIT INT TERM
    if [ $rc != 0 ]; then
        say "failed (exit $rc); cluster state:"
        "$C" status >&2 || true
        "$C" down --save-logs "$LOGS" || true
    elif [ "${SMOKE_KEEP_LOGS:-0}" = 1 ]; then
        "$C" down --save-logs "$LOGS" || true
    else
        "$C" down || rc=1
    fi
    say "total $(since "$T_START") s, exit $rc"
    # The closing line test runners print: one scenario each failover.
    echo "smoke: ${#RESULTS[@]} passed, $([ "$rc" = 0 ] && echo 0 || echo 1) failed"
    exit $rc
}
trap finish EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------- SB through the VIP

ACKED=()      # chassis names whose insert was acknowledged
SEQ=0

# One attempt: insert a Chassis (+ its Encap) named $1 through the VIP. Success = exit 0
# and a reply without "error" (ovsdb-client exits 0 on a JSON error reply).
# (Encap is indexed by (type, ip): every insert gets its own ip, 10.x.y.z from $2.)
LAST_ERR=
sb_insert() {
    local out ip
    ip=10.$(($2 >> 16 & 255)).$(($2 >> 8 & 255)).$(($2 & 255))
    out=$("$C" client timeout -k 0.1 0.5 ovsdb-client transact "tcp:$VIP:6642" \
        "[\"OVN_Southbound\",
          {\"op\":\"insert\",\"table\":\"Encap\",\"uuid-name\":\"e\",
           \"row\":{\"type\":\"geneve\",\"ip\":\"$ip\",\"chassis_name\":\"$1\"}},
          {\"op\":\"insert\",\"table\":\"Chassis\",
           \"row\":{\"name\":\"$1\",\"hostname\":\"smoke\",\"encaps\":[\"named-uuid\",\"e\"]}}]" \
        2>&1) || { LAST_ERR="exit $?: $out"; return 1; }
    case $out in *error*) LAST_ERR=$out; return 1 ;; esac
    ACKED+=("$1")
}

# Attempts back to back until one succeeds on a node other than $3 (the client's ARP entry
# for the VIP names the node that answered), at most $2 s; sets T_OK to the time since $1.
T_OK=
sb_insert_until_ok() {
    local t0=$1 limit=${2:-120} not=${3:-} by
    while :; do
        SEQ=$((SEQ + 1))
        if sb_insert "smoke-$SEQ" "$SEQ"; then
            by=$("$C" vip-node)
            if [ "$by" != "$not" ]; then
                T_OK=$(since "$t0")
                return 0
            fi
            LAST_ERR="acknowledged by $by"
        fi
        if awk -v a="$t0" -v b="$EPOCHREALTIME" -v s="$limit" 'BEGIN { exit !(b - a > s) }'; then
            say "last SB attempt: $LAST_ERR"
            return 1
        fi
        sleep 0.05
    done
}

# Every acknowledged insert is in the SB served through the VIP. "strict": a lost one fails
# the run. "report" (after a power cut): lost ones are counted (LOST), reported and
# forgotten; the cluster's power-off drops what the node had not written to the LUN yet
# (powerswitch.py), as real power loss does.
LOST=0
sb_check_all() {
    local mode=${1:-strict} out name missing=() kept=()
    out=$("$C" client timeout 5 ovsdb-client query "tcp:$VIP:6642" \
        '["OVN_Southbound",{"op":"select","table":"Chassis","where":[],"columns":["name"]}]') ||
        fail "cannot read the SB through the VIP"
    for name in "${ACKED[@]}"; do
        case $out in *"\"$name\""*) kept+=("$name") ;; *) missing+=("$name") ;; esac
    done
    if [ ${#missing[@]} = 0 ]; then
        say "all ${#ACKED[@]} acknowledged SB transactions present"
        LOST=0
        return 0
    fi
    [ "$mode" = report ] ||
        fail "${#missing[@]} acknowledged SB transactions lost: ${missing[*]:0:10}..."
    LOST=${#missing[@]}
    say "LOST: ${#missing[@]} of ${#ACKED[@]} acknowledged SB transactions are gone after the power cut (${missing[0]} .. ${missing[-1]})"
    ACKED=("${kept[@]}")
}

other() { [ "$1" = node1 ] && echo node2 || echo node1; }

crm() { "$C" crm-xml | "$HERE/crmfacts.py" "$@"; }

RESULTS=()
ACTIVE=
# LABEL T0 FROM: wait for an SB transaction through the VIP, then for the whole group on
# another node (sets ACTIVE), then check that nothing acknowledged was lost.
failover() {   # LABEL T0 FROM [strict|report]
    local label=$1 t0=$2 from=$3 mode=${4:-strict} where tall n0=${#ACKED[@]} lost=""
    sb_insert_until_ok "$t0" 120 "$from" ||
        fail "$label: no SB transaction through the VIP on another node for 120 s"
    where=$("$C" wait-group ovn --not "$from" 120) || fail "$label: group ovn not Started elsewhere"
    tall=$(since "$t0")
    say "FAILOVER $label: SB transact through the VIP on $("$C" vip-node) after $T_OK s; group ovn Started on $where after $tall s"
    [ $((${#ACKED[@]} - n0)) -le 1 ] ||
        say "note: $((${#ACKED[@]} - n0 - 1)) transactions were acknowledged by $from after the trigger"
    sb_check_all "$mode"
    [ "$LOST" = 0 ] || lost="; $LOST acknowledged transactions LOST"
    RESULTS+=("$label: $T_OK s to an SB transaction through the VIP on the new node, $tall s to group ovn Started on $where$lost")
    ACTIVE=$where
}

# Polls the power switch until NODE is off; prints the time since T0.
wait_off() {
    local node=$1 t0=$2
    for _ in $(seq 600); do
        case $("$C" power status "$node" 2>&1) in *"status $node: off"*) break ;; esac
        sleep 0.1
    done
    say "$node is powered off $(since "$t0") s after the trigger"
}

# LABEL T0 SECS: write through the VIP back to back for SECS s; report the longest time
# without an acknowledged transaction (from T0 on).
write_through() {
    local label=$1 t0=$2 secs=$3 last=$2 gap max=0 n=0
    while awk -v a="$t0" -v b="$EPOCHREALTIME" -v s="$secs" 'BEGIN { exit !(b - a < s) }'; do
        SEQ=$((SEQ + 1))
        if sb_insert "smoke-$SEQ" "$SEQ"; then
            gap=$(awk -v a="$last" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }')
            max=$(awk -v a="$max" -v b="$gap" 'BEGIN { print (b > a) ? b : a }')
            last=$EPOCHREALTIME
            n=$((n + 1))
        fi
    done
    say "WRITES $label: $n acknowledged in $secs s, longest gap $max s"
    RESULTS+=("$label: longest gap between acknowledged SB transactions $max s ($n in $secs s)")
}

no_failures() {
    local f
    if ! f=$(crm failures); then
        say "failed actions:"
        printf '  %s\n' "$f" >&2
        return 1
    fi
}

# ------------------------------------------------------------------------------- run

"$C" up
active=$("$C" shape A | tail -1)
say "shape A Started on $active"
"$C" exec "$active" crm_mon -1 -A >&2
sb_insert_until_ok "$EPOCHREALTIME" 30 "" || fail "no SB transaction through the VIP"
say "first SB transaction through the VIP ok"
sb_check_all

# --- standby of the active node
standby_node=$active
t0=$EPOCHREALTIME
"$C" exec "$(other "$active")" pcs node standby "$active"
failover "standby $standby_node" "$t0" "$standby_node"
active=$ACTIVE
# Unstandby: without resource-stickiness Pacemaker may move the group back (it balances
# resources across nodes). Keep writing through the VIP while the cluster settles and
# report the longest gap between acknowledged transactions.
t0=$EPOCHREALTIME
"$C" exec "$active" pcs node unstandby "$standby_node"
write_through "unstandby $standby_node" "$t0" 20
where=$("$C" wait-group ovn 60) || fail "group ovn not Started after unstandby"
[ "$where" = "$active" ] ||
    say "note: group ovn moved back to $where after unstandby (no resource-stickiness)"
active=$where
sb_check_all
no_failures || fail "failed actions after standby/unstandby"

# --- power-off of the active node through the fence agent (stonith_admin on the other)
victim=$active
t0=$EPOCHREALTIME
wait_off "$victim" "$t0" &
poller=$!
"$C" exec "$(other "$victim")" stonith_admin --fence "$victim" --timeout 60
wait $poller
say "stonith_admin --fence $victim returned after $(since "$t0") s"
failover "fence-off $victim" "$t0" "$victim"
active=$ACTIVE
"$C" exec "$active" crm_mon -1 -A >&2

# --- power the fenced node on again; it rejoins
t0=$EPOCHREALTIME
"$C" power on "$victim"
"$C" wait-online 60
say "$victim powered on and online after $(since "$t0") s"
where=$("$C" wait-group ovn 60) || fail "group ovn not Started after $victim rejoined"
[ "$where" = "$active" ] || say "note: group ovn moved to $where when $victim rejoined"
active=$where
sb_check_all

# --- kill -9 of the active node's corosync: the other node fences it
victim=$active
t0=$EPOCHREALTIME
# shellcheck disable=SC2016 # expanded inside the node
"$C" exec "$victim" sh -c 'kill -KILL "$(cat /run/corosync.pid)"'
wait_off "$victim" "$t0" &
poller=$!
failover "corosync-kill $victim" "$t0" "$victim"
wait $poller
active=$ACTIVE
"$C" power status "$victim"
[ "$("$C" exec "$active" crm_mon -1 --output-as=xml | "$HERE/crmfacts.py" online)" = 1 ] ||
    fail "$victim is still online after it was fenced"

say "final state:"
"$C" exec "$active" crm_mon -1 -A -f >&2
no_failures || say "note: failed actions remain (see above)"

say "RESULTS"
for r in "${RESULTS[@]}"; do say "  $r"; done

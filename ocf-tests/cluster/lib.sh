# shellcheck shell=bash disable=SC2034 # globals are read by the sourcing script
# The namespace cluster's part of the harness (sourced by scenarios.sh, soak.sh,
# split-brain.sh, migrate.sh, cloud-smoke.sh, cloud-scenarios.sh and bench/failover.sh,
# after ../lib/harness.sh, which it sources: say/bad/die, timing, constants, the teardown
# trap, results): the background SB writer, the acknowledged-transactions check, settling,
# failed actions, the failover template (failover), and the verdict on a window of the
# cloud (cloud_verdict). Every wait has a deadline; times are printed, never asserted.
#
# Needs: WORK (a directory the client netns can read and write; bad writes its reason to
# $WORK/why), SHAPE (A, B, C or D) for settle. Optional: FO_LIMIT (seconds a failover may take
# in writer_first_ack and db_back, default 120). Functions return non-zero on failure
# after saying why (bad).

CLUSTER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/harness.sh
. "$CLUSTER_DIR/../lib/harness.sh"
C=$CLUSTER_DIR/cluster.sh
W=$CLUSTER_DIR/writer.py

# OVN's own agent (the incumbent) as Debian ships it, and OVN's documented Pacemaker setup
# (Documentation/topics/integration.rst, written for pcs 0.11: see bench/failover.sh).
INC_SCRIPT=/usr/share/ovn/scripts/ovndb-servers.ocf
INC_LINK=/usr/lib/ocf/resource.d/ovn/ovndb-servers
OVN_CTL=/usr/share/ovn/scripts/ovn-ctl
# INC_OP_TIMEOUT (env, e.g. 300s; empty: the agent's defaults, start 30 s, monitor 20 s):
# the timeout of the incumbent's start, promote, demote and monitors, what an operator
# raises for databases of hundreds of MB (bench/scale.sh: at the defaults its standby's
# start timed out at 532 MB of SB and its monitor at 253 MB, while loading the database).
inc_t=${INC_OP_TIMEOUT:+ timeout=$INC_OP_TIMEOUT}
inc_ops=${INC_OP_TIMEOUT:+ op start timeout=$INC_OP_TIMEOUT op promote timeout=$INC_OP_TIMEOUT op demote timeout=$INC_OP_TIMEOUT}
INC_CMDS=(
    "pcs resource create ovndb_servers ocf:ovn:ovndb-servers manage_northd=yes master_ip=$VIP nb_master_port=$NB_PORT sb_master_port=$SB_PORT ovn_ctl=$OVN_CTL op monitor interval=11s$inc_t op monitor role=Promoted interval=10s$inc_t$inc_ops promotable notify=true"
    "pcs resource create VirtualIP ocf:heartbeat:IPaddr2 ip=$VIP op monitor interval=30s"
    "pcs constraint order promote ovndb_servers-clone then VirtualIP"
    "pcs constraint colocation add VirtualIP with Promoted ovndb_servers-clone score=INFINITY"
)

crm() { "$C" crm-xml | "$CLUSTER_DIR/crmfacts.py" "$@"; }
# RSC VIP, `crm summary` on stdin: "PROMOTED UNPROMOTED VIPNODE", the nodes RSC is
# Promoted and Unpromoted on (comma-separated) and the node VIP is Started on; "-" for none.
clone_roles() {
    awk -v r="$1" -v vip="$2" '
        $1 == "resource" && $2 == r && $3 == "Promoted" && $4 == "on" { p = p "," $5 }
        $1 == "resource" && $2 == r && $3 == "Unpromoted" && $4 == "on" { u = u "," $5 }
        $1 == "resource" && $2 == vip && $3 == "Started" && $4 == "on" { v = $5 }
        END { print (p == "" ? "-" : substr(p, 2)), (u == "" ? "-" : substr(u, 2)), (v == "" ? "-" : v) }'
}
# Size of a file inside a node (a mark to read what is written after it).
node_size() { "$C" exec "$1" stat -c %s "$2" 2>/dev/null || echo 0; }
# What a node logged to FILE after byte MARK.
node_since() { "$C" exec "$1" tail -c +"$(($3 + 1))" "$2"; }
# NODE NAME: a transient (reboot) node attribute of NODE, or "-".
node_attr() {
    "$C" exec "$1" crm_attribute -G -l reboot -N "$1" -n "$2" -q 2>/dev/null || echo -
}

# Shape D. PROMOTED SECS: until the other node's NB and SB replicas say "replicating from
# PROMOTED" in crm_mon -A. An unpromoted instance aims its replica at a new promoted one at
# its next monitor, so right after a promotion it may still say "no promoted instance
# answers". Prints "nb '…', sb '…'"; after SECS, says what they said and fails.
wait_replicating() {
    local p=$1 secs=$2 s t0 a b
    s=$(other "$p")
    t0=$(now)
    while :; do
        a=$(node_attr "$s" ovn-ocf-nb-replication) b=$(node_attr "$s" ovn-ocf-sb-replication)
        [[ $a == "replicating from $p "* && $b == "replicating from $p "* ]] && break
        past "$t0" "$secs" && { bad "$s's replicas not replicating from $p after $secs s: nb '$a', sb '$b'"; return 1; }
        sleep 0.5
    done
    echo "nb '$a', sb '$b'"
}

# ------------------------------------------------------------------------------ writer

WRITER_LOG=
WRITER_PID=   # the python process (in the client netns), from its pidfile
WRITER_WRAP=  # our background job running `cluster.sh client ...`
WRITER_INTO=${WRITER_INTO:-chassis}   # what it writes: writer.py's --into
WRITER_INTERVAL=${WRITER_INTERVAL:-}   # writer.py's --interval (its default: 0.1 s)

# Starts the writer and waits for its first acknowledged transaction (30 s).
writer_start() {
    local t0=$EPOCHREALTIME
    WRITER_LOG=$WORK/acks.log
    : >"$WRITER_LOG"
    rm -f "$WRITER_LOG.pid"
    "$C" client python3 "$W" write "$WRITER_LOG" "$WRITER_LOG.pid" --into "$WRITER_INTO" \
        ${WRITER_INTERVAL:+--interval "$WRITER_INTERVAL"} </dev/null &
    WRITER_WRAP=$!
    while [ ! -s "$WRITER_LOG.pid" ] || [ ! -s "$WRITER_LOG" ]; do
        past "$t0" 30 && { bad "writer: no acknowledged SB transaction within 30 s"; return 1; }
        kill -0 "$WRITER_WRAP" 2>/dev/null || { bad "writer exited"; return 1; }
        sleep 0.1
    done
    WRITER_PID=$(cat "$WRITER_LOG.pid")
    say "writer pid $WRITER_PID acknowledged its first SB transaction after $(secs "$t0") s"
}

# Is WRITER_PID still our writer (not a recycled PID)?
writer_alive() {
    [ -n "$WRITER_PID" ] && grep -qa writer.py "/proc/$WRITER_PID/cmdline" 2>/dev/null
}

writer_stop() {
    local t0=$EPOCHREALTIME
    if writer_alive; then kill -TERM "$WRITER_PID" 2>/dev/null || true; fi
    if [ -n "$WRITER_WRAP" ]; then
        while kill -0 "$WRITER_WRAP" 2>/dev/null && ! past "$t0" 5; do sleep 0.05; done
        if writer_alive; then kill -KILL "$WRITER_PID" 2>/dev/null || true; fi
        wait "$WRITER_WRAP" 2>/dev/null || true
    fi
    WRITER_PID=
    WRITER_WRAP=
}

# Pause after the transaction in flight (acknowledged or not); returns once paused.
writer_pause() {
    local t0=$EPOCHREALTIME
    writer_alive || { bad "writer is not running"; return 1; }
    kill -USR1 "$WRITER_PID"
    while [ ! -e "$WRITER_LOG.paused" ]; do
        past "$t0" 5 && { bad "writer did not pause within 5 s"; return 1; }
        sleep 0.02
    done
}

writer_resume() { writer_alive && kill -USR2 "$WRITER_PID"; }

# T0 [AFTER]: seconds from T0 to the first acknowledged SB transaction on a connection the
# writer opened after AFTER (default T0), i.e. on the recovered service; sets FO and GAP
# (longest time without an ack from T0 on). FO_LIMIT (120) s at most.
FO=
GAP=
writer_first_ack() {
    local out
    out=$(python3 "$W" first-ack "$WRITER_LOG" "${2:-$1}" "${FO_LIMIT:-120}") || { bad "writer: $out"; return 1; }
    read -r FO GAP <<<"$out"
    FO=$(awk -v a="$1" -v b="${2:-$1}" -v f="$FO" 'BEGIN { printf "%.2f", f + b - a }')
}

# Every acknowledged insert is in the SB through the VIP; sets ACKS (how many).
ACKS=
ack_check() {
    local out n missing names
    out=$("$C" client python3 "$W" check "$WRITER_LOG" --into "$WRITER_INTO") || true
    read -r n missing names <<<"$out"
    if [ "${missing:-x}" != 0 ]; then
        bad "acknowledged SB transactions lost: ${missing:-?} of ${n:-?} (${names:-$out})"
        return 1
    fi
    ACKS=$n
    say "all $n acknowledged SB transactions are in the SB"
}

# Like ack_check, but a lost transaction is counted, not a failure: sets ACKS (acknowledged),
# LOST (how many of them are not in the SB) and appends every lost name to FILE ($1, a
# file the client netns can write). Non-zero only if the SB could not be read.
LOST=
ack_count() {
    local out n missing
    : >"$1"
    out=$("$C" client python3 "$W" check "$WRITER_LOG" --missing "$1" --into "$WRITER_INTO") || true
    read -r n missing _ <<<"$out"
    if ! [[ ${n:-x} =~ ^[0-9]+$ && ${missing:-x} =~ ^[0-9]+$ ]]; then
        bad "acknowledged SB transactions not checked: $out"
        return 1
    fi
    ACKS=$n LOST=$missing
}

# DB (nb|sb): the epoch of the first successful transaction through the VIP after one
# that failed (FO_LIMIT, 120 s at most).
db_back() {
    local out
    out=$("$C" client python3 "$W" recovered "$1" "${FO_LIMIT:-120}") || { bad "$out"; return 1; }
    echo "$out"
}

# ------------------------------------------------------------------------------ cluster

# Everything on one node (printed): shape A: group ovn Started; shape B: NB, SB and northd
# Promoted where group ovn-storage is Started. [--not NODE] elsewhere than NODE;
# [--standby] and (shape B) the clones Unpromoted on every other online node.
settle() {
    local skip=() standby=0 where
    while [ $# -gt 0 ]; do
        case $1 in
        --not) skip=(--not "$2"); shift 2 ;;
        --standby) standby=1; shift ;;
        *) break ;;
        esac
    done
    if [ $standby = 1 ]; then "$C" wait-online 60 >/dev/null 2>&1 || { bad "nodes not online"; return 1; }; fi
    if [ "$SHAPE" = A ] || [ "$SHAPE" = C ]; then
        where=$("$C" wait-group ovn "${skip[@]}" 120) || { bad "group ovn not Started on one node"; return 1; }
    else
        local sbo=()
        [ $standby = 1 ] && sbo=(--standby)
        local group=ovn-storage
        [ "$SHAPE" != D ] || group=ovn-ip
        where=$("$C" wait-promoted "${skip[@]}" "${sbo[@]}" --secs 120 "$group" ovn-nb-clone \
            ovn-sb-clone ovn-northd-clone) || { bad "NB, SB, northd not Promoted on one node"; return 1; }
    fi
    echo "$where"
}

# No failed actions in crm_mon.
no_failures() {
    local f
    f=$(crm failures) && return 0
    bad "failed actions: $(echo "$f" | tr '\n' ';')"
    return 1
}

# RES OP NODE: after a kill or SIGSTOP, Pacemaker records one failed action of RES: that
# is expected (it is how the failure was reported), so the failed actions must be exactly
# RES's OP failures: `asyncmon` after a kill -9 (the agent's watcher reported the death:
# crm_resource --fail), `monitor` after a SIGSTOP (the monitor found it). A kill -9 that
# also failed a monitor counted the same death twice. They are then cleared (pcs resource
# cleanup, run on NODE) and none may remain: anything else failing during the recovery (a
# stop, a start, another resource) fails the scenario.
expect_failed_op() {
    local res=$1 op=$2 node=$3 f t0=$EPOCHREALTIME
    f=$(crm failures) && { bad "no failed $op of $res recorded"; return 1; }
    if grep -v "^${res}_${op}_" <<<"$f" | grep -q .; then
        bad "unexpected failed actions (only ${res}_${op}_* expected): $(echo "$f" | tr '\n' ';')"
        return 1
    fi
    say "expected: $(echo "$f" | tr '\n' ';')"
    "$C" exec "$node" pcs resource cleanup "$res" >/dev/null 2>&1 || { bad "pcs resource cleanup $res failed"; return 1; }
    until crm failures >/dev/null; do
        past "$t0" 30 && { no_failures; return 1; }
        sleep 0.2
    done
}

# NODE T0: polls the power switch until NODE is off (60 s); sets T_OFF.
T_OFF=
wait_off() {
    while :; do
        case $("$C" power status "$1" 2>&1) in *"status $1: off"*) break ;; esac
        past "$2" 60 && { bad "$1 not powered off 60 s after the trigger"; return 1; }
        sleep 0.1
    done
    T_OFF=$EPOCHREALTIME
    say "$1 is powered off $(secs "$2") s after the trigger"
}

# NODE WHAT (nb|sb|northd): the pid of the serving ovsdb-server of WHAT or of ovn-northd
# on NODE, from its pidfile, checked against the process's command line.
db_pid() {
    local pid cmd file=/var/run/ovn/ovn${2}_db.pid want="ovsdb-server*ovn${2}_db.db"
    [ "$2" != northd ] || { file=/var/run/ovn/ovn-northd.pid; want=ovn-northd; }
    pid=$("$C" exec "$1" cat "$file" 2>/dev/null | tr -dc 0-9) || true
    [ -n "$pid" ] || { bad "no $file on $1"; return 1; }
    cmd=$("$C" exec "$1" cat "/proc/$pid/cmdline" 2>/dev/null | tr '\0' ' ') || true
    # shellcheck disable=SC2254 # want is a pattern
    case $cmd in *$want*) echo "$pid" ;; *) bad "$file on $1 names $pid: '$cmd'"; return 1 ;; esac
}

# ----------------------------------------------------------------------------- failover

# failover KIND [FROM]: one failover, the steps every driver takes, in this order. Each
# step is a hook, the function fo_STEP unless the driver names another in FO_STEP (FO_ACKS=:
# skips the acks; `FO_CHECK=fn failover ...` for one call):
#   ready    FO_FROM: FROM, or where everything runs with a standby (settle --standby)
#   trigger  KIND's failure on FO_FROM; sets FO_T0 (its epoch), FO_PID (the process hit),
#            FO_VICTIM (the node that must not serve afterwards, if any)
#   wait     until the service answers through the VIP again; sets FO (s from FO_T0)
#   settle   everything on one node again (not FO_VICTIM); sets FO_NEW, FO_ALL (s from FO_T0)
#   check    the driver's own assertions (none by default)
#   acks     every acknowledged SB transaction is in the SB (ack_check)
#   clean    the failed action KIND causes (the killed resource's asyncmon, reported by its
#            watcher; the stopped one's monitor) is there and nothing else, then cleared
#            (expect_failed_op)
#   back     the victim back (power on, unstandby), everything on one node with a standby;
#            sets FO_T_BACK (epoch when it began), FO_BACK_ON (where everything runs)
#   final    acknowledged transactions once more, no failed action (ack_check, no_failures)
# Kinds: kill-nb kill-sb sigstop-sb kill-northd (kill -9 or SIGSTOP of the serving process,
# recovered by Pacemaker; answer: an NB/SB transaction through the VIP succeeds after failing,
# for northd a logical switch created in the NB is in the SB), fence-off (stonith_admin
# --fence from the other node: a power cut) and corosync-kill (the survivor fences the
# victim) (answer: the writer's first acknowledged transaction on a connection opened after
# the power-off), standby (pcs node standby; answer: the writer's first acknowledged
# transaction on a connection opened after the trigger). A driver with its own hooks may
# use any KIND. Non-zero at the first step that fails (bad says why); FO_STEP names it.
FO_KIND='' FO_FROM='' FO_T0='' FO_PID='' FO_VICTIM='' FO_NEW='' FO_ALL='' FO_T_BACK='' FO_BACK_ON='' FO_STEP=''
failover() {
    local step hook
    FO_KIND=$1 FO_FROM=${2:-} FO_T0='' FO_PID='' FO_VICTIM='' FO='' FO_NEW='' FO_ALL='' FO_T_BACK='' FO_BACK_ON=''
    for step in ready trigger wait settle check acks clean back final; do
        FO_STEP=$step
        hook=FO_${step^^}
        hook=${!hook:-fo_$step}
        "$hook" || return 1
    done
}

fo_ready() { [ -n "$FO_FROM" ] || FO_FROM=$(settle --standby); }

fo_trigger() {
    local peer sig=KILL what
    peer=$(other "$FO_FROM")
    case $FO_KIND in
    kill-nb | kill-sb | sigstop-sb | kill-northd)
        what=${FO_KIND#*-}
        [ "$FO_KIND" != sigstop-sb ] || sig=STOP
        FO_PID=$(db_pid "$FO_FROM" "$what") || return 1
        FO_T0=$EPOCHREALTIME
        "$C" exec "$FO_FROM" kill "-$sig" "$FO_PID" || { bad "kill -$sig $FO_PID on $FO_FROM failed"; return 1; }
        say "kill -$sig $what pid $FO_PID on $FO_FROM"
        ;;
    fence-off)
        FO_VICTIM=$FO_FROM FO_T0=$EPOCHREALTIME
        "$C" exec "$peer" stonith_admin --fence "$FO_VICTIM" --timeout 60 >/dev/null ||
            { bad "stonith_admin --fence $FO_VICTIM failed"; return 1; }
        ;;
    corosync-kill)
        FO_VICTIM=$FO_FROM FO_T0=$EPOCHREALTIME
        # shellcheck disable=SC2016 # expanded inside the node
        "$C" exec "$FO_VICTIM" sh -c 'kill -KILL "$(cat /run/corosync.pid)"' ||
            { bad "cannot kill corosync on $FO_VICTIM"; return 1; }
        ;;
    standby)
        FO_VICTIM=$FO_FROM FO_T0=$EPOCHREALTIME
        "$C" exec "$peer" pcs node standby "$FO_VICTIM" >/dev/null ||
            { bad "pcs node standby $FO_VICTIM failed"; return 1; }
        ;;
    *) bad "no trigger for failover kind $FO_KIND"; return 1 ;;
    esac
}

fo_wait() {
    local back
    case $FO_KIND in
    kill-nb | kill-sb | sigstop-sb)
        back=$(db_back "${FO_KIND#*-}") || return 1
        FO=$(secs "$FO_T0" "$back")
        ;;
    kill-northd)
        back=$("$C" client python3 "$W" ls-datapath "fo-ls-$FO_PID-${FO_T0%.*}" 120) || { bad "$back"; return 1; }
        FO=$(secs "$FO_T0" "$back")
        ;;
    fence-off | corosync-kill)
        wait_off "$FO_VICTIM" "$FO_T0" || return 1
        # A paused writer acknowledges nothing: it goes on from here.
        if [ -e "$WRITER_LOG.paused" ]; then writer_resume; fi
        writer_first_ack "$FO_T0" "$T_OFF"
        ;;
    standby) writer_first_ack "$FO_T0" ;;
    *) bad "no wait for failover kind $FO_KIND"; return 1 ;;
    esac
}

fo_settle() {
    local skip=()
    [ -z "$FO_VICTIM" ] || skip=(--not "$FO_VICTIM")
    FO_NEW=$(settle "${skip[@]}") || return 1
    FO_ALL=$(secs "$FO_T0")
}

fo_check() { :; }
fo_acks() { ack_check; }

fo_clean() {
    case $FO_KIND in
    kill-nb | kill-sb | kill-northd) expect_failed_op "ovn-${FO_KIND#*-}" asyncmon "$FO_NEW" ;;
    sigstop-sb) expect_failed_op ovn-sb monitor "$FO_NEW" ;;
    esac
}

fo_back() {
    FO_T_BACK=$EPOCHREALTIME
    case $FO_KIND in
    fence-off | corosync-kill)
        "$C" power on "$FO_VICTIM" 2>/dev/null || { bad "power on $FO_VICTIM failed"; return 1; } ;;
    standby)
        "$C" exec "$FO_NEW" pcs node unstandby "$FO_VICTIM" >/dev/null ||
            { bad "pcs node unstandby $FO_VICTIM failed"; return 1; } ;;
    esac
    FO_BACK_ON=$(settle --standby)
}

fo_final() { ack_check && no_failures; }

# -------------------------------------------------------------------------------- cloud

# KEY LINE: the value of KEY=... in LINE (cloud.sh's report lines, PORT, DAMAGE, ...).
kv() { tr ' ' '\n' <<<"$2" | awk -F= -v k="$1" '$1 == k { print substr($0, length(k) + 2) }'; }

# REPORT (cloud.sh's CLOUD_* lines of one window): what a failover must leave the data
# path: no ping lost between the VMs, the flow count on br-int never below its level
# before the window, ovn-controller alive and connected to the SB. Sets CLOUD_WHY (what
# was not so, each ending in "; "; empty when all was) and CLOUD_DETAIL (the figures).
CLOUD_WHY='' CLOUD_DETAIL=''
cloud_verdict() {
    local p f c
    p=$(grep '^CLOUD_PINGS' <<<"$1") f=$(grep '^CLOUD_FLOWS' <<<"$1") c=$(grep '^CLOUD_CONTROLLER' <<<"$1")
    CLOUD_WHY=
    [ "$(kv sent "$p")" -gt 0 ] 2>/dev/null || CLOUD_WHY+="no ping sent; "
    [ "$(kv lost "$p")" = 0 ] || CLOUD_WHY+="$(kv lost "$p") pings lost (sent at $(kv lost_at "$p") UTC); "
    [ "$(kv min "$f")" -ge "$(kv before "$f")" ] 2>/dev/null ||
        CLOUD_WHY+="flows fell to $(kv min "$f") from $(kv before "$f") (for $(kv below_before_secs "$f") s); "
    [ "$(kv alive "$c")" = 1 ] || CLOUD_WHY+="ovn-controller not alive (exit $(kv exit "$c")); "
    [ "$(kv sb "$c")" = connected ] || CLOUD_WHY+="ovn-controller's SB connection: $(kv sb "$c"); "
    CLOUD_DETAIL="pings $(kv sent "$p") sent, $(kv lost "$p") lost, longest gap $(kv longest_gap "$p") s; flows before $(kv before "$f"), min $(kv min "$f"); ovn-controller pid $(kv pid "$c") alive=$(kv alive "$c") exit=$(kv exit "$c"), SB $(kv sb "$c")"
}

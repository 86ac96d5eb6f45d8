# shellcheck shell=bash disable=SC2034 # globals are read by the sourcing script
# Shared pieces of the cluster scenarios (sourced by scenarios.sh and soak.sh): the
# background SB writer, failover measurement, the acknowledged-transactions check, settling
# and failed actions. Every wait has a deadline; times are printed, never asserted.
#
# Needs: C (cluster.sh), W (writer.py), WORK (a directory the client netns can read and
# write), SHAPE (A or B). Optional: SAY (prefix of log lines, default "scenarios"),
# FO_LIMIT (seconds a failover may take in writer_first_ack and db_back, default 120).
# Functions return non-zero on failure after saying why (bad: the reason for the result
# line in $WORK/why).

VIP=198.51.100.100

say() { echo "${SAY:-scenarios} $(date +%T.%3N) $*" >&2; }
# The reason goes to a file too: bad is often called in a $(...) subshell.
bad() { echo "$*" >"$WORK/why"; say "FAIL: $*"; }
# Seconds from epoch $1 to epoch $2 (default: now), two decimals.
secs() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.2f", b - a }'; }
# True once $2 seconds have passed since epoch $1.
past() { awk -v a="$1" -v b="$EPOCHREALTIME" -v s="$2" 'BEGIN { exit !(b - a > s) }'; }
other() { [ "$1" = node1 ] && echo node2 || echo node1; }
crm() { "$C" crm-xml | "$HERE/crmfacts.py" "$@"; }
# Size of a file inside a node (a mark to read what is written after it).
node_size() { "$C" exec "$1" stat -c %s "$2" 2>/dev/null || echo 0; }
# What a node logged to FILE after byte MARK.
node_since() { "$C" exec "$1" tail -c +"$(($3 + 1))" "$2"; }
PCMK_LOG=/var/log/pacemaker/pacemaker.log

# ------------------------------------------------------------------------------ writer

WRITER_LOG=
WRITER_PID=   # the python process (in the client netns), from its pidfile
WRITER_WRAP=  # our background job running `cluster.sh client ...`

# Starts the writer and waits for its first acknowledged transaction (30 s).
writer_start() {
    local t0=$EPOCHREALTIME
    WRITER_LOG=$WORK/acks.log
    : >"$WRITER_LOG"
    rm -f "$WRITER_LOG.pid"
    "$C" client python3 "$W" write "$WRITER_LOG" "$WRITER_LOG.pid" </dev/null &
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
    out=$("$C" client python3 "$W" check "$WRITER_LOG") || true
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
    out=$("$C" client python3 "$W" check "$WRITER_LOG" --missing "$1") || true
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
    local not=() standby=0 where
    while [ $# -gt 0 ]; do
        case $1 in
        --not) not=(--not "$2"); shift 2 ;;
        --standby) standby=1; shift ;;
        *) break ;;
        esac
    done
    if [ $standby = 1 ]; then "$C" wait-online 60 >/dev/null 2>&1 || { bad "nodes not online"; return 1; }; fi
    if [ "$SHAPE" = A ]; then
        where=$("$C" wait-group ovn "${not[@]}" 120) || { bad "group ovn not Started on one node"; return 1; }
    else
        local sb=()
        [ $standby = 1 ] && sb=(--standby)
        where=$("$C" wait-promoted "${not[@]}" "${sb[@]}" --secs 120 ovn-storage ovn-nb-clone \
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

# RES NODE: after a kill or SIGSTOP, Pacemaker records RES's failed monitor: that is
# expected (it is how the failure was detected), so the failed actions must be exactly
# RES's monitor failures. They are then cleared (pcs resource cleanup, run on NODE) and
# none may remain: anything else failing during the recovery (a stop, a start, another
# resource) fails the scenario.
expect_monitor_failure() {
    local res=$1 node=$2 f t0=$EPOCHREALTIME
    f=$(crm failures) && { bad "no failed monitor of $res recorded"; return 1; }
    if grep -v "^${res}_monitor_" <<<"$f" | grep -q .; then
        bad "unexpected failed actions: $(echo "$f" | tr '\n' ';')"
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

# NODE: power it on again and wait until it is back as a standby.
power_back() {
    "$C" power on "$1" 2>/dev/null || { bad "power on $1 failed"; return 1; }
    settle --standby >/dev/null
}

#!/bin/bash
# Realistic OVN databases made with the real daemons: a Neutron-like topology written into
# a real ovsdb-server's NB, the real ovn-northd computing the SB from it. For benches that
# need an NB and SB of a given size (takeover time against SB size) and for tests.
#
#   GENDB_SIZE=small GENDB_OUT=/var/tmp/dbs ocf-tests/bench/gendb.sh
#   make gendb GENDB_SIZE=small GENDB_OUT=/var/tmp/dbs
#
# Prints one line on stdout (everything else goes to stderr):
#   GENDB size=small nb_bytes=N sb_bytes=N tenants=N switches=N ports=N routers=N acls=N
#         lbs=N lflows=N datapaths=N port_bindings=N compact=1 secs=S cached=0|1
# (counts from the databases themselves: switches, ports, routers, acls, lbs from NB;
# lflows, datapaths, port_bindings from SB; secs: the generation's wall time, the original
# one when cached=1).
#
# How: in a work directory, `ovsdb-tool create` of NB and SB from /usr/share/ovn's schemas,
# a standalone ovsdb-server for each (unix sockets only), NB filled by gendb.py (JSON
# transactions to NB's socket, one per tenant: why not ovn-nbctl, and the topology, is in
# its docstring), then ovn-northd started against both and `ovn-nbctl --wait=sb sync` (the
# nb_cfg barrier: northd has computed SB from all of NB); northd stopped (by pid, as
# everything here), the rows counted, both files compacted by their own servers
# (`ovsdb-server/compact`; GENDB_COMPACT=1, the default: what a deployment that has run a
# while has on disk, one snapshot record; 0 keeps every transaction: NB's one per tenant,
# SB's northd's), the servers stopped and the files moved to their paths.
# Deterministic: the same parameters give the same topology (names, ids, MACs, addresses).
#
# A cache: beside the SB file, FILE.gendb records the parameters, the generator's and the
# OVN/OVS versions, the schemas, the files' sizes and the summary line; when it matches and
# both files have their recorded sizes, nothing is generated and the line is printed again
# (cached=1). GENDB_FORCE=1 generates anyway.
#
# Sizes (GENDB_SIZE): tenants × networks a tenant × VM ports a network, 3 load balancers a
# tenant (tiny: 2); all measured on this machine (2 CPUs shared with other benches, load
# 3-7, everything at nice 10; OVN 23.03.1, OVS 3.1.0), ranges over two runs. Wall time is
# mostly waiting for a CPU: northd's CPU time is ~0.7 s a tenant, the SB server's ~0.45 s.
# SB and NB grow linearly, 2.53 MB and 0.38 MB a tenant, and the same size gave the same
# bytes each time:
#   size    tenants  NB       SB        ports  lflows  northd: RSS   CPU    wall      total
#   tiny    4×2×10   0.13 MB  0.85 MB      93    1466       19 MiB  0.1 s  0.5 s     2 s
#   small   10       3.8 MB   25.3 MB    4111   38408      292 MiB  5.9 s  16 s      24-27 s
#   medium  40       15.3 MB  101 MB    16441  153098      1.1 GiB  29 s   68-214 s  94-284 s
#   large   100      38.2 MB  253 MB    41101  382478      2.8 GiB  66 s   173-530 s 233-683 s
#   xlarge  210      80.3 MB  532 MB    86311  803008      5.8 GiB  148 s  388-411 s 524 s
# (The first runs of medium and large counted rows while northd still ran, and xlarge's
# first, 945 s, spent 7 min decoding the count: both since fixed.) xlarge needs ~15 GB of
# RAM at its peak: the SB server 7.9 GB, northd 5.8 GB, NB's server 0.9 GB.
#
# Knobs (env): GENDB_SIZE (tiny), GENDB_OUT (directory of the outputs; default
# target/gendb/SIZE), GENDB_NB, GENDB_SB (the files; default GENDB_OUT/ovnnb_db.db and
# ovnsb_db.db), GENDB_TENANTS, GENDB_SWITCHES, GENDB_PORTS (1-190), GENDB_LBS (override the
# size's), GENDB_BACKENDS (4, per load balancer), GENDB_RULES (2, tcp port-range ACLs per
# security group on top of its 7), GENDB_COMPACT (1), GENDB_FORCE (0), GENDB_WORK (the work
# directory for sockets, logs and the files being made; default a new one under /tmp,
# removed on success, its logs kept on failure), GENDB_TIMEOUT (seconds for the whole
# generation, every wait bounded by it; default 120 + 0.1 s a port), GENDB_NICE (10: the
# niceness of everything it runs). No root needed. The daemons it starts are stopped by pid
# on every exit path.
set -euo pipefail

SAY=gendb
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../lib/harness.sh
. "$HERE/../lib/harness.sh"

REPO=$(cd "$HERE/../.." && pwd)
GEN_PY=$HERE/gendb.py
PY=/usr/bin/python3   # Debian's: not a version manager's shim (0.5 s a start here)
NB_SCHEMA=/usr/share/ovn/ovn-nb.ovsschema
SB_SCHEMA=/usr/share/ovn/ovn-sb.ovsschema

SIZE=${GENDB_SIZE:-tiny}
case $SIZE in
tiny) D_T=4 D_S=2 D_P=10 D_L=2 ;;
small) D_T=10 D_S=10 D_P=40 D_L=3 ;;
medium) D_T=40 D_S=10 D_P=40 D_L=3 ;;
large) D_T=100 D_S=10 D_P=40 D_L=3 ;;
xlarge) D_T=210 D_S=10 D_P=40 D_L=3 ;;  # 532 MB: >= 500 MB with a margin
custom) D_T=1 D_S=1 D_P=1 D_L=0 ;;
*) die "GENDB_SIZE=$SIZE: tiny, small, medium, large, xlarge (or custom with the knobs)" ;;
esac
TENANTS=${GENDB_TENANTS:-$D_T}
SWITCHES=${GENDB_SWITCHES:-$D_S}
PORTS=${GENDB_PORTS:-$D_P}
LBS=${GENDB_LBS:-$D_L}
BACKENDS=${GENDB_BACKENDS:-4}
RULES=${GENDB_RULES:-2}
COMPACT=${GENDB_COMPACT:-1}
FORCE=${GENDB_FORCE:-0}
NICE=${GENDB_NICE:-10}
for k in TENANTS SWITCHES PORTS LBS BACKENDS RULES NICE; do
    [[ ${!k} =~ ^[0-9]+$ ]] || die "GENDB_$k=${!k}: need an integer"
done
((TENANTS >= 1 && SWITCHES >= 1 && PORTS >= 1 && PORTS <= 190 && NICE <= 19)) ||
    die "need GENDB_TENANTS >= 1, GENDB_SWITCHES >= 1, 1 <= GENDB_PORTS <= 190, GENDB_NICE <= 19"
((TENANTS * SWITCHES < 65536)) || die "fewer than 65536 switches (one /24 of 10/8 each)"
[[ $COMPACT == [01] && $FORCE == [01] ]] || die "GENDB_COMPACT and GENDB_FORCE: 0 or 1"
ALL_PORTS=$((TENANTS * SWITCHES * (PORTS + 1)))
TIMEOUT=${GENDB_TIMEOUT:-$((120 + ALL_PORTS / 10))}
if ! [[ $TIMEOUT =~ ^[0-9]+$ ]] || ((TIMEOUT == 0)); then die "GENDB_TIMEOUT=$TIMEOUT: seconds, > 0"; fi

OUT=${GENDB_OUT:-$REPO/target/gendb/$SIZE}
NB=${GENDB_NB:-$OUT/ovnnb_db.db}
SB=${GENDB_SB:-$OUT/ovnsb_db.db}
STAMP=$SB.gendb
for t in ovsdb-tool ovsdb-server ovs-appctl ovn-northd ovn-nbctl "$PY"; do
    command -v "$t" >/dev/null || die "$t not found (ovn-central and openvswitch-switch's packages)"
done

# What the files are made from: a different line means generate again.
params() {
    printf 'gendb tenants=%s switches=%s ports=%s lbs=%s backends=%s rules=%s compact=%s' \
        "$TENANTS" "$SWITCHES" "$PORTS" "$LBS" "$BACKENDS" "$RULES" "$COMPACT"
    printf ' generator=%s ovn=%s ovs=%s schemas=%s\n' \
        "$(cat "$GEN_PY" "${BASH_SOURCE[0]}" | sha1sum | cut -c1-12)" \
        "$(ovn-northd --version | head -1 | awk '{ print $NF }')" \
        "$(ovsdb-server --version | head -1 | awk '{ print $NF }')" \
        "$(cat "$NB_SCHEMA" "$SB_SCHEMA" | sha1sum | cut -c1-12)"
}
PARAMS=$(params)
stamp_value() { sed -n "s/^$1=//p" "$STAMP" 2>/dev/null; }

if [[ $FORCE == 0 && -s $STAMP && -s $NB && -s $SB ]] &&
    [[ $(head -1 "$STAMP") == "$PARAMS" ]] &&
    [[ $(stat -c %s "$NB") == "$(stamp_value nb_bytes)" && $(stat -c %s "$SB") == "$(stamp_value sb_bytes)" ]]; then
    say "cached: $NB and $SB match $STAMP"
    echo "$(stamp_value summary) cached=1"
    exit 0
fi

# ------------------------------------------------------------------ the daemons, teardown

DEADLINE=$((SECONDS + TIMEOUT))
left() {
    local l=$((DEADLINE - SECONDS))
    ((l > 0)) || die "GENDB_TIMEOUT ($TIMEOUT s) reached"
    echo "$l"
}

MADE_WORK=0
CHILD=""   # the command `bounded` waits for
if [[ -n ${GENDB_WORK:-} ]]; then
    W=$GENDB_WORK
    mkdir -p "$W"
    [[ -z $(ls -A "$W") ]] || die "GENDB_WORK=$W is not empty"
else
    W=$(mktemp -d /tmp/ovn-ocf-gendb.XXXXXX)
    MADE_WORK=1
fi
W=$(cd "$W" && pwd)
((${#W} < 90)) || die "GENDB_WORK=$W: too long a path for unix sockets"
DAEMONS=(northd sb nb)   # stopped in this order

# stop NAME: TERM to the daemon recorded in $W/NAME.pid ("pid starttime", the very
# process), KILL after 10 s; nothing if it is gone.
stop() {
    local pid
    pid=$(live_pid "$W/$1.pid") || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    for _ in $(seq 100); do
        live_pid "$W/$1.pid" >/dev/null || { rm -f "$W/$1.pid"; return 0; }
        sleep 0.1
    done
    say "$1 (pid $pid) still there 10 s after TERM: KILL"
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$W/$1.pid"
}

cleanup() {
    local d
    [[ -z $CHILD ]] || kill -TERM "$CHILD" 2>/dev/null || true
    for d in "${DAEMONS[@]}"; do stop "$d"; done
    if [[ $RC == 0 && $MADE_WORK == 1 ]]; then
        rm -rf "$W"
    else
        rm -f "$W"/*.db "$W"/.*.db.~lock~
        [[ $RC == 0 ]] || say "logs kept in $W"
    fi
}
at_exit cleanup

# start NAME CMD...: CMD in the background at GENDB_NICE, its "pid starttime" recorded.
start() {
    local name=$1 pid id
    shift
    nice -n "$NICE" "$@" </dev/null >>"$W/$name.out" 2>&1 &
    pid=$!
    id=$(proc_id "$pid") || die "$name exited at once: $(tail -3 "$W/$name.out")"
    echo "$pid $id" >"$W/$name.pid"
}

# bounded CMD...: CMD under `timeout` with what is left of GENDB_TIMEOUT, waited for in
# the background: a signal to this script is acted on at once, and the teardown ends CMD
# (its pid is a child of this shell, not yet reaped: never somebody else's).
bounded() {
    local rc=0 l
    l=$(left) || exit 1
    timeout -k 5 "$l" "$@" &
    CHILD=$!
    wait "$CHILD" || rc=$?
    CHILD=""
    return "$rc"
}

# wait_sock NAME: until NAME's socket $W/NAME.sock is there (NAME alive meanwhile).
wait_sock() {
    while [[ ! -S $W/$1.sock ]]; do
        live_pid "$W/$1.pid" >/dev/null || die "$1 exited: $(tail -3 "$W/$1.log" 2>/dev/null)"
        left >/dev/null
        sleep 0.05
    done
}

server() {
    start "$1" ovsdb-server "$W/$1.db" --remote="punix:$W/$1.sock" --unixctl="$W/$1.ctl" \
        --no-chdir -vconsole:off -vfile:info --log-file="$W/$1.log"
    wait_sock "$1"
}

# cpu_secs NAME: the CPU time (user + system) the daemon NAME has used so far.
cpu_secs() {
    local stat
    stat=$(cat "/proc/$(live_pid "$W/$1.pid")/stat" 2>/dev/null) || { echo 0; return; }
    # utime and stime: fields 14 and 15 of /proc/PID/stat, 12 and 13 after "comm) ".
    awk -v t="$(getconf CLK_TCK)" '{ printf "%.1f", ($12 + $13) / t }' <<<"${stat##*) }"
}

# kv LINE KEY: KEY's value in a "k=v k=v" line.
kv() { tr ' ' '\n' <<<"$1" | sed -n "s/^$2=//p"; }

# ------------------------------------------------------------------------------ the work

T0=$EPOCHREALTIME
say "size $SIZE: $TENANTS tenants × $SWITCHES switches × $PORTS ports, $LBS LBs a tenant, in $W (limit $TIMEOUT s)"
rm -f "$STAMP"
ovsdb-tool create "$W/nb.db" "$NB_SCHEMA"
ovsdb-tool create "$W/sb.db" "$SB_SCHEMA"
server nb
server sb

t=$EPOCHREALTIME
bounded nice -n "$NICE" "$PY" "$GEN_PY" fill "$W/nb.sock" \
    "$TENANTS" "$SWITCHES" "$PORTS" "$LBS" "$BACKENDS" "$RULES" >"$W/fill.out" ||
    die "filling NB failed (server log $W/nb.log)"
FILL=$(cat "$W/fill.out")
FILL_S=$(secs "$t")
say "NB filled in $FILL_S s: $FILL"

t=$EPOCHREALTIME
start northd ovn-northd --ovnnb-db="unix:$W/nb.sock" --ovnsb-db="unix:$W/sb.sock" \
    --unixctl="$W/northd.ctl" --no-chdir -vconsole:off -vfile:info --log-file="$W/northd.log"
bounded ovn-nbctl --db="unix:$W/nb.sock" --timeout="$(left)" --wait=sb sync ||
    die "northd did not compute SB in time (northd log $W/northd.log)"
NORTHD_S=$(secs "$t")
NORTHD_RSS=$(awk '/^VmHWM/ { print $2 }' "/proc/$(live_pid "$W/northd.pid")/status" 2>/dev/null || echo 0)
NORTHD_CPU=$(cpu_secs northd)
SB_CPU=$(cpu_secs sb)
say "SB computed by ovn-northd in $NORTHD_S s (CPU: northd $NORTHD_CPU s, SB server $SB_CPU s; northd's peak RSS $((NORTHD_RSS / 1024)) MiB)"

# northd's work is done: stopped before the counts (it would keep the SB server busy).
stop northd
bounded "$PY" "$GEN_PY" count "$W/nb.sock" OVN_Northbound Logical_Switch Logical_Switch_Port \
    Logical_Router ACL Load_Balancer Port_Group NAT DHCP_Options >"$W/nb.count"
bounded "$PY" "$GEN_PY" count "$W/sb.sock" OVN_Southbound Datapath_Binding Port_Binding \
    Logical_Flow Logical_DP_Group Multicast_Group Load_Balancer >"$W/sb.count"
NBC=$(cat "$W/nb.count")
SBC=$(cat "$W/sb.count")
say "NB: $NBC"
say "SB: $SBC"
if [[ $COMPACT == 1 ]]; then
    # By the servers themselves, the data being in their memory (a 25 MB SB: 4.6 s here;
    # `ovsdb-tool compact` took 17 s for 50 MB); northd stopped above, nothing written after.
    t=$EPOCHREALTIME
    for d in nb sb; do
        bounded ovs-appctl --timeout="$(left)" -t "$W/$d.ctl" ovsdb-server/compact ||
            die "ovsdb-server/compact of $d failed (log $W/$d.log)"
    done
    say "compacted in $(secs "$t") s"
fi
stop sb
stop nb
mkdir -p "$(dirname "$NB")" "$(dirname "$SB")"
mv -f "$W/nb.db" "$NB"
mv -f "$W/sb.db" "$SB"
NB_BYTES=$(stat -c %s "$NB")
SB_BYTES=$(stat -c %s "$SB")
SECS=$(secs "$T0")
SUMMARY="GENDB size=$SIZE nb_bytes=$NB_BYTES sb_bytes=$SB_BYTES tenants=$TENANTS"
SUMMARY+=" switches=$(kv "$NBC" Logical_Switch) ports=$(kv "$NBC" Logical_Switch_Port)"
SUMMARY+=" routers=$(kv "$NBC" Logical_Router) acls=$(kv "$NBC" ACL) lbs=$(kv "$NBC" Load_Balancer)"
SUMMARY+=" lflows=$(kv "$SBC" Logical_Flow) datapaths=$(kv "$SBC" Datapath_Binding)"
SUMMARY+=" port_bindings=$(kv "$SBC" Port_Binding) compact=$COMPACT secs=$SECS"
{
    echo "$PARAMS"
    echo "nb_bytes=$NB_BYTES"
    echo "sb_bytes=$SB_BYTES"
    echo "nb_counts=$NBC"
    echo "sb_counts=$SBC"
    echo "fill_secs=$FILL_S"
    echo "northd_secs=$NORTHD_S"
    echo "northd_peak_rss_kib=$NORTHD_RSS"
    echo "northd_cpu_secs=$NORTHD_CPU"
    echo "sb_server_cpu_secs=$SB_CPU"
    echo "load=$(cut -d' ' -f1-3 /proc/loadavg)"
    echo "generated=$(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "summary=$SUMMARY"
} >"$STAMP.tmp"
mv -f "$STAMP.tmp" "$STAMP"
say "$NB ($NB_BYTES bytes) and $SB ($SB_BYTES bytes) in $SECS s"
echo "$SUMMARY cached=0"

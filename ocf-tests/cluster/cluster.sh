#!/bin/bash
# A Pacemaker/Corosync cluster of Linux-namespace nodes on this machine, for ovn-ocf's tests.
#
#   cluster.sh up [--nodes N]       bring up N nodes (default 2) with a shared LUN, the fence
#                                   agent and stonith; prints the formation time
#   cluster.sh shape A|B|C|D        create README's shape A (group ovn), B (promotable
#                                   clones, group ovn-storage), C (group ovn, local files
#                                   rebuilt; needs neutron-common for its hook) or D
#                                   (replicated clones, group ovn-ip) and wait until
#                                   Started/Promoted
#   cluster.sh down [--save-logs D] tear everything down (idempotent; also after a failed up)
#   cluster.sh status               host view (nodes, netns, loops) + crm_mon -1 -A
#   cluster.sh exec NODE CMD...     run CMD inside NODE (all its namespaces)
#   cluster.sh client CMD...        run CMD in the client netns (198.51.100.200, no node)
#   cluster.sh power on|off|status NODE   the power switch, as the fence agent uses it;
#                                   off is a power cut (see powerswitch.py); prints the
#                                   time of the cut (epoch s) when a live node was cut
#   cluster.sh wait-online [SECS]   until every powered-on node is online with a DC
#   cluster.sh wait-group GROUP [--not NODE] [SECS]
#                                   until every member of GROUP is Started on one node (not
#                                   NODE); prints that node
#   cluster.sh wait-promoted [--not NODE] [--standby] [--secs S] GROUP CLONE...
#                                   until GROUP is Started on one node (not NODE) and every
#                                   CLONE is Promoted there, none failed (--standby: and
#                                   Unpromoted on every other online node); prints that node
#   cluster.sh crm-xml              crm_mon --output-as=xml from a live node
#   cluster.sh vip-node             the node the client netns resolves the VIP to (ARP), or -
#   cluster.sh logs DIR             copy every node's logs (pacemaker, corosync, ovn) to DIR
#
# What a node is: a named netns ID-nodeK (eth0 198.51.100.(10+K), veth into a bridge that
# lives in netns ID-br; the root netns is never connected) and a PID namespace whose PID 1
# is node-init.sh with a private mount namespace (tmpfs /run /tmp /dev/shm, per-node
# "disks" under RUN/nodeK, its own /dev with /dev/ovn-lun = /dev/disk/by-id/LUN = its own
# loop device on the one shared image RUN/lun.img). The host-side power switch
# (powerswitch.py, socket RUN/power.sock) owns the node inits; the fence agent
# fence_ovnocf_ns talks to it from inside the nodes. Power off loses what the node had not
# written to the LUN yet, as real power loss does (OVNOCF_POWER_OFF=clean at `up`: it
# does not). Fenced nodes stay off (pcmk_reboot_action=off) until `power on`.
#
# Environment: OVNOCF_CLUSTER (name prefix of every netns, default ovnocf),
# OVNOCF_CLUSTER_DIR (default /var/tmp/ovn-ocf-cluster.$OVNOCF_CLUSTER: must be visible
# inside nodes, so not under /tmp or /run), OVN_OCF_BIN (the binary under test, default
# /usr/local/sbin/ovn-ocf as `make install` puts it; copied at `up`, so a re-install
# during a run changes nothing), README (where shape commands come from),
# OVNOCF_LUN_SIZE (the shared LUN's size at `up`, truncate(1)'s syntax; default 256M),
# OVNOCF_SHAPE_WAIT (seconds `shape` waits for the resources; default 120),
# OVNOCF_ALLOCATOR (an absolute path: `shape` adds allocator=PATH to every ovsdb-server
# resource README's lines create, the parameter README describes; default none),
# OVNOCF_TOKEN (Corosync's totem token timeout in ms at `up`, default 1000: a lost node
# is noticed after about the token plus consensus), OVNOCF_CONSENSUS (Corosync's consensus
# timeout in ms at `up`; default unset: Corosync's 1.2 × the token. corosync.conf(5): on
# two nodes, anything above the join timeout, 50 ms, and below the token is safe).
#
# Nothing is installed on the host: no files outside RUN, no mounts in the root mount
# namespace (except the /run/netns mount `ip netns` makes, removed again when empty).
# Only processes started here are ever signalled, by PID, checked against start times.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ID=${OVNOCF_CLUSTER:-ovnocf}
RUN=${OVNOCF_CLUSTER_DIR:-/var/tmp/ovn-ocf-cluster.$ID}
export OVNOCF_CLUSTER=$ID OVNOCF_CLUSTER_DIR=$RUN
PY=/usr/bin/python3
# shellcheck disable=SC2034 # read by harness.sh
SAY="cluster[$ID]"
# shellcheck source-path=SCRIPTDIR source=../lib/harness.sh
. "$HERE/../lib/harness.sh"   # say, die, timing, SUBNET, VIP, CLIENT_IP
BR=$ID-br
CLI=$ID-cli
LUN_SIZE=${OVNOCF_LUN_SIZE:-256M}
SHAPE_WAIT=${OVNOCF_SHAPE_WAIT:-120}
ALLOCATOR=${OVNOCF_ALLOCATOR:-}
TOKEN=${OVNOCF_TOKEN:-1000}
CONSENSUS=${OVNOCF_CONSENSUS:-}
NODE_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin


nodes() { cat "$RUN/nodes" 2>/dev/null || true; }
node_ip() { echo "$SUBNET.$((10 + ${1#node}))"; }
node_pid() { live_pid "$RUN/$1/init.pid"; }
node_mac() { printf '02:00:c6:33:64:%02x' $((10 + ${1#node})); }

# ---------------------------------------------------------------------------- preparing

# A per-node "disk" directory standing in for host directory $2, with its owner and mode.
mkdisk() {
    local dir=$1 like=$2
    mkdir -p "$dir"
    chown "$(stat -c %u:%g "$like")" "$dir"
    chmod "$(stat -c %a "$like")" "$dir"
}

write_corosync_conf() {
    local n=$1 k
    {
        cat <<EOF
totem {
    version: 2
    cluster_name: $ID
    transport: knet
    crypto_cipher: none
    crypto_hash: none
    token: $TOKEN
$([ -z "$CONSENSUS" ] || echo "    consensus: $CONSENSUS")
}
nodelist {
EOF
        for k in $(seq "$n"); do
            printf '    node {\n        ring0_addr: %s\n        name: node%d\n        nodeid: %d\n    }\n' \
                "$(node_ip "node$k")" "$k" "$k"
        done
        cat <<EOF
}
quorum {
    provider: corosync_votequorum
$([ "$n" = 2 ] && echo "    two_node: 1")
}
logging {
    to_logfile: yes
    logfile: /var/log/corosync/corosync.log
    to_syslog: no
    to_stderr: no
    timestamp: on
}
EOF
    }
}

# A CIB seeded with dc-deadtime=2s: formation in ~5 s instead of ~23 s (Pacemaker's
# default dc-deadtime is 20 s).
write_seed_cib() {
    cibadmin --empty | sed 's#<crm_config/>#<crm_config><cluster_property_set id="cib-bootstrap-options"><nvpair id="cib-bootstrap-options-dc-deadtime" name="dc-deadtime" value="2s"/></cluster_property_set></crm_config>#'
}

prepare_node() {
    local node=$1 n=$2 d=$RUN/$1 sub
    mkdir -p "$d"
    mkdisk "$d/etc-corosync" /etc/corosync
    mkdisk "$d/var-lib-corosync" /var/lib/corosync
    mkdisk "$d/var-lib-pacemaker" /var/lib/pacemaker
    for sub in cib pengine blackbox cores; do
        mkdisk "$d/var-lib-pacemaker/$sub" /var/lib/pacemaker/cib
    done
    mkdisk "$d/var-log-pacemaker" /var/log/pacemaker
    mkdisk "$d/var-log-pacemaker/bundles" /var/log/pacemaker
    mkdisk "$d/var-log-corosync" /var/log/corosync
    mkdisk "$d/var-lib-ovn" /var/lib/ovn
    mkdisk "$d/var-log-ovn" /var/log/ovn
    mkdisk "$d/etc-ovn" /etc/ovn
    mkdisk "$d/srv" /srv
    write_corosync_conf "$n" >"$d/etc-corosync/corosync.conf"
    write_seed_cib >"$d/var-lib-pacemaker/cib/cib.xml"
    chown hacluster:haclient "$d/var-lib-pacemaker/cib/cib.xml"
    chmod 0600 "$d/var-lib-pacemaker/cib/cib.xml"
    : >"$d/console.log"
}

# --------------------------------------------------------------------------- networking

net_bridge_up() {
    ip netns add "$BR"
    ip -n "$BR" link set lo up
    ip -n "$BR" link add br0 type bridge
    ip -n "$BR" link set br0 up
    ip netns add "$CLI"
    ip -n "$CLI" link set lo up
    ip -n "$BR" link add vcli type veth peer name eth0 netns "$CLI"
    ip -n "$BR" link set vcli master br0 up
    ip -n "$CLI" addr add "$CLIENT_IP/24" dev eth0
    ip -n "$CLI" link set eth0 up
}

# Called by the power switch on "on": a fresh netns, as after a real power cycle.
cmd__net-up() {
    local node=$1 k=${1#node} ns=$ID-$1
    [ -e "/run/netns/$ns" ] && cmd__net-down "$node"
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$BR" link add "v$k" type veth peer name eth0 netns "$ns"
    ip -n "$BR" link set "v$k" master br0 up
    ip -n "$ns" link set eth0 address "$(node_mac "$node")"
    ip -n "$ns" addr add "$(node_ip "$node")/24" dev eth0
    ip -n "$ns" link set eth0 up
}

# Called by the power switch first thing on "off": the node's port on the bridge goes
# down, so nothing the node still sends (the FINs and RSTs its kernel sends for the
# sockets of the processes the cut kills) reaches anyone, as when the power goes.
cmd__net-cut() {
    ip -n "$BR" link set "v${1#node}" down
}

# Called by the power switch on "off", once the node's processes are dead: its addresses
# (the VIP among them) leave the wire with its netns.
cmd__net-down() {
    local ns=$ID-$1
    ip -n "$ns" link del eth0 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
}

# ------------------------------------------------------------------------ power switch

ask() {
    [ -S "$RUN/power.sock" ] || die "no power switch (is the cluster up?)"
    "$PY" "$HERE/powerswitch.py" ask "$RUN/power.sock" "$@"
}

cmd_power() {
    [ $# = 2 ] || die "usage: power on|off|status NODE"
    local t0 reply
    t0=$(now)
    reply=$(ask "$1" "$2") || die "power $1 $2: $reply"
    say "power $1 $2: ${reply#ok } ($(since "$t0") s)"
    # off: when the node's wire was cut (epoch seconds), on stdout, for timing from it
    if [[ $reply == *" cut="* ]]; then echo "${reply##* cut=}"; fi
}

start_power_switch() {
    # shellcheck disable=SC2046
    "$PY" "$HERE/powerswitch.py" serve "$RUN" "$HERE/cluster.sh" $(nodes) \
        </dev/null >>"$RUN/power.log" 2>&1 &
    echo "$! $(proc_id $!)" >"$RUN/power.pid"
    for _ in $(seq 100); do
        [ -S "$RUN/power.sock" ] && return 0
        sleep 0.05
    done
    die "power switch did not start: $(tail -5 "$RUN/power.log")"
}

# --------------------------------------------------------------------------- in a node

# nsenter forks CMD into the node's PID namespace and, whenever CMD is stopped, stops
# itself until something continues it (job control). The power switch stops every process
# of a node before it kills it, so a CMD running then dies stopped, nsenter waits for ever
# without reaping it, and the node's PID namespace cannot end: the power-off fails ("init
# survived SIGKILL") and exec never returns (seen: a bench hung 18 min on `exec ...
# ovn-appctl` while its node was being fenced). exec_watch SHELL_PID, beside every exec,
# continues an nsenter child of SHELL_PID that is stopped while its own child is dead:
# nsenter then reaps CMD and returns its status (killed). A CMD that is stopped and alive
# is left alone. (nsenter stays in the foreground: Ctrl-C and the terminal reach CMD as
# before.)
# proc_stat FILE (a /proc/PID/stat): sets the caller's st, pp and comm (state, parent pid,
# command name) without a fork; fails when the process is gone.
proc_stat() {
    local line _
    read -r line 2>/dev/null <"$1" || return 1
    read -r st pp _ <<<"${line##*) }"
    comm=${line#*(} comm=${comm%)*}
}

exec_watch() {
    local f st pp comm ns="" alive
    while sleep 0.5; do
        kill -0 "$1" 2>/dev/null || return 0
        # The nsenter: found once (the first tick), then only its own stat is read.
        if [ -z "$ns" ]; then
            for f in /proc/[0-9]*/stat; do
                proc_stat "$f" || continue
                if [ "$pp" = "$1" ] && [ "$comm" = nsenter ]; then ns=${f#/proc/} ns=${ns%/stat}; break; fi
            done
            [ -n "$ns" ] || continue
        fi
        proc_stat "/proc/$ns/stat" || return 0
        [ "$pp" = "$1" ] || return 0   # gone, its pid taken by another process
        [ "$st" = T ] || continue
        alive=0
        for f in /proc/[0-9]*/stat; do
            proc_stat "$f" || continue
            if [ "$pp" = "$ns" ] && [ "$st" != Z ] && [ "$st" != X ]; then alive=1; break; fi
        done
        [ "$alive" = 1 ] || kill -CONT "$ns" 2>/dev/null || true
    done
}

cmd_exec() {
    [ $# -ge 2 ] || die "usage: exec NODE CMD..."
    local node=$1 pid watch rc=0 me=$BASHPID
    shift
    pid=$(node_pid "$node") || die "$node is not powered on"
    # (me: a background command's words are expanded after the fork, $BASHPID the child's.)
    # Its own stdout and stderr: it must not hold open a pipe the caller reads to EOF.
    exec_watch "$me" </dev/null >/dev/null 2>&1 &
    watch=$!
    nsenter -t "$pid" -m -u -i -n -p -w -- \
        env -i PATH="$NODE_PATH" HOME=/root LC_ALL=C.UTF-8 TERM="${TERM:-dumb}" "$@" || rc=$?
    kill "$watch" 2>/dev/null || true
    wait "$watch" 2>/dev/null || true
    return "$rc"
}

cmd_client() {
    [ $# -ge 1 ] || die "usage: client CMD..."
    ip netns exec "$CLI" env -i PATH="$NODE_PATH" HOME=/root LC_ALL=C.UTF-8 "$@"
}

# First node that is powered on and answers crm_mon.
live_node() {
    local node
    for node in $(nodes); do
        if node_pid "$node" >/dev/null &&
            cmd_exec "$node" crm_mon -1 --output-as=xml >/dev/null 2>&1; then
            echo "$node"
            return 0
        fi
    done
    return 1
}

cmd_vip-node() {
    local mac node
    mac=$(ip -n "$CLI" neigh show "$VIP" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }')
    for node in $(nodes); do
        [ "$mac" = "$(node_mac "$node")" ] && { echo "$node"; return 0; }
    done
    echo -
}

cmd_crm-xml() {
    local node
    node=$(live_node) || die "no node answers crm_mon"
    cmd_exec "$node" crm_mon -1 --output-as=xml
}

# crm_mon XML on stdin → facts, one per line (see crmfacts.py).
crmfacts() { "$PY" "$HERE/crmfacts.py" "$@"; }

# Every powered-on node answers crm_mon and sees all of them online with a DC (asking each
# node: a node that was just power-cycled may still look online to the others).
cmd_wait-online() {
    local secs=${1:-60} t0 want up node ok xml
    t0=$(now)
    while :; do
        up=() ok=1
        for node in $(nodes); do node_pid "$node" >/dev/null && up+=("$node"); done
        want=${#up[@]}
        for node in "${up[@]}"; do
            if ! xml=$(cmd_exec "$node" crm_mon -1 --output-as=xml 2>/dev/null) ||
                [ "$(crmfacts online <<<"$xml" 2>/dev/null)" != "$want" ]; then
                ok=0
                break
            fi
        done
        if [ $ok = 1 ] && [ "$want" -gt 0 ]; then
            say "all $want powered-on nodes online with a DC after $(since "$t0") s"
            return 0
        fi
        awk -v a="$t0" -v b="$EPOCHREALTIME" -v s="$secs" 'BEGIN { exit !(b - a > s) }' &&
            die "nodes not online after $secs s"
        sleep 0.2
    done
}

cmd_wait-group() {
    [ $# -ge 1 ] || die "usage: wait-group GROUP [--not NODE] [SECS]"
    local group=$1 not=""
    shift
    if [ "${1:-}" = --not ]; then not=$2; shift 2; fi
    wait_fact "${1:-120}" "$not" "group $group Started on one node" 0 group-started "$group"
}

cmd_wait-promoted() {
    local not="" secs=120 standby=()
    while [ $# -gt 0 ]; do
        case $1 in
        --not) not=$2; shift 2 ;;
        --secs) secs=$2; shift 2 ;;
        --standby) standby=(--standby); shift ;;
        *) break ;;
        esac
    done
    [ $# -ge 2 ] || die "usage: wait-promoted [--not NODE] [--standby] [--secs S] GROUP CLONE..."
    wait_fact "$secs" "$not" "$* Promoted with group $1 on one node${standby:+, standbys Unpromoted}" \
        "${WAIT_FAILFAST:-0}" promoted "${standby[@]}" "$@"
}

# SECS NOT WHAT FAILFAST FACT...: polls `crmfacts FACT...` until it names a node other
# than NOT; prints it. After SECS (or, with FAILFAST=1, as soon as crm_mon lists a failed
# action): says WHAT did not happen, prints the cluster summary, fails.
wait_fact() {
    local secs=$1 not=$2 what=$3 failfast=$4 t0 xml where
    shift 4
    t0=$(now)
    while :; do
        if xml=$(cmd_crm-xml 2>/dev/null) &&
            where=$(crmfacts "$@" <<<"$xml") &&
            [ "$where" != "$not" ]; then
            echo "$where"
            return 0
        fi
        if [ "$failfast" = 1 ] && [ -n "${xml:-}" ] && ! crmfacts failures <<<"$xml" >/dev/null; then
            say "failed actions while waiting for: $what"
            crmfacts summary <<<"$xml" >&2 || true
            return 1
        fi
        if awk -v a="$t0" -v b="$EPOCHREALTIME" -v s="$secs" 'BEGIN { exit !(b - a > s) }'; then
            say "not after $secs s: $what${not:+ (not $not)}"
            cmd_crm-xml 2>/dev/null | crmfacts summary >&2 || true
            return 1
        fi
        sleep 0.2
    done
}

# --------------------------------------------------------------------------------- up

# Teardown hook of up: tears down what exists when up fails or is interrupted.
up_failed() {
    if [ "$RC" != 0 ]; then
        say "up failed (exit $RC): tearing down"
        # shellcheck disable=SC2119 # no options
        cmd_down || true
    fi
}

cmd_up() {
    local n=2 bin=${OVN_OCF_BIN:-/usr/local/sbin/ovn-ocf} node k t0 lun
    while [ $# -gt 0 ]; do
        case $1 in
        --nodes) n=$2; shift 2 ;;
        *) die "usage: up [--nodes N]" ;;
        esac
    done
    [ "$(id -u)" = 0 ] || die "must run as root"
    case $n in 2 | 3 | 4 | 5) ;; *) die "--nodes: 2 to 5" ;; esac
    [[ $LUN_SIZE =~ ^[1-9][0-9]{0,5}[MG]$ ]] || die "OVNOCF_LUN_SIZE=$LUN_SIZE: a size like 256M or 2G"
    [[ $TOKEN =~ ^[1-9][0-9]{2,5}$ ]] || die "OVNOCF_TOKEN=$TOKEN: milliseconds, 100 or more"
    [ -z "$CONSENSUS" ] || [[ $CONSENSUS =~ ^[1-9][0-9]{1,5}$ && $CONSENSUS -gt 50 ]] ||
        die "OVNOCF_CONSENSUS=$CONSENSUS: milliseconds, more than the join timeout (50)"
    [ -z "$CONSENSUS" ] || [ "$n" = 2 ] || [ "$CONSENSUS" -gt "$TOKEN" ] ||
        die "OVNOCF_CONSENSUS=$CONSENSUS: below the token only on 2 nodes (corosync.conf(5))"
    [[ $ID =~ ^[a-z][a-z0-9]{0,7}$ ]] || die "OVNOCF_CLUSTER: 1-8 of [a-z0-9], starting with a letter"
    # modprobe: ocf:heartbeat:Filesystem refuses to run without it ("not installed").
    for c in corosync pacemakerd pcs crm_mon nsenter unshare losetup mkfs.ext4 cibadmin modprobe; do
        PATH=$NODE_PATH command -v "$c" >/dev/null || die "$c is not installed (make deps)"
    done
    [ -f /usr/share/fence/fencing.py ] || die "fence-agents is not installed (make deps)"
    [ -x "$bin" ] || die "$bin is missing: run make install (or set OVN_OCF_BIN)"
    [ ! -e "$RUN" ] || die "$RUN exists: a cluster is up or was not torn down; run: $0 down"
    if ip netns list | grep -q "^$ID-"; then die "netns $ID-* exist; run: $0 down"; fi

    # From here on, anything that fails or interrupts tears down what exists.
    at_exit up_failed

    t0=$(now)
    mkdir -p "$RUN"
    chmod 0700 "$RUN"
    echo "$ID" >"$RUN/id"
    for k in $(seq "$n"); do echo "node$k"; done >"$RUN/nodes"
    for k in $(seq "$n"); do echo "$(node_ip "node$k") node$k"; done >"$RUN/hosts"
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >>"$RUN/hosts"

    # The software under test, frozen for this run.
    mkdir -p "$RUN/local-sbin" "$RUN/resource.d/ovn-ocf" "$RUN/sbin"
    install -m 0755 "$bin" "$RUN/local-sbin/ovn-ocf"
    ln -s /usr/local/sbin/ovn-ocf "$RUN/resource.d/ovn-ocf/ovsdb-server"
    ln -s /usr/local/sbin/ovn-ocf "$RUN/resource.d/ovn-ocf/ovn-northd"
    # OVN's own agent (the incumbent, for `make bench`): Debian's ovn-common links
    # ocf:ovn:ovndb-servers to /usr/share/openvswitch/scripts/ovndb-servers.ocf, which no
    # package ships. In the nodes' overlay only (the host is not changed), point it at the
    # script Debian does ship.
    if [ ! -x /usr/lib/ocf/resource.d/ovn/ovndb-servers ] &&
        [ -f /usr/share/ovn/scripts/ovndb-servers.ocf ]; then
        mkdir -p "$RUN/resource.d/ovn"
        ln -s /usr/share/ovn/scripts/ovndb-servers.ocf "$RUN/resource.d/ovn/ovndb-servers"
    fi
    sed "s#@POWER_SOCKET@#$RUN/power.sock#" "$HERE/fence_ovnocf_ns" >"$RUN/sbin/fence_ovnocf_ns"
    chmod 0755 "$RUN/sbin/fence_ovnocf_ns"

    # The shared LUN: one image, one loop device per node.
    truncate -s "$LUN_SIZE" "$RUN/lun.img"
    mkfs.ext4 -q -F -L ovn-lun "$RUN/lun.img"
    for node in $(nodes); do
        prepare_node "$node" "$n"
        lun=$(losetup -f --show "$RUN/lun.img")
        echo "$lun" >"$RUN/$node/lun"
    done

    net_bridge_up
    start_power_switch
    say "prepared in $(since "$t0") s; powering on: $(nodes | tr '\n' ' ')"
    t0=$(now)
    for node in $(nodes); do ask on "$node" >/dev/null || die "power on $node failed"; done
    cmd_wait-online 60
    say "FORMATION $(since "$t0") s (power on → all nodes online with a DC)"

    # Fencing: one device per node, kept off the node it fences, as with a power switch
    # or BMC per server (fence_ipmilan): the device that fences a lost node already runs
    # on a survivor, so a takeover does not wait for a device to move and start first.
    # Fenced nodes stay off (see fence_ovnocf_ns).
    node=$(live_node)
    cmd_exec "$node" pcs property set stonith-enabled=true
    local target
    for target in $(nodes); do
        cmd_exec "$node" pcs stonith create "fence-$target" fence_ovnocf_ns \
            pcmk_host_list="$target" pcmk_reboot_action=off op monitor interval=60s
        cmd_exec "$node" pcs constraint location "fence-$target" avoids "$target"
    done
    trap - EXIT INT TERM
    say "up: $n nodes, VIP $VIP, client netns $CLI ($CLIENT_IP), run dir $RUN"
}

# The pcs commands of a deployment shape, exactly as README.md documents them (one source
# for README and tests), one command per line.
shape_commands() {
    local readme=${README:-$HERE/../../README.md}
    [ -f "$readme" ] || die "$readme not found"
    case $1 in
    A) awk '/^\*\*A\. Group/ { f = 1; next } /^\*\*[B-Z]\./ { f = 0 } f' "$readme" ;;
    B) awk '/^\*\*B\. Promotable/ { f = 1; next } /^\*\*[C-Z]\.|^## / { f = 0 } f' "$readme" ;;
    C) awk '/^\*\*C\. Rebuilt/ { f = 1; next } /^\*\*[D-Z]\.|^## / { f = 0 } f' "$readme" ;;
    D) awk '/^\*\*D\. Replicated/ { f = 1; next } /^\*\*[E-Z]\.|^## / { f = 0 } f' "$readme" ;;
    *) die "unknown shape $1" ;;
    esac | awk '/^    / { cont = /\\$/; sub(/^ +/, ""); sub(/\\$/, ""); line = line $0
                            if (!cont) { print line; line = "" } }' | grep '^pcs '
}

# The group the promoted clones go with: the storage (B), the VIP alone (D).
shape_group() { if [ "$1" = D ]; then echo ovn-ip; else echo ovn-storage; fi; }

cmd_shape() {
    local shape=${1:-} node cmds t0 where
    case $shape in A | B | C | D) ;; *) die "usage: shape A|B|C|D" ;; esac
    [[ $SHAPE_WAIT =~ ^[1-9][0-9]{0,4}$ ]] || die "OVNOCF_SHAPE_WAIT=$SHAPE_WAIT: whole seconds"
    cmds=$(shape_commands "$shape") || true
    [ -n "$cmds" ] || die "no shape $shape pcs commands found in README"
    if [ -n "$ALLOCATOR" ]; then
        # No character that the pcs line (run by bash -c), awk's -v or sub()'s "&" would read.
        [[ $ALLOCATOR == /* && -f $ALLOCATOR && $ALLOCATOR != *[[:space:]:\'\"\\\$\&\;\|\<\>\(\)\`\*\?]* ]] ||
            die "OVNOCF_ALLOCATOR=$ALLOCATOR: an existing file's absolute path without blanks, ':' or shell characters"
        cmds=$(awk -v a="$ALLOCATOR" '/^pcs resource create .* ocf:ovn-ocf:ovsdb-server / {
            sub(/ ocf:ovn-ocf:ovsdb-server /, " ocf:ovn-ocf:ovsdb-server allocator=" a " ") } { print }' <<<"$cmds")
        grep -qF " allocator=$ALLOCATOR " <<<"$cmds" || die "shape $shape: no ovsdb-server resource to give OVNOCF_ALLOCATOR"
    fi
    node=$(live_node) || die "no live node"
    t0=$(now)
    while IFS= read -r c; do
        say "$node# $c"
        cmd_exec "$node" bash -c "$c" || die "failed: $c"
    done <<<"$cmds"
    # A failed action while a fresh shape comes up is a wrong recipe or an agent bug: no
    # point waiting for the timeout.
    if [ "$shape" = A ] || [ "$shape" = C ]; then
        where=$(wait_fact "$SHAPE_WAIT" "" "group ovn Started on one node" 1 group-started ovn) ||
            die "shape $shape did not start"
    else
        where=$(WAIT_FAILFAST=1 cmd_wait-promoted --standby --secs "$SHAPE_WAIT" "$(shape_group "$shape")" ovn-nb-clone \
            ovn-sb-clone ovn-northd-clone) || die "shape $shape did not start"
    fi
    say "shape $shape Started on $where $(since "$t0") s after the first pcs command"
    echo "$where"
}

# ------------------------------------------------------------------------------- down

# shellcheck disable=SC2120 # DIR from the command line, none from up_failed
cmd_down() {
    local save="" node pid ns lun rc=0
    while [ $# -gt 0 ]; do
        case $1 in
        --save-logs) save=$2; shift 2 ;;
        *) die "usage: down [--save-logs DIR]" ;;
        esac
    done
    [ -z "$save" ] || cmd_logs "$save" || true

    # Nodes: through the power switch if it answers (waits for the LUN and removes the
    # netns), else directly by their recorded init PIDs.
    if [ -S "$RUN/power.sock" ] && live_pid "$RUN/power.pid" >/dev/null; then
        local offs=()
        for node in $(nodes); do
            if node_pid "$node" >/dev/null; then
                { ask off "$node" >/dev/null || true; } &
                offs+=($!)
            fi
        done
        # Only these: a plain `wait` would also wait for the power switch when `up` fails.
        [ ${#offs[@]} = 0 ] || wait "${offs[@]}" || true
    fi
    for node in $(nodes); do
        if pid=$(node_pid "$node"); then
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    # Anything else still inside our netns was started by this harness.
    for ns in $(ip netns list 2>/dev/null | awk -v p="$ID-" 'index($1, p) == 1 { print $1 }'); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
    done
    for node in $(nodes); do
        for _ in $(seq 100); do node_pid "$node" >/dev/null || break; sleep 0.05; done
        node_pid "$node" >/dev/null && { say "$node init survives SIGKILL"; rc=1; }
    done
    if pid=$(live_pid "$RUN/power.pid"); then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 40); do live_pid "$RUN/power.pid" >/dev/null || break; sleep 0.05; done
        if pid=$(live_pid "$RUN/power.pid"); then kill -KILL "$pid" 2>/dev/null || true; fi
    fi

    # Loop devices on our image (a still-open one is auto-cleared on its last close).
    for _ in $(seq 100); do
        lun=$(losetup -n -l -O NAME,BACK-FILE 2>/dev/null | awk -v f="$RUN/lun.img" 'index($2, f) == 1 { print $1 }')
        [ -n "$lun" ] || break
        for l in $lun; do losetup -d "$l" 2>/dev/null || true; done
        sleep 0.05
    done
    [ -z "$lun" ] || { say "loop devices still attached: $lun"; rc=1; }

    for ns in $(ip netns list 2>/dev/null | awk -v p="$ID-" 'index($1, p) == 1 { print $1 }'); do
        ip netns del "$ns" 2>/dev/null || { say "cannot delete netns $ns"; rc=1; }
    done
    # `ip netns add` made /run/netns a mount point: remove it again once nobody uses it.
    if [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
        umount /run/netns 2>/dev/null || true
        rmdir /run/netns 2>/dev/null || true
    fi
    if findmnt -rn -o TARGET | grep -q "^$RUN"; then
        say "mounts left under $RUN: $(findmnt -rn -o TARGET | grep "^$RUN" | tr '\n' ' ')"
        rc=1
    elif [ -d "$RUN" ]; then
        rm -rf --one-file-system "$RUN"
    fi
    if [ $rc = 0 ]; then say "down: nothing left"; else say "down: incomplete (see above)"; fi
    return $rc
}

# ------------------------------------------------------------------------------ status

cmd_status() {
    local node pid
    [ -d "$RUN" ] || { say "no cluster ($RUN does not exist)"; return 0; }
    echo "run dir:      $RUN"
    echo "power switch: $(live_pid "$RUN/power.pid" || echo dead)"
    for node in $(nodes); do
        pid=$(node_pid "$node" || echo off)
        echo "$node:        init $pid, lun $(cat "$RUN/$node/lun" 2>/dev/null), ip $(node_ip "$node")"
    done
    echo "netns:        $(ip netns list | awk -v p="$ID-" 'index($1, p) == 1 { print $1 }' | tr '\n' ' ')"
    echo "loops:        $(losetup -n -l -O NAME,BACK-FILE | awk -v f="$RUN/lun.img" 'index($2, f) == 1 { print $1 }' | tr '\n' ' ')"
    node=$(live_node) || { echo "no node answers crm_mon"; return 0; }
    echo "--- crm_mon -1 -A (from $node)"
    cmd_exec "$node" crm_mon -1 -A
}

cmd_logs() {
    local dir=$1 node
    mkdir -p "$dir"
    cp "$RUN/power.log" "$dir/" 2>/dev/null || true
    for node in $(nodes); do
        mkdir -p "$dir/$node"
        cp "$RUN/$node/console.log" "$dir/$node/" 2>/dev/null || true
        cp -r "$RUN/$node/var-log-pacemaker/." "$dir/$node/pacemaker" 2>/dev/null || true
        cp -r "$RUN/$node/var-log-corosync/." "$dir/$node/corosync" 2>/dev/null || true
        cp -r "$RUN/$node/var-log-ovn/." "$dir/$node/ovn" 2>/dev/null || true
    done
    say "logs saved to $dir"
}

# -------------------------------------------------------------------------------- main

[ $# -ge 1 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
cmd=$1
shift
case $cmd in
up | down | status | exec | client | power | shape | wait-online | wait-group | wait-promoted | crm-xml | vip-node | logs | _net-up | _net-cut | _net-down)
    "cmd_$cmd" "$@" ;;
*) die "unknown command $cmd (run without arguments for help)" ;;
esac

#!/bin/bash
# A small real cloud around the namespace cluster (cluster.sh): a Neutron controller host
# and a compute host on the cluster's wire, both reaching NB and SB through the VIP, and
# two VMs on the compute host pinging each other through br-int.
#
#   cloud.sh up                  controller (MariaDB, neutron-server ML2/OVN, noauth) and
#                                compute (ovsdb-server, ovs-vswitchd netdev, ovn-controller);
#                                needs a cluster serving NB and SB on the VIP; a failed up
#                                tears down and keeps the logs in WORKDIR.failed
#   cloud.sh populate            networks, subnets, ports, routers, security groups through
#                                the Neutron API, sized by CLOUD_SIZE (below); prints a
#                                POPULATE line with the time it took
#   cloud.sh vms                 two VM netns on ports created through the API, bound by
#                                ovn-controller (Neutron says ACTIVE), pinging each other
#                                every 0.2 s from then on; the flow count on br-int sampled
#                                every 0.5 s from then on
#   cloud.sh port NAME [--bind] [--timeout S]
#                                one more port on vm-net through the API (bound to nothing;
#                                the call may take S seconds, default 60); prints "PORT
#                                name=NAME id=ID secs=S" (S: the API call). --bind: made for
#                                compute1 and plugged into its br-int like a VM's (no
#                                netns); then prints "BOUND name=NAME id=ID chassis=compute1
#                                secs=S" once Neutron says ACTIVE (S: from the plugging)
#   cloud.sh sample-start [NAME] open window NAME (default w): its start and the flow count
#                                before it
#   cloud.sh sample-stop [NAME]  close window NAME; prints its report
#   cloud.sh report [NAME]       the report of window NAME (until now if still open; "all":
#                                since `vms`), machine-readable lines:
#       CLOUD_PINGS window=NAME secs=S sent=N lost=N pending=N longest_gap=S lost_at=T,..
#       CLOUD_FLOWS window=NAME before=N min=N max=N last=N samples=N failed=N below_before_secs=S
#       CLOUD_CONTROLLER window=NAME pid=N alive=0|1 exit=N|- sb=connected|not-connected|-
#                                (sb: ovn-controller's SB connection at the report)
#   cloud.sh demo                up + populate + vms unless the VMs run already; then what
#                                to look at (for `make demo CLOUD=1`)
#   cloud.sh status              hosts, daemons (pid, alive), VMs, the report since `vms`
#   cloud.sh exec HOST CMD...    CMD in host ctl, cmp1, vm1 or vm2 (cmp1: OVS_RUNDIR and
#                                OVN_RUNDIR set, so ovs-vsctl, ovs-ofctl, ovn-appctl work)
#   cloud.sh api METHOD PATH [JSON]   one Neutron API call (from the controller host)
#   cloud.sh log NAME            the log of daemon NAME (neutron-server, mariadbd,
#                                ovn-controller, ovs-vswitchd, ovsdb-server)
#   cloud.sh db                  the Neutron DB as a cluster node reaches it (for a
#                                repair_hook running the sync util there): "DB host=IP
#                                port=3306 user=neutron password=PASS"
#   cloud.sh hook-conf           neutron-ovn-db-sync-util's config for running it on a
#                                cluster node as ovn-nb's repair_hook (the Neutron DB over
#                                the wire as neutron@'%', NB and SB on the node's own unix
#                                sockets), written into WORKDIR/sync-util (the nodes see
#                                it); prints the repair_hook command line
#   cloud.sh down [--save-logs DIR]   stop everything the cloud started, by PID; remove
#                                its netns and its work dir (idempotent)
#
# Hosts (netns on the cluster's bridge, addresses the cluster does not use): ID-ctl
# 198.51.100.150 (MariaDB on :3306, Neutron API on :9696), ID-cmp1 198.51.100.160 (chassis
# compute1). VMs: netns ID-vm1, ID-vm2, each holding an OVS internal port of br-int, on
# network vm-net 10.250.0.0/24. No host has a route off the wire: nothing reaches outside.
#
# Environment: OVNOCF_CLUSTER (as cluster.sh), OVNOCF_CLOUD_DIR (work dir, default
# /var/tmp/ovn-ocf-cloud.$OVNOCF_CLUSTER: config files, data, logs, pids), CLOUD_SIZE
# small (default: 3 networks, 20 ports, 1 router) | medium (20, 200, 1) | large (100, 1000,
# 3), or CLOUD_NETWORKS/CLOUD_PORTS/CLOUD_ROUTERS, CLOUD_NEUTRON_DEBUG (True: neutron-server
# logs at debug level). Packages: ocf-tests/cloud-deps.sh.
#
# Config files are generated into the work dir and passed with --config-file (plus an
# empty --config-dir): nothing under /etc/neutron is written or read. Every daemon's pid
# is recorded ("pid starttime") and only those, and what still runs in the cloud's own
# netns, are ever signalled. `cluster.sh down` also ends the cloud's processes and netns
# (same ID- prefix), but only `cloud.sh down` removes the work dir.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ID=${OVNOCF_CLUSTER:-ovnocf}
CD=${OVNOCF_CLOUD_DIR:-/var/tmp/ovn-ocf-cloud.$ID}
PY=/usr/bin/python3
CP=$HERE/cloud.py
# shellcheck disable=SC2034 # read by harness.sh
SAY="cloud[$ID]"
# shellcheck source-path=SCRIPTDIR source=../lib/harness.sh
. "$HERE/../lib/harness.sh"   # say, die, timing, at_exit, SUBNET, VIP, NB_PORT, SB_PORT

BR=$ID-br
CTL=$ID-ctl
CMP=$ID-cmp1
CTL_IP=$SUBNET.150
CMP_IP=$SUBNET.160
CHASSIS=compute1
API=http://$CTL_IP:9696
PROJECT=0cf0c10d00000000000000000000c10d   # every resource's project_id
DB_PASS=ovnocf-neutron
VM_CIDR=10.250.0.0/24
HOST_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# ----------------------------------------------------------------------------- helpers

# The pid recorded under NAME if that very process still lives (harness.sh's live_pid).
live() { live_pid "$CD/pids/$1"; }
# NAME PID: record PID (with its start time) under NAME.
record() {
    local start
    start=$(proc_id "$2") || die "$1 (pid $2) is not running"
    echo "$2 $start" >"$CD/pids/$1"
}
# NAME PIDFILE SECS: waits for a daemon's own pidfile, records that pid.
record_pidfile() {
    local t0 pid
    t0=$(now)
    until [ -s "$2" ] && pid=$(tr -dc 0-9 <"$2") && [ -n "$pid" ] && proc_id "$pid" >/dev/null; do
        past "$t0" "$3" && die "$1 wrote no pidfile $2 within $3 s (log: $CD/log)"
        sleep 0.05
    done
    record "$1" "$pid"
}

# In a host's netns, with a clean environment (compute: its OVS/OVN run dirs).
ENV=(env -i PATH="$HOST_PATH" HOME=/root LC_ALL=C.UTF-8 OVS_RUNDIR="$CD/cmp1/run"
    OVS_LOGDIR="$CD/log" OVS_DBDIR="$CD/cmp1" OVN_RUNDIR="$CD/cmp1/run" OVN_LOGDIR="$CD/log")
in_ns() {
    local ns=$1
    shift
    ip netns exec "$ns" "${ENV[@]}" "$@"
}
ctl() { in_ns "$CTL" "$@"; }
cmp() { in_ns "$CMP" "$@"; }

# NAME NS CMD...: CMD in the background in NS (stdout/stderr to log/NAME.out); records
# its pid under NAME (a simple command: ip netns exec and env exec, so $! is CMD itself).
spawn() {
    local name=$1 ns=$2
    shift 2
    ip netns exec "$ns" "${ENV[@]}" "$@" </dev/null >>"$CD/log/$name.out" 2>&1 &
    record "$name" $!
}

# A host netns on the cluster's bridge: NS IP VETH.
host_net_up() {
    ip netns add "$1"
    ip -n "$1" link set lo up
    ip -n "$BR" link add "$3" type veth peer name eth0 netns "$1"
    ip -n "$BR" link set "$3" master br0 up
    ip -n "$1" addr add "$2/24" dev eth0
    ip -n "$1" link set eth0 up
}

napi() { ctl "$PY" "$CP" "$@"; }

size() {
    local n p r
    case ${CLOUD_SIZE:-small} in
    small) n=3 p=20 r=1 ;;
    medium) n=20 p=200 r=1 ;;
    large) n=100 p=1000 r=3 ;;
    *) die "CLOUD_SIZE: small, medium or large" ;;
    esac
    echo "${CLOUD_NETWORKS:-$n} ${CLOUD_PORTS:-$p} ${CLOUD_ROUTERS:-$r}"
}

# ----------------------------------------------------------------------------- configs

write_configs() {
    local c=$CD/etc
    mkdir -p "$c/conf.d"
    # The API pipeline Neutron ships (its noauth pipeline runs requests as admin).
    cp /usr/share/neutron-common/api-paste.ini "$c/api-paste.ini"
    # No policy file of ours: Neutron's defaults in code (and none from /etc/neutron).
    echo '{}' >"$c/policy.yaml"
    cat >"$c/neutron.conf" <<EOF
# Generated by cloud.sh: Neutron of the namespace cluster's cloud.
[DEFAULT]
host = controller
bind_host = $CTL_IP
bind_port = 9696
core_plugin = ml2
service_plugins = ovn-router,qos
auth_strategy = noauth
api_paste_config = $c/api-paste.ini
state_path = $CD/ctl/state
transport_url = fake:/
api_workers = 1
rpc_workers = 0
rpc_state_report_workers = 0
notify_nova_on_port_status_changes = False
notify_nova_on_port_data_changes = False
dhcp_agent_notification = False
allow_overlapping_ips = True
use_stderr = False
debug = ${CLOUD_NEUTRON_DEBUG:-False}

[database]
connection = mysql+pymysql://neutron:$DB_PASS@$CTL_IP/neutron

[oslo_concurrency]
lock_path = $CD/ctl/state/lock

[oslo_policy]
policy_file = $c/policy.yaml
policy_dirs = $c/conf.d

[quotas]
quota_network = -1
quota_subnet = -1
quota_port = -1
quota_router = -1
quota_floatingip = -1
quota_security_group = -1
quota_security_group_rule = -1
EOF
    cat >"$c/ml2_conf.ini" <<EOF
# Generated by cloud.sh: ML2/OVN reaching NB and SB through the cluster's VIP.
[ml2]
mechanism_drivers = ovn
type_drivers = local,flat,vlan,geneve
tenant_network_types = geneve
extension_drivers = port_security,qos
overlay_ip_version = 4

[ml2_type_geneve]
vni_ranges = 1:65536
max_header_size = 38

[ovn]
ovn_nb_connection = tcp:$VIP:$NB_PORT
ovn_sb_connection = tcp:$VIP:$SB_PORT
ovn_metadata_enabled = False
EOF
}
# Every Neutron command's config: the generated files only (an empty --config-dir keeps
# oslo.config from looking in /etc/neutron/*.conf.d).
NEUTRON_CONF=()
neutron_conf() {
    NEUTRON_CONF=(--config-file "$CD/etc/neutron.conf" --config-file "$CD/etc/ml2_conf.ini"
        --config-dir "$CD/etc/conf.d")
}

# --------------------------------------------------------------------------------- up

up_failed() {
    if [ "$RC" != 0 ]; then
        say "up failed (exit $RC): tearing the cloud down (logs kept in $CD.failed)"
        cmd_down --save-logs "$CD.failed" || true
    fi
}

# ovsdb-client list-dbs through the VIP from NS, until it answers (SECS).
wait_vip_db() {
    local ns=$1 port=$2 secs=$3 t0
    t0=$(now)
    until in_ns "$ns" timeout 2 ovsdb-client list-dbs "tcp:$VIP:$port" >/dev/null 2>&1; do
        past "$t0" "$secs" && die "no OVSDB on tcp:$VIP:$port from $ns after $secs s (is the cluster's shape Started?)"
        sleep 0.3
    done
}

# The controller host up to the Neutron DB (neutron-server comes after the compute host).
start_controller() {
    local t0 t1 db=$CD/ctl/mysql sock=$CD/ctl/mysqld.sock
    t0=$(now)
    mkdir -p "$CD/ctl/state/lock" "$db"
    host_net_up "$CTL" "$CTL_IP" vctl
    wait_vip_db "$CTL" "$NB_PORT" 60
    wait_vip_db "$CTL" "$SB_PORT" 60

    # MariaDB by hand: no my.cnf, TCP on the controller's address (a cluster node that
    # runs the sync util reaches the Neutron DB there).
    mysql_install_db --no-defaults --datadir="$db" --user=root \
        --auth-root-authentication-method=socket --skip-test-db >"$CD/log/mysql_install_db.out" 2>&1 ||
        die "mysql_install_db failed: $(tail -3 "$CD/log/mysql_install_db.out")"
    spawn mariadbd "$CTL" mariadbd --no-defaults --datadir="$db" --socket="$sock" \
        --pid-file="$CD/ctl/mariadbd.pid" --user=root --innodb-buffer-pool-size=64M \
        --bind-address="$CTL_IP" --port=3306 --skip-name-resolve --tmpdir="$CD/ctl" \
        --log-error="$CD/log/mariadbd.log"
    t1=$(now)
    until ctl mariadb --no-defaults --socket="$sock" -u root -e 'SELECT 1' >/dev/null 2>&1; do
        live mariadbd >/dev/null || die "mariadbd exited: $(tail -3 "$CD/log/mariadbd.log")"
        past "$t1" 30 && die "mariadbd not answering after 30 s"
        sleep 0.1
    done
    ctl mariadb --no-defaults --socket="$sock" -u root -e "CREATE DATABASE neutron;
        CREATE USER 'neutron'@'%' IDENTIFIED BY '$DB_PASS';
        GRANT ALL PRIVILEGES ON neutron.* TO 'neutron'@'%';" || die "cannot create the neutron DB"
    say "MariaDB up (pid $(live mariadbd)) after $(since "$t0") s"

    t1=$(now)
    neutron_conf
    ctl neutron-db-manage "${NEUTRON_CONF[@]}" upgrade heads >"$CD/log/neutron-db-manage.out" 2>&1 ||
        die "neutron-db-manage failed: $(tail -5 "$CD/log/neutron-db-manage.out")"
    say "neutron-db-manage upgrade heads: $(since "$t1") s"

}

# After the compute host: Neutron counts a chassis alive once it answered a liveness
# ping (NB_Global.nb_cfg), and pings at most every agent_down_time/2 (37 s); started
# after the chassis exists, its first ping is answered at once.
start_neutron() {
    local t1
    t1=$(now)
    neutron_conf
    spawn neutron-server "$CTL" neutron-server "${NEUTRON_CONF[@]}" \
        --log-file "$CD/log/neutron-server.log"
    napi wait-api "$API" 90 >/dev/null || die "neutron-server: no API (log: $CD/log/neutron-server.log)"
    live neutron-server >/dev/null || die "neutron-server exited"
    say "neutron-server up (pid $(live neutron-server)), API at $API after $(since "$t1") s"
    # Neutron binds ports only to a chassis whose agent it sees alive (through the SB).
    t1=$(napi agent-alive "$API" "$CHASSIS" 60) || die "Neutron does not see chassis $CHASSIS alive"
    say "chassis $CHASSIS: OVN Controller agent alive in Neutron after $t1 s more"
}

start_compute() {
    local t0 t1 d=$CD/cmp1
    t0=$(now)
    mkdir -p "$d/run"
    host_net_up "$CMP" "$CMP_IP" vcmp1
    ovsdb-tool create "$d/conf.db" /usr/share/openvswitch/vswitch.ovsschema
    cmp ovsdb-server "$d/conf.db" --remote="punix:$d/run/db.sock" --pidfile --log-file \
        --detach --no-chdir 2>>"$CD/log/ovsdb-server.out"
    record_pidfile ovsdb-server "$d/run/ovsdb-server.pid" 10
    cmp ovs-vsctl --no-wait init
    cmp ovs-vswitchd --pidfile --log-file --detach --no-chdir 2>>"$CD/log/ovs-vswitchd.out"
    record_pidfile ovs-vswitchd "$d/run/ovs-vswitchd.pid" 10
    cmp ovs-vsctl set open . external_ids:system-id="$CHASSIS" external_ids:hostname="$CHASSIS" \
        external_ids:ovn-remote="tcp:$VIP:$SB_PORT" external_ids:ovn-encap-type=geneve \
        external_ids:ovn-encap-ip="$CMP_IP" external_ids:ovn-bridge-datapath-type=netdev
    # Not detached: the wrapper keeps ovn-controller's exit status (139: SIGSEGV; a crash
    # writes nothing to its log).
    rm -f "$d/ovn-controller.exit"
    # shellcheck disable=SC2016 # expanded by the wrapper
    spawn ovn-controller-wrap "$CMP" bash -c 'ovn-controller --pidfile --log-file --no-chdir; echo $? >"$1"' \
        _ "$d/ovn-controller.exit"
    record_pidfile ovn-controller "$d/run/ovn-controller.pid" 10
    t1=$(now)
    until [ -n "$(cmp ovn-sbctl --db="tcp:$VIP:$SB_PORT" --timeout=3 --bare --columns=name \
        find Chassis name="$CHASSIS" 2>/dev/null)" ] && cmp ovs-vsctl br-exists br-int; do
        live ovn-controller >/dev/null || die "ovn-controller exited ($(cat "$d/ovn-controller.exit" 2>/dev/null))"
        past "$t1" 30 && die "chassis $CHASSIS not in the SB / no br-int after 30 s"
        sleep 0.2
    done
    say "compute up: chassis $CHASSIS in the SB, br-int (netdev) after $(since "$t0") s; ovn-controller pid $(live ovn-controller)"
}

cmd_up() {
    local t0 c
    [ "$(id -u)" = 0 ] || die "must run as root"
    for c in neutron-server neutron-db-manage mysql_install_db mariadbd mariadb ovs-vswitchd \
        ovsdb-server ovn-controller ovn-sbctl; do
        PATH=$HOST_PATH command -v "$c" >/dev/null || die "$c is not installed (ocf-tests/cloud-deps.sh)"
    done
    ip netns list | grep -q "^$BR\b" || die "no cluster bridge netns $BR: run cluster.sh up (and shape) first"
    [ ! -e "$CD" ] || die "$CD exists: a cloud is up or was not torn down; run: $0 down"
    if ip netns list | grep -qE "^($CTL|$CMP|$ID-vm[0-9]+)\b"; then die "cloud netns exist; run: $0 down"; fi
    at_exit up_failed
    t0=$(now)
    rm -rf --one-file-system "$CD.failed"   # the logs of an earlier failed up
    mkdir -p "$CD/pids" "$CD/log" "$CD/windows"
    chmod 0700 "$CD"
    write_configs
    start_controller
    start_compute
    start_neutron
    trap - EXIT INT TERM
    say "UP $(since "$t0") s: controller $CTL ($CTL_IP), compute $CMP ($CMP_IP), work dir $CD"
}

# --------------------------------------------------------------------------- populate

cmd_populate() {
    local n p r k out
    [ -d "$CD" ] || die "no cloud (run: $0 up)"
    read -r n p r <<<"$(size)"
    k=$(($(cat "$CD/populated" 2>/dev/null || echo 0) + 1))
    say "populating (batch pop$k): $n networks, $p ports, $r routers through $API"
    out=$(napi populate "$API" "$PROJECT" "pop$k" "$n" "$p" "$r") || die "populate failed"
    echo "$k" >"$CD/populated"
    echo "$out"
    napi counts "$API"
}

# -------------------------------------------------------------------------------- vms

# IFACE PORT_ID MAC: an OVS internal port IFACE on br-int of the compute host, bound to
# the Neutron port PORT_ID (iface-id, as Nova's os-vif sets it); returns once its device
# exists (10 s).
plug() {
    local t1
    cmp ovs-vsctl add-port br-int "$1" -- set Interface "$1" type=internal \
        external_ids:iface-id="$2" external_ids:attached-mac="$3" \
        external_ids:iface-status=active external_ids:vm-id="vm-$1"
    t1=$(now)
    until ip -n "$CMP" link show "$1" >/dev/null 2>&1; do
        past "$t1" 10 && die "ovs-vswitchd made no device $1"
        sleep 0.05
    done
}

cmd_vms() {
    local t0 t1 net sub sg i port mac ip plen gw ns dst
    [ -d "$CD" ] || die "no cloud (run: $0 up)"
    [ ! -s "$CD/vms" ] || die "VMs exist already ($CD/vms)"
    t0=$(now)
    read -r net sub sg <<<"$(napi vm-net "$API" "$PROJECT" vm-net "$VM_CIDR")"
    [ -n "$sg" ] || die "vm-net not created"
    for i in 1 2; do
        read -r port mac ip plen gw <<<"$(napi vm-port "$API" "$PROJECT" "vm$i" "$net" "$sub" "$sg" "$CHASSIS")"
        [ -n "$gw" ] || die "port vm$i not created"
        ns=$ID-vm$i
        ip netns add "$ns"
        ip -n "$ns" link set lo up
        # An OVS internal port on br-int, bound to the Neutron port, moved into the VM.
        plug "vm$i" "$port" "$mac"
        ip -n "$CMP" link set "vm$i" netns "$ns"
        ip -n "$ns" link set "vm$i" address "$mac"
        ip -n "$ns" addr add "$ip/$plen" dev "vm$i"
        ip -n "$ns" link set "vm$i" up
        ip -n "$ns" route add default via "$gw"
        echo "vm$i $port $mac $ip" >>"$CD/vms"
    done
    for i in 1 2; do
        read -r _ port _ ip < <(grep "^vm$i " "$CD/vms")
        t1=$(napi port-status "$API" "$port" ACTIVE 60) || die "port vm$i ($port) not ACTIVE"
        say "vm$i: port $port $ip ACTIVE in Neutron after $t1 s more"
    done
    dst=$(awk '$1 == "vm2" { print $4 }' "$CD/vms")
    t1=$(now)
    until in_ns "$ID-vm1" ping -c 1 -W 1 "$dst" >/dev/null 2>&1; do
        past "$t1" 30 && die "vm1 cannot ping vm2 ($dst) after 30 s"
        sleep 0.2
    done
    say "vm1 → vm2 ($dst) answers after $(since "$t1") s more"

    spawn pinger "$ID-vm1" "$PY" "$CP" ping "$CD/log/pings.log" "$CD/pinger.pid" "$dst" --interval 0.2
    spawn flows "$CMP" "$PY" "$CP" flows "$CD/log/flows.log" "$CD/flows.pid" br-int --interval 0.5
    t1=$(now)
    until [ -s "$CD/log/flows.log" ] && [ -s "$CD/log/pings.log" ]; do
        past "$t1" 5 && die "pinger/flow sampler wrote nothing"
        sleep 0.05
    done
    window_open all "$(flow_count)"
    say "VMS $(since "$t0") s: vm1, vm2 on br-int of $CHASSIS; pinging every 0.2 s, flows sampled every 0.5 s; $(flow_count) flows"
}

cmd_port() {
    local name=${1:-} bind=0 timeout=60 net sub sg t0 id mac host=""
    [ -n "$name" ] || die "usage: port NAME [--bind] [--timeout S]"
    shift
    while [ $# -gt 0 ]; do
        case $1 in
        --bind) bind=1 host=$CHASSIS; shift ;;
        --timeout) timeout=$2; shift 2 ;;
        *) die "usage: port NAME [--bind] [--timeout S]" ;;
        esac
    done
    read -r net sub sg <<<"$(napi vm-net "$API" "$PROJECT" vm-net "$VM_CIDR")"
    [ -n "$sg" ] || die "no vm-net"
    t0=$(now)
    read -r id mac _ <<<"$(napi vm-port "$API" "$PROJECT" "$name" "$net" "$sub" "$sg" "$host" \
        --timeout "$timeout")" || die "port $name not created"
    [ -n "$id" ] || die "port $name not created"
    echo "PORT name=$name id=$id secs=$(since "$t0")"
    [ $bind = 1 ] || return 0
    plug "$name" "$id" "$mac"
    cmp ip link set "$name" up
    t0=$(now)
    napi port-status "$API" "$id" ACTIVE 60 >/dev/null || die "port $name ($id) not ACTIVE"
    echo "BOUND name=$name id=$id chassis=$CHASSIS secs=$(since "$t0")"
}

# ----------------------------------------------------------------------------- report

# The last flow count sampled (-1: none yet or could not ask).
flow_count() { tail -n 1 "$CD/log/flows.log" 2>/dev/null | awk '{ print $2 }'; }

window_open() {
    echo "$(now) $2" >"$CD/windows/$1"
}

cmd_sample-start() {
    local name=${1:-w} before
    [ -s "$CD/log/flows.log" ] || die "no sampling (run: $0 vms)"
    before=$(flow_count)
    window_open "$name" "$before"
    say "window $name opened; flows before: $before"
}

cmd_sample-stop() {
    local name=${1:-w} t0 before t1
    [ -f "$CD/windows/$name" ] || die "no window $name (run: $0 sample-start $name)"
    read -r t0 before t1 <"$CD/windows/$name"
    [ -z "${t1:-}" ] || die "window $name is closed already"
    echo "$t0 $before $(now)" >"$CD/windows/$name"
    # Pings sent just before the end get their second to answer.
    sleep 1
    cmd_report "$name"
}

cmd_report() {
    local name=${1:-all} t0 before t1 sb=-
    [ -f "$CD/windows/$name" ] || die "no window $name"
    read -r t0 before t1 <"$CD/windows/$name"
    if live ovn-controller >/dev/null; then
        sb=$(cmp timeout 3 ovn-appctl -t ovn-controller connection-status 2>/dev/null | tr -dc 'a-z-') || sb=-
    fi
    "$PY" "$CP" report "$name" "$t0" "${t1:--}" "$before" "$CD/log/pings.log" \
        "$CD/log/flows.log" "$(live ovn-controller || echo -)" "$CD/cmp1/ovn-controller.exit" "${sb:--}"
}

cmd_status() {
    local name
    [ -d "$CD" ] || { say "no cloud ($CD does not exist)"; return 0; }
    echo "work dir: $CD"
    echo "netns:    $(ip netns list | awk -v a="$CTL" -v b="$CMP" -v p="$ID-vm" '$1 == a || $1 == b || index($1, p) == 1 { print $1 }' | tr '\n' ' ')"
    for name in "$CD"/pids/*; do
        [ -e "$name" ] || continue
        name=${name##*/}
        echo "$name: $(live "$name" || echo dead)"
    done
    [ ! -s "$CD/vms" ] || sed 's/^/VM /' "$CD/vms"
    [ ! -f "$CD/windows/all" ] || cmd_report all
}

cmd_demo() {
    if [ ! -f "$CD/windows/all" ]; then
        [ ! -e "$CD" ] || cmd_down
        "$0" up
        "$0" populate
        "$0" vms
        sleep 2   # a few samples for the first report
    fi
    cmd_report all
    cat <<EOF
the cloud:         $0 status
pings and flows:   $0 report     (since the VMs started; sample-start/-stop NAME: a window)
a VM:              $0 exec vm1 ping $(awk '$1 == "vm2" { print $4 }' "$CD/vms")
the data path:     $0 exec cmp1 ovs-ofctl dump-flows br-int
Neutron:           $0 api GET ports
tear down:         $0 down   (before cluster.sh down)
EOF
}

cmd_exec() {
    [ $# -ge 2 ] || die "usage: exec ctl|cmp1|vm1|vm2 CMD..."
    local host=$1
    shift
    case $host in ctl | cmp1 | vm[0-9]*) ;; *) die "no host $host" ;; esac
    in_ns "$ID-$host" "$@"
}

cmd_api() {
    [ $# -ge 2 ] || die "usage: api METHOD PATH [JSON]"
    # shellcheck disable=SC2016 # a python program
    ctl "$PY" -c 'import json, sys; sys.path.insert(0, sys.argv[1]); import cloud
print(json.dumps(cloud.Api(sys.argv[2]).call(sys.argv[3], sys.argv[4],
      json.loads(sys.argv[5]) if len(sys.argv) > 5 else None), indent=1))' "$HERE" "$API" "$@"
}

cmd_db() { echo "DB host=$CTL_IP port=3306 user=neutron password=$DB_PASS"; }

cmd_log() {
    [ $# = 1 ] || die "usage: log NAME"
    cat "$CD/log/$1.log"
}

# The sync util as a cluster node runs it for ovn-nb's repair_hook: files of its own (a
# node has none of neutron-server's), the Neutron DB at the controller's address (the
# grant is for neutron@'%'), NB and SB on the node's local sockets (each node has its own
# /run), its output on stderr (the agent logs it). The ML2 settings are neutron-server's:
# the sync util loads the qos extension whatever service_plugins says.
cmd_hook-conf() {
    local d=$CD/sync-util
    [ -d "$CD" ] || die "no cloud (run: $0 up)"
    mkdir -p "$d/conf.d" "$d/state/lock"
    cat >"$d/neutron.conf" <<EOF
# Generated by cloud.sh hook-conf: neutron-ovn-db-sync-util as ovn-nb's repair_hook.
[DEFAULT]
core_plugin = ml2
service_plugins = ovn-router,qos
state_path = $d/state
use_stderr = True
debug = False

[database]
connection = mysql+pymysql://neutron:$DB_PASS@$CTL_IP/neutron

[oslo_concurrency]
lock_path = $d/state/lock
EOF
    sed -e "1s|.*|# Generated by cloud.sh hook-conf: neutron-server's ML2/OVN, NB and SB on local sockets.|" \
        -e '/^ovn_nb_connection/s|=.*|= unix:/var/run/ovn/ovnnb_db.sock|' \
        -e '/^ovn_sb_connection/s|=.*|= unix:/var/run/ovn/ovnsb_db.sock|' \
        "$CD/etc/ml2_conf.ini" >"$d/ml2_conf.ini"
    grep -q '^ovn_sb_connection = unix:' "$d/ml2_conf.ini" || die "no [ovn] connections in $CD/etc/ml2_conf.ini"
    echo "/usr/bin/neutron-ovn-db-sync-util --config-file $d/neutron.conf --config-file $d/ml2_conf.ini --config-dir $d/conf.d --ovn-neutron_sync_mode=repair"
}

# ------------------------------------------------------------------------------- down

# NAME SIG SECS: signal NAME's recorded process, wait for it to go (then KILL).
stop() {
    local pid t0
    pid=$(live "$1") || return 0
    kill "-$2" "$pid" 2>/dev/null || true
    t0=$(now)
    while live "$1" >/dev/null; do
        if past "$t0" "$3"; then
            say "$1 pid $pid still there after $3 s: KILL"
            kill -KILL "$pid" 2>/dev/null || true
            break
        fi
        sleep 0.05
    done
}

cmd_down() {
    local save="" ns pid rc=0
    while [ $# -gt 0 ]; do
        case $1 in
        --save-logs) save=$2; shift 2 ;;
        *) die "usage: down [--save-logs DIR]" ;;
        esac
    done
    if [ -n "$save" ] && [ -d "$CD" ]; then
        mkdir -p "$save"
        cp -r "$CD/log" "$CD/etc" "$CD/windows" "$save/" 2>/dev/null || true
        cp "$CD/vms" "$CD/cmp1/ovn-controller.exit" "$save/" 2>/dev/null || true
        say "cloud logs saved to $save"
    fi
    if [ -d "$CD/pids" ]; then
        stop pinger TERM 2
        stop flows TERM 2
        stop ovn-controller TERM 5
        stop ovn-controller-wrap TERM 2
        stop ovs-vswitchd TERM 5
        stop ovsdb-server TERM 5
        # Its workers go with it.
        stop neutron-server TERM 10
        stop mariadbd TERM 20
    fi
    # Anything else still in the cloud's netns was started here (neutron-server workers
    # that outlived it, a ping of `vms`).
    for ns in $(ip netns list 2>/dev/null | awk -v a="$CTL" -v b="$CMP" -v p="$ID-vm" \
        '$1 == a || $1 == b || index($1, p) == 1 { print $1 }'); do
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
        ip netns del "$ns" 2>/dev/null || { say "cannot delete netns $ns"; rc=1; }
    done
    # `ip netns add` made /run/netns a mount point: remove it again once nobody uses it.
    if [ -d /run/netns ] && [ -z "$(ls -A /run/netns)" ]; then
        umount /run/netns 2>/dev/null || true
        rmdir /run/netns 2>/dev/null || true
    fi
    [ ! -d "$CD" ] || rm -rf --one-file-system "$CD"
    if [ $rc = 0 ]; then say "down: cloud gone"; else say "down: incomplete (see above)"; fi
    return $rc
}

# ------------------------------------------------------------------------------- main

[ $# -ge 1 ] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
cmd=$1
shift
case $cmd in
up | down | populate | vms | port | sample-start | sample-stop | report | status | exec | api | db | log | hook-conf | demo)
    "cmd_$cmd" "$@" ;;
*) die "unknown command $cmd (run without arguments for help)" ;;
esac

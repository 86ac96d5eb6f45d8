#!/usr/bin/python3
"""The small real cloud's helpers (cloud.sh): Neutron API calls, a pinger, a flow sampler
and the report. Stdlib only.

Neutron (auth_strategy = noauth: no token; the request runs as admin, every body names
its project_id):

    cloud.py wait-api URL SECS
        Until GET URL/v2.0/networks answers 200; prints the seconds it took.
    cloud.py populate URL PROJECT PREFIX NETWORKS PORTS ROUTERS [--parallel N]
        Creates, through the API: a security group PREFIX-web (ssh, http, icmp in), NETWORKS
        networks PREFIX-net-K with one IPv4 subnet each, ROUTERS routers with the subnets
        shared out among them as interfaces, PORTS ports spread over the networks (each in
        the default and the web group; created in bulk, 25 per POST, N POSTs at a time; a
        POST Neutron fails with a 5xx or a 409 is made again, 3 times at most, with only
        the ports the API does not list yet). Prints one line
        "POPULATE networks=.. subnets=.. routers=.. router_interfaces=.. security_groups=..
        security_group_rules=.. ports=.. retried=.. secs=.. ports_secs=.." (secs: the whole
        populate, ports_secs: the ports' part; retried: POSTs made again).
    cloud.py vm-net URL PROJECT NAME CIDR
        A network NAME with subnet CIDR and a security group NAME-sg letting ICMP in (get or
        create: the same names are reused); prints "<net id> <subnet id> <sg id>".
    cloud.py vm-port URL PROJECT NAME NET_ID SUBNET_ID SG_ID HOST [--timeout S]
        A port NAME for a VM on compute HOST (binding:host_id unless HOST is "",
        device_owner compute:nova), each API call answering within S seconds (60);
        prints "<port id> <mac> <ip> <prefix length> <gateway>".
    cloud.py port-status URL PORT_ID WANT SECS
        Until the port's status is WANT (e.g. ACTIVE: Neutron saw ovn-controller bind it,
        through the SB); prints the seconds it took. Exit 1 after SECS.
    cloud.py agent-alive URL HOST SECS
        Until Neutron lists an alive OVN Controller agent on HOST (listing the agents makes
        Neutron ping every chassis through NB_Global.nb_cfg); prints the seconds it took.
    cloud.py counts URL
        "COUNTS networks=.. subnets=.. ports=.. routers=.. security_groups=.." as the API
        lists them.

Data path (long-running, each writes its pid to PIDFILE and a line-buffered LOG; SIGTERM
ends them):

    cloud.py ping LOG PIDFILE DST [--interval 0.2]
        ICMP echo requests to DST (raw socket, run inside a VM netns) every INTERVAL
        seconds on a fixed schedule; logs "S <seq> <epoch sent>" and "R <seq> <epoch
        received>".
    cloud.py flows LOG PIDFILE BRIDGE [--interval 0.5]
        `ovs-ofctl dump-aggregate BRIDGE` every INTERVAL seconds (OVS_RUNDIR from the
        environment); logs "<epoch> <flow count>" or "<epoch> -1" when it could not ask.

    cloud.py report NAME T0 T1 BEFORE PINGLOG FLOWLOG CTL_PID CTL_EXITFILE [SB]
        Machine-readable lines for the window [T0, T1] (epochs; T1 "-" = now), one per
        subject, key=value separated by spaces:
          CLOUD_PINGS window=NAME secs=.. sent=.. lost=.. pending=.. longest_gap=.. lost_at=..
          CLOUD_FLOWS window=NAME before=.. min=.. max=.. last=.. samples=.. failed=..
                      below_before_secs=..
          CLOUD_CONTROLLER window=NAME pid=.. alive=0|1 exit=..|- sb=SB
        sent: echo requests sent in the window; lost: those without a reply within
        REPLY_WAIT (1 s); pending: sent less than that before now, not answered yet;
        longest_gap: the longest time between two replies in the window (the last reply
        before T0 and now count as ends); lost_at: when the first 5 lost ones were sent
        (UTC HH:MM:SS.mmm, comma-separated; "-": none). before: the flow count before the window (BEFORE,
        or the last sample before T0 when BEFORE is "-"); below_before_secs: how long the
        samples in the window stayed below it. failed: samples that could not ask. SB:
        ovn-controller's connection to the SB as the caller saw it at the report (connected,
        not-connected, ...; "-": not asked).
"""

import concurrent.futures
import http.client
import json
import os
import select
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.parse

REPLY_WAIT = 1.0
BULK = 25  # ports per POST in populate
RETRIES = 3  # of a bulk POST that failed with a 5xx, in populate


def die(msg):
    print(f"cloud.py: {msg}", file=sys.stderr)
    sys.exit(1)


# ---------------------------------------------------------------------------- Neutron


class ApiError(RuntimeError):
    """An answer with an HTTP status the caller did not expect."""

    def __init__(self, status, msg):
        super().__init__(msg)
        self.status = status


class Api:
    """A Neutron API client: one HTTP connection per thread, JSON in and out."""

    def __init__(self, url, timeout=60):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 9696
        self.timeout = timeout

    def call(self, method, path, body=None, ok=(200, 201, 204)):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Content-Type": "application/json", "Accept": "application/json"}
            conn.request(method, "/v2.0/" + path, body=data, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode()
        finally:
            conn.close()
        if resp.status not in ok:
            raise ApiError(resp.status, f"{method} /v2.0/{path}: {resp.status} {text[:300]}")
        return json.loads(text) if text else {}

    def create(self, kind, **attrs):
        return self.call("POST", kind + "s", {kind: attrs})[kind]

    def list(self, kinds, **query):
        q = urllib.parse.urlencode(query)
        return self.call("GET", kinds + ("?" + q if q else ""))[kinds.replace("-", "_")]


def cmd_wait_api(url, secs):
    api, t0 = Api(url, timeout=2), time.time()
    while True:
        try:
            api.list("networks")
            print(f"{time.time() - t0:.2f}")
            return
        except (OSError, RuntimeError, http.client.HTTPException, ValueError) as e:
            if time.time() - t0 > float(secs):
                die(f"Neutron API at {url} not answering after {secs} s: {e}")
            time.sleep(0.3)


def cidr_of(k):
    """Network K's subnet (K from 1): 10.A.B.0/24, never 10.250.x (the VMs')."""
    return f"10.{1 + (k - 1) // 250}.{(k - 1) % 250}.0/24"


def cmd_populate(url, project, prefix, networks, ports, routers, parallel=4):
    api, t0 = Api(url, timeout=600), time.time()
    networks, ports, routers = int(networks), int(ports), int(routers)
    n = dict(networks=0, subnets=0, routers=0, router_interfaces=0, security_groups=0,
             security_group_rules=0, ports=0, retried=0)
    # The project's default group comes into being with the project's first resource.
    sg = api.create("security_group", name=f"{prefix}-web", project_id=project,
                    description="populate: ssh, http, icmp in")
    n["security_groups"] += 1
    for proto, lo, hi in (("tcp", 22, 22), ("tcp", 80, 80), ("icmp", None, None)):
        rule = dict(security_group_id=sg["id"], direction="ingress", ethertype="IPv4",
                    protocol=proto, remote_ip_prefix="0.0.0.0/0", project_id=project)
        if lo is not None:
            rule.update(port_range_min=lo, port_range_max=hi)
        api.create("security_group_rule", **rule)
        n["security_group_rules"] += 1
    default = api.list("security-groups", name="default", project_id=project)
    groups = [sg["id"]] + [g["id"] for g in default[:1]]

    def network(k):
        net = api.create("network", name=f"{prefix}-net-{k}", project_id=project,
                         admin_state_up=True)
        sub = api.create("subnet", name=f"{prefix}-subnet-{k}", network_id=net["id"],
                         ip_version=4, cidr=cidr_of(k), project_id=project, enable_dhcp=True)
        return net, sub

    with concurrent.futures.ThreadPoolExecutor(int(parallel)) as pool:
        nets = list(pool.map(network, range(1, networks + 1)))
        n["networks"] = n["subnets"] = len(nets)
        rts = [api.create("router", name=f"{prefix}-router-{r}", project_id=project,
                          admin_state_up=True) for r in range(1, routers + 1)]
        n["routers"] = len(rts)
        for i, (_, sub) in enumerate(nets):
            if rts:
                api.call("PUT", f"routers/{rts[i % len(rts)]['id']}/add_router_interface",
                         {"subnet_id": sub["id"]})
                n["router_interfaces"] += 1

        # Bulk creation, one POST per BULK ports (fewer requests; Neutron's own work per
        # port, mostly CPU, stays the same: ~1 s a port on a busy 2-CPU machine).
        # A bulk POST Neutron fails with a 5xx is made again (RETRIES times at most): under
        # load neutron-server's OVN driver can fail a port's postcommit (seen: "attempting
        # to write bad value to column ports" with 1000 ports, 4 POSTs at a time), and ML2
        # then deletes the whole batch.
        # A retry sends only the ports the API does not list yet: a failed POST can
        # leave some of its ports behind (seen: the retry of a whole batch then failed
        # 409, "Failed to create a duplicate IPAllocation").
        def port_bulk(first):
            body = [dict(name=f"{prefix}-port-{i + 1}", network_id=nets[i % len(nets)][0]["id"],
                         project_id=project, security_groups=groups, admin_state_up=True)
                    for i in range(first, min(first + BULK, ports))]
            want = len(body)
            for attempt in range(RETRIES + 1):
                try:
                    api.call("POST", "ports", {"ports": body})
                    return want
                except ApiError as e:
                    if attempt == RETRIES or (e.status < 500 and e.status != 409):
                        raise
                    n["retried"] += 1
                    print(f"cloud.py: populate: {e}; again", file=sys.stderr)
                    time.sleep(1)
                    have = {p["name"] for p in api.list("ports", project_id=project,
                                                          fields="name")}
                    body = [b for b in body if b["name"] not in have]
                    if not body:
                        return want

        t_ports = time.time()
        n["ports"] = sum(pool.map(port_bulk, range(0, ports, BULK))) if nets else 0
    line = " ".join(f"{k}={v}" for k, v in n.items())
    print(f"POPULATE {line} secs={time.time() - t0:.2f} ports_secs={time.time() - t_ports:.2f}")


def get_or_create(api, kind, plural, name, **attrs):
    found = api.list(plural, name=name, project_id=attrs["project_id"])
    return found[0] if found else api.create(kind, name=name, **attrs)


def cmd_vm_net(url, project, name, cidr):
    api = Api(url)
    net = get_or_create(api, "network", "networks", name, project_id=project,
                        admin_state_up=True)
    sub = get_or_create(api, "subnet", "subnets", f"{name}-subnet", project_id=project,
                        network_id=net["id"], ip_version=4, cidr=cidr, enable_dhcp=True)
    found = api.list("security-groups", name=f"{name}-sg", project_id=project)
    if found:
        sg = found[0]
    else:
        sg = api.create("security_group", name=f"{name}-sg", project_id=project,
                        description="the VMs: icmp in")
        api.create("security_group_rule", security_group_id=sg["id"], direction="ingress",
                   ethertype="IPv4", protocol="icmp", remote_ip_prefix="0.0.0.0/0",
                   project_id=project)
    print(net["id"], sub["id"], sg["id"])


def cmd_vm_port(url, project, name, net_id, subnet_id, sg_id, host, timeout="60"):
    api = Api(url, timeout=float(timeout))
    sub = api.call("GET", f"subnets/{subnet_id}")["subnet"]
    port = api.create("port", name=name, network_id=net_id, project_id=project,
                      security_groups=[sg_id], admin_state_up=True,
                      device_owner="compute:nova", device_id=f"vm-{name}",
                      fixed_ips=[{"subnet_id": subnet_id}],
                      **({"binding:host_id": host} if host else {}))
    ip = port["fixed_ips"][0]["ip_address"]
    print(port["id"], port["mac_address"], ip, sub["cidr"].split("/")[1], sub["gateway_ip"])


def cmd_port_status(url, port_id, want, secs):
    api, t0 = Api(url, timeout=5), time.time()
    status = "?"
    while time.time() - t0 <= float(secs):
        try:
            status = api.call("GET", f"ports/{port_id}")["port"]["status"]
        except (OSError, RuntimeError, http.client.HTTPException) as e:
            status = f"error {e}"
        if status == want:
            print(f"{time.time() - t0:.2f}")
            return
        time.sleep(0.3)
    die(f"port {port_id} is {status}, not {want}, after {secs} s")


def cmd_agent_alive(url, host, secs):
    """Until Neutron lists an alive "OVN Controller agent" on HOST. Listing the agents is
    also what makes Neutron bump NB_Global.nb_cfg, the liveness ping ovn-controller answers
    through the SB (a chassis that never answered one counts as dead: ports do not bind)."""
    api, t0 = Api(url, timeout=5), time.time()
    agents = []
    while time.time() - t0 <= float(secs):
        try:
            agents = api.list("agents", host=host)
        except (OSError, RuntimeError, http.client.HTTPException) as e:
            agents = [str(e)]
        if any(isinstance(a, dict) and a.get("alive") and "Controller" in a.get("agent_type", "")
               for a in agents):
            print(f"{time.time() - t0:.2f}")
            return
        time.sleep(0.5)
    die(f"no alive OVN Controller agent on {host} after {secs} s: {json.dumps(agents)[:600]}")


def cmd_counts(url):
    api = Api(url)
    out = []
    for kind in ("networks", "subnets", "ports", "routers", "security-groups"):
        out.append(f"{kind.replace('-', '_')}={len(api.list(kind, fields='id'))}")
    print("COUNTS " + " ".join(out))


# ------------------------------------------------------------------------- data path


def daemon_setup(log, pidfile):
    out = open(log, "a", buffering=1)
    with open(pidfile + ".tmp", "w") as f:
        f.write(f"{os.getpid()}\n")
    os.rename(pidfile + ".tmp", pidfile)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    return out, stop


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f"!{len(data) // 2}H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def cmd_ping(log, pidfile, dst, interval="0.2"):
    interval = float(interval)
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    out, stop = daemon_setup(log, pidfile)
    ident = os.getpid() & 0xFFFF
    payload = b"ovn-ocf cloud ping".ljust(48, b".")
    seq, t_start = 0, time.time()
    latest = {}  # 16-bit seq -> full seq of the latest request sent with it
    while not stop:
        now = time.time()
        due = t_start + seq * interval
        if now >= due:
            seq += 1
            s16 = seq & 0xFFFF
            hdr = struct.pack("!BBHHH", 8, 0, 0, ident, s16)
            pkt = struct.pack("!BBHHH", 8, 0, checksum(hdr + payload), ident, s16) + payload
            try:
                sock.sendto(pkt, (dst, 0))
            except OSError:
                pass  # no route or neighbour: unanswered, counted as lost
            latest[s16] = seq
            out.write(f"S {seq} {time.time():.6f}\n")
            continue
        try:
            ready, _, _ = select.select([sock], [], [], max(0.0, due - now))
        except InterruptedError:
            continue
        if not ready:
            continue
        data, addr = sock.recvfrom(2048)
        ihl = (data[0] & 0x0F) * 4
        typ, _, _, rid, rseq = struct.unpack("!BBHHH", data[ihl:ihl + 8])
        if typ == 0 and rid == ident and addr[0] == dst and rseq in latest:
            out.write(f"R {latest[rseq]} {time.time():.6f}\n")


def cmd_flows(log, pidfile, bridge, interval="0.5"):
    interval = float(interval)
    out, stop = daemon_setup(log, pidfile)
    t_next = time.time()
    while not stop:
        count = -1
        try:
            r = subprocess.run(["ovs-ofctl", "dump-aggregate", bridge], capture_output=True,
                               text=True, timeout=max(interval * 4, 2))
            for word in r.stdout.split():
                if word.startswith("flow_count="):
                    count = int(word.split("=", 1)[1])
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        out.write(f"{time.time():.6f} {count}\n")
        t_next += interval
        time.sleep(max(0.0, t_next - time.time()))


# ---------------------------------------------------------------------------- report


def read_lines(path):
    try:
        with open(path) as f:
            return [line.split() for line in f if line.strip()]
    except FileNotFoundError:
        return []


def proc_alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError, ValueError):
        return False


def cmd_report(name, t0, t1, before, pinglog, flowlog, ctl_pid, ctl_exitfile, sb="-"):
    now = time.time()
    t0 = float(t0)
    t1 = now if t1 == "-" else float(t1)

    sent, replied = {}, {}
    for rec in read_lines(pinglog):
        if len(rec) != 3:
            continue  # a line cut by a kill
        kind, seq, ts = rec[0], int(rec[1]), float(rec[2])
        if kind == "S":
            sent[seq] = ts
        elif kind == "R" and seq not in replied:
            replied[seq] = ts
    in_window = [s for s, ts in sent.items() if t0 <= ts <= t1]
    lost = pending = 0
    lost_at = []
    for s in sorted(in_window):
        r = replied.get(s)
        if r is not None and r - sent[s] <= REPLY_WAIT:
            continue
        if r is None and now - sent[s] < REPLY_WAIT:
            pending += 1
        else:
            lost += 1
            lost_at.append(time.strftime("%H:%M:%S", time.gmtime(sent[s])) + f".{int(sent[s] * 1000) % 1000:03d}")
    # The longest stretch without a reply, the window's ends included.
    replies = sorted(r for r in replied.values() if r <= t1)
    marks = [max([r for r in replies if r < t0], default=t0)]
    marks += [r for r in replies if r >= t0] + [t1]
    gap = max((b - a for a, b in zip(marks, marks[1:])), default=0.0)
    print(f"CLOUD_PINGS window={name} secs={t1 - t0:.2f} sent={len(in_window)} lost={lost} "
          f"pending={pending} longest_gap={gap:.2f} lost_at={','.join(lost_at[:5]) or '-'}")

    samples = [(float(ts), int(c)) for ts, c in (r for r in read_lines(flowlog) if len(r) == 2)]
    if before == "-":
        prior = [c for ts, c in samples if ts < t0 and c >= 0]
        before = prior[-1] if prior else -1
    before = int(before)
    win = [(ts, c) for ts, c in samples if t0 <= ts <= t1]
    good = [c for _, c in win if c >= 0]
    below, last_below = 0.0, None
    for ts, c in win:
        if last_below is not None:
            below += ts - last_below
        last_below = ts if 0 <= c < before else None
    mn = min(good) if good else -1
    mx = max(good) if good else -1
    last = good[-1] if good else -1
    print(f"CLOUD_FLOWS window={name} before={before} min={mn} max={mx} last={last} "
          f"samples={len(win)} failed={len(win) - len(good)} below_before_secs={below:.2f}")

    alive = 1 if ctl_pid not in ("", "-") and proc_alive(ctl_pid) else 0
    try:
        with open(ctl_exitfile) as f:
            ex = f.read().strip() or "-"
    except FileNotFoundError:
        ex = "-"
    print(f"CLOUD_CONTROLLER window={name} pid={ctl_pid or '-'} alive={alive} exit={ex} sb={sb}")


# ------------------------------------------------------------------------------ main

COMMANDS = {
    "wait-api": cmd_wait_api,
    "populate": cmd_populate,
    "vm-net": cmd_vm_net,
    "vm-port": cmd_vm_port,
    "port-status": cmd_port_status,
    "agent-alive": cmd_agent_alive,
    "counts": cmd_counts,
    "ping": cmd_ping,
    "flows": cmd_flows,
    "report": cmd_report,
}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    args, opts = [], {}
    rest = argv[2:]
    while rest:
        a = rest.pop(0)
        if a.startswith("--"):
            opts[a[2:]] = rest.pop(0)
        else:
            args.append(a)
    try:
        COMMANDS[argv[1]](*args, **opts)
    except TypeError as e:
        die(f"{argv[1]}: bad arguments ({e})")
    except (RuntimeError, OSError, http.client.HTTPException) as e:
        die(f"{argv[1]}: {e}")


if __name__ == "__main__":
    main(sys.argv)

#!/usr/bin/python3
"""gendb.sh's NB writer: a Neutron-like topology as JSON-RPC transactions, straight to a
real ovsdb-server's unix socket (what Neutron's ovsdbapp does too). One transaction per
tenant, a few in flight. Deterministic: names, UUID-like Neutron ids (uuid5), MACs and
addresses depend only on the counts.

    gendb.py fill SOCK TENANTS SWITCHES PORTS LBS BACKENDS RULES
        prints "tenants= switches= ports= routers= acls= lbs= txns=" on stdout
    gendb.py count SOCK DB TABLE...
        prints "TABLE=N ..." (a select of _uuid per table)

Why not ovn-nbctl: it downloads the whole NB on every invocation and its batched
lsp-add/lsp-set-addresses slow down with the database's size (measured on this machine:
500 ports in 0.08 s into an empty NB, 12 s per 500 at 30 000 ports), so a 500 MB SB would
take hours; these transactions take constant time each.

Per tenant t (1..TENANTS), as Neutron's ML2/OVN writes it: a router (neutron-<id>) with a
gateway port on the shared external network (a provider switch with a localnet port),
a default route, SNAT per subnet and a floating IP per switch; SWITCHES networks, each with
a /24, a router interface (the LRP and its router-type LSP), DHCP_Options, and PORTS VM
ports ("MAC IP" addresses and port_security, Neutron's external_ids); a port group
pg_<sg-id> with every VM port of the tenant and its ACLs (allow-related egress ip4/ip6,
ingress from the group itself, ssh, icmp, RULES tcp port ranges, drop ip both ways);
LBS load balancers (a VIP:80 on the tenant's first subnet, BACKENDS VM ports :8080)
attached to each of the tenant's switches and its router.
"""
import json
import select
import socket
import sys
import time
import uuid

NS = uuid.UUID("6f766e2d-6f63-662d-6765-6e64622d6e73")


def nid(kind, *k):
    """A Neutron-style id, the same for the same kind and indexes."""
    return str(uuid.uuid5(NS, kind + ":" + ":".join(map(str, k))))


def ip4(i):
    return "%d.%d.%d.%d" % (i >> 24 & 255, i >> 16 & 255, i >> 8 & 255, i & 255)


def mac(i):
    return "fa:16:3e:%02x:%02x:%02x" % (i >> 16 & 255, i >> 8 & 255, i & 255)


def omap(d):
    return ["map", sorted([k, v] for k, v in d.items())]


def oset(xs):
    return ["set", list(xs)]


def ref(name):
    return ["named-uuid", name]


EXT_NET = 100 << 24 | 64 << 16  # 100.64.0.0/10: gateways and floating IPs
EXT_NAME = "neutron-" + nid("net", "ext")


class Conn:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(600)
        for _ in range(100):  # the socket file exists from bind(), before listen()
            try:
                self.s.connect(path)
                break
            except ConnectionRefusedError:
                time.sleep(0.05)
        else:
            self.s.connect(path)
        self.dec = json.JSONDecoder()
        self.buf = ""
        self.n = 0

    def send(self, method, params):
        self.n += 1
        self.s.sendall(json.dumps({"method": method, "params": params, "id": self.n}).encode())
        return self.n

    def reply(self):
        """The next reply (echo requests answered). A decode is tried when the buffer has
        doubled since the last try or nothing more is waiting on the socket: linear in a
        reply's size (an SB's Logical_Flow select is tens of MB)."""
        tried = 0
        while True:
            b = self.buf.lstrip()
            if b and (len(b) >= 2 * tried or not select.select([self.s], [], [], 0)[0]):
                tried = len(b)
                try:
                    v, end = self.dec.raw_decode(b)
                except ValueError:
                    pass
                else:
                    self.buf = b[end:]
                    tried = 0
                    if v.get("method") == "echo":
                        self.s.sendall(json.dumps({"result": v["params"], "error": None,
                                                   "id": v["id"]}).encode())
                        continue
                    return v
            chunk = self.s.recv(1 << 20)
            if not chunk:
                sys.exit("gendb.py: ovsdb-server closed the connection")
            self.buf += chunk.decode()


def check(v):
    if v.get("error"):
        sys.exit("gendb.py: %s" % json.dumps(v["error"])[:500])
    for r in v["result"]:
        if r and "error" in r:
            sys.exit("gendb.py: transaction failed: %s" % json.dumps(r)[:500])


def first_txn():
    """NB_Global and the external (provider) network with its localnet port."""
    return [
        {"op": "insert", "table": "NB_Global", "row": {}},
        {"op": "insert", "table": "Logical_Switch_Port", "uuid-name": "ln",
         "row": {"name": "provnet-" + nid("segment", "ext"), "type": "localnet",
                 "addresses": oset(["unknown"]),
                 "options": omap({"network_name": "physnet1", "mcast_flood": "false"}),
                 "external_ids": omap({})}},
        {"op": "insert", "table": "Logical_Switch",
         "row": {"name": EXT_NAME, "ports": oset([ref("ln")]),
                 "external_ids": omap({"neutron:network_name": "public",
                                       "neutron:mtu": "1500",
                                       "neutron:revision_number": "2"}),
                 "other_config": omap({"mcast_snoop": "false", "mcast_flood_unregistered": "false",
                                       "vlan-passthru": "false"})}},
    ]


def tenant_txn(t, n_sw, n_port, n_lb, n_be, n_rules, counts):
    """The operations of tenant t (1-based) and its counts added to counts."""
    ops = []
    proj = nid("project", t).replace("-", "")
    rid = nid("router", t)
    sgid = nid("sg", t)
    pg = "pg_" + sgid.replace("-", "_")
    gw_ip = ip4(EXT_NET + t)
    # Router gateway: the LRP, its gateway chassis, the router-type LSP on the external net.
    gwp = nid("port", t, "gw")
    ops.append({"op": "insert", "table": "Gateway_Chassis", "uuid-name": "gwc",
                "row": {"name": "lrp-%s_gw1" % gwp, "chassis_name": "gw1", "priority": 1}})
    lrps = ["gwlrp"]
    ops.append({"op": "insert", "table": "Logical_Router_Port", "uuid-name": "gwlrp",
                "row": {"name": "lrp-" + gwp, "mac": mac(1 << 23 | t),
                        "networks": oset([gw_ip + "/10"]),
                        "gateway_chassis": oset([ref("gwc")]),
                        "external_ids": omap({"neutron:network_name": EXT_NAME,
                                              "neutron:router_name": rid,
                                              "neutron:revision_number": "4"})}})
    ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": "gwlsp",
                "row": {"name": gwp, "type": "router", "addresses": oset(["router"]),
                        "options": omap({"router-port": "lrp-" + gwp, "nat-addresses": "router"}),
                        "external_ids": omap({"neutron:device_owner": "network:router_gateway",
                                              "neutron:device_id": rid,
                                              "neutron:project_id": "",
                                              "neutron:revision_number": "4"})}})
    ops.append({"op": "mutate", "table": "Logical_Switch", "where": [["name", "==", EXT_NAME]],
                "mutations": [["ports", "insert", oset([ref("gwlsp")])]]})
    nats, lb_refs, all_vms = [], [], []
    # Load balancers (Octavia's OVN provider): VIP:80 on the first subnet, backends :8080.
    first = 10 << 24 | ((t - 1) * n_sw + 1) << 8
    backends = [ip4((10 << 24 | ((t - 1) * n_sw + s) << 8) + 9 + p)
                for s in range(1, n_sw + 1) for p in range(1, n_port + 1)][:n_be]
    for b in range(1, n_lb + 1):
        lbid = nid("lb", t, b)
        u = "lb%d" % b
        vip = ip4(first + 200 + b % 50)
        ops.append({"op": "insert", "table": "Load_Balancer", "uuid-name": u,
                    "row": {"name": lbid, "protocol": "tcp",
                            "vips": omap({vip + ":80": ",".join(x + ":8080" for x in backends)}),
                            "external_ids": omap({"neutron:vip": vip,
                                                  "neutron:vip_port_id": nid("port", t, "vip", b),
                                                  "lr_ref": "neutron-" + rid,
                                                  "ls_refs": json.dumps({"neutron-" + nid("net", t, s): 1
                                                                         for s in range(1, n_sw + 1)}),
                                                  "enabled": "True"})}})
        lb_refs.append(u)
        counts["lbs"] += 1
    for s in range(1, n_sw + 1):
        g = (t - 1) * n_sw + s  # global switch index: 10.(g>>8).(g&255).0/24
        net = 10 << 24 | g << 8
        cidr = "%s/24" % ip4(net)
        netid = nid("net", t, s)
        lsname = "neutron-" + netid
        subid = nid("subnet", t, s)
        dhcp = "dhcp%d" % s
        ops.append({"op": "insert", "table": "DHCP_Options", "uuid-name": dhcp,
                    "row": {"cidr": cidr,
                            "options": omap({"lease_time": "43200", "mtu": "1442",
                                             "router": ip4(net + 1), "server_id": ip4(net + 1),
                                             "server_mac": mac(2 << 22 | g),
                                             "dns_server": "{8.8.8.8, 8.8.4.4}",
                                             "classless_static_route":
                                                 "{169.254.169.254/32,%s, 0.0.0.0/0,%s}"
                                                 % (ip4(net + 2), ip4(net + 1))}),
                            "external_ids": omap({"subnet_id": subid,
                                                  "neutron:revision_number": "1"})}})
        # The router interface.
        rp = nid("port", t, s, "rif")
        lrp = "lrp%d" % s
        ops.append({"op": "insert", "table": "Logical_Router_Port", "uuid-name": lrp,
                    "row": {"name": "lrp-" + rp, "mac": mac(3 << 22 | g),
                            "networks": oset([ip4(net + 1) + "/24"]),
                            "external_ids": omap({"neutron:network_name": lsname,
                                                  "neutron:router_name": rid,
                                                  "neutron:subnet_ids": subid,
                                                  "neutron:revision_number": "3"})}})
        lrps.append(lrp)
        ports = ["rif%d" % s]
        ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": ports[0],
                    "row": {"name": rp, "type": "router", "addresses": oset(["router"]),
                            "options": omap({"router-port": "lrp-" + rp}),
                            "external_ids": omap({"neutron:device_owner":
                                                      "network:router_interface",
                                                  "neutron:device_id": rid,
                                                  "neutron:network_name": lsname,
                                                  "neutron:project_id": proj,
                                                  "neutron:cidrs": ip4(net + 1) + "/24",
                                                  "neutron:revision_number": "3"})}})
        nats.append(("snat", gw_ip, cidr, None))
        for p in range(1, n_port + 1):
            pid = nid("port", t, s, p)
            ip = ip4(net + 9 + p)
            m = mac(g << 8 | p)
            u = "p%d_%d" % (s, p)
            ops.append({"op": "insert", "table": "Logical_Switch_Port", "uuid-name": u,
                        "row": {"name": pid, "addresses": oset([m + " " + ip]),
                                "port_security": oset([m + " " + ip]),
                                "dhcpv4_options": ref(dhcp),
                                "enabled": True,
                                "options": omap({"requested-chassis":
                                                     "compute-%d" % (1 + (g * 7 + p) % 50),
                                                 "mcast_flood_reports": "true"}),
                                "external_ids": omap({
                                    "neutron:cidrs": ip + "/24",
                                    "neutron:device_id": nid("vm", t, s, p),
                                    "neutron:device_owner": "compute:nova",
                                    "neutron:network_name": lsname,
                                    "neutron:port_name": "",
                                    "neutron:project_id": proj,
                                    "neutron:revision_number": "4",
                                    "neutron:security_group_ids": sgid})}})
            ports.append(u)
            all_vms.append(u)
            if p == 1:  # a floating IP per network
                nats.append(("dnat_and_snat", ip4(EXT_NET + (1 << 16) + g), ip, pid))
        ops.append({"op": "insert", "table": "Logical_Switch",
                    "row": {"name": lsname, "ports": oset(map(ref, ports)),
                            "load_balancer": oset(map(ref, lb_refs)),
                            "external_ids": omap({"neutron:network_name": "net-%d-%d" % (t, s),
                                                  "neutron:mtu": "1442",
                                                  "neutron:revision_number": "2"}),
                            "other_config": omap({"mcast_snoop": "false",
                                                  "mcast_flood_unregistered": "false",
                                                  "vlan-passthru": "false"})}})
        counts["switches"] += 1
        counts["ports"] += n_port + 1
    counts["ports"] += 1  # the gateway's LSP on the external network
    nat_refs = []
    for k, (kind, ext, logical, port) in enumerate(nats):
        u = "nat%d" % k
        row = {"type": kind, "external_ip": ext, "logical_ip": logical,
               "external_ids": omap({"neutron:revision_number": "1"} if port is None else
                                    {"neutron:fip_id": nid("fip", t, k),
                                     "neutron:fip_port_id": port,
                                     "neutron:router_name": "neutron-" + rid,
                                     "neutron:revision_number": "1"})}
        if port is not None:
            row["logical_port"] = port
        ops.append({"op": "insert", "table": "NAT", "uuid-name": u, "row": row})
        nat_refs.append(u)
    ops.append({"op": "insert", "table": "Logical_Router_Static_Route", "uuid-name": "dflt",
                "row": {"ip_prefix": "0.0.0.0/0", "nexthop": ip4(EXT_NET + 1),
                        "external_ids": omap({"neutron:is_ext_gw": "true",
                                              "neutron:subnet_id": nid("subnet", "ext")})}})
    ops.append({"op": "insert", "table": "Logical_Router",
                "row": {"name": "neutron-" + rid, "ports": oset(map(ref, lrps)),
                        "nat": oset(map(ref, nat_refs)),
                        "load_balancer": oset(map(ref, lb_refs)),
                        "static_routes": oset([ref("dflt")]),
                        "enabled": True,
                        "options": omap({"always_learn_from_arp_request": "false",
                                         "dynamic_neigh_routers": "true"}),
                        "external_ids": omap({"neutron:router_name": "router-%d" % t,
                                              "neutron:gw_port_id": gwp,
                                              "neutron:availability_zone_hints": "",
                                              "neutron:revision_number": "5"})}})
    counts["routers"] += 1
    # The security group: its port group and ACLs, Neutron's matches.
    i4, i6, out = "inport == @%s && ip4" % pg, "inport == @%s && ip6" % pg, "outport == @%s" % pg
    rules = [
        ("from-lport", 1002, i4, "allow-related"),
        ("from-lport", 1002, i6, "allow-related"),
        ("to-lport", 1002, "%s && ip4 && ip4.src == $%s_ip4" % (out, pg), "allow-related"),
        ("to-lport", 1002, "%s && ip4 && ip4.src == 0.0.0.0/0 && tcp && tcp.dst == 22" % out,
         "allow-related"),
        ("to-lport", 1002, "%s && ip4 && ip4.src == 0.0.0.0/0 && icmp4" % out, "allow-related"),
        ("from-lport", 1001, "inport == @%s && ip" % pg, "drop"),
        ("to-lport", 1001, "%s && ip" % out, "drop"),
    ]
    for r in range(n_rules):
        lo = 8000 + 10 * r
        rules.append(("to-lport", 1002,
                      "%s && ip4 && ip4.src == 10.0.0.0/8 && tcp && tcp.dst >= %d && tcp.dst <= %d"
                      % (out, lo, lo + 9), "allow-related"))
    acl_refs = []
    for k, (direction, prio, match, action) in enumerate(rules):
        u = "acl%d" % k
        ops.append({"op": "insert", "table": "ACL", "uuid-name": u,
                    "row": {"direction": direction, "priority": prio, "match": match,
                            "action": action,
                            "external_ids": omap({"neutron:security_group_rule_id":
                                                      nid("sgr", t, k)})}})
        acl_refs.append(u)
        counts["acls"] += 1
    ops.append({"op": "insert", "table": "Port_Group",
                "row": {"name": pg, "ports": oset(map(ref, all_vms)),
                        "acls": oset(map(ref, acl_refs)),
                        "external_ids": omap({"neutron:security_group_id": sgid})}})
    return ops


def fill(sock, tenants, n_sw, n_port, n_lb, n_be, n_rules):
    if not 1 <= n_port <= 190:
        sys.exit("gendb.py: 1..190 ports per switch (.10-.199 of a /24; VIPs from .200)")
    if tenants * n_sw >= 1 << 16:
        sys.exit("gendb.py: fewer than 65536 switches (10.0.0.0/8 in /24s)")
    c = Conn(sock)
    counts = dict(tenants=tenants, switches=0, ports=1, routers=0, acls=0, lbs=0, txns=0)
    check_reply = lambda: check(c.reply())
    c.send("transact", ["OVN_Northbound"] + first_txn())
    check_reply()
    inflight = 0
    for t in range(1, tenants + 1):
        c.send("transact", ["OVN_Northbound"] +
               tenant_txn(t, n_sw, n_port, n_lb, n_be, n_rules, counts))
        counts["txns"] += 1
        inflight += 1
        if inflight == 4:
            check_reply()
            inflight -= 1
    while inflight:
        check_reply()
        inflight -= 1
    counts["txns"] += 1
    print(" ".join("%s=%d" % kv for kv in counts.items()))


def count(sock, db, tables):
    c = Conn(sock)
    c.send("transact", [db] + [{"op": "select", "table": t, "where": [], "columns": ["_uuid"]}
                               for t in tables])
    v = c.reply()
    check(v)
    print(" ".join("%s=%d" % (t, len(r["rows"])) for t, r in zip(tables, v["result"])))


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 8 and a[0] == "fill":
        fill(a[1], *map(int, a[2:]))
    elif len(a) >= 4 and a[0] == "count":
        count(a[1], a[2], a[3:])
    else:
        sys.exit(__doc__)

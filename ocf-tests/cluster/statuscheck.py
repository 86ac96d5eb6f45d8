#!/usr/bin/env python3
"""Checks `ovn-ocf status --json` taken on a node of the namespace cluster against what
the cluster is known to run: prints nothing and exits 0 when it agrees, else one line
per disagreement and exits 1.

    statuscheck.py SHAPE NODE ACTIVE PIDS < status.json

SHAPE is A (group ovn), B (promotable clones) or D (replicated promotable clones, files
on each node's own disk); NODE is where the status was taken;
ACTIVE the node serving everything; PIDS "nb=N sb=N northd=N" as the pidfiles on
ACTIVE say (only read when NODE is ACTIVE).
"""
import json
import sys

VIP = "198.51.100.100"


def main():
    shape, node, active, pids = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
    pid_of = dict(kv.split("=") for kv in pids.split())
    st = json.load(sys.stdin)
    bad = []

    def want(cond, what):
        if not cond:
            bad.append(what)

    c = st.get("cluster") or {}
    want(c.get("running") is True, f"cluster.running is {c.get('running')!r}")
    want(c.get("node") == node, f"cluster.node is {c.get('node')!r}, not {node}")
    want(c.get("error") is None, f"cluster.error is {c.get('error')!r}")
    by_name = {r.get("resource"): r for r in st.get("resources", [])}
    for rsc, agent, db, key, port in [
        ("ovn-nb", "ovsdb-server", "nb", "nb", 6641),
        ("ovn-sb", "ovsdb-server", "sb", "sb", 6642),
        ("ovn-northd", "ovn-northd", None, "northd", None),
    ]:
        r = by_name.get(rsc)
        if r is None:
            bad.append(f"{rsc}: not listed (resources: {sorted(map(str, by_name))})")
            continue
        pm = r.get("pacemaker") or {}
        want(r.get("agent") == agent, f"{rsc}: agent {r.get('agent')!r}")
        want(r.get("db") == db, f"{rsc}: db {r.get('db')!r}")
        want(pm.get("running_on") == [active] if shape == "A" else active in (pm.get("running_on") or []),
             f"{rsc}: pacemaker.running_on {pm.get('running_on')!r} (active {active})")
        want(pm.get("failed_actions") == [], f"{rsc}: failed actions {pm.get('failed_actions')!r}")
        want(r.get("problems") == [], f"{rsc}: problems {r.get('problems')!r}")
        if shape == "A":
            want(r.get("group") == "ovn", f"{rsc}: group {r.get('group')!r}")
        else:
            want(r.get("clone") == f"{rsc}-clone", f"{rsc}: clone {r.get('clone')!r}")
        serving = node == active
        if serving:
            want(r.get("role") == "serving", f"{rsc}: role {r.get('role')!r} on the active node")
            want(str(r.get("pid")) == pid_of.get(key), f"{rsc}: pid {r.get('pid')!r}, pidfile says {pid_of.get(key)}")
            if shape in ("B", "D"):
                want(pm.get("role") == "Promoted", f"{rsc}: pacemaker.role {pm.get('role')!r}")
        else:
            if shape == "A":
                want(r.get("role") is None and r.get("pid") is None,
                     f"{rsc}: role {r.get('role')!r} pid {r.get('pid')!r} on the standby node")
            else:
                want(r.get("role") == "standby", f"{rsc}: role {r.get('role')!r} on the standby node")
                want(pm.get("roles", {}).get(node) == "Unpromoted",
                     f"{rsc}: pacemaker roles {pm.get('roles')!r}")
                if shape == "D" and db is not None:
                    rep = r.get("replication") or {}
                    want(rep.get("from_node") == active and rep.get("connected") is True
                         and rep.get("synced") is True,
                         f"{rsc}: replication {rep!r} (should replicate from {active})")
        if db is None or not serving:
            continue
        if shape == "D":
            want(r.get("db_file") == f"/var/lib/ovn/ovn{db}_db.db", f"{rsc}: db_file {r.get('db_file')!r}")
            want(f"0.0.0.0:{port}" in (r.get("listeners") or []), f"{rsc}: listeners {r.get('listeners')!r}")
            want(r.get("lease") is None, f"{rsc}: lease {r.get('lease')!r} without shared storage")
            continue
        want(r.get("db_file") == f"/srv/ovn/ovn{db}_db.db", f"{rsc}: db_file {r.get('db_file')!r}")
        want(f"{VIP}:{port}" in (r.get("listeners") or []), f"{rsc}: listeners {r.get('listeners')!r}")
        lease = r.get("lease") or {}
        want(lease.get("owner") == active, f"{rsc}: lease owner {lease.get('owner')!r}")
        want(lease.get("keeper_alive") is True, f"{rsc}: lease keeper alive {lease.get('keeper_alive')!r}")
    for line in bad:
        print(line)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

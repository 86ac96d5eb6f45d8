#!/usr/bin/python3
"""Facts from `crm_mon -1 --output-as=xml` (on stdin), for cluster.sh and the scenarios.

    crmfacts.py online                 number of online nodes (not pending, not unclean), if a
                                       DC is elected (else exit 1)
    crmfacts.py group-started GROUP    the node every member of GROUP is Started on (else exit 1)
    crmfacts.py promoted [--standby] GROUP CLONE...
                                       the node GROUP is Started on, if every CLONE has exactly
                                       one instance, Promoted, there and no failed instance (else
                                       exit 1); --standby: and an Unpromoted instance on every
                                       other online node that is not in standby
    crmfacts.py where RESOURCE         the node(s) RESOURCE is active on
    crmfacts.py failures               one line per failed action (exit 1 if there is any)
    crmfacts.py summary                nodes, resources and failed actions, one line each
"""

import sys
import xml.etree.ElementTree as ET


def resources(root):
    """(id, role, failed, [nodes]) of every primitive, groups and clones flattened."""
    out = []
    for r in root.iter("resource"):
        out.append((r.get("id"), r.get("role"), r.get("failed") == "true",
                    [n.get("name") for n in r.findall("node")]))
    return out


def group_node(root, gid):
    """The one node every member of group gid is Started on, or None."""
    group = next((g for g in root.iter("group") if g.get("id") == gid), None)
    if group is None:
        return None
    where = set()
    for rid, role, failed, nodes in resources(group):
        if role != "Started" or failed or len(nodes) != 1:
            return None
        where.add(nodes[0])
    return where.pop() if len(where) == 1 else None


def promoted(root, gid, clones, standby):
    """The node of group gid if every clone is promoted there (see the doc string)."""
    where = group_node(root, gid)
    if where is None:
        return None
    active = {n.get("name") for n in root.iter("node")
              if n.get("online") == "true" and n.get("standby") != "true"
              and n.get("pending") != "true" and n.get("unclean") != "true"
              and n.get("type", "member") == "member"}
    for cid in clones:
        clone = next((c for c in root.iter("clone") if c.get("id") == cid), None)
        if clone is None:
            return None
        inst = resources(clone)
        if any(failed for _, _, failed, _ in inst):
            return None
        prom = [nodes for _, role, _, nodes in inst if role == "Promoted"]
        if prom != [[where]]:
            return None
        unprom = {nodes[0] for _, role, _, nodes in inst
                  if role == "Unpromoted" and len(nodes) == 1}
        if standby and not (active - {where}) <= unprom:
            return None
    return where


def failures(root):
    out = []
    for f in root.iter("failure"):
        out.append("%s on %s: %s (rc %s, %s) %s" % (
            f.get("op_key"), f.get("node"), f.get("exitstatus"), f.get("exitcode"),
            f.get("status"), f.get("exitreason", "")))
    return out


def main(argv):
    root = ET.fromstring(sys.stdin.read())
    what = argv[1] if len(argv) > 1 else "summary"
    if what == "online":
        dc = root.find("summary/current_dc")
        if dc is None or dc.get("present") != "true":
            return 1
        print(sum(1 for n in root.iter("node")
                  if n.get("online") == "true" and n.get("pending") != "true"
                  and n.get("unclean") != "true" and n.get("type", "member") == "member"))
        return 0
    if what == "group-started":
        where = group_node(root, argv[2])
        if where is None:
            return 1
        print(where)
        return 0
    if what == "promoted":
        args = argv[2:]
        standby = "--standby" in args
        args = [a for a in args if a != "--standby"]
        where = promoted(root, args[0], args[1:], standby)
        if where is None:
            return 1
        print(where)
        return 0
    if what == "where":
        for rid, role, failed, nodes in resources(root):
            if rid == argv[2]:
                print(" ".join(nodes))
        return 0
    if what == "failures":
        lines = failures(root)
        for line in lines:
            print(line)
        return 1 if lines else 0
    if what == "summary":
        for n in root.iter("node"):
            if n.get("online") is not None:
                print("node %s online=%s standby=%s unclean=%s" % (
                    n.get("name"), n.get("online"), n.get("standby"), n.get("unclean")))
        for rid, role, failed, nodes in resources(root):
            print("resource %s %s%s on %s" % (rid, role, " FAILED" if failed else "",
                                              ",".join(nodes) or "-"))
        for line in failures(root):
            print("failed action " + line)
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

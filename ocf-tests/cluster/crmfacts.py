#!/usr/bin/python3
"""Facts from `crm_mon -1 --output-as=xml` (on stdin), for cluster.sh and the scenarios.

    crmfacts.py online                 number of online nodes (not pending, not unclean), if a
                                       DC is elected (else exit 1)
    crmfacts.py group-started GROUP    the node every member of GROUP is Started on (else exit 1)
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
        group = next((g for g in root.iter("group") if g.get("id") == argv[2]), None)
        if group is None:
            return 1
        where = set()
        for rid, role, failed, nodes in resources(group):
            if role != "Started" or failed or len(nodes) != 1:
                return 1
            where.add(nodes[0])
        if len(where) != 1:
            return 1
        print(where.pop())
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

#!/usr/bin/python3
"""The Northbound database as Neutron wrote it, compared by content (cloud-scenarios.sh).
Stdlib only; the OVSDB client is writer.py's.

    nbcheck.py dump OUT
        (client netns) Every row of the NB through the VIP, in a form that compares by
        content: a reference to another row is replaced by that row's name ("Table[name]"
        when the name is unique in its table) or, for a row without one, by its content,
        recursively; so two NBs holding the same cloud under other UUIDs are equal. Rows
        of a table are sorted. Written to OUT as JSON; prints "NB_DUMP rows=N" and the
        count of each table that has rows.
    nbcheck.py compare BEFORE AFTER
        Prints "NB_EQUAL rows=N ignored=..." or "NB_DIFF ..." with what differs (rows only
        before, only after, and for named rows the columns that differ); exit 1 on a
        difference. Both leave out IGNORED below and say so.
    nbcheck.py wait-equal BEFORE OUT SECS
        (client netns) Dumps the NB to OUT until it compares equal to BEFORE (at most SECS;
        northd and ovn-controller write some columns back after a failover); prints the
        last comparison and "NB_WAITED secs=S"; exit 1 if it never did.
    nbcheck.py has DUMP TABLE NAME...
        Every NAME is a row of TABLE in DUMP; prints "NB_HAS n of m" and the missing ones;
        exit 1 if one is missing.
    nbcheck.py damage FILE FRACTION
        (on the node that serves: the file is on its mount of the LUN) Corrupts one byte of
        the record a FRACTION of the way through the standalone database FILE (never the
        schema or the first transaction), in place, fsynced, so the records before it are
        an intact prefix holding only part of what the file holds. Prints "DAMAGE
        record=K records=N offset=O" and, for each table of Neutron's cloud, the rows
        the prefix holds against the whole file ("Logical_Switch_Port=12/25 ...").
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import writer  # noqa: E402  (the OVSDB JSON-RPC client)

# What a comparison leaves out, and why. Neutron's sync util regenerates these instead
# of restoring them (shared/CLOUD-LAB.md: the NB rebuilt by neutron-ovn-db-sync-util
# against the one before the wipe):
#   Logical_Switch external_ids:neutron:revision_number  the Neutron DB's value; the NB
#       before could hold a stale one
#   DHCP_Options options:server_mac                       generated at random
IGNORED_KEYS = {
    ("Logical_Switch", "external_ids"): {"neutron:revision_number"},
    ("DHCP_Options", "options"): {"server_mac"},
}
# Not Neutron's rows: NB_Global is the NB's own bookkeeping (northd's and Neutron's
# liveness counters, northd's options); Connection and SSL are the operator's (the
# agent's listeners). Left out whole.
IGNORED_TABLES = {"NB_Global", "Connection", "SSL"}
# The tables damage reports on.
CLOUD_TABLES = ("Logical_Switch", "Logical_Switch_Port", "Logical_Router",
                "Logical_Router_Port", "ACL", "Port_Group", "DHCP_Options")


def ignored_text():
    keys = ", ".join(f"{t} {c}:{k}" for (t, c), ks in sorted(IGNORED_KEYS.items())
                     for k in sorted(ks))
    return f"{keys}; tables {','.join(sorted(IGNORED_TABLES))}"


# ------------------------------------------------------------------------------ dump

def fetch():
    """{table: {uuid: row}} of the whole NB through the VIP."""
    writer.TIMEOUT = 10.0
    c = writer.Conn("nb")
    try:
        schema = c.call("get_schema", ["OVN_Northbound"])
        tables = sorted(schema["tables"])
        ops = [{"op": "select", "table": t, "where": []} for t in tables]
        res = c.transact("nb", ops)
    finally:
        c.close()
    return {t: {r["_uuid"][1]: r for r in res[i]["rows"]} for i, t in enumerate(tables)}


def canonical(db):
    """{table: [row, ...]} with references resolved to names or contents, sorted."""
    where = {u: t for t, rows in db.items() for u in rows}
    names = {}
    for t, rows in db.items():
        seen = {}
        for u, r in rows.items():
            n = r.get("name")
            if isinstance(n, str) and n:
                seen.setdefault(n, []).append(u)
        for n, us in seen.items():
            if len(us) == 1:
                names[us[0]] = f"{t}[{n}]"
    labels, busy = {}, set()

    def label(u):
        if u in names:
            return names[u]
        if u in labels:
            return labels[u]
        if u not in where:
            return f"dangling[{u}]"
        if u in busy:
            return f"cycle[{where[u]}]"
        busy.add(u)
        t = where[u]
        labels[u] = t + json.dumps(row(t, db[t][u]), sort_keys=True)
        busy.discard(u)
        return labels[u]

    def value(v):
        if isinstance(v, list) and len(v) == 2 and v[0] == "uuid":
            return {"ref": label(v[1])}
        if isinstance(v, list) and len(v) == 2 and v[0] == "set":
            return sorted((value(x) for x in v[1]), key=lambda x: json.dumps(x, sort_keys=True))
        if isinstance(v, list) and len(v) == 2 and v[0] == "map":
            return {json.dumps(value(k), sort_keys=True) if not isinstance(k, str) else k: value(x)
                    for k, x in v[1]}
        return v

    def row(t, r):
        out = {}
        for col, v in r.items():
            if col in ("_uuid", "_version"):
                continue
            v = value(v)
            drop = IGNORED_KEYS.get((t, col))
            if drop and isinstance(v, dict):
                v = {k: x for k, x in v.items() if k not in drop}
            out[col] = v
        return out

    out = {}
    for t in sorted(db):
        if t in IGNORED_TABLES or not db[t]:
            continue
        rows = []
        for u, r in db[t].items():
            c = row(t, r)
            if u in names:
                c["_label"] = names[u]
            rows.append(c)
        out[t] = sorted(rows, key=lambda x: json.dumps(x, sort_keys=True))
    return out


def counts(canon):
    return " ".join(f"{t}={len(rows)}" for t, rows in canon.items())


def cmd_dump(path):
    canon = canonical(fetch())
    with open(path + ".tmp", "w") as f:
        json.dump(canon, f, sort_keys=True)
    os.rename(path + ".tmp", path)
    print(f"NB_DUMP rows={sum(len(r) for r in canon.values())} {counts(canon)}")
    return 0


# --------------------------------------------------------------------------- compare

def diff(before, after):
    """Lines saying what differs; none when equal."""
    out = []
    for t in sorted(set(before) | set(after)):
        b, a = before.get(t, []), after.get(t, [])
        bk = [json.dumps(r, sort_keys=True) for r in b]
        ak = [json.dumps(r, sort_keys=True) for r in a]
        if sorted(bk) == sorted(ak):
            continue
        bl = {r["_label"]: r for r in b if "_label" in r}
        al = {r["_label"]: r for r in a if "_label" in r}
        for lab in sorted(set(bl) | set(al)):
            if lab not in al:
                out.append(f"{t}: {lab} only before")
            elif lab not in bl:
                out.append(f"{t}: {lab} only after")
            elif bl[lab] != al[lab]:
                cols = sorted(c for c in set(bl[lab]) | set(al[lab])
                              if bl[lab].get(c) != al[lab].get(c))
                for c in cols:
                    out.append(f"{t}: {lab} {c}: {json.dumps(bl[lab].get(c), sort_keys=True)}"
                               f" -> {json.dumps(al[lab].get(c), sort_keys=True)}")
        rest_b = [k for k, r in zip(bk, b) if "_label" not in r]
        rest_a = [k for k, r in zip(ak, a) if "_label" not in r]
        only_b = list(rest_b)
        only_a = []
        for k in rest_a:
            if k in only_b:
                only_b.remove(k)
            else:
                only_a.append(k)
        for k in only_b:
            out.append(f"{t}: unnamed row only before: {k[:400]}")
        for k in only_a:
            out.append(f"{t}: unnamed row only after: {k[:400]}")
    return out


def compare_text(before, after):
    d = diff(before, after)
    rows = sum(len(r) for r in before.values())
    if not d:
        return True, f"NB_EQUAL rows={rows} ({counts(before)}); ignored: {ignored_text()}"
    lines = [f"NB_DIFF {len(d)} differences (before {rows} rows: {counts(before)}; "
             f"after: {counts(after)}); ignored: {ignored_text()}"]
    lines += ["  " + x for x in d[:40]]
    if len(d) > 40:
        lines.append(f"  ... {len(d) - 40} more")
    return False, "\n".join(lines)


def load(path):
    with open(path) as f:
        return json.load(f)


def cmd_compare(before, after):
    ok, text = compare_text(load(before), load(after))
    print(text)
    return 0 if ok else 1


def cmd_wait_equal(before, out, secs):
    before = load(before)
    t0 = time.time()
    text = "NB not read"
    while True:
        try:
            canon = canonical(fetch())
            with open(out, "w") as f:
                json.dump(canon, f, sort_keys=True)
            ok, text = compare_text(before, canon)
            if ok:
                print(text)
                print(f"NB_WAITED secs={time.time() - t0:.2f}")
                return 0
        except (OSError, writer.RpcError, ValueError) as e:
            text = f"NB not read through the VIP: {e}"
        if time.time() - t0 > float(secs):
            print(text)
            print(f"NB_WAITED secs={time.time() - t0:.2f} (gave up)")
            return 1
        time.sleep(1)


def cmd_has(dump, table, *names):
    have = {r.get("name") for r in load(dump).get(table, [])}
    missing = [n for n in names if n not in have]
    print(f"NB_HAS {len(names) - len(missing)} of {len(names)} {table}"
          + (f"; missing: {' '.join(missing)}" if missing else ""))
    return 1 if missing else 0


# ---------------------------------------------------------------------------- damage

def records(data):
    """[(offset, header length, body length)] of a standalone ovsdb file."""
    out, pos = [], 0
    while pos < len(data):
        nl = data.index(b"\n", pos)
        words = data[pos:nl].split()
        if len(words) != 4 or words[0] != b"OVSDB" or words[1] != b"JSON":
            raise ValueError(f"no record header at offset {pos}")
        n = int(words[2])
        out.append((pos, nl + 1 - pos, n))
        pos = nl + 1 + n
        while pos < len(data) and data[pos:pos + 1] == b"\n":
            pos += 1
    return out


def rows_after(data, recs):
    """{table: number of rows} once the transactions in recs are applied."""
    live = {}
    for off, hl, n in recs:
        txn = json.loads(data[off + hl:off + hl + n])
        for t, rows in txn.items():
            if t.startswith("_") or not isinstance(rows, dict):
                continue
            s = live.setdefault(t, set())
            for u, r in rows.items():
                if r is None:
                    s.discard(u)
                else:
                    s.add(u)
    return {t: len(s) for t, s in live.items()}


def cmd_damage(path, fraction):
    with open(path, "rb") as f:
        data = f.read()
    recs = records(data)
    if len(recs) < 4:
        print(f"{path}: only {len(recs)} records, nothing to cut into")
        return 1
    k = min(max(2, int(len(recs) * float(fraction))), len(recs) - 1)
    off, hl, n = recs[k]
    body = off + hl
    # A byte inside the record's JSON, changed to another printable one: the length stays,
    # the SHA-1 no longer matches.
    pos = body + n // 2
    old = data[pos]
    new = b"#"[0] if old != b"#"[0] else b"%"[0]
    fd = os.open(path, os.O_WRONLY)
    try:
        os.pwrite(fd, bytes([new]), pos)
        os.fsync(fd)
    finally:
        os.close(fd)
    prefix = rows_after(data, recs[1:k])
    whole = rows_after(data, recs[1:])
    held = " ".join(f"{t}={prefix.get(t, 0)}/{whole.get(t, 0)}" for t in CLOUD_TABLES)
    print(f"DAMAGE record={k} records={len(recs)} offset={off} byte={pos} {held}")
    return 0


COMMANDS = {"dump": cmd_dump, "compare": cmd_compare, "wait-equal": cmd_wait_equal,
            "has": cmd_has, "damage": cmd_damage}


def main(argv):
    if len(argv) < 2 or argv[1] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    try:
        return COMMANDS[argv[1]](*argv[2:])
    except TypeError as e:
        print(f"nbcheck.py {argv[1]}: bad arguments ({e})", file=sys.stderr)
        return 2
    except (OSError, writer.RpcError, ValueError) as e:
        print(f"nbcheck.py {argv[1]}: {e}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""OVSDB clients for the cluster scenarios (scenarios.sh), run in the client netns.

Speaks OVSDB JSON-RPC over TCP itself (stdlib only): every connect and every reply is
bounded by a short timeout (0.5 s), so a dead, stopped or moving server costs at most
that much before the next attempt.

    writer.py write LOG PIDFILE [--interval S] [--into chassis|sb-global]
        The background writer: inserts a Chassis (+ its Encap) into the SB through the
        VIP, one transaction after the other, forever: one starts every S seconds (0.1;
        at once when the last one took longer, so 1/S transactions a second at most, 0
        for as fast as they are acknowledged); reconnects on any error. Every
        acknowledged insert (a reply whose result has no "error" member) is appended to
        LOG as "<ack epoch> <chassis name> <epoch its connection was opened>", flushed
        per line. SIGTERM: exit. SIGUSR1: finish the transaction in flight, then pause
        (LOG.paused exists while paused); SIGUSR2: resume. --into sb-global: each
        transaction adds the key NAME to SB_Global's external_ids instead (acknowledged
        when it changed the one SB_Global row): for a cloud with a real ovn-controller,
        which would build a tunnel to every Chassis; nothing reads these keys.
    writer.py first-ack LOG T0 SECS
        Waits (at most SECS) for the first ack in LOG on a connection opened after T0
        (epoch); prints "<seconds since T0> <longest gap between acks from T0 on>".
    writer.py gap LOG T0
        Prints the longest time between acks in LOG from T0 on (the last ack before T0
        counts as the start; the time since the last ack counts too).
    writer.py check LOG [--missing FILE] [--into chassis|sb-global]
        Every name LOG holds (read before the query) is in the SB Chassis table (or
        SB_Global's external_ids) through the VIP; prints "<n acked> <n missing> <first
        missing names>"; exit 1 if any is missing. --missing: every missing name is
        written to FILE, one a line.
    writer.py recovered DB SECS
        Transacts (a read) on DB (nb|sb) through the VIP until one fails and then one
        succeeds; prints the epoch of that success. Exit 1 after SECS.
    writer.py ls-datapath NAME SECS
        Creates logical switch NAME in the NB through the VIP (retrying until it is
        acknowledged), then waits for its Datapath_Binding in the SB; prints the epoch at
        which it was seen. Exit 1 after SECS.
    writer.py idle DB OUT SECS
        An idle client of DB (nb|sb) through the VIP, as an ovn-controller with nothing to
        say: connects, writes "connected <its local port>" to OUT, then only answers the
        server's echo probes and never sends anything else, until its connection ends or
        SECS pass; appends how it ended to OUT ("reset", "closed" or "timeout") and exits 0
        for "reset", 1 otherwise. After a power cut of the node that served it, only a
        reset the new node sends it (a takeover's tickle ACK) can end it before SECS.
    writer.py nb-cfg
        Prints "NB_Global.nb_cfg SB_Global.nb_cfg" read through the VIP.
    writer.py tunnel-keys
        Prints "KEYS" and, sorted, "dp:NAME=KEY" for every Datapath_Binding (NAME: its
        external_ids:name, else its logical switch or router) and "pb:PORT=KEY" for every
        Port_Binding, read through the VIP: what ovn-northd numbered, which
        ovn-controller's flows carry.
"""

import json
import os
import signal
import socket
import sys
import time

VIP = "198.51.100.100"
PORTS = {"nb": 6641, "sb": 6642}
DBS = {"nb": "OVN_Northbound", "sb": "OVN_Southbound"}
TIMEOUT = 0.5


class RpcError(Exception):
    pass


class Conn:
    """One JSON-RPC connection; every call bounded by TIMEOUT."""

    def __init__(self, db):
        self.sock = socket.create_connection((VIP, PORTS[db]), timeout=TIMEOUT)
        self.opened = time.time()
        self.buf = ""
        self.dec = json.JSONDecoder()
        self.next_id = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def _send(self, msg):
        self.sock.sendall(json.dumps(msg).encode())

    def _recv_msg(self, deadline):
        while True:
            s = self.buf.lstrip()
            if s:
                try:
                    msg, end = self.dec.raw_decode(s)
                    self.buf = s[end:]
                    return msg
                except ValueError:
                    pass  # incomplete: read more
            left = deadline - time.monotonic()
            if left <= 0:
                raise RpcError("no reply within %.1f s" % TIMEOUT)
            self.sock.settimeout(left)
            data = self.sock.recv(65536)
            if not data:
                raise RpcError("connection closed by the server")
            self.buf += data.decode()

    def call(self, method, params):
        self.next_id += 1
        rid = self.next_id
        self._send({"method": method, "params": params, "id": rid})
        deadline = time.monotonic() + TIMEOUT
        while True:
            msg = self._recv_msg(deadline)
            if msg.get("method") == "echo":  # the server's inactivity probe
                self._send({"result": msg.get("params"), "error": None, "id": msg.get("id")})
                continue
            if msg.get("id") != rid:
                continue  # a stale reply or a notification
            if msg.get("error") is not None:
                raise RpcError("error reply: %s" % json.dumps(msg["error"]))
            return msg.get("result")

    def transact(self, db, ops):
        """The result array of an acknowledged transaction; RpcError otherwise."""
        result = self.call("transact", [DBS[db]] + ops)
        if not isinstance(result, list):
            raise RpcError("unexpected reply: %r" % (result,))
        for r in result:
            if isinstance(r, dict) and "error" in r:
                raise RpcError("transaction error: %s" % json.dumps(r))
        return result


def one_transact(db, ops):
    c = Conn(db)
    try:
        return c.transact(db, ops)
    finally:
        c.close()


def select(table, columns, where=None):
    return {"op": "select", "table": table, "where": where or [], "columns": columns}


# ------------------------------------------------------------------------------ write

STOP = False
PAUSE = False


def on_term(signum, frame):
    global STOP
    STOP = True


def on_pause(signum, frame):
    global PAUSE
    PAUSE = signum == signal.SIGUSR1


def insert_chassis(name, seq):
    # Encap is indexed by (type, ip): every insert gets its own ip.
    ip = "10.%d.%d.%d" % (seq >> 16 & 255, seq >> 8 & 255, seq & 255)
    return [
        {"op": "insert", "table": "Encap", "uuid-name": "e",
         "row": {"type": "geneve", "ip": ip, "chassis_name": name}},
        {"op": "insert", "table": "Chassis",
         "row": {"name": name, "hostname": "scenarios", "encaps": ["named-uuid", "e"]}},
    ]


def set_global_key(name):
    return [{"op": "mutate", "table": "SB_Global", "where": [],
             "mutations": [["external_ids", "insert", ["map", [[name, "writer"]]]]]}]


# What one write is, and how it is read back: --into.
WRITES = {"chassis": insert_chassis, "sb-global": lambda name, seq: set_global_key(name)}


def cmd_write(log_path, pidfile, interval=0.1, into="chassis"):
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    signal.signal(signal.SIGUSR1, on_pause)
    signal.signal(signal.SIGUSR2, on_pause)
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)
    # Names stay unique across writers on one cluster: the start time is in them.
    tag = "w%d" % int(time.time() * 1000)
    paused_file = log_path + ".paused"
    log = open(log_path, "a")
    conn = None
    seq = 0
    next_at = time.monotonic()
    while not STOP:
        if PAUSE:
            if conn:  # idle connections get probed and dropped: start afresh later
                conn.close()
                conn = None
            open(paused_file, "w").close()
            while PAUSE and not STOP:
                time.sleep(0.02)
            os.unlink(paused_file)
            continue
        try:
            if conn is None:
                conn = Conn("sb")
            seq += 1
            name = "%s-%d" % (tag, seq)
            result = conn.transact("sb", WRITES[into](name, seq))
            if into == "sb-global" and result[0].get("count") != 1:
                raise RpcError("no SB_Global row changed: %r" % (result,))
            log.write("%.6f %s %.6f\n" % (time.time(), name, conn.opened))
            log.flush()
            # Paced by the clock, not by sleeping after each ack (which gave 135-168 of
            # the 200 tx/s that --interval 0.005 asks for); a late one does not make the
            # next ones burst to catch up.
            next_at = max(next_at + interval, time.monotonic() - interval)
            left = next_at - time.monotonic()
            if left > 0:
                time.sleep(left)
        except (OSError, RpcError, ValueError):
            if conn:
                conn.close()
                conn = None
            time.sleep(0.05)
    log.close()
    return 0


# ---------------------------------------------------------------------- measurements

def read_log(path):
    acks = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:  # a line being written has no newline yet: skipped
                acks.append((float(parts[0]), parts[1], float(parts[2])))
    return acks


def cmd_first_ack(log_path, t0, secs):
    t0, secs = float(t0), float(secs)
    while True:
        acks = read_log(log_path)
        first = next((a for a in acks if a[2] > t0), None)
        if first:
            times = [a[0] for a in acks if a[0] <= t0][-1:] + [a[0] for a in acks if a[0] > t0]
            gap = max((b - a for a, b in zip(times, times[1:])), default=0.0)
            print("%.2f %.2f" % (first[0] - t0, gap))
            return 0
        if time.time() - t0 > secs:
            print("no ack on a connection opened after the trigger within %.0f s" % secs)
            return 1
        time.sleep(0.1)


def cmd_gap(log_path, t0):
    t0 = float(t0)
    acks = read_log(log_path)
    times = [a[0] for a in acks if a[0] <= t0][-1:] or [t0]
    times += [a[0] for a in acks if a[0] > t0] + [time.time()]
    print("%.2f" % max(b - a for a, b in zip(times, times[1:])))
    return 0


def cmd_check(log_path, missing_path=None, into="chassis"):
    names = [a[1] for a in read_log(log_path)]  # read before the query
    deadline = time.monotonic() + 30
    while True:
        try:
            if into == "sb-global":
                rows = one_transact("sb", [select("SB_Global", ["external_ids"])])[0]["rows"]
                rows = [{"name": k} for r in rows for k, _ in r["external_ids"][1]]
            else:
                rows = one_transact("sb", [select("Chassis", ["name"])])[0]["rows"]
            break
        except (OSError, RpcError, ValueError) as e:
            if time.monotonic() > deadline:
                print("cannot read the SB through the VIP: %s" % e)
                return 1
            time.sleep(0.1)
    have = {r["name"] for r in rows}
    missing = [n for n in names if n not in have]
    if missing_path:
        with open(missing_path, "w") as f:
            f.writelines(n + "\n" for n in missing)
    print("%d %d %s" % (len(names), len(missing), " ".join(missing[:5])))
    return 1 if missing else 0


def cmd_recovered(db, secs):
    deadline = time.monotonic() + float(secs)
    table = "NB_Global" if db == "nb" else "SB_Global"
    failed = False
    while time.monotonic() < deadline:
        try:
            one_transact(db, [select(table, ["_uuid"])])
            if failed:
                print("%.6f" % time.time())
                return 0
            time.sleep(0.05)
        except (OSError, RpcError, ValueError):
            failed = True
            time.sleep(0.05)
    print("%s through the VIP: %s" % (db, "no success after the outage" if failed else "never failed"))
    return 1


def cmd_ls_datapath(name, secs):
    deadline = time.monotonic() + float(secs)
    created = False
    while time.monotonic() < deadline:
        try:
            if not created:
                one_transact("nb", [{"op": "insert", "table": "Logical_Switch",
                                     "row": {"name": name}}])
                created = True
            rows = one_transact("sb", [select("Datapath_Binding", ["external_ids"])])[0]["rows"]
            for r in rows:
                ext = dict(r["external_ids"][1])
                if ext.get("name") == name:
                    print("%.6f" % time.time())
                    return 0
        except (OSError, RpcError, ValueError):
            pass
        time.sleep(0.05)
    print("logical switch %s: %s" % (name, "no Datapath_Binding in the SB" if created else "not created"))
    return 1


def cmd_idle(db, out, secs):
    c = Conn(db)
    with open(out, "w") as f:
        f.write("connected %d\n" % c.sock.getsockname()[1])
    deadline = time.monotonic() + float(secs)
    how = "timeout"
    try:
        while True:
            msg = c._recv_msg(deadline)
            if msg.get("method") == "echo":
                c._send({"result": msg.get("params"), "error": None, "id": msg.get("id")})
    except ConnectionResetError:
        how = "reset"
    except TimeoutError:
        how = "timeout"
    except RpcError as e:
        how = "closed" if "closed" in str(e) else "timeout"
    except OSError as e:
        how = "error %s" % e
    with open(out, "a") as f:
        f.write(how + "\n")
    return 0 if how == "reset" else 1


def cmd_nb_cfg():
    nb = one_transact("nb", [select("NB_Global", ["nb_cfg"])])[0]["rows"]
    sb = one_transact("sb", [select("SB_Global", ["nb_cfg"])])[0]["rows"]
    print("%s %s" % (nb[0]["nb_cfg"] if nb else "-", sb[0]["nb_cfg"] if sb else "-"))
    return 0


def cmd_tunnel_keys():
    global TIMEOUT
    TIMEOUT = 10.0
    dps, pbs = one_transact("sb", [select("Datapath_Binding", ["tunnel_key", "external_ids"]),
                                   select("Port_Binding", ["tunnel_key", "logical_port"])])
    keys = []
    for r in dps["rows"]:
        ext = dict(r["external_ids"][1])
        name = ext.get("name") or ext.get("logical-switch") or ext.get("logical-router") or "?"
        keys.append("dp:%s=%s" % (name, r["tunnel_key"]))
    keys += ["pb:%s=%s" % (r["logical_port"], r["tunnel_key"]) for r in pbs["rows"]]
    print(" ".join(["KEYS"] + sorted(keys)))
    return 0


def main(argv):
    cmds = {"write": cmd_write, "first-ack": cmd_first_ack, "gap": cmd_gap, "check": cmd_check,
            "recovered": cmd_recovered, "ls-datapath": cmd_ls_datapath, "nb-cfg": cmd_nb_cfg,
            "tunnel-keys": cmd_tunnel_keys, "idle": cmd_idle}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    args, opts = [], {}
    rest = argv[2:]
    while rest:
        a = rest.pop(0)
        if a in ("--interval", "--missing", "--into") and rest:
            opts[{"--missing": "missing_path"}.get(a, a[2:])] = rest.pop(0)
        else:
            args.append(a)
    if "interval" in opts:
        opts["interval"] = float(opts["interval"])
    if opts.get("into", "chassis") not in WRITES:
        print("--into: chassis or sb-global", file=sys.stderr)
        return 2
    return cmds[argv[1]](*args, **opts)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

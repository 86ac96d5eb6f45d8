#!/usr/bin/python3
"""Northbound clients of the RAFT figure (raft.sh), run in the client netns.

REMOTES is a comma-separated list like ovsdb-client's: tcp:IP:PORT[,tcp:IP:PORT...].
With more than one remote a connection is used only if its server says it is the
database's leader (_Server.Database "leader", what ovsdb-client and OVN's IDL check:
leader-only); the remotes are tried in order, starting with the one that was the leader
last time. Every connect and every reply is bounded (0.5 s), so a dead or moving server
costs at most that much before the next remote or attempt.

    nbclient.py fresh LOG PIDFILE REMOTES TAG [--interval S] [--connect-bound B]
        The fresh-connection writer: every S (0.05) seconds a new connection, one
        transaction inserting an Address_Set named f_TAG_N (external_ids w=TAG), closed.
        B (0.5): the bound of each connect (the TCP handshake) alone; replies keep 0.5 s.
        Each acknowledged insert is appended to LOG as "<sent epoch> <ack epoch> <name>".
        SIGTERM: exit after the attempt in flight.
    nbclient.py nbctl LOG PIDFILE SOCKET TAG [--interval S]
        The same through OVN's own IDL: `ovn-nbctl create Address_Set ...` sent to the
        ovn-nbctl daemon listening on SOCKET (OVN_NB_DAEMON), one after the other, S
        apart (named n_TAG_N); exit 0 of ovn-nbctl is the acknowledgement.
    nbclient.py first LOG T0 SECS
        Waits (at most SECS) for the first ack in LOG of a write sent at or after T0;
        prints "<seconds since T0> <longest gap between acks around T0>".
    nbclient.py sbvis NB_REMOTES SB_REMOTES NAME T0 SECS
        Creates logical switch NAME in NB (fresh connections, retried until
        acknowledged), then reads SB until its Datapath_Binding is there; prints
        "<s from T0 to the NB ack> <s from T0 to the SB row>". Exit 1 after SECS.
    nbclient.py sbvis-nbctl SOCKET NAME T0 SECS
        `ovn-nbctl --wait=sb --may-exist ls-add NAME` through the daemon on SOCKET,
        retried until it exits 0 (the barrier: northd has processed it into SB); prints
        "<s from T0 to the exit>". Exit 1 after SECS.
    nbclient.py sbfirst SB_REMOTES T0 SECS [NOT_IP]
        The SB side of scale.sh's RAFT figure, as failover.sh's client does it through a
        VIP: attempts back to back (50 ms apart), each a fresh connection to the SB
        leader inserting one Chassis with its Encap (names sf-<T0>-N, Encap ips in 12/8),
        until one is acknowledged by a leader other than NOT_IP; prints "<s from T0 to
        that ack> <the leader's ip> <attempts>", then deletes every such Chassis (its
        Encap goes with it). Exit 1 after SECS.
    nbclient.py check REMOTES TAG LOG...
        Every name the LOGs hold (read before the query) is an Address_Set in NB; prints
        "<n acked> <n missing>" for each LOG on one line (the first missing names on
        stderr; exit 1 if any is missing), then deletes the Address_Sets with
        external_ids w=TAG.
    nbclient.py tput REMOTES SECS
        One connection to the leader, single-row inserts back to back for SECS seconds;
        prints "<transactions> <per s> <p50 ms> <p99 ms> <max ms>"; then deletes them.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time

NB = "OVN_Northbound"
SB = "OVN_Southbound"
TIMEOUT = 0.5
CONNECT_BOUND = None  # the connect's own bound when set (fresh --connect-bound), else TIMEOUT


class RpcError(Exception):
    pass


def parse_remotes(text):
    out = []
    for r in text.split(","):
        proto, ip, port = r.split(":")
        if proto != "tcp":
            raise ValueError("only tcp: remotes: %s" % r)
        out.append((ip, int(port)))
    return out


class Conn:
    """One JSON-RPC connection; every call bounded by TIMEOUT."""

    def __init__(self, addr):
        self.sock = socket.create_connection(addr, timeout=CONNECT_BOUND or TIMEOUT)
        self.sock.settimeout(TIMEOUT)
        self.buf = ""
        self.dec = json.JSONDecoder()
        self.next_id = 0

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

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
        self.sock.sendall(json.dumps({"method": method, "params": params, "id": rid}).encode())
        deadline = time.monotonic() + TIMEOUT
        while True:
            msg = self._recv_msg(deadline)
            if msg.get("method") == "echo":  # the server's inactivity probe
                self.sock.sendall(json.dumps({"result": msg.get("params"), "error": None,
                                              "id": msg.get("id")}).encode())
                continue
            if msg.get("id") != rid:
                continue
            if msg.get("error") is not None:
                raise RpcError("error reply: %s" % json.dumps(msg["error"]))
            return msg.get("result")

    def transact(self, db, ops):
        result = self.call("transact", [db] + ops)
        if not isinstance(result, list):
            raise RpcError("unexpected reply: %r" % (result,))
        for r in result:
            if isinstance(r, dict) and "error" in r:
                raise RpcError("transaction error: %s" % json.dumps(r))
        return result


LAST = {}  # db -> index of the remote that was the leader last time


def leader_conn(remotes, db):
    """A connection to the leader of db (any server if there is one remote)."""
    n = len(remotes)
    first = LAST.get(db, 0)
    why = "no remote"
    for k in range(n):
        i = (first + k) % n
        try:
            c = Conn(remotes[i])
        except OSError as e:
            why = "%s:%d: %s" % (remotes[i][0], remotes[i][1], e)
            continue
        if n == 1:
            return c
        try:
            rows = c.transact("_Server", [{"op": "select", "table": "Database",
                                           "where": [["name", "==", db]],
                                           "columns": ["leader", "connected"]}])[0]["rows"]
            if rows and rows[0].get("leader") is True and rows[0].get("connected") is True:
                LAST[db] = i
                return c
            why = "%s: not the leader" % remotes[i][0]
        except (OSError, RpcError, ValueError, KeyError, IndexError) as e:
            why = "%s: %s" % (remotes[i][0], e)
        c.close()
    raise RpcError(why)


def one_transact(remotes, db, ops):
    c = leader_conn(remotes, db)
    try:
        return c.transact(db, ops)
    finally:
        c.close()


def insert_as(name, tag):
    return [{"op": "insert", "table": "Address_Set",
             "row": {"name": name, "external_ids": ["map", [["w", tag]]]}}]


# ------------------------------------------------------------------------- writers

STOP = False


def on_term(signum, frame):
    global STOP
    STOP = True


def writer_setup(pidfile):
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    with open(pidfile + ".tmp", "w") as f:
        f.write("%d\n" % os.getpid())
    os.rename(pidfile + ".tmp", pidfile)


def cmd_fresh(log_path, pidfile, remotes, tag, interval=0.05, connect_bound=None):
    global CONNECT_BOUND
    CONNECT_BOUND = connect_bound
    writer_setup(pidfile)
    remotes = parse_remotes(remotes)
    log = open(log_path, "a")
    seq = 0
    while not STOP:
        seq += 1
        name = "f_%s_%d" % (tag, seq)
        sent = time.time()
        try:
            one_transact(remotes, NB, insert_as(name, tag))
            log.write("%.6f %.6f %s\n" % (sent, time.time(), name))
            log.flush()
        except (OSError, RpcError, ValueError):
            pass
        time.sleep(interval)
    return 0


def nbctl(sock, args, timeout):
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "OVN_NB_DAEMON": sock}
    try:
        r = subprocess.run(["ovn-nbctl"] + args, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=timeout)
        return r.returncode == 0
    except subprocess.TimeoutExpired:
        return False


def cmd_nbctl(log_path, pidfile, sock, tag, interval=0.05):
    writer_setup(pidfile)
    log = open(log_path, "a")
    seq = 0
    while not STOP:
        seq += 1
        name = "n_%s_%d" % (tag, seq)
        sent = time.time()
        if nbctl(sock, ["create", "Address_Set", "name=%s" % name, "external_ids:w=%s" % tag], 120):
            log.write("%.6f %.6f %s\n" % (sent, time.time(), name))
            log.flush()
        time.sleep(interval)
    return 0


# -------------------------------------------------------------------- measurements

def read_log(path):
    acks = []
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) == 3:  # a line being written has no newline yet: skipped
                acks.append((float(parts[0]), float(parts[1]), parts[2]))
    return acks


def cmd_first(log_path, t0, secs):
    t0, secs = float(t0), float(secs)
    while True:
        acks = read_log(log_path)
        first = next((a for a in acks if a[0] >= t0), None)
        if first:
            times = [a[1] for a in acks if a[1] < t0][-1:] + [a[1] for a in acks if a[1] >= t0]
            gap = max((b - a for a, b in zip(times, times[1:])), default=0.0)
            print("%.2f %.2f" % (first[1] - t0, gap))
            return 0
        if time.time() - t0 > secs:
            print("no write sent after the trigger acknowledged within %.0f s" % secs)
            return 1
        time.sleep(0.05)


def cmd_sbvis(nb_remotes, sb_remotes, name, t0, secs):
    nb_remotes, sb_remotes = parse_remotes(nb_remotes), parse_remotes(sb_remotes)
    t0, deadline = float(t0), float(t0) + float(secs)
    t_nb = None
    while time.time() < deadline:
        try:
            if t_nb is None:
                one_transact(nb_remotes, NB, [{"op": "insert", "table": "Logical_Switch",
                                               "row": {"name": name}}])
                t_nb = time.time()
            rows = one_transact(sb_remotes, SB, [{
                "op": "select", "table": "Datapath_Binding",
                "where": [["external_ids", "includes", ["map", [["name", name]]]]],
                "columns": ["_uuid"]}])[0]["rows"]
            if rows:
                print("%.2f %.2f" % (t_nb - t0, time.time() - t0))
                return 0
        except (OSError, RpcError, ValueError):
            pass
        time.sleep(0.05)
    print("logical switch %s: %s within %s s" % (
        name, "no Datapath_Binding in SB" if t_nb else "not acknowledged by NB", secs))
    return 1


def cmd_sbvis_nbctl(sock, name, t0, secs):
    t0, deadline = float(t0), float(t0) + float(secs)
    while time.time() < deadline:
        left = max(1.0, deadline - time.time())
        if nbctl(sock, ["--wait=sb", "--may-exist", "ls-add", name], left):
            print("%.2f" % (time.time() - t0))
            return 0
        time.sleep(0.05)
    print("ovn-nbctl --wait=sb ls-add %s: no success within %s s" % (name, secs))
    return 1


def insert_chassis(name, ip):
    return [{"op": "insert", "table": "Encap", "uuid-name": "e",
             "row": {"type": "geneve", "ip": ip, "chassis_name": name}},
            {"op": "insert", "table": "Chassis",
             "row": {"name": name, "hostname": "sbfirst", "encaps": ["named-uuid", "e"]}}]


def cmd_sbfirst(sb_remotes, t0, secs, not_ip=""):
    remotes = parse_remotes(sb_remotes)
    t0, deadline = float(t0), float(t0) + float(secs)
    seq, why = 0, "no attempt"
    while time.time() < deadline:
        seq += 1
        name = "sf-%d-%d" % (int(t0), seq)
        ip = "12.%d.%d.%d" % (int(t0) & 255, seq >> 8 & 255, seq & 255)
        try:
            c = leader_conn(remotes, SB)
            try:
                by = c.sock.getpeername()[0]
                c.transact(SB, insert_chassis(name, ip))
            finally:
                c.close()
            if by != not_ip:
                print("%.2f %s %d" % (time.time() - t0, by, seq))
                try:  # the rows of this and earlier runs (their Encaps go with them)
                    one_transact(remotes, SB, [{"op": "delete", "table": "Chassis",
                                                "where": [["hostname", "==", "sbfirst"]]}])
                except (OSError, RpcError, ValueError) as e:
                    print("cleanup of the sbfirst Chassis rows failed: %s" % e, file=sys.stderr)
                return 0
            why = "acknowledged by %s" % by
        except (OSError, RpcError, ValueError) as e:
            why = str(e)
        time.sleep(0.05)
    print("no SB transaction acknowledged within %s s (the last attempt: %s)" % (secs, why))
    return 1


def cmd_check(remotes, tag, *logs):
    global TIMEOUT
    TIMEOUT = 10.0
    remotes = parse_remotes(remotes)
    names = [[a[2] for a in read_log(path)] for path in logs]  # read before the query
    deadline = time.monotonic() + 60
    while True:
        try:
            rows = one_transact(remotes, NB, [{"op": "select", "table": "Address_Set",
                                               "where": [], "columns": ["name"]}])[0]["rows"]
            break
        except (OSError, RpcError, ValueError) as e:
            if time.monotonic() > deadline:
                print("cannot read NB: %s" % e)
                return 2
            time.sleep(0.2)
    have = {r["name"] for r in rows}
    missing = [[n for n in log if n not in have] for log in names]
    print(" ".join("%d %d" % (len(n), len(m)) for n, m in zip(names, missing)))
    for m in missing:
        if m:
            print("missing: %s" % " ".join(m[:5]), file=sys.stderr)
    try:
        one_transact(remotes, NB, [{"op": "delete", "table": "Address_Set",
                                    "where": [["external_ids", "includes",
                                               ["map", [["w", tag]]]]]}])
    except (OSError, RpcError, ValueError) as e:
        print("cleanup of %s failed: %s" % (tag, e), file=sys.stderr)
    return 1 if any(missing) else 0


def cmd_tput(remotes, secs):
    global TIMEOUT
    TIMEOUT = 5.0
    remotes = parse_remotes(remotes)
    tag = "tput%d" % int(time.time())
    c = leader_conn(remotes, NB)
    lat = []
    end = time.monotonic() + float(secs)
    t_start = time.monotonic()
    try:
        while time.monotonic() < end:
            t = time.perf_counter()
            c.transact(NB, insert_as("%s_%d" % (tag, len(lat)), tag))
            lat.append(time.perf_counter() - t)
    finally:
        c.close()
    took = time.monotonic() - t_start
    lat.sort()
    n = len(lat)
    pick = lambda q: lat[min(n - 1, int(q * n))] * 1000  # noqa: E731
    print("%d %.0f %.2f %.2f %.2f" % (n, n / took, pick(0.5), pick(0.99), lat[-1] * 1000))
    one_transact(remotes, NB, [{"op": "delete", "table": "Address_Set",
                                "where": [["external_ids", "includes", ["map", [["w", tag]]]]]}])
    return 0


def main(argv):
    cmds = {"fresh": cmd_fresh, "nbctl": cmd_nbctl, "first": cmd_first, "sbvis": cmd_sbvis,
            "sbvis-nbctl": cmd_sbvis_nbctl, "sbfirst": cmd_sbfirst, "check": cmd_check, "tput": cmd_tput}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    args, opts = [], {}
    rest = argv[2:]
    while rest:
        a = rest.pop(0)
        if a == "--interval" and rest:
            opts["interval"] = float(rest.pop(0))
        elif a == "--connect-bound" and rest:
            opts["connect_bound"] = float(rest.pop(0))
        else:
            args.append(a)
    return cmds[argv[1]](*args, **opts)


if __name__ == "__main__":
    sys.exit(main(sys.argv))

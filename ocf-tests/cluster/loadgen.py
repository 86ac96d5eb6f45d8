#!/usr/bin/python3
"""Load on OVN's databases through the VIP, as many ovn-controllers and a busy CMS make it
(load.sh runs it in the client netns; stdlib only, one process, selectors).

    loadgen.py run STATS [--controllers N] [--seconds S] [--switches K] [--ports P]
                         [--burst-every S] [--max-bursts N]

Controllers: N connections to the SB (VIP:6642), each doing what ovn-controller does when
it starts: registers its Chassis (+ Encap), then `monitor_cond` of Chassis, Encap,
Datapath_Binding, Port_Binding, Logical_Flow, MAC_Binding and SB_Global, with conditions
(every other controller only the ingress pipeline's flows and the ports of its own
chassis and of no chassis; the rest everything, like `ovn-monitor-all=true`). Updates are
read and thrown away; the server's inactivity probes (`echo`) are answered. A connection
the server closes is reopened after 1 s (counted).

NB bursts: one connection to the NB (VIP:6641); every --burst-every seconds one burst:
creates K logical switches of P ports each (one transaction per switch), then, the next
burst, deletes them again, so that ovn-northd recomputes and the SB pushes the new and
removed flows and bindings to every monitor. Acked and failed NB transactions are counted.

Bounded: stops by itself after --seconds (and after --max-bursts bursts, if given), closes
every connection, and writes its figures as one JSON object to STATS. SIGTERM stops it
early (figures still written).
"""

import argparse
import errno
import json
import os
import selectors
import signal
import socket
import sys
import time

VIP = os.environ.get("LOADGEN_VIP", "198.51.100.100")
NB_PORT, SB_PORT = 6641, 6642
ECHO = b'"method":"echo"'
STOP = False


def on_term(signum, frame):
    global STOP
    STOP = True


class Controller:
    """One simulated ovn-controller: a non-blocking SB connection."""

    def __init__(self, i):
        self.i = i
        self.name = "lg-ch-%d" % i
        self.sock = None
        self.state = "closed"
        self.retry_at = 0.0
        self.tail = b""
        self.out = b""
        self.connects = 0

    def requests(self):
        cond_all = [True]
        if self.i % 2:
            lflow = [["pipeline", "==", "ingress"]]
            pb = [["chassis", "==", ["set", []]], ["type", "==", "localnet"]]
        else:
            lflow, pb = cond_all, cond_all
        reg = {"id": "reg", "method": "transact", "params": [
            "OVN_Southbound",
            {"op": "insert", "table": "Encap", "uuid-name": "e",
             "row": {"type": "geneve", "ip": "10.250.%d.%d" % (self.i >> 8, self.i & 255),
                     "chassis_name": self.name}},
            {"op": "insert", "table": "Chassis",
             "row": {"name": self.name, "hostname": self.name,
                     "encaps": ["named-uuid", "e"]}}]}
        mon = {"id": "mon", "method": "monitor_cond", "params": [
            "OVN_Southbound", "lg-%d" % self.i, {
                "SB_Global": [{"where": cond_all}],
                "Chassis": [{"where": cond_all}],
                "Encap": [{"where": cond_all}],
                "Datapath_Binding": [{"where": cond_all}],
                "Port_Binding": [{"where": pb}],
                "Logical_Flow": [{"where": lflow}],
                "MAC_Binding": [{"where": cond_all}],
            }]}
        return (json.dumps(reg) + json.dumps(mon)).encode()


class Load:
    def __init__(self, a):
        self.a = a
        self.sel = selectors.DefaultSelector()
        self.ctl = [Controller(i) for i in range(a.controllers)]
        self.stats = {"controllers": a.controllers, "connects": 0, "reconnects": 0,
                      "closed_by_server": 0, "connect_errors": 0, "sb_bytes": 0,
                      "echo_replies": 0, "peak_connected": 0, "bursts": 0,
                      "nb_acked": 0, "nb_failed": 0, "nb_errors": []}
        self.nb = None
        self.nb_buf = ""
        self.nb_id = 0
        self.burst_no = 0

    # ------------------------------------------------------------------ SB controllers

    def open(self, c, now):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setblocking(False)
        err = s.connect_ex((VIP, SB_PORT))
        if err not in (0, errno.EINPROGRESS):
            s.close()
            self.stats["connect_errors"] += 1
            c.retry_at = now + 1.0
            return
        c.sock, c.state, c.tail = s, "connecting", b""
        c.out = c.requests()
        c.connects += 1
        self.stats["connects"] += 1
        if c.connects > 1:
            self.stats["reconnects"] += 1
        self.sel.register(s, selectors.EVENT_READ | selectors.EVENT_WRITE, c)

    def close(self, c, now, by_server):
        if c.sock is not None:
            self.sel.unregister(c.sock)
            c.sock.close()
        c.sock, c.state, c.retry_at = None, "closed", now + 1.0
        if by_server:
            self.stats["closed_by_server"] += 1

    def on_event(self, c, mask, now):
        if mask & selectors.EVENT_WRITE:
            if c.state == "connecting":
                err = c.sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                if err:
                    self.stats["connect_errors"] += 1
                    self.close(c, now, False)
                    return
                c.state = "open"
            try:
                n = c.sock.send(c.out)
                c.out = c.out[n:]
            except BlockingIOError:
                pass
            except OSError:
                self.close(c, now, True)
                return
            if not c.out:
                self.sel.modify(c.sock, selectors.EVENT_READ, c)
        if mask & selectors.EVENT_READ:
            try:
                data = c.sock.recv(262144)
            except BlockingIOError:
                return
            except OSError:
                self.close(c, now, True)
                return
            if not data:
                self.close(c, now, True)
                return
            self.stats["sb_bytes"] += len(data)
            # Only the server's probes need an answer: {"id":"echo","method":"echo",...}.
            if ECHO in c.tail + data:
                self.stats["echo_replies"] += 1
                c.out += b'{"id":"echo","result":[],"error":null}'
                self.sel.modify(c.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, c)
            c.tail = data[-32:]

    # ------------------------------------------------------------------ NB bursts

    def nb_call(self, ops):
        """One NB transaction, bounded by 10 s; True if acknowledged."""
        try:
            if self.nb is None:
                self.nb = socket.create_connection((VIP, NB_PORT), timeout=5)
                self.nb_buf = ""
            self.nb_id += 1
            rid = self.nb_id
            self.nb.sendall(json.dumps({"id": rid, "method": "transact",
                                        "params": ["OVN_Northbound"] + ops}).encode())
            end = time.monotonic() + 10
            dec = json.JSONDecoder()
            while True:
                s = self.nb_buf.lstrip()
                msg = None
                if s:
                    try:
                        msg, used = dec.raw_decode(s)
                        self.nb_buf = s[used:]
                    except ValueError:
                        msg = None
                if msg is None:
                    left = end - time.monotonic()
                    if left <= 0:
                        raise OSError("NB transaction not answered in 10 s")
                    self.nb.settimeout(left)
                    d = self.nb.recv(65536)
                    if not d:
                        raise OSError("NB closed the connection")
                    self.nb_buf += d.decode()
                    continue
                if msg.get("method") == "echo":
                    self.nb.sendall(json.dumps({"id": msg.get("id"), "result": msg.get("params"),
                                                "error": None}).encode())
                    continue
                if msg.get("id") != rid:
                    continue
                res = msg.get("result")
                if msg.get("error") is not None or not isinstance(res, list) or any(
                        isinstance(r, dict) and "error" in r for r in res):
                    raise OSError("NB transaction failed: %s" % json.dumps(msg)[:200])
                self.stats["nb_acked"] += 1
                return True
        except (OSError, ValueError) as e:
            self.stats["nb_failed"] += 1
            if len(self.stats["nb_errors"]) < 5:
                self.stats["nb_errors"].append(str(e))
            if self.nb is not None:
                self.nb.close()
            self.nb = None
            return False

    def burst(self):
        """Creates (even bursts) or deletes (odd bursts) K switches of P ports each."""
        self.stats["bursts"] += 1
        create = self.burst_no % 2 == 0
        self.burst_no += 1
        for k in range(self.a.switches):
            ls = "lg-ls-%d" % k
            if create:
                ops = [{"op": "insert", "table": "Logical_Switch_Port", "uuid-name": "p%d" % p,
                        "row": {"name": "%s-p%d" % (ls, p),
                                "addresses": "02:00:00:%02x:%02x:%02x 10.%d.%d.%d" % (
                                    k, p >> 8, p & 255, 100 + k, p >> 8, p & 255)}}
                       for p in range(self.a.ports)]
                ops.append({"op": "insert", "table": "Logical_Switch",
                            "row": {"name": ls, "ports": ["set", [["named-uuid", "p%d" % p]
                                                                  for p in range(self.a.ports)]]}})
            else:
                ops = [{"op": "delete", "table": "Logical_Switch",
                        "where": [["name", "==", ls]]}]
            self.nb_call(ops)

    # ------------------------------------------------------------------ main loop

    def run(self):
        t0 = time.monotonic()
        end = t0 + self.a.seconds
        next_burst = t0 + 5.0  # let the controllers connect first
        while not STOP and time.monotonic() < end:
            now = time.monotonic()
            for c in self.ctl:
                if c.sock is None and now >= c.retry_at:
                    self.open(c, now)
            if now >= next_burst and (self.a.max_bursts == 0 or
                                      self.stats["bursts"] < self.a.max_bursts):
                self.burst()
                next_burst = time.monotonic() + self.a.burst_every
            for key, mask in self.sel.select(timeout=0.2):
                self.on_event(key.data, mask, time.monotonic())
            up = sum(1 for c in self.ctl if c.state == "open")
            self.stats["peak_connected"] = max(self.stats["peak_connected"], up)
        self.stats["seconds"] = round(time.monotonic() - t0, 1)
        self.stats["connected_at_end"] = sum(1 for c in self.ctl if c.state == "open")
        for c in self.ctl:
            self.close(c, time.monotonic(), False)
        if self.nb is not None:
            self.nb.close()
        return self.stats


def main():
    p = argparse.ArgumentParser()
    p.add_argument("cmd", choices=["run"])
    p.add_argument("stats")
    p.add_argument("--controllers", type=int, default=200)
    p.add_argument("--seconds", type=float, default=300)
    p.add_argument("--switches", type=int, default=10)
    p.add_argument("--ports", type=int, default=20)
    p.add_argument("--burst-every", type=float, default=2.0)
    p.add_argument("--max-bursts", type=int, default=0)
    a = p.parse_args()
    if not 0 < a.seconds <= 3600 or not 0 < a.controllers <= 2000:
        sys.exit("loadgen: --seconds in (0, 3600], --controllers in (0, 2000]")
    signal.signal(signal.SIGTERM, on_term)
    stats = Load(a).run()
    with open(a.stats + ".tmp", "w") as f:
        json.dump(stats, f)
    os.replace(a.stats + ".tmp", a.stats)
    print(json.dumps(stats))


if __name__ == "__main__":
    main()

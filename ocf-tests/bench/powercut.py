#!/usr/bin/python3
"""Does the cluster lab's power cut undo a write that was reported durable?

    powercut.py ROUNDS stop|nostop plain|ovsdb [WORKDIR]

Each round: a fresh ext4 on a loop device (a 128 MiB image in WORKDIR, default
/var/tmp/ovn-ocf-powercut), mounted `sync` as README's LUN is; a writer appends to it and
reports every write that returned success (plain: write() of 300-byte lines by a child
process, each success reported on a pipe; ovsdb: an ovsdb-server on 127.0.0.1 with its
database there, and a client adding one key to SB_Global per transaction, each
acknowledged transaction counted). After 0.5-1.5 s: the cut of ocf-tests/cluster/
powerswitch.py: with "stop", the writer's process (ovsdb-server for ovsdb) is stopped
first (SIGSTOP, waited for until /proc says it is), then EXT4_IOC_SHUTDOWN with NOLOGFLUSH,
then SIGKILL. Remount, and count what was reported and is missing. Prints one line per
round and "<mode> <writer>: rounds with a lost acknowledged write: N of ROUNDS".

Measured on kernel 6.18 (2026-11-30): nostop plain 4 of 100, stop plain 0 of 100;
nostop ovsdb 3 of 60, stop ovsdb 0 of 60. Needs root; cleans up its mount and loop
device on exit. Uses only the Python standard library and ovsdb-server/ovsdb-tool.
"""

import fcntl
import json
import os
import random
import signal
import socket
import struct
import subprocess
import sys
import time

EXT4_IOC_SHUTDOWN = 0x8004587D
NOLOGFLUSH = 2
SB_SCHEMA = "/usr/share/ovn/ovn-sb.ovsschema"
PORT = 16642

PLAIN = r'''
import os, sys
fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
i = 0
while True:
    i += 1
    line = ("%08d " % i) + "x" * 300 + "\n"
    try:
        if os.write(fd, line.encode()) != len(line):
            break
    except OSError:
        break
    os.write(1, b"%d\n" % i)
'''


def sh(*a):
    return subprocess.run(a, check=True, capture_output=True, text=True).stdout


def state(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0]


def cut(mnt, victim, stop):
    if stop:
        os.kill(victim.pid, signal.SIGSTOP)
        while state(victim.pid) != "T":
            time.sleep(0.0005)
    fd = os.open(mnt, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.ioctl(fd, EXT4_IOC_SHUTDOWN, struct.pack("I", NOLOGFLUSH))
    finally:
        os.close(fd)
    victim.kill()
    victim.wait()


def round_plain(mnt, stop):
    """(reported, lost)"""
    path = os.path.join(mnt, "plain.log")
    rd, wr = os.pipe()
    p = subprocess.Popen([sys.executable, "-c", PLAIN, path], stdout=wr)
    os.close(wr)
    flags = fcntl.fcntl(rd, fcntl.F_GETFL)
    fcntl.fcntl(rd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
    got = b""
    end = time.monotonic() + 0.5 + random.random()
    while time.monotonic() < end:
        try:
            got += os.read(rd, 65536)
        except BlockingIOError:
            time.sleep(0.001)
    cut(mnt, p, stop)
    fcntl.fcntl(rd, fcntl.F_SETFL, flags)
    while True:
        b = os.read(rd, 65536)
        if not b:
            break
        got += b
    os.close(rd)
    words = got.split()
    reported = int(words[-1]) if words else 0
    return path, lambda: (reported, max(0, reported - open(path, "rb").read().count(b"\n")))


class Client:
    def __init__(self):
        for _ in range(200):
            try:
                self.s = socket.create_connection(("127.0.0.1", PORT), timeout=2)
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise RuntimeError("ovsdb-server does not answer on 127.0.0.1:%d" % PORT)
        self.buf, self.dec, self.id = "", json.JSONDecoder(), 0

    def call(self, ops):
        self.id += 1
        self.s.sendall(json.dumps({"method": "transact", "id": self.id,
                                   "params": ["OVN_Southbound"] + ops}).encode())
        while True:
            st = self.buf.lstrip()
            try:
                msg, end = self.dec.raw_decode(st)
                self.buf = st[end:]
                return msg
            except ValueError:
                d = self.s.recv(65536)
                if not d:
                    raise OSError("closed")
                self.buf += d.decode()


def round_ovsdb(mnt, stop, run):
    db = os.path.join(mnt, "sb.db")
    sh("ovsdb-tool", "create", db, SB_SCHEMA)
    srv = subprocess.Popen(["ovsdb-server", db, "--remote=ptcp:%d:127.0.0.1" % PORT,
                            "--no-chdir", "--unixctl=" + os.path.join(run, "ctl"),
                            "-vconsole:off", "-vfile:off"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    c = Client()
    c.call([{"op": "insert", "table": "SB_Global", "row": {}}])
    acked = []
    import threading

    def writer():
        seq = 0
        while True:
            seq += 1
            name = "k%d" % seq
            try:
                r = c.call([{"op": "mutate", "table": "SB_Global", "where": [],
                             "mutations": [["external_ids", "insert", ["map", [[name, "x"]]]]]}])
            except (OSError, ValueError):
                return
            res = r.get("result") or []
            if r.get("error") is not None or any("error" in x for x in res) or res[0].get("count") != 1:
                return
            acked.append(name)

    t = threading.Thread(target=writer)
    t.start()
    time.sleep(0.5 + random.random())
    cut(mnt, srv, stop)
    t.join()

    def count():
        out = json.loads(sh("ovsdb-tool", "query", db, json.dumps(
            ["OVN_Southbound", {"op": "select", "table": "SB_Global", "where": [],
                                "columns": ["external_ids"]}])))
        have = {k for k, _ in out[0]["rows"][0]["external_ids"][1]}
        return len(acked), sum(1 for n in acked if n not in have)
    return db, count


def main(argv):
    if len(argv) < 4 or argv[2] not in ("stop", "nostop") or argv[3] not in ("plain", "ovsdb"):
        print(__doc__, file=sys.stderr)
        return 2
    rounds, stop, kind = int(argv[1]), argv[2] == "stop", argv[3]
    work = argv[4] if len(argv) > 4 else "/var/tmp/ovn-ocf-powercut"
    mnt, img = os.path.join(work, "mnt"), os.path.join(work, "lun.img")
    os.makedirs(mnt, exist_ok=True)
    if not os.path.exists(img):
        sh("truncate", "-s", "128M", img)
        sh("mkfs.ext4", "-q", "-F", img)
    loop = sh("losetup", "--show", "-f", img).strip()
    bad = 0
    try:
        for r in range(rounds):
            sh("mount", "-o", "sync", loop, mnt)
            for f in os.listdir(mnt):
                if f != "lost+found":
                    os.unlink(os.path.join(mnt, f))
            _, count = round_plain(mnt, stop) if kind == "plain" else round_ovsdb(mnt, stop, work)
            sh("umount", mnt)
            sh("mount", "-o", "sync", loop, mnt)
            reported, lost = count()
            sh("umount", mnt)
            bad += lost > 0
            print("round %d: %d reported durable, %d of them missing after the remount"
                  % (r + 1, reported, lost), flush=True)
    finally:
        subprocess.run(["umount", mnt], capture_output=True)
        subprocess.run(["losetup", "-d", loop], capture_output=True)
    print("%s %s: rounds with a lost acknowledged write: %d of %d"
          % ("stop" if stop else "nostop", kind, bad, rounds))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

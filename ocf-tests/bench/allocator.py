#!/usr/bin/python3
"""What the memory allocator costs ovsdb-server on a big database: for each database file
given, with glibc's malloc and with each of tcmalloc and jemalloc that is installed
(LD_PRELOAD, nothing else changed), in turns: seconds from exec until the server answers
(it has read and indexed the whole file: what a takeover of shapes A and B waits for),
then seconds until a client that asked to monitor every table has the whole reply (what
the server is frozen for when a cold ovn-northd or a replica connects), and the peak RSS.

    ocf-tests/bench/allocator.py [--runs N] [--report FILE] DB [DB...]

Root not needed. Each run: the file copied into a mktemp -d directory (page cache warm,
as after a mount that read it), ovsdb-server started on it with a unix socket, polled
with list_dbs every 50 ms, then one `monitor` of every table and column and an `echo`
behind it (the server answers in order, so the echo's reply ends the monitor's), then
SIGTERM by PID. Prints, per file and allocator, the median (min-max) of RUNS runs (3)
and the ratio to glibc's median measured in the same run; --report FILE also writes
them as a markdown section. Uses only the Python standard library.
"""

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time

ALLOCATORS = [
    ("glibc", None),
    ("tcmalloc", "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"),
    ("jemalloc", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"),
]
DEADLINE = 600  # seconds any one step may take


def rpc(sock, method, params, rid):
    sock.sendall(json.dumps({"method": method, "params": params, "id": rid}).encode())


def read_until(sock, marker, deadline):
    """Reads until the bytes end with a reply containing marker; returns bytes read."""
    tail = b""
    total = 0
    while True:
        sock.settimeout(max(0.1, deadline - time.monotonic()))
        data = sock.recv(1 << 20)
        if not data:
            raise RuntimeError("connection closed")
        total += len(data)
        tail = (tail + data)[-4096:]
        if marker in tail:
            return total
        if time.monotonic() > deadline:
            raise RuntimeError("no reply in time")


def one_run(db, preload):
    d = tempfile.mkdtemp(prefix="ovn-ocf-allocator.")
    proc = None
    try:
        path = os.path.join(d, "db")
        shutil.copyfile(db, path)
        sock_path = os.path.join(d, "sock")
        env = dict(os.environ)
        if preload:
            env["LD_PRELOAD"] = preload
        t0 = time.monotonic()
        proc = subprocess.Popen(
            ["ovsdb-server", path, "--remote=punix:" + sock_path,
             "--unixctl=" + os.path.join(d, "ctl"), "--no-chdir",
             "--log-file=" + os.path.join(d, "log")],
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = t0 + DEADLINE
        while True:
            if proc.poll() is not None:
                raise RuntimeError("ovsdb-server exited with %d" % proc.returncode)
            if time.monotonic() > deadline:
                raise RuntimeError("ovsdb-server did not answer in %d s" % DEADLINE)
            try:
                s = socket.socket(socket.AF_UNIX)
                s.connect(sock_path)
                rpc(s, "list_dbs", [], "l")
                read_until(s, b'"id":"l"', time.monotonic() + 5)
                break
            except (OSError, RuntimeError):
                s.close()
                time.sleep(0.05)
        loaded = time.monotonic() - t0
        # The schema, for every table's name.
        rpc(s, "get_schema", ["OVN_Southbound"], "g")
        buf = b""
        dec = json.JSONDecoder()
        while True:
            buf += s.recv(1 << 20)
            try:
                msg, _ = dec.raw_decode(buf.decode())
                break
            except ValueError:
                continue
        tables = msg["result"]["tables"]
        t1 = time.monotonic()
        rpc(s, "monitor", ["OVN_Southbound", None, {t: {} for t in tables}], "m")
        rpc(s, "echo", [], "e")
        nbytes = read_until(s, b'"id":"e"', t1 + DEADLINE)
        monitor = time.monotonic() - t1
        s.close()
        with open("/proc/%d/status" % proc.pid) as f:
            hwm = next(int(line.split()[1]) for line in f if line.startswith("VmHWM"))
        return loaded, monitor, hwm // 1024, nbytes
    finally:
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(d, ignore_errors=True)


def fmt(values):
    return "%.2f (%.2f–%.2f)" % (statistics.median(values), min(values), max(values))


def main(argv):
    runs, report, dbs = 3, None, []
    args = argv[1:]
    while args:
        a = args.pop(0)
        if a == "--runs" and args:
            runs = int(args.pop(0))
        elif a == "--report" and args:
            report = args.pop(0)
        elif a.startswith("-"):
            print(__doc__, file=sys.stderr)
            return 2
        else:
            dbs.append(a)
    if not dbs or runs < 1:
        print(__doc__, file=sys.stderr)
        return 2
    allocs = [(n, p) for n, p in ALLOCATORS if p is None or os.path.exists(p)]
    rows = []
    for db in dbs:
        size = os.path.getsize(db) / 1e6
        res = {n: [] for n, _ in allocs}
        for i in range(runs):  # in turns, so that a slow moment of the host hits all
            for name, preload in allocs:
                r = one_run(db, preload)
                res[name].append(r)
                print("%s %.0f MB run %d %-8s: answers after %.2f s, whole-database "
                      "monitor %.2f s (%d MB), peak RSS %d MB"
                      % (os.path.basename(db), size, i + 1, name, r[0], r[1],
                         r[3] // 1000000, r[2]), flush=True)
        base_load = statistics.median(r[0] for r in res["glibc"])
        base_mon = statistics.median(r[1] for r in res["glibc"])
        for name, _ in allocs:
            load = [r[0] for r in res[name]]
            mon = [r[1] for r in res[name]]
            rss = statistics.median(r[2] for r in res[name])
            rows.append((size, name, fmt(load), statistics.median(load) / base_load,
                         fmt(mon), statistics.median(mon) / base_mon, rss))
    lines = [
        "| SB file | allocator | answers after start (s) | × glibc | whole-database "
        "monitor (s) | × glibc | peak RSS (MB) |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for size, name, load, lr, mon, mr, rss in rows:
        lines.append("| %.0f MB | %s | %s | %.2f | %s | %.2f | %d |"
                     % (size, name, load, lr, mon, mr, rss))
    print("\n".join(lines))
    if report:
        cmd = " ".join(["ocf-tests/bench/allocator.py", "--runs", str(runs)] + dbs)
        ver = subprocess.run(["ovsdb-server", "--version"], capture_output=True,
                             text=True).stdout.splitlines()[0]
        with open(report, "w") as f:
            f.write("## ovsdb-server's load and full-monitor time by memory allocator\n\n")
            f.write("Measured %s on this host (%d CPUs), %s, %d runs per file and "
                    "allocator, in turns; median (min–max). The same binary, only "
                    "`LD_PRELOAD` differs; glibc is Debian 12's malloc. \"Answers after "
                    "start\": exec → the first `list_dbs` reply (the file read and "
                    "indexed: what a takeover in shapes A and B waits for); \"whole-"
                    "database monitor\": a `monitor` of every table → its whole reply "
                    "(what the server is frozen for when a cold ovn-northd or a replica "
                    "connects). The files are the Southbound databases `make gendb` makes "
                    "(the sizes of the scale section: `make gendb GENDB_SIZE=large "
                    "GENDB_OUT=DIR`). Command:\n\n    %s\n\n"
                    % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
                       os.cpu_count(), ver, runs, cmd))
            f.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

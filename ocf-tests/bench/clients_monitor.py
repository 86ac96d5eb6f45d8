#!/usr/bin/python3
"""What keeping the clients list costs a monitor: a recurring depth-0 monitor of a
serving NB (storage=shared, its listener on 127.0.0.1) while N client connections are
open, wall time per call, for each agent binary given, in turns on the same server.

    ocf-tests/bench/clients_monitor.py N RUNS BINARY [BINARY...]

Root (ovsdb-server runs as root, as under Pacemaker). Starts NB through the first
binary's `start` in a mktemp -d directory (inactivity_probe=0, so that the idle clients
are not dropped), opens N connections, runs RUNS monitors per binary (in blocks of
RUNS/2, alternating), prints the median, 90th percentile and minimum per binary, then
how long one read of /proc/PID/net/tcp and tcp6 and of the server's fd links takes;
stops the server with `stop` whatever happens. Uses only the Python standard library.
"""

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def main(argv):
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    n, runs, bins = int(argv[1]), int(argv[2]), argv[3:]
    d = tempfile.mkdtemp(prefix="ovn-ocf-clients-monitor.")
    os.makedirs(d + "/db")
    os.makedirs(d + "/bin")
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    env = dict(os.environ, OCF_ROOT="/usr/lib/ocf", OCF_RESOURCE_INSTANCE="cost-nb",
               OCF_RESKEY_CRM_meta_timeout="20000", OCF_RESKEY_CRM_meta_interval="1000",
               OCF_RESKEY_db="nb", OCF_RESKEY_db_file=d + "/db/ovnnb_db.db",
               OCF_RESKEY_run_dir=d + "/run", OCF_RESKEY_log_file=d + "/log/nb.log",
               OCF_RESKEY_listen_address="127.0.0.1", OCF_RESKEY_port=str(port),
               OCF_RESKEY_inactivity_probe="0", HA_LOGFILE=d + "/agent.log")

    def agent(binary, action):
        link = d + "/bin/ovsdb-server"
        if os.path.lexists(link):
            os.unlink(link)
        os.symlink(os.path.abspath(binary), link)
        t = time.perf_counter()
        r = subprocess.run([link, action], env=env, capture_output=True)
        if r.returncode != 0:
            raise RuntimeError("%s %s: exit %d: %s" % (binary, action, r.returncode, r.stderr.decode()[-500:]))
        return time.perf_counter() - t

    agent(bins[0], "start")
    try:
        conns = [socket.create_connection(("127.0.0.1", port)) for _ in range(n)]
        time.sleep(1)
        times = {b: [] for b in bins}
        for _ in range(2):
            for b in bins:
                for _ in range(runs // 2):
                    times[b].append(agent(b, "monitor") * 1000)
        for b in bins:
            v = sorted(times[b])
            print("%s: median %.2f ms, p90 %.2f ms, min %.2f ms (%d monitors, %d clients)"
                  % (b, statistics.median(v), v[int(len(v) * 0.9)], v[0], len(v), len(conns)))
        pid = int(open(d + "/run/ovnnb_db.pid").read())
        for t in ("tcp", "tcp6"):
            t0 = time.perf_counter()
            lines = len(open("/proc/%d/net/%s" % (pid, t)).read().splitlines())
            print("one read of /proc/%d/net/%s: %d lines, %.2f ms" % (pid, t, lines, (time.perf_counter() - t0) * 1000))
        t0 = time.perf_counter()
        fds = [os.readlink("/proc/%d/fd/%s" % (pid, f)) for f in os.listdir("/proc/%d/fd" % pid)]
        print("readlink of the server's %d fds: %.2f ms" % (len(fds), (time.perf_counter() - t0) * 1000))
    finally:
        agent(bins[0], "stop")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

#!/usr/bin/python3
"""Host-side power switch of the namespace test cluster (see cluster.sh).

    powerswitch.py serve RUN CLUSTER_SH NODE...   the daemon: owns the node inits
    powerswitch.py ask SOCKET WORD...             one request, prints the reply

Protocol: one line per connection on the unix socket RUN/power.sock, answered by one line.
    on NODE      boot the node (netns + init); "ok" once its PID 1 exists
    off NODE     a power cut: first the node's port on the bridge goes down (nothing it
                 sends from then on reaches anyone: without this, the FINs its kernel
                 sends for the sockets of the processes killed below would tell every
                 client that its connection is gone, which a real power cut never does),
                 then every process of the node is stopped (SIGSTOP, and
                 waited for until each is stopped: a system call in flight, a synchronous
                 write among them, ends before its process stops, so no one learns of a
                 write that the cut below would then undo), then every ext4 filesystem the
                 node has mounted from its LUN is shut down without flushing anything
                 (EXT4_IOC_SHUTDOWN, NOLOGFLUSH, as xfstests' godown does: what was not on
                 the LUN yet is lost, as with real power loss; without it the kernel's
                 unmount of the dead namespace would write everything back), then SIGKILL
                 of the node's PID 1 (the whole PID namespace dies with it). Without the
                 stop, a write() on a filesystem mounted `sync` that raced the shutdown
                 could return success and yet be missing after the next mount (seen in
                 about 1 of 30 cuts with a plain appending writer, kernel 6.18: the shutdown
                 aborts the journal, and the write's commit wait takes the transaction
                 for committed); a real power cut cannot undo a write whose sync was
                 done. Waits until its mount namespace has released the
                 loop device, then deletes its netns (its addresses, the VIP among them,
                 leave the wire); "ok off cut=EPOCH" when all of that is done (EPOCH:
                 the wall-clock time the port was down, for timing from the cut; "ok off"
                 for a node that was off already). With the environment variable
                 OVNOCF_POWER_OFF=clean, the filesystems are not shut down first.
    status NODE  "ok on" / "ok off"
    list         "ok node1 node2 ..."
Errors are answered "error <reason>".

Only processes this switch started are ever signalled, by PID, after checking the PID's
start time against the one recorded at boot (RUN/NODE/init.pid: "<pid> <starttime>"),
and, for the stop at a power cut, the processes in that init's PID namespace (its
descendants), each found by its /proc/PID/ns/pid link.
Uses only the Python standard library (the system /usr/bin/python3).
"""

import errno
import fcntl
import os
import signal
import socket
import socketserver
import struct
import subprocess
import sys
import threading
import time


def log(msg):
    print(time.strftime("%H:%M:%S.") + "%03d" % (time.time() % 1 * 1000) + " " + msg, flush=True)


def proc_starttime(pid):
    """Start time (clock ticks since boot) of a live, non-zombie PID, else None."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2:].split()
    if fields[0] in ("Z", "X"):
        return None
    return fields[19]


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return []


class Switch:
    def __init__(self, run, cluster_sh, nodes):
        self.run = run
        self.cluster_sh = cluster_sh
        self.nodes = nodes
        self.locks = {n: threading.Lock() for n in nodes}
        self.procs = {}

    def _pidfile(self, node):
        return os.path.join(self.run, node, "init.pid")

    def init_pid(self, node):
        """PID of the node's live init, verified by start time, else None."""
        try:
            with open(self._pidfile(node)) as f:
                pid, start = f.read().split()
        except (FileNotFoundError, ValueError):
            return None
        pid = int(pid)
        return pid if proc_starttime(pid) == start else None

    def status(self, node):
        return "on" if self.init_pid(node) else "off"

    def on(self, node):
        if self.init_pid(node):
            return "on"
        subprocess.run([self.cluster_sh, "_net-up", node], check=True,
                       stdin=subprocess.DEVNULL, timeout=30)
        here = os.path.dirname(os.path.abspath(self.cluster_sh))
        ns = open(os.path.join(self.run, "id")).read().strip() + "-" + node
        console = open(os.path.join(self.run, node, "console.log"), "ab")
        p = subprocess.Popen(
            ["nsenter", "--net=/run/netns/" + ns, "--",
             "unshare", "--mount", "--uts", "--ipc", "--pid", "--fork", "--mount-proc",
             "--propagation", "private", "--kill-child=SIGKILL",
             os.path.join(here, "node-init.sh"), node, self.run],
            stdin=subprocess.DEVNULL, stdout=console, stderr=subprocess.STDOUT,
            start_new_session=True)
        console.close()
        # nsenter execs unshare, which forks the node's PID 1: the only child of p.
        deadline = time.monotonic() + 10
        init = None
        while time.monotonic() < deadline and p.poll() is None:
            kids = children(p.pid)
            if kids:
                init = kids[0]
                break
            time.sleep(0.01)
        start = proc_starttime(init) if init else None
        if not start:
            p.kill()
            p.wait()
            raise RuntimeError("node init did not start (see %s/console.log)" % node)
        tmp = self._pidfile(node) + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d %s\n" % (init, start))
        os.rename(tmp, self._pidfile(node))
        self.procs[node] = p
        threading.Thread(target=self._reap, args=(node, p), daemon=True).start()
        log("%s powered on: init pid %d" % (node, init))
        return "on"

    def _reap(self, node, p):
        rc = p.wait()
        log("%s: unshare %d exited (%s): node is down" % (node, p.pid, rc))

    def off(self, node):
        pid = self.init_pid(node)
        cut = None
        if pid:
            subprocess.run([self.cluster_sh, "_net-cut", node], check=True,
                           stdin=subprocess.DEVNULL, timeout=30)
            cut = time.time()
            log("%s: wire cut" % node)
            if os.environ.get("OVNOCF_POWER_OFF", "cut") != "clean":
                self._freeze(node, pid)
                self._cut_filesystems(node, pid)
            os.kill(pid, signal.SIGKILL)
            log("%s: SIGKILL to init pid %d" % (node, pid))
            deadline = time.monotonic() + 30
            while proc_starttime(pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            if proc_starttime(pid):
                raise RuntimeError("init pid %d of %s survived SIGKILL for 30 s" % (pid, node))
        self._wait_lun_released(node)
        subprocess.run([self.cluster_sh, "_net-down", node], check=True,
                       stdin=subprocess.DEVNULL, timeout=30)
        try:
            os.unlink(self._pidfile(node))
        except FileNotFoundError:
            pass
        log("%s powered off" % node)
        return "off" if cut is None else "off cut=%.6f" % cut

    def _freeze(self, node, init):
        """SIGSTOP every process in the PID namespace of the node's init, until each is
        stopped (or dead): a process in a system call stops only once the call returns.
        Processes forked meanwhile are found by the next pass. At most 5 s."""
        try:
            ns = os.readlink("/proc/%d/ns/pid" % init)
        except OSError:
            return
        deadline = time.monotonic() + 5
        signalled = set()
        while True:
            running = 0
            for entry in os.listdir("/proc"):
                if not entry.isdigit():
                    continue
                pid = int(entry)
                try:
                    if os.readlink("/proc/%d/ns/pid" % pid) != ns:
                        continue
                    with open("/proc/%d/stat" % pid) as f:
                        state = f.read().rsplit(")", 1)[1].split()[0]
                    if state in ("T", "t", "Z", "X"):
                        continue
                    running += 1
                    if pid not in signalled:
                        os.kill(pid, signal.SIGSTOP)
                        signalled.add(pid)
                except OSError:  # gone, or not ours to look at (the host's own)
                    continue
            if not running:
                log("%s: %d processes stopped" % (node, len(signalled)))
                return
            if time.monotonic() > deadline:
                log("%s: %d processes still not stopped after 5 s; cutting anyway"
                    % (node, running))
                return
            time.sleep(0.001)

    EXT4_IOC_SHUTDOWN = 0x8004587D          # _IOR('X', 125, __u32)
    EXT4_GOING_FLAGS_NOLOGFLUSH = 2

    def _cut_filesystems(self, node, pid):
        """Shut down, without any flush, the ext4 filesystems the node mounted from its LUN
        (found in its mount namespace through /proc/PID)."""
        try:
            lun = open(os.path.join(self.run, node, "lun")).read().strip()
            rdev = os.stat(lun).st_rdev
            with open("/proc/%d/mountinfo" % pid) as f:
                mounts = [line.split() for line in f]
        except OSError as e:
            log("%s: cannot look at its mounts: %s" % (node, e))
            return
        want = "%d:%d" % (os.major(rdev), os.minor(rdev))
        for m in mounts:
            fstype = m[m.index("-") + 1]
            if m[2] != want or fstype != "ext4":
                continue
            path = "/proc/%d/root%s" % (pid, m[4])
            try:
                fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
                try:
                    fcntl.ioctl(fd, self.EXT4_IOC_SHUTDOWN,
                                struct.pack("I", self.EXT4_GOING_FLAGS_NOLOGFLUSH))
                finally:
                    os.close(fd)
                log("%s: power cut for %s on %s (ext4 shut down, nothing flushed)"
                    % (node, m[4], lun))
            except OSError as e:
                log("%s: ext4 shutdown of %s failed: %s" % (node, m[4], e))

    def _wait_lun_released(self, node):
        """A mount holds its block device open exclusively: once an O_EXCL open of the
        node's loop device succeeds, the dead node's filesystem is gone for good."""
        try:
            lun = open(os.path.join(self.run, node, "lun")).read().strip()
        except FileNotFoundError:
            return
        deadline = time.monotonic() + 30
        while True:
            try:
                os.close(os.open(lun, os.O_RDONLY | os.O_EXCL))
                return
            except OSError as e:
                if e.errno != errno.EBUSY:
                    raise
            if time.monotonic() > deadline:
                raise RuntimeError("%s still busy 30 s after %s died" % (lun, node))
            time.sleep(0.01)

    def handle(self, words):
        if words == ["list"]:
            return " ".join(self.nodes)
        if len(words) != 2 or words[0] not in ("on", "off", "status"):
            raise ValueError("usage: on|off|status NODE | list")
        action, node = words
        if node not in self.nodes:
            raise ValueError("unknown node %s" % node)
        with self.locks[node]:
            if action == "status":
                return self.status(node)
            log("request: %s %s" % (action, node))
            return getattr(self, action)(node)


def serve(run, cluster_sh, nodes):
    # Its own session: a ^C at the terminal that ran `cluster.sh up` must not cut the power.
    try:
        os.setsid()
    except PermissionError:
        pass
    switch = Switch(run, cluster_sh, nodes)
    path = os.path.join(run, "power.sock")

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            words = self.rfile.readline().decode().split()
            try:
                reply = "ok " + switch.handle(words)
            except Exception as e:  # reported to the caller, the switch keeps running
                log("error: %s: %s" % (" ".join(words), e))
                reply = "error " + str(e).replace("\n", " ")
            self.wfile.write((reply + "\n").encode())

    class Server(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

    if os.path.exists(path):
        os.unlink(path)
    old = os.umask(0o077)
    server = Server(path, Handler)
    os.umask(old)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    log("power switch listening on %s for %s" % (path, " ".join(nodes)))
    server.serve_forever()


def ask(sock_path, words, timeout=60):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall((" ".join(words) + "\n").encode())
    data = b""
    while not data.endswith(b"\n"):
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    return data.decode().strip()


def main(argv):
    if len(argv) >= 4 and argv[1] == "serve":
        serve(argv[2], argv[3], argv[4:])
    elif len(argv) >= 4 and argv[1] == "ask":
        reply = ask(argv[2], argv[3:])
        print(reply)
        return 0 if reply.startswith("ok") else 1
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

//! Daemon processes: spawning one detached from the agent, finding it again by pidfile and
//! /proc, telling whether it is alive, busy, hung or gone, and stopping it TERM → KILL inside a
//! deadline. Reads /proc; forks nothing except the daemon itself.
//!
//! Only signals a PID after checking /proc says it is the daemon we mean (command name and
//! an expected argument), so a recycled PID is never killed.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use crate::ocf::Deadline;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot start {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("cannot signal pid {pid}: {source}")]
    Signal { pid: i32, source: Errno },
    #[error("pid {pid} is still there after SIGKILL (stuck in the kernel, state {state})")]
    Unkillable { pid: i32, state: char },
}

impl crate::ocf::OcfError for Error {
    fn ocf_status(&self) -> crate::ocf::OcfStatus {
        match self {
            Error::Spawn { source, .. } => crate::ocf::spawn_status(source),
            Error::Signal { .. } | Error::Unkillable { .. } => crate::ocf::OcfStatus::ErrGeneric,
        }
    }
}

/// What /proc says about a process.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcInfo {
    pub pid: i32,
    /// Single-letter state from /proc/PID/stat: R, S, D, T (stopped), Z (zombie), ...
    pub state: char,
    pub comm: String,
    pub cmdline: Vec<String>,
}

impl ProcInfo {
    pub fn read(pid: i32) -> Option<ProcInfo> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let (comm, state) = parse_stat(&stat)?;
        let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
        let cmdline = cmdline
            .split(|b| *b == 0)
            .filter(|s| !s.is_empty())
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect();
        Some(ProcInfo {
            pid,
            state,
            comm,
            cmdline,
        })
    }

    /// Alive for our purposes: exists and is not a zombie or dead.
    pub fn alive(&self) -> bool {
        !matches!(self.state, 'Z' | 'X' | 'x')
    }

    /// Stopped by a signal (SIGSTOP) or traced.
    pub fn stopped(&self) -> bool {
        matches!(self.state, 'T' | 't')
    }

    pub fn has_arg(&self, arg: &str) -> bool {
        self.cmdline.iter().any(|a| a == arg)
    }
}

/// `pid (comm) S ...`: comm may contain spaces and parentheses, so split at the last ')'.
pub fn parse_stat(stat: &str) -> Option<(String, char)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_string();
    let state = stat.get(close + 1..)?.trim_start().chars().next()?;
    Some((comm, state))
}

/// A process's state and CPU time at one moment, from /proc/PID/stat: what tells a busy
/// daemon (runnable, its CPU time growing) from a hung one (stopped, or not running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuSample {
    pub state: char,
    /// utime + stime, in clock ticks (USER_HZ: 100 a second on Linux).
    pub ticks: u64,
}

/// Clock ticks a second in /proc/PID/stat (USER_HZ, fixed at 100 for user space).
pub const TICKS_PER_SEC: u64 = 100;

impl CpuSample {
    pub fn read(pid: i32) -> Option<CpuSample> {
        parse_cpu(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    }
}

/// State (field 3) and utime + stime (fields 14 and 15) of a /proc/PID/stat line; the
/// fields are counted after the comm's last ')'.
pub fn parse_cpu(stat: &str) -> Option<CpuSample> {
    let close = stat.rfind(')')?;
    let f: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    let state = f.first()?.chars().next()?;
    let utime: u64 = f.get(11)?.parse().ok()?;
    let stime: u64 = f.get(12)?.parse().ok()?;
    Some(CpuSample {
        state,
        ticks: utime + stime,
    })
}

/// What a daemon that does not answer was doing meanwhile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activity {
    /// Busy: its CPU time grew by `ticks`, or it was seen runnable (state R) in
    /// `runnable` samples: it makes progress and will answer when it gets there.
    Busy { ticks: u64, runnable: u32 },
    /// Stopped by a signal or traced (state T/t): it cannot answer until continued.
    Stopped(char),
    /// Neither ran nor was runnable (blocked in state S or D: a deadlock, a stuck disk).
    Idle(char),
    /// Gone, or a zombie.
    Gone,
}

/// The samples of one daemon taken while it did not answer, classified into an
/// [`Activity`]. Fed by the caller (one /proc read a step); decides nothing by time.
#[derive(Debug, Clone)]
pub struct Progress {
    first: CpuSample,
    last: CpuSample,
    runnable: u32,
}

impl Progress {
    pub fn new(first: CpuSample) -> Progress {
        Progress {
            first,
            last: first,
            runnable: u32::from(first.state == 'R'),
        }
    }

    /// Feeds the next sample (`None`: the process is gone). Answers at once what waiting
    /// cannot change: stopped, gone.
    pub fn observe(&mut self, s: Option<CpuSample>) -> Option<Activity> {
        let Some(s) = s else {
            return Some(Activity::Gone);
        };
        self.last = s;
        self.runnable += u32::from(s.state == 'R');
        self.settled()
    }

    /// What waiting cannot change (stopped, gone), if the samples so far say so.
    pub fn settled(&self) -> Option<Activity> {
        match self.verdict() {
            a @ (Activity::Stopped(_) | Activity::Gone) => Some(a),
            _ => None,
        }
    }

    /// What the samples so far say: the last state decides stopped and gone; otherwise
    /// busy if it ran (CPU time grew) or was runnable, idle if neither.
    pub fn verdict(&self) -> Activity {
        let ticks = self.last.ticks.saturating_sub(self.first.ticks);
        match self.last.state {
            'T' | 't' => Activity::Stopped(self.last.state),
            'Z' | 'X' | 'x' => Activity::Gone,
            _ if ticks > 0 || self.runnable > 0 => Activity::Busy {
                ticks,
                runnable: self.runnable,
            },
            st => Activity::Idle(st),
        }
    }
}

/// Live processes whose environment holds exactly `entry` ("NAME=value"), from
/// /proc/PID/environ (what they were started with). Ours only: others' environ is
/// unreadable unless we are root, and then we match our own marker.
pub fn with_env_entry(entry: &str) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    let me = std::process::id() as i32;
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/environ"))
                .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == entry.as_bytes()))
        })
        .filter(|pid| ProcInfo::read(*pid).is_some_and(|p| p.alive()))
        .collect()
}

/// The PID in a pidfile, if the file holds one.
pub fn read_pidfile(path: &Path) -> Option<i32> {
    let s = std::fs::read_to_string(path).ok()?;
    s.trim().parse::<i32>().ok().filter(|p| *p > 1)
}

/// The daemon a pidfile names, if that PID is alive and is `comm` with `marker` among its
/// arguments (e.g. its `--unixctl=...`). Otherwise the pidfile is stale.
pub fn find_daemon(pidfile: &Path, comm: &str, marker: &str) -> Option<ProcInfo> {
    let pid = read_pidfile(pidfile)?;
    let info = ProcInfo::read(pid)?;
    (info.alive() && info.comm == comm && info.has_arg(marker)).then_some(info)
}

/// Starts a daemon in its own session, detached from our stdio; its stderr (fatal startup
/// errors) is appended to `stderr_log`, normally its own log file. The caller waits for
/// readiness; the returned child is reaped by whoever inherits it once we exit.
pub fn spawn_daemon(
    program: &str,
    args: &[String],
    env: &[(&str, &str)],
    stderr_log: &Path,
) -> Result<std::process::Child, Error> {
    let spawn_err = |source| Error::Spawn {
        program: program.into(),
        source,
    };
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(stderr_log)
        .map_err(|source| Error::Spawn {
            program: format!("{program} (its log {})", stderr_log.display()),
            source,
        })?;
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .env("LC_ALL", "C")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log)
        .current_dir("/");
    // SAFETY: setsid is async-signal-safe and touches no memory of the parent.
    unsafe {
        cmd.pre_exec(|| {
            nix::unistd::setsid()
                .map(|_| ())
                .map_err(std::io::Error::from)
        });
    }
    cmd.spawn().map_err(spawn_err)
}

/// Whether `pid` is gone (or a zombie, which is as good as gone).
fn gone(pid: i32) -> bool {
    ProcInfo::read(pid).is_none_or(|i| !i.alive())
}

/// Waits until `pid` is gone or the deadline passes; true if gone.
pub fn wait_gone(pid: i32, deadline: Deadline) -> bool {
    deadline
        .poll(Duration::from_millis(10), || gone(pid).then_some(()))
        .is_some()
        || gone(pid)
}

fn signal(pid: i32, sig: Signal) -> Result<(), Error> {
    match kill(Pid::from_raw(pid), sig) {
        Ok(()) | Err(Errno::ESRCH) => Ok(()),
        Err(source) => Err(Error::Signal { pid, source }),
    }
}

/// How a stop went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stopped {
    AlreadyGone,
    Terminated,
    Killed,
}

/// Stops `pid`: SIGTERM (plus SIGCONT, so a stopped process can act on it) and half the
/// remaining budget to exit, then SIGKILL and the rest of the budget.
pub fn terminate(pid: i32, deadline: Deadline) -> Result<Stopped, Error> {
    if gone(pid) {
        return Ok(Stopped::AlreadyGone);
    }
    signal(pid, Signal::SIGTERM)?;
    signal(pid, Signal::SIGCONT)?;
    if wait_gone(pid, deadline.share(0.5)) {
        return Ok(Stopped::Terminated);
    }
    log::warn!("pid={pid} did not exit on SIGTERM; sending SIGKILL");
    signal(pid, Signal::SIGKILL)?;
    // SIGKILL is final; give it the rest of the budget, but at least a moment.
    let dl = deadline.max(Deadline::after(Duration::from_millis(500)));
    if wait_gone(pid, dl) {
        return Ok(Stopped::Killed);
    }
    Err(Error::Unkillable {
        pid,
        state: ProcInfo::read(pid).map(|i| i.state).unwrap_or('?'),
    })
}

/// Whether `p` is an executable regular file.
pub fn executable(p: &str) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The size of a daemon's log file now: a mark to read its new lines from.
pub fn log_size(log: &Path) -> u64 {
    std::fs::metadata(log).map(|m| m.len()).unwrap_or(0)
}

/// The last error an OVS daemon logged since `mark` (`...|ERR|msg`, `...|EMER|msg`, or a
/// fatal `program: msg` line on its stderr), optionally only lines containing `needle`.
/// Returns the message without the timestamp prefix. Reads at most 1 MiB.
pub fn logged_error(log: &Path, mark: u64, needle: Option<&str>) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(log).ok()?;
    f.seek(SeekFrom::Start(mark)).ok()?;
    let mut buf = Vec::new();
    f.take(1 << 20).read_to_end(&mut buf).ok()?;
    let text = String::from_utf8_lossy(&buf);
    text.lines()
        .rfind(|l| {
            let error = l.contains("|ERR|") || l.contains("|EMER|") || is_fatal_line(l);
            error && needle.is_none_or(|n| l.contains(n))
        })
        .map(|l| {
            l.rsplit_once("|ERR|")
                .or_else(|| l.rsplit_once("|EMER|"))
                .map(|(_, m)| m)
                .unwrap_or(l)
                .trim()
                .to_string()
        })
}

/// `ovsdb-server: I/O error: ...` — what ovs_fatal prints to stderr.
fn is_fatal_line(l: &str) -> bool {
    l.split_once(": ").is_some_and(|(prog, _)| {
        !prog.is_empty()
            && prog
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    })
}

/// How many TCP sockets are in use in `pid`'s network namespace, IPv4 and IPv6
/// (/proc/PID/net/sockstat and sockstat6: counters, no table walked): what changes when
/// a server there accepts or closes a connection. None for what cannot be read.
pub fn tcp_in_use(pid: i32) -> [Option<u64>; 2] {
    [("sockstat", "TCP:"), ("sockstat6", "TCP6:")].map(|(file, key)| {
        let text = std::fs::read_to_string(format!("/proc/{pid}/net/{file}")).ok()?;
        parse_in_use(&text, key)
    })
}

/// The `inuse` count of the `key` line of a sockstat file (`TCP: inuse 5 orphan 0 ...`).
fn parse_in_use(text: &str, key: &str) -> Option<u64> {
    let mut f = text
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace();
    while f.next()? != "inuse" {}
    f.next()?.parse().ok()
}

/// Socket inodes a process holds open (from /proc/PID/fd links `socket:[N]`).
fn socket_inodes(pid: i32) -> Vec<u64> {
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return vec![];
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .filter_map(|l| {
            let s = l.to_str()?;
            s.strip_prefix("socket:[")?.strip_suffix(']')?.parse().ok()
        })
        .collect()
}

/// One listening TCP socket from /proc/net/tcp{,6}.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listener {
    pub addr: IpAddr,
    pub port: u16,
    pub inode: u64,
}

fn parse_hex_v4(h: &str) -> Option<IpAddr> {
    let n = u32::from_str_radix(h, 16).ok()?;
    Some(IpAddr::V4(Ipv4Addr::from(n.to_le_bytes())))
}

fn parse_hex_v6(h: &str) -> Option<IpAddr> {
    if h.len() != 32 {
        return None;
    }
    let mut b = [0u8; 16];
    for i in 0..4 {
        let w = u32::from_str_radix(&h[i * 8..i * 8 + 8], 16).ok()?;
        b[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
    }
    Some(IpAddr::V6(Ipv6Addr::from(b)))
}

fn parse_hex_endpoint(e: &str) -> Option<(IpAddr, u16)> {
    let (a, p) = e.split_once(':')?;
    let addr = if a.len() == 8 {
        parse_hex_v4(a)?
    } else {
        parse_hex_v6(a)?
    };
    Some((addr, u16::from_str_radix(p, 16).ok()?))
}

/// An address and port, as a /proc/net/tcp row names one end.
type End = (IpAddr, u16);

/// One row of a /proc/net/tcp or tcp6 table.
struct TcpRow {
    local: End,
    remote: End,
    inode: u64,
    /// Bytes sent and not yet acknowledged by the peer (`tx_queue`).
    unacked: u64,
}

/// The rows of a /proc/net/tcp or tcp6 table in `state` (hex, as the kernel writes it).
fn tcp_rows(text: &str, state: &str) -> Vec<TcpRow> {
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != state {
                return None;
            }
            Some(TcpRow {
                local: parse_hex_endpoint(f[1])?,
                remote: parse_hex_endpoint(f[2])?,
                inode: f[9].parse().ok()?,
                unacked: u64::from_str_radix(f[4].split(':').next()?, 16).ok()?,
            })
        })
        .collect()
}

impl From<TcpRow> for Listener {
    fn from(r: TcpRow) -> Listener {
        Listener {
            addr: r.local.0,
            port: r.local.1,
            inode: r.inode,
        }
    }
}

/// Parses the LISTEN (state 0A) lines of a /proc/net/tcp or tcp6 table.
pub fn parse_tcp_table(text: &str) -> Vec<Listener> {
    tcp_rows(text, "0A")
        .into_iter()
        .map(Listener::from)
        .collect()
}

/// The rows of `pid`'s own sockets in each of `states`, from the tcp and tcp6 tables of
/// its network namespace (/proc: no child process; its fds and the tables read once);
/// none when it has no socket.
fn own_tcp_rows_in<const N: usize>(pid: i32, states: [&str; N]) -> [Vec<TcpRow>; N] {
    let inodes = socket_inodes(pid);
    if inodes.is_empty() {
        return std::array::from_fn(|_| vec![]);
    }
    let tables: Vec<String> = ["tcp", "tcp6"]
        .iter()
        .filter_map(|t| std::fs::read_to_string(format!("/proc/{pid}/net/{t}")).ok())
        .collect();
    states.map(|state| {
        tables
            .iter()
            .flat_map(|t| tcp_rows(t, state))
            .filter(|r| inodes.contains(&r.inode))
            .collect()
    })
}

/// The rows in `state` of `pid`'s own sockets (see [`own_tcp_rows_in`]).
fn own_tcp_rows(pid: i32, state: &str) -> Vec<TcpRow> {
    let [rows] = own_tcp_rows_in(pid, [state]);
    rows
}

/// Whether `pid` holds an ESTABLISHED TCP connection to `addr:port` (an IPv4 peer is also
/// found as an IPv4-mapped IPv6 one). From /proc: no child process, no packet sent.
pub fn tcp_connected_to(pid: i32, addr: IpAddr, port: u16) -> bool {
    own_tcp_rows(pid, "01")
        .iter()
        .any(|r| r.remote.1 == port && r.remote.0.to_canonical() == addr.to_canonical())
}

/// `pid`'s ESTABLISHED TCP connections on its local `port` (those a listener there
/// accepted): each peer's address (an IPv4-mapped IPv6 one as IPv4) and the bytes sent on
/// it that the peer has not yet acknowledged. From /proc: no child process.
pub fn tcp_accepted_on(pid: i32, port: u16) -> Vec<(IpAddr, u64)> {
    own_tcp_rows(pid, "01")
        .iter()
        .filter(|r| r.local.1 == port)
        .map(|r| (r.remote.0.to_canonical(), r.unacked))
        .collect()
}

/// `pid`'s ESTABLISHED TCP connections on the ports it listens on (those its listeners
/// accepted), each as its server end sees it. From /proc: no child process.
pub fn tcp_accepted(pid: i32) -> Vec<crate::tickle::Conn> {
    let [rows, listening] = own_tcp_rows_in(pid, ["01", "0A"]);
    let ports: Vec<u16> = listening.iter().map(|l| l.local.1).collect();
    rows.iter()
        .filter(|r| ports.contains(&r.local.1))
        .filter_map(|r| {
            crate::tickle::Conn::new(
                std::net::SocketAddr::from(r.local),
                std::net::SocketAddr::from(r.remote),
            )
        })
        .collect()
}

/// The TCP sockets `pid` is listening on, in its own network namespace.
pub fn tcp_listeners(pid: i32) -> Vec<Listener> {
    own_tcp_rows(pid, "0A")
        .into_iter()
        .map(Listener::from)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// /proc/PID/stat lines as the kernel writes them (ovsdb-server 3.1 here), the state
    /// and utime/stime changed per case.
    fn stat(state: char, utime: u64, stime: u64) -> String {
        format!(
            "4242 (ovsdb-server) {state} 1 4242 4242 0 -1 4194624 3418 0 0 0 {utime} {stime} 0 0 20 0 1 0 7790 22302720 2765 18446744073709551615 1 1 0 0 0 0 0 4096 24583 0 0 0 17 1 0 0 0 0 0"
        )
    }

    fn sample(state: char, utime: u64, stime: u64) -> CpuSample {
        parse_cpu(&stat(state, utime, stime)).unwrap()
    }

    #[test]
    fn cpu_sample_from_stat() {
        assert_eq!(
            sample('R', 120, 30),
            CpuSample {
                state: 'R',
                ticks: 150
            }
        );
        // A comm with spaces and a ')' does not shift the fields.
        let odd = stat('S', 7, 3).replace("(ovsdb-server)", "(a) b (c)");
        assert_eq!(
            parse_cpu(&odd),
            Some(CpuSample {
                state: 'S',
                ticks: 10
            })
        );
        assert_eq!(parse_cpu("4242 (ovsdb-server) S 1 2"), None, "truncated");
        assert_eq!(parse_cpu(""), None);
    }

    #[test]
    fn busy_is_cpu_time_growing_or_runnable() {
        let mut p = Progress::new(sample('S', 100, 10));
        assert_eq!(p.observe(Some(sample('S', 180, 20))), None);
        assert_eq!(
            p.verdict(),
            Activity::Busy {
                ticks: 90,
                runnable: 0
            }
        );
        // Runnable all along but starved of CPU (an overloaded machine): busy, not hung.
        let mut p = Progress::new(sample('R', 100, 10));
        p.observe(Some(sample('R', 100, 10)));
        assert_eq!(
            p.verdict(),
            Activity::Busy {
                ticks: 0,
                runnable: 2
            }
        );
    }

    #[test]
    fn hung_is_stopped_or_not_running() {
        assert_eq!(
            Progress::new(sample('T', 1, 1)).settled(),
            Some(Activity::Stopped('T'))
        );
        assert_eq!(Progress::new(sample('R', 1, 1)).settled(), None);
        // SIGSTOP while busy: stopped at once, whatever CPU time it used before.
        let mut p = Progress::new(sample('R', 100, 10));
        assert_eq!(
            p.observe(Some(sample('T', 300, 10))),
            Some(Activity::Stopped('T'))
        );
        assert_eq!(p.verdict(), Activity::Stopped('T'));
        let mut p = Progress::new(sample('S', 5, 5));
        assert_eq!(
            p.observe(Some(sample('t', 5, 5))),
            Some(Activity::Stopped('t'))
        );
        // Blocked and not running (a deadlock; a disk that does not answer).
        let mut p = Progress::new(sample('S', 100, 10));
        assert_eq!(p.observe(Some(sample('S', 100, 10))), None);
        assert_eq!(p.observe(Some(sample('D', 100, 10))), None);
        assert_eq!(p.verdict(), Activity::Idle('D'));
        // Gone or a zombie.
        let mut p = Progress::new(sample('S', 1, 1));
        assert_eq!(p.observe(None), Some(Activity::Gone));
        let mut p = Progress::new(sample('R', 1, 1));
        assert_eq!(p.observe(Some(sample('Z', 9, 9))), Some(Activity::Gone));
    }

    #[test]
    fn stat_with_odd_comm() {
        assert_eq!(
            parse_stat("42 (ovsdb-server) S 1 42 42 0"),
            Some(("ovsdb-server".into(), 'S'))
        );
        assert_eq!(
            parse_stat("7 (a) b (c)) T 1"),
            Some(("a) b (c)".into(), 'T'))
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn tcp_rows_read_the_send_queue() {
        let t = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   1: 0100007F:19F1 0100007F:D2A2 01 0003F000:00000000 00:00000000 00000000     0        0 12346 1\n";
        let r = tcp_rows(t, "01");
        assert_eq!(r.len(), 1);
        assert_eq!(
            (r[0].local.1, r[0].unacked, r[0].inode),
            (6641, 0x3F000, 12346)
        );
    }

    #[test]
    fn sockstat_in_use() {
        // As Linux 6.x writes them.
        let v4 = "sockets: used 7\nTCP: inuse 403 orphan 0 tw 200 alloc 405 mem 46\nUDP: inuse 0 mem 0\n";
        assert_eq!(parse_in_use(v4, "TCP:"), Some(403));
        assert_eq!(
            parse_in_use("TCP6: inuse 2\nUDP6: inuse 0\n", "TCP6:"),
            Some(2)
        );
        assert_eq!(parse_in_use(v4, "TCP6:"), None);
        assert_eq!(parse_in_use("TCP: orphan 0\n", "TCP:"), None);
    }

    #[test]
    fn tcp_table_listeners() {
        let t = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:19F1 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 12345 1 0000000000000000 100 0 0 10 0\n   1: 0100007F:19F1 0100007F:D2A2 01 00000000:00000000 00:00000000 00000000     0        0 12346 1\n";
        let l = parse_tcp_table(t);
        assert_eq!(
            l,
            vec![Listener {
                addr: "127.0.0.1".parse().unwrap(),
                port: 6641,
                inode: 12345
            }]
        );
        let t6 = "hdr\n   0: 00000000000000000000000001000000:19F2 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1\n";
        let l = parse_tcp_table(t6);
        assert_eq!(l[0].addr, "::1".parse::<IpAddr>().unwrap());
        assert_eq!(l[0].port, 6642);
    }

    #[test]
    fn logged_error_finds_the_last_error_after_the_mark() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("x.log");
        std::fs::write(&log, "2026-01-01T00:00:00Z|00001|x|ERR|old error\n").unwrap();
        let mark = log_size(&log);
        let mut more = std::fs::read_to_string(&log).unwrap();
        more.push_str("2026-01-01T00:00:01Z|00002|vlog|INFO|opened log file\n");
        more.push_str("2026-01-01T00:00:02Z|00003|ovsdb_jsonrpc_server|ERR|ptcp:1:127.0.0.1: listen failed: Address already in use\n");
        more.push_str("ovsdb-server: I/O error: /x.db: open failed (No such file or directory)\n");
        std::fs::write(&log, more).unwrap();
        assert_eq!(
            logged_error(&log, mark, None).unwrap(),
            "ovsdb-server: I/O error: /x.db: open failed (No such file or directory)"
        );
        assert_eq!(
            logged_error(&log, mark, Some("listen failed")).unwrap(),
            "ptcp:1:127.0.0.1: listen failed: Address already in use"
        );
        assert_eq!(logged_error(&log, 0, Some("old")).unwrap(), "old error");
        assert_eq!(logged_error(&log, mark, Some("nothing")), None);
    }

    #[test]
    fn terminate_a_stopped_process() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = child.id() as i32;
        kill(Pid::from_raw(pid), Signal::SIGSTOP).unwrap();
        let reaper = std::thread::spawn(move || child.wait());
        let r = terminate(pid, Deadline::after(Duration::from_secs(10))).unwrap();
        assert_ne!(r, Stopped::AlreadyGone);
        reaper.join().unwrap().unwrap();
        assert_eq!(
            terminate(pid, Deadline::after(Duration::from_secs(1))).unwrap(),
            Stopped::AlreadyGone
        );
    }

    #[test]
    fn term_ignored_then_killed() {
        let mut child = Command::new("sh")
            .args(["-c", "trap '' TERM; while :; do sleep 0.05; done"])
            .spawn()
            .unwrap();
        let pid = child.id() as i32;
        std::thread::sleep(Duration::from_millis(100));
        let reaper = std::thread::spawn(move || child.wait());
        let r = terminate(pid, Deadline::after(Duration::from_millis(600))).unwrap();
        assert_eq!(r, Stopped::Killed);
        reaper.join().unwrap().unwrap();
    }
}

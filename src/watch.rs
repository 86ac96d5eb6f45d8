//! The watcher beside a daemon (`ovn-ocf watch`, spawned by the agent once its daemon
//! runs, one per resource): it learns of the daemon's death at once, through a pidfd
//! (no polling), and reports it to Pacemaker with `crm_resource --fail`, so recovery
//! starts in milliseconds instead of at the next monitor.
//!
//! Never reports a death the agent caused: stop and demote write the stopping marker and
//! end every watcher of the resource ([`stop_watchers`]) before they stop the daemon, and
//! a watcher that wakes up to a death checks that marker before it reports. After a report
//! the reported marker tells the next monitor that Pacemaker already knows (so the same
//! death is not failed twice). A watcher exits once its daemon is gone; owns nothing else.

use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};

use crate::ocf::Deadline;
use crate::ocf::time::utc_stamp;
use crate::{fsutil, pacemaker, process};

/// What a watcher watches and whom it tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Watch {
    /// The daemon, and how /proc must show it (command name, one of its arguments), so a
    /// recycled PID is never taken for it.
    pub pid: i32,
    pub comm: String,
    pub marker: String,
    /// The resource (`OCF_RESOURCE_INSTANCE`) and node named to `crm_resource --fail`.
    pub resource: String,
    pub node: String,
    /// The resource's state file: the watcher's identity on this node, and where its
    /// markers live (beside it).
    pub state: PathBuf,
    /// The node attribute that shows the last death in `crm_mon -A`.
    pub attr: String,
}

/// How long a monitor trusts a report: Pacemaker stops the resource well within this; if
/// it does not (an unmanaged resource), the monitor tells the truth again afterwards.
pub const REPORT_HOLDS: Duration = Duration::from_secs(30);

/// The argv that runs a watcher (`ovn-ocf watch ...`).
pub fn watch_args(w: &Watch) -> Vec<String> {
    vec![
        "watch".into(),
        format!("--pid={}", w.pid),
        format!("--comm={}", w.comm),
        format!("--marker={}", w.marker),
        format!("--resource={}", w.resource),
        format!("--node={}", w.node),
        format!("--state={}", w.state.display()),
        format!("--attr={}", w.attr),
    ]
}

fn beside(state: &Path, suffix: &str) -> PathBuf {
    let mut s = state.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Present while stop or demote takes the daemon down: a death then is no failure.
pub fn stopping_marker(state: &Path) -> PathBuf {
    beside(state, ".stopping")
}

/// Written once Pacemaker accepted a report: when, and what died.
pub fn reported_marker(state: &Path) -> PathBuf {
    beside(state, ".reported")
}

/// The daemon PID a live watcher of `state` watches, if `pid` is one.
pub fn watcher_of(pid: i32, state: &Path) -> Option<i32> {
    let want = format!("--state={}", state.display());
    let p = process::ProcInfo::read(pid)?;
    if !(p.alive() && p.has_arg("watch") && p.has_arg(&want)) {
        return None;
    }
    p.cmdline
        .iter()
        .find_map(|a| a.strip_prefix("--pid=")?.parse().ok())
}

/// Every live watcher of `state` on this machine: (watcher pid, daemon pid).
pub fn watchers(state: &Path) -> Vec<(i32, i32)> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter_map(|pid| Some((pid, watcher_of(pid, state)?)))
        .collect()
}

/// Stop's and demote's first step: the stopping marker, then every watcher of `state`
/// ended (TERM, then KILL at the deadline; a watcher has nothing to clean up).
pub fn stop_watchers(state: &Path, deadline: Deadline) {
    // No run dir: nothing of this resource ever ran here.
    if !state.parent().is_some_and(Path::is_dir) {
        return;
    }
    if let Err(e) = fsutil::write_atomic(&stopping_marker(state), b"stopping\n", 0o644) {
        log::warn!("cannot write {}: {e}", stopping_marker(state).display());
    }
    for (pid, _) in watchers(state) {
        if watcher_of(pid, state).is_none() {
            continue;
        }
        match process::terminate(pid, deadline) {
            Ok(how) => log::debug!("watcher pid={pid} ended ({how:?})"),
            Err(e) => log::warn!("cannot stop watcher pid {pid}: {e}"),
        }
    }
}

/// The daemon is down as asked, or up again: neither marker applies any more.
pub fn clear_markers(state: &Path) {
    for m in [stopping_marker(state), reported_marker(state)] {
        match std::fs::remove_file(&m) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => log::warn!("cannot remove {}: {e}", m.display()),
        }
    }
}

/// What the watcher wrote when Pacemaker accepted its report, if that was within
/// [`REPORT_HOLDS`].
pub fn recent_report(state: &Path) -> Option<String> {
    let m = reported_marker(state);
    let age = std::fs::metadata(&m)
        .ok()?
        .modified()
        .ok()?
        .elapsed()
        .ok()?;
    if age > REPORT_HOLDS {
        return None;
    }
    std::fs::read_to_string(&m)
        .ok()
        .map(|s| s.trim().to_string())
}

/// A monitor that finds the daemon gone asks the watcher first: a watcher still alive
/// (its daemon dead, its report under way: `crm_resource --fail` takes a moment) is waited
/// for, through its pidfd, until it exits or `deadline`; then the reported marker says
/// whether Pacemaker has the death. Without this wait, a monitor due in that moment failed
/// the same death a second time.
pub fn await_report(state: &Path, deadline: Deadline) -> Option<String> {
    if let Some(r) = recent_report(state) {
        return Some(r);
    }
    for (wpid, daemon_pid) in watchers(state) {
        // A watcher whose daemon lives is not reporting anything.
        if process::ProcInfo::read(daemon_pid).is_some_and(|p| p.alive()) {
            continue;
        }
        let Ok(fd) = pidfd_open(wpid) else {
            continue;
        };
        // Opened first, checked second: the PID is the watcher's while the pidfd is open.
        if watcher_of(wpid, state).is_none() {
            continue;
        }
        while !deadline.expired() {
            let ms = deadline.remaining().as_millis();
            let timeout = PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX);
            let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(n) if n > 0 => break,
                Ok(_) | Err(Errno::EINTR) => continue,
                Err(_) => break,
            }
        }
    }
    recent_report(state)
}

/// Why a watcher ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// The daemon died and Pacemaker was told.
    Reported,
    /// The daemon died; telling Pacemaker failed (the next monitor finds it).
    NotReported(String),
    /// The daemon went while a stop or demote was under way: nothing to report.
    Stopping,
}

/// A pidfd for `pid`: readable once the process has exited.
fn pidfd_open(pid: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor or -1; the
    // descriptor is owned by nothing else.
    let fd = unsafe { nix::libc::syscall(nix::libc::SYS_pidfd_open, pid, 0) };
    if fd < 0 {
        return Err(Errno::last());
    }
    // SAFETY: fd is a fresh descriptor we own.
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// Blocks until the daemon is gone (no timeout: a stop ends the watcher with a signal).
/// Err if the kernel cannot give a pidfd (before Linux 5.3).
fn wait_death(w: &Watch) -> Result<(), Errno> {
    let fd = match pidfd_open(w.pid) {
        Ok(fd) => fd,
        Err(Errno::ESRCH) => return Ok(()),
        Err(e) => return Err(e),
    };
    // Opened first, checked second: the PID is ours for as long as the pidfd is open.
    let ours = process::ProcInfo::read(w.pid)
        .is_some_and(|p| p.alive() && p.comm == w.comm && p.has_arg(&w.marker));
    if !ours {
        return Ok(());
    }
    loop {
        let mut fds = [PollFd::new(fd.as_fd(), PollFlags::POLLIN)];
        match poll(&mut fds, PollTimeout::NONE) {
            Ok(n) if n > 0 => return Ok(()),
            Ok(_) | Err(Errno::EINTR) => continue,
            Err(e) => return Err(e),
        }
    }
}

/// The watcher's life: wait for the daemon's death, then report it (`crm_resource
/// --fail`) unless a stop is under way.
pub fn watch(w: &Watch) -> Ended {
    log::info!(
        "watcher: {} pid {} of resource {} on node {}; its death is reported to Pacemaker at once",
        w.comm,
        w.pid,
        w.resource,
        w.node
    );
    if let Err(e) = wait_death(w) {
        // No pidfd: nothing here polls instead; the monitor finds the death.
        let why = format!(
            "cannot watch pid {} ({e}); the monitor finds its death",
            w.pid
        );
        log::warn!("watcher: {why}");
        return Ended::NotReported(why);
    }
    report(w, |resource, node| {
        pacemaker::report_failure(resource, node, Deadline::after(Duration::from_secs(10)))
            .map_err(|e| e.to_string())
    })
}

/// After the death: report through `fail` unless stopping; on success, the reported
/// marker and the node attribute.
pub fn report(w: &Watch, fail: impl FnOnce(&str, &str) -> Result<(), String>) -> Ended {
    if stopping_marker(&w.state).exists() {
        log::info!(
            "watcher: {} pid {} is gone while its resource stops; nothing to report",
            w.comm,
            w.pid
        );
        return Ended::Stopping;
    }
    let when = utc_stamp(SystemTime::now());
    let what = format!("{} pid {} died {when}", w.comm, w.pid);
    log::error!(
        "{what} (killed or crashed): telling Pacemaker (crm_resource --fail -r {} -N {}) so that it recovers {} now",
        w.resource,
        w.node,
        w.resource
    );
    if let Err(e) = fail(&w.resource, &w.node) {
        log::warn!(
            "watcher: cannot report the death to Pacemaker ({e}); the next monitor finds it"
        );
        return Ended::NotReported(e);
    }
    let line = format!("{what}, reported to Pacemaker\n");
    if let Err(e) = fsutil::write_atomic(&reported_marker(&w.state), line.as_bytes(), 0o644) {
        log::warn!("cannot write {}: {e}", reported_marker(&w.state).display());
    }
    if let Err(e) = pacemaker::set_node_attr(
        &w.attr,
        Some(&what),
        Deadline::after(Duration::from_secs(5)),
    ) {
        log::warn!("cannot set node attribute {}: {e}", w.attr);
    }
    log::info!("watcher: Pacemaker was told that {what}");
    Ended::Reported
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(state: &Path) -> Watch {
        Watch {
            pid: 1234,
            comm: "ovsdb-server".into(),
            marker: "--unixctl=/run/x.ctl".into(),
            resource: "ovn-sb".into(),
            node: "node1".into(),
            state: state.to_path_buf(),
            attr: "ovn-ocf-sb-died".into(),
        }
    }

    #[test]
    fn args_name_the_state_and_the_pid() {
        let a = watch_args(&w(Path::new("/run/ovn/x.state")));
        assert_eq!(a[0], "watch");
        assert!(a.contains(&"--state=/run/ovn/x.state".to_string()));
        assert!(a.contains(&"--pid=1234".to_string()));
        assert_eq!(
            stopping_marker(Path::new("/r/s.state")),
            PathBuf::from("/r/s.state.stopping")
        );
    }

    #[test]
    fn a_stopping_resource_is_not_reported() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().join("s.state");
        std::fs::write(stopping_marker(&state), "").unwrap();
        let ended = report(&w(&state), |_, _| panic!("must not report"));
        assert_eq!(ended, Ended::Stopping);
        assert_eq!(recent_report(&state), None);
    }

    #[test]
    fn a_report_is_remembered_only_when_accepted() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().join("s.state");
        let ended = report(&w(&state), |_, _| Err("no cluster".into()));
        assert_eq!(ended, Ended::NotReported("no cluster".into()));
        assert_eq!(recent_report(&state), None);
        let mut asked = None;
        let ended = report(&w(&state), |r, n| {
            asked = Some((r.to_string(), n.to_string()));
            Ok(())
        });
        assert_eq!(ended, Ended::Reported);
        assert_eq!(asked, Some(("ovn-sb".into(), "node1".into())));
        let r = recent_report(&state).unwrap();
        assert!(r.starts_with("ovsdb-server pid 1234 died "), "{r}");
        clear_markers(&state);
        assert_eq!(recent_report(&state), None);
    }

    /// A stand-in watcher (a shell whose argv is a watcher's): it waits until `go` exists,
    /// then writes `report` as the reported marker, if any, and exits.
    fn stand_in(state: &Path, daemon_pid: i32, report: Option<&str>) -> std::process::Child {
        let go = beside(state, ".go");
        let script = match report {
            Some(r) => format!(
                "while [ ! -e '{}' ]; do sleep 0.01; done; printf '{r}' > '{}'",
                go.display(),
                reported_marker(state).display()
            ),
            None => format!("while [ ! -e '{}' ]; do sleep 0.01; done", go.display()),
        };
        std::process::Command::new("sh")
            .args(["-c", &script, "watch"])
            .arg(format!("--pid={daemon_pid}"))
            .arg(format!("--state={}", state.display()))
            .spawn()
            .unwrap()
    }

    /// A PID that no process has (a child that exited and was reaped).
    fn dead_pid() -> i32 {
        let mut c = std::process::Command::new("true").spawn().unwrap();
        let pid = c.id() as i32;
        c.wait().unwrap();
        pid
    }

    #[test]
    fn a_monitor_waits_for_a_report_under_way() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().join("s.state");
        let mut w = stand_in(&state, dead_pid(), Some("ovn-northd pid 7 died"));
        let wpid = w.id() as i32;
        Deadline::after(Duration::from_secs(30))
            .poll(Duration::from_millis(10), || watcher_of(wpid, &state))
            .unwrap();
        // The report lands while the monitor waits: it comes back with it.
        let go = beside(&state, ".go");
        let t = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            std::fs::write(go, "").unwrap();
        });
        let r = await_report(&state, Deadline::after(Duration::from_secs(60)));
        t.join().unwrap();
        w.wait().unwrap();
        assert_eq!(r.as_deref(), Some("ovn-northd pid 7 died"));
    }

    #[test]
    fn a_watcher_that_reports_nothing_or_whose_daemon_lives_is_no_report() {
        let d = tempfile::tempdir().unwrap();
        let state = d.path().join("s.state");
        // No watcher at all.
        assert_eq!(
            await_report(&state, Deadline::after(Duration::from_secs(5))),
            None
        );
        // A watcher that ends without a report (crm_resource refused it).
        std::fs::write(beside(&state, ".go"), "").unwrap();
        let mut w = stand_in(&state, dead_pid(), None);
        let r = await_report(&state, Deadline::after(Duration::from_secs(60)));
        w.wait().unwrap();
        assert_eq!(r, None);
        // A watcher of a live daemon (this test) is not waited for: no go file, and the
        // deadline is long, so a wait would show as this test hanging for a minute.
        std::fs::remove_file(beside(&state, ".go")).unwrap();
        let mut w = stand_in(&state, std::process::id() as i32, Some("x"));
        let wpid = w.id() as i32;
        Deadline::after(Duration::from_secs(30))
            .poll(Duration::from_millis(10), || watcher_of(wpid, &state))
            .unwrap();
        let r = await_report(&state, Deadline::after(Duration::from_secs(60)));
        assert_eq!(r, None);
        std::fs::write(beside(&state, ".go"), "").unwrap();
        w.wait().unwrap();
    }

    #[test]
    fn wait_death_returns_when_the_process_exits() {
        let mut child = std::process::Command::new("sleep")
            .arg("0.2")
            .spawn()
            .unwrap();
        let d = tempfile::tempdir().unwrap();
        let mut x = w(&d.path().join("s.state"));
        x.pid = child.id() as i32;
        x.comm = "sleep".into();
        x.marker = "0.2".into();
        let t0 = std::time::Instant::now();
        // The child is ours: its pidfd turns readable when it exits (a zombie), before
        // it is reaped.
        wait_death(&x).unwrap();
        assert!(t0.elapsed() < Duration::from_secs(5));
        child.wait().unwrap();
        // A PID that is not the daemon (wrong command name) counts as gone at once.
        x.pid = std::process::id() as i32;
        wait_death(&x).unwrap();
    }
}

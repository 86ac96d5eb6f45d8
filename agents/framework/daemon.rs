//! "Spawn a daemon and wait until it is ready", once for every daemon an agent starts
//! (ovsdb-server, ovn-northd, the SB gate's ovn-northd): the daemon's own early exit is
//! reported with the error it logged, the wait is bounded by the action's deadline, and a
//! daemon that never got ready is stopped again.

use std::path::Path;
use std::process::Child;
use std::time::Duration;

use ovn_ocf::ocf::{Deadline, Failure};
use ovn_ocf::process;

/// A daemon to start: its name in reasons, program, arguments, extra environment and the
/// log file it writes (read for the reason of an early exit).
pub struct Daemon<'a> {
    pub name: &'a str,
    pub program: &'a str,
    pub args: &'a [String],
    pub env: &'a [(&'a str, &'a str)],
    pub log_file: &'a Path,
}

/// What a readiness check found.
pub enum Ready<T> {
    Yes(T),
    /// Not yet; what is still missing, for the reason on the deadline.
    NotYet(String),
    /// Never will be: stop it and fail with this.
    Fail(Failure),
}

/// How often readiness is asked.
pub const EVERY: Duration = Duration::from_millis(10);

/// Spawns `d` and asks `ready(pid)` every `every` until it is ready. On failure the
/// daemon is stopped (within `deadline`) before the error returns.
pub fn spawn_ready<T>(
    d: &Daemon,
    deadline: Deadline,
    every: Duration,
    mut ready: impl FnMut(i32) -> Ready<T>,
) -> Result<(Child, T), Failure> {
    let mark = process::log_size(d.log_file);
    let mut child = process::spawn_daemon(d.program, d.args, d.env, d.log_file)?;
    let pid = child.id() as i32;
    let mut last = String::from("no answer yet");
    let outcome = deadline.poll(every, || {
        if let Ok(Some(status)) = child.try_wait() {
            let why = process::logged_error(d.log_file, mark, None)
                .unwrap_or_else(|| format!("see {}", d.log_file.display()));
            return Some(Err(Failure::generic(format!(
                "{} exited at startup ({status}): {why}",
                d.name
            ))));
        }
        match ready(pid) {
            Ready::Yes(t) => Some(Ok(t)),
            Ready::NotYet(why) => {
                last = why;
                None
            }
            Ready::Fail(f) => Some(Err(f)),
        }
    });
    let result = outcome.unwrap_or_else(|| {
        Err(Failure::generic(format!(
            "{} did not get ready before the timeout: {last}",
            d.name
        )))
    });
    match result {
        Ok(t) => Ok((child, t)),
        Err(f) => {
            stop(pid, &mut child, deadline);
            Err(f)
        }
    }
}

/// Starts one of our own helper processes (`ovn-ocf <args>`: the lease keeper, the
/// watcher) in its own session, beside the daemon it serves, its stderr into `log_file`.
/// It gets the environment entries that `keep` says yes to (what it needs to reach the
/// cluster and to log as the agent does). Returns its pid.
pub fn spawn_helper(
    args: &[String],
    keep: impl Fn(&str) -> bool,
    log_file: &Path,
) -> Result<i32, Failure> {
    let exe = std::env::current_exe()
        .map_err(|e| Failure::generic(format!("cannot find our own binary: {e}")))?;
    let env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| keep(k)).collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let child = process::spawn_daemon(&exe.display().to_string(), args, &env, log_file)?;
    Ok(child.id() as i32)
}

/// Stops a daemon this action started (TERM, then KILL within `deadline`) and reaps it.
pub fn stop(pid: i32, child: &mut Child, deadline: Deadline) {
    if let Err(e) = process::terminate(pid, deadline) {
        log::warn!("cannot stop pid {pid}: {e}");
    }
    let _ = child.try_wait();
}

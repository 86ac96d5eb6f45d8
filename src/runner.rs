//! The one runner for external tools (crm_attribute, attrd_updater, crm_node, ovsdb-tool,
//! hooks): argv only (never a shell), a clean environment with `LC_ALL=C`, stdin from
//! /dev/null, stdout and stderr captured, the deadline enforced by killing the child's
//! process group, signal deaths reported.
//!
//! Owns the children it starts and nothing else.

use std::ffi::OsStr;
use std::io::Read;
use std::os::fd::AsFd;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;

use crate::ocf::Deadline;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("{program} did not finish before the deadline and was killed")]
    Timeout { program: String },
    #[error("I/O error talking to {program}: {source}")]
    Io {
        program: String,
        source: std::io::Error,
    },
}

impl crate::ocf::OcfError for Error {
    fn ocf_status(&self) -> crate::ocf::OcfStatus {
        match self {
            Error::Spawn { source, .. } => crate::ocf::spawn_status(source),
            Error::Timeout { .. } | Error::Io { .. } => crate::ocf::OcfStatus::ErrGeneric,
        }
    }
}

/// What a finished command left.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn success(&self) -> bool {
        self.status.success()
    }
    pub fn stdout_str(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    /// Exit code or signal, and the last stderr line: what a log line or reason needs.
    pub fn describe(&self) -> String {
        let how = match (self.status.code(), self.status.signal()) {
            (Some(c), _) => format!("exit code {c}"),
            (None, Some(s)) => format!(
                "killed by signal {}",
                Signal::try_from(s).map(|s| s.as_str()).unwrap_or("?")
            ),
            _ => "unknown status".into(),
        };
        let err = String::from_utf8_lossy(&self.stderr);
        match err.lines().rev().find(|l| !l.trim().is_empty()) {
            Some(last) => format!("{how}: {}", last.trim()),
            None => how,
        }
    }
}

/// Variables passed through to tools from the agent's environment. Pacemaker's tools need
/// their own settings (`CIB_*`, `PCMK_*`, `HA_*`); everything else is dropped.
fn passthrough(name: &str) -> bool {
    name == "PATH"
        || name == "OCF_RESOURCE_INSTANCE"
        || name.starts_with("CIB_")
        || name.starts_with("PCMK_")
        || name.starts_with("HA_")
}

/// Builds the clean command: argv as given, env filtered, `LC_ALL=C`, own process group.
pub fn command<S: AsRef<OsStr>>(program: &str, args: &[S], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(program);
    cmd.args(args).env_clear();
    for (k, v) in std::env::vars_os() {
        if k.to_str().is_some_and(passthrough) {
            cmd.env(k, v);
        }
    }
    if std::env::var_os("PATH").is_none() {
        cmd.env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    }
    cmd.env("LC_ALL", "C");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    cmd
}

/// Runs a tool to completion or to the deadline, whichever is first.
pub fn run<S: AsRef<OsStr>>(
    program: &str,
    args: &[S],
    env: &[(&str, &str)],
    deadline: Deadline,
) -> Result<Output, Error> {
    run_command(program, command(program, args, env), deadline)
}

/// Runs a prepared command (see [`command`]); `name` is what errors call it.
pub fn run_command(name: &str, mut cmd: Command, deadline: Deadline) -> Result<Output, Error> {
    if deadline.expired() {
        return Err(Error::Timeout {
            program: name.into(),
        });
    }
    let mut child = cmd.spawn().map_err(|source| Error::Spawn {
        program: name.into(),
        source,
    })?;
    let pgid = Pid::from_raw(child.id() as i32);
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let (mut out_open, mut err_open) = (true, true);
    let mut buf = [0u8; 8192];
    let io = |source| Error::Io {
        program: name.into(),
        source,
    };
    while out_open || err_open {
        let remaining = deadline.remaining();
        if remaining.is_zero() {
            let _ = killpg(pgid, Signal::SIGKILL);
            let _ = child.wait();
            return Err(Error::Timeout {
                program: name.into(),
            });
        }
        let ms = remaining
            .min(Duration::from_millis(i32::MAX as u64))
            .as_millis() as i32;
        let (o_ready, e_ready) = {
            let mut fds = Vec::with_capacity(2);
            if out_open {
                fds.push(PollFd::new(out.as_fd(), PollFlags::POLLIN));
            }
            if err_open {
                fds.push(PollFd::new(err.as_fd(), PollFlags::POLLIN));
            }
            match poll(
                &mut fds,
                PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
            ) {
                Ok(_) => {}
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => return Err(io(e.into())),
            }
            let ready = |f: &PollFd| f.revents().is_some_and(|r| !r.is_empty());
            let mut it = fds.iter();
            let o = if out_open {
                it.next().is_some_and(ready)
            } else {
                false
            };
            let e = if err_open {
                it.next().is_some_and(ready)
            } else {
                false
            };
            (o, e)
        };
        if o_ready {
            match out.read(&mut buf).map_err(io)? {
                0 => out_open = false,
                n => stdout.extend_from_slice(&buf[..n]),
            }
        }
        if e_ready {
            match err.read(&mut buf).map_err(io)? {
                0 => err_open = false,
                n => stderr.extend_from_slice(&buf[..n]),
            }
        }
    }
    // Both pipes are closed; the child has exited or is about to (or closed them itself).
    loop {
        match child.try_wait().map_err(io)? {
            Some(status) => {
                return Ok(Output {
                    status,
                    stdout,
                    stderr,
                });
            }
            None => {
                if !deadline.sleep(Duration::from_millis(2)) {
                    let _ = killpg(pgid, Signal::SIGKILL);
                    let _ = child.wait();
                    return Err(Error::Timeout {
                        program: name.into(),
                    });
                }
            }
        }
    }
}

/// A job for [`at_once`] and [`beside`]: run once, on whichever thread gets it.
type Job<'a, T> = std::sync::Mutex<Option<Box<dyn FnOnce() -> T + Send + 'a>>>;

fn take_and_run<T>(job: &Job<'_, T>) -> Option<T> {
    let f = job.lock().ok()?.take()?;
    Some(f())
}

/// Runs `jobs` at the same time (each tool's start-up and answer overlap the others'), each
/// on a thread of its own, and returns their results in order. A job whose thread cannot be
/// had runs on this one instead; `None`: the job panicked.
pub fn at_once<'a, T: Send>(jobs: Vec<Box<dyn FnOnce() -> T + Send + 'a>>) -> Vec<Option<T>> {
    let jobs: Vec<Job<'a, T>> = jobs
        .into_iter()
        .map(|j| std::sync::Mutex::new(Some(j)))
        .collect();
    std::thread::scope(|s| {
        let threads: Vec<_> = jobs
            .iter()
            .map(|job| {
                std::thread::Builder::new()
                    .spawn_scoped(s, move || take_and_run(job))
                    .ok()
            })
            .collect();
        threads
            .into_iter()
            .zip(&jobs)
            .map(|(t, job)| match t {
                Some(t) => t.join().ok().flatten(),
                None => take_and_run(job),
            })
            .collect()
    })
}

/// Runs `aside` on a thread of its own while `here` runs on this one; `aside` runs after
/// `here` when no thread can be had. `None`: `aside` panicked.
pub fn beside<A: Send, H>(
    aside: impl FnOnce() -> A + Send,
    here: impl FnOnce() -> H,
) -> (Option<A>, H) {
    let job: Job<'_, A> = std::sync::Mutex::new(Some(Box::new(aside)));
    std::thread::scope(|s| {
        let t = std::thread::Builder::new()
            .spawn_scoped(s, || take_and_run(&job))
            .ok();
        let h = here();
        let a = match t {
            Some(t) => t.join().ok().flatten(),
            None => take_and_run(&job),
        };
        (a, h)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dl(ms: u64) -> Deadline {
        Deadline::after(Duration::from_millis(ms))
    }

    // The jobs run at the same time: the first waits for what the last sends (run one
    // after the other, the first would give up after 10 s and say so).
    #[test]
    fn at_once_runs_every_job_together_and_keeps_their_order() {
        let (tx, rx) = std::sync::mpsc::channel();
        type J<'a> = Box<dyn FnOnce() -> &'static str + Send + 'a>;
        let jobs: Vec<J> = vec![
            Box::new(move || match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(()) => "heard",
                Err(_) => "alone",
            }),
            Box::new(|| panic!("a job that panics")),
            Box::new(move || {
                tx.send(()).unwrap();
                "sent"
            }),
        ];
        assert_eq!(at_once(jobs), vec![Some("heard"), None, Some("sent")]);
        assert!(at_once::<()>(vec![]).is_empty());
    }

    #[test]
    fn beside_runs_while_here_does() {
        let (tx, rx) = std::sync::mpsc::channel();
        let (aside, here) = beside(
            move || rx.recv_timeout(Duration::from_secs(10)).is_ok(),
            move || tx.send(()).is_ok(),
        );
        assert_eq!((aside, here), (Some(true), true));
        let (aside, here) = beside(|| -> u8 { panic!("aside panics") }, || 7);
        assert_eq!((aside, here), (None, 7));
    }

    #[test]
    fn captures_output_and_exit_code() {
        let o = run(
            "sh",
            &["-c", "echo out; echo err >&2; exit 3"],
            &[],
            dl(10_000),
        )
        .unwrap();
        assert_eq!(o.stdout_str(), "out\n");
        assert_eq!(o.status.code(), Some(3));
        assert_eq!(o.describe(), "exit code 3: err");
    }

    #[test]
    fn arguments_are_never_word_split() {
        let o = run(
            "printf",
            &["%s|", "a b; echo pwned", "$(id)"],
            &[],
            dl(10_000),
        )
        .unwrap();
        assert_eq!(o.stdout_str(), "a b; echo pwned|$(id)|");
    }

    #[test]
    fn environment_is_clean_and_c_locale() {
        // SAFETY: tests in this module do not read this variable concurrently.
        unsafe { std::env::set_var("OVN_OCF_RUNNER_SECRET", "x") };
        let o = run("env", &[] as &[&str], &[("EXTRA", "1")], dl(10_000)).unwrap();
        let s = o.stdout_str();
        assert!(s.contains("LC_ALL=C\n"));
        assert!(s.contains("EXTRA=1\n"));
        assert!(!s.contains("OVN_OCF_RUNNER_SECRET"));
    }

    #[test]
    fn deadline_kills_the_whole_group() {
        let e = run("sh", &["-c", "sleep 30 & sleep 30"], &[], dl(200)).unwrap_err();
        assert!(matches!(e, Error::Timeout { .. }), "{e}");
    }

    #[test]
    fn signal_death_is_reported() {
        let o = run("sh", &["-c", "kill -TERM $$"], &[], dl(10_000)).unwrap();
        assert!(o.describe().contains("SIGTERM"), "{}", o.describe());
    }

    #[test]
    fn missing_program_is_a_spawn_error() {
        let e = run("/nonexistent/tool", &[] as &[&str], &[], dl(1000)).unwrap_err();
        assert!(matches!(e, Error::Spawn { .. }));
    }
}

//! A control socket that answers late: busy or hung. A loaded daemon (ovsdb-server with
//! hundreds of ovn-controllers or one large transaction, ovn-northd recomputing a large
//! database) answers its control socket only between two turns of its main loop, which
//! may be seconds apart; a hung one never does. When the answer is late, monitor looks at
//! the process in /proc between waits, until the action's deadline: stopped (SIGSTOP,
//! traced) or gone is an error at once; one that ran (its CPU time grew) or was runnable
//! is busy, and monitor keeps waiting; one that is still silent at the deadline is
//! reported busy (running, with a warning) if it ran, hung (an error) if it neither ran
//! nor was runnable.
//!
//! Costs nothing on the fast path (an answer within [`PATIENCE`]): no /proc read. Forks
//! nothing, writes nothing.

use std::path::Path;
use std::time::{Duration, Instant};

use ovn_ocf::jsonrpc::Error;
use ovn_ocf::ocf::Deadline;
use ovn_ocf::ovsdb::Unixctl;
use ovn_ocf::process::{Activity, CpuSample, Progress, TICKS_PER_SEC};

/// How long the control socket may stay silent before monitor starts watching the
/// process; then it looks again every `PATIENCE` until the deadline.
pub const PATIENCE: Duration = Duration::from_millis(500);

/// Why a step did not complete.
#[derive(Debug)]
pub enum Late {
    /// Silent until the deadline, but running all along: not hung.
    Busy(String),
    /// Stopped, gone, idle until the deadline, or a failure other than a timeout.
    Failed(String),
}

/// One exchange with daemon `what` (pid `pid`) on its control socket `ctl` (a monitor's,
/// or ovn-northd's promote waiting for its status):
/// `cmds` in one round trip, each answer in order, by `dl`. A late answer is waited for
/// while the daemon is busy ([`Patience`]), and logged when it comes; the fast path is
/// one connect and one round trip.
pub fn ask_patiently(
    ctl: &Path,
    pid: i32,
    what: &'static str,
    cmds: &[&str],
    dl: Deadline,
) -> Result<Vec<Result<String, Error>>, Late> {
    let mut patience = Patience::new(pid, what);
    let asked = patience
        .wait(dl, |slice| Unixctl::connect(ctl, slice))
        .and_then(|mut c| {
            let mut pending = c
                .send_commands(cmds, dl)
                .map_err(|e| Late::Failed(format!("{what} pid {pid}: {e}")))?;
            patience.wait(dl, |slice| c.wait_commands(&mut pending, slice))
        });
    if asked.is_ok() && patience.was_late() {
        log::warn!(
            "{what} pid {pid} answered its control socket late, after {:.1} s ({}): busy, not hung",
            patience.elapsed().as_secs_f64(),
            patience.cpu()
        );
    }
    asked
}

/// Waits for the steps of one exchange with a daemon (connect, replies), watching the
/// daemon in /proc whenever a step is late. One per monitor: the watch spans every step.
pub struct Patience {
    pid: i32,
    what: &'static str,
    started: Instant,
    progress: Option<Progress>,
    /// When the daemon was first found late.
    late_since: Option<Instant>,
}

impl Patience {
    pub fn new(pid: i32, what: &'static str) -> Patience {
        Patience {
            pid,
            what,
            started: Instant::now(),
            progress: None,
            late_since: None,
        }
    }

    /// Whether any step was late.
    pub fn was_late(&self) -> bool {
        self.late_since.is_some()
    }

    /// How long the exchange took so far.
    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// The CPU share the daemon had while late, e.g. "97 % CPU".
    pub fn cpu(&self) -> String {
        match (
            self.progress.as_ref().map(Progress::verdict),
            self.late_since,
        ) {
            (Some(Activity::Busy { ticks, runnable }), Some(t)) if t.elapsed() >= PATIENCE => {
                let secs = t.elapsed().as_secs_f64().max(0.001);
                let pct = ticks as f64 / TICKS_PER_SEC as f64 / secs * 100.0;
                format!("{pct:.0} % CPU, runnable in {runnable} samples")
            }
            (Some(Activity::Busy { .. }), _) => "runnable".into(),
            _ => "no CPU time".into(),
        }
    }

    /// Runs `step` with slices of `dl` ([`PATIENCE`] each) until it completes. Between
    /// slices, samples the daemon: stopped or gone fails at once; at the deadline, a daemon
    /// that ran is [`Late::Busy`], one that did not is [`Late::Failed`].
    pub fn wait<T>(
        &mut self,
        dl: Deadline,
        mut step: impl FnMut(Deadline) -> Result<T, Error>,
    ) -> Result<T, Late> {
        loop {
            let timeout = match step(dl.cap(PATIENCE)) {
                Ok(t) => return Ok(t),
                Err(e) if e.is_timeout() => e,
                Err(e) => return Err(Late::Failed(format!("{} pid {}: {e}", self.what, self.pid))),
            };
            self.late_since.get_or_insert_with(Instant::now);
            let sample = CpuSample::read(self.pid);
            let early = match (&mut self.progress, sample) {
                (Some(p), s) => p.observe(s),
                (None, Some(s)) => self.progress.insert(Progress::new(s)).settled(),
                (None, None) => Some(Activity::Gone),
            };
            if let Some(a) = early {
                return Err(Late::Failed(self.hung(a, &timeout)));
            }
            if dl.expired() {
                // An exchange begun with less than PATIENCE left says nothing about the
                // daemon: silent that briefly, it is neither busy nor hung. (A promote
                // polling ovn-northd's status to its deadline starts its last ask there:
                // read as busy, a northd that had just answered "standby" was promoted.)
                if self.elapsed() < PATIENCE {
                    return Err(Late::Failed(format!(
                        "{} pid {}: {timeout}, with only {:.2} s left before the deadline",
                        self.what,
                        self.pid,
                        self.elapsed().as_secs_f64()
                    )));
                }
                let a = self
                    .progress
                    .as_ref()
                    .map_or(Activity::Gone, Progress::verdict);
                return Err(match a {
                    Activity::Busy { .. } => Late::Busy(format!(
                        "{} pid {} has not answered its control socket in {:.1} s but is busy ({}): not hung",
                        self.what,
                        self.pid,
                        self.elapsed().as_secs_f64(),
                        self.cpu()
                    )),
                    other => Late::Failed(self.hung(other, &timeout)),
                });
            }
        }
    }

    fn hung(&self, a: Activity, timeout: &Error) -> String {
        let (what, pid) = (self.what, self.pid);
        let secs = self.elapsed().as_secs_f64();
        match a {
            Activity::Stopped(st) => format!(
                "{what} pid {pid} is stopped (state {st}) and did not answer its control socket in {secs:.1} s"
            ),
            Activity::Gone => format!("{what} pid {pid} went away while monitor waited for it"),
            Activity::Idle(st) => format!(
                "{what} pid {pid} is hung: {timeout}, not running meanwhile (state {st}, no CPU time in {secs:.1} s)"
            ),
            Activity::Busy { .. } => format!("{what} pid {pid}: {timeout}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeout() -> Error {
        Error::Timeout {
            endpoint: "unix:test.ctl".into(),
        }
    }

    #[test]
    fn exchange_begun_at_the_deadline_is_not_busy() {
        // This process runs (it is the one asking): sampled alone at the deadline it would
        // look busy. Begun with no time left, the silence says nothing.
        let mut p = Patience::new(std::process::id() as i32, "test");
        let r: Result<(), Late> = p.wait(Deadline::after(Duration::ZERO), |_| Err(timeout()));
        match r {
            Err(Late::Failed(why)) => assert!(why.contains("left before the deadline"), "{why}"),
            other => panic!("want Failed, got {other:?}"),
        }
    }

    #[test]
    fn running_through_a_whole_deadline_is_busy() {
        // Silent for longer than PATIENCE while running (each slice spent spinning): busy.
        let mut p = Patience::new(std::process::id() as i32, "test");
        let dl = Deadline::after(PATIENCE * 3);
        let r: Result<(), Late> = p.wait(dl, |slice| {
            while !slice.expired() {
                std::hint::spin_loop();
            }
            Err(timeout())
        });
        match r {
            Err(Late::Busy(why)) => assert!(why.contains("not hung"), "{why}"),
            other => panic!("want Busy, got {other:?}"),
        }
    }
}

//! Talking to a running ovn-northd over its control socket: its status (active, standby,
//! paused), its connections to both databases, and waiting for a status.

use std::time::Duration;

use ovn_ocf::ocf::{Deadline, Failure};
use ovn_ocf::ovsdb::{Unixctl, parse_key_values};
use ovn_ocf::process::ProcInfo;

use super::Northd;
use crate::framework::busy::{Late, Patience};

/// What `status` says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NorthdStatus {
    /// Holds the SB lock and writes.
    Active,
    /// Running but another northd holds the lock.
    Standby,
    Paused,
    Other(String),
}

pub fn parse_status(text: &str) -> NorthdStatus {
    match parse_key_values(text).get("status").map(String::as_str) {
        Some("active") => NorthdStatus::Active,
        Some("standby") => NorthdStatus::Standby,
        Some("paused") => NorthdStatus::Paused,
        Some(other) => NorthdStatus::Other(other.to_string()),
        None => NorthdStatus::Other(text.trim().to_string()),
    }
}

impl Northd<'_> {
    /// One unixctl command to the running northd, within the action's deadline.
    pub(super) fn ask(&self, pid: i32, cmd: &str) -> Result<String, Failure> {
        self.ask_until(pid, cmd, self.cx.deadline)
    }

    fn ask_until(&self, pid: i32, cmd: &str, deadline: Deadline) -> Result<String, Failure> {
        Unixctl::connect(&self.cfg.ctl(pid), deadline)
            .and_then(|mut ctl| ctl.command(cmd, &[], deadline))
            .map_err(|e| Failure::context(e, format!("ovn-northd pid {pid}")))
    }

    pub(super) fn status(&self, d: &ProcInfo) -> Result<NorthdStatus, Failure> {
        if d.stopped() {
            return Err(Failure::generic(format!(
                "ovn-northd pid {} is stopped (state {})",
                d.pid, d.state
            )));
        }
        self.ask(d.pid, "status").map(|s| parse_status(&s))
    }

    /// Monitor's status question: a late answer is waited for while northd is busy (a
    /// recompute of a large database keeps it from its control socket for seconds), and a
    /// northd still busy at the deadline is [`Late::Busy`], not a failure; stopped, gone
    /// or idle is [`Late::Failed`].
    pub(super) fn status_patiently(&self, d: &ProcInfo) -> Result<NorthdStatus, Late> {
        if d.stopped() {
            return Err(Late::Failed(format!(
                "ovn-northd pid {} is stopped (state {})",
                d.pid, d.state
            )));
        }
        let dl = self.cx.deadline;
        let ctl = self.cfg.ctl(d.pid);
        let mut patience = Patience::new(d.pid, "ovn-northd");
        let asked = patience
            .wait(dl, |slice| Unixctl::connect(&ctl, slice))
            .and_then(|mut c| {
                let mut pending = c
                    .send_commands(&["status"], dl)
                    .map_err(|e| Late::Failed(format!("ovn-northd pid {}: {e}", d.pid)))?;
                patience.wait(dl, |slice| c.wait_commands(&mut pending, slice))
            })?;
        if patience.was_late() {
            log::warn!(
                "ovn-northd pid {} answered its control socket late, after {:.1} s ({}): busy, not hung",
                d.pid,
                patience.elapsed().as_secs_f64(),
                patience.cpu()
            );
        }
        match asked.into_iter().next() {
            Some(Ok(text)) => Ok(parse_status(&text)),
            Some(Err(e)) => Err(Late::Failed(format!("ovn-northd pid {}: {e}", d.pid))),
            None => Err(Late::Failed(format!(
                "ovn-northd pid {}: no answer to status",
                d.pid
            ))),
        }
    }

    /// Which databases northd is not connected to, as reasons; empty when both are.
    pub(super) fn disconnected(&self, pid: i32) -> Result<Vec<String>, Failure> {
        self.disconnected_by(pid, self.cx.deadline)
    }

    /// [`Self::disconnected`], each question answered by `deadline`.
    pub(super) fn disconnected_by(
        &self,
        pid: i32,
        deadline: Deadline,
    ) -> Result<Vec<String>, Failure> {
        let mut out = vec![];
        for (cmd, name, remote) in [
            ("nb-connection-status", "Northbound", &self.cfg.nb),
            ("sb-connection-status", "Southbound", &self.cfg.sb),
        ] {
            let s = self.ask_until(pid, cmd, deadline)?;
            if s.trim() != "connected" {
                out.push(format!("{name} database {remote} ({})", s.trim()));
            }
        }
        Ok(out)
    }

    /// Waits until `status` satisfies `want`; the last status on the deadline.
    pub(super) fn wait_status(
        &self,
        pid: i32,
        until: Deadline,
        want: impl Fn(&NorthdStatus) -> bool,
    ) -> Result<(), String> {
        let mut last = String::new();
        let done = until.poll(Duration::from_millis(1), || {
            match self.ask_until(pid, "status", until) {
                Ok(s) => {
                    let st = parse_status(&s);
                    if want(&st) {
                        return Some(());
                    }
                    last = format!("{st:?}");
                }
                Err(f) => last = f.reason,
            }
            None
        });
        done.ok_or(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_fixtures() {
        assert_eq!(parse_status("Status: active\n"), NorthdStatus::Active);
        assert_eq!(parse_status("Status: standby\n"), NorthdStatus::Standby);
        assert_eq!(parse_status("Status: paused\n"), NorthdStatus::Paused);
        assert_eq!(parse_status("weird"), NorthdStatus::Other("weird".into()));
    }
}

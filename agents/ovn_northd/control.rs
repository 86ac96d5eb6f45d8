//! Talking to a running ovn-northd over its control socket: its status (active, standby,
//! paused), its connections to both databases, and waiting for a status.

use std::time::Duration;

use ovn_ocf::ocf::{Deadline, Failure};
use ovn_ocf::ovsdb::{Unixctl, parse_key_values};
use ovn_ocf::process::ProcInfo;

use super::Northd;
use crate::framework::busy::{self, Late};

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

    /// One question to northd by `until`, patiently ([`busy::ask_patiently`]): a late
    /// answer is waited for while northd is busy (a recompute of a large database keeps it
    /// from its control socket for seconds), and a northd still busy at `until` is
    /// [`Late::Busy`], not a failure; stopped, gone or idle is [`Late::Failed`].
    pub(super) fn ask_patiently(
        &self,
        pid: i32,
        cmd: &str,
        until: Deadline,
    ) -> Result<String, Late> {
        let asked = busy::ask_patiently(&self.cfg.ctl(pid), pid, "ovn-northd", &[cmd], until)?;
        match asked.into_iter().next() {
            Some(Ok(text)) => Ok(text),
            Some(Err(e)) => Err(Late::Failed(format!("ovn-northd pid {pid}: {e}"))),
            None => Err(Late::Failed(format!(
                "ovn-northd pid {pid}: no answer to {cmd}"
            ))),
        }
    }

    /// Monitor's status question, patiently ([`Self::ask_patiently`]).
    pub(super) fn status_patiently(&self, d: &ProcInfo) -> Result<NorthdStatus, Late> {
        if d.stopped() {
            return Err(Late::Failed(format!(
                "ovn-northd pid {} is stopped (state {})",
                d.pid, d.state
            )));
        }
        self.ask_patiently(d.pid, "status", self.cx.deadline)
            .map(|s| parse_status(&s))
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

    /// [`Self::wait_status`], patiently: a northd silent on its control socket but running
    /// is waited for, and one still busy at `until` is [`Waited::Busy`].
    pub(super) fn wait_status_patiently(
        &self,
        pid: i32,
        until: Deadline,
        want: impl Fn(&NorthdStatus) -> bool,
    ) -> Waited {
        // The last status it answered, and a failure after it: the last ask may only have
        // run out of time, which must not hide a status such as Standby.
        let (mut status, mut failed, mut asked) = (None, None, false);
        let done = until.poll(Duration::from_millis(1), || {
            // After the first ask, none begun with less than PATIENCE left: it could only
            // time out, too short a silence to tell anything by (not busy, not hung).
            if asked && until.remaining() < busy::PATIENCE {
                return Some(None);
            }
            asked = true;
            match self.ask_patiently(pid, "status", until) {
                Ok(s) => {
                    let st = parse_status(&s);
                    if want(&st) {
                        return Some(Some(Waited::Reached));
                    }
                    (status, failed) = (Some(format!("{st:?}")), None);
                }
                Err(Late::Busy(why)) => return Some(Some(Waited::Busy(why))),
                Err(Late::Failed(why)) => failed = Some(why),
            }
            None
        });
        done.flatten().unwrap_or_else(|| {
            Waited::Not(match (status, failed) {
                (Some(st), Some(why)) => format!("{st}, then {why}"),
                (Some(st), None) => st,
                (None, Some(why)) => why,
                (None, None) => "never asked".into(),
            })
        })
    }
}

/// What [`Northd::wait_status_patiently`] came to.
#[derive(Debug)]
pub(super) enum Waited {
    Reached,
    /// Still busy (silent on its control socket, running) at the deadline: why.
    Busy(String),
    /// Not reached by the deadline: the last status, or the last failure.
    Not(String),
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

//! `ocf:ovn-ocf:ovn-northd`: OVN's northd, as a primitive (start = run it) or as a
//! promotable clone whose unpromoted instances run paused (`--dry-run`): already connected
//! to both databases and monitoring them, so promote is a `resume` and the wait for
//! `Status: active` (it holds the SB lock), and demote is a `pause`.
//!
//! Owns the northd process it spawns and its state file; talks to it only through its
//! unixctl socket (`control`). Never touches the databases. Files: `params` (the table),
//! `config`, `control` (the control socket), `monitor`.

mod config;
mod control;
mod monitor;
mod params;

use std::time::Duration;

use ovn_ocf::ocf::{ActionResult, Failure, OcfStatus};
use ovn_ocf::pacemaker;
use ovn_ocf::process::{self, ProcInfo};
use ovn_ocf::state::{Role, State};

use crate::framework::daemon::{self, Daemon, Ready};
use crate::framework::{Actions, AgentDef, Resource, SCORE_PROMOTED, SCORE_STANDBY};

pub use config::Config;
use control::Waited;
pub use control::{NorthdStatus, parse_status};
pub use params::SPEC;

pub const AGENT: AgentDef = AgentDef::of::<Config>();

/// The node attribute showing this agent's role in `crm_mon -A`.
pub const ROLE_ATTR: &str = "ovn-ocf-northd-role";
/// The node attribute showing the last death of ovn-northd its watcher reported.
pub const DIED_ATTR: &str = "ovn-ocf-northd-died";

/// One action on one resource (see `framework::Resource`).
pub type Northd<'a> = Resource<'a, Config>;

impl Northd<'_> {
    fn daemon(&self) -> Option<ProcInfo> {
        self.inst.daemon()
    }

    fn publish(&self, st: &mut State, score: Option<i32>) {
        let role = pacemaker::role_word(st.role);
        self.inst.publish(st, score, &[(ROLE_ATTR, role)]);
    }

    /// Starts northd (paused for a hot standby) and waits until it is connected to both
    /// databases; on the deadline, names the database it could not reach.
    fn spawn(&self, paused: bool) -> Result<i32, Failure> {
        self.inst.ensure_dirs()?;
        let run_dir = self.cfg.run_dir.display().to_string();
        let args = self.cfg.args(paused);
        let d = Daemon {
            name: "ovn-northd",
            program: &self.cfg.ovn_northd,
            args: &args,
            env: &[("OVN_RUNDIR", run_dir.as_str())],
            log_file: &self.cfg.log_file,
        };
        // What it last said about its connections: a question the deadline cuts short
        // must not hide which database it could not reach.
        let mut seen: Option<String> = None;
        let (child, ()) = daemon::spawn_ready(&d, self.cx.deadline, daemon::EVERY, |pid| {
            if process::read_pidfile(&self.cfg.pidfile()) != Some(pid)
                || !self.cfg.ctl(pid).exists()
            {
                return Ready::NotYet("its control socket did not answer".into());
            }
            // One slow answer must not use up the rest of the action's time.
            let ask_by = self.cx.deadline.cap(Duration::from_secs(1));
            match self.disconnected_by(pid, ask_by) {
                Ok(d) if d.is_empty() => Ready::Yes(()),
                Ok(d) => {
                    let why = format!("not connected to the {}", d.join(" nor the "));
                    seen = Some(why.clone());
                    Ready::NotYet(why)
                }
                Err(f) => Ready::NotYet(match &seen {
                    Some(why) => format!("{why} (then: {})", f.reason),
                    None => f.reason,
                }),
            }
        })?;
        let pid = child.id() as i32;
        log::info!("started ovn-northd pid={pid} paused={paused}");
        Ok(pid)
    }
}

impl Actions for Northd<'_> {
    fn start(&self) -> ActionResult {
        let promotable = self.cx.meta.promotable;
        let mut st = self.inst.state();
        let pid = match self.daemon() {
            Some(d) => {
                let status = self.status(&d)?;
                if !promotable && status == NorthdStatus::Paused {
                    self.ask(d.pid, "resume")?;
                }
                log::info!("ovn-northd pid {} already runs ({status:?})", d.pid);
                if st.role.is_none() {
                    st.role = Some(match status {
                        NorthdStatus::Active if promotable => Role::Serving,
                        _ if promotable => Role::Standby,
                        _ => Role::Serving,
                    });
                }
                d.pid
            }
            None => {
                let pid = self.spawn(promotable)?;
                st.role = Some(if promotable {
                    Role::Standby
                } else {
                    Role::Serving
                });
                pid
            }
        };
        self.publish(&mut st, promotable.then_some(SCORE_STANDBY));
        self.inst.save(&st)?;
        self.inst.watch(pid);
        Ok(OcfStatus::Success)
    }

    fn stop(&self) -> ActionResult {
        // The watcher first: stopping northd is no failure.
        self.inst.end_watchers();
        if let Some(d) = self.daemon() {
            let how = process::terminate(d.pid, self.cx.deadline)
                .map_err(|e| Failure::context(e, "cannot stop ovn-northd"))?;
            log::info!("stopped ovn-northd pid={} ({how:?})", d.pid);
            if process::read_pidfile(&self.cfg.pidfile()) == Some(d.pid) {
                let _ = std::fs::remove_file(self.cfg.pidfile());
            }
            let _ = std::fs::remove_file(self.cfg.ctl(d.pid));
        }
        self.inst.stopped_watching();
        self.inst.forget(&[ROLE_ATTR], None);
        Ok(OcfStatus::Success)
    }

    fn monitor(&self) -> ActionResult {
        self.check()
    }

    fn promote(&self) -> ActionResult {
        let pid = match self.daemon() {
            Some(d) => d.pid,
            None => {
                let pid = self.spawn(true)?;
                self.inst.watch(pid);
                pid
            }
        };
        self.ask(pid, "resume")?;
        // Keep a share of the budget to pause again if it never becomes active.
        let until = self.cx.deadline.share(0.8);
        match self.wait_status_patiently(pid, until, |s| *s == NorthdStatus::Active) {
            Waited::Reached => {}
            // Resumed, and computing since: with a large database the first recompute
            // keeps it from its control socket longer than a promote lasts. Failing it
            // would have Pacemaker restart it cold, into the same recompute. The promoted
            // monitor checks that it holds the lock once it answers again.
            Waited::Busy(why) => log::warn!(
                "promoted: ovn-northd resumed, then {why}; its monitor checks that it is active once it answers"
            ),
            Waited::Not(last) => {
                // Back to a clean standby; Pacemaker decides what next.
                if let Err(e) = self.ask(pid, "pause") {
                    log::warn!("cannot pause ovn-northd again: {e}");
                }
                return Err(Failure::generic(format!(
                    "ovn-northd resumed but did not become active before the timeout (status: {last}); does another ovn-northd hold the Southbound lock?"
                )));
            }
        }
        let mut st = self.inst.state();
        st.role = Some(Role::Serving);
        self.publish(&mut st, Some(SCORE_PROMOTED));
        self.inst.save(&st)?;
        Ok(OcfStatus::Success)
    }

    fn demote(&self) -> ActionResult {
        if let Some(d) = self.daemon() {
            if d.stopped() {
                return Err(Failure::generic(format!(
                    "ovn-northd pid {} is stopped (SIGSTOP)",
                    d.pid
                )));
            }
            self.ask(d.pid, "pause")?;
            self.wait_status(d.pid, self.cx.deadline, |s| *s == NorthdStatus::Paused)
                .map_err(|last| Failure::generic(format!("ovn-northd did not pause: {last}")))?;
        }
        let mut st = self.inst.state();
        st.role = Some(Role::Standby);
        self.publish(&mut st, Some(SCORE_STANDBY));
        self.inst.save(&st)?;
        Ok(OcfStatus::Success)
    }
}

//! What monitor answers for ovn-northd: 7 not running, 0 running (paused standby of a
//! promotable clone), 8 promoted and active, 9 promoted but not active; depth 10 also
//! checks both database connections. A hung northd is an error, never "not running"; a
//! busy one (its control socket silent while it computes) is running.

use std::time::Duration;

use ovn_ocf::ocf::{ActionResult, Failure, OcfStatus};
use ovn_ocf::process::ProcInfo;
use ovn_ocf::state::Role;

use super::Northd;
use super::control::{NorthdStatus, parse_status};
use crate::framework::busy::{Late, PATIENCE};

impl Northd<'_> {
    /// The monitor action.
    pub(super) fn check(&self) -> ActionResult {
        let st = self.inst.state();
        let promotable = self.cx.meta.promotable;
        let promoted = promotable && st.role == Some(Role::Serving);
        let broken = |why: String| {
            Err(Failure::new(
                if promoted {
                    OcfStatus::FailedPromoted
                } else {
                    OcfStatus::ErrGeneric
                },
                why,
            ))
        };
        let Some(d) = self.daemon() else {
            if st.role.is_some()
                && let Some(what) = self.inst.death_reported()
            {
                // Pacemaker already has this failure (asyncmon) and is recovering:
                // failing it again here would count it twice.
                log::info!("{what}; recovery is under way");
                return Ok(if promoted {
                    OcfStatus::RunningPromoted
                } else {
                    OcfStatus::Success
                });
            }
            if promoted {
                return broken("promoted ovn-northd is gone".into());
            }
            if st.role.is_some() {
                // Still 7, with a reason crm_mon shows.
                return Err(Failure::new(
                    OcfStatus::NotRunning,
                    "ovn-northd is gone (killed or crashed)",
                ));
            }
            return Ok(OcfStatus::NotRunning);
        };
        let status = match self.status_patiently(&d) {
            Ok(s) => s,
            Err(Late::Busy(why)) => {
                // Recomputing (a large database, a reconnect): failing it over would start
                // the same recompute elsewhere, from scratch.
                log::warn!("{why}");
                let result = if promoted {
                    OcfStatus::RunningPromoted
                } else {
                    OcfStatus::Success
                };
                self.inst.monitor_score(st, result);
                return Ok(result);
            }
            Err(Late::Failed(why)) => return broken(why),
        };
        let result = match (&status, promotable) {
            (NorthdStatus::Active | NorthdStatus::Standby, false) => OcfStatus::Success,
            (NorthdStatus::Paused, false) => {
                return broken(format!("ovn-northd pid {} is paused", d.pid));
            }
            (NorthdStatus::Active, true) => OcfStatus::RunningPromoted,
            (NorthdStatus::Paused, true) if !promoted => OcfStatus::Success,
            (NorthdStatus::Standby, true) if !promoted => {
                log::warn!("unpromoted ovn-northd pid {} is not paused", d.pid);
                OcfStatus::Success
            }
            (NorthdStatus::Standby, true) => match self.promoted_standby(&d) {
                Ok(()) => OcfStatus::RunningPromoted,
                Err(why) => return broken(why),
            },
            (s, _) => {
                return broken(format!(
                    "promoted ovn-northd pid {} is not active: {s:?}",
                    d.pid
                ));
            }
        };
        if self.cx.meta.check_level >= 10 {
            match self.disconnected(d.pid) {
                Ok(v) if v.is_empty() => {}
                Ok(v) => {
                    return broken(format!(
                        "ovn-northd is not connected to the {}",
                        v.join(" nor the ")
                    ));
                }
                Err(f) => return broken(f.reason),
            }
        }
        self.inst.monitor_score(st, result);
        Ok(result)
    }

    /// A promoted northd in standby: it lost the SB lock. While the Southbound is
    /// unreachable (the SB resource failing over or recovering) that is no fault of
    /// northd's and restarting it would not help: it takes the lock again once it
    /// reconnects. Connected but still standby for 2 s: another northd holds the lock.
    /// Asked patiently: a northd that turns busy meanwhile (a recompute) is not failed.
    fn promoted_standby(&self, d: &ProcInfo) -> Result<(), String> {
        let until = self.cx.deadline.cap(Duration::from_secs(2));
        let busy = |why: String| {
            log::warn!("{why}");
            Some(Ok(()))
        };
        let not_holding = || {
            format!(
                "promoted ovn-northd pid {} is connected to the Southbound database but does not hold its lock (another ovn-northd does?)",
                d.pid
            )
        };
        let mut asked = false;
        let mut step = || -> Option<Result<(), String>> {
            // After the first round, none begun with less than PATIENCE left: it could only
            // time out, which says nothing about the lock.
            if asked && until.remaining() < PATIENCE {
                return Some(Err(not_holding()));
            }
            asked = true;
            let sb = match self.ask_patiently(d.pid, "sb-connection-status", until) {
                Ok(s) => s,
                Err(Late::Busy(why)) => return busy(why),
                Err(Late::Failed(why)) => return Some(Err(why)),
            };
            if sb.trim() != "connected" {
                log::warn!(
                    "promoted ovn-northd pid {} is standby while the Southbound database {} is unreachable ({}); it takes the lock again once it reconnects",
                    d.pid,
                    self.cfg.sb,
                    sb.trim()
                );
                return Some(Ok(()));
            }
            match self
                .ask_patiently(d.pid, "status", until)
                .map(|s| parse_status(&s))
            {
                Ok(NorthdStatus::Active) => Some(Ok(())),
                Ok(NorthdStatus::Standby) => None,
                Ok(other) => Some(Err(format!(
                    "promoted ovn-northd pid {} is not active: {other:?}",
                    d.pid
                ))),
                Err(Late::Busy(why)) => busy(why),
                Err(Late::Failed(why)) => Some(Err(why)),
            }
        };
        until
            .poll(Duration::from_millis(100), &mut step)
            .unwrap_or_else(|| Err(not_holding()))
    }
}

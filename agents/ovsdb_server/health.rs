//! What monitor finds and what it answers: depth 0 (alive, not stopped, control socket
//! answers, active, our listeners configured; no child process; a late answer from a busy
//! server waited for, busy.rs), depth 10 (a read
//! transaction, the listener bound), depth 20 (the file's records verify). At every depth
//! a serving database's storage is measured (storage.rs). Monitor observes; what it
//! changes: a promotion score that is wrong; when the storage runs low, a compaction
//! asked of ovsdb-server and the storage attribute (on change); every 15 s at most (less
//! often on a big database), what the database holds, kept beside its file (memo.rs).

use std::time::Duration;

use ovn_ocf::jsonrpc::Endpoint;
use ovn_ocf::ocf::{Action, ActionResult, Failure, OcfStatus};
use ovn_ocf::ovsdb::{self, Ovsdb, SyncState};
use ovn_ocf::process::{self, ProcInfo};
use ovn_ocf::state::Role;
use ovn_ocf::{dbfile, lease, ovn};

use super::Server;
use super::busy::Late;

/// What monitor found.
#[derive(Debug)]
pub(super) enum Health {
    Gone,
    Serving,
    Broken(String),
}

impl Server<'_> {
    /// The monitor action.
    pub(super) fn check(&self) -> ActionResult {
        let mut st = self.inst.state();
        if self.replicates() && st.role == Some(Role::Standby) {
            return match self.daemon() {
                Some(d) => self.check_replica(st, &d),
                None => match self.inst.death_reported() {
                    Some(what) => {
                        log::info!("{what}; recovery is under way");
                        Ok(OcfStatus::Success)
                    }
                    // Not running, as a primitive's gone server: a probe must say 7.
                    None => Err(Failure::new(
                        OcfStatus::NotRunning,
                        format!(
                            "the replica's ovsdb-server is gone ({})",
                            self.cfg.db_file.display()
                        ),
                    )),
                },
            };
        }
        let mut health = self.health(st.remotes.as_slice());
        if matches!(health, Health::Serving)
            && st.awaiting_rebuild
            && let Some(d) = self.daemon()
            && let Err(f) = self.finish_rebuild(&mut st, &d)
        {
            health = Health::Broken(f.reason);
        }
        if matches!(health, Health::Gone)
            && st.role == Some(Role::Serving)
            && let Some(what) = self.inst.death_reported()
        {
            // Pacemaker already has this failure (asyncmon) and is recovering: failing
            // it again here would count it twice.
            log::info!("{what}; recovery is under way");
            return Ok(if self.cx.meta.promotable {
                OcfStatus::RunningPromoted
            } else {
                OcfStatus::Success
            });
        }
        if matches!(health, Health::Serving)
            && let Some(k) = st.keeper
            && !lease::is_keeper(k, &lease::record_path(&self.cfg.db_file))
        {
            health = Health::Broken(format!(
                "its lease keeper pid {k} is gone: the owner record is no longer renewed, so a node cut off from this one could take the database over"
            ));
        }
        let serving = matches!(health, Health::Serving);
        let status =
            monitor_status(health, self.cx.meta.promotable, st.role).map_err(|mut f| {
                f.reason = format!("{} ({})", f.reason, self.cfg.db_file.display());
                f
            })?;
        // A probe only looks; a recurring monitor of a serving database also watches its
        // storage (no child process unless the attribute changes).
        let mut full = None;
        if serving && !self.cx.meta.is_probe(Action::Monitor) {
            let before = st.clone();
            full = self.watch_storage(&mut st);
            self.watch_memo(&mut st);
            self.watch_clients(&mut st);
            if st != before
                && let Err(f) = self.inst.save(&st)
            {
                log::warn!("{}", f.reason);
            }
        }
        self.inst.monitor_score(st, status);
        match full {
            // Full storage: running (a failover would mount the same storage), but
            // degraded, so that Pacemaker lists it with the reason (docs/ARCHITECTURE.md).
            Some(why) => Err(Failure::new(degraded(status), why)),
            None => Ok(status),
        }
    }

    pub(super) fn health(&self, remotes: &[String]) -> Health {
        match self.daemon() {
            None => Health::Gone,
            Some(d) => self.health_of(&d, remotes),
        }
    }

    /// Depth 0: alive, not stopped, unixctl answers, active, `remotes` configured.
    /// Depth 10: + a read transaction and our listener bound. Depth 20: + file verifies.
    pub(super) fn health_of(&self, d: &ProcInfo, remotes: &[String]) -> Health {
        if d.stopped() {
            return Health::Broken(format!(
                "ovsdb-server pid {} is stopped (state {})",
                d.pid, d.state
            ));
        }
        // One round trip: the role and the listeners (busy.rs waits for a late answer).
        let cmds: &[&str] = if remotes.is_empty() {
            &["ovsdb-server/sync-status"]
        } else {
            &["ovsdb-server/sync-status", "ovsdb-server/list-remotes"]
        };
        let mut answers = match self.ask_patiently(d.pid, cmds) {
            Ok(a) => a.into_iter(),
            Err(Late::Busy(why)) => {
                log::warn!("{why}; reported running");
                return Health::Serving;
            }
            Err(Late::Failed(why)) => return Health::Broken(why),
        };
        match answers.next() {
            Some(Ok(s)) => match ovsdb::parse_sync_status(&s) {
                SyncState::Active => {}
                other => {
                    return Health::Broken(format!(
                        "ovsdb-server pid {} is not active: {other:?}",
                        d.pid
                    ));
                }
            },
            Some(Err(e)) => return Health::Broken(format!("ovsdb-server pid {}: {e}", d.pid)),
            None => return Health::Broken(format!("ovsdb-server pid {}: no answer", d.pid)),
        }
        if let Some(listed) = answers.next() {
            match listed {
                Ok(s) => {
                    let have = ovsdb::parse_remotes(&s);
                    if let Some(missing) = remotes.iter().find(|r| !have.contains(r)) {
                        return Health::Broken(format!("remote {missing} is not open"));
                    }
                }
                Err(e) => return Health::Broken(format!("ovsdb-server pid {}: {e}", d.pid)),
            }
        }
        if self.cx.meta.check_level >= 10
            && let Err(why) = self.deep_check(d.pid, !remotes.is_empty())
        {
            return Health::Broken(why);
        }
        if self.cx.meta.check_level >= 20
            && let Err(why) = self.file_check()
        {
            return Health::Broken(why);
        }
        Health::Serving
    }

    fn deep_check(&self, pid: i32, serving: bool) -> Result<(), String> {
        let dl = self.cx.deadline;
        let mut db =
            Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl).map_err(|e| e.to_string())?;
        ovn::read_global(&mut db, self.cfg.db, dl)
            .map_err(|e| format!("read transaction failed: {e}"))?;
        if serving
            && !process::tcp_listeners(pid)
                .iter()
                .any(|l| l.port == self.cfg.port)
        {
            return Err(format!("nothing listens on port {}", self.cfg.port));
        }
        Ok(())
    }

    fn file_check(&self) -> Result<(), String> {
        let db = &self.cfg.db_file;
        let size = std::fs::metadata(db)
            .map(|m| m.len())
            .map_err(|e| format!("{}: {e}", db.display()))?;
        let v = dbfile::inspect(db, Some(size))
            .map(|i| i.verdict)
            .map_err(|e| format!("{}: {e}", db.display()))?;
        if let dbfile::Verdict::TornTail { .. } = v {
            // A record being appended right now looks torn; it must not stay that way.
            self.cx.deadline.sleep(Duration::from_millis(200));
            let now = std::fs::metadata(db).map(|m| m.len()).unwrap_or(size);
            if now == size {
                return Err(format!("{} ends in a torn record: {v:?}", db.display()));
            }
        } else if !v.is_clean() {
            return Err(format!("{} does not verify: {v:?}", db.display()));
        }
        Ok(())
    }
}

/// The answer for a server that runs but whose storage is full: Pacemaker (2.1.5, as
/// Debian 12 has it) treats OCF_DEGRADED as running and OCF_DEGRADED_PROMOTED as
/// promoted (no fail count, no recovery) and lists the monitor as a failed action.
pub(super) fn degraded(status: OcfStatus) -> OcfStatus {
    match status {
        OcfStatus::RunningPromoted => OcfStatus::DegradedPromoted,
        _ => OcfStatus::Degraded,
    }
}

/// Maps what monitor found to the OCF answer, per shape: a primitive is 0 / 7 / 1; a
/// promotable instance is 7 stopped, 0 standby, 8 promoted, 9 promoted but failed (gone
/// while it should serve, or broken).
pub(super) fn monitor_status(health: Health, promotable: bool, role: Option<Role>) -> ActionResult {
    match (health, promotable, role) {
        // Not running where it should serve: still 7, but with a reason crm_mon shows.
        (Health::Gone, false, Some(Role::Serving)) => Err(Failure::new(
            OcfStatus::NotRunning,
            "ovsdb-server is gone (killed or crashed)",
        )),
        (Health::Gone, false, _) => Ok(OcfStatus::NotRunning),
        (Health::Gone, true, Some(Role::Serving)) => Err(Failure::new(
            OcfStatus::FailedPromoted,
            "the promoted ovsdb-server is gone",
        )),
        (Health::Gone, true, Some(Role::Standby)) => Ok(OcfStatus::Success),
        (Health::Gone, true, None) => Ok(OcfStatus::NotRunning),
        (Health::Broken(why), false, _) => Err(Failure::generic(why)),
        (Health::Broken(why), true, _) => Err(Failure::new(OcfStatus::FailedPromoted, why)),
        (Health::Serving, false, _) => Ok(OcfStatus::Success),
        (Health::Serving, true, _) => Ok(OcfStatus::RunningPromoted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        use OcfStatus::*;
        let broken = || Health::Broken("x".into());
        type Case = (Health, bool, Option<Role>, Result<OcfStatus, OcfStatus>);
        let cases: Vec<Case> = vec![
            (Health::Gone, false, None, Ok(NotRunning)),
            (Health::Gone, false, Some(Role::Serving), Err(NotRunning)),
            (Health::Serving, false, Some(Role::Serving), Ok(Success)),
            (Health::Serving, false, None, Ok(Success)),
            (broken(), false, Some(Role::Serving), Err(ErrGeneric)),
            (Health::Gone, true, None, Ok(NotRunning)),
            (Health::Gone, true, Some(Role::Standby), Ok(Success)),
            (Health::Gone, true, Some(Role::Serving), Err(FailedPromoted)),
            (
                Health::Serving,
                true,
                Some(Role::Serving),
                Ok(RunningPromoted),
            ),
            // A server found running where a standby was recorded: promoted, so that
            // Pacemaker demotes it rather than believing it is a standby.
            (
                Health::Serving,
                true,
                Some(Role::Standby),
                Ok(RunningPromoted),
            ),
            (broken(), true, Some(Role::Serving), Err(FailedPromoted)),
            (broken(), true, Some(Role::Standby), Err(FailedPromoted)),
        ];
        for (h, promotable, role, want) in cases {
            let label = format!("{h:?} promotable={promotable} role={role:?}");
            let got = monitor_status(h, promotable, role).map_err(|f| f.status);
            assert_eq!(got, want, "{label}");
        }
    }

    #[test]
    fn full_storage_is_degraded_in_the_role_it_runs() {
        assert_eq!(degraded(OcfStatus::Success), OcfStatus::Degraded);
        assert_eq!(
            degraded(OcfStatus::RunningPromoted),
            OcfStatus::DegradedPromoted
        );
        assert_eq!(OcfStatus::Degraded.code(), 190);
        assert_eq!(OcfStatus::DegradedPromoted.code(), 191);
    }
}

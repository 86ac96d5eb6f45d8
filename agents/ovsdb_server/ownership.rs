//! Ownership of the database on this node: the owner record the guard claims before
//! serving, the lease keeper that renews it while the database serves, the check that the
//! claim still holds before the listeners open, and ending keepers on the way down.

use std::time::Duration;

use ovn_ocf::ocf::Failure;
use ovn_ocf::{guard, lease, pacemaker};

use super::Server;
use crate::framework::daemon;

impl Server<'_> {
    /// Claims the owner record for `node` (the guard's decision, logged), or refuses with
    /// the guard's reason (split brain, storage missing, a lease still renewed). Returns
    /// what the file was when it last served, for the repair to compare with.
    pub(super) fn claim(&self, node: &str, token: &str) -> Result<Option<lease::Served>, Failure> {
        let dl = self.cx.deadline;
        let probe = guard::Probe {
            members: || {
                pacemaker::membership(dl.cap(Duration::from_secs(10))).map_err(|e| e.to_string())
            },
            last_fenced: |owner: &str| {
                pacemaker::last_fenced(owner, dl.cap(Duration::from_secs(10)))
            },
            window: lease::WINDOW,
            deadline: dl,
        };
        let c = guard::claim(&self.cfg.db_file, node, token, probe)?;
        log::info!(
            "owner record for {}: {:?} by {node}; served last: {}",
            self.cfg.db_file.display(),
            c.decision,
            c.served.map_or_else(
                || "unknown".into(),
                |s| format!("{} bytes (inode {}, device {:#x})", s.size, s.ino, s.dev)
            )
        );
        Ok(c.served)
    }

    /// Starts the keeper that renews our claim (token) while we serve.
    pub(super) fn spawn_keeper(&self, node: &str, token: &str) -> Result<i32, Failure> {
        self.inst.ensure_dirs()?;
        let k = lease::Keeper {
            record: lease::record_path(&self.cfg.db_file),
            node: node.to_string(),
            token: token.to_string(),
            pidfile: self.cfg.pidfile(),
            marker: self.cfg.unixctl_arg(),
        };
        let keep_env = |k: &str| k.starts_with("HA_") || k == "OCF_RESOURCE_INSTANCE";
        let pid = daemon::spawn_helper(&lease::keeper_args(&k), keep_env, &self.cfg.log_file)
            .map_err(|f| {
                Failure::new(
                    f.status,
                    format!("cannot start the lease keeper: {}", f.reason),
                )
            })?;
        log::info!(
            "lease keeper pid={pid} renews {} every {} ms",
            k.record.display(),
            lease::RENEW.as_millis()
        );
        Ok(pid)
    }

    /// Before the listeners open: the record is still our claim and its keeper still
    /// renews it (a takeover while we repaired, or a keeper that died, ends the start).
    pub(super) fn lease_held(&self, node: &str, token: &str, keeper: i32) -> Result<(), Failure> {
        let record = lease::record_path(&self.cfg.db_file);
        match guard::read(&self.cfg.db_file)? {
            Some(r) if r.node == node && r.token == token => {}
            other => {
                return Err(Failure::generic(format!(
                    "lost the owner record {} while starting (it names {}); not opening",
                    record.display(),
                    other.map_or_else(|| "no node".into(), |r| format!("node {}", r.node))
                )));
            }
        }
        if !lease::is_keeper(keeper, &record) {
            return Err(Failure::generic(format!(
                "the lease keeper pid {keeper} of {} is gone; not opening",
                record.display()
            )));
        }
        Ok(())
    }

    /// Ends every keeper of our record on this node, also one no state file names (a
    /// start killed before it saved the state).
    pub(super) fn stop_keepers(&self) {
        let record = lease::record_path(&self.cfg.db_file);
        for pid in lease::keepers_of(&record) {
            lease::stop_keeper(pid, &record, self.cx.deadline.share(0.2));
        }
    }
}

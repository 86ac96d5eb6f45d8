//! The watcher of an agent's daemon (`ovn-ocf watch`, see `ovn_ocf::watch`): spawned once
//! the daemon runs, one per resource, so that its death reaches Pacemaker at once; ended
//! before stop or demote take the daemon down, so that they never trigger it.

use std::time::Duration;

use ovn_ocf::ocf::{Action, Failure};
use ovn_ocf::{pacemaker, process, watch};

use super::daemon;

use super::Instance;

impl Instance<'_> {
    /// Makes sure one watcher watches `d` (a watcher of an earlier daemon steps aside), and
    /// clears the markers of an earlier stop or death. Never fails an action: without a
    /// watcher the monitor still finds a death, later.
    pub fn watch(&self, daemon_pid: i32) {
        watch::clear_markers(self.state_file());
        let mut have = false;
        for (wpid, pid) in watch::watchers(self.state_file()) {
            if pid == daemon_pid {
                have = true;
            } else if let Err(e) = process::terminate(wpid, self.cx().deadline.share(0.1)) {
                log::warn!("cannot stop watcher pid {wpid} of an earlier pid {pid}: {e}");
            }
        }
        if have {
            return;
        }
        if let Err(f) = self.spawn_watcher(daemon_pid) {
            log::warn!("{}; its death is found by the next monitor", f.reason);
        }
    }

    fn spawn_watcher(&self, daemon_pid: i32) -> Result<(), Failure> {
        let d = self.daemon_spec();
        let resource = std::env::var("OCF_RESOURCE_INSTANCE")
            .ok()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| Failure::generic("no OCF_RESOURCE_INSTANCE: no watcher"))?;
        let cx = self.cx();
        let node = pacemaker::local_node_name(
            cx.meta.on_node.as_deref(),
            cx.deadline.cap(Duration::from_secs(5)),
        );
        let w = watch::Watch {
            pid: daemon_pid,
            comm: d.comm.into(),
            marker: d.marker.clone(),
            resource,
            node,
            state: self.state_file().to_path_buf(),
            attr: d.died_attr.clone(),
        };
        // What crm_resource needs to reach the cluster, and the logging settings.
        let keep_env = |k: &str| {
            k == "PATH"
                || k == "OCF_RESOURCE_INSTANCE"
                || ["HA_", "CIB_", "PCMK_"].iter().any(|p| k.starts_with(p))
        };
        let pid = daemon::spawn_helper(&watch::watch_args(&w), keep_env, &d.log_file)
            .map_err(|f| Failure::new(f.status, format!("cannot start a watcher: {}", f.reason)))?;
        log::info!(
            "watcher pid={pid} reports the death of {} pid {daemon_pid} (crm_resource --fail -r {} -N {})",
            d.comm,
            w.resource,
            w.node
        );
        Ok(())
    }

    /// Stop's and demote's first step, before the daemon is touched: the stopping marker,
    /// and every watcher of this resource ended (also one no state names).
    pub fn end_watchers(&self) {
        watch::stop_watchers(self.state_file(), self.cx().deadline.share(0.2));
    }

    /// The daemon is down as asked: the markers go.
    pub fn stopped_watching(&self) {
        watch::clear_markers(self.state_file());
    }

    /// A recurring monitor that finds the daemon gone: its watcher told Pacemaker (what
    /// died and when), or is telling it now (then it is waited for, at most half of what
    /// is left of the monitor's time and 15 s), so this monitor must not fail the same
    /// death a second time. None on a probe, or when no report was accepted lately.
    pub fn death_reported(&self) -> Option<String> {
        if self.cx().meta.is_probe(Action::Monitor) {
            return None;
        }
        let deadline = self.cx().deadline.share(0.5).cap(Duration::from_secs(15));
        watch::await_report(self.state_file(), deadline)
    }
}

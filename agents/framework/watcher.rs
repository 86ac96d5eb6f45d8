//! The watcher of an agent's daemon (`ovn-ocf watch`, see `ovn_ocf::watch`): spawned once
//! the daemon runs, one per resource, so that its death reaches Pacemaker at once; ended
//! before stop or demote take the daemon down, so that they never trigger it.

use std::path::Path;
use std::time::Duration;

use ovn_ocf::ocf::{Action, Failure};
use ovn_ocf::{pacemaker, process, watch};

use super::Instance;

/// The daemon to watch: its PID, how /proc shows it, and the node attribute for its
/// death.
pub struct Watched<'a> {
    pub pid: i32,
    pub comm: &'a str,
    pub marker: &'a str,
    pub attr: &'a str,
    /// Where the watcher's own stderr goes (the daemon's log file).
    pub log_file: &'a Path,
}

impl Instance<'_> {
    /// Makes sure one watcher watches `d` (a watcher of an earlier daemon steps aside), and
    /// clears the markers of an earlier stop or death. Never fails an action: without a
    /// watcher the monitor still finds a death, later.
    pub fn watch(&self, d: &Watched) {
        watch::clear_markers(self.state_file());
        let mut have = false;
        for (wpid, pid) in watch::watchers(self.state_file()) {
            if pid == d.pid {
                have = true;
            } else if let Err(e) = process::terminate(wpid, self.cx().deadline.share(0.1)) {
                log::warn!("cannot stop watcher pid {wpid} of an earlier pid {pid}: {e}");
            }
        }
        if have {
            return;
        }
        if let Err(f) = self.spawn_watcher(d) {
            log::warn!("{}; its death is found by the next monitor", f.reason);
        }
    }

    fn spawn_watcher(&self, d: &Watched) -> Result<(), Failure> {
        let resource = std::env::var("OCF_RESOURCE_INSTANCE")
            .ok()
            .filter(|r| !r.is_empty())
            .ok_or_else(|| Failure::generic("no OCF_RESOURCE_INSTANCE: no watcher"))?;
        let cx = self.cx();
        let node = pacemaker::local_node_name(
            cx.meta.on_node.as_deref(),
            cx.deadline.cap(Duration::from_secs(5)),
        );
        let exe = std::env::current_exe()
            .map_err(|e| Failure::generic(format!("cannot find our own binary: {e}")))?;
        let w = watch::Watch {
            pid: d.pid,
            comm: d.comm.into(),
            marker: d.marker.into(),
            resource,
            node,
            state: self.state_file().to_path_buf(),
            attr: d.attr.into(),
        };
        // What crm_resource needs to reach the cluster, and the logging settings.
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| {
                k == "PATH"
                    || k == "OCF_RESOURCE_INSTANCE"
                    || ["HA_", "CIB_", "PCMK_"].iter().any(|p| k.starts_with(p))
            })
            .collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let child = process::spawn_daemon(
            &exe.display().to_string(),
            &watch::watch_args(&w),
            &env,
            d.log_file,
        )
        .map_err(|e| Failure::generic(format!("cannot start a watcher: {e}")))?;
        log::info!(
            "watcher pid={} reports the death of {} pid {} (crm_resource --fail -r {} -N {})",
            child.id(),
            d.comm,
            d.pid,
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

    /// A recurring monitor that finds the daemon gone: its watcher already told Pacemaker
    /// (what died and when), so this monitor must not fail the same death a second time.
    /// None on a probe, or when no report was accepted lately.
    pub fn death_reported(&self) -> Option<String> {
        if self.cx().meta.is_probe(Action::Monitor) {
            return None;
        }
        watch::recent_report(self.state_file())
    }
}

//! Preparing the database before it serves and rebuilding what was lost: the repair
//! pipeline (verify, back up, cut, create, convert, report), the rebuild marker beside
//! the database (a rebuild owed survives a failed start and is redone on any node), and
//! `repair_hook`, run while only the local socket is open.

use std::path::{Path, PathBuf};

use ovn_ocf::ocf::Failure;
use ovn_ocf::{fsutil, lease, process, repair, runner};

use super::{HookWhen, Server};

/// A rebuild the hook and the SB gate owe the database.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Rebuild {
    pub outcome: String,
    pub changed: bool,
    pub lost_data: bool,
    pub report: Option<String>,
    /// The byte-exact copy of the file as found, when the repair changed it.
    #[serde(default)]
    pub backup: Option<String>,
}

/// `.<db file>.rebuild-pending`, beside the database.
pub fn rebuild_marker(db_file: &Path) -> PathBuf {
    fsutil::beside(db_file, "rebuild-pending")
}

impl Server<'_> {
    /// The one "prepare database" step before the database serves: the repair pipeline
    /// (verify every record; back up, cut, create or convert as needed; a clean file
    /// shorter than it `served` is a loss; report).
    pub(super) fn prepare_database(
        &self,
        served: Option<lease::Served>,
    ) -> Result<repair::Report, Failure> {
        let stale = self.stale_file()?;
        let report = repair::run(&self.cfg.repair_options(served, stale), self.cx.deadline)?;
        log::info!(
            "repair db_file={} found=\"{}\" outcome={} backup={} report={}",
            self.cfg.db_file.display(),
            report.found.describe(),
            report.outcome,
            report.backup.as_deref().unwrap_or("-"),
            report.report.as_deref().unwrap_or("-"),
        );
        Ok(report)
    }

    /// What the hook and the SB gate must make good: this run's changes, or those of an
    /// earlier run whose hook or gate did not finish (recorded beside the database, on the
    /// shared storage, so a retry on any node still rebuilds).
    pub(super) fn rebuild_due(&self, report: &repair::Report) -> Result<Rebuild, Failure> {
        let marker = rebuild_marker(&self.cfg.db_file);
        if report.changed() {
            let r = Rebuild {
                outcome: report.outcome.clone(),
                changed: true,
                lost_data: report.lost_data(),
                report: report.report.clone(),
                backup: report.backup.clone(),
            };
            let json = serde_json::to_vec(&r).expect("a Rebuild serializes");
            fsutil::write_atomic(&marker, &json, 0o644).map_err(|e| {
                Failure::local_io(format!("cannot write {}: {e}", marker.display()), &e)
            })?;
            return Ok(r);
        }
        match std::fs::read(&marker) {
            Ok(b) => match serde_json::from_slice::<Rebuild>(&b) {
                Ok(r) => {
                    log::warn!(
                        "an earlier rebuild after \"{}\" did not finish ({}): doing it now",
                        r.outcome,
                        marker.display()
                    );
                    Ok(r)
                }
                Err(e) => Err(Failure::generic(format!(
                    "{} is unreadable ({e}); remove it once the database is known to be rebuilt",
                    marker.display()
                ))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Rebuild {
                outcome: report.outcome.clone(),
                changed: false,
                lost_data: false,
                report: report.report.clone(),
                backup: None,
            }),
            Err(e) => Err(Failure::local_io(
                format!("cannot read {}: {e}", marker.display()),
                &e,
            )),
        }
    }

    pub(super) fn rebuild_done(&self, r: &Rebuild) -> Result<(), Failure> {
        if !r.changed {
            return Ok(());
        }
        let marker = rebuild_marker(&self.cfg.db_file);
        fsutil::remove_durable(&marker)
            .map_err(|e| Failure::local_io(format!("cannot remove {}: {e}", marker.display()), &e))
    }

    /// The environment entry that marks a repair hook of this database (and finds one a
    /// killed start left behind).
    pub(super) fn hook_connection(&self) -> String {
        format!("unix:{}", self.cfg.sock().display())
    }

    /// Whether `repair_hook` is owed this start (`repair_hook_when`).
    pub(super) fn hook_due(&self, report: &Rebuild) -> bool {
        self.cfg.repair_hook.is_some()
            && match self.cfg.repair_hook_when {
                HookWhen::Never => false,
                HookWhen::Always => true,
                HookWhen::AfterChange => report.changed,
            }
    }

    /// The hook's environment: the database it rebuilds and why.
    pub(super) fn hook_env(&self, report: &Rebuild) -> Vec<(String, String)> {
        vec![
            ("OVN_OCF_DB".into(), self.cfg.db.key().into()),
            (
                "OVN_OCF_DB_FILE".into(),
                self.cfg.db_file.display().to_string(),
            ),
            ("OVN_OCF_DB_CONNECTION".into(), self.hook_connection()),
            ("OVN_OCF_REPAIR_OUTCOME".into(), report.outcome.clone()),
            (
                "OVN_OCF_REPAIR_REPORT".into(),
                report.report.clone().unwrap_or_default(),
            ),
        ]
    }

    /// Runs `repair_hook` (argv, no shell) while only the local socket is open.
    pub(super) fn run_hook(&self, report: &Rebuild) -> Result<(), Failure> {
        let Some(argv) = &self.cfg.repair_hook else {
            return Ok(());
        };
        if !self.hook_due(report) {
            return Ok(());
        }
        log::info!("running repair_hook {argv:?} outcome={}", report.outcome);
        run_hook_argv(
            argv,
            &self.hook_env(report),
            self.cfg.repair_hook_timeout,
            self.cx.deadline,
        )
    }

    /// A repair hook of a start the agent was killed in (Pacemaker's timeout) runs on in
    /// its own process group: found by the connection in its environment, and killed.
    pub(super) fn kill_hook_leftovers(&self) {
        // NB's hook run by this SB's start names the SB as OVN_OCF_SB_CONNECTION.
        let marks = [
            format!("OVN_OCF_DB_CONNECTION={}", self.hook_connection()),
            format!("OVN_OCF_SB_CONNECTION={}", self.hook_connection()),
        ];
        for pid in marks.iter().flat_map(|m| process::with_env_entry(m)) {
            log::warn!("killing leftover repair_hook process pid={pid}");
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Runs a repair hook's argv (no shell) with `env`, for at most `limit` and the action's
/// deadline; its output goes into the agent's log; a non-zero exit or a kill on the
/// deadline is the action's failure.
pub(super) fn run_hook_argv(
    argv: &[String],
    env: &[(String, String)],
    limit: std::time::Duration,
    deadline: ovn_ocf::ocf::Deadline,
) -> Result<(), Failure> {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    match runner::run(&argv[0], &argv[1..], &env, deadline.cap(limit)) {
        Ok(out) => {
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                log::info!("repair_hook stdout: {line}");
            }
            for line in String::from_utf8_lossy(&out.stderr).lines() {
                log::info!("repair_hook stderr: {line}");
            }
            if out.success() {
                Ok(())
            } else {
                Err(Failure::generic(format!(
                    "repair_hook {} failed ({})",
                    argv[0],
                    out.describe()
                )))
            }
        }
        Err(runner::Error::Timeout { .. }) => Err(Failure::generic(format!(
            "repair_hook {} did not finish within {}s (or the action's timeout) and was killed",
            argv[0],
            limit.as_secs()
        ))),
        Err(e) => Err(Failure::context(e, "repair_hook")),
    }
}

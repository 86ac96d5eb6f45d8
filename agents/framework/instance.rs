//! One resource on this node, as every agent keeps it: its state file (the role it was
//! asked for, what it last wrote to the cluster), the directories it needs, and what it
//! shows the cluster (promotion score, node attributes), written only when they change.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ovn_ocf::ocf::{Action, Failure, OcfStatus};
use ovn_ocf::pacemaker;
use ovn_ocf::process::{self, ProcInfo};
use ovn_ocf::state::State;

use super::{Ctx, SCORE_PROMOTED, SCORE_STANDBY};

/// Node attributes as an agent wants them shown (`None` deletes one).
pub type Attrs<'a> = [(&'a str, Option<&'a str>)];

/// The daemon a resource runs, as /proc and its watcher know it.
#[derive(Debug, Clone)]
pub struct DaemonSpec {
    /// Its process name (`/proc/PID/comm`).
    pub comm: &'static str,
    pub pidfile: PathBuf,
    /// An argument only our instance of it has (tells it from another resource's).
    pub marker: String,
    /// Its log file; the watcher's stderr goes there too.
    pub log_file: PathBuf,
    /// The node attribute that says when its watcher reported it dead.
    pub died_attr: String,
}

pub struct Instance<'a> {
    cx: &'a Ctx<'a>,
    state_file: PathBuf,
    /// Created before the state file is written or a daemon started.
    dirs: Vec<PathBuf>,
    daemon: DaemonSpec,
}

impl<'a> Instance<'a> {
    /// The resource whose state file is `state_file`, whose run-time files go into
    /// `run_dir`, running `daemon`.
    pub fn new(
        cx: &'a Ctx<'a>,
        state_file: PathBuf,
        run_dir: &Path,
        daemon: DaemonSpec,
    ) -> Instance<'a> {
        let log_dir = daemon
            .log_file
            .parent()
            .map_or_else(|| PathBuf::from("/"), Path::to_path_buf);
        Instance {
            cx,
            state_file,
            dirs: vec![run_dir.to_path_buf(), log_dir],
            daemon,
        }
    }

    /// Our daemon, if it runs (by its pidfile, checked in /proc).
    pub fn daemon(&self) -> Option<ProcInfo> {
        process::find_daemon(&self.daemon.pidfile, self.daemon.comm, &self.daemon.marker)
    }

    pub fn daemon_spec(&self) -> &DaemonSpec {
        &self.daemon
    }

    /// The state as last saved; missing or unreadable reads as "stopped".
    pub fn state(&self) -> State {
        State::load(&self.state_file).unwrap_or_default()
    }

    pub fn ensure_dirs(&self) -> Result<(), Failure> {
        for dir in &self.dirs {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::local_io(
                    format!("cannot create directory {}: {e}", dir.display()),
                    &e,
                )
            })?;
        }
        Ok(())
    }

    pub fn save(&self, st: &State) -> Result<(), Failure> {
        self.ensure_dirs()?;
        st.save(&self.state_file).map_err(|e| {
            let why = format!("cannot write state file {}: {e}", self.state_file.display());
            Failure::local_io(why, &e)
        })
    }

    /// Brings the promotion score (promotable clones only) and node attributes in line
    /// with `st`; records what was written in `st`. Never fails an action.
    pub fn publish(&self, st: &mut State, score: Option<i32>, attrs: &Attrs) {
        pacemaker::publish(
            st,
            score,
            self.cx.meta.promotable,
            attrs,
            self.cx.deadline.cap(Duration::from_secs(10)),
        );
    }

    /// Stop's last step: the role is gone, its attributes deleted, the promotion score
    /// left at `score` (None: deleted), the state file removed.
    pub fn forget(&self, attr_names: &[&str], score: Option<i32>) {
        let mut st = self.state();
        st.role = None;
        let attrs: Vec<(&str, Option<&str>)> = attr_names.iter().map(|n| (*n, None)).collect();
        self.publish(&mut st, score, &attrs);
        if let Err(e) = State::remove(&self.state_file) {
            log::warn!(
                "cannot remove state file {}: {e}",
                self.state_file.display()
            );
        }
    }

    /// The only thing a monitor may change: a promotion score that is not what `status`
    /// calls for (promoted 10, standby 5), on a promotable clone and not on a probe.
    /// Writes the score and nothing else (no node attributes).
    pub fn monitor_score(&self, mut st: State, status: OcfStatus) {
        if !self.cx.meta.promotable || self.cx.meta.is_probe(Action::Monitor) {
            return;
        }
        let want = match status {
            OcfStatus::RunningPromoted => Some(SCORE_PROMOTED),
            OcfStatus::Success => Some(SCORE_STANDBY),
            _ => st.score,
        };
        if want != st.score {
            let dl = self.cx.deadline.cap(Duration::from_secs(10));
            pacemaker::publish(&mut st, want, true, &[], dl);
            let _ = self.save(&st);
        }
    }

    pub fn state_file(&self) -> &Path {
        &self.state_file
    }

    pub fn cx(&self) -> &Ctx<'a> {
        self.cx
    }
}

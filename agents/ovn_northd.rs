//! `ocf:ovn-ocf:ovn-northd`: OVN's northd, as a primitive (start = run it) or as a
//! promotable clone whose unpromoted instances run paused (`--dry-run`): already connected
//! to both databases and monitoring them, so promote is a `resume` and the wait for
//! `Status: active` (it holds the SB lock), and demote is a `pause`.
//!
//! Owns the northd process it spawns and its state file; talks to it only through its
//! unixctl socket. Never touches the databases.

use std::path::PathBuf;
use std::time::Duration;

use ovn_ocf::ocf::params::{
    ActionSpec, AgentSpec, Default, Kind, ParamSpec, Values, promotable_actions,
};
use ovn_ocf::ocf::{Action, ActionResult, Deadline, Failure, Meta, OcfStatus};
use ovn_ocf::ovsdb::{Unixctl, parse_key_values};
use ovn_ocf::pacemaker;
use ovn_ocf::process::{self, ProcInfo};
use ovn_ocf::state::{Role, State};

use super::AgentDef;

pub const AGENT: AgentDef = AgentDef { spec: &SPEC, run };

pub const SCORE_STANDBY: i32 = 5;
pub const SCORE_PROMOTED: i32 = 10;

/// The node attribute showing this agent's role in `crm_mon -A`.
pub const ROLE_ATTR: &str = "ovn-ocf-northd-role";

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "nb_connection",
        kind: Kind::Remote,
        default: Default::Fixed("unix:/var/run/ovn/ovnnb_db.sock"),
        required: false,
        unique: false,
        shortdesc: "Northbound database to read",
        longdesc: "Where ovn-northd finds the Northbound database (its --ovnnb-db). With the databases on another node or behind a VIP: tcp:VIP:6641 or ssl:VIP:6641.",
    },
    ParamSpec {
        name: "sb_connection",
        kind: Kind::Remote,
        default: Default::Fixed("unix:/var/run/ovn/ovnsb_db.sock"),
        required: false,
        unique: false,
        shortdesc: "Southbound database to write",
        longdesc: "Where ovn-northd finds the Southbound database (its --ovnsb-db).",
    },
    ParamSpec {
        name: "ssl_private_key",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL private key",
        longdesc: "PEM private key for ssl: connections (required with them, with ssl_certificate and ssl_ca_cert).",
    },
    ParamSpec {
        name: "ssl_certificate",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL certificate",
        longdesc: "PEM certificate for ssl_private_key.",
    },
    ParamSpec {
        name: "ssl_ca_cert",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL CA certificate",
        longdesc: "PEM CA certificate the databases' certificates must be signed by.",
    },
    ParamSpec {
        name: "run_dir",
        kind: Kind::AbsPath,
        default: Default::Fixed("/var/run/ovn"),
        required: false,
        unique: true,
        shortdesc: "Run-time directory",
        longdesc: "Directory for the pidfile (ovn-northd.pid), the control socket (ovn-northd.PID.ctl, where ovn-appctl -t ovn-northd finds it) and the agent's state file.",
    },
    ParamSpec {
        name: "log_file",
        kind: Kind::AbsPath,
        default: Default::Fixed("/var/log/ovn/ovn-northd.log"),
        required: false,
        unique: true,
        shortdesc: "ovn-northd log file",
        longdesc: "Log file of the ovn-northd process (also receives its fatal startup errors).",
    },
    ParamSpec {
        name: "n_threads",
        kind: Kind::Integer { min: 1, max: 256 },
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "Worker threads",
        longdesc: "Number of threads ovn-northd uses for parallel logical flow computation (its --n-threads). Unset: ovn-northd's default (1).",
    },
    ParamSpec {
        name: "ovn_northd",
        kind: Kind::AbsPath,
        default: Default::Fixed("/usr/bin/ovn-northd"),
        required: false,
        unique: false,
        shortdesc: "ovn-northd binary",
        longdesc: "Path of the ovn-northd daemon.",
    },
];

const ACTIONS: &[ActionSpec] = &promotable_actions(60, 30, 30, 30);

pub const SPEC: AgentSpec = AgentSpec {
    name: "ovn-northd",
    shortdesc: "OVN northd, with a paused hot standby that promotes in milliseconds",
    longdesc: "Runs ovn-northd against the Northbound and Southbound databases.

As a primitive, start runs it and returns once it is connected to both databases.

As a promotable clone (promoted-max=1), every instance runs: unpromoted ones paused (started with --dry-run), already connected and monitoring both databases; promote resumes one and waits until it reports Status: active (it holds the Southbound lock); demote pauses it again.

Monitor depth 0 asks ovn-northd for its status over its control socket: paused, standby or active. Depth 10 also checks that it is connected to both databases. A hung ovn-northd is an error, never \"not running\".",
    params: PARAMS,
    actions: ACTIONS,
};

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

#[derive(Debug, Clone)]
pub struct Config {
    pub nb: String,
    pub sb: String,
    pub ssl_files: Option<[PathBuf; 3]>,
    pub run_dir: PathBuf,
    pub log_file: PathBuf,
    pub n_threads: Option<i64>,
    pub ovn_northd: String,
}

impl Config {
    pub fn from_values(v: &Values) -> Result<Config, Failure> {
        let s = |n: &str| v.str(n).expect("table gives a default").to_string();
        let files: Vec<PathBuf> = ["ssl_private_key", "ssl_certificate", "ssl_ca_cert"]
            .iter()
            .filter_map(|n| v.str(n).map(PathBuf::from))
            .collect();
        let ssl_files = match <[PathBuf; 3]>::try_from(files) {
            Ok(f) => Some(f),
            Err(f) if f.is_empty() => None,
            Err(_) => {
                return Err(Failure::configured(
                    "ssl_private_key, ssl_certificate and ssl_ca_cert go together: set all three or none",
                ));
            }
        };
        let cfg = Config {
            nb: s("nb_connection"),
            sb: s("sb_connection"),
            ssl_files,
            run_dir: PathBuf::from(s("run_dir")),
            log_file: PathBuf::from(s("log_file")),
            n_threads: v.int("n_threads"),
            ovn_northd: s("ovn_northd"),
        };
        let uses_ssl = |c: &str| c.split(',').any(|r| r.starts_with("ssl:"));
        if cfg.ssl_files.is_none() && (uses_ssl(&cfg.nb) || uses_ssl(&cfg.sb)) {
            return Err(Failure::configured(
                "ssl: connections need ssl_private_key, ssl_certificate and ssl_ca_cert",
            ));
        }
        Ok(cfg)
    }

    pub fn pidfile(&self) -> PathBuf {
        self.run_dir.join("ovn-northd.pid")
    }
    /// ovn-northd's default control socket name in its run dir (`OVN_RUNDIR`).
    pub fn ctl(&self, pid: i32) -> PathBuf {
        self.run_dir.join(format!("ovn-northd.{pid}.ctl"))
    }
    pub fn state_file(&self) -> PathBuf {
        self.run_dir.join("ovn-northd.ovn-ocf.state")
    }
    fn pidfile_arg(&self) -> String {
        format!("--pidfile={}", self.pidfile().display())
    }

    pub fn args(&self, paused: bool) -> Vec<String> {
        let mut a = vec![
            "-vconsole:off".to_string(),
            "-vfile:info".to_string(),
            format!("--log-file={}", self.log_file.display()),
            self.pidfile_arg(),
            format!("--ovnnb-db={}", self.nb),
            format!("--ovnsb-db={}", self.sb),
        ];
        if let Some([k, c, ca]) = &self.ssl_files {
            a.push(format!("--private-key={}", k.display()));
            a.push(format!("--certificate={}", c.display()));
            a.push(format!("--ca-cert={}", ca.display()));
        }
        if let Some(n) = self.n_threads {
            a.push(format!("--n-threads={n}"));
        }
        if paused {
            a.push("--dry-run".into());
        }
        a
    }
}

/// The configuration from parameter values looked up by name (`OCF_RESKEY_` stripped), as
/// the agent reads them from its environment: for tools that read a resource's parameters
/// from elsewhere (the CIB), such as `ovn-ocf status`.
pub fn config_from(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Failure> {
    SPEC.parse_with(lookup).and_then(|v| Config::from_values(&v))
}

pub fn resolve(cfg: &Config) -> Result<(), Failure> {
    if !process::executable(&cfg.ovn_northd) {
        return Err(Failure::installed(format!(
            "ovn_northd: {} is not an executable file (is ovn-central installed?)",
            cfg.ovn_northd
        )));
    }
    if let Some(files) = &cfg.ssl_files {
        for (name, f) in ["ssl_private_key", "ssl_certificate", "ssl_ca_cert"]
            .iter()
            .zip(files)
        {
            if !f.is_file() {
                return Err(Failure::installed(format!(
                    "{name}: {} does not exist",
                    f.display()
                )));
            }
        }
    }
    Ok(())
}

fn run(action: Action, meta: &Meta) -> ActionResult {
    let deadline = meta.deadline(SPEC.timeout_of(action.as_str()));
    let cfg = match super::configure(&SPEC, action, meta, Config::from_values) {
        Ok(cfg) => cfg,
        Err(answer) => return answer,
    };
    let agent = Agent {
        cfg: &cfg,
        meta,
        deadline,
    };
    match action {
        Action::ValidateAll => resolve(&cfg).map(|_| OcfStatus::Success),
        Action::Start => agent.start(),
        Action::Stop => agent.stop(),
        Action::Monitor => agent.monitor(),
        Action::Promote => agent.promote(),
        Action::Demote => agent.demote(),
        Action::Notify => Ok(OcfStatus::Success),
        Action::MetaData | Action::Usage => unreachable!("answered before configuration"),
    }
}

pub struct Agent<'a> {
    pub cfg: &'a Config,
    pub meta: &'a Meta,
    pub deadline: Deadline,
}

impl Agent<'_> {
    fn daemon(&self) -> Option<ProcInfo> {
        process::find_daemon(&self.cfg.pidfile(), "ovn-northd", &self.cfg.pidfile_arg())
    }

    fn state(&self) -> State {
        State::load(&self.cfg.state_file()).unwrap_or_default()
    }

    fn save(&self, st: &State) -> Result<(), Failure> {
        std::fs::create_dir_all(&self.cfg.run_dir).map_err(|e| {
            let why = format!("cannot create {}: {e}", self.cfg.run_dir.display());
            Failure::local_io(why, &e)
        })?;
        st.save(&self.cfg.state_file()).map_err(|e| {
            let why = format!(
                "cannot write state file {}: {e}",
                self.cfg.state_file().display()
            );
            Failure::local_io(why, &e)
        })
    }

    fn publish(&self, st: &mut State, score: Option<i32>) {
        let role = pacemaker::role_word(st.role);
        pacemaker::publish(
            st,
            score,
            self.meta.promotable,
            &[(ROLE_ATTR, role)],
            self.deadline.cap(Duration::from_secs(10)),
        );
    }

    /// One unixctl command to the running northd, within the action's deadline.
    fn ask(&self, pid: i32, cmd: &str) -> Result<String, String> {
        self.ask_until(pid, cmd, self.deadline)
    }

    fn ask_until(&self, pid: i32, cmd: &str, deadline: Deadline) -> Result<String, String> {
        let mut ctl = Unixctl::connect(&self.cfg.ctl(pid), deadline)
            .map_err(|e| format!("ovn-northd pid {pid}: {e}"))?;
        ctl.command(cmd, &[], deadline)
            .map_err(|e| format!("ovn-northd pid {pid}: {e}"))
    }

    fn status(&self, d: &ProcInfo) -> Result<NorthdStatus, String> {
        if d.stopped() {
            return Err(format!(
                "ovn-northd pid {} is stopped (state {})",
                d.pid, d.state
            ));
        }
        self.ask(d.pid, "status").map(|s| parse_status(&s))
    }

    /// A promoted northd in standby: it lost the SB lock. While the Southbound is
    /// unreachable (the SB resource failing over or recovering) that is no fault of
    /// northd's and restarting it would not help: it takes the lock again once it
    /// reconnects. Connected but still standby for 2 s: another northd holds the lock.
    fn promoted_standby(&self, d: &ProcInfo) -> Result<(), String> {
        let until = self.deadline.cap(Duration::from_secs(2));
        loop {
            let sb = self.ask(d.pid, "sb-connection-status")?;
            if sb.trim() != "connected" {
                log::warn!(
                    "promoted ovn-northd pid {} is standby while the Southbound database {} is unreachable ({}); it takes the lock again once it reconnects",
                    d.pid,
                    self.cfg.sb,
                    sb.trim()
                );
                return Ok(());
            }
            match self.status(d)? {
                NorthdStatus::Active => return Ok(()),
                NorthdStatus::Standby => {}
                other => {
                    return Err(format!(
                        "promoted ovn-northd pid {} is not active: {other:?}",
                        d.pid
                    ));
                }
            }
            if !until.sleep(Duration::from_millis(100)) {
                return Err(format!(
                    "promoted ovn-northd pid {} is connected to the Southbound database but does not hold its lock (another ovn-northd does?)",
                    d.pid
                ));
            }
        }
    }

    /// Which databases northd is not connected to, as reasons; empty when both are.
    fn disconnected(&self, pid: i32) -> Result<Vec<String>, String> {
        let mut out = vec![];
        for (cmd, name, remote) in [
            ("nb-connection-status", "Northbound", &self.cfg.nb),
            ("sb-connection-status", "Southbound", &self.cfg.sb),
        ] {
            let s = self.ask(pid, cmd)?;
            if s.trim() != "connected" {
                out.push(format!("{name} database {remote} ({})", s.trim()));
            }
        }
        Ok(out)
    }

    /// Starts northd (paused for a hot standby) and waits until it is connected to both
    /// databases; on the deadline, names the database it could not reach.
    fn spawn(&self, paused: bool) -> Result<i32, Failure> {
        for dir in [
            &self.cfg.run_dir,
            &self
                .cfg
                .log_file
                .parent()
                .map(PathBuf::from)
                .unwrap_or_default(),
        ] {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::local_io(
                    format!("cannot create directory {}: {e}", dir.display()),
                    &e,
                )
            })?;
        }
        let mark = process::log_size(&self.cfg.log_file);
        let run_dir = self.cfg.run_dir.display().to_string();
        let mut child = process::spawn_daemon(
            &self.cfg.ovn_northd,
            &self.cfg.args(paused),
            &[("OVN_RUNDIR", run_dir.as_str())],
            &self.cfg.log_file,
        )
        .map_err(|e| Failure::generic(e.to_string()))?;
        let pid = child.id() as i32;
        log::info!("started ovn-northd pid={pid} paused={paused}");
        let mut last = String::from("its control socket did not answer");
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let why = process::logged_error(&self.cfg.log_file, mark, None)
                    .unwrap_or_else(|| format!("see {}", self.cfg.log_file.display()));
                return Err(Failure::generic(format!(
                    "ovn-northd exited at startup ({status}): {why}"
                )));
            }
            if process::read_pidfile(&self.cfg.pidfile()) == Some(pid) && self.cfg.ctl(pid).exists()
            {
                match self.disconnected(pid) {
                    Ok(d) if d.is_empty() => return Ok(pid),
                    Ok(d) => last = format!("not connected to the {}", d.join(" nor the ")),
                    Err(e) => last = e,
                }
            }
            if !self.deadline.sleep(Duration::from_millis(10)) {
                let _ = process::terminate(pid, Deadline::after(Duration::from_secs(5)));
                return Err(Failure::generic(format!(
                    "ovn-northd did not get ready before the timeout: {last}"
                )));
            }
        }
    }

    /// Waits until `status` satisfies `want`; the last status on the deadline.
    fn wait_status(
        &self,
        pid: i32,
        until: Deadline,
        want: impl Fn(&NorthdStatus) -> bool,
    ) -> Result<(), String> {
        loop {
            let last = match self.ask_until(pid, "status", until) {
                Ok(s) => {
                    let st = parse_status(&s);
                    if want(&st) {
                        return Ok(());
                    }
                    format!("{st:?}")
                }
                Err(e) => e,
            };
            if !until.sleep(Duration::from_millis(1)) {
                return Err(last);
            }
        }
    }

    fn start(&self) -> ActionResult {
        resolve(self.cfg)?;
        let promotable = self.meta.promotable;
        let mut st = self.state();
        match self.daemon() {
            Some(d) => {
                let status = self.status(&d).map_err(Failure::generic)?;
                if !promotable && status == NorthdStatus::Paused {
                    self.ask(d.pid, "resume").map_err(Failure::generic)?;
                }
                log::info!("ovn-northd pid {} already runs ({status:?})", d.pid);
                if st.role.is_none() {
                    st.role = Some(match status {
                        NorthdStatus::Active if promotable => Role::Serving,
                        _ if promotable => Role::Standby,
                        _ => Role::Serving,
                    });
                }
            }
            None => {
                self.spawn(promotable)?;
                st.role = Some(if promotable {
                    Role::Standby
                } else {
                    Role::Serving
                });
            }
        }
        self.publish(&mut st, promotable.then_some(SCORE_STANDBY));
        self.save(&st)?;
        Ok(OcfStatus::Success)
    }

    fn stop(&self) -> ActionResult {
        if let Some(d) = self.daemon() {
            let how = process::terminate(d.pid, self.deadline)
                .map_err(|e| Failure::generic(format!("cannot stop ovn-northd: {e}")))?;
            log::info!("stopped ovn-northd pid={} ({how:?})", d.pid);
            if process::read_pidfile(&self.cfg.pidfile()) == Some(d.pid) {
                let _ = std::fs::remove_file(self.cfg.pidfile());
            }
            let _ = std::fs::remove_file(self.cfg.ctl(d.pid));
        }
        let mut st = self.state();
        st.role = None;
        self.publish(&mut st, None);
        if let Err(e) = State::remove(&self.cfg.state_file()) {
            log::warn!(
                "cannot remove state file {}: {e}",
                self.cfg.state_file().display()
            );
        }
        Ok(OcfStatus::Success)
    }

    fn promote(&self) -> ActionResult {
        if !self.meta.promotable {
            log::info!("not a promotable clone: promote has nothing to do");
            return Ok(OcfStatus::Success);
        }
        resolve(self.cfg)?;
        let pid = match self.daemon() {
            Some(d) => d.pid,
            None => self.spawn(true)?,
        };
        self.ask(pid, "resume").map_err(Failure::generic)?;
        // Keep a share of the budget to pause again if it never becomes active.
        let until = self.deadline.share(0.8);
        if let Err(last) = self.wait_status(pid, until, |s| *s == NorthdStatus::Active) {
            // Back to a clean standby; Pacemaker decides what next.
            if let Err(e) = self.ask(pid, "pause") {
                log::warn!("cannot pause ovn-northd again: {e}");
            }
            return Err(Failure::generic(format!(
                "ovn-northd resumed but did not become active before the timeout (status: {last}); does another ovn-northd hold the Southbound lock?"
            )));
        }
        let mut st = self.state();
        st.role = Some(Role::Serving);
        self.publish(&mut st, Some(SCORE_PROMOTED));
        self.save(&st)?;
        Ok(OcfStatus::Success)
    }

    fn demote(&self) -> ActionResult {
        if !self.meta.promotable {
            log::info!("not a promotable clone: demote has nothing to do");
            return Ok(OcfStatus::Success);
        }
        if let Some(d) = self.daemon() {
            if d.stopped() {
                return Err(Failure::generic(format!(
                    "ovn-northd pid {} is stopped (SIGSTOP)",
                    d.pid
                )));
            }
            self.ask(d.pid, "pause").map_err(Failure::generic)?;
            self.wait_status(d.pid, self.deadline, |s| *s == NorthdStatus::Paused)
                .map_err(|last| Failure::generic(format!("ovn-northd did not pause: {last}")))?;
        }
        let mut st = self.state();
        st.role = Some(Role::Standby);
        self.publish(&mut st, Some(SCORE_STANDBY));
        self.save(&st)?;
        Ok(OcfStatus::Success)
    }

    fn monitor(&self) -> ActionResult {
        let st = self.state();
        let promotable = self.meta.promotable;
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
        let status = match self.status(&d) {
            Ok(s) => s,
            Err(why) => return broken(why),
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
        if self.meta.check_level >= 10 {
            match self.disconnected(d.pid) {
                Ok(v) if v.is_empty() => {}
                Ok(v) => {
                    return broken(format!(
                        "ovn-northd is not connected to the {}",
                        v.join(" nor the ")
                    ));
                }
                Err(e) => return broken(e),
            }
        }
        if promotable && !self.meta.is_probe(Action::Monitor) {
            let want = match result {
                OcfStatus::RunningPromoted => Some(SCORE_PROMOTED),
                _ => Some(SCORE_STANDBY),
            };
            if want != st.score {
                // Monitor writes the score and nothing else (no node attributes).
                let mut st = st;
                let dl = self.deadline.cap(Duration::from_secs(10));
                pacemaker::publish(&mut st, want, true, &[], dl);
                let _ = self.save(&st);
            }
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, Failure> {
        SPEC.parse_with(|n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })
        .and_then(|v| Config::from_values(&v))
    }

    #[test]
    fn status_fixtures() {
        assert_eq!(parse_status("Status: active\n"), NorthdStatus::Active);
        assert_eq!(parse_status("Status: standby\n"), NorthdStatus::Standby);
        assert_eq!(parse_status("Status: paused\n"), NorthdStatus::Paused);
        assert_eq!(parse_status("weird"), NorthdStatus::Other("weird".into()));
    }

    #[test]
    fn defaults_and_args() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.nb, "unix:/var/run/ovn/ovnnb_db.sock");
        assert_eq!(c.pidfile(), PathBuf::from("/var/run/ovn/ovn-northd.pid"));
        assert_eq!(c.ctl(42), PathBuf::from("/var/run/ovn/ovn-northd.42.ctl"));
        assert!(c.args(true).contains(&"--dry-run".to_string()));
        assert!(!c.args(false).contains(&"--dry-run".to_string()));
        let c = cfg(&[("n_threads", "4")]).unwrap();
        assert!(c.args(false).contains(&"--n-threads=4".to_string()));
    }

    #[test]
    fn ssl_rules() {
        assert!(cfg(&[("sb_connection", "ssl:127.0.0.1:6642")]).is_err());
        assert!(cfg(&[("ssl_private_key", "/k")]).is_err());
        let c = cfg(&[
            ("sb_connection", "ssl:127.0.0.1:6642"),
            ("ssl_private_key", "/k"),
            ("ssl_certificate", "/c"),
            ("ssl_ca_cert", "/ca"),
        ])
        .unwrap();
        assert!(c.args(false).contains(&"--ca-cert=/ca".to_string()));
    }
}

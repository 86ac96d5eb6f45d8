//! `ovn-ocf status`: every ovn-ocf resource on this node, from the CIB when a cluster runs
//! and from the agents' state files in the run dirs, with its role, daemon, listeners,
//! lease, last repair, backups and what Pacemaker says of it. A table for people
//! (`table`), `--json` for scripts (the `Status` type below is the schema).
//!
//! Observes only: reads state files, owner records, repair reports, /proc, asks the
//! daemons read-only questions on their control sockets and Pacemaker through its query
//! tools (`crm_mon`, `cibadmin --query`, `crm_node -n`). Writes nothing, signals nothing.

mod table;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use ovn_ocf::crm_status::{self, CibResource, CrmMon, ResourceView};
use ovn_ocf::ocf::Deadline;
use ovn_ocf::ovsdb::{SyncState, Unixctl, parse_sync_status};
use ovn_ocf::process::{self, ProcInfo};
use ovn_ocf::state::State;
use ovn_ocf::{dbfile, guard, lease, pacemaker, repair_history, runner};

use super::Exit;
use crate::framework::Agent;
use crate::{ovn_northd, ovsdb_server};

/// How long one Pacemaker tool may take.
const TOOL_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a daemon may take to answer one control-socket question.
const ASK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(clap::Args)]
#[command(after_help = "\
Resources come from the CIB (cibadmin --query) when a cluster runs, and from the agents' \
state files (ovnnb_db.ovn-ocf.state, ovnsb_db.ovn-ocf.state, ovn-northd.ovn-ocf.state) in \
the agents' default run dir and every --run-dir. A state file the CIB does not explain is \
shown with resource null; its database file is taken from --db-file, else from the running \
ovsdb-server's command line, else from its lease keeper's, else the agent's default.

Exit 0 when it could tell (also when resources have failed), 1 when it could not print, \
2 on a usage error. The JSON schema is in the README (\"ovn-ocf status\").")]
pub struct Args {
    /// Print JSON for scripts instead of the table.
    #[arg(long)]
    json: bool,
    /// Also look for the agents' state files in DIR (repeatable).
    #[arg(long = "run-dir", value_name = "DIR")]
    run_dirs: Vec<PathBuf>,
    /// The database file of an ovsdb-server resource the CIB does not describe (repeatable);
    /// NB or SB is read from its schema record. Shown even without a state file.
    #[arg(long = "db-file", value_name = "FILE")]
    db_files: Vec<PathBuf>,
    /// Where the repairs of the databases the CIB does not describe went (default:
    /// ovn-ocf-backups beside each database file, as the agent's).
    #[arg(long, value_name = "DIR")]
    backup_dir: Option<PathBuf>,
}

// ------------------------------------------------------------------ the schema

/// What `--json` prints.
#[derive(Debug, Serialize)]
pub struct Status {
    pub cluster: Cluster,
    pub resources: Vec<Resource>,
}

#[derive(Debug, Serialize)]
pub struct Cluster {
    /// Pacemaker answered (`crm_mon` worked).
    pub running: bool,
    /// This node's name, as the agents name it (Pacemaker's, else the host name).
    pub node: String,
    /// Why Pacemaker's view is missing or partial; null when complete.
    pub error: Option<String>,
    /// The designated controller, when known.
    pub dc: Option<String>,
    pub nodes: Vec<NodeState>,
    /// Set when `CIB_file` is in the environment: the tools read that file, not a live
    /// cluster.
    pub cib_file: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct NodeState {
    pub name: String,
    pub online: bool,
}

#[derive(Debug, Serialize)]
pub struct Resource {
    /// The primitive's id in the CIB; null for a state file the CIB does not explain.
    pub resource: Option<String>,
    /// The clone and group around it.
    pub clone: Option<String>,
    pub group: Option<String>,
    /// `ovsdb-server` or `ovn-northd`.
    pub agent: String,
    /// `nb` or `sb` (ovsdb-server), null otherwise.
    pub db: Option<&'static str>,
    pub db_file: Option<String>,
    /// Where `db_file` came from: `cib`, `option`, `process`, `keeper` or `default`.
    pub db_file_from: Option<&'static str>,
    pub state_file: Option<String>,
    /// The role the agent recorded on this node: `serving`, `standby`, or null (no state).
    pub role: Option<&'static str>,
    /// The daemon's pid (pidfile checked against /proc), null when none runs.
    pub pid: Option<i32>,
    /// What the daemon says: ovsdb-server `active`/`backup`, ovn-northd
    /// `active`/`standby`/`paused`; null when not asked or no answer.
    pub daemon_status: Option<String>,
    /// TCP sockets the daemon listens on (from /proc): `127.0.0.1:6641`, `[::]:6641`.
    pub listeners: Vec<String>,
    /// Listeners the agent opened (ovsdb remotes, from its state file).
    pub remotes: Vec<String>,
    /// The owner record beside the database (ovsdb-server only).
    pub lease: Option<Lease>,
    /// The newest repair run (often `clean`) and the newest that changed the file.
    pub last_repair: Option<Repair>,
    pub last_change: Option<Repair>,
    /// The one line the agent keeps about its last repair on this node (also in
    /// `crm_mon -A`).
    pub repair_line: Option<String>,
    /// Backups of this database kept in `backup_dir` (ovsdb-server only).
    pub backups: Option<usize>,
    pub backup_dir: Option<String>,
    /// What Pacemaker says; null without a cluster or for a resource the CIB does not
    /// have.
    pub pacemaker: Option<ResourceView>,
    /// What does not add up, in words (empty when all is well).
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Lease {
    pub owner: String,
    /// When `owner` claimed it (seconds since the epoch) and how long ago.
    pub since: u64,
    pub held_s: u64,
    /// Milliseconds since its last renewal (the keeper renews every 500 ms).
    pub renewed_ms_ago: Option<u64>,
    pub seq: u64,
    pub record: String,
    /// The keeper this node's agent started, and whether it still runs.
    pub keeper_pid: Option<i32>,
    pub keeper_alive: bool,
}

#[derive(Debug, Serialize)]
pub struct Repair {
    pub outcome: String,
    /// The run's UTC stamp (`20261124T083000.123Z`, also in the file names).
    pub time: String,
    pub age_s: Option<u64>,
    /// What the run found: `clean`, `torn-tail`, `corrupt`, `missing`, ...
    pub found: Option<String>,
    pub backup: Option<String>,
    pub report: String,
}

// ------------------------------------------------------------------ the command

pub fn run(args: Args) -> Exit {
    let status = gather(&args);
    let mut out = std::io::stdout().lock();
    let printed = if args.json {
        serde_json::to_writer_pretty(&mut out, &status)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(out))
    } else {
        out.write_all(table::render(&status).as_bytes())
    };
    exit_code(printed.and_then(|()| out.flush()))
}

/// Ok when the status was printed (whatever it says, and when the reader went away),
/// Failed when it could not be printed. Usage errors are clap's, before this runs.
fn exit_code(printed: std::io::Result<()>) -> Exit {
    match printed {
        Ok(()) => Exit::Ok,
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Exit::Ok,
        Err(e) => {
            eprintln!("ovn-ocf: cannot print the status: {e}");
            Exit::Failed
        }
    }
}

/// Everything `status` shows.
pub fn gather(args: &Args) -> Status {
    let (mut cluster, crm, cib) = ask_pacemaker();
    let mut targets: Vec<Target> = cib.iter().map(Target::from_cib).collect();
    targets.extend(local_targets(args, &targets));
    let resources = targets
        .into_iter()
        .map(|t| observe(t, &cluster.node, crm.as_ref()))
        .collect();
    cluster.cib_file = std::env::var("CIB_file").ok();
    Status { cluster, resources }
}

// ------------------------------------------------------------------ Pacemaker

/// Pacemaker's view: the cluster, crm_mon's status, the ovn-ocf primitives in the CIB.
fn ask_pacemaker() -> (Cluster, Option<CrmMon>, Vec<CibResource>) {
    let mut cluster = Cluster {
        running: false,
        node: String::new(),
        error: None,
        dc: None,
        nodes: vec![],
        cib_file: None,
    };
    let mut errors = Vec::new();
    let crm = match runner::run(
        "crm_mon",
        &["--one-shot", "--output-as=xml"],
        &[],
        Deadline::after(TOOL_TIMEOUT),
    ) {
        Err(e) => {
            errors.push(e.to_string());
            None
        }
        Ok(out) if !out.success() => {
            let why = crm_status::parse_crm_mon(&out.stdout_str())
                .ok()
                .and_then(|m| m.status)
                .map(|s| s.describe())
                .unwrap_or_else(|| out.describe());
            errors.push(format!("crm_mon: {why}"));
            None
        }
        Ok(out) => {
            cluster.running = true;
            match crm_status::parse_crm_mon(&out.stdout_str()) {
                Ok(m) => Some(m),
                Err(e) => {
                    errors.push(format!("crm_mon printed what cannot be read: {e}"));
                    None
                }
            }
        }
    };
    let mut cib = vec![];
    if cluster.running {
        match runner::run(
            "cibadmin",
            &["--query", "--scope", "resources"],
            &[],
            Deadline::after(TOOL_TIMEOUT),
        ) {
            Err(e) => errors.push(format!("cannot read the CIB: {e}")),
            Ok(out) if !out.success() => {
                errors.push(format!("cannot read the CIB: cibadmin: {}", out.describe()))
            }
            Ok(out) => match crm_status::parse_cib_resources(&out.stdout_str()) {
                Ok(r) => cib = r,
                Err(e) => errors.push(format!("cibadmin printed what cannot be read: {e}")),
            },
        }
    }
    if let Some(m) = &crm {
        cluster.dc = m.dc.clone();
        cluster.nodes = m
            .nodes
            .iter()
            .map(|n| NodeState {
                name: n.name.clone(),
                online: n.online,
            })
            .collect();
    }
    // The same name the agents use for the owner record.
    cluster.node = pacemaker::local_node_name(None, Deadline::after(TOOL_TIMEOUT));
    if !errors.is_empty() {
        cluster.error = Some(errors.join("; "));
    }
    (cluster, crm, cib)
}

// ------------------------------------------------------------------ what to look at

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DbFileFrom {
    Cib,
    Option,
    Process,
    Keeper,
    Default,
}

impl DbFileFrom {
    fn word(self) -> &'static str {
        match self {
            DbFileFrom::Cib => "cib",
            DbFileFrom::Option => "option",
            DbFileFrom::Process => "process",
            DbFileFrom::Keeper => "keeper",
            DbFileFrom::Default => "default",
        }
    }
}

enum Config {
    Ovsdb(Box<ovsdb_server::Config>, DbFileFrom),
    Northd(Box<ovn_northd::Config>),
    /// The CIB's parameters do not make a configuration (or an agent we do not know).
    Bad(String),
}

struct Target {
    cib: Option<CibResource>,
    agent: String,
    config: Config,
    problems: Vec<String>,
}

impl Target {
    fn from_cib(r: &CibResource) -> Target {
        let lookup = |n: &str| r.params.get(n).cloned();
        let config = match r.agent.as_str() {
            "ovsdb-server" => match ovsdb_server::Config::from_lookup(lookup) {
                Ok(c) => Config::Ovsdb(Box::new(c), DbFileFrom::Cib),
                Err(f) => Config::Bad(f.reason),
            },
            "ovn-northd" => match ovn_northd::Config::from_lookup(lookup) {
                Ok(c) => Config::Northd(Box::new(c)),
                Err(f) => Config::Bad(f.reason),
            },
            other => Config::Bad(format!("ovn-ocf has no agent {other:?}")),
        };
        Target {
            cib: Some(r.clone()),
            agent: r.agent.clone(),
            config,
            problems: vec![],
        }
    }

    fn state_file(&self) -> Option<PathBuf> {
        match &self.config {
            Config::Ovsdb(c, _) => Some(c.state_file()),
            Config::Northd(c) => Some(c.state_file()),
            Config::Bad(_) => None,
        }
    }
}

fn unixctl_marker(cfg: &ovsdb_server::Config) -> String {
    format!("--unixctl={}", cfg.ctl().display())
}

fn northd_marker(cfg: &ovn_northd::Config) -> String {
    format!("--pidfile={}", cfg.pidfile().display())
}

/// An ovsdb-server configuration from the agent's table: `db`, `run_dir`, and what else
/// is known; everything else as the agent's defaults.
fn ovsdb_config(
    db: &str,
    run_dir: Option<&Path>,
    db_file: Option<&Path>,
    backup_dir: Option<&Path>,
) -> Result<ovsdb_server::Config, String> {
    let s = |p: Option<&Path>| p.map(|p| p.display().to_string());
    let (run_dir, db_file, backup_dir) = (s(run_dir), s(db_file), s(backup_dir));
    ovsdb_server::Config::from_lookup(|n| match n {
        "db" => Some(db.to_string()),
        "run_dir" => run_dir.clone(),
        "db_file" => db_file.clone(),
        "backup_dir" => backup_dir.clone(),
        _ => None,
    })
    .map_err(|f| f.reason)
}

/// The database file a running ovsdb-server serves (its last argument) or its lease
/// keeper guards (`--record=<dir>/.<file>.owner`).
fn db_file_from_processes(
    cfg: &ovsdb_server::Config,
    st: Option<&State>,
) -> Option<(PathBuf, DbFileFrom)> {
    if let Some(d) = process::find_daemon(&cfg.pidfile(), "ovsdb-server", &unixctl_marker(cfg))
        && let Some(last) = d.cmdline.last().filter(|a| !a.starts_with('-'))
    {
        return Some((PathBuf::from(last), DbFileFrom::Process));
    }
    let keeper = ProcInfo::read(st?.keeper?).filter(|p| p.alive() && p.has_arg("lease-keep"))?;
    let record = keeper
        .cmdline
        .iter()
        .find_map(|a| a.strip_prefix("--record="))?;
    let record = Path::new(record);
    let name = record.file_name()?.to_str()?;
    let db = name.strip_prefix('.')?.strip_suffix(".owner")?;
    Some((record.with_file_name(db), DbFileFrom::Keeper))
}

/// NB or SB, from a database file's schema record (or, unreadable, from its name).
fn db_kind(file: &Path) -> (&'static str, Option<String>) {
    match dbfile::file_schema(file).ok().flatten().map(|s| s.name) {
        Some(n) if n == "OVN_Northbound" => ("nb", None),
        Some(n) if n == "OVN_Southbound" => ("sb", None),
        other => {
            let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
            let kind = if name.is_some_and(|n| n.contains("sb")) {
                "sb"
            } else {
                "nb"
            };
            let why = match other {
                Some(n) => format!("holds {n}"),
                None => "has no readable schema record".into(),
            };
            (
                kind,
                Some(format!(
                    "{} {why}: taken for {} by its name",
                    file.display(),
                    kind.to_uppercase()
                )),
            )
        }
    }
}

/// The state files in the run dirs that no CIB resource explains, and the `--db-file`s
/// that none of those take.
fn local_targets(args: &Args, cib: &[Target]) -> Vec<Target> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    let defaults = [
        ovsdb_config("nb", None, None, None).ok().map(|c| c.run_dir),
        ovn_northd::Config::from_lookup(|_| None)
            .ok()
            .map(|c| c.run_dir),
    ];
    for d in defaults.into_iter().flatten().chain(args.run_dirs.clone()) {
        if !dirs.contains(&d) {
            dirs.push(d);
        }
    }
    let claimed: Vec<PathBuf> = cib.iter().filter_map(Target::state_file).collect();
    // --db-file: which database each holds.
    let mut given: Vec<(PathBuf, &'static str, Option<String>, bool)> = args
        .db_files
        .iter()
        .map(|f| {
            let (kind, note) = db_kind(f);
            (f.clone(), kind, note, false)
        })
        .collect();
    let backup_dir = args.backup_dir.as_deref();
    let mut out = Vec::new();
    for dir in &dirs {
        for db in ["nb", "sb"] {
            let Ok(base) = ovsdb_config(db, Some(dir), None, None) else {
                continue;
            };
            let sf = base.state_file();
            if claimed.contains(&sf) || !sf.exists() {
                continue;
            }
            let st = State::load(&sf);
            let mut problems = vec![];
            let (file, from) = match given.iter_mut().find(|g| g.1 == db && !g.3) {
                Some(g) => {
                    g.3 = true;
                    problems.extend(g.2.clone());
                    (Some(g.0.clone()), DbFileFrom::Option)
                }
                None => match db_file_from_processes(&base, st.as_ref()) {
                    Some((f, from)) => (Some(f), from),
                    None => (None, DbFileFrom::Default),
                },
            };
            let config = match ovsdb_config(db, Some(dir), file.as_deref(), backup_dir) {
                Ok(c) => Config::Ovsdb(Box::new(c), from),
                Err(e) => Config::Bad(e),
            };
            out.push(Target {
                cib: None,
                agent: "ovsdb-server".into(),
                config,
                problems,
            });
        }
        let dir_s = dir.display().to_string();
        if let Ok(c) = ovn_northd::Config::from_lookup(|n| (n == "run_dir").then(|| dir_s.clone()))
            && !claimed.contains(&c.state_file())
            && c.state_file().exists()
        {
            out.push(Target {
                cib: None,
                agent: "ovn-northd".into(),
                config: Config::Northd(Box::new(c)),
                problems: vec![],
            });
        }
    }
    for (file, db, note, used) in given {
        if used {
            continue;
        }
        let config = match ovsdb_config(db, None, Some(&file), backup_dir) {
            Ok(c) => Config::Ovsdb(Box::new(c), DbFileFrom::Option),
            Err(e) => Config::Bad(e),
        };
        out.push(Target {
            cib: None,
            agent: "ovsdb-server".into(),
            config,
            problems: note.into_iter().collect(),
        });
    }
    out
}

// ------------------------------------------------------------------ observing

fn listener_text(l: &process::Listener) -> String {
    match l.addr {
        std::net::IpAddr::V4(a) => format!("{a}:{}", l.port),
        std::net::IpAddr::V6(a) => format!("[{a}]:{}", l.port),
    }
}

fn ask(ctl: &Path, cmd: &str) -> Result<String, String> {
    let dl = Deadline::after(ASK_TIMEOUT);
    Unixctl::connect(ctl, dl)
        .and_then(|mut c| c.command(cmd, &[], dl))
        .map_err(|e| e.to_string())
}

fn repair_of(s: repair_history::Summary, now_s: u64) -> Repair {
    Repair {
        age_s: repair_history::stamp_epoch(&s.time).map(|t| now_s.saturating_sub(t)),
        outcome: s.outcome,
        time: s.time,
        found: s.found,
        backup: s.backup,
        report: s.report.display().to_string(),
    }
}

fn empty_row(t: &Target) -> Resource {
    Resource {
        resource: t.cib.as_ref().map(|r| r.id.clone()),
        clone: t.cib.as_ref().and_then(|r| r.clone.clone()),
        group: t.cib.as_ref().and_then(|r| r.group.clone()),
        agent: t.agent.clone(),
        db: None,
        db_file: None,
        db_file_from: None,
        state_file: t.state_file().map(|p| p.display().to_string()),
        role: None,
        pid: None,
        daemon_status: None,
        listeners: vec![],
        remotes: vec![],
        lease: None,
        last_repair: None,
        last_change: None,
        repair_line: None,
        backups: None,
        backup_dir: None,
        pacemaker: None,
        problems: t.problems.clone(),
    }
}

/// The agent's state file: its content, or a problem if it is there but unreadable.
fn load_state(path: &Path, problems: &mut Vec<String>) -> Option<State> {
    let st = State::load(path);
    if st.is_none() && path.exists() {
        problems.push(format!(
            "state file {} is unreadable (the agent treats it as absent)",
            path.display()
        ));
    }
    st
}

fn observe(t: Target, node: &str, crm: Option<&CrmMon>) -> Resource {
    let mut row = empty_row(&t);
    if let (Some(r), Some(m)) = (&t.cib, crm) {
        row.pacemaker = m.view(&r.id, node);
    }
    let here = row.pacemaker.as_ref().map(|p| p.role.clone());
    match &t.config {
        Config::Bad(why) => row
            .problems
            .push(format!("its parameters do not make a configuration: {why}")),
        Config::Ovsdb(cfg, from) => observe_ovsdb(&mut row, cfg, *from, node),
        Config::Northd(cfg) => observe_northd(&mut row, cfg),
    }
    if let (Some(p), None) = (&row.pacemaker, &row.clone)
        && p.running_on.len() > 1
    {
        row.problems.push(format!(
            "Pacemaker sees it active on {} nodes: {}",
            p.running_on.len(),
            p.running_on.join(" ")
        ));
    }
    if let Some(role) = here
        && role != "Stopped"
        && row.pid.is_none()
        && !matches!(t.config, Config::Bad(_))
        && !(role == "Unpromoted" && row.agent == "ovsdb-server")
    {
        row.problems.push(format!(
            "Pacemaker says {role} here but no {} runs",
            row.agent
        ));
    }
    row
}

fn observe_ovsdb(row: &mut Resource, cfg: &ovsdb_server::Config, from: DbFileFrom, node: &str) {
    let now_ms = lease::now_ms();
    let now_s = now_ms / 1000;
    row.db = Some(cfg.db.key());
    row.db_file = Some(cfg.db_file.display().to_string());
    row.db_file_from = Some(from.word());
    if from == DbFileFrom::Default {
        row.problems.push(format!(
            "database file unknown (no ovsdb-server runs): showing the default {}; give --db-file",
            cfg.db_file.display()
        ));
    }
    let st = load_state(&cfg.state_file(), &mut row.problems);
    let daemon = process::find_daemon(&cfg.pidfile(), "ovsdb-server", &unixctl_marker(cfg));
    if let Some(st) = &st {
        row.role = pacemaker::role_word(st.role);
        row.remotes = st.remotes.clone();
        row.repair_line = st.repair.clone();
    }
    if let Some(d) = &daemon {
        row.pid = Some(d.pid);
        row.listeners = process::tcp_listeners(d.pid)
            .iter()
            .map(listener_text)
            .collect();
        if d.stopped() {
            row.problems
                .push(format!("ovsdb-server pid {} is stopped (SIGSTOP)", d.pid));
        } else {
            match ask(&cfg.ctl(), "ovsdb-server/sync-status") {
                Ok(text) => {
                    row.daemon_status = Some(match parse_sync_status(&text) {
                        SyncState::Active => "active".into(),
                        SyncState::Backup => "backup".into(),
                        SyncState::Other(s) => s,
                        SyncState::Unknown => text.trim().to_string(),
                    })
                }
                Err(e) => row.problems.push(format!(
                    "ovsdb-server pid {} does not answer on {}: {e}",
                    d.pid,
                    cfg.ctl().display()
                )),
            }
        }
    }
    match (row.role, &daemon) {
        (Some("serving"), None) => row.problems.push(format!(
            "the agent recorded serving, but no ovsdb-server runs (pidfile {})",
            cfg.pidfile().display()
        )),
        (None | Some("standby"), Some(d)) => row.problems.push(format!(
            "ovsdb-server pid {} runs but the agent did not record serving (started by hand?)",
            d.pid
        )),
        _ => {}
    }
    let record = lease::record_path(&cfg.db_file);
    let keeper = st.as_ref().and_then(|s| s.keeper);
    let keeper_alive = keeper.is_some_and(|k| lease::is_keeper(k, &record));
    match guard::read(&cfg.db_file) {
        Ok(Some(r)) => {
            let renewed_ms_ago = (r.renewed_ms > 0).then(|| now_ms.saturating_sub(r.renewed_ms));
            if row.pid.is_some() && r.node != node {
                row.problems.push(format!(
                    "this node serves it but its owner record names node {}",
                    r.node
                ));
            }
            if row.pid.is_some()
                && r.node == node
                && renewed_ms_ago.is_none_or(|ms| ms > lease::WINDOW.as_millis() as u64)
            {
                row.problems.push(format!(
                    "its owner record is not renewed (last {}): a node cut off from this one could take it over",
                    renewed_ms_ago.map_or("never".into(), |ms| format!("{} ms ago", ms))
                ));
            }
            row.lease = Some(Lease {
                owner: r.node,
                since: r.since,
                held_s: now_s.saturating_sub(r.since),
                renewed_ms_ago,
                seq: r.seq,
                record: record.display().to_string(),
                keeper_pid: keeper,
                keeper_alive,
            });
        }
        Ok(None) => {}
        Err(e) => row.problems.push(e.to_string()),
    }
    if let Some(k) = keeper
        && row.pid.is_some()
        && !keeper_alive
    {
        row.problems.push(format!(
            "its lease keeper pid {k} is gone: the owner record is no longer renewed"
        ));
    }
    let h = repair_history::list(&cfg.backup_dir, &cfg.db_file);
    row.backups = Some(h.backups.len());
    row.backup_dir = Some(cfg.backup_dir.display().to_string());
    row.last_repair = h.last_run().map(|s| repair_of(s, now_s));
    row.last_change = h.last_change().map(|s| repair_of(s, now_s));
}

fn observe_northd(row: &mut Resource, cfg: &ovn_northd::Config) {
    let st = load_state(&cfg.state_file(), &mut row.problems);
    if let Some(st) = &st {
        row.role = pacemaker::role_word(st.role);
    }
    let daemon = process::find_daemon(&cfg.pidfile(), "ovn-northd", &northd_marker(cfg));
    if let Some(d) = &daemon {
        row.pid = Some(d.pid);
        if d.stopped() {
            row.problems
                .push(format!("ovn-northd pid {} is stopped (SIGSTOP)", d.pid));
        } else {
            match ask(&cfg.ctl(d.pid), "status") {
                Ok(text) => {
                    row.daemon_status = Some(match ovn_northd::parse_status(&text) {
                        ovn_northd::NorthdStatus::Active => "active".into(),
                        ovn_northd::NorthdStatus::Standby => "standby".into(),
                        ovn_northd::NorthdStatus::Paused => "paused".into(),
                        ovn_northd::NorthdStatus::Other(s) => s,
                    })
                }
                Err(e) => row
                    .problems
                    .push(format!("ovn-northd pid {} does not answer: {e}", d.pid)),
            }
        }
    } else if st.is_some_and(|s| s.role.is_some()) {
        row.problems.push(format!(
            "the agent recorded a role, but no ovn-northd runs (pidfile {})",
            cfg.pidfile().display()
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes() {
        assert_eq!(exit_code(Ok(())).code(), 0);
        let pipe = std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        assert_eq!(
            exit_code(Err(pipe)).code(),
            0,
            "status | head is not a failure"
        );
        let full = std::io::Error::from(std::io::ErrorKind::StorageFull);
        assert_eq!(exit_code(Err(full)).code(), 1);
    }

    #[test]
    fn db_kind_from_schema_then_name() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("x_sb.db");
        std::fs::write(&f, b"garbage").unwrap();
        let (k, note) = db_kind(&f);
        assert_eq!(k, "sb");
        assert!(note.unwrap().contains("no readable schema record"));
        let (k, note) = db_kind(&d.path().join("missing.db"));
        assert_eq!(k, "nb");
        assert!(note.is_some());
    }
}

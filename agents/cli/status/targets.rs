//! What `ovn-ocf status` looks at: the resources the CIB describes and the state files in
//! the run dirs, each with the configuration its agent would have.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DbFileFrom {
    Cib,
    Option,
    Process,
    Keeper,
    Default,
}

impl DbFileFrom {
    pub(super) fn word(self) -> &'static str {
        match self {
            DbFileFrom::Cib => "cib",
            DbFileFrom::Option => "option",
            DbFileFrom::Process => "process",
            DbFileFrom::Keeper => "keeper",
            DbFileFrom::Default => "default",
        }
    }
}

pub(super) enum Config {
    Ovsdb(Box<ovsdb_server::Config>, DbFileFrom),
    Northd(Box<ovn_northd::Config>),
    /// The CIB's parameters do not make a configuration (or an agent we do not know).
    Bad(String),
}

pub(super) struct Target {
    pub(super) cib: Option<CibResource>,
    pub(super) agent: String,
    pub(super) config: Config,
    pub(super) problems: Vec<String>,
}

impl Target {
    pub(super) fn from_cib(r: &CibResource) -> Target {
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

    pub(super) fn state_file(&self) -> Option<PathBuf> {
        match &self.config {
            Config::Ovsdb(c, _) => Some(c.state_file()),
            Config::Northd(c) => Some(c.state_file()),
            Config::Bad(_) => None,
        }
    }
}

/// The daemon a configuration describes, if it runs (as its agent finds it).
pub(super) fn find_daemon(d: &DaemonSpec) -> Option<ProcInfo> {
    process::find_daemon(&d.pidfile, d.comm, &d.marker)
}

/// An ovsdb-server configuration from the agent's table: `db`, `run_dir`, and what else
/// is known; everything else as the agent's defaults.
pub(super) fn ovsdb_config(
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
pub(super) fn db_file_from_processes(
    cfg: &ovsdb_server::Config,
    st: Option<&State>,
) -> Option<(PathBuf, DbFileFrom)> {
    if let Some(d) = find_daemon(&cfg.daemon_spec())
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
pub(super) fn db_kind(file: &Path) -> (&'static str, Option<String>) {
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
pub(super) fn local_targets(args: &Args, cib: &[Target]) -> Vec<Target> {
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

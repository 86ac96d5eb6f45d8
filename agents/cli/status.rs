//! `ovn-ocf status`: every ovn-ocf resource on this node, from the CIB when a cluster runs
//! and from the agents' state files in the run dirs, with its role, daemon, listeners,
//! lease, last repair, backups and what Pacemaker says of it. A table for people
//! (`table`), `--json` for scripts (`schema`). `targets` finds what to look at (the CIB,
//! the state files), `observe` reads one resource on this node.
//!
//! Observes only: reads state files, owner records, repair reports, /proc, asks the
//! daemons read-only questions on their control sockets and Pacemaker through its query
//! tools (`crm_mon`, `cibadmin --query`, `crm_node -n`). Writes nothing, signals nothing.

mod observe;
mod schema;
mod table;
mod targets;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use ovn_ocf::crm_status::{self, CibResource, CrmMon, ResourceView};
use ovn_ocf::ocf::Deadline;
use ovn_ocf::ovsdb::{SyncState, Unixctl, parse_sync_status};
use ovn_ocf::process::{self, ProcInfo};
use ovn_ocf::state::{CompactionOutcome, State};
use ovn_ocf::{dbfile, guard, lease, pacemaker, repair_history, runner};

use observe::*;
use schema::*;
use targets::*;

use super::Exit;
use crate::framework::{Agent, DaemonSpec};
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

//! `ovn-ocf check` and `ovn-ocf repair`: the repair pipeline by hand, on a file no
//! ovsdb-server serves.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ovn_ocf::dbfile::{self, Verdict};
use ovn_ocf::lease;
use ovn_ocf::ocf::Deadline;
use ovn_ocf::ovn::Db;
use ovn_ocf::repair::{self, Policy};

use super::Exit;
use super::progress::Progress;
use crate::framework::Agent;
use crate::ovsdb_server;

pub(super) fn check(file: &Path, json: bool) -> Exit {
    let mut p = Progress::stderr();
    let i = dbfile::inspect_with_progress(file, None, &mut |n, of| p.update("verifying", n, of));
    p.finish();
    let i = match i {
        Ok(i) => i,
        Err(e) => {
            eprintln!("ovn-ocf: cannot read {}: {e}", file.display());
            return Exit::Unusable;
        }
    };
    let served = last_served(file);
    if json {
        let mut v = serde_json::to_value(&i).expect("serializes");
        v["served"] = serde_json::to_value(served).expect("serializes");
        println!("{}", serde_json::to_string_pretty(&v).expect("serializes"));
    } else {
        let schema = i
            .schema
            .as_ref()
            .map(|s| format!(" ({} {})", s.name, s.version))
            .unwrap_or_default();
        println!("{}: {}{schema}", file.display(), i.verdict.describe());
        if let Some(s) = served {
            let now = lease::Served::of(file);
            let how = match repair::compare_served(Some(&s), now.as_ref()) {
                repair::Compared::Shorter { .. } => {
                    "; the file is shorter now: its tail is lost (the agent backs it up and rebuilds)"
                }
                repair::Compared::Replaced { .. } => {
                    "; another file (inode) now: compacted or replaced"
                }
                _ => "",
            };
            println!(
                "{}: served last at {} bytes (inode {}){how}",
                file.display(),
                s.size,
                s.ino
            );
        }
    }
    match i.verdict {
        Verdict::Clean { .. } => Exit::Ok,
        Verdict::TornTail { .. } | Verdict::Corrupt { .. } => Exit::Failed,
        _ => Exit::Unusable,
    }
}

/// The file as it last served, from the owner record or what a clean stop left beside it.
fn last_served(file: &Path) -> Option<lease::Served> {
    lease::last_served(file).unwrap_or_else(|e| {
        eprintln!(
            "ovn-ocf: cannot read what {} served last: {e}",
            file.display()
        );
        None
    })
}

/// The installed schema for a file, from its own schema name (the agent's defaults).
fn schema_for(file: &Path) -> Option<PathBuf> {
    let db = Db::of_schema(&dbfile::file_schema(file).ok()??.name)?;
    let cfg =
        ovsdb_server::Config::from_lookup(|n| (n == "db").then(|| db.key().to_string())).ok()?;
    Some(cfg.schema)
}

pub(super) fn repair(
    file: PathBuf,
    dry_run: bool,
    backup_dir: Option<PathBuf>,
    schema: Option<PathBuf>,
    policy: Policy,
    keep: usize,
    ovsdb_tool: String,
) -> Exit {
    let Some(schema) = schema.or_else(|| schema_for(&file)) else {
        eprintln!(
            "ovn-ocf: cannot tell which schema {} needs (damaged or not an OVN database): give --schema",
            file.display()
        );
        return Exit::Unusable;
    };
    let backup_dir = backup_dir.unwrap_or_else(|| {
        file.parent()
            .unwrap_or(Path::new("."))
            .join("ovn-ocf-backups")
    });
    if let Some(pid) = held_by_server(&file) {
        eprintln!(
            "ovn-ocf: {} is open by ovsdb-server pid {pid}; stop it first",
            file.display()
        );
        return Exit::Failed;
    }
    let served = last_served(&file);
    let opts = repair::Options {
        db_file: file,
        schema,
        backup_dir,
        backup_keep: keep.max(1),
        policy,
        ovsdb_tool,
        dry_run,
        served,
        stale: None,
    };
    let mut p = Progress::stderr();
    let done = repair::run_with_progress(
        &opts,
        Deadline::after(Duration::from_secs(24 * 3600)),
        &mut |what, n, of| p.update(what, n, of),
    );
    p.finish();
    match done {
        Ok(report) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("a report serializes")
            );
            Exit::Ok
        }
        Err(e) => {
            eprintln!("ovn-ocf: {e}");
            Exit::Failed
        }
    }
}

/// A local ovsdb-server that has `file` open, found through /proc (read only).
fn held_by_server(file: &Path) -> Option<i32> {
    let target = std::fs::canonicalize(file).ok()?;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim() == "ovsdb-server")
            && let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd"))
            && fds
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target))
        {
            return Some(pid);
        }
    }
    None
}

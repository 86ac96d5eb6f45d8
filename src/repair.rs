//! The repair pipeline for standalone ovsdb files: inspect → plan → apply → report.
//!
//! ovsdb-server opens a damaged file without failing and silently drops every record after
//! the damage (seen on 3.1.0: it logs an error and its next write truncates the rest);
//! this module runs before it does. It never edits a file in place:
//! the original goes byte-exact into the backup directory first (fsynced, verified), the
//! repaired file is built beside the database, verified, fsynced and renamed into place.
//! It never produces an empty database silently: creating one is an outcome of its own,
//! reported, and the repair hook is there to rebuild it. Nor does it serve a clean file
//! silently that is shorter than it was when it last served (`Options::served`): a lost
//! tail every record of which verifies is a loss, backed up and reported like a cut.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;
use sha1::{Digest, Sha1};

use crate::dbfile::{self, Inspection, SchemaId, Verdict};
use crate::fsutil;
use crate::lease::Served;
use crate::ocf::Deadline;
use crate::runner;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "{db}: {verdict}; repair_policy=refuse leaves it alone (back it up and repair by hand with `ovn-ocf repair`)"
    )]
    Refused { db: String, verdict: String },
    #[error("{db} is a clustered database; this agent serves standalone databases only")]
    Clustered { db: String },
    #[error("{db} holds {found}, not {expected}")]
    WrongSchema {
        db: String,
        found: String,
        expected: String,
    },
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot back up {db} to {dir}: {source}")]
    Backup {
        db: String,
        dir: String,
        source: std::io::Error,
    },
    #[error("backup {backup} does not match {db} byte for byte")]
    BackupMismatch { db: String, backup: String },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("ovsdb-tool {what} failed: {detail}")]
    Tool { what: String, detail: String },
    #[error("the repaired file {path} does not verify ({verdict}); the original is untouched")]
    Unverified { path: String, verdict: String },
}

/// A file that is not what the resource says (clustered, another schema) is a
/// configuration error: no node can serve it. Local I/O follows [`crate::ocf::io_status`].
impl crate::ocf::OcfError for Error {
    fn ocf_status(&self) -> crate::ocf::OcfStatus {
        use crate::ocf::{OcfStatus, io_status};
        match self {
            Error::WrongSchema { .. } | Error::Clustered { .. } => OcfStatus::ErrConfigured,
            Error::Read { source, .. }
            | Error::Backup { source, .. }
            | Error::Write { source, .. } => io_status(source),
            _ => OcfStatus::ErrGeneric,
        }
    }
}

/// `repair_policy` of the ovsdb-server agent and `--policy` of `ovn-ocf repair`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Policy {
    /// Keep the intact prefix, cut the rest (after a backup).
    KeepPrefix,
    /// Change nothing; a damaged file fails the action.
    Refuse,
}

impl crate::ocf::params::ChoiceParam for Policy {}

/// One change to the database file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "step", rename_all = "kebab-case")]
pub enum Step {
    /// No file: create an empty database from the schema.
    Create,
    /// Unusable file (empty, not ovsdb, schema record damaged): back it up, create anew.
    Recreate,
    /// A file of an earlier term (`Options::stale`, storage=rebuild): whatever it holds,
    /// it is not what served last. Back it up, create anew; the rebuild fills it.
    Replace { why: String },
    /// Keep the first `keep` bytes (`records` records), drop `dropped` bytes after them.
    Cut {
        keep: u64,
        records: u64,
        dropped: u64,
    },
    /// Convert to the installed schema.
    Convert { from: String, to: String },
    /// A clean file shorter than the same file (inode) was when it last served: its tail
    /// is lost (a power cut before the page cache reached the disk, or a truncation).
    /// Backed up and kept as it is (it is all there is); owes the rebuild a cut owes.
    ShorterThanServed { served: u64, found: u64 },
}

/// What a run did, in one word: `clean`, `created`, `recreated`, `cut`, `converted`,
/// `cut+converted`, ... Passed to the hook and shown in `crm_mon -A`.
pub fn outcome_word(steps: &[Step]) -> String {
    if steps.is_empty() {
        return "clean".into();
    }
    steps
        .iter()
        .map(|s| match s {
            Step::Create => "created",
            Step::Recreate => "recreated",
            Step::Replace { .. } => "replaced",
            Step::Cut { .. } => "cut",
            Step::Convert { .. } => "converted",
            Step::ShorterThanServed { .. } => "shorter-than-served",
        })
        .collect::<Vec<_>>()
        .join("+")
}

/// The file now against what served last (see [`compare_served`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compared {
    /// Nothing known of an earlier serve, or no file now.
    Unknown,
    /// The file that served (its inode), as long as it was or longer.
    AsServed,
    /// The file that served, shorter than it was: its tail is lost.
    Shorter { served: u64, found: u64 },
    /// Another file (inode) than the one that served: ovsdb-server's compaction renames
    /// a new file in, the repair does too, an operator may put one there. Not a loss.
    Replaced { served: u64, found: u64 },
}

/// Compares the file now with the file as it last served; pure. Same inode and shorter
/// is a loss; another inode is another file (see [`Served::same_file`]).
pub fn compare_served(served: Option<&Served>, now: Option<&Served>) -> Compared {
    let (Some(s), Some(n)) = (served, now) else {
        return Compared::Unknown;
    };
    if !s.same_file(n) {
        Compared::Replaced {
            served: s.size,
            found: n.size,
        }
    } else if n.size < s.size {
        Compared::Shorter {
            served: s.size,
            found: n.size,
        }
    } else {
        Compared::AsServed
    }
}

/// Decides what to do; pure. `compared`: the file against what served last; a clean file
/// shorter than it served is a loss (a damaged one is cut, a loss already).
pub fn plan(
    db: &Path,
    found: &Inspection,
    installed: &SchemaId,
    policy: Policy,
    compared: Compared,
    stale: Option<&str>,
) -> Result<Vec<Step>, Error> {
    let dbs = db.display().to_string();
    if let Some(why) = stale {
        // Not refused by repair_policy=refuse: the file is not lost, only not served.
        return match &found.verdict {
            Verdict::Missing => Ok(vec![Step::Create]),
            Verdict::Clustered => Err(Error::Clustered { db: dbs }),
            _ => Ok(vec![Step::Replace {
                why: why.to_string(),
            }]),
        };
    }
    let refuse = |v: &Verdict| {
        if policy == Policy::Refuse {
            Err(Error::Refused {
                db: dbs.clone(),
                verdict: v.describe(),
            })
        } else {
            Ok(())
        }
    };
    let mut steps = match &found.verdict {
        Verdict::Missing => return Ok(vec![Step::Create]),
        Verdict::Clustered => return Err(Error::Clustered { db: dbs }),
        v @ (Verdict::Empty | Verdict::NotOvsdb { .. }) => {
            refuse(v)?;
            return Ok(vec![Step::Recreate]);
        }
        Verdict::Clean { .. } => match compared {
            // Not refused by repair_policy=refuse: nothing in the file is changed.
            Compared::Shorter { served, found } => vec![Step::ShorterThanServed { served, found }],
            _ => vec![],
        },
        v @ (Verdict::TornTail { .. } | Verdict::Corrupt { .. }) => {
            refuse(v)?;
            vec![Step::Cut {
                keep: v.intact_bytes(),
                records: v.intact_records(),
                dropped: found.size - v.intact_bytes(),
            }]
        }
    };
    let schema = found
        .schema
        .as_ref()
        .expect("an intact first record has a schema");
    if schema.name != installed.name {
        return Err(Error::WrongSchema {
            db: dbs,
            found: schema.name.clone(),
            expected: installed.name.clone(),
        });
    }
    if dbfile::version_cmp(&schema.version, &installed.version).is_lt() {
        steps.push(Step::Convert {
            from: schema.version.clone(),
            to: installed.version.clone(),
        });
    }
    Ok(steps)
}

/// Where and how a run works.
#[derive(Debug, Clone)]
pub struct Options {
    pub db_file: PathBuf,
    pub schema: PathBuf,
    pub backup_dir: PathBuf,
    pub backup_keep: usize,
    pub policy: Policy,
    pub ovsdb_tool: String,
    pub dry_run: bool,
    /// The file as it last served (the owner record's, or what a clean stop left beside
    /// the database); None: nothing known, no comparison.
    pub served: Option<Served>,
    /// Why the file is not the current one, when it is not (storage=rebuild: a file left
    /// by an earlier term): it is backed up and replaced by a new one, which the rebuild
    /// fills.
    pub stale: Option<String>,
}

/// What a run found and did: written as JSON, one file per run.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub time: String,
    pub db_file: String,
    pub size: u64,
    pub found: Verdict,
    pub schema: Option<SchemaId>,
    pub installed_schema: SchemaId,
    pub policy: Policy,
    pub steps: Vec<Step>,
    pub outcome: String,
    pub backup: Option<String>,
    pub backup_sha1: Option<String>,
    pub report: Option<String>,
    pub dry_run: bool,
    /// The file was missing, nothing says it served (`served`) and no report of an
    /// earlier run exists in the backup directory: a new deployment's first start,
    /// created and owing no rebuild.
    pub new_database: bool,
    /// The file as it last served, as the run was told (`Options::served`).
    pub served: Option<Served>,
}

impl Report {
    /// True when the database lost records or was created in place of one that
    /// existed: northd must recompute SB, the repair hook rebuild NB.
    pub fn lost_data(&self) -> bool {
        !self.new_database
            && self.steps.iter().any(|s| {
                matches!(
                    s,
                    Step::Create
                        | Step::Recreate
                        | Step::Replace { .. }
                        | Step::Cut { .. }
                        | Step::ShorterThanServed { .. }
                )
            })
    }

    /// True when the file was changed, or found shorter than it served, in a way a rebuild
    /// must make good (a new deployment's first database is not: there was nothing to
    /// lose).
    pub fn changed(&self) -> bool {
        !self.new_database && !self.steps.is_empty()
    }

    /// One line for a node attribute and the log.
    pub fn summary(&self) -> String {
        let mut s = format!("{} {}", self.outcome, self.time);
        for st in &self.steps {
            match st {
                Step::Cut {
                    records, dropped, ..
                } => s.push_str(&format!(" kept={records} records, dropped={dropped} bytes")),
                Step::ShorterThanServed { served, found } => {
                    s.push_str(&format!(" served={served} bytes, found={found} bytes"))
                }
                _ => {}
            }
        }
        s
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Copies `src` byte-exact into `dir` (temp → fsync → rename → fsync dir) and checks the
/// copy against the original. Returns the backup path and its SHA-1.
pub fn backup(src: &Path, dir: &Path, name: &str) -> Result<(PathBuf, String), Error> {
    backup_with_progress(src, dir, name, &mut |_, _| {})
}

/// [`backup`], telling `progress` how many bytes of the comparison are done, of how many.
pub fn backup_with_progress(
    src: &Path,
    dir: &Path,
    name: &str,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<(PathBuf, String), Error> {
    let err = |source| Error::Backup {
        db: src.display().to_string(),
        dir: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    let dst = dir.join(name);
    let tmp = fsutil::temp_path(&dst);
    let result = (|| {
        std::fs::copy(src, &tmp)?;
        std::fs::File::open(&tmp)?.sync_all()?;
        std::fs::rename(&tmp, &dst)?;
        fsutil::fsync_dir(dir)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(err(e));
    }
    // Byte for byte against the original, hashing the backup on the way (one pass each).
    let mismatch = || Error::BackupMismatch {
        db: src.display().to_string(),
        backup: dst.display().to_string(),
    };
    let (mut a, mut b) = (
        std::fs::File::open(src).map_err(|source| Error::Read {
            path: src.display().to_string(),
            source,
        })?,
        std::fs::File::open(&dst).map_err(err)?,
    );
    let (mut ba, mut bb) = (vec![0u8; 1 << 20], vec![0u8; 1 << 20]);
    let mut h = Sha1::new();
    let total = a.metadata().map_or(0, |m| m.len());
    let mut done = 0u64;
    loop {
        progress(done, total);
        let n = read_full(&mut a, &mut ba).map_err(|source| Error::Read {
            path: src.display().to_string(),
            source,
        })?;
        let m = read_full(&mut b, &mut bb).map_err(err)?;
        if n != m || ba[..n] != bb[..m] {
            return Err(mismatch());
        }
        if n == 0 {
            return Ok((dst, hex(&h.finalize())));
        }
        h.update(&bb[..m]);
        done += m as u64;
    }
}

/// Reads until `buf` is full or the end: equal files give equal chunk boundaries.
fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Keeps the newest `keep` files in `dir` named `<prefix>*<suffix>` (names sort by time).
pub fn prune(dir: &Path, prefix: &str, suffix: &str, keep: usize) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
        .collect();
    names.sort();
    let excess = names.len().saturating_sub(keep);
    for n in &names[..excess] {
        match std::fs::remove_file(dir.join(n)) {
            Ok(()) => log::info!("pruned old {}", dir.join(n).display()),
            Err(e) => log::warn!("cannot prune {}: {e}", dir.join(n).display()),
        }
    }
}

fn tool(
    opts: &Options,
    what: &str,
    args: &[&std::ffi::OsStr],
    deadline: Deadline,
) -> Result<(), Error> {
    let out = runner::run(&opts.ovsdb_tool, args, &[], deadline).map_err(|e| Error::Tool {
        what: what.into(),
        detail: e.to_string(),
    })?;
    if out.success() {
        Ok(())
    } else {
        Err(Error::Tool {
            what: what.into(),
            detail: out.describe(),
        })
    }
}

/// ovsdb-tool leaves a `.<name>.~lock~` beside every file it writes.
fn remove_tool_lock(path: &Path) {
    if let Some(name) = path.file_name() {
        let _ = std::fs::remove_file(
            path.with_file_name(format!(".{}.~lock~", name.to_string_lossy())),
        );
    }
}

fn copy_prefix(src: &Path, dst: &Path, keep: u64) -> std::io::Result<()> {
    let mut r = std::fs::File::open(src)?.take(keep);
    let mut w = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(dst)?;
    let n = std::io::copy(&mut r, &mut w)?;
    if n != keep {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "file shrank",
        ));
    }
    w.flush()?;
    w.sync_all()
}

/// Runs the whole pipeline on `opts.db_file`. With `dry_run`, plans and reports only.
pub fn run(opts: &Options, deadline: Deadline) -> Result<Report, Error> {
    run_with_progress(opts, deadline, &mut |_, _, _| {})
}

/// [`run`], telling `progress` what it reads (a few words), how many bytes of it are done
/// and of how many: the verification, the backup's comparison, the second verification.
pub fn run_with_progress(
    opts: &Options,
    deadline: Deadline,
    progress: &mut dyn FnMut(&str, u64, u64),
) -> Result<Report, Error> {
    let db = &opts.db_file;
    let read_err = |path: &Path| {
        let path = path.display().to_string();
        move |source| Error::Read { path, source }
    };
    let installed = dbfile::schema_file_id(&opts.schema).map_err(read_err(&opts.schema))?;
    // The file's identity before it is read: nothing else writes it meanwhile.
    let identity = Served::of(db);
    let found = dbfile::inspect_with_progress(db, None, &mut |n, of| progress("verifying", n, of))
        .map_err(read_err(db))?;
    let compared = compare_served(opts.served.as_ref(), identity.as_ref());
    log_compared(db, opts.served.as_ref(), identity.as_ref(), compared);
    let steps = plan(
        db,
        &found,
        &installed,
        opts.policy,
        compared,
        opts.stale.as_deref(),
    )?;
    // A missing file that never served (nothing says it served, no report of an earlier
    // run beside the others) is a new deployment, not a loss.
    let new_database = found.verdict == Verdict::Missing
        && opts.served.is_none()
        && opts.stale.is_none()
        && crate::repair_history::list(&opts.backup_dir, db)
            .reports
            .is_empty();
    let now = std::time::SystemTime::now();
    let stamp = crate::ocf::time::utc_stamp(now);
    let name = db
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "db".into());
    let mut report = Report {
        time: stamp.clone(),
        db_file: db.display().to_string(),
        size: found.size,
        found: found.verdict.clone(),
        schema: found.schema.clone(),
        installed_schema: installed,
        policy: opts.policy,
        outcome: if new_database {
            "new".into()
        } else {
            outcome_word(&steps)
        },
        steps: steps.clone(),
        backup: None,
        backup_sha1: None,
        report: None,
        dry_run: opts.dry_run,
        new_database,
        served: opts.served,
    };
    if opts.dry_run {
        return Ok(report);
    }
    if !steps.is_empty() {
        // 1. The original, byte-exact, before anything else.
        if found.verdict != Verdict::Missing {
            let (path, sha) = backup_with_progress(
                db,
                &opts.backup_dir,
                &format!("{name}.{stamp}.bak"),
                &mut |n, of| progress("checking the backup", n, of),
            )?;
            log::info!(
                "backed up {} to {} sha1={sha}",
                db.display(),
                path.display()
            );
            report.backup = Some(path.display().to_string());
            report.backup_sha1 = Some(sha);
            prune(
                &opts.backup_dir,
                &format!("{name}."),
                ".bak",
                opts.backup_keep,
            );
        }
        // A file found shorter than it served is kept as it is: nothing to build unless
        // another step changes it.
        if steps
            .iter()
            .all(|s| matches!(s, Step::ShorterThanServed { .. }))
        {
            log::warn!(
                "{} lost its tail and is kept as it is (backed up): {}",
                db.display(),
                report.summary()
            );
            return Ok(write_report(opts, &name, &stamp, report));
        }
        // 2. The new file, built beside the database.
        let tmp = fsutil::temp_path(db);
        let tmp2 = tmp.with_extension("convert");
        for t in [&tmp, &tmp2] {
            let _ = std::fs::remove_file(t);
        }
        let built = build(opts, db, &steps, &tmp, &tmp2, deadline);
        let result = built.and_then(|file| {
            let check = dbfile::inspect_with_progress(&file, None, &mut |n, of| {
                progress("verifying the repaired file", n, of)
            })
            .map_err(read_err(&file))?;
            if !check.verdict.is_clean() {
                return Err(Error::Unverified {
                    path: file.display().to_string(),
                    verdict: check.verdict.describe(),
                });
            }
            // 3. Into place, durably.
            std::fs::File::open(&file)
                .and_then(|f| f.sync_all())
                .and_then(|()| std::fs::rename(&file, db))
                .and_then(|()| fsutil::fsync_dir(db.parent().unwrap_or(Path::new("/"))))
                .map_err(|source| Error::Write {
                    path: db.display().to_string(),
                    source,
                })
        });
        for t in [&tmp, &tmp2] {
            let _ = std::fs::remove_file(t);
            remove_tool_lock(t);
        }
        result?;
        log::warn!("repaired {}: {}", db.display(), report.summary());
    }
    Ok(write_report(opts, &name, &stamp, report))
}

/// Says what the comparison with the last serve found, when it found something.
fn log_compared(db: &Path, served: Option<&Served>, now: Option<&Served>, c: Compared) {
    let (Some(s), Some(n)) = (served, now) else {
        return;
    };
    match c {
        Compared::Shorter { served, found } => log::warn!(
            "{} is {found} bytes, shorter than the {served} bytes it served (inode {}): its tail is lost",
            db.display(),
            n.ino
        ),
        Compared::Replaced { served, found } if found < served => log::info!(
            "{} is another file than the one that served (inode {} of {served} bytes, now inode {} of {found} bytes): compacted or replaced, not a loss",
            db.display(),
            s.ino,
            n.ino
        ),
        _ => {}
    }
    if s.same_file(n) && s.dev != n.dev {
        log::info!(
            "{}: inode {} served on device {:#x}, is on device {:#x} here (another node's mount of the same filesystem)",
            db.display(),
            n.ino,
            s.dev,
            n.dev
        );
    }
}

/// 4. The report, one per run.
fn write_report(opts: &Options, name: &str, stamp: &str, mut report: Report) -> Report {
    let report_path = opts.backup_dir.join(format!("{name}.{stamp}.report.json"));
    report.report = Some(report_path.display().to_string());
    let json = serde_json::to_vec_pretty(&report).expect("report serializes");
    match std::fs::create_dir_all(&opts.backup_dir)
        .and_then(|()| fsutil::write_atomic(&report_path, &json, 0o644))
    {
        Ok(()) => prune(
            &opts.backup_dir,
            &format!("{name}."),
            ".report.json",
            opts.backup_keep,
        ),
        Err(e) => {
            // A clean run must not fail because the report could not be written; a run
            // that changed the file already has its backup and logs the report.
            log::warn!("cannot write report {}: {e}", report_path.display());
            report.report = None;
        }
    }
    report
}

/// Produces the repaired file; returns its path (one of the two temp names).
fn build(
    opts: &Options,
    db: &Path,
    steps: &[Step],
    tmp: &Path,
    tmp2: &Path,
    deadline: Deadline,
) -> Result<PathBuf, Error> {
    let write_err = |p: &Path| {
        let path = p.display().to_string();
        move |source| Error::Write { path, source }
    };
    let mut current: PathBuf = db.to_path_buf();
    for step in steps {
        match step {
            Step::Create | Step::Recreate | Step::Replace { .. } => {
                tool(
                    opts,
                    "create",
                    &[
                        ("create").as_ref(),
                        tmp.as_os_str(),
                        opts.schema.as_os_str(),
                    ],
                    deadline,
                )?;
                current = tmp.to_path_buf();
            }
            Step::Cut { keep, .. } => {
                copy_prefix(db, tmp, *keep).map_err(write_err(tmp))?;
                current = tmp.to_path_buf();
            }
            // Kept as it is.
            Step::ShorterThanServed { .. } => {}
            Step::Convert { .. } => {
                let out = if current == tmp { tmp2 } else { tmp };
                tool(
                    opts,
                    "convert",
                    &[
                        "convert".as_ref(),
                        current.as_os_str(),
                        opts.schema.as_os_str(),
                        out.as_os_str(),
                    ],
                    deadline,
                )?;
                current = out.to_path_buf();
            }
        }
    }
    Ok(current)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(v: &str) -> SchemaId {
        SchemaId {
            name: "OVN_Northbound".into(),
            version: v.into(),
        }
    }

    fn found(v: Verdict, schema: Option<&str>) -> Inspection {
        Inspection {
            verdict: v,
            size: 1000,
            schema: schema.map(id),
        }
    }

    #[test]
    fn plans() {
        let db = Path::new("/srv/ovn/nb.db");
        let inst = id("7.0.0");
        let kp = Policy::KeepPrefix;
        assert_eq!(
            plan(
                db,
                &found(
                    Verdict::Clean {
                        records: 3,
                        bytes: 1000
                    },
                    Some("7.0.0")
                ),
                &inst,
                kp,
                Compared::Unknown,
                None
            )
            .unwrap(),
            vec![]
        );
        assert_eq!(
            plan(
                db,
                &found(Verdict::Missing, None),
                &inst,
                Policy::Refuse,
                Compared::Unknown,
                None
            )
            .unwrap(),
            vec![Step::Create]
        );
        assert_eq!(
            plan(
                db,
                &found(Verdict::Empty, None),
                &inst,
                kp,
                Compared::Unknown,
                None
            )
            .unwrap(),
            vec![Step::Recreate]
        );
        let torn = found(
            Verdict::TornTail {
                records: 2,
                offset: 600,
            },
            Some("6.3.0"),
        );
        assert_eq!(
            plan(db, &torn, &inst, kp, Compared::Unknown, None).unwrap(),
            vec![
                Step::Cut {
                    keep: 600,
                    records: 2,
                    dropped: 400
                },
                Step::Convert {
                    from: "6.3.0".into(),
                    to: "7.0.0".into()
                }
            ]
        );
        assert!(matches!(
            plan(db, &torn, &inst, Policy::Refuse, Compared::Unknown, None),
            Err(Error::Refused { .. })
        ));
        assert!(matches!(
            plan(
                db,
                &found(Verdict::Clustered, None),
                &inst,
                kp,
                Compared::Unknown,
                None
            ),
            Err(Error::Clustered { .. })
        ));
        let mut other = found(
            Verdict::Clean {
                records: 1,
                bytes: 1000,
            },
            Some("7.0.0"),
        );
        other.schema.as_mut().unwrap().name = "OVN_Southbound".into();
        assert!(matches!(
            plan(db, &other, &inst, kp, Compared::Unknown, None),
            Err(Error::WrongSchema { .. })
        ));
        // A newer schema than installed is served as it is.
        assert_eq!(
            plan(
                db,
                &found(
                    Verdict::Clean {
                        records: 1,
                        bytes: 1000
                    },
                    Some("7.1.0")
                ),
                &inst,
                kp,
                Compared::Unknown,
                None
            )
            .unwrap(),
            vec![]
        );
    }

    #[test]
    fn outcome_words() {
        assert_eq!(outcome_word(&[]), "clean");
        assert_eq!(
            outcome_word(&[
                Step::Cut {
                    keep: 1,
                    records: 1,
                    dropped: 1
                },
                Step::Convert {
                    from: "1".into(),
                    to: "2".into()
                }
            ]),
            "cut+converted"
        );
    }

    #[test]
    fn backup_is_byte_exact_and_prune_keeps_newest() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("nb.db");
        let bytes: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&src, &bytes).unwrap();
        let dir = d.path().join("backups");
        for i in 0..5 {
            let (p, _) = backup(&src, &dir, &format!("nb.db.2026010{i}.bak")).unwrap();
            assert_eq!(std::fs::read(p).unwrap(), bytes);
        }
        prune(&dir, "nb.db.", ".bak", 2);
        let mut left: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        assert_eq!(left, vec!["nb.db.20260103.bak", "nb.db.20260104.bak"]);
    }

    fn at(ino: u64, size: u64) -> Served {
        Served { dev: 1, ino, size }
    }

    #[test]
    fn comparing_with_what_served() {
        use Compared::*;
        assert_eq!(compare_served(None, Some(&at(1, 5))), Unknown);
        assert_eq!(compare_served(Some(&at(1, 5)), None), Unknown);
        assert_eq!(compare_served(Some(&at(1, 5)), Some(&at(1, 5))), AsServed);
        assert_eq!(compare_served(Some(&at(1, 5)), Some(&at(1, 9))), AsServed);
        assert_eq!(
            compare_served(Some(&at(1, 5)), Some(&at(1, 4))),
            Shorter {
                served: 5,
                found: 4
            }
        );
        // Another inode, smaller: a compaction renamed it in; not a loss.
        assert_eq!(
            compare_served(Some(&at(1, 5)), Some(&at(2, 1))),
            Replaced {
                served: 5,
                found: 1
            }
        );
        // The same inode through another device (another node's mount) is the same file.
        let elsewhere = Served { dev: 9, ..at(1, 4) };
        assert!(matches!(
            compare_served(Some(&at(1, 5)), Some(&elsewhere)),
            Shorter { .. }
        ));
    }

    #[test]
    fn a_clean_file_shorter_than_served_is_a_loss() {
        let db = Path::new("/srv/ovn/nb.db");
        let inst = id("7.0.0");
        let clean = |v: &str| {
            found(
                Verdict::Clean {
                    records: 1,
                    bytes: 1000,
                },
                Some(v),
            )
        };
        let shorter = Compared::Shorter {
            served: 5000,
            found: 1000,
        };
        let steps = plan(
            db,
            &clean("7.0.0"),
            &inst,
            Policy::KeepPrefix,
            shorter,
            None,
        )
        .unwrap();
        let loss = Step::ShorterThanServed {
            served: 5000,
            found: 1000,
        };
        assert_eq!(steps, vec![loss.clone()]);
        assert_eq!(outcome_word(&steps), "shorter-than-served");
        // refuse changes nothing, and this changes nothing in the file: not refused.
        assert_eq!(
            plan(db, &clean("7.0.0"), &inst, Policy::Refuse, shorter, None).unwrap(),
            vec![loss.clone()]
        );
        // Older schema too: both.
        let both = plan(
            db,
            &clean("6.0.0"),
            &inst,
            Policy::KeepPrefix,
            shorter,
            None,
        )
        .unwrap();
        assert_eq!(outcome_word(&both), "shorter-than-served+converted");
        // A damaged file is cut, a loss already; the comparison adds nothing.
        let torn = found(
            Verdict::TornTail {
                records: 1,
                offset: 600,
            },
            Some("7.0.0"),
        );
        assert_eq!(
            outcome_word(&plan(db, &torn, &inst, Policy::KeepPrefix, shorter, None).unwrap()),
            "cut"
        );
        // Compacted, or as served: nothing to do.
        for c in [
            Compared::AsServed,
            Compared::Replaced {
                served: 5000,
                found: 10,
            },
        ] {
            assert_eq!(
                plan(db, &clean("7.0.0"), &inst, Policy::KeepPrefix, c, None).unwrap(),
                vec![]
            );
        }
        let mut report = Report {
            time: "T".into(),
            db_file: db.display().to_string(),
            size: 1000,
            found: clean("7.0.0").verdict,
            schema: None,
            installed_schema: inst,
            policy: Policy::KeepPrefix,
            steps: vec![loss],
            outcome: "shorter-than-served".into(),
            backup: None,
            backup_sha1: None,
            report: None,
            dry_run: false,
            new_database: false,
            served: Some(at(1, 5000)),
        };
        assert!(report.changed() && report.lost_data());
        assert_eq!(
            report.summary(),
            "shorter-than-served T served=5000 bytes, found=1000 bytes"
        );
        report.steps.clear();
        assert!(!report.changed() && !report.lost_data());
    }

    #[test]
    fn a_run_backs_up_and_keeps_a_file_shorter_than_served() {
        let d = tempfile::tempdir().unwrap();
        let schema = d.path().join("s.ovsschema");
        std::fs::write(&schema, br#"{"name":"S","version":"1.0.0","tables":{}}"#).unwrap();
        let db = d.path().join("s.db");
        let first = dbfile::encode_record(br#"{"name":"S","version":"1.0.0","tables":{}}"#);
        let mut bytes = first.clone();
        for i in 0..3 {
            bytes.extend(dbfile::encode_record(
                format!(r#"{{"T":{{"{i}":{{}}}}}}"#).as_bytes(),
            ));
        }
        std::fs::write(&db, &bytes).unwrap();
        let served = Served::of(&db);
        let opts = Options {
            db_file: db.clone(),
            schema,
            backup_dir: d.path().join("b"),
            backup_keep: 10,
            policy: Policy::KeepPrefix,
            ovsdb_tool: "/nonexistent/ovsdb-tool".into(),
            dry_run: false,
            served,
            stale: None,
        };
        let dl = Deadline::after(std::time::Duration::from_secs(30));
        assert_eq!(run(&opts, dl).unwrap().outcome, "clean");
        // Truncated to its schema record, in place (the same inode).
        std::fs::OpenOptions::new()
            .write(true)
            .open(&db)
            .unwrap()
            .set_len(first.len() as u64)
            .unwrap();
        let dry = run(
            &Options {
                dry_run: true,
                ..opts.clone()
            },
            dl,
        )
        .unwrap();
        assert_eq!(dry.outcome, "shorter-than-served");
        assert!(dry.backup.is_none());
        let r = run(&opts, dl).unwrap();
        assert_eq!(r.outcome, "shorter-than-served");
        assert_eq!(
            r.steps,
            vec![Step::ShorterThanServed {
                served: bytes.len() as u64,
                found: first.len() as u64
            }]
        );
        assert!(r.lost_data() && r.changed() && !r.new_database);
        assert_eq!(r.served, served);
        assert_eq!(std::fs::read(r.backup.as_ref().unwrap()).unwrap(), first);
        assert_eq!(std::fs::read(&db).unwrap(), first, "kept as it is");
        assert_eq!(Served::of(&db).unwrap().ino, served.unwrap().ino);
        let json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(r.report.as_ref().unwrap()).unwrap()).unwrap();
        assert_eq!(json["outcome"], "shorter-than-served");
        assert_eq!(json["served"]["size"], bytes.len() as u64);
        assert_eq!(json["size"], first.len() as u64);
        // The same bytes renamed in (a compaction's new inode): another file, clean.
        let tmp = d.path().join("s.db.new");
        std::fs::write(&tmp, &first).unwrap();
        std::fs::rename(&tmp, &db).unwrap();
        assert_eq!(run(&opts, dl).unwrap().outcome, "clean");
        // Nothing known: as before.
        let r = run(
            &Options {
                served: None,
                ..opts.clone()
            },
            dl,
        )
        .unwrap();
        assert_eq!(r.outcome, "clean");
        // Missing: what served says it is a loss even with no earlier report.
        let fresh = Options {
            backup_dir: d.path().join("none"),
            db_file: d.path().join("gone.db"),
            dry_run: true,
            ..opts.clone()
        };
        let r = run(&fresh, dl).unwrap();
        assert!(!r.new_database && r.lost_data(), "{}", r.outcome);
        assert_eq!(r.outcome, "created");
        let r = run(
            &Options {
                served: None,
                ..fresh
            },
            dl,
        )
        .unwrap();
        assert!(r.new_database && !r.lost_data());
    }

    #[test]
    fn a_stale_file_is_replaced_whatever_it_holds() {
        let db = Path::new("/var/lib/ovn/nb.db");
        let inst = id("7.0.0");
        let text = "generation 3@node1, the cluster's is 4@node2";
        let why = Some(text);
        let clean = found(
            Verdict::Clean {
                records: 3,
                bytes: 1000,
            },
            Some("7.0.0"),
        );
        for policy in [Policy::KeepPrefix, Policy::Refuse] {
            let steps = plan(db, &clean, &inst, policy, Compared::AsServed, why).unwrap();
            assert_eq!(steps, vec![Step::Replace { why: text.into() }]);
            assert_eq!(outcome_word(&steps), "replaced");
        }
        let torn = found(
            Verdict::TornTail {
                records: 2,
                offset: 600,
            },
            Some("6.3.0"),
        );
        assert!(matches!(
            plan(db, &torn, &inst, Policy::Refuse, Compared::Unknown, why).unwrap()[..],
            [Step::Replace { .. }]
        ));
        assert_eq!(
            plan(
                db,
                &found(Verdict::Missing, None),
                &inst,
                Policy::KeepPrefix,
                Compared::Unknown,
                why
            )
            .unwrap(),
            vec![Step::Create]
        );
    }

    /// A stale file goes byte-exact into the backup directory and a new one from the
    /// schema takes its place (the real ovsdb-tool); a missing one owes the rebuild too,
    /// even on a node that never served (no report, nothing served).
    #[test]
    fn a_run_backs_up_a_stale_file_and_creates_a_new_one() {
        let d = tempfile::tempdir().unwrap();
        let schema = PathBuf::from("/usr/share/ovn/ovn-nb.ovsschema");
        let db = d.path().join("nb.db");
        let tool = |args: &[&str]| {
            let st = std::process::Command::new("ovsdb-tool")
                .args(args)
                .status()
                .unwrap();
            assert!(st.success(), "ovsdb-tool {args:?}");
        };
        tool(&["create", db.to_str().unwrap(), schema.to_str().unwrap()]);
        tool(&[
            "transact",
            db.to_str().unwrap(),
            r#"["OVN_Northbound",{"op":"insert","table":"Logical_Switch","row":{"name":"old"}}]"#,
        ]);
        let before = std::fs::read(&db).unwrap();
        let opts = Options {
            db_file: db.clone(),
            schema,
            backup_dir: d.path().join("b"),
            backup_keep: 10,
            policy: Policy::Refuse,
            ovsdb_tool: "ovsdb-tool".into(),
            dry_run: false,
            served: None,
            stale: Some("generation 1@node1, the cluster's is 2@node2".into()),
        };
        let dl = Deadline::after(std::time::Duration::from_secs(30));
        let r = run(&opts, dl).unwrap();
        assert_eq!(r.outcome, "replaced");
        assert!(r.lost_data() && r.changed() && !r.new_database);
        assert_eq!(std::fs::read(r.backup.as_ref().unwrap()).unwrap(), before);
        let after = dbfile::inspect(&db, None).unwrap();
        assert!(
            matches!(after.verdict, Verdict::Clean { records: 1, .. }),
            "{after:?}"
        );
        std::fs::remove_file(&db).unwrap();
        let r = run(
            &Options {
                backup_dir: d.path().join("none"),
                ..opts
            },
            dl,
        )
        .unwrap();
        assert_eq!(r.outcome, "created");
        assert!(!r.new_database && r.lost_data());
    }
}

//! What the repair pipeline left in a backup dir for one database: its reports
//! (`<db file name>.<stamp>.report.json`) and backups (`<db file name>.<stamp>.bak`),
//! newest last, and the fields of a report an operator needs first.
//!
//! Read only: never writes, prunes or restores anything (`repair` owns those files).

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The files of one database in its backup dir, each list sorted oldest first (stamps
/// sort by time).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct History {
    pub reports: Vec<PathBuf>,
    pub backups: Vec<PathBuf>,
}

/// `20261124T083000.123Z`: the stamp `repair::utc_stamp` writes.
fn is_stamp(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 20
        && b[8] == b'T'
        && b[15] == b'.'
        && b[19] == b'Z'
        && b.iter()
            .enumerate()
            .all(|(i, c)| matches!(i, 8 | 15 | 19) || c.is_ascii_digit())
}

/// The stamp of `name` if it is `<db_name>.<stamp><suffix>`: exact, so that the files of
/// `a.db` are not those of `a.db.old`.
fn stamp_of<'a>(name: &'a str, db_name: &str, suffix: &str) -> Option<&'a str> {
    let stamp = name
        .strip_prefix(db_name)?
        .strip_prefix('.')?
        .strip_suffix(suffix)?;
    is_stamp(stamp).then_some(stamp)
}

/// Lists the reports and backups of `db_file` in `backup_dir` (empty if it cannot be read).
pub fn list(backup_dir: &Path, db_file: &Path) -> History {
    let mut h = History::default();
    let Some(db_name) = db_file.file_name().and_then(|n| n.to_str()) else {
        return h;
    };
    let Ok(rd) = std::fs::read_dir(backup_dir) else {
        return h;
    };
    let mut names: Vec<String> = rd
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for n in names {
        if stamp_of(&n, db_name, ".report.json").is_some() {
            h.reports.push(backup_dir.join(&n));
        } else if stamp_of(&n, db_name, ".bak").is_some() {
            h.backups.push(backup_dir.join(&n));
        }
    }
    h
}

/// The fields of a report (`repair::Report`) that say what happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// The run's stamp, `20261124T083000.123Z`.
    pub time: String,
    /// `clean`, `cut`, `created`, `converted`, `cut+converted`, ...
    pub outcome: String,
    /// What the run found: `clean`, `torn-tail`, `corrupt`, `missing`, ...
    pub found: Option<String>,
    /// The byte-exact copy of the file before the run changed it.
    pub backup: Option<String>,
    pub backup_sha1: Option<String>,
    /// This report.
    pub report: PathBuf,
}

#[derive(Deserialize)]
struct Found {
    kind: Option<String>,
}

#[derive(Deserialize)]
struct Raw {
    time: String,
    outcome: String,
    #[serde(default)]
    found: Option<Found>,
    #[serde(default)]
    backup: Option<String>,
    #[serde(default)]
    backup_sha1: Option<String>,
    #[serde(default)]
    dry_run: bool,
}

/// Reads one report; None if it is unreadable, not a report, or a dry run's.
pub fn read(report: &Path) -> Option<Summary> {
    let bytes = std::fs::read(report).ok()?;
    let raw: Raw = serde_json::from_slice(&bytes).ok()?;
    if raw.dry_run {
        return None;
    }
    Some(Summary {
        time: raw.time,
        outcome: raw.outcome,
        found: raw.found.and_then(|f| f.kind),
        backup: raw.backup,
        backup_sha1: raw.backup_sha1,
        report: report.to_path_buf(),
    })
}

impl History {
    /// The newest readable report: the last run of the pipeline (often `clean`).
    pub fn last_run(&self) -> Option<Summary> {
        self.reports.iter().rev().find_map(|p| read(p))
    }

    /// The newest readable report of a run that changed the file.
    pub fn last_change(&self) -> Option<Summary> {
        self.reports
            .iter()
            .rev()
            .filter_map(|p| read(p))
            .find(|s| s.outcome != "clean")
    }
}

/// A stamp as seconds since the epoch (UTC), for its age; None if it is not one.
pub fn stamp_epoch(stamp: &str) -> Option<u64> {
    if !is_stamp(stamp) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| stamp[r].parse::<i64>().ok();
    let (y, m, d) = (n(0..4)?, n(4..6)?, n(6..8)?);
    let (hh, mm, ss) = (n(9..11)?, n(11..13)?, n(13..15)?);
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || hh > 23 || mm > 59 || ss > 60 {
        return None;
    }
    // Days from the civil date (H. Hinnant's algorithm), as repair::utc_stamp inverts.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    u64::try_from(days * 86_400 + hh * 3600 + mm * 60 + ss).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(dir: &Path, name: &str, body: &str) {
        std::fs::write(dir.join(name), body).unwrap();
    }

    fn report(time: &str, outcome: &str, backup: Option<&str>) -> String {
        serde_json::json!({
            "time": time, "db_file": "/srv/ovn/ovnnb_db.db", "size": 10,
            "found": {"kind": if outcome == "clean" { "clean" } else { "torn-tail" }},
            "outcome": outcome, "backup": backup, "backup_sha1": backup.map(|_| "ab"),
            "steps": [], "dry_run": false,
        })
        .to_string()
    }

    #[test]
    fn lists_only_this_databases_files_and_finds_the_last_run_and_change() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path();
        let (t1, t2, t3) = (
            "20261124T083000.123Z",
            "20261124T093000.000Z",
            "20261125T000000.001Z",
        );
        touch(p, &format!("ovnnb_db.db.{t1}.bak"), "x");
        touch(
            p,
            &format!("ovnnb_db.db.{t1}.report.json"),
            &report(t1, "cut", Some("/b/1.bak")),
        );
        touch(
            p,
            &format!("ovnnb_db.db.{t2}.report.json"),
            &report(t2, "clean", None),
        );
        touch(p, &format!("ovnnb_db.db.{t3}.report.json"), "{garbage");
        // Not this database's, or not the pipeline's.
        touch(p, &format!("ovnnb_db.db.old.{t1}.bak"), "x");
        touch(p, &format!("ovnsb_db.db.{t1}.bak"), "x");
        touch(p, "ovnnb_db.db.20261124T0830.bak", "x");
        touch(p, &format!("ovnnb_db.db.{t1}.bak.tmp"), "x");
        let h = list(p, Path::new("/srv/ovn/ovnnb_db.db"));
        assert_eq!(h.backups, [p.join(format!("ovnnb_db.db.{t1}.bak"))]);
        assert_eq!(h.reports.len(), 3);
        let last = h.last_run().unwrap();
        assert_eq!((last.time.as_str(), last.outcome.as_str()), (t2, "clean"));
        let change = h.last_change().unwrap();
        assert_eq!(change.outcome, "cut");
        assert_eq!(change.found.as_deref(), Some("torn-tail"));
        assert_eq!(change.backup.as_deref(), Some("/b/1.bak"));
        assert_eq!(
            change.report,
            p.join(format!("ovnnb_db.db.{t1}.report.json"))
        );
        assert_eq!(
            list(&p.join("none"), Path::new("/x.db")),
            History::default()
        );
        assert_eq!(list(p, Path::new("/")), History::default());
    }

    #[test]
    fn stamps() {
        assert_eq!(stamp_epoch("19700101T000000.000Z"), Some(0));
        assert_eq!(stamp_epoch("20000301T000000.999Z"), Some(951_868_800));
        let now = std::time::SystemTime::now();
        let s = crate::ocf::time::utc_stamp(now);
        let secs = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        assert_eq!(stamp_epoch(&s), Some(secs), "{s}");
        for bad in [
            "",
            "20261324T000000.000Z",
            "2026-11-24T00:00:00Z",
            "20261124T000000.000",
        ] {
            assert_eq!(stamp_epoch(bad), None, "{bad}");
        }
    }
}

//! The database's storage while it serves. Every monitor that finds the server serving
//! (depth 0 too) measures the free space of db_file's filesystem: one statvfs of its
//! directory and one stat of the file, no child process. Low (less than the file's size,
//! what a compaction writes beside it, plus `storage_low_mb`): ovsdb-server is asked to
//! compact (`ovsdb-server/compact`, bounded by the monitor's deadline, at most once every
//! [`COMPACT_EVERY`]), and while it stays low the node attribute `ovn-ocf-<db>-storage`
//! says so. Full (less than [`FULL_BELOW`]): ovsdb-server refuses writes; the monitor
//! answers OCF_DEGRADED (190, 191 promoted), which Pacemaker treats as running — no
//! restart and no failover to a node that mounts the same full storage — and lists as a
//! failed action with the reason.
//!
//! What ovsdb-server 3.1 does on ENOSPC (seen here, and in its ovsdb/log.c): the
//! transaction's reply carries `{"error": "I/O error", "io-error": "No space left on
//! device"}` and it is not committed; the partly written record is truncated at once;
//! reads go on; the next write after space came back succeeds. A compaction that does not
//! fit fails with an error reply and removes its temporary file.
//!
//! The pure part (measuring, levels, the rules, the attribute's words) is public for
//! `ovn-ocf status`.

use std::path::Path;
use std::time::{Duration, SystemTime};

use ovn_ocf::jsonrpc;
use ovn_ocf::ocf::time::utc_stamp;
use ovn_ocf::ovsdb::Unixctl;
use ovn_ocf::state::{Compaction, CompactionOutcome, State};

use super::Server;

pub const MIB: u64 = 1 << 20;

/// Below this much free space the storage is full: a transaction's record (a few KiB to
/// a few MiB for northd's) no longer fits, writes fail.
pub const FULL_BELOW: u64 = MIB;

/// At most one compaction asked in this interval.
pub const COMPACT_EVERY: Duration = Duration::from_secs(300);

/// Less time than this left in the monitor: no compaction is asked (the next monitor
/// does it).
const COMPACT_NEEDS: Duration = Duration::from_secs(1);

/// What the storage holds, in bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Space {
    /// Free on the filesystem, as root (ovsdb-server) can use it: ext4's reserved blocks
    /// included.
    pub free: u64,
    /// The filesystem's size.
    pub total: u64,
    /// The database file's size.
    pub file: u64,
}

/// One statvfs of `db_file`'s directory and one stat of the file.
pub fn measure(db_file: &Path) -> Result<Space, String> {
    let dir = db_file.parent().unwrap_or(Path::new("/"));
    let st =
        nix::sys::statvfs::statvfs(dir).map_err(|e| format!("statvfs {}: {e}", dir.display()))?;
    let frag = st.fragment_size() as u64;
    let file = std::fs::metadata(db_file)
        .map(|m| m.len())
        .map_err(|e| format!("{}: {e}", db_file.display()))?;
    Ok(Space {
        free: (st.blocks_free() as u64).saturating_mul(frag),
        total: (st.blocks() as u64).saturating_mul(frag),
        file,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Ok,
    Low,
    Full,
}

impl Level {
    pub fn word(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Low => "low",
            Level::Full => "full",
        }
    }

    /// The level an attribute value names (none: ok).
    fn of_attribute(text: Option<&str>) -> Level {
        match text {
            None => Level::Ok,
            Some(t) if t.starts_with("full") => Level::Full,
            Some(_) => Level::Low,
        }
    }
}

/// Free space below this is low: room for a compaction (a new file of the live data,
/// at most the file's size) plus the margin.
pub fn low_below(s: Space, margin: u64) -> u64 {
    s.file.saturating_add(margin)
}

pub fn level(s: Space, margin: u64) -> Level {
    if s.free < FULL_BELOW {
        Level::Full
    } else if s.free < low_below(s, margin) {
        Level::Low
    } else {
        Level::Ok
    }
}

/// Whether a compaction may be asked now (`now_ms`, the file `file` bytes): none asked
/// yet; or [`COMPACT_EVERY`] passed since the last, and the last did not work (failed,
/// no answer) or the file has grown by a tenth (1 MiB at least) since it did: only
/// garbage written since then can be freed.
pub fn compaction_due(last: Option<&Compaction>, now_ms: u64, file: u64) -> bool {
    let Some(c) = last else {
        return true;
    };
    if now_ms < c.at_ms {
        // The clock went back: the interval cannot be told; do not wait for it.
        return true;
    }
    if Duration::from_millis(now_ms - c.at_ms) < COMPACT_EVERY {
        return false;
    }
    match c.outcome {
        CompactionOutcome::Done { file_after, .. } => {
            file >= file_after.saturating_add((file_after / 10).max(MIB))
        }
        CompactionOutcome::Failed { .. } | CompactionOutcome::Pending => true,
    }
}

/// `12.3 MiB`, `1.5 GiB`; `768 KiB` below 1 MiB.
pub fn human(bytes: u64) -> String {
    let b = bytes as f64;
    if bytes < MIB {
        format!("{} KiB", bytes.div_ceil(1024))
    } else if bytes < 10 << 30 {
        format!("{:.1} MiB", b / MIB as f64)
    } else {
        format!("{:.1} GiB", b / (1u64 << 30) as f64)
    }
}

/// The last compaction in a few words.
pub fn describe(c: &Compaction) -> String {
    match &c.outcome {
        CompactionOutcome::Done { file_after, .. } => format!(
            "compacted at {}: the file went from {} to {}",
            c.stamp,
            human(c.file_before),
            human(*file_after)
        ),
        CompactionOutcome::Failed { error } => {
            let short: String = error.chars().take(160).collect();
            format!("compaction at {} failed: {short}", c.stamp)
        }
        CompactionOutcome::Pending => format!("compaction asked at {}, no answer yet", c.stamp),
    }
}

/// The node attribute's value: none when there is room. `free` is the (steadied) free
/// space to name.
pub fn attribute(level: Level, free: u64, last: Option<&Compaction>) -> Option<String> {
    let head = match level {
        Level::Ok => return None,
        Level::Low => format!("low: {} free", human(free)),
        Level::Full => format!("full: writes fail, {} free", human(free)),
    };
    Some(match last {
        Some(c) => format!("{head}; {}", describe(c)),
        None => head,
    })
}

/// The free space the attribute names: the one it named before while the level stays
/// and the space moved by less than a tenth (1 MiB at least), so that the attribute is
/// not rewritten at every monitor as writes come and go.
pub fn steady_free(shown: u64, free: u64, same_level: bool) -> u64 {
    if same_level && shown.abs_diff(free) <= (shown / 10).max(MIB) {
        shown
    } else {
        free
    }
}

impl Server<'_> {
    /// The storage step of a monitor that found the server serving: measure, compact if
    /// low, say so (attribute on change, log). Updates `st` (the caller saves it).
    /// Returns the reason when the storage is full.
    pub(super) fn watch_storage(&self, st: &mut State) -> Option<String> {
        let db = &self.cfg.db_file;
        let attr = self.cfg.storage_attr();
        let margin = self.cfg.storage_low;
        let mut space = match measure(db) {
            Ok(s) => s,
            Err(why) => {
                log::warn!("cannot measure the storage of {}: {why}", db.display());
                return None;
            }
        };
        st.storage.margin = Some(margin);
        self.settle_pending(st, space);
        let mut lvl = level(space, margin);
        let shown = Level::of_attribute(st.attrs.get(&attr).map(String::as_str));
        if lvl == Level::Ok && shown == Level::Ok {
            // The usual case: room, nothing shown, nothing to do.
            return None;
        }
        let now = ovn_ocf::lease::now_ms();
        if lvl != Level::Ok && compaction_due(st.storage.compaction.as_ref(), now, space.file) {
            if self.cx.deadline.remaining() >= COMPACT_NEEDS {
                let c = self.compact(space, now);
                if let Ok(s) = measure(db) {
                    space = s;
                }
                lvl = level(space, margin);
                self.log_compaction(&c, space, lvl);
                st.storage.compaction = Some(c);
            } else {
                log::info!(
                    "storage of {} is {}, but too little of the monitor's time is left to compact; the next monitor will",
                    db.display(),
                    lvl.word()
                );
            }
        }
        let last = st.storage.compaction.clone();
        let last_words = last
            .as_ref()
            .map(|c| format!("; {}", describe(c)))
            .unwrap_or_default();
        match lvl {
            Level::Ok if shown != Level::Ok => log::info!(
                "storage of {} has room again: {} free, the file is {}",
                db.display(),
                human(space.free),
                human(space.file)
            ),
            Level::Low if shown != Level::Low => log::warn!(
                "storage of {} is low: {} free of {}, below the file's {} + storage_low_mb {} (what a compaction needs, and a margin){}",
                db.display(),
                human(space.free),
                human(space.total),
                human(space.file),
                human(margin),
                last_words
            ),
            _ => {}
        }
        st.storage.shown_free = match lvl {
            Level::Ok => 0,
            _ => steady_free(st.storage.shown_free, space.free, lvl == shown),
        };
        let text = attribute(lvl, st.storage.shown_free, last.as_ref());
        let score = st.score;
        self.inst.publish(st, score, &[(&attr, text.as_deref())]);
        (lvl == Level::Full).then(|| {
            format!(
                "storage of {} is full: {} free of {} (the file is {}): ovsdb-server refuses writes (I/O error: No space left on device) and keeps serving reads{}; make room there or grow it (failing over cannot help: the other node mounts the same storage)",
                db.display(),
                human(space.free),
                human(space.total),
                human(space.file),
                last_words
            )
        })
    }

    /// A compaction that had not answered by the end of its monitor: done once the file
    /// is smaller than it was.
    fn settle_pending(&self, st: &mut State, space: Space) {
        let Some(c) = st.storage.compaction.as_mut() else {
            return;
        };
        if c.outcome == CompactionOutcome::Pending && space.file < c.file_before {
            c.outcome = CompactionOutcome::Done {
                file_after: space.file,
                free_after: space.free,
            };
            log::info!(
                "{} (finished after its monitor); {} free now",
                describe(c),
                human(space.free)
            );
        }
    }

    /// Asks ovsdb-server to compact the database and waits for its answer, up to most of
    /// what is left of the monitor's deadline. ovsdb-server compacts a standalone
    /// database in its main loop and answers when done; one that does not answer in time
    /// goes on compacting (the answer then goes nowhere).
    fn compact(&self, space: Space, now_ms: u64) -> Compaction {
        let db = &self.cfg.db_file;
        log::warn!(
            "storage of {} is {}: {} free, the file is {}: asking ovsdb-server to compact it",
            db.display(),
            level(space, self.cfg.storage_low).word(),
            human(space.free),
            human(space.file)
        );
        let dl = self.cx.deadline.share(0.8);
        let asked = Unixctl::connect(&self.cfg.ctl(), dl).and_then(|mut ctl| {
            ctl.command("ovsdb-server/compact", &[self.cfg.db.schema_name()], dl)
        });
        let outcome = match asked {
            Ok(_) => {
                let after = measure(db).unwrap_or(space);
                CompactionOutcome::Done {
                    file_after: after.file,
                    free_after: after.free,
                }
            }
            Err(e) if e.is_timeout() => CompactionOutcome::Pending,
            Err(jsonrpc::Error::Remote { error, .. }) => CompactionOutcome::Failed {
                error: error.trim().to_string(),
            },
            Err(e) => CompactionOutcome::Failed {
                error: e.to_string(),
            },
        };
        Compaction {
            at_ms: now_ms,
            stamp: utc_stamp(SystemTime::UNIX_EPOCH + Duration::from_millis(now_ms)),
            file_before: space.file,
            free_before: space.free,
            outcome,
        }
    }

    fn log_compaction(&self, c: &Compaction, now: Space, lvl: Level) {
        let db = self.cfg.db_file.display();
        match &c.outcome {
            CompactionOutcome::Done { .. } => {
                let freed = now.free.saturating_sub(c.free_before);
                let line = format!(
                    "{db}: {}, {} freed, {} free now",
                    describe(c),
                    human(freed),
                    human(now.free)
                );
                if lvl == Level::Ok {
                    log::info!("{line}");
                } else {
                    log::warn!("{line}; still {}", lvl.word());
                }
            }
            CompactionOutcome::Failed { error } => {
                log::warn!("ovsdb-server could not compact {db}: {error}")
            }
            CompactionOutcome::Pending => log::warn!(
                "ovsdb-server had not finished compacting {db} by the monitor's deadline; it goes on, the next monitor looks at the result"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: u64 = MIB;

    fn space(free: u64, file: u64) -> Space {
        Space {
            free,
            total: 256 * M,
            file,
        }
    }

    fn done(at_ms: u64, file_after: u64) -> Compaction {
        Compaction {
            at_ms,
            stamp: "20261130T000000.000Z".into(),
            file_before: 200 * M,
            free_before: 10 * M,
            outcome: CompactionOutcome::Done {
                file_after,
                free_after: 100 * M,
            },
        }
    }

    #[test]
    fn levels() {
        // The LUN: 256 MiB, the SB file at 233 MiB, default margin 64 MiB.
        assert_eq!(level(space(20 * M, 233 * M), 64 * M), Level::Low);
        assert_eq!(level(space(297 * M, 233 * M), 64 * M), Level::Ok);
        assert_eq!(level(space(297 * M - 1, 233 * M), 64 * M), Level::Low);
        assert_eq!(level(space(M, 233 * M), 64 * M), Level::Low);
        assert_eq!(level(space(M - 1, 233 * M), 64 * M), Level::Full);
        assert_eq!(level(space(0, 0), 0), Level::Full);
        // margin 0: low only below the file's size.
        assert_eq!(level(space(10 * M, 10 * M), 0), Level::Ok);
        assert_eq!(level(space(10 * M - 1, 10 * M), 0), Level::Low);
        // Full wins over a tiny file and no margin.
        assert_eq!(level(space(M / 2, 1000), 0), Level::Full);
        // No overflow at the ends.
        assert_eq!(level(space(u64::MAX, u64::MAX), u64::MAX), Level::Ok);
        assert_eq!(low_below(space(0, u64::MAX), 1 << 40), u64::MAX);
    }

    #[test]
    fn compaction_rules() {
        let t0 = 1_800_000_000_000;
        let every = COMPACT_EVERY.as_millis() as u64;
        assert!(compaction_due(None, t0, 0), "never asked");
        let c = done(t0, 20 * M);
        assert!(
            !compaction_due(Some(&c), t0 + every - 1, 200 * M),
            "too soon"
        );
        // After the interval: only once the file grew by a tenth (1 MiB at least).
        assert!(!compaction_due(Some(&c), t0 + every, 20 * M));
        assert!(!compaction_due(Some(&c), t0 + every, 22 * M - 1));
        assert!(compaction_due(Some(&c), t0 + every, 22 * M));
        let small = done(t0, 100_000);
        assert!(!compaction_due(Some(&small), t0 + every, 100_000 + M - 1));
        assert!(compaction_due(Some(&small), t0 + every, 100_000 + M));
        // A failed or unanswered one is retried after the interval, grown or not.
        for outcome in [
            CompactionOutcome::Failed {
                error: "No space left on device".into(),
            },
            CompactionOutcome::Pending,
        ] {
            let c = Compaction {
                outcome,
                ..c.clone()
            };
            assert!(!compaction_due(Some(&c), t0 + 1000, 0));
            assert!(compaction_due(Some(&c), t0 + every, 0));
        }
        assert!(compaction_due(Some(&c), t0 - 1, 0), "the clock went back");
    }

    #[test]
    fn attribute_words() {
        assert_eq!(attribute(Level::Ok, 5 * M, None), None);
        assert_eq!(
            attribute(Level::Low, 40 * M + M / 2, None).unwrap(),
            "low: 40.5 MiB free"
        );
        let c = done(0, 20 * M);
        assert_eq!(
            attribute(Level::Low, 9 * M, Some(&c)).unwrap(),
            "low: 9.0 MiB free; compacted at 20261130T000000.000Z: the file went from 200.0 MiB to 20.0 MiB"
        );
        let failed = Compaction {
            outcome: CompactionOutcome::Failed {
                error:
                    "I/O error: /srv/ovn/ovnsb_db.db.tmp: write failed (No space left on device)"
                        .into(),
            },
            ..c
        };
        assert_eq!(
            attribute(Level::Full, 0, Some(&failed)).unwrap(),
            "full: writes fail, 0 KiB free; compaction at 20261130T000000.000Z failed: I/O error: /srv/ovn/ovnsb_db.db.tmp: write failed (No space left on device)"
        );
        let long = Compaction {
            outcome: CompactionOutcome::Failed {
                error: "x".repeat(10_000),
            },
            ..failed
        };
        assert!(attribute(Level::Full, 0, Some(&long)).unwrap().len() < 300);
        assert_eq!(Level::of_attribute(None), Level::Ok);
        assert_eq!(Level::of_attribute(Some("low: 1.0 MiB free")), Level::Low);
        assert_eq!(Level::of_attribute(Some("full: writes fail")), Level::Full);
    }

    #[test]
    fn sizes_in_words() {
        assert_eq!(human(0), "0 KiB");
        assert_eq!(human(1), "1 KiB");
        assert_eq!(human(19_605), "20 KiB");
        assert_eq!(human(MIB), "1.0 MiB");
        assert_eq!(human(233 * MIB + MIB / 2), "233.5 MiB");
        assert_eq!(human(10 << 30), "10.0 GiB");
        assert_eq!(human(u64::MAX), "17179869184.0 GiB");
    }

    #[test]
    fn the_named_free_space_moves_only_by_a_tenth() {
        assert_eq!(steady_free(40 * M, 40 * M + M / 2, true), 40 * M);
        assert_eq!(steady_free(40 * M, 44 * M, true), 40 * M);
        assert_eq!(steady_free(40 * M, 44 * M + 1, true), 44 * M + 1);
        assert_eq!(steady_free(40 * M, 35 * M, true), 35 * M);
        assert_eq!(
            steady_free(100_000, 900_000, true),
            100_000,
            "1 MiB at least"
        );
        assert_eq!(
            steady_free(40 * M, 40 * M + 1, false),
            40 * M + 1,
            "a new level"
        );
        assert_eq!(steady_free(0, 3 * M, false), 3 * M);
    }

    #[test]
    fn measures_a_real_filesystem() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("x.db");
        std::fs::write(&f, vec![0u8; 5000]).unwrap();
        let s = measure(&f).unwrap();
        assert_eq!(s.file, 5000);
        assert!(s.total >= s.free && s.total > 0, "{s:?}");
        assert!(measure(&d.path().join("missing.db")).is_err());
        assert!(measure(Path::new("/nonexistent-dir/x.db")).is_err());
    }
}

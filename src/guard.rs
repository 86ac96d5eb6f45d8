//! The split-brain guard: an owner record beside the DB file (on the shared storage) names
//! the node serving it. A node refuses to serve a DB whose record names another node the
//! cluster still sees online. The record of a node the cluster lost is taken over if
//! Pacemaker fenced that node after it claimed the record, or if nobody renews it (the
//! record is a lease, see `lease`): a node cut off from the cluster whose ovsdb-server
//! still serves keeps renewing it, and then the DB is refused.
//!
//! Owns the owner record file only; never touches the DB file.

use std::path::Path;

use std::io::ErrorKind;

use crate::fsutil;
use crate::lease::{self, OwnerRecord, Released, Served, record_path};
use crate::ocf::Deadline;
use crate::pacemaker::Member;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(
        "storage for {db_file} is not there: directory {dir} does not exist (is the shared filesystem mounted on this node?)"
    )]
    StorageMissing { db_file: String, dir: String },
    #[error(
        "{db_file} is being served by node {owner}, which the cluster sees online (owner record {record}); refusing to serve it twice"
    )]
    HeldBy {
        db_file: String,
        owner: String,
        record: String,
    },
    #[error(
        "{db_file} is owned by node {owner} (record {record}) and cluster membership is unknown ({detail}); remove the record once {owner} is known to be down"
    )]
    MembershipUnknown {
        db_file: String,
        owner: String,
        record: String,
        detail: String,
    },
    // Pacemaker keeps the first 128 bytes of an exit reason: what to do comes first.
    #[error(
        "node {owner} still serves {db_file} (lease renewed within {watched_ms} ms, cluster lost {owner}): fence it, then clean up; record {record}"
    )]
    Alive {
        db_file: String,
        owner: String,
        record: String,
        watched_ms: u128,
    },
    #[error("owner record {record}: {detail}")]
    Lease { record: String, detail: String },
    #[error("owner record {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

/// Refusals are generic failures: the database may be served elsewhere, or here once the
/// storage is mounted or the other node is fenced. A record this node may not write is
/// OCF_ERR_PERM.
impl crate::ocf::OcfError for Error {
    fn ocf_status(&self) -> crate::ocf::OcfStatus {
        match self {
            Error::Io { source, .. } => crate::ocf::io_status(source),
            _ => crate::ocf::OcfStatus::ErrGeneric,
        }
    }
}

/// What to do about an existing record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// No record, or ours: take it.
    Take,
    /// A record of a node the cluster does not see online: take it over.
    TakeOver { from: String },
    /// Another node that is online holds it.
    Refuse { owner: String },
    /// Another node holds it and membership could not be read.
    Unknown { owner: String },
}

/// Pure decision; exact node-name matching (node1 is not node10).
pub fn decide(record: Option<&OwnerRecord>, me: &str, members: Option<&[Member]>) -> Decision {
    let Some(rec) = record else {
        return Decision::Take;
    };
    if rec.node == me {
        return Decision::Take;
    }
    match members {
        None => Decision::Unknown {
            owner: rec.node.clone(),
        },
        Some(m) if m.iter().any(|x| x.name == rec.node && x.online) => Decision::Refuse {
            owner: rec.node.clone(),
        },
        Some(_) => Decision::TakeOver {
            from: rec.node.clone(),
        },
    }
}

pub fn read(db_file: &Path) -> Result<Option<OwnerRecord>, Error> {
    let path = record_path(db_file);
    match lease::read_block(&path).and_then(|b| b.ok_or(ErrorKind::NotFound.into())) {
        Ok(b) => Ok(lease::decode(&b).or_else(|| {
            log::warn!(
                "owner record {} is unreadable; treating it as absent",
                path.display()
            );
            None
        })),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// What `claim` did: how it took the record, and what it learned of the file's last serve
/// (the record it replaced, or what a clean stop left), for the repair to compare with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claimed {
    pub decision: Decision,
    pub served: Option<Served>,
}

/// What `claim` may ask about the cluster, asked only when another node's record is found.
pub struct Probe<M, F> {
    /// The membership (`crm_node -l`).
    pub members: M,
    /// When Pacemaker last fenced a node (seconds since the epoch), if ever.
    pub last_fenced: F,
    /// How long to watch a record for renewals.
    pub window: std::time::Duration,
    pub deadline: Deadline,
}

/// Checks the storage and the record, and writes our record with `token` (in place, so a
/// keeper of an earlier claim sees it replaced). Returns how the record was taken and what
/// served last: the replaced record's (ours or a lost node's), or, when there was none,
/// what a clean stop left (`.<file>.served`). The new record carries it on until its
/// keeper sees this claim's server serve.
pub fn claim<M, F>(
    db_file: &Path,
    me: &str,
    token: &str,
    probe: Probe<M, F>,
) -> Result<Claimed, Error>
where
    M: FnOnce() -> Result<Vec<Member>, String>,
    F: FnOnce(&str) -> Option<u64> + Send,
{
    let dir = db_file.parent().unwrap_or(Path::new("/"));
    if !dir.is_dir() {
        return Err(Error::StorageMissing {
            db_file: db_file.display().to_string(),
            dir: dir.display().to_string(),
        });
    }
    let path = record_path(db_file);
    let shown = path.display().to_string();
    let io = |source| Error::Io {
        path: shown.clone(),
        source,
    };
    let raw = lease::read_block(&path).map_err(io)?;
    let record = raw.as_deref().and_then(lease::decode);
    // A block that is there but does not parse is mid-write or damaged: someone's.
    let foreign = match (&raw, &record) {
        (None, _) => None,
        (Some(_), None) => Some("(unreadable record)".to_string()),
        (Some(_), Some(r)) if r.node != me => Some(r.node.clone()),
        _ => None,
    };
    // When Pacemaker last fenced the record's node (asked only for a record of another's).
    let mut fenced_at = None;
    let decision = match &foreign {
        None => Decision::Take,
        Some(owner) if record.is_none() => Decision::TakeOver {
            from: owner.clone(),
        },
        Some(_) => {
            // A takeover needs both answers, each a Pacemaker tool of its own: ask for
            // the owner's last fencing while the membership is read.
            let owner = record.as_ref().map_or("", |r| r.node.as_str());
            let (members, last_fenced) = (probe.members, probe.last_fenced);
            let (fenced, members) = crate::runner::beside(move || last_fenced(owner), members);
            fenced_at = fenced.flatten();
            let (members, detail) = match members {
                Ok(m) => (Some(m), String::new()),
                Err(e) => (None, e),
            };
            let d = decide(record.as_ref(), me, members.as_deref());
            if let Decision::Unknown { owner } = &d {
                return Err(Error::MembershipUnknown {
                    db_file: db_file.display().to_string(),
                    owner: owner.clone(),
                    record: shown,
                    detail,
                });
            }
            d
        }
    };
    match &decision {
        Decision::Refuse { owner } => {
            return Err(Error::HeldBy {
                db_file: db_file.display().to_string(),
                owner: owner.clone(),
                record: shown,
            });
        }
        Decision::TakeOver { from } => {
            let fenced = record
                .as_ref()
                .and_then(|r| fenced_at.filter(|t| *t >= r.since));
            if let Some(t) = fenced {
                log::warn!(
                    "taking over {} from node {from}: Pacemaker fenced it at {t} (epoch s), after it claimed the record",
                    db_file.display()
                );
            } else {
                let first = raw.as_deref().unwrap_or_default();
                log::info!(
                    "node {from} owns {} and the cluster lost it; watching its lease for {} ms",
                    db_file.display(),
                    probe.window.as_millis()
                );
                match lease::watch(&path, first, probe.window, probe.deadline) {
                    Ok(lease::Seen::Still) => log::warn!(
                        "taking over {} from node {from}: its lease was not renewed for {} ms",
                        db_file.display(),
                        probe.window.as_millis()
                    ),
                    Ok(lease::Seen::Changed { after }) => {
                        return Err(Error::Alive {
                            db_file: db_file.display().to_string(),
                            owner: from.clone(),
                            record: shown,
                            watched_ms: after.as_millis(),
                        });
                    }
                    Err(detail) => {
                        return Err(Error::Lease {
                            record: shown,
                            detail,
                        });
                    }
                }
            }
        }
        Decision::Take | Decision::Unknown { .. } => {}
    }
    // A record tells what served last (an unreadable one tells nothing); without one, what
    // a clean stop left.
    let served = match (&raw, &record) {
        (Some(_), r) => r.as_ref().and_then(|r| r.served),
        (None, _) => match lease::read_released(db_file) {
            Ok(r) => r.map(|r| r.served),
            Err(e) => {
                log::warn!(
                    "cannot read {}: {e}; what served last is unknown",
                    lease::released_path(db_file).display()
                );
                None
            }
        },
    };
    let rec = OwnerRecord {
        node: me.to_string(),
        db_file: db_file.display().to_string(),
        since: lease::now_ms() / 1000,
        token: token.to_string(),
        seq: 0,
        renewed_ms: lease::now_ms(),
        served,
        served_by_claim: false,
    };
    lease::store(&path, &rec).map_err(io)?;
    // Read back what the device holds: a taker that wrote at the same moment wins or we do.
    match lease::read_block(&path)
        .map_err(io)?
        .as_deref()
        .and_then(lease::decode)
    {
        Some(r) if r.node == me && r.token == token => Ok(Claimed { decision, served }),
        other => Err(Error::Lease {
            record: shown,
            detail: format!(
                "written, but it now names {}: another node claimed it at the same moment",
                other.map_or_else(|| "nothing readable".into(), |r| format!("node {}", r.node))
            ),
        }),
    }
}

/// What served last, at a release of `rec`: the file as it is now if this claim's server
/// served it (`served`, the caller's word, or its keeper saw it: its final size after the
/// keeper's last look; a compaction's new file), else what the claim inherited (a start
/// that failed before serving has not served the file it left, which may be the very one
/// that lost its tail). `now`: the file now.
pub fn served_at_release(rec: &OwnerRecord, served: bool, now: Option<Served>) -> Option<Served> {
    match (rec.served, now) {
        (_, Some(n)) if served || rec.served_by_claim => Some(n),
        (Some(s), _) => Some(s),
        // Nothing known: the file as it is (no worse than knowing nothing).
        (None, n) => n,
    }
}

/// Removes our record (and only ours), leaving what served last beside the database
/// (`.<file>.served`, see [`served_at_release`]) for the next start. `served`: an
/// ovsdb-server of this claim served the file (the caller ran it). Missing storage or
/// record is fine.
pub fn release(db_file: &Path, me: &str, served: bool) -> Result<(), Error> {
    match read(db_file) {
        Ok(Some(r)) if r.node == me => {
            let rel = served_at_release(&r, served, Served::of(db_file));
            // Before the record goes: a stop cut short between the two leaves both, and
            // the record (ours, carrying the same) wins. One that already says the same
            // is left as it is (a start that failed before serving writes nothing new).
            let kept = match rel {
                Some(served)
                    if lease::read_released(db_file)
                        .is_ok_and(|old| old.is_some_and(|o| o.served == served)) =>
                {
                    Ok(())
                }
                Some(served) => lease::store_released(
                    db_file,
                    &Released {
                        node: me.to_string(),
                        db_file: db_file.display().to_string(),
                        released_ms: lease::now_ms(),
                        served,
                    },
                ),
                None => lease::remove_released(db_file),
            };
            if let Err(e) = kept {
                // The stop goes on: what served is then unknown to the next start, as it
                // was before such files existed.
                log::warn!(
                    "cannot write {}: {e}; the next start cannot compare the file with what served",
                    lease::released_path(db_file).display()
                );
            }
            let path = record_path(db_file);
            fsutil::remove_durable(&path).map_err(|source| Error::Io {
                path: path.display().to_string(),
                source,
            })
        }
        Ok(_) => Ok(()),
        Err(Error::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(node: &str) -> OwnerRecord {
        OwnerRecord {
            node: node.into(),
            db_file: "/srv/ovn/nb.db".into(),
            since: 0,
            token: String::new(),
            seq: 0,
            renewed_ms: 0,
            served: None,
            served_by_claim: false,
        }
    }
    fn m(name: &str, online: bool) -> Member {
        Member {
            name: name.into(),
            online,
        }
    }

    #[test]
    fn decisions() {
        assert_eq!(decide(None, "node1", None), Decision::Take);
        assert_eq!(decide(Some(&rec("node1")), "node1", None), Decision::Take);
        let online = [m("node1", true), m("node2", true)];
        assert_eq!(
            decide(Some(&rec("node2")), "node1", Some(&online)),
            Decision::Refuse {
                owner: "node2".into()
            }
        );
        let lost = [m("node1", true), m("node2", false)];
        assert_eq!(
            decide(Some(&rec("node2")), "node1", Some(&lost)),
            Decision::TakeOver {
                from: "node2".into()
            }
        );
        assert_eq!(
            decide(Some(&rec("node2")), "node1", None),
            Decision::Unknown {
                owner: "node2".into()
            }
        );
    }

    #[test]
    fn regression_substring_node_names_do_not_match() {
        // ovndb-servers.ocf matched host names by substring: node1 "was" node10.
        let members = [m("node10", true), m("node1", false)];
        assert_eq!(
            decide(Some(&rec("node1")), "node2", Some(&members)),
            Decision::TakeOver {
                from: "node1".into()
            }
        );
    }

    type Members = Box<dyn FnOnce() -> Result<Vec<Member>, String>>;
    type Fenced = fn(&str) -> Option<u64>;

    fn probe(members: Result<Vec<Member>, String>, fenced: Fenced) -> Probe<Members, Fenced> {
        Probe {
            members: Box::new(move || members),
            last_fenced: fenced,
            window: std::time::Duration::from_millis(300),
            deadline: Deadline::after(std::time::Duration::from_secs(30)),
        }
    }
    fn never(_: &str) -> Option<u64> {
        None
    }

    #[test]
    fn claim_and_release_on_disk() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("ovnnb_db.db");
        let unasked = || probe(Err("membership must not be asked".into()), never);
        assert_eq!(
            claim(&db, "n1", "t1", unasked()).unwrap().decision,
            Decision::Take
        );
        let r = read(&db).unwrap().unwrap();
        assert_eq!((r.node.as_str(), r.token.as_str()), ("n1", "t1"));
        // Our own record: taken again with the new token (an old keeper then steps down).
        assert_eq!(
            claim(&db, "n1", "t2", unasked()).unwrap().decision,
            Decision::Take
        );
        assert_eq!(read(&db).unwrap().unwrap().token, "t2");
        let e = claim(&db, "n2", "u", probe(Ok(vec![m("n1", true)]), never)).unwrap_err();
        assert!(matches!(e, Error::HeldBy { .. }), "{e}");
        let e = claim(&db, "n2", "u", probe(Err("no cluster".into()), never)).unwrap_err();
        assert!(e.to_string().contains("no cluster"));
        release(&db, "n2", false).unwrap();
        assert!(
            read(&db).unwrap().is_some(),
            "n2 must not remove n1's record"
        );
        // n1 lost, nobody renews its record: taken over after the window.
        assert!(matches!(
            claim(&db, "n2", "u", probe(Ok(vec![m("n1", false)]), never))
                .unwrap()
                .decision,
            Decision::TakeOver { .. }
        ));
        assert_eq!(read(&db).unwrap().unwrap().node, "n2");
        release(&db, "n2", false).unwrap();
        assert!(read(&db).unwrap().is_none());
        let gone = d.path().join("nodir").join("x.db");
        assert!(matches!(
            claim(&gone, "n1", "t", unasked()).unwrap_err(),
            Error::StorageMissing { .. }
        ));
    }

    #[test]
    fn a_lost_node_that_renews_its_lease_keeps_the_db() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("ovnsb_db.db");
        claim(&db, "n1", "t1", probe(Err(String::new()), never)).unwrap();
        let path = record_path(&db);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (p, s) = (path.clone(), stop.clone());
        let renewer = std::thread::spawn(move || {
            while !s.load(std::sync::atomic::Ordering::Relaxed) {
                let mut r = lease::decode(&lease::read_block(&p).unwrap().unwrap()).unwrap();
                r.seq += 1;
                lease::store(&p, &r).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
        });
        let e = claim(&db, "n2", "u", probe(Ok(vec![m("n1", false)]), never)).unwrap_err();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        renewer.join().unwrap();
        assert!(matches!(e, Error::Alive { .. }), "{e}");
        assert!(e.to_string().contains("node n1 still serves"), "{e}");
        assert_eq!(read(&db).unwrap().unwrap().node, "n1", "record untouched");
        // Whether claim watches, told without a clock: a 60 s window with a deadline of
        // 1 s is refused at once as too long to watch, so only a claim that does not
        // watch can succeed with it.
        let unwatchable = |fenced: Fenced| {
            let mut p = probe(Ok(vec![m("n1", false)]), fenced);
            p.window = std::time::Duration::from_secs(60);
            p.deadline = Deadline::after(std::time::Duration::from_secs(1));
            p
        };
        // Fenced after its claim: taken over without watching.
        let since = read(&db).unwrap().unwrap().since;
        assert!(since < u64::MAX);
        assert!(matches!(
            claim(&db, "n2", "u", unwatchable(|_| Some(u64::MAX)))
                .unwrap()
                .decision,
            Decision::TakeOver { .. }
        ));
        // Fenced before it claimed (an old fence): the lease is watched first.
        let mut old = read(&db).unwrap().unwrap();
        old.node = "n1".into();
        old.since = 100;
        lease::store(&path, &old).unwrap();
        let e = claim(&db, "n2", "u", unwatchable(|_| Some(50))).unwrap_err();
        assert!(e.to_string().contains("too little to watch"), "{e}");
        assert!(matches!(
            claim(
                &db,
                "n2",
                "u",
                probe(Ok(vec![m("n1", false)]), |_| Some(50))
            )
            .unwrap()
            .decision,
            Decision::TakeOver { .. }
        ));
        // An unreadable record is someone's: watched, then taken over, never trusted.
        std::fs::write(&path, b"garbage").unwrap();
        assert!(matches!(
            claim(&db, "n2", "u", probe(Err("not asked".into()), never))
                .unwrap()
                .decision,
            Decision::TakeOver { .. }
        ));
        assert_eq!(read(&db).unwrap().unwrap().token, "u");
    }

    fn served(ino: u64, size: u64) -> Served {
        Served { dev: 7, ino, size }
    }

    #[test]
    fn what_served_at_a_release() {
        let mut r = rec("n1");
        let now = Some(served(2, 10));
        // Nothing known: the file as it is.
        assert_eq!(served_at_release(&r, false, now), now);
        assert_eq!(served_at_release(&r, false, None), None);
        // Inherited, never served by this claim (a start that failed before serving):
        // kept, also when the file is now shorter (it may be the one that lost its tail).
        r.served = Some(served(2, 99));
        assert_eq!(served_at_release(&r, false, now), Some(served(2, 99)));
        // Served by this claim (its keeper saw it, or the caller ran the server): the file
        // as it is now (its final size, a compaction's new inode, a shorter file the repair
        // accepted); a file gone keeps the last look.
        assert_eq!(served_at_release(&r, true, now), now);
        r.served_by_claim = true;
        assert_eq!(served_at_release(&r, false, now), now);
        assert_eq!(
            served_at_release(&r, false, Some(served(3, 1))),
            Some(served(3, 1))
        );
        assert_eq!(served_at_release(&r, true, None), Some(served(2, 99)));
    }

    #[test]
    fn what_served_goes_from_claim_to_release_to_the_next_claim() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("ovnnb_db.db");
        let unasked = || probe(Err("membership must not be asked".into()), never);
        assert_eq!(claim(&db, "n1", "t1", unasked()).unwrap().served, None);
        std::fs::write(&db, vec![b'x'; 100]).unwrap();
        // The keeper's look while the server serves (what lease::keep writes).
        let path = record_path(&db);
        let mut r = read(&db).unwrap().unwrap();
        r.served = lease::Served::of(&db);
        r.served_by_claim = true;
        lease::store(&path, &r).unwrap();
        // The server appends after the keeper's last look; a clean stop keeps the final size.
        std::fs::write(&db, vec![b'x'; 150]).unwrap();
        release(&db, "n1", false).unwrap();
        assert!(read(&db).unwrap().is_none(), "the record is gone");
        let rel = lease::read_released(&db).unwrap().unwrap();
        assert_eq!((rel.node.as_str(), rel.served.size), ("n1", 150));
        // The next claim (any node) learns it and carries it in its record, not as its own.
        let c = claim(&db, "n2", "u1", unasked()).unwrap();
        assert_eq!(c.decision, Decision::Take);
        assert_eq!(c.served, lease::Served::of(&db));
        let r = read(&db).unwrap().unwrap();
        assert_eq!((r.served, r.served_by_claim), (c.served, false));
        // That start fails before serving, after the file lost its tail: the release keeps
        // what served, not the shorter file.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&db)
            .unwrap()
            .set_len(10)
            .unwrap();
        let left = std::fs::read(lease::released_path(&db)).unwrap();
        release(&db, "n2", false).unwrap();
        assert_eq!(lease::read_released(&db).unwrap().unwrap().served.size, 150);
        assert_eq!(
            std::fs::read(lease::released_path(&db)).unwrap(),
            left,
            "the same said again is not written again"
        );
        // A node that took over a lost node's record learns that record's.
        let mut dead = rec("n3");
        dead.served = Some(served(42, 4242));
        dead.served_by_claim = true;
        lease::store(&path, &dead).unwrap();
        let c = claim(&db, "n1", "t2", probe(Ok(vec![m("n3", false)]), never)).unwrap();
        assert!(matches!(c.decision, Decision::TakeOver { .. }));
        assert_eq!(c.served, Some(served(42, 4242)));
        // An unreadable record tells nothing (not what a stop left long before).
        std::fs::write(&path, b"garbage").unwrap();
        let c = claim(&db, "n1", "t3", probe(Err("not asked".into()), never)).unwrap();
        assert_eq!(c.served, None);
        // Nothing known at a release: the file as it is.
        release(&db, "n1", false).unwrap();
        assert_eq!(lease::read_released(&db).unwrap().unwrap().served.size, 10);
        // A start that served the shorter file (the repair accepted it, the rebuild is
        // owed elsewhere) before the keeper looked: the caller says so.
        let mut r = rec("n1");
        r.served = Some(served(Served::of(&db).unwrap().ino, 5000));
        lease::store(&path, &r).unwrap();
        release(&db, "n1", true).unwrap();
        assert_eq!(lease::read_released(&db).unwrap().unwrap().served.size, 10);
    }
}

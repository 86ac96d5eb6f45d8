//! The split-brain guard: an owner record beside the DB file (on the shared storage) names
//! the node serving it. A node refuses to serve a DB whose record names another node the
//! cluster still sees online, and takes over the record of a node that is gone.
//!
//! Owns the owner record file only; never touches the DB file.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::fsutil;
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
    #[error("owner record {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRecord {
    pub node: String,
    pub db_file: String,
    /// Seconds since the epoch when the node took it.
    pub since: u64,
}

/// `<dir>/.<file>.owner`, beside the DB on the same storage.
pub fn record_path(db_file: &Path) -> PathBuf {
    let name = db_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    db_file.with_file_name(format!(".{name}.owner"))
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
    match std::fs::read(&path) {
        Ok(b) => Ok(serde_json::from_slice(&b).ok().or_else(|| {
            log::warn!(
                "owner record {} is unreadable; treating it as absent",
                path.display()
            );
            None
        })),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(Error::Io {
            path: path.display().to_string(),
            source,
        }),
    }
}

/// Checks the storage and the record, and writes our record. `members` is asked only when
/// another node's record is found.
pub fn claim(
    db_file: &Path,
    me: &str,
    members: impl FnOnce() -> Result<Vec<Member>, String>,
) -> Result<Decision, Error> {
    let dir = db_file.parent().unwrap_or(Path::new("/"));
    if !dir.is_dir() {
        return Err(Error::StorageMissing {
            db_file: db_file.display().to_string(),
            dir: dir.display().to_string(),
        });
    }
    let record = read(db_file)?;
    let mut detail = String::new();
    let members = match &record {
        Some(r) if r.node != me => match members() {
            Ok(m) => Some(m),
            Err(e) => {
                detail = e;
                None
            }
        },
        _ => None,
    };
    let decision = decide(record.as_ref(), me, members.as_deref());
    let path = record_path(db_file).display().to_string();
    match &decision {
        Decision::Refuse { owner } => {
            return Err(Error::HeldBy {
                db_file: db_file.display().to_string(),
                owner: owner.clone(),
                record: path,
            });
        }
        Decision::Unknown { owner } => {
            return Err(Error::MembershipUnknown {
                db_file: db_file.display().to_string(),
                owner: owner.clone(),
                record: path,
                detail,
            });
        }
        Decision::TakeOver { from } => {
            log::warn!(
                "taking over {} from node {from}, which the cluster does not see online",
                db_file.display()
            );
        }
        Decision::Take => {}
    }
    if record.as_ref().is_some_and(|r| r.node == me) {
        return Ok(decision);
    }
    let rec = OwnerRecord {
        node: me.to_string(),
        db_file: db_file.display().to_string(),
        since: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
    };
    let bytes = serde_json::to_vec(&rec).expect("record serializes");
    fsutil::write_atomic(&record_path(db_file), &bytes, 0o644)
        .map_err(|source| Error::Io { path, source })?;
    Ok(decision)
}

/// Removes our record (and only ours). Missing storage or record is fine.
pub fn release(db_file: &Path, me: &str) -> Result<(), Error> {
    match read(db_file) {
        Ok(Some(r)) if r.node == me => {
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

    #[test]
    fn claim_and_release_on_disk() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("ovnnb_db.db");
        assert_eq!(claim(&db, "n1", || unreachable!()).unwrap(), Decision::Take);
        assert_eq!(read(&db).unwrap().unwrap().node, "n1");
        let e = claim(&db, "n2", || Ok(vec![m("n1", true)])).unwrap_err();
        assert!(matches!(e, Error::HeldBy { .. }), "{e}");
        let e = claim(&db, "n2", || Err("no cluster".into())).unwrap_err();
        assert!(e.to_string().contains("no cluster"));
        release(&db, "n2").unwrap();
        assert!(
            read(&db).unwrap().is_some(),
            "n2 must not remove n1's record"
        );
        assert!(matches!(
            claim(&db, "n2", || Ok(vec![m("n1", false)])).unwrap(),
            Decision::TakeOver { .. }
        ));
        release(&db, "n2").unwrap();
        assert!(read(&db).unwrap().is_none());
        let gone = d.path().join("nodir").join("x.db");
        assert!(matches!(
            claim(&gone, "n1", || unreachable!()).unwrap_err(),
            Error::StorageMissing { .. }
        ));
    }
}

//! An agent's memory between actions on one node: the role it was asked for and the last
//! promotion score and node attributes it wrote, so that those CIB writes happen only on
//! change; for a database, what its monitor found of its storage and its last compaction.
//! Lives in the run dir (tmpfs: gone after a reboot, which is right).
//!
//! Written temp → fsync → rename; a missing or unreadable file reads as "stopped".

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::fsutil;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Promotable clone, unpromoted: hot standby.
    Standby,
    /// Serving: a started primitive or a promoted clone instance.
    Serving,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub role: Option<Role>,
    /// The promotion score last written (None: none written or deleted).
    pub score: Option<i32>,
    /// Node attributes last written.
    pub attrs: BTreeMap<String, String>,
    /// Listeners the agent opened (ovsdb remotes), to check and to close.
    #[serde(default)]
    pub remotes: Vec<String>,
    /// One line about the last repair run on this node (shown in `crm_mon -A`).
    #[serde(default)]
    pub repair: Option<String>,
    /// The lease keeper renewing this node's owner record while it serves.
    #[serde(default)]
    pub keeper: Option<i32>,
    /// Serving with the listeners closed until a rebuild another resource runs is done
    /// (NB's rebuild, run in the SB's start).
    #[serde(default)]
    pub awaiting_rebuild: bool,
    /// What the monitor last found of the database's storage, and its last compaction.
    #[serde(default)]
    pub storage: StorageMemo,
    /// When a monitor next saves what the database holds beside its file (the SB's
    /// tunnel keys, NB's count of logical switches, ports and routers), ms since the epoch;
    /// None until the first monitor since the listeners opened sets it.
    #[serde(default)]
    pub memo_due_ms: Option<u64>,
    /// What the monitors last read and kept of the database's clients (reset when the
    /// listeners open).
    #[serde(default)]
    pub clients: ClientsScan,
    /// Connections of the server that served before whose address was not on this node
    /// yet when the listeners opened (shape D starts the VIP after the promotion): a
    /// monitor sends their tickle ACKs once it is.
    #[serde(default)]
    pub tickle_pending: Option<TicklePending>,
    /// An active-backup replica (`storage=replicate`, unpromoted): whom it replicates from.
    #[serde(default)]
    pub replica: Option<Replica>,
    /// The resource replicates (`storage=replicate`): its unpromoted instance runs an
    /// ovsdb-server too.
    #[serde(default)]
    pub replicates: bool,
    /// A replica's own file held rows when it started (not a file just created from the
    /// schema): with no promoted instance anywhere, it goes before an empty one.
    #[serde(default)]
    pub own_data: bool,
}

/// The monitors' last read of a database's clients (see `State::clients`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientsScan {
    /// A digest of the list last kept for the next node (beside the database file, or in
    /// the CIB); None until the first monitor since the listeners opened.
    pub kept: Option<u64>,
    /// When a monitor next reads the connections whatever else, ms since the epoch; None:
    /// at the next monitor.
    pub due_ms: Option<u64>,
    /// A digest of the count of TCP sockets in use in the server's network namespace at
    /// that read: a monitor that finds another count reads the connections again.
    pub sockets: Option<u64>,
}

/// Tickle ACKs still to send (see `State::tickle_pending`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicklePending {
    /// The connections, one a line (`tickle::format`).
    pub conns: String,
    /// Tried by the monitors until then, ms since the epoch.
    pub until_ms: u64,
}

/// What an unpromoted replica's agent aimed its ovsdb-server at, and what it saw of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Replica {
    /// The node of the promoted instance, and the remote replicated from (`tcp:IP:PORT`).
    pub node: String,
    pub remote: String,
    /// A full copy was loaded since it was aimed (sync-status said `replicating`).
    #[serde(default)]
    pub synced: bool,
    /// The last thing that went wrong with it, for the attribute and `ovn-ocf status`.
    #[serde(default)]
    pub error: Option<String>,
}

impl Replica {
    /// The address and port of `remote` (`tcp:IP:PORT`).
    pub fn endpoint(&self) -> Option<std::net::SocketAddr> {
        self.remote.strip_prefix("tcp:")?.parse().ok()
    }

    /// Whether ovsdb-server `pid` holds its connection to the promoted instance (/proc).
    pub fn connected(&self, pid: i32) -> bool {
        self.endpoint()
            .is_some_and(|a| crate::process::tcp_connected_to(pid, a.ip(), a.port()))
    }
}

/// The monitor's memory of the database's storage (ovsdb-server resources).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StorageMemo {
    /// The margin (`storage_low_mb`, bytes) the monitor judges by, for `ovn-ocf status`.
    #[serde(default)]
    pub margin: Option<u64>,
    /// The free bytes the node attribute names (refreshed only when they moved a lot, so
    /// that the attribute is not rewritten at every monitor); 0 when none is shown.
    #[serde(default)]
    pub shown_free: u64,
    /// The last compaction the agent asked ovsdb-server for.
    #[serde(default)]
    pub compaction: Option<Compaction>,
}

/// One `ovsdb-server/compact` the agent asked for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Compaction {
    /// When it was asked (ms since the epoch) and the same as a UTC stamp.
    pub at_ms: u64,
    pub stamp: String,
    /// The database file's size and the free space then.
    pub file_before: u64,
    pub free_before: u64,
    pub outcome: CompactionOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase", tag = "result")]
pub enum CompactionOutcome {
    /// ovsdb-server answered it had compacted: the file and the free space after.
    Done { file_after: u64, free_after: u64 },
    /// ovsdb-server answered with an error (e.g. no room for the new file).
    Failed { error: String },
    /// No answer before the monitor's deadline: still compacting, or done since.
    Pending,
}

impl State {
    /// The client listeners are open (`remotes`); the memo's schedule starts again.
    pub fn listening(&mut self, remotes: Vec<String>) {
        self.remotes = remotes;
        self.memo_due_ms = None;
        self.clients = ClientsScan::default();
    }

    pub fn load(path: &Path) -> Option<State> {
        let bytes = std::fs::read(path).ok()?;
        match serde_json::from_slice(&bytes) {
            Ok(s) => Some(s),
            Err(e) => {
                log::warn!(
                    "state file {} is unreadable ({e}); ignoring it",
                    path.display()
                );
                None
            }
        }
    }

    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let bytes = serde_json::to_vec_pretty(self).expect("state serializes");
        fsutil::write_atomic(path, &bytes, 0o644)
    }

    pub fn remove(path: &Path) -> std::io::Result<()> {
        fsutil::remove_durable(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_garbage_reads_as_none() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        assert_eq!(State::load(&p), None);
        let mut s = State {
            role: Some(Role::Standby),
            score: Some(5),
            ..Default::default()
        };
        s.attrs.insert("ovn-ocf-nb-role".into(), "standby".into());
        s.save(&p).unwrap();
        assert_eq!(State::load(&p), Some(s));
        std::fs::write(&p, b"{not json").unwrap();
        assert_eq!(State::load(&p), None);
    }

    #[test]
    fn storage_memo_round_trips_and_older_files_read() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("s.json");
        // A state file written before the storage memo existed.
        std::fs::write(&p, br#"{"role":"serving","score":null,"attrs":{}}"#).unwrap();
        let old = State::load(&p).unwrap();
        assert_eq!(old.storage, StorageMemo::default());
        let mut s = old;
        for outcome in [
            CompactionOutcome::Done {
                file_after: 1,
                free_after: 2,
            },
            CompactionOutcome::Failed {
                error: "No space left on device".into(),
            },
            CompactionOutcome::Pending,
        ] {
            s.storage = StorageMemo {
                margin: Some(64 << 20),
                shown_free: 3,
                compaction: Some(Compaction {
                    at_ms: 4,
                    stamp: "20261130T000000.000Z".into(),
                    file_before: 5,
                    free_before: 6,
                    outcome,
                }),
            };
            s.save(&p).unwrap();
            assert_eq!(State::load(&p).as_ref(), Some(&s));
        }
    }
}

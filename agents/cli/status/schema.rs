//! The schema of `ovn-ocf status --json` (README documents it field by field).

use super::*;

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
    /// The database's storage while an ovsdb-server serves it here; null otherwise.
    pub storage: Option<Storage>,
    /// An unpromoted replica's replication (`storage=replicate`); null otherwise.
    pub replication: Option<Replication>,
    /// Which file is the current one (`storage=rebuild`); null otherwise.
    pub generation: Option<Generation>,
    /// What Pacemaker says; null without a cluster or for a resource the CIB does not
    /// have.
    pub pacemaker: Option<ResourceView>,
    /// What does not add up, in words (empty when all is well).
    pub problems: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Replication {
    /// The node of the promoted instance and the remote replicated from; null when no
    /// promoted instance answered (yet).
    pub from_node: Option<String>,
    pub remote: Option<String>,
    /// An ESTABLISHED TCP connection to it (from /proc).
    pub connected: bool,
    /// A full copy was loaded since it was pointed there.
    pub synced: bool,
    /// The last thing that went wrong, as the agent recorded it.
    pub error: Option<String>,
    /// The node attribute `ovn-ocf-<db>-replication` as the agent last wrote it here.
    pub attribute: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct Generation {
    /// The generation beside this node's file (`.<db file>.generation`), null if none.
    pub file: Option<String>,
    /// The cluster's (CIB property `ovn-ocf-<db>-generation`), null if unset or unread.
    pub cluster: Option<String>,
    /// This node's file is the current one (a start here serves it as it is); null when
    /// the cluster's could not be read.
    pub current: Option<bool>,
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

#[derive(Debug, Serialize)]
pub struct Storage {
    /// `ok`, `low` (below `low_below_bytes`: the agent has ovsdb-server compact) or `full`
    /// (below 1 MiB: ovsdb-server refuses writes).
    pub state: &'static str,
    /// Free on db_file's filesystem (as root can use it), its size, the file's size.
    pub free_bytes: u64,
    pub total_bytes: u64,
    pub db_file_bytes: u64,
    /// The file's size plus `storage_low_mb`.
    pub low_below_bytes: u64,
    /// The node attribute `ovn-ocf-<db>-storage` as the agent last wrote it here (null:
    /// none written, there was room).
    pub attribute: Option<String>,
    /// The last compaction the agent asked for on this node.
    pub last_compaction: Option<LastCompaction>,
}

#[derive(Debug, Serialize)]
pub struct LastCompaction {
    /// When it was asked (UTC stamp) and how long ago.
    pub time: String,
    pub age_s: u64,
    /// `done`, `failed` or `pending` (no answer before the monitor's deadline).
    pub result: &'static str,
    pub file_before_bytes: u64,
    /// When done: the file's size after it.
    pub file_after_bytes: Option<u64>,
    /// When failed: ovsdb-server's words.
    pub error: Option<String>,
}

//! `storage=replicate` (shape D): every node keeps its own database file; the promoted
//! instance serves it, and every unpromoted one runs ovsdb-server as an active-backup
//! replica of it, so that promotion loads nothing.
//!
//! What the incumbent (ovndb-servers.ocf) gets wrong, and how this module avoids it:
//! - A replica is aimed only at a peer from `replication_peers` whose replication
//!   listener answers as ANOTHER ovsdb-server (`get_server_id` differs from our own)
//!   serving the same database: ovsdb-server's own self-check would otherwise turn the
//!   replica active by itself.
//! - A replica is aimed only at a peer whose schema it can hold (ovsdb-server's own rule,
//!   [`ovsdb::replicable`]): after an upgrade of the promoted node's OVN, say, ovsdb-server
//!   would find nothing it can replicate and make itself active, writable by any local
//!   client.
//! - Every replicated ovsdb-server, promoted or not, also serves the anchor
//!   ([`ANCHOR_DB`]), a database of one empty table whose schema never changes. When the
//!   promoted instance's schema changes under a running replica (its OVN upgraded, its
//!   file converted), ovsdb-server drops OVN's database from the replication but still
//!   has the anchor to replicate, so it never gives up and never makes itself active: it
//!   stays a read-only backup ([`Seen::Partial`]), and the monitor says so.
//! - Where it made itself active anyway (a peer that serves no anchor, or another
//!   replication error), the monitor says so (degraded, with the logged error), its
//!   promotion score drops, and it is aimed again; with no peer it can replicate from, it
//!   is held read-only: a backup of a local socket that never exists ([`Seen::Held`]),
//!   until one answers.
//! - Promotion scores follow replication health and what a file holds (the SCORE_
//!   constants below): the file served last and not handed over first, then a replica
//!   replicating, one whose connection was lost, a file with rows of its own, and last
//!   an empty file, a copy still loading or a failed replication.
//! - A planned handover loses nothing: demote closes the client listeners and writes a
//!   handover token into the global table's `external_ids` (after every acknowledged
//!   write, in the same ordered stream), keeping the replication listener open; promote
//!   waits until its replica holds that token before it serves.
//! - Power-off: replication is asynchronous; what the replica had not received is lost,
//!   and promote says so in the log.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use ovn_ocf::jsonrpc::Endpoint;
use ovn_ocf::ocf::{ActionResult, Deadline, Failure, OcfStatus};
use ovn_ocf::ovsdb::{self, Op, Ovsdb, Unixctl};
use ovn_ocf::process::ProcInfo;
use ovn_ocf::state::{Replica, Role, State};

use super::Server;
use super::busy::Late;
use super::config::{Protocol, Storage};
use crate::framework::{SCORE_PROMOTED, SCORE_STANDBY};

/// The anchor: a database every replicated ovsdb-server serves beside OVN's, from a file
/// in the run directory written at each start. ovsdb-server (3.1, replication.c) drops
/// from a replication every database whose schema the active server changed beyond what
/// the backup can hold, and makes itself active only when nothing is left: with the
/// anchor, something always is. Its schema must never change.
pub const ANCHOR_DB: &str = "OVN_OCF_Anchor";
const ANCHOR_SCHEMA: &str = r#"{"name":"OVN_OCF_Anchor","version":"1.0.0","tables":{"Anchor":{"columns":{"note":{"type":"string"}}}}}"#;

/// The key of the handover token in the global table's `external_ids`.
pub const HANDOVER_KEY: &str = "ovn-ocf-handover";

/// Promotion scores of an unpromoted replica by what it holds. A file this node served
/// as the promoted instance, not handed over (its server killed or crashed, or the
/// whole cluster down), holds every write it acknowledged, which no replica can say
/// for sure: it goes first.
const SCORE_SERVED_LAST: i32 = 6;
/// A full copy loaded, then the connection lost (the promoted instance went).
const SCORE_COPIED_DISCONNECTED: i32 = 3;
/// Its own file, with rows, never pointed anywhere since it started (a whole cluster
/// starting, or a migration from ovndb-servers.ocf).
const SCORE_OWN_DATA: i32 = 2;
/// An empty file created at start, a copy still loading, or a failed replication.
const SCORE_NO_COPY: i32 = 1;

/// How long one peer gets to answer while the agent looks for the promoted instance.
const PEER_PATIENCE: Duration = Duration::from_millis(500);
/// How long a peer the cluster lost gets to show it still serves clients: on the
/// takeover path of every power-off, where it is dead and only costs time; a live host
/// on the same network accepts a connection within milliseconds.
const DEAD_PEER_PATIENCE: Duration = Duration::from_millis(100);

/// What a replica's ovsdb-server is doing, as the monitor found it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    /// Backup, full copy loaded, its connection to the promoted instance up.
    Replicating,
    /// Backup, still loading its first copy (or reconnecting).
    Connecting,
    /// Backup, its connection down (the promoted instance went away).
    Disconnected,
    /// Backup, connected, but not replicating the database: the promoted instance serves
    /// it with a schema this ovsdb-server cannot hold (it changed under the replica), and
    /// ovsdb-server replicates the anchor only (or, from a peer that serves no anchor,
    /// waits for good); read-only, not current.
    Partial,
    /// ovsdb-server switched itself to active: its replication failed.
    Failed(String),
    /// A backup of nothing (the hold remote), read-only, because no peer it can
    /// replicate from answered after its replication failed: why.
    Held(String),
    /// ovsdb-server replicates from somewhere else than the agent pointed it (someone
    /// ran set-active-ovsdb-server by hand): pointed back.
    Elsewhere(String),
    /// Active and aimed at nothing: no promoted instance answered (yet), or a demoted
    /// instance handing over.
    Idle,
    /// Its control socket did not answer within the monitor's time, but /proc shows it
    /// working (loading a large copy, say): nothing is changed, nothing failed.
    Busy,
}

/// Beside the database file while this node's file is the one a promoted instance
/// served and did not hand over: the freshest copy there is.
pub fn served_marker(db_file: &std::path::Path) -> std::path::PathBuf {
    ovn_ocf::fsutil::beside(db_file, "served-last")
}

impl Server<'_> {
    pub(super) fn replicates(&self) -> bool {
        self.cfg.storage == Storage::Replicate
    }

    /// Writes the anchor's file (an empty database, [`ANCHOR_DB`]) before ovsdb-server
    /// starts; what it held before does not matter (a replica's copy is replaced).
    pub(super) fn write_anchor(&self) -> Result<(), Failure> {
        let path = self.cfg.anchor_file();
        let bytes = ovn_ocf::dbfile::encode_record(ANCHOR_SCHEMA.as_bytes());
        ovn_ocf::fsutil::write_atomic(&path, &bytes, 0o644)
            .map_err(|e| Failure::local_io(format!("cannot write {}: {e}", path.display()), &e))
    }

    /// This node's address from `replication_peers` (ERR_CONFIGURED when it has none).
    fn own_address(&self, node: &str) -> Result<IpAddr, Failure> {
        self.cfg
            .peers
            .iter()
            .find(|(n, _)| n == node)
            .map(|(_, a)| *a)
            .ok_or_else(|| {
                Failure::configured(format!(
                    "replication_peers names no address for this node ({node}); it names {}",
                    self.cfg
                        .peers
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }

    fn replication_endpoint(&self, addr: IpAddr) -> SocketAddr {
        SocketAddr::new(addr, self.cfg.replication_port)
    }

    /// The remote a replica connects to (`tcp:IP:PORT`, IPv6 bracketed).
    fn replication_remote(&self, addr: IpAddr) -> String {
        format!("tcp:{}", self.replication_endpoint(addr))
    }

    /// Where a replica that must not turn active and has nobody to replicate from is
    /// pointed: a local socket that never exists. ovsdb-server keeps trying it (a failed
    /// connection is not a replication error), so it stays a read-only backup.
    fn hold_remote(&self) -> String {
        format!("unix:{}.held", self.cfg.sock().display())
    }

    /// The promoted instance's replication listener (`ptcp:PORT:IP`).
    fn replication_listener(&self, addr: IpAddr) -> String {
        match addr {
            IpAddr::V4(a) => format!("ptcp:{}:{a}", self.cfg.replication_port),
            IpAddr::V6(a) => format!("ptcp:{}:[{a}]", self.cfg.replication_port),
        }
    }

    /// What the configuration allows for `storage=replicate`, checked where the action
    /// knows whether it runs in a promotable clone.
    fn replica_config(&self) -> Result<(String, IpAddr), Failure> {
        if !self.cx.meta.promotable {
            return Err(Failure::configured(
                "storage=replicate needs a promotable clone (pcs resource create ... promotable promoted-max=1): a primitive has no replicas",
            ));
        }
        if self.cfg.protocol == Protocol::Ssl {
            return Err(Failure::configured(
                "storage=replicate does not support protocol=ssl yet (the replica checks its peer over plain TCP); use protocol=tcp on a trusted network",
            ));
        }
        let node = self.node();
        let addr = self.own_address(&node)?;
        Ok((node, addr))
    }

    /// Start of a replica: the local file verified (created from the schema if missing),
    /// ovsdb-server on its local socket only, aimed at the promoted instance if one
    /// answers. Idempotent.
    pub(super) fn start_replica(&self) -> ActionResult {
        let (node, _) = self.replica_config()?;
        let mut st = self.inst.state();
        let pid = self.replica_daemon(&mut st)?;
        st.role = Some(Role::Standby);
        st.replicates = true;
        if st.replica.is_none() {
            self.aim(&mut st, pid, &node, None);
        }
        self.inst.watch(pid);
        let score = replica_score(&st, None, served_marker(&self.cfg.db_file).exists());
        self.publish(&mut st, Some(score));
        self.inst.save(&st)?;
        Ok(OcfStatus::Success)
    }

    /// The running ovsdb-server of this instance, or one started on the local file (verified,
    /// created from the schema if missing) with its local socket only, not aimed anywhere.
    fn replica_daemon(&self, st: &mut State) -> Result<i32, Failure> {
        if let Some(d) = self.daemon() {
            return Ok(d.pid);
        }
        let report = self.prepare_database(None)?;
        st.own_data = holds_rows(&report.found);
        st.repair = Some(report.summary());
        st.replica = None;
        st.remotes.clear();
        self.spawn_server()
    }

    /// Looks for the promoted instance among the other peers and points ovsdb-server at
    /// it. Never at itself, never at a server of another database, never at one whose
    /// schema it cannot hold. Leaves `st.replica` None and returns why (also logged)
    /// when nobody answers.
    fn aim(
        &self,
        st: &mut State,
        pid: i32,
        node: &str,
        current: Option<&Replica>,
    ) -> Option<String> {
        let dl = self.cx.deadline.share(0.5);
        let schema = self.cfg.db.schema_name();
        let own = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl)
            .and_then(|mut db| Ok((db.server_id(dl)?, db.schema(schema, dl)?)));
        let (own_id, own_schema) = match own {
            Ok(own) => own,
            Err(e) => {
                let why = format!("cannot read this ovsdb-server's id and schema: {e}");
                log::warn!("{why}; not aiming it yet");
                return Some(why);
            }
        };
        let mut why = vec![];
        for (peer, addr) in self.cfg.peers.iter().filter(|(n, _)| n != node) {
            let ep = Endpoint::Tcp(self.replication_endpoint(*addr));
            let pdl = dl.cap(PEER_PATIENCE);
            let answer = Ovsdb::connect(&ep, pdl).and_then(|mut db| {
                let (id, dbs) = (db.server_id(pdl)?, db.list_dbs(pdl)?);
                let theirs = match dbs.iter().any(|d| d == schema) {
                    true => Some(db.schema(schema, pdl)?),
                    false => None,
                };
                Ok((id, dbs, theirs))
            });
            let (id, dbs, theirs) = match answer {
                Ok(a) => a,
                Err(e) => {
                    why.push(format!("{peer}: {e}"));
                    continue;
                }
            };
            if id == own_id {
                let e = format!(
                    "replication_peers gives {peer} the address {addr}, where this node's own ovsdb-server answers: not replicating from itself"
                );
                log::error!("{e}");
                why.push(e);
                continue;
            }
            let Some(theirs) = theirs else {
                let e = format!(
                    "{peer} ({ep}) serves {} and not {schema}: check replication_port",
                    dbs.join(", ")
                );
                log::error!("{e}");
                why.push(e);
                continue;
            };
            if let Err(e) = ovsdb::replicable(&own_schema, &theirs) {
                let e = format!(
                    "{peer} ({ep}) serves {schema} with a schema this ovsdb-server cannot replicate ({e}): ovsdb-server would give up and make itself active; upgrade OVN on this node (or the file, ovsdb-client convert) to {peer}'s schema"
                );
                log::error!("{e}");
                why.push(e);
                continue;
            }
            // A peer that serves no anchor (an ovn-ocf from before it, or an ovsdb-server
            // the agent does not run) would leave ours waiting for good: the anchor goes
            // (and comes back for a peer that serves it).
            self.follow_anchor(dbs.iter().any(|d| d == ANCHOR_DB), peer);
            let remote = self.replication_remote(*addr);
            if let Some(c) = current.filter(|c| c.remote == remote) {
                // Still the one: ovsdb-server reconnects by itself (pointing it again
                // would throw its copy away and load a new one).
                st.replica = Some(c.clone());
                return None;
            }
            match self.point_at(pid, &remote, st) {
                Ok(()) => {
                    log::info!("replicating {schema} from {peer} ({remote})");
                    // Its rows are replaced by the first copy.
                    st.own_data = false;
                    st.replica = Some(Replica {
                        node: peer.clone(),
                        remote,
                        synced: false,
                        error: None,
                    });
                    return None;
                }
                Err(e) => why.push(format!("{peer}: {}", e.reason)),
            }
        }
        let why = why.join("; ");
        log::info!("no promoted instance to replicate from yet ({why})");
        Some(why)
    }

    /// Serves the anchor (`want`) or not, as the peer `peer` about to be replicated from
    /// does; best effort (logged). A change restarts the replication (a new full copy),
    /// which pointing it does anyway.
    fn follow_anchor(&self, want: bool, peer: &str) {
        let dl = self.cx.deadline.share(0.2);
        let changed = Unixctl::connect(&self.cfg.ctl(), dl).and_then(|mut ctl| {
            let served = ctl
                .command("ovsdb-server/list-dbs", &[], dl)?
                .lines()
                .any(|l| l.trim() == ANCHOR_DB);
            match (want, served) {
                (true, false) => {
                    if !self.cfg.anchor_file().exists()
                        && let Err(f) = self.write_anchor()
                    {
                        log::warn!("{}", f.reason);
                    }
                    let file = self.cfg.anchor_file().display().to_string();
                    ctl.command("ovsdb-server/add-db", &[&file], dl)
                        .map(|_| true)
                }
                (false, true) => ctl
                    .command("ovsdb-server/remove-db", &[ANCHOR_DB], dl)
                    .map(|_| true),
                _ => Ok(false),
            }
        });
        match (changed, want) {
            (Ok(false), _) => {}
            (Ok(true), true) => log::info!("serving {ANCHOR_DB} again, for {peer}"),
            (Ok(true), false) => log::warn!(
                "{peer} serves no {ANCHOR_DB} (an ovn-ocf without it, or an ovsdb-server the agent does not run): replicating without it, so a change of its schema would make this replica active, as in ovndb-servers.ocf"
            ),
            (Err(e), _) => {
                log::warn!("cannot make this ovsdb-server's {ANCHOR_DB} follow {peer}'s: {e}")
            }
        }
    }

    /// Holds a replica whose replication failed, with no peer to replicate from, as a
    /// read-only backup of nothing (see [`Self::hold_remote`]).
    fn hold(&self, st: &mut State, pid: i32, peer: &str, why: String) {
        let remote = self.hold_remote();
        match self.point_at(pid, &remote, st) {
            Ok(()) => {
                log::warn!(
                    "{why}; held read-only (a backup of {remote}) until a peer it can replicate from answers"
                );
                st.replica = Some(Replica {
                    node: peer.to_string(),
                    remote,
                    synced: false,
                    error: Some(why),
                });
            }
            Err(f) => log::error!("{why}; and it cannot be held read-only: {}", f.reason),
        }
    }

    /// set-active + connect-active; a replication listener of ours (a demoted instance
    /// that handed over) closes first.
    fn point_at(&self, pid: i32, remote: &str, st: &mut State) -> Result<(), Failure> {
        let dl = self.cx.deadline;
        self.keep_diverged(remote)?;
        let mut ctl = Unixctl::connect(&self.cfg.ctl(), dl)?;
        for r in std::mem::take(&mut st.remotes) {
            if let Err(e) = ctl.command("ovsdb-server/remove-remote", &[&r], dl) {
                log::warn!("cannot close remote {r}: {e}");
            }
        }
        ctl.command("ovsdb-server/set-active-ovsdb-server", &[remote], dl)
            .and_then(|_| ctl.command("ovsdb-server/connect-active-ovsdb-server", &[], dl))
            .map_err(|e| {
                Failure::context(
                    e,
                    format!("ovsdb-server pid {pid}: cannot replicate from {remote}"),
                )
            })?;
        Ok(())
    }

    /// A file this node served and did not hand over is backed up byte for byte before
    /// it replicates: the first copy replaces its contents, and it may hold acknowledged
    /// writes the promoted instance never received (asynchronous replication).
    fn keep_diverged(&self, remote: &str) -> Result<(), Failure> {
        let marker = served_marker(&self.cfg.db_file);
        if !marker.exists() {
            return Ok(());
        }
        let name = self
            .cfg
            .db_file
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let stamp = ovn_ocf::ocf::time::utc_stamp(std::time::SystemTime::now());
        let (path, sha) = ovn_ocf::repair::backup(
            &self.cfg.db_file,
            &self.cfg.backup_dir,
            &format!("{name}.{stamp}.bak"),
        )
        .map_err(|e| {
            Failure::context(
                e,
                "cannot back up the file this node served before replicating over it",
            )
        })?;
        ovn_ocf::repair::prune(
            &self.cfg.backup_dir,
            &format!("{name}."),
            ".bak",
            self.cfg.backup_keep,
        );
        log::warn!(
            "{} was served here and not handed over: backed up to {} (sha1 {sha}) before replicating from {remote}; writes acknowledged here that the promoted instance lacks are only there",
            self.cfg.db_file.display(),
            path.display()
        );
        ovn_ocf::fsutil::remove_durable(&marker)
            .map_err(|e| Failure::local_io(format!("cannot remove {}: {e}", marker.display()), &e))
    }

    /// The monitor of an unpromoted replica: what its ovsdb-server does, the attribute
    /// and score that say so, and aiming it again when it lost its promoted instance.
    pub(super) fn check_replica(&self, mut st: State, d: &ProcInfo) -> ActionResult {
        if d.stopped() {
            return Err(Failure::generic(format!(
                "replica ovsdb-server pid {} is stopped (state {})",
                d.pid, d.state
            )));
        }
        let before = st.clone();
        let mut seen = self.seen(d, &st)?;
        let probe = self.cx.meta.is_probe(ovn_ocf::ocf::Action::Monitor);
        if !probe
            && matches!(
                seen,
                Seen::Idle
                    | Seen::Disconnected
                    | Seen::Failed(_)
                    | Seen::Elsewhere(_)
                    | Seen::Held(_)
            )
        {
            let failed = match &seen {
                Seen::Failed(e) => {
                    log::error!("{e}; aiming it at the promoted instance again");
                    Some(e.clone())
                }
                Seen::Elsewhere(t) => {
                    let e = format!(
                        "ovsdb-server was pointed at {t} behind the agent's back, not at {}",
                        st.replica.as_ref().map_or("-", |r| r.remote.as_str())
                    );
                    log::warn!("{e}; pointing it at the promoted instance again");
                    Some(e)
                }
                _ => None,
            };
            // A failed replica is pointed again even at the same peer; a disconnected
            // one only if another peer now answers as the promoted instance; a held one
            // as soon as one it can replicate from does.
            let held = matches!(seen, Seen::Held(_));
            let taken = st.replica.take();
            let peer = taken.as_ref().map_or("-", |r| r.node.as_str()).to_string();
            let current = taken.filter(|_| failed.is_none() && !held);
            let not_aimed = self.aim(&mut st, d.pid, &self.node(), current.as_ref());
            if held && st.replica.is_some() {
                seen = Seen::Connecting;
            }
            if st.replica.is_none() {
                if held {
                    st.replica = before.replica.clone();
                } else if let Some(e) = &failed
                    && matches!(seen, Seen::Failed(_))
                {
                    let why = format!("{e}; {}", not_aimed.unwrap_or_default());
                    self.hold(&mut st, d.pid, &peer, why);
                }
            }
            match (&mut st.replica, current) {
                (Some(r), _) if r.remote == self.hold_remote() => {}
                (Some(r), _) => {
                    if failed.is_some() {
                        r.error = failed.clone();
                    } else if seen == Seen::Disconnected && before.replica.as_ref() == Some(r) {
                        r.error = Some("not connected".into());
                    }
                }
                (None, Some(mut k)) => {
                    // Nobody answers: keep waiting for the same one.
                    k.error = Some("not connected".into());
                    st.replica = Some(k);
                }
                (None, None) => {}
            }
            if seen == Seen::Idle && st.replica.is_some() {
                seen = Seen::Connecting;
            }
        }
        match (&seen, st.replica.as_mut()) {
            (Seen::Replicating, Some(r)) => {
                r.synced = true;
                r.error = None;
            }
            // Why it cannot hold the peer's schema, asked once when it happens: its copy
            // is no longer current.
            (Seen::Partial, Some(r)) if !probe && !r.error.as_deref().is_some_and(is_partial) => {
                let why = self.why_partial(r);
                log::error!("{why}");
                r.error = Some(why);
                r.synced = false;
            }
            _ => {}
        }
        let score = match seen {
            // Nothing learnt: the score stays what it was.
            Seen::Busy => st.score.unwrap_or(SCORE_NO_COPY),
            _ => replica_score(&st, Some(&seen), served_marker(&self.cfg.db_file).exists()),
        };
        if !probe && (st != before || st.score != Some(score)) {
            self.publish(&mut st, Some(score));
            if let Err(f) = self.inst.save(&st) {
                log::warn!("{}", f.reason);
            }
        }
        match seen {
            Seen::Failed(e) => Err(Failure::new(OcfStatus::Degraded, e)),
            Seen::Partial => Err(Failure::new(
                OcfStatus::Degraded,
                st.replica
                    .and_then(|r| r.error)
                    .filter(|e| is_partial(e))
                    .unwrap_or_else(|| {
                        format!("{PARTIAL}: the promoted instance's schema changed")
                    }),
            )),
            Seen::Held(e) => Err(Failure::new(
                OcfStatus::Degraded,
                format!("held read-only, not replicating: {e}"),
            )),
            _ => match st.replica {
                // Held at this monitor.
                Some(r) if r.remote == self.hold_remote() => Err(Failure::new(
                    OcfStatus::Degraded,
                    format!(
                        "held read-only, not replicating: {}",
                        r.error.unwrap_or_default()
                    ),
                )),
                _ => Ok(OcfStatus::Success),
            },
        }
    }

    /// Reads sync-status, and the connection from /proc (3.1's sync-status says
    /// "replicating" through a lost connection until it reconnects).
    fn seen(&self, d: &ProcInfo, st: &State) -> Result<Seen, Failure> {
        // A replica loading a full copy of a large database answers late: waited for
        // while it is busy, as the promoted one's monitor does (busy.rs).
        let text = match self.ask_patiently(d.pid, &["ovsdb-server/sync-status"]) {
            Ok(mut a) => match a.pop() {
                Some(Ok(t)) => t,
                Some(Err(e)) => {
                    return Err(Failure::generic(format!(
                        "replica ovsdb-server pid {}: {e}",
                        d.pid
                    )));
                }
                None => {
                    return Err(Failure::generic(format!(
                        "replica ovsdb-server pid {}: no answer",
                        d.pid
                    )));
                }
            },
            Err(Late::Busy(why)) => {
                log::warn!("{why}; reported running");
                return Ok(Seen::Busy);
            }
            Err(Late::Failed(why)) => return Err(Failure::generic(why)),
        };
        let kv = ovsdb::parse_key_values(&text);
        let state = kv.get("state").map(String::as_str);
        let Some(r) = &st.replica else {
            return Ok(Seen::Idle);
        };
        if state == Some("active") {
            let why = replication_error(&self.cfg.log_file)
                .unwrap_or_else(|| "no replication error logged".into());
            return Ok(Seen::Failed(format!(
                "replication from {} ({}) failed and ovsdb-server pid {} made itself active: {why}",
                r.node, r.remote, d.pid
            )));
        }
        if let Some(target) = sync_target(&text)
            && target != r.remote
        {
            return Ok(Seen::Elsewhere(target));
        }
        if r.remote == self.hold_remote() {
            return Ok(Seen::Held(r.error.clone().unwrap_or_default()));
        }
        let connected = r.connected(d.pid);
        let ours = ovsdb::sync_replicates(&text, self.cfg.db.schema_name());
        Ok(match (kv.contains_key("replicating"), connected) {
            (_, false) => Seen::Disconnected,
            (true, true) if ours => Seen::Replicating,
            (true, true) => Seen::Partial,
            (false, true)
                if log_tail(&self.cfg.log_file)
                    .is_some_and(|l| refused_since_connected(&l, self.cfg.db.schema_name())) =>
            {
                Seen::Partial
            }
            (false, true) => Seen::Connecting,
        })
    }

    /// Why a replica replicates the anchor only: the peer's schema against its own, by
    /// ovsdb-server's rule (asked of both, PEER_PATIENCE each), else what ovsdb-server
    /// logged.
    fn why_partial(&self, r: &Replica) -> String {
        let schema = self.cfg.db.schema_name();
        let dl = self.cx.deadline.share(0.3).cap(PEER_PATIENCE);
        let compared = r.endpoint().and_then(|peer| {
            let own = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl)
                .and_then(|mut db| db.schema(schema, dl))
                .ok()?;
            let theirs = Ovsdb::connect(&Endpoint::Tcp(peer), dl)
                .and_then(|mut db| db.schema(schema, dl))
                .ok()?;
            ovsdb::replicable(&own, &theirs).err()
        });
        let detail = compared
            .or_else(|| schema_refusal(&self.cfg.log_file).map(|l| format!("ovsdb-server: {l}")))
            .unwrap_or_else(|| "its schema changed".into());
        format!(
            "{PARTIAL}: {} ({}) serves {schema} with a schema this ovsdb-server cannot replicate ({detail}); it stays a read-only backup, and an upgraded node's start converts its file",
            r.node, r.remote
        )
    }

    /// Promote of a replica: catch up with a demoted instance that hands over, stop
    /// replicating, open the client and replication listeners.
    pub(super) fn promote_replica(&self) -> ActionResult {
        let (node, addr) = self.replica_config()?;
        let mut st = self.inst.state();
        // Nothing runs here only after a start cut short: the local file as it is.
        let pid = self.replica_daemon(&mut st)?;
        if let Some(r) = &st.replica {
            self.catch_up(r)?;
        }
        let dl = self.cx.deadline;
        let mut ctl = Unixctl::connect(&self.cfg.ctl(), dl)?;
        ctl.command("ovsdb-server/disconnect-active-ovsdb-server", &[], dl)
            .map_err(|e| Failure::context(e, "cannot stop replicating"))?;
        let active = dl.poll(Duration::from_millis(10), || {
            let s = ctl.command("ovsdb-server/sync-status", &[], dl).ok()?;
            (ovsdb::parse_sync_status(&s) == ovsdb::SyncState::Active).then_some(())
        });
        if active.is_none() {
            return Err(Failure::generic(format!(
                "ovsdb-server pid {pid} did not turn active before the timeout"
            )));
        }
        st.replica = None;
        // Its replicas need the anchor here (it went if the last peer had none).
        self.follow_anchor(true, "its replicas");
        let marker = served_marker(&self.cfg.db_file);
        let line = format!("{node} {}\n", ovn_ocf::lease::now_ms());
        ovn_ocf::fsutil::write_atomic(&marker, line.as_bytes(), 0o644).map_err(|e| {
            Failure::local_io(format!("cannot write {}: {e}", marker.display()), &e)
        })?;
        let listener = self.replication_listener(addr);
        // A demoted instance promoted again still has its replication listener.
        let listening = st.remotes.contains(&listener);
        for r in st.remotes.iter().filter(|r| **r != listener) {
            if let Err(e) = ctl.command("ovsdb-server/remove-remote", &[r], dl) {
                log::warn!("cannot close remote {r}: {e}");
            }
        }
        let mut opened = self.open_remotes(pid)?;
        if !listening {
            ctl.command("ovsdb-server/add-remote", &[&listener], dl)
                .map_err(|e| Failure::context(e, format!("cannot open {listener}")))?;
        }
        opened.push(listener);
        log::info!(
            "{node} serves {} (promoted replica)",
            self.cfg.db_file.display()
        );
        self.tickle_clients(&mut st);
        st.listening(opened);
        st.role = Some(Role::Serving);
        st.replicates = true;
        self.publish(&mut st, Some(SCORE_PROMOTED));
        self.inst.save(&st)?;
        self.inst.watch(pid);
        Ok(OcfStatus::Success)
    }

    /// Waits until this replica holds the handover token of the instance it replicates
    /// from (written by that one's demote after every write it acknowledged). A peer
    /// that does not answer (powered off, killed) hands nothing over: what it had not
    /// sent is lost, and the log says so.
    fn catch_up(&self, r: &Replica) -> Result<(), Failure> {
        let dl = self.cx.deadline;
        let Some(peer) = r.endpoint() else {
            return Ok(());
        };
        // A peer the cluster no longer counts as a member (fenced, powered off) hands
        // nothing over: not waiting for a connection that cannot answer. Unless it still
        // accepts clients: a node cut off from the cluster without being fenced (stonith
        // disabled, its corosync killed) keeps serving, and a second promoted server
        // would take writes too. A live host answers a connect at once; a dead one costs
        // DEAD_PEER_PATIENCE.
        let members = ovn_ocf::pacemaker::membership(dl.cap(Duration::from_secs(5)));
        if let Ok(m) = &members
            && !m.iter().any(|m| m.name == r.node && m.online)
        {
            if let Some(clients) = self.serves_clients(peer, DEAD_PEER_PATIENCE) {
                return Err(Failure::generic(format!(
                    "{} is not an online cluster member but still accepts clients on {clients}: it was cut off, not fenced, and promoting here would make two servers take writes; fence it (or stop its ovsdb-server), then pcs resource cleanup",
                    r.node
                )));
            }
            log::warn!(
                "{} is not an online cluster member (fenced or down): promoting with what was replicated from it; its writes not yet replicated are lost (asynchronous replication)",
                r.node
            );
            return Ok(());
        }
        let theirs = Ovsdb::connect(&Endpoint::Tcp(peer), dl.cap(PEER_PATIENCE))
            .and_then(|mut db| self.handover_token(&mut db, dl.cap(Duration::from_secs(2))));
        // A peer that answers and still listens for clients was not demoted (demote closes
        // the client listeners before it hands over): it may take writes yet, and its
        // handover token, if any, is an old one. Promoting here would make two servers.
        // Known only when the client listener is on every address, as in README's shape D.
        if theirs.is_ok()
            && let Some(clients) = self.serves_clients(peer, PEER_PATIENCE)
        {
            return Err(Failure::generic(format!(
                "{} still accepts clients on {clients}: it was not demoted, and promoting here would make two servers take writes; demote, stop or fence {}, then pcs resource cleanup",
                r.node, r.node
            )));
        }
        let token = match theirs {
            Ok(Some(t)) => t,
            Ok(None) => {
                log::warn!(
                    "{} ({}) answers but has handed nothing over (not demoted?): promoting with what was replicated",
                    r.node,
                    r.remote
                );
                return Ok(());
            }
            Err(e) => {
                log::warn!(
                    "{} ({}) does not answer ({e}): promoting with what was replicated (a stop after a demote waits until its replicas received everything; after a crash, what it had not sent is lost: asynchronous replication)",
                    r.node,
                    r.remote
                );
                return Ok(());
            }
        };
        let wait = dl.share(0.6);
        let caught = wait.poll(Duration::from_millis(10), || {
            let mut db = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), wait).ok()?;
            let mine = self.handover_token(&mut db, wait).ok()??;
            (mine == token).then_some(())
        });
        match caught {
            Some(()) => {
                log::info!(
                    "caught up with {} (handover {token}): nothing it acknowledged is lost",
                    r.node
                );
                Ok(())
            }
            None => Err(Failure::generic(format!(
                "this replica did not receive {}'s last writes (handover {token}) before the timeout; not serving an incomplete copy while {} still has them",
                r.node, r.node
            ))),
        }
    }

    /// The peer's client listener, if it accepts a connection within `patience`. Known
    /// only when the client listener is on every address (README's shape D): None
    /// otherwise.
    fn serves_clients(&self, peer: SocketAddr, patience: Duration) -> Option<SocketAddr> {
        if !self.cfg.listen_address.is_unspecified() {
            return None;
        }
        let clients = SocketAddr::new(peer.ip(), self.cfg.port);
        std::net::TcpStream::connect_timeout(&clients, patience)
            .is_ok()
            .then_some(clients)
    }

    fn handover_token(
        &self,
        db: &mut Ovsdb,
        dl: Deadline,
    ) -> Result<Option<String>, ovn_ocf::jsonrpc::Error> {
        let schema = self.cfg.db.schema_name();
        let rows = db.select(
            schema,
            Op::select(self.cfg.db.global_table(), &["external_ids"]),
            dl,
        )?;
        Ok(rows
            .first()
            .and_then(|r| r.string_map("external_ids").get(HANDOVER_KEY).cloned()))
    }

    /// Demote of a replicated instance: the client listeners close (no client writes any
    /// more), the handover token follows every acknowledged write, and the replication
    /// listener stays open until the new promoted instance has caught up (its next aim
    /// closes it). ovsdb-server keeps running: this node is a replica again.
    pub(super) fn demote_replica(&self) -> ActionResult {
        self.inst.end_watchers();
        let (node, addr) = self.replica_config()?;
        let mut st = self.inst.state();
        let listener = self.replication_listener(addr);
        if let Some(d) = self.daemon() {
            let handed = if d.stopped() {
                Err(Failure::generic(format!(
                    "ovsdb-server pid {} is stopped (state {})",
                    d.pid, d.state
                )))
            } else {
                self.hand_over(&mut st, &node, &listener)
            };
            match handed {
                Ok(()) => self.inst.watch(d.pid),
                Err(f) => {
                    // A hung server hands nothing over: it goes, and this node's file
                    // keeps its served-last marker (its acknowledged writes are on disk).
                    log::warn!("{}: no handover; stopping it", f.reason);
                    self.shut_down()?;
                    st = self.inst.state();
                    st.remotes.clear();
                }
            }
        }
        st.role = Some(Role::Standby);
        st.replicates = true;
        st.replica = None;
        // No handover (the server was dead or hung): the file holds every write it
        // acknowledged, and scores as its next start will.
        let score = match served_marker(&self.cfg.db_file).exists() {
            true => SCORE_SERVED_LAST,
            false => SCORE_STANDBY,
        };
        self.publish(&mut st, Some(score));
        self.inst.save(&st)?;
        Ok(OcfStatus::Success)
    }

    /// The promotion score a stopped instance leaves: a replicated file this node served
    /// and did not hand over (its server killed) keeps the score its next start gives
    /// it. Pacemaker recovers a failed promoted instance by demote, stop, start and
    /// promote, and plans again after each; with the score deleted at the stop, the plan
    /// in between promoted the other node's replica (and moved the VIP and the SB there)
    /// until the start here gave the score back. Anything else: deleted.
    pub(super) fn score_while_stopped(&self) -> Option<i32> {
        (self.replicates() && served_marker(&self.cfg.db_file).exists())
            .then_some(SCORE_SERVED_LAST)
    }

    /// Demote's handover: the client listeners close, then the token follows every write
    /// acknowledged before; the served-last marker goes. A third of demote's time at most.
    fn hand_over(&self, st: &mut State, node: &str, listener: &str) -> Result<(), Failure> {
        let dl = self.cx.deadline.share(0.3);
        let mut ctl = Unixctl::connect(&self.cfg.ctl(), dl)?;
        for r in st.remotes.iter().filter(|r| *r != listener) {
            ctl.command("ovsdb-server/remove-remote", &[r], dl)
                .map_err(|e| Failure::context(e, format!("cannot close remote {r}")))?;
        }
        st.remotes.retain(|r| r == listener);
        let token = format!("{node}/{}", ovn_ocf::lease::new_token());
        let table = self.cfg.db.global_table();
        let mut db = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl)?;
        let rows = db
            .select(self.cfg.db.schema_name(), Op::select(table, &["_uuid"]), dl)
            .map_err(|e| Failure::context(e, "cannot read the global table"))?;
        let write = if rows.is_empty() {
            Op::insert(
                table,
                &[(
                    "external_ids",
                    ovsdb::Datum::string_map(&[(HANDOVER_KEY.to_string(), token.clone())].into()),
                )],
            )
        } else {
            Op::map_put(table, "external_ids", HANDOVER_KEY, &token)
        };
        db.transact(self.cfg.db.schema_name(), &[write], dl)
            .map_err(|e| Failure::context(e, "cannot write the handover token"))?;
        let marker = served_marker(&self.cfg.db_file);
        if let Err(e) = ovn_ocf::fsutil::remove_durable(&marker) {
            log::warn!("cannot remove {}: {e}", marker.display());
        }
        log::info!(
            "demoted: client listeners closed, handover {token} written; replicas catch up through {listener}"
        );
        Ok(())
    }

    /// Whether this instance handed over and its replication listener is still open (a
    /// demoted instance whose replicas may still be catching up with it).
    pub(super) fn handed_over(&self, st: &State) -> bool {
        self.replicates() && st.role == Some(Role::Standby) && !st.remotes.is_empty()
    }

    /// Stop of an instance that handed over: before ovsdb-server goes, its replicas are
    /// sent everything it holds and their hosts have acknowledged it. When a node goes to
    /// standby, Pacemaker stops its demoted instance before it promotes the other, which
    /// then finds no one to catch up from: a replica that lagged behind lost the writes
    /// it had not received (9,471 of 31,386 in replication-guards' switchover case before
    /// this). ovsdb-server composes a replica's next update only once its backlog is sent,
    /// so: no backlog (`memory/show`, summed over all its clients: a slow local one, such
    /// as this node's northd, holds the stop too) and nothing unacknowledged in the kernel
    /// on the replication port, twice in a row 50 ms apart. 70 % of the stop's time at
    /// most, then it goes anyway, saying what was left.
    ///
    /// A replica on a peer the cluster no longer counts as an online member (powered off,
    /// fenced) is not waited for: its host will never acknowledge (ovsdb-server's own
    /// inactivity probe drops it within about 10 s). While such a connection is open the
    /// backlog, which counts its session too, is not looked at.
    pub(super) fn drain_replicas(&self, pid: i32, dl: Deadline) {
        let port = self.cfg.replication_port;
        let t0 = std::time::Instant::now();
        let mut error = None;
        let mut gone: Vec<(String, IpAddr)> = vec![];
        let mut gone_at: Option<std::time::Instant> = None;
        let mut told: Vec<IpAddr> = vec![];
        let mut left = |ctl: &mut Option<Unixctl>| -> Option<(usize, u64, u64)> {
            if gone_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) {
                gone_at = Some(std::time::Instant::now());
                if let Ok(m) = ovn_ocf::pacemaker::membership(dl.cap(Duration::from_secs(2))) {
                    gone = self
                        .cfg
                        .peers
                        .iter()
                        .filter(|(node, _)| !m.iter().any(|m| &m.name == node && m.online))
                        .cloned()
                        .collect();
                }
            }
            let (mut n, mut unacked, mut lost_peers) = (0, 0, false);
            for (ip, u) in ovn_ocf::process::tcp_accepted_on(pid, port) {
                match gone.iter().find(|(_, a)| *a == ip) {
                    Some((node, _)) => {
                        lost_peers = true;
                        if !told.contains(&ip) {
                            told.push(ip);
                            log::warn!(
                                "not waiting for {node}'s replica ({ip}): {node} is not an online cluster member; {u} bytes sent there are unacknowledged"
                            );
                        }
                    }
                    None => {
                        n += 1;
                        unacked += u;
                    }
                }
            }
            if n == 0 {
                return Some((0, 0, 0));
            }
            if lost_peers {
                return Some((n, unacked, 0));
            }
            let shown = match ctl {
                Some(c) => c.command("memory/show", &[], dl.cap(Duration::from_secs(2))),
                None => Unixctl::connect(&self.cfg.ctl(), dl.cap(Duration::from_secs(2))).and_then(
                    |mut c| {
                        let r = c.command("memory/show", &[], dl.cap(Duration::from_secs(2)));
                        *ctl = Some(c);
                        r
                    },
                ),
            };
            let shown = match shown {
                Ok(s) => s,
                Err(e) => {
                    // A connection that timed out is not used again.
                    *ctl = None;
                    error = Some(e.to_string());
                    return None;
                }
            };
            let backlog = shown
                .split_whitespace()
                .find_map(|kv| kv.strip_prefix("backlog:"))
                .and_then(|b| b.parse().ok())
                .unwrap_or(0);
            Some((n, unacked, backlog))
        };
        let mut ctl = None;
        let mut last = None;
        // The last sample that still had connections: (0, ..) after one that had data
        // left means a connection closed before it received everything.
        let mut before_last = None;
        let mut clear = 0;
        let drained = dl.poll(Duration::from_millis(50), || {
            let now = left(&mut ctl);
            if now.is_some() {
                if last.is_some_and(|(n, _, _)| n > 0) {
                    before_last = last;
                }
                last = now;
            }
            match now {
                Some((0, _, _)) => Some(()),
                Some((_, 0, 0)) => {
                    clear += 1;
                    (clear >= 2).then_some(())
                }
                _ => {
                    clear = 0;
                    None
                }
            }
        });
        match (drained, last, before_last) {
            (Some(()), Some((0, _, _)), Some((n, unacked, backlog)))
                if unacked > 0 || backlog > 0 =>
            {
                log::warn!(
                    "{n} replica connection(s) closed with {unacked} bytes unacknowledged and {backlog} bytes of backlog (all its clients), {} ms into the stop: a replica promoted next may lack writes acknowledged here",
                    t0.elapsed().as_millis()
                )
            }
            (Some(()), Some((n, _, _)), _) if n > 0 => log::info!(
                "handed over: {n} replica connection(s) received everything before the stop ({} ms)",
                t0.elapsed().as_millis()
            ),
            (Some(()), _, _) => {}
            (None, Some((n, unacked, backlog)), _) => log::warn!(
                "stopping with {unacked} bytes unacknowledged on {n} replica connection(s) and {backlog} bytes of backlog (all its clients): a replica promoted next may lack writes acknowledged here"
            ),
            (None, None, _) => log::warn!(
                "stopping without knowing whether the replicas received everything (memory/show: {})",
                error.as_deref().unwrap_or("no answer")
            ),
        }
    }

    /// The `ovn-ocf-<db>-replication` attribute: what this instance's replication does.
    pub(super) fn replication_word(&self, st: &State) -> Option<String> {
        if !self.replicates() || st.role.is_none() {
            return None;
        }
        if st.role == Some(Role::Serving) {
            return Some("promoted: replicas connect to its replication listener".into());
        }
        Some(match &st.replica {
            None => "not replicating: no promoted instance answers".into(),
            Some(r) if r.remote == self.hold_remote() => format!(
                "held read-only, not replicating: {}",
                r.error.as_deref().unwrap_or("-")
            ),
            Some(r) => match (&r.error, r.synced) {
                (Some(e), _) => format!("{} ({}): {e}", r.node, r.remote),
                (None, true) => format!("replicating from {} ({})", r.node, r.remote),
                (None, false) => format!("connecting to {} ({})", r.node, r.remote),
            },
        })
    }
}

/// The last 64 KiB of ovsdb-server's log.
fn log_tail(log: &std::path::Path) -> Option<String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(log).ok()?;
    let len = f.metadata().ok()?.len();
    f.seek(SeekFrom::Start(len.saturating_sub(1 << 16))).ok()?;
    let mut buf = vec![];
    f.read_to_end(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf).into_owned())
}

/// The last thing ovsdb-server logged about its replication going wrong (a WARN or ERR of
/// its replication module, or an ovsdb error), from the last 64 KiB of its log.
fn replication_error(log: &std::path::Path) -> Option<String> {
    log_tail(log)?
        .lines()
        .rfind(|l| {
            l.contains("|replication|WARN|")
                || l.contains("|replication|ERR|")
                || l.contains("|ovsdb_error|ERR|")
        })
        .and_then(|l| l.splitn(5, '|').nth(4))
        .map(|m| m.trim().to_string())
}

/// How the reason of a replica that cannot follow its promoted instance's schema begins:
/// what to do first (Pacemaker keeps 128 bytes of a reason).
const PARTIAL: &str = "held read-only (upgrade OVN on this node, then pcs resource cleanup)";

fn is_partial(e: &str) -> bool {
    e.starts_with(PARTIAL)
}

/// What ovsdb-server logged when it dropped a database from its replication (`Table T not
/// present in the local db schema`, `Column C mismatch in local db schema table T.`),
/// from the last 64 KiB of its log.
fn schema_refusal(log: &std::path::Path) -> Option<String> {
    log_tail(log)?
        .lines()
        .rfind(|l| {
            l.contains("|replication|INFO|")
                && (l.contains("not present in the local") || l.contains("mismatch in local"))
        })
        .and_then(|l| l.splitn(5, '|').nth(4))
        .map(|m| m.trim().trim_end_matches('.').to_string())
}

/// Whether ovsdb-server logged, since it last connected to the server it replicates from,
/// that it cannot replicate `db` (`<db> cannot be replicated.`): a peer that serves no
/// anchor then leaves it connecting for good (it waits for the anchor's monitor reply,
/// which never comes), read-only.
fn refused_since_connected(log: &str, db: &str) -> bool {
    let refusal = format!("|replication|INFO|{db} cannot be replicated.");
    let mut refused = false;
    for l in log.lines() {
        if l.contains("|reconnect|INFO|") && l.trim_end().ends_with(": connected") {
            refused = false;
        } else if l.contains(&refusal) {
            refused = true;
        }
    }
    refused
}

/// Where `sync-status` says ovsdb-server replicates from (`replicating: R`,
/// `connecting: R`, `not connected to R`, `Replication to (R) failed`), if it names it.
fn sync_target(text: &str) -> Option<String> {
    text.lines().map(str::trim).find_map(|l| {
        l.strip_prefix("replicating: ")
            .or_else(|| l.strip_prefix("connecting: "))
            .or_else(|| l.strip_prefix("not connected to "))
            .or_else(|| {
                l.strip_prefix("Replication to (")?
                    .split_once(')')
                    .map(|(r, _)| r)
            })
            .map(|r| r.trim().to_string())
    })
}

/// Whether a file held rows of its own (more than its schema record) when it was
/// verified.
fn holds_rows(found: &ovn_ocf::dbfile::Verdict) -> bool {
    use ovn_ocf::dbfile::Verdict;
    match found {
        Verdict::Clean { records, .. } | Verdict::TornTail { records, .. } => *records > 1,
        Verdict::Corrupt { record, .. } => *record > 1,
        _ => false,
    }
}

/// The promotion score of an unpromoted replica: current ones first.
fn replica_score(st: &State, seen: Option<&Seen>, served_last: bool) -> i32 {
    if served_last && st.replica.is_none() {
        return SCORE_SERVED_LAST;
    }
    match (seen, &st.replica) {
        (Some(Seen::Replicating), _) => SCORE_STANDBY,
        // A demoted instance handing over holds everything it acknowledged.
        (Some(Seen::Idle), None) if !st.remotes.is_empty() => SCORE_STANDBY,
        (Some(Seen::Failed(_) | Seen::Elsewhere(_) | Seen::Held(_) | Seen::Partial), _) => {
            SCORE_NO_COPY
        }
        (_, Some(r)) if r.synced => SCORE_COPIED_DISCONNECTED,
        (_, None) if st.own_data => SCORE_OWN_DATA,
        _ => SCORE_NO_COPY,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_anchor_is_a_database_named_as_the_agent_checks() {
        let rec = ovn_ocf::dbfile::encode_record(ANCHOR_SCHEMA.as_bytes());
        let v: serde_json::Value = serde_json::from_str(ANCHOR_SCHEMA).unwrap();
        assert_eq!(v["name"], ANCHOR_DB);
        assert!(
            !ANCHOR_DB.starts_with('_'),
            "ovsdb-server replicates no _ database"
        );
        let found = ovn_ocf::dbfile::inspect_reader(&rec[..], rec.len() as u64).unwrap();
        assert!(found.verdict.is_clean());
    }

    /// ovsdb-server 3.1's log as it reconnected to an upgraded peer, and again later.
    #[test]
    fn a_refusal_counts_until_the_next_connection() {
        let refused = "\
2026-12-01T08:49:35.144Z|00009|reconnect|INFO|tcp:127.0.0.1:46651: connected
2026-12-01T08:49:35.147Z|00010|replication|INFO|Schema version mismatch, checking if OVN_Northbound can still be replicated or not.
2026-12-01T08:49:35.147Z|00011|replication|INFO|Table Upgrade_Only not present in the local db schema
2026-12-01T08:49:35.147Z|00012|replication|INFO|OVN_Northbound cannot be replicated.
";
        assert!(refused_since_connected(refused, "OVN_Northbound"));
        assert!(!refused_since_connected(refused, "OVN_Southbound"));
        let again = format!(
            "{refused}2026-12-01T08:50:01.000Z|00013|reconnect|INFO|tcp:127.0.0.1:46651: connected\n"
        );
        assert!(!refused_since_connected(&again, "OVN_Northbound"));
        assert!(!refused_since_connected("", "OVN_Northbound"));
    }

    /// sync-status as ovsdb-server 3.1 prints it in each replication state.
    #[test]
    fn sync_status_names_its_target() {
        let t = |s: &str| sync_target(s);
        assert_eq!(
            t("state: backup\nreplicating: tcp:10.0.0.1:6651\ndatabase: OVN_Northbound\n")
                .as_deref(),
            Some("tcp:10.0.0.1:6651")
        );
        assert_eq!(
            t("state: backup\nconnecting: tcp:[::1]:6651\n").as_deref(),
            Some("tcp:[::1]:6651")
        );
        assert_eq!(
            t("state: backup\nnot connected to tcp:10.0.0.1:6651").as_deref(),
            Some("tcp:10.0.0.1:6651")
        );
        assert_eq!(
            t("state: backup\nReplication to (tcp:10.0.0.1:6651) failed\n").as_deref(),
            Some("tcp:10.0.0.1:6651")
        );
        assert_eq!(t("state: active\n"), None);
    }
}

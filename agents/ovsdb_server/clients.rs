//! The clients of a serving database, kept for the node that takes it over: beside its
//! file on the shared storage (`storage=shared`: `.<db file>.clients`, one connection per
//! line), or in the cluster (`rebuild`, `replicate`: the CIB property
//! `ovn-ocf-<db>-clients`, connections separated by `;`, at most [`IN_CIB_MAX`] bytes).
//! Its start (or promotion) ends their old connections at once, with a tickle ACK each
//! (`ovn_ocf::tickle`), once its listeners are open.
//!
//! Without it, a client of a node that lost its power learns that its connection is
//! gone only when it next sends something and a retransmission reaches the new node
//! (whose kernel resets it), or from its inactivity probe (OVN's IDL clients: 5 s idle,
//! then 5 s unanswered, by default): northd, ovn-controller and Neutron then wait their
//! reconnect backoff on top.
//!
//! Written by a recurring monitor of a serving database whose listeners are open, only
//! when the list changed (a digest of it is in the state file). The connections are read
//! at the first monitor after the listeners opened, then only when the count of TCP
//! sockets in use in the server's network namespace is not what it was at the last read
//! (/proc/PID/net/sockstat{,6}: counters; something connected or went), and at least
//! every [`SCAN_EVERY`] (one connection replaced by another between two monitors leaves
//! the count as it was). Not at every monitor: reading /proc/PID/net/tcp makes the
//! kernel walk its whole table of connections, whatever the server holds (here, 2-3 ms
//! per table, tcp and tcp6, and about 5 µs per descriptor to tell the server's sockets: a
//! depth-0 monitor took 11 ms instead of 1.7 ms with 200 clients:
//! `ocf-tests/bench/clients_monitor.py`). A client that
//! connected since the last read is not in the list: it finds out the old way. A
//! connection whose server address is not on this node yet when the listeners open
//! (shape D starts its VIP after the promotion) is tried again by the monitors for
//! [`PENDING_FOR`]. Never fails an action.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;

use ovn_ocf::ovn::Db;
use ovn_ocf::state::{State, TicklePending};
use ovn_ocf::tickle::Conn;
use ovn_ocf::{fsutil, lease, pacemaker, process, tickle};

use super::{Server, Storage};

/// A monitor reads the clients' connections at least this often (see the module's
/// comment).
pub const SCAN_EVERY: Duration = Duration::from_secs(10);

/// How long after the listeners opened the monitors still send the tickle ACKs of
/// connections whose address was not on this node then (shape D's VIP starts after the
/// promotion).
pub const PENDING_FOR: Duration = Duration::from_secs(30);

/// At most this many connections are kept (a bound on the file, not a limit anyone
/// should meet: one line is some 40 bytes).
const MAX_CONNS: usize = 100_000;

/// Longer than this, the list kept in the CIB is cut (its first connections kept): a
/// CIB property is read and written by every node.
pub const IN_CIB_MAX: usize = 20_000;

/// The CIB property that keeps the clients of `db` (`storage=rebuild`, `replicate`).
pub fn clients_property(db: Db) -> String {
    format!("ovn-ocf-{}-clients", db.key())
}

/// `<dir>/.<db file>.clients`.
fn clients_file(db_file: &Path) -> PathBuf {
    fsutil::beside(db_file, "clients")
}

fn digest<T: Hash + ?Sized>(what: &T) -> u64 {
    let mut h = DefaultHasher::new();
    what.hash(&mut h);
    h.finish()
}

impl Server<'_> {
    /// In the CIB, not beside the file (which the next node could not read).
    fn clients_in_cib(&self) -> bool {
        self.cfg.storage != Storage::Shared
    }

    /// Keeps `text` (the list, one connection per line) where the next node finds it.
    fn keep_clients(&self, text: &str) -> Result<String, String> {
        if self.clients_in_cib() {
            let name = clients_property(self.cfg.db);
            let mut value = String::new();
            for line in text.lines() {
                if value.len() + line.len() + 1 > IN_CIB_MAX {
                    break;
                }
                value.push_str(line);
                value.push(';');
            }
            pacemaker::set_cluster_property(&name, &value, self.cx.deadline.share(0.2))
                .map_err(|e| format!("cannot set the cluster's {name}: {e}"))?;
            return Ok(format!("the cluster's {name}"));
        }
        let file = clients_file(&self.cfg.db_file);
        fsutil::write_atomic(&file, text.as_bytes(), 0o644)
            .map_err(|e| format!("cannot write {}: {e}", file.display()))?;
        Ok(file.display().to_string())
    }

    /// The list kept by the node that served last, and where it was; None when there is
    /// none.
    fn kept_clients(&self) -> Option<(String, String)> {
        if self.clients_in_cib() {
            let name = clients_property(self.cfg.db);
            return match pacemaker::cluster_property(&name, self.cx.deadline.share(0.1)) {
                Ok(v) => v.map(|v| (v.replace(';', "\n"), format!("the cluster's {name}"))),
                Err(e) => {
                    log::warn!("cannot read the cluster's {name}: {e}");
                    None
                }
            };
        }
        let file = clients_file(&self.cfg.db_file);
        match std::fs::read_to_string(&file) {
            Ok(t) => Some((t, file.display().to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => {
                log::warn!("cannot read the clients in {}: {e}", file.display());
                None
            }
        }
    }

    /// A recurring monitor of a serving database, when a read is due (see the module's
    /// comment): the list of its clients rewritten when it changed. Only while its
    /// listeners are open.
    pub(super) fn watch_clients(&self, st: &mut State) {
        if st.remotes.is_empty() {
            return;
        }
        self.retry_tickles(st);
        let Some(d) = self.daemon() else { return };
        let now = lease::now_ms();
        let sockets = digest(&process::tcp_in_use(d.pid));
        if st.clients.due_ms.is_some_and(|due| now < due) && st.clients.sockets == Some(sockets) {
            return;
        }
        st.clients.due_ms = Some(now + SCAN_EVERY.as_millis() as u64);
        st.clients.sockets = Some(sockets);
        let mut conns = process::tcp_accepted(d.pid);
        conns.sort();
        conns.dedup();
        conns.truncate(MAX_CONNS);
        let text = tickle::format(&conns);
        let sum = digest(&text);
        if st.clients.kept == Some(sum) {
            return;
        }
        match self.keep_clients(&text) {
            Ok(at) => {
                log::debug!("{} clients kept in {at}", conns.len());
                st.clients.kept = Some(sum);
            }
            Err(why) => log::warn!("cannot keep the clients: {why}"),
        }
    }

    /// The listeners just opened (a start, a promotion, an NB whose rebuild is done):
    /// every connection the list names whose server address is now on this node is
    /// ended at once (its client reconnects, to this node). Those still open here are not
    /// harmed. The others are left to the monitors for [`PENDING_FOR`].
    pub(super) fn tickle_clients(&self, st: &mut State) {
        st.tickle_pending = None;
        let Some((text, from)) = self.kept_clients() else {
            return;
        };
        let conns = tickle::parse(&text);
        if conns.is_empty() {
            return;
        }
        let waiting = self.tickle(&conns, &format!("from {from}"));
        if !waiting.is_empty() {
            st.tickle_pending = Some(TicklePending {
                conns: tickle::format(&waiting),
                until_ms: lease::now_ms() + PENDING_FOR.as_millis() as u64,
            });
        }
    }

    /// A monitor: the tickle ACKs left over when the listeners opened, for the
    /// connections whose address has come to this node since.
    fn retry_tickles(&self, st: &mut State) {
        let Some(p) = st.tickle_pending.take() else {
            return;
        };
        let conns = tickle::parse(&p.conns);
        let waiting = self.tickle(
            &conns,
            "whose address came to this node after its listeners opened",
        );
        if waiting.is_empty() {
            return;
        }
        if lease::now_ms() >= p.until_ms {
            log::info!(
                "{} earlier connections not ended: their server address is still not on this node {} s after its listeners opened",
                waiting.len(),
                PENDING_FOR.as_secs()
            );
            return;
        }
        st.tickle_pending = Some(TicklePending {
            conns: tickle::format(&waiting),
            until_ms: p.until_ms,
        });
    }

    /// One tickle ACK for every connection of `conns` whose server address is on this
    /// node, logged when any was sent or failed; the connections whose address is not.
    fn tickle(&self, conns: &[Conn], what: &str) -> Vec<Conn> {
        let s = tickle::send(conns);
        if s.sent + s.failed > 0 {
            let failed = match &s.error {
                Some(why) => format!(", {} failed (first: {why})", s.failed),
                None => String::new(),
            };
            log::info!(
                "ended the earlier connections of {} clients (tickle ACKs, {what}): {} sent, {} to addresses not on this node{failed}",
                conns.len(),
                s.sent,
                s.not_here.len()
            );
        }
        s.not_here
    }
}

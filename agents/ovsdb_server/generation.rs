//! Shape C (`storage=rebuild`): every node keeps its own database file, so a node that
//! takes over must tell the file that served last from one an earlier term of its own
//! left behind. A generation does: the cluster keeps the current one (the CIB property
//! `ovn-ocf-<db>-generation`, e.g. `7@node2`) and every file carries the one it served
//! under beside it (`.<db file>.generation`).
//!
//! - start: a file whose generation is the cluster's is the current one (a restart in
//!   place, e.g. after a kill -9) and serves as it is, after the usual verification. Any
//!   other is stale: the repair pipeline backs it up byte-exact and replaces it with a new
//!   one, which NB's repair_hook or the SB gate rebuilds with the listeners closed.
//! - the listeners open: the generation moves to this node first (cluster, then the file
//!   beside it). Not before: a takeover whose rebuild fails leaves the last file current,
//!   so the next start on its node serves it as it is.
//! - no generation in the cluster yet (a new cluster, or one migrating to shape C): the
//!   file found serves as it is and becomes generation 1.
//!
//! The SB's tunnel keys (`tunnel_keys.rs`) are kept in the cluster too, as the CIB
//! property `ovn-ocf-sb-tunnel-keys`: the node that rebuilds its SB seeds it with the
//! keys of the node that served last, not with those of its own earlier term.

use std::path::{Path, PathBuf};

use ovn_ocf::ocf::Failure;
use ovn_ocf::ovn::Db;
use ovn_ocf::{fsutil, pacemaker};

use super::Server;
use super::config::Storage;
use super::tunnel_keys::keys_file;

/// Longer than this, the SB's tunnel keys are not written into the CIB (a command-line
/// argument of crm_attribute is at most 128 KiB; a CIB that large slows every node).
pub const KEYS_IN_CIB_MAX: usize = 100_000;

/// The CIB property that holds the cluster's current generation of `db`.
pub fn generation_property(db: Db) -> String {
    format!("ovn-ocf-{}-generation", db.key())
}

/// `.<db file>.generation`, beside the database: the generation it served under.
pub fn generation_file(db_file: &Path) -> PathBuf {
    fsutil::beside(db_file, "generation")
}

/// The generation beside a database file, if any.
pub fn read_local(file: &Path) -> Option<String> {
    std::fs::read_to_string(file)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

/// How long a host the cluster lost gets to show it is still up: on the takeover path of
/// every shape C power-off, where it is down and costs this once per address; a live
/// host on the cluster's network answers a connection within milliseconds.
const CUT_OFF_PATIENCE: std::time::Duration = std::time::Duration::from_millis(250);

/// Whether a host answers a TCP connection to `port` within `patience`: accepted, or
/// refused by its kernel (nothing listens there, but the host is up).
fn host_answers(addr: std::net::IpAddr, port: u16, patience: std::time::Duration) -> bool {
    match std::net::TcpStream::connect_timeout(&std::net::SocketAddr::new(addr, port), patience) {
        Ok(_) => true,
        Err(e) => e.kind() == std::io::ErrorKind::ConnectionRefused,
    }
}

/// The generation after `current` (`N@node`), taken by `node`.
pub fn next_generation(current: Option<&str>, node: &str) -> String {
    let n = current
        .and_then(|c| c.split('@').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or(0);
    format!("{}@{node}", n + 1)
}

impl Server<'_> {
    fn rebuilds(&self) -> bool {
        self.cfg.storage == Storage::Rebuild
    }

    pub(super) fn generation_property(&self) -> String {
        generation_property(self.cfg.db)
    }

    pub(super) fn keys_property(&self) -> String {
        format!("ovn-ocf-{}-tunnel-keys", self.cfg.db.key())
    }

    fn cluster_generation(&self) -> Result<Option<String>, Failure> {
        let name = self.generation_property();
        pacemaker::cluster_property(&name, self.cx.deadline.share(0.2)).map_err(|e| {
            Failure::context(
                e,
                format!(
                    "cannot read the cluster's {name} (is this node in the cluster, with quorum?)"
                ),
            )
        })
    }

    /// storage=rebuild, before the repair: why db_file is not the current one (None: it
    /// is, or storage is another). A stale SB gets the cluster's tunnel keys beside it.
    pub(super) fn stale_file(&self) -> Result<Option<String>, Failure> {
        if !self.rebuilds() {
            return Ok(None);
        }
        let file = generation_file(&self.cfg.db_file);
        let local = read_local(&file);
        let Some(cluster) = self.cluster_generation()? else {
            log::info!(
                "no {} in the cluster yet: {} serves as it is found (generation {})",
                self.generation_property(),
                self.cfg.db_file.display(),
                local.as_deref().unwrap_or("none")
            );
            return Ok(None);
        };
        if local.as_deref() == Some(cluster.as_str()) {
            log::info!(
                "{} is the current file (generation {cluster})",
                self.cfg.db_file.display()
            );
            return Ok(None);
        }
        if let Some((_, owner)) = cluster.split_once('@')
            && owner != self.node()
        {
            self.refuse_if_cut_off(owner)?;
        }
        let why = format!(
            "{} is of generation {}, the cluster's is {cluster}: another node served since",
            self.cfg.db_file.display(),
            local.as_deref().unwrap_or("none")
        );
        log::warn!("{why}; it is backed up and rebuilt");
        if self.keeps_tunnel_keys() {
            self.fetch_tunnel_keys();
        }
        Ok(Some(why))
    }

    /// storage=rebuild, taking over from `owner`, the node that served last: refused while
    /// the cluster does not count it as an online member but its host still answers on
    /// the network (a connection to one of its Corosync addresses on this database's port
    /// accepted or refused, within CUT_OFF_PATIENCE). Such a node was cut off, not fenced
    /// (stonith disabled, its corosync killed): its ovsdb-server may still serve, and a
    /// rebuilt database here would be a second one taking writes. A fenced or powered-off
    /// host does not answer. Anything unknown (no membership, no addresses) lets it go on.
    fn refuse_if_cut_off(&self, owner: &str) -> Result<(), Failure> {
        let dl = self.cx.deadline.share(0.1);
        let members = match pacemaker::membership(dl) {
            Ok(m) => m,
            Err(e) => {
                log::warn!(
                    "cannot read the cluster's membership ({e}): not checking whether {owner} still runs"
                );
                return Ok(());
            }
        };
        if members.iter().any(|m| m.name == owner && m.online) {
            return Ok(());
        }
        let addresses = match pacemaker::corosync_addresses(owner, dl) {
            Ok(a) => a,
            Err(e) => {
                log::warn!(
                    "cannot read {owner}'s addresses from Corosync ({e}): not checking whether it still runs"
                );
                return Ok(());
            }
        };
        for a in &addresses {
            if host_answers(*a, self.cfg.port, CUT_OFF_PATIENCE) {
                // What to do first: Pacemaker keeps 128 bytes of a reason.
                return Err(Failure::generic(format!(
                    "fence {owner}, then pcs resource cleanup: {owner} is out of the cluster but its host is up (answers at {a}), cut off and not fenced; it served {} last and may still serve (or stop its ovsdb-servers and VIP), and a database rebuilt here would be a second one taking writes",
                    self.cfg.db.schema_name()
                )));
            }
        }
        if addresses.is_empty() {
            log::warn!(
                "{owner} served last and Corosync names no address for it: not checking whether it still runs"
            );
        } else {
            log::info!(
                "{owner} served last and does not answer at {} (fenced or down): taking over",
                addresses
                    .iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
        Ok(())
    }

    /// storage=rebuild, just before the listeners open: this node's file becomes the
    /// current one (the cluster's generation first, then the file's).
    pub(super) fn claim_generation(&self) -> Result<(), Failure> {
        if !self.rebuilds() {
            return Ok(());
        }
        let file = generation_file(&self.cfg.db_file);
        let local = read_local(&file);
        let cluster = self.cluster_generation()?;
        if cluster.is_some() && cluster == local {
            return Ok(());
        }
        let next = next_generation(cluster.as_deref(), &self.node());
        let name = self.generation_property();
        pacemaker::set_cluster_property(&name, &next, self.cx.deadline.share(0.2))
            .map_err(|e| Failure::context(e, format!("cannot set the cluster's {name}")))?;
        fsutil::write_atomic(&file, format!("{next}\n").as_bytes(), 0o644)
            .map_err(|e| Failure::local_io(format!("cannot write {}: {e}", file.display()), &e))?;
        log::info!(
            "{} is the current file: generation {next} (was {})",
            self.cfg.db_file.display(),
            cluster.as_deref().unwrap_or("none")
        );
        Ok(())
    }

    /// storage=rebuild: the SB's tunnel keys (JSON, as beside the file) into the CIB.
    pub(super) fn share_tunnel_keys(&self, json: &[u8]) -> Result<(), Failure> {
        if !self.rebuilds() {
            return Ok(());
        }
        let name = self.keys_property();
        if json.len() > KEYS_IN_CIB_MAX {
            log::warn!(
                "the SB's tunnel keys take {} bytes, more than {KEYS_IN_CIB_MAX} kept in the cluster's {name}: a node that rebuilds the SB numbers the newer ones anew",
                json.len()
            );
            return Ok(());
        }
        let text = String::from_utf8_lossy(json);
        pacemaker::set_cluster_property(&name, &text, self.cx.deadline.share(0.3))
            .map_err(|e| Failure::context(e, format!("cannot set the cluster's {name}")))
    }

    /// A stale SB: the cluster's tunnel keys replace the ones its own earlier term left
    /// beside it. Never fails the start (the gate does without, as with a lost file).
    fn fetch_tunnel_keys(&self) {
        let name = self.keys_property();
        let file = keys_file(&self.cfg.db_file);
        match pacemaker::cluster_property(&name, self.cx.deadline.share(0.2)) {
            Ok(Some(json)) => match fsutil::write_atomic(&file, json.as_bytes(), 0o644) {
                Ok(()) => log::info!("the cluster's {name} copied to {}", file.display()),
                Err(e) => log::warn!("cannot write {}: {e}", file.display()),
            },
            Ok(None) => log::info!(
                "no {name} in the cluster: the SB gate uses {} as this node left it",
                file.display()
            ),
            Err(e) => log::warn!("cannot read the cluster's {name}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Up: a listener accepts, and a port nobody listens on is refused by the kernel.
    #[test]
    fn a_host_that_is_up_answers_on_any_port() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = l.local_addr().unwrap().port();
        let closed = {
            let t = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            t.local_addr().unwrap().port()
        };
        let lo = "127.0.0.1".parse().unwrap();
        let patience = std::time::Duration::from_secs(5);
        assert!(host_answers(lo, open, patience));
        assert!(host_answers(lo, closed, patience));
    }

    #[test]
    fn generations_count_up_and_name_the_node() {
        assert_eq!(next_generation(None, "node1"), "1@node1");
        assert_eq!(next_generation(Some("7@node1"), "node2"), "8@node2");
        assert_eq!(next_generation(Some("garbage"), "node2"), "1@node2");
    }
}

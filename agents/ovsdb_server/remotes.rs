//! The client listeners: opened only once the database is ready, closed first on the way
//! down. The agent's own `p<protocol>:<port>:<listen_address>`, and with
//! `use_remote_in_db` the database's own Connection table (with the configured inactivity
//! probe kept in a Connection row of ours).

use std::time::Duration;

use ovn_ocf::jsonrpc::Endpoint;
use ovn_ocf::ocf::Failure;
use ovn_ocf::ovsdb::{Ovsdb, Unixctl};
use ovn_ocf::process;

use super::Server;

impl Server<'_> {
    /// Opens the client listeners and waits until ours is bound. Returns the remotes added.
    pub(super) fn open_remotes(&self, pid: i32) -> Result<Vec<String>, Failure> {
        self.claim_generation()?;
        let dl = self.cx.deadline;
        let mut remotes = Vec::new();
        let mut covered_by_db = false;
        if self.cfg.use_remote_in_db {
            let schema = self.cfg.db.schema_name();
            let read_failed = |e| Failure::context(e, "cannot read the Connection table");
            let mut db = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl)?;
            let mut conns = db.connections(schema, dl).map_err(read_failed)?;
            if let Some(probe) = self.cfg.inactivity_probe {
                let target = self.cfg.listen_target();
                let global = self.cfg.db.global_table();
                let wrote = db
                    .ensure_connection(schema, global, &conns, &target, probe, dl)
                    .map_err(|e| {
                        Failure::context(e, format!("cannot set inactivity_probe on {target}"))
                    })?;
                if wrote {
                    log::info!("Connection {target} has inactivity_probe={probe}");
                    conns = db.connections(schema, dl).map_err(read_failed)?;
                }
            }
            covered_by_db = conns
                .iter()
                .any(|c| passive_port(&c.target) == Some(self.cfg.port));
            remotes.push(self.cfg.db_remote());
        }
        if !covered_by_db {
            remotes.push(self.cfg.listen_target());
        } else {
            log::info!(
                "port {} is opened by the database's own connections",
                self.cfg.port
            );
        }
        let mark = process::log_size(&self.cfg.log_file);
        let mut ctl = Unixctl::connect(&self.cfg.ctl(), dl)?;
        for r in &remotes {
            ctl.command("ovsdb-server/add-remote", &[r], dl)
                .map_err(|e| Failure::context(e, format!("cannot open remote {r}")))?;
        }
        let port = self.cfg.port;
        let bound = dl.poll(Duration::from_millis(10), || {
            let bound = process::tcp_listeners(pid).iter().any(|l| {
                l.port == port
                    && (l.addr == self.cfg.listen_address
                        || self.cfg.listen_address.is_unspecified()
                        || l.addr.is_unspecified())
            });
            if bound {
                return Some(Ok(()));
            }
            process::logged_error(&self.cfg.log_file, mark, Some("listen failed")).map(|err| {
                Err(Failure::generic(if covered_by_db {
                    format!(
                        "cannot open the database's own connection on port {port}: {err} (an address this node does not have, e.g. a VIP that starts after this resource: have it listen on all addresses, ovn-{}ctl set connection . target=\"p{}\\:{port}\\:0.0.0.0\", or set use_remote_in_db=false)",
                        self.cfg.db.key(),
                        if self.cfg.protocol == super::Protocol::Ssl { "ssl" } else { "tcp" }
                    )
                } else {
                    format!(
                        "cannot listen on {}: {err} (is another process using port {port}?)",
                        self.cfg.listen_target()
                    )
                }))
            })
        });
        match bound {
            Some(Ok(())) => {
                log::info!(
                    "listening on {} (remotes: {})",
                    self.cfg.listen_target(),
                    remotes.join(" ")
                );
                Ok(remotes)
            }
            Some(Err(f)) => Err(f),
            None => Err(Failure::generic(format!(
                "ovsdb-server did not listen on {} before the timeout",
                self.cfg.listen_target()
            ))),
        }
    }
}

/// The port of a passive remote target (`ptcp:6641`, `pssl:6641:[::1]`), if it is one.
pub fn passive_port(target: &str) -> Option<u16> {
    let rest = target
        .strip_prefix("ptcp:")
        .or_else(|| target.strip_prefix("pssl:"))?;
    rest.split(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passive_ports() {
        assert_eq!(passive_port("ptcp:6641:0.0.0.0"), Some(6641));
        assert_eq!(passive_port("pssl:6642"), Some(6642));
        assert_eq!(passive_port("pssl:6642:[::1]"), Some(6642));
        assert_eq!(passive_port("tcp:1.2.3.4:6641"), None);
        assert_eq!(passive_port("punix:/x"), None);
    }
}

//! `ocf:ovn-ocf:ovsdb-server`: one OVN database (`db=nb|sb`) served by Debian's
//! ovsdb-server, spawned directly (Pacemaker is the supervisor), as a primitive or as a
//! promotable clone whose unpromoted instances are cheap hot standbys.
//!
//! Serving goes guard → prepare database → serve locally → rebuild → open remotes, so
//! controllers and the CMS only see a database that is ready. Owns the daemon it spawns,
//! its state file and the owner record; the database file itself is only created or
//! repaired through the library's repair pipeline, never edited here.
//!
//! One file per concern, each extending [`Server`] (one action on one resource):
//! `params` (the table), `config` (typed configuration), `serving` (serve and shut down),
//! `ownership` (owner record, lease keeper), `rebuild` (repair, rebuild marker, hook),
//! `nb_rebuild` (NB's rebuild, run in the SB's start once both serve locally),
//! `sb_gate`, `remotes` (listeners, Connection table), `clients` (the clients kept for
//! the next node, their old connections ended at a takeover), `health` (monitor), `busy`
//! (a late control socket: busy or hung), `storage` (free space while serving:
//! compaction, the storage attribute), `memo` (what a serving database keeps beside its
//! file for a start that finds it lost), `tunnel_keys` (the SB's tunnel keys, put back by
//! the SB gate after a loss), `replica` (storage=replicate), `generation`
//! (storage=rebuild: the current file told from a stale one).

mod busy;
mod clients;
mod config;
mod generation;
mod health;
mod memo;
mod nb_rebuild;
mod ownership;
mod params;
mod rebuild;
mod remotes;
mod replica;
mod sb_gate;
mod serving;
pub mod storage;
mod tunnel_keys;

use std::time::Duration;

use ovn_ocf::ocf::{ActionResult, OcfStatus};
use ovn_ocf::pacemaker;
use ovn_ocf::process::ProcInfo;
use ovn_ocf::state::Role;
use ovn_ocf::state::State;

use crate::framework::{Actions, AgentDef, Resource, SCORE_STANDBY};

pub use config::{Config, HookWhen, Protocol, Ssl, Storage};
pub use generation::{generation_file, generation_property, read_local as read_generation};
pub use nb_rebuild::held_file;
pub use params::SPEC;
pub use rebuild::rebuild_marker;
pub use remotes::passive_port;
pub use sb_gate::GATE_ATTR;
pub use tunnel_keys::keys_file;

pub const AGENT: AgentDef = AgentDef::of::<Config>();

/// One action on one resource (see `framework::Resource`).
pub type Server<'a> = Resource<'a, Config>;

impl Server<'_> {
    fn daemon(&self) -> Option<ProcInfo> {
        self.inst.daemon()
    }

    fn node(&self) -> String {
        pacemaker::local_node_name(
            self.cx.meta.on_node.as_deref(),
            self.cx.deadline.cap(Duration::from_secs(5)),
        )
    }

    /// The score (promotable clones) and the node attributes `crm_mon -A` shows: the
    /// role, and the last repair while the resource runs here; the storage attribute
    /// (the monitor's to set) goes when the database no longer serves here.
    fn publish(&self, st: &mut State, score: Option<i32>) {
        let role = if st.awaiting_rebuild && st.role.is_some() {
            Some("waiting-for-rebuild")
        } else {
            pacemaker::role_word(st.role)
        };
        let repair = st.role.and(st.repair.clone());
        let storage_attr = self.cfg.storage_attr();
        let storage = if st.role == Some(Role::Serving) {
            st.attrs.get(&storage_attr).cloned()
        } else {
            None
        };
        let replication = self.replication_word(st);
        self.inst.publish(
            st,
            score,
            &[
                (&self.cfg.role_attr(), role),
                (&self.cfg.repair_attr(), repair.as_deref()),
                (&storage_attr, storage.as_deref()),
                (&self.cfg.replication_attr(), replication.as_deref()),
            ],
        );
    }
}

impl Actions for Server<'_> {
    fn start(&self) -> ActionResult {
        if self.replicates() {
            return self.start_replica();
        }
        if !self.cx.meta.promotable {
            self.serve()?;
            return Ok(OcfStatus::Success);
        }
        // Hot standby: record the role, touch nothing on the (shared) storage.
        let mut st = self.inst.state();
        if st.role.is_none() {
            st.role = Some(if self.daemon().is_some() {
                Role::Serving
            } else {
                Role::Standby
            });
        }
        self.publish(&mut st, Some(SCORE_STANDBY));
        self.inst.save(&st)?;
        Ok(OcfStatus::Success)
    }

    fn demote(&self) -> ActionResult {
        if self.replicates() {
            return self.demote_replica();
        }
        self.shut_down()?;
        let mut st = self.inst.state();
        st.role = Some(Role::Standby);
        st.remotes.clear();
        st.keeper = None;
        self.publish(&mut st, Some(SCORE_STANDBY));
        self.inst.save(&st)?;
        Ok(OcfStatus::Success)
    }

    fn stop(&self) -> ActionResult {
        self.shut_down()?;
        self.inst.forget(
            &[
                &self.cfg.role_attr(),
                &self.cfg.repair_attr(),
                &self.cfg.storage_attr(),
                &self.cfg.replication_attr(),
            ],
            self.score_while_stopped(),
        );
        Ok(OcfStatus::Success)
    }

    fn monitor(&self) -> ActionResult {
        self.check()
    }

    fn promote(&self) -> ActionResult {
        if self.replicates() {
            return self.promote_replica();
        }
        self.serve()?;
        Ok(OcfStatus::Success)
    }
}

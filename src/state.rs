//! An agent's memory between actions on one node: the role it was asked for and the last
//! promotion score and node attributes it wrote, so that those CIB writes happen only on
//! change. Lives in the run dir (tmpfs: gone after a reboot, which is right).
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
}

impl State {
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
}

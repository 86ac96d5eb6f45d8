//! What a serving database leaves beside its file for the start that finds it lost: the
//! SB's tunnel keys (`tunnel_keys.rs`, `.<db file>.tunnel-keys`), and how many logical
//! switches, ports and routers NB held (`nb_rebuild.rs`, `.<db file>.held`), the figure a
//! rebuild is checked against when nothing else says it (a missing file has no backup).
//!
//! Written by a recurring monitor of a serving database whose listeners are open, at
//! most once every [`SAVE_EVERY`] (a select or two over the local socket; a file is
//! rewritten only when what it says changed), and by a stop of a database whose
//! listeners were open (one that never opened may be half rebuilt, or wait for it). Never fails an action: a memo it cannot write
//! is logged, and the start that would have used it does without.

use std::time::Duration;

use ovn_ocf::lease;
use ovn_ocf::ocf::Deadline;
use ovn_ocf::state::State;

use super::Server;

/// A monitor saves at most this often.
pub const SAVE_EVERY: Duration = Duration::from_secs(15);

/// Less of the monitor's time left than this: the save waits for the next monitor.
const SAVE_NEEDS: Duration = Duration::from_secs(2);

impl Server<'_> {
    fn keeps_memo(&self) -> bool {
        self.keeps_tunnel_keys() || self.keeps_held()
    }

    fn save_memo(&self, deadline: Deadline) {
        let saved = if self.keeps_tunnel_keys() {
            self.save_tunnel_keys(deadline).map(|_| ())
        } else {
            self.save_held(deadline)
        };
        if let Err(f) = saved {
            log::warn!(
                "cannot keep what {} holds beside it: {}",
                self.cfg.db_file.display(),
                f.reason
            );
        }
    }

    /// A recurring monitor of a serving database: the memo saved when [`SAVE_EVERY`]
    /// has passed since the last look. Only while its listeners are open: an NB waiting
    /// for its rebuild holds what was lost, not what it held, and a memo of that would
    /// hide the loss from the next start's check.
    pub(super) fn watch_memo(&self, st: &mut State) {
        if !self.keeps_memo() || st.awaiting_rebuild || st.remotes.is_empty() {
            return;
        }
        let now = lease::now_ms();
        if st
            .memo_ms
            .is_some_and(|t| now.saturating_sub(t) < SAVE_EVERY.as_millis() as u64)
            || self.cx.deadline.remaining() < SAVE_NEEDS
        {
            return;
        }
        st.memo_ms = Some(now);
        self.save_memo(self.cx.deadline.share(0.5));
    }

    /// A stop of a database whose listeners were open: the memo as it leaves it.
    pub(super) fn save_memo_at_stop(&self, had_remotes: bool) {
        if had_remotes && self.keeps_memo() {
            self.save_memo(self.cx.deadline.share(0.2));
        }
    }
}

//! What a serving database leaves beside its file for the start that finds it lost: the
//! SB's tunnel keys (`tunnel_keys.rs`, `.<db file>.tunnel-keys`), and how many logical
//! switches, ports and routers NB held (`nb_rebuild.rs`, `.<db file>.held`), the figure a
//! rebuild is checked against when nothing else says it (a missing file has no backup).
//!
//! Written by a recurring monitor of a serving database whose listeners are open, and by
//! a stop of a database whose listeners were open (one that never opened may be half
//! rebuilt, or wait for it). A file is rewritten only when what it says changed. Never
//! fails an action: a memo it cannot write is logged, and the start that would have used
//! it does without.
//!
//! A save is a select of whole tables over the local socket, and ovsdb-server answers it
//! in one go, serving no one else meanwhile: on a 253 MB SB (42,301 ports) it took 2.0 s,
//! 1.8 s of the server's CPU, for a 7 MB answer. So a save waits [`COST_FACTOR`] times as
//! long as the last one took (at least [`SAVE_EVERY`]), and the first one after the
//! listeners open, when a server that just took over sends every client the whole
//! database, waits as long for what its file's size says it will cost.

use std::time::{Duration, Instant};

use ovn_ocf::lease;
use ovn_ocf::ocf::Deadline;
use ovn_ocf::state::State;

use super::Server;

/// A monitor saves at most this often.
pub const SAVE_EVERY: Duration = Duration::from_secs(15);

/// A save takes at most 1/COST_FACTOR of the server's time.
const COST_FACTOR: u32 = 100;

/// Before a save was timed: what one costs per byte of the file, the rate measured on the
/// 253 MB SB above (2.0 s).
const GUESS_BYTES_PER_SEC: f64 = 128e6;

/// Less of the monitor's time left than this: the save waits for the next monitor.
const SAVE_NEEDS: Duration = Duration::from_secs(2);

/// How long after a save that took `cost` the next one is due.
fn spacing(cost: Duration) -> Duration {
    SAVE_EVERY.max(cost * COST_FACTOR)
}

/// How long after the listeners opened the first save is due, for a file of `bytes`:
/// what a save of it is guessed to cost, times [`COST_FACTOR`]; at once for a file whose
/// saves would come every [`SAVE_EVERY`] anyway (below some 19 MB).
fn first_wait(bytes: u64) -> Duration {
    let wait = Duration::from_secs_f64(bytes as f64 / GUESS_BYTES_PER_SEC) * COST_FACTOR;
    if wait > SAVE_EVERY {
        wait
    } else {
        Duration::ZERO
    }
}

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

    /// A recurring monitor of a serving database: the memo saved when it is due (see the
    /// module's comment). Only while its listeners are open: an NB waiting for its rebuild
    /// holds what was lost, not what it held, and a memo of that would hide the loss from
    /// the next start's check.
    pub(super) fn watch_memo(&self, st: &mut State) {
        if !self.keeps_memo() || st.awaiting_rebuild || st.remotes.is_empty() {
            return;
        }
        let now = lease::now_ms();
        let due = *st.memo_due_ms.get_or_insert_with(|| {
            let bytes = std::fs::metadata(&self.cfg.db_file).map_or(0, |m| m.len());
            now + first_wait(bytes).as_millis() as u64
        });
        if now < due || self.cx.deadline.remaining() < SAVE_NEEDS {
            return;
        }
        let t0 = Instant::now();
        self.save_memo(self.cx.deadline.share(0.5));
        let took = t0.elapsed();
        let next = spacing(took);
        if next > SAVE_EVERY {
            log::info!(
                "saving what {} holds took {} ms: the next save in {} s",
                self.cfg.db_file.display(),
                took.as_millis(),
                next.as_secs()
            );
        }
        st.memo_due_ms = Some(now + next.as_millis() as u64);
    }

    /// A stop of a database whose listeners were open: the memo as it leaves it.
    pub(super) fn save_memo_at_stop(&self, had_remotes: bool) {
        if had_remotes && self.keeps_memo() {
            self.save_memo(self.cx.deadline.share(0.2));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_costly_save_waits_longer() {
        assert_eq!(spacing(Duration::from_millis(5)), SAVE_EVERY);
        assert_eq!(spacing(Duration::from_secs(2)), Duration::from_secs(200));
        // A save the monitor gave up on (a busy server) counts as what it waited.
        assert_eq!(spacing(Duration::from_secs(5)), Duration::from_secs(500));
    }

    #[test]
    fn the_first_save_waits_by_the_files_size() {
        // A test's or a fresh cloud's database: at the first monitor.
        assert_eq!(first_wait(200_000), Duration::ZERO);
        assert_eq!(first_wait(15_000_000), Duration::ZERO);
        // The 253 MB SB measured: about what its saves are spaced by.
        let big = first_wait(253_265_116);
        assert!(
            big > Duration::from_secs(180) && big < Duration::from_secs(220),
            "{big:?}"
        );
    }
}

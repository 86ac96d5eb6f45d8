//! ovsdb-server's monitor asks its control socket patiently: late is busy or hung, as
//! [`crate::framework::busy`] tells them apart.

use ovn_ocf::jsonrpc::Error;
use ovn_ocf::ovsdb::Unixctl;

use super::Server;
pub(super) use crate::framework::busy::{Late, Patience};

impl Server<'_> {
    /// Monitor's one exchange with ovsdb-server `pid` on its control socket: `cmds` in one
    /// round trip, each answer in order. A late answer is waited for while the server is
    /// busy ([`Patience`]), and logged when it comes; the fast path is one connect and
    /// one round trip.
    pub(super) fn ask_patiently(
        &self,
        pid: i32,
        cmds: &[&str],
    ) -> Result<Vec<Result<String, Error>>, Late> {
        let dl = self.cx.deadline;
        let mut patience = Patience::new(pid, "ovsdb-server");
        let asked = patience
            .wait(dl, |slice| Unixctl::connect(&self.cfg.ctl(), slice))
            .and_then(|mut ctl| {
                let mut pending = ctl
                    .send_commands(cmds, dl)
                    .map_err(|e| Late::Failed(format!("ovsdb-server pid {pid}: {e}")))?;
                patience.wait(dl, |slice| ctl.wait_commands(&mut pending, slice))
            });
        if asked.is_ok() && patience.was_late() {
            log::warn!(
                "ovsdb-server pid {pid} answered its control socket late, after {:.1} s ({}): busy, not hung",
                patience.elapsed().as_secs_f64(),
                patience.cpu()
            );
        }
        asked
    }
}

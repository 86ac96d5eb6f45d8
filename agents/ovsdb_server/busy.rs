//! ovsdb-server's monitor asks its control socket patiently: late is busy or hung, as
//! [`crate::framework::busy`] tells them apart.

use ovn_ocf::jsonrpc::Error;

use super::Server;
use crate::framework::busy;
pub(super) use crate::framework::busy::Late;

impl Server<'_> {
    /// Monitor's one exchange with ovsdb-server `pid` on its control socket
    /// ([`busy::ask_patiently`]).
    pub(super) fn ask_patiently(
        &self,
        pid: i32,
        cmds: &[&str],
    ) -> Result<Vec<Result<String, Error>>, Late> {
        busy::ask_patiently(&self.cfg.ctl(), pid, "ovsdb-server", cmds, self.cx.deadline)
    }
}

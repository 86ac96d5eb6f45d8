//! Serving and shutting down: the one sequence that brings a database to its clients
//! (guard → prepare → serve locally → rebuild → open remotes) and the one that takes it
//! away again (close remotes, stop the server TERM then KILL, release the owner record).

use ovn_ocf::ocf::Failure;
use ovn_ocf::ovsdb::Unixctl;
use ovn_ocf::process;
use ovn_ocf::state::Role;
use ovn_ocf::{guard, lease};

use super::Server;
use super::health::Health;
use super::rebuild::rebuild_marker;
use crate::framework::SCORE_PROMOTED;
use crate::framework::daemon::{self, Daemon, Ready};

impl Server<'_> {
    /// guard → prepare database → serve locally → open remotes. Idempotent: an instance
    /// that already serves healthily is left alone.
    pub(super) fn serve(&self) -> Result<(), Failure> {
        let promoted_score = self.cx.meta.promotable.then_some(SCORE_PROMOTED);
        let mut st = self.inst.state();
        if let Some(d) = self.daemon() {
            match self.health_of(&d, &st.remotes) {
                Health::Serving => {
                    if st.awaiting_rebuild {
                        // NB waiting for the rebuild the SB's start runs: nothing to redo.
                        log::info!(
                            "ovsdb-server pid {} serves {} locally, waiting for its rebuild",
                            d.pid,
                            self.cfg.db_file.display()
                        );
                        self.inst.watch(d.pid);
                        return Ok(());
                    }
                    if st.remotes.is_empty() {
                        // Running with its listeners closed (started by hand, or a start
                        // cut short): open them now, unless a rebuild is still owed.
                        let marker = rebuild_marker(&self.cfg.db_file);
                        if marker.exists() {
                            return Err(Failure::generic(format!(
                                "ovsdb-server pid {} runs with its listeners closed and a rebuild is still owed ({}); stop the resource so that start redoes it",
                                d.pid,
                                marker.display()
                            )));
                        }
                        st.listening(self.open_remotes(d.pid)?);
                        self.tickle_clients(&mut st);
                    }
                    log::info!(
                        "ovsdb-server pid {} serves {}",
                        d.pid,
                        self.cfg.db_file.display()
                    );
                    st.role = Some(Role::Serving);
                    self.publish(&mut st, promoted_score);
                    self.inst.save(&st)?;
                    self.inst.watch(d.pid);
                    return Ok(());
                }
                Health::Broken(why) => {
                    return Err(Failure::generic(format!(
                        "ovsdb-server pid {} already holds {} but is unhealthy ({why}); stop it first",
                        d.pid,
                        self.cfg.db_file.display()
                    )));
                }
                Health::Gone => {}
            }
        }
        let node = self.node();
        // A keeper of an earlier claim of ours (a server killed under it) steps aside.
        self.stop_keepers();
        st.keeper = None;
        let token = lease::new_token();
        let served = self.claim(&node, &token)?;
        let keeper = match self.spawn_keeper(&node, &token) {
            Ok(pid) => pid,
            Err(f) => {
                let _ = guard::release(&self.cfg.db_file, &node, false);
                return Err(f);
            }
        };
        st.keeper = Some(keeper);
        let mut repaired = None;
        let mut spawned = false;
        let result = (|| {
            let report = self.prepare_database(served)?;
            repaired = Some(report.summary());
            let rebuild = self.rebuild_due(&report)?;
            self.drop_request();
            let pid = self.spawn_server()?;
            // Remotes stay closed until the hooks and the SB gate are done; an NB whose
            // hook needs SB too keeps them closed until the SB's start has run it.
            spawned = true;
            let open = || {
                if self.defers_hook(&rebuild) {
                    self.request_rebuild(pid, &rebuild)?;
                    self.lease_held(&node, &token, keeper)?;
                    return Ok(None);
                }
                let mut nb = self.pending_nb_rebuild()?;
                if let Some((path, req)) = nb.as_mut() {
                    self.run_nb_rebuild(path, req)?;
                }
                self.run_hook(&rebuild)?;
                self.sb_gate(&rebuild, nb.is_some())?;
                if let Some((path, req)) = nb.as_mut() {
                    self.nb_rebuild_done(path, req)?;
                }
                self.rebuild_done(&rebuild)?;
                self.lease_held(&node, &token, keeper)?;
                self.open_remotes(pid).map(Some)
            };
            open().map(|remotes| (pid, remotes)).inspect_err(|_| {
                if let Err(e) = process::terminate(pid, self.cx.deadline) {
                    log::warn!("cannot stop ovsdb-server pid {pid}: {e}");
                }
            })
        })();
        st.repair = repaired.or(st.repair.take());
        match result {
            Ok((pid, remotes)) => {
                if remotes.is_some() {
                    self.tickle_clients(&mut st);
                }
                st.role = Some(Role::Serving);
                st.awaiting_rebuild = remotes.is_none();
                st.listening(remotes.unwrap_or_default());
                self.publish(&mut st, promoted_score);
                self.inst.save(&st)?;
                self.inst.watch(pid);
                Ok(())
            }
            Err(f) => {
                self.stop_keepers();
                st.keeper = None;
                // A server that ran served the file as it is now (a loss it was found
                // with is owed by the rebuild marker).
                if let Err(e) = guard::release(&self.cfg.db_file, &node, spawned) {
                    log::warn!("cannot release owner record: {e}");
                }
                let score = st.score;
                self.publish(&mut st, score);
                let _ = self.inst.save(&st);
                Err(f)
            }
        }
    }

    /// Starts ovsdb-server with its local socket only and waits until it answers for the
    /// database it should serve.
    pub(super) fn spawn_server(&self) -> Result<i32, Failure> {
        self.inst.ensure_dirs()?;
        if self.replicates() {
            self.write_anchor()?;
        }
        let args = self.cfg.server_args();
        let preload = self.cfg.allocator.as_ref().map(|p| p.display().to_string());
        let env: Vec<(&str, &str)> = preload.iter().map(|p| ("LD_PRELOAD", p.as_str())).collect();
        let d = Daemon {
            name: "ovsdb-server",
            program: &self.cfg.ovsdb_server,
            args: &args,
            env: &env,
            log_file: &self.cfg.log_file,
        };
        let schema = self.cfg.db.schema_name();
        let (child, ()) = daemon::spawn_ready(&d, self.cx.deadline, daemon::EVERY, |pid| {
            if process::read_pidfile(&self.cfg.pidfile()) != Some(pid) {
                return Ready::NotYet("no pidfile yet".into());
            }
            let dbs = Unixctl::connect(&self.cfg.ctl(), self.cx.deadline)
                .and_then(|mut ctl| ctl.command("ovsdb-server/list-dbs", &[], self.cx.deadline));
            let serves = |dbs: &str, name: &str| dbs.lines().any(|l| l.trim() == name);
            match dbs {
                Ok(dbs) if self.replicates() && !serves(&dbs, super::replica::ANCHOR_DB) => {
                    Ready::Fail(Failure::generic(format!(
                        "ovsdb-server does not serve {} from {} (server reports: {})",
                        super::replica::ANCHOR_DB,
                        self.cfg.anchor_file().display(),
                        dbs.trim()
                    )))
                }
                Ok(dbs) if serves(&dbs, schema) => Ready::Yes(()),
                Ok(dbs) => Ready::Fail(Failure::generic(format!(
                    "{} is not an {schema} database (server reports: {})",
                    self.cfg.db_file.display(),
                    dbs.trim()
                ))),
                Err(e) => Ready::NotYet(format!("its control socket: {e}")),
            }
        })?;
        let pid = child.id() as i32;
        log::info!(
            "started ovsdb-server pid={pid} db_file={}",
            self.cfg.db_file.display()
        );
        Ok(pid)
    }

    /// Ends the watcher, closes our remotes (best effort) and stops the daemon, TERM then
    /// KILL; releases the owner record. A daemon that is already gone is fine. Leftovers of a start the agent
    /// was killed in (the SB gate's ovn-northd, a repair hook, a keeper) go first.
    pub(super) fn shut_down(&self) -> Result<(), Failure> {
        // The watcher before anything else: taking the server down is no failure.
        self.inst.end_watchers();
        self.stop_gate_leftover()?;
        self.kill_hook_leftovers();
        self.drop_request();
        // The keeper first: a record no longer renewed is harmless, a keeper renewing a
        // record we are about to remove is not.
        self.stop_keepers();
        let daemon = self.daemon();
        if let Some(d) = &daemon {
            let st = self.inst.state();
            let dl = self.cx.deadline;
            if !d.stopped() && self.handed_over(&st) {
                self.drain_replicas(d.pid, dl.share(0.7));
            }
            if !d.stopped() {
                self.save_memo_at_stop(!st.remotes.is_empty());
            }
            if !d.stopped()
                && let Ok(mut ctl) = Unixctl::connect(&self.cfg.ctl(), dl.share(0.2))
            {
                for r in st.remotes.iter() {
                    if let Err(e) = ctl.command("ovsdb-server/remove-remote", &[r], dl.share(0.2)) {
                        log::warn!("cannot close remote {r}: {e}");
                    }
                }
            }
            let how = process::terminate(d.pid, dl)
                .map_err(|e| Failure::context(e, "cannot stop ovsdb-server"))?;
            log::info!("stopped ovsdb-server pid={} ({how:?})", d.pid);
            // A killed server leaves its pidfile and sockets behind.
            let anchor = self.replicates().then(|| self.cfg.anchor_file());
            for f in [self.cfg.pidfile(), self.cfg.ctl(), self.cfg.sock()]
                .into_iter()
                .chain(anchor)
            {
                if process::read_pidfile(&self.cfg.pidfile()) == Some(d.pid)
                    || f != self.cfg.pidfile()
                {
                    let _ = std::fs::remove_file(&f);
                }
            }
        }
        let node = self.node();
        // The server stopped here served the file under our claim: as it is now is what
        // it served.
        guard::release(&self.cfg.db_file, &node, daemon.is_some())
            .map_err(|e| Failure::context(e, "cannot release owner record"))?;
        self.inst.stopped_watching();
        Ok(())
    }
}

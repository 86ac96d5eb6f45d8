//! The SB gate: a Southbound database that was created or lost records stays closed to
//! ovn-controllers until an ovn-northd of the gate's own has recomputed it from the
//! Northbound database (the nb_cfg barrier). The node attribute `ovn-ocf-sb-gate` says
//! "waiting" meanwhile.

use std::time::Duration;

use ovn_ocf::jsonrpc::Endpoint;
use ovn_ocf::ocf::Failure;
use ovn_ocf::ovn::{self, Db};
use ovn_ocf::ovsdb::{Datum, Op, Ovsdb};
use ovn_ocf::{pacemaker, process};

use super::Server;
use super::rebuild::Rebuild;
use super::tunnel_keys::NbDatapaths;
use crate::framework::daemon::{self, Daemon, Ready};

/// Node attribute set while the SB gate waits for northd.
pub const GATE_ATTR: &str = "ovn-ocf-sb-gate";

/// How often the gate reads SB_Global.nb_cfg.
const POLL: Duration = Duration::from_millis(20);

impl Server<'_> {
    /// Runs when SB lost records, or when NB was rebuilt in this start (`nb_rebuilt`): SB's
    /// logical flows then come from the NB before the loss.
    pub(super) fn sb_gate(&self, report: &Rebuild, nb_rebuilt: bool) -> Result<(), Failure> {
        if self.cfg.db != Db::Sb || !self.cfg.sb_gate || !(report.lost_data || nb_rebuilt) {
            return Ok(());
        }
        let dl = self.cx.deadline.cap(Duration::from_secs(10));
        if let Err(e) = pacemaker::set_node_attr(GATE_ATTR, Some("waiting"), dl) {
            log::warn!("cannot set node attribute {GATE_ATTR}: {e}");
        }
        if report.lost_data
            && let Err(e) = self.seed_tunnel_keys()
        {
            // Not fatal either: the keys are numbered anew.
            log::warn!(
                "SB gate: cannot put the kept tunnel keys back: {}",
                e.reason
            );
        }
        if nb_rebuilt && let Err(e) = self.carry_datapaths() {
            // Not fatal: northd then numbers the datapaths anew (a blip, not a loss).
            log::warn!(
                "SB gate: cannot carry the datapaths over to the rebuilt NB: {}",
                e.reason
            );
        }
        let result = self.gate_barrier();
        if let Err(e) = pacemaker::set_node_attr(GATE_ATTR, None, dl) {
            log::warn!("cannot clear node attribute {GATE_ATTR}: {e}");
        }
        result
    }

    /// A rebuilt NB has the same logical switches and routers under new row UUIDs (the
    /// sync util creates them anew), and northd joins SB's Datapath_Binding rows to NB by
    /// those UUIDs (`external_ids:logical-switch` / `logical-router`): left alone, it
    /// deletes every datapath and creates it again with new tunnel keys, and every
    /// ovn-controller reinstalls its flows (pings lost). So, before the gate's northd
    /// runs, each binding whose NB row is gone is pointed at the NB row of the same name,
    /// when exactly one has it: northd keeps the binding, its tunnel key and its ports'.
    fn carry_datapaths(&self) -> Result<(), Failure> {
        let dl = self.cx.deadline;
        let nb = NbDatapaths::read(&mut Ovsdb::connect(&self.cfg.gate_nb, dl)?, dl)?;
        let mut sb = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl)?;
        let sb_schema = Db::Sb.schema_name();
        let bindings = sb.select(
            sb_schema,
            Op::select("Datapath_Binding", &["_uuid", "external_ids"]),
            dl,
        )?;
        let mut ops = Vec::new();
        for b in &bindings {
            let Some(row) = b.uuid() else { continue };
            let mut ext = b.string_map("external_ids");
            let Some(key) = ["logical-switch", "logical-router"]
                .into_iter()
                .find(|k| ext.contains_key(*k))
            else {
                continue;
            };
            if nb.uuids.contains(&ext[key]) {
                continue;
            }
            if let Some(new) = nb.resolve(key, &ext[key], ext.get("name").map(String::as_str)) {
                ext.insert(key.to_string(), new);
                ops.push(
                    Op::update(
                        "Datapath_Binding",
                        &[("external_ids", Datum::string_map(&ext))],
                    )
                    .where_uuid(row),
                );
            }
        }
        if !ops.is_empty() {
            sb.transact(sb_schema, &ops, dl)?;
        }
        log::info!(
            "SB gate: {} of {} datapaths carried over to the rebuilt NB's logical switches and routers (tunnel keys kept)",
            ops.len(),
            bindings.len()
        );
        Ok(())
    }

    /// Bumps NB's nb_cfg, runs the gate's ovn-northd against NB and the local SB, and
    /// waits until SB_Global.nb_cfg reaches the bumped value; then stops that northd.
    fn gate_barrier(&self) -> Result<(), Failure> {
        let dl = self.cx.deadline;
        let mut sb = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl)
            .map_err(|e| Failure::context(e, "SB gate"))?;
        let sb_before = ovn::sb_nb_cfg(&mut sb, dl)
            .map_err(|e| Failure::context(e, "SB gate: cannot read SB_Global.nb_cfg"))?
            .unwrap_or(0);
        let target = Ovsdb::connect(&self.cfg.gate_nb, dl)
            .and_then(|mut nb| ovn::bump_nb_cfg(&mut nb, sb_before, dl))
            .map_err(|e| {
                Failure::context(
                    e,
                    format!(
                        "SB gate: cannot bump nb_cfg in the Northbound database at {}",
                        self.cfg.gate_nb_connection
                    ),
                )
            })?;
        let dir = self.cfg.gate_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure::local_io(format!("cannot create {}: {e}", dir.display()), &e))?;
        let log_file = self.cfg.log_file.with_file_name("ovn-northd-sb-gate.log");
        let args = vec![
            "-vconsole:off".to_string(),
            "-vfile:info".to_string(),
            format!("--log-file={}", log_file.display()),
            format!("--pidfile={}", dir.join("ovn-northd.pid").display()),
            format!("--ovnnb-db={}", self.cfg.gate_nb_connection),
            format!("--ovnsb-db=unix:{}", self.cfg.sock().display()),
        ];
        let run_dir = dir.display().to_string();
        let d = Daemon {
            name: "SB gate: ovn-northd",
            program: &self.cfg.ovn_northd,
            args: &args,
            env: &[("OVN_RUNDIR", &run_dir)],
            log_file: &log_file,
        };
        let mut started = None;
        let result = daemon::spawn_ready(&d, dl, POLL, |pid| {
            if started.replace(pid).is_none() {
                log::info!(
                    "SB gate: ovn-northd pid={pid} recomputing the Southbound database, waiting for nb_cfg {target}"
                );
            }
            match ovn::sb_nb_cfg(&mut sb, dl) {
                Ok(Some(v)) if v >= target => Ready::Yes(()),
                seen => Ready::NotYet(format!(
                    "it did not recompute the Southbound database (SB nb_cfg {:?}, waiting for {target}); see {}",
                    seen.ok().flatten(),
                    log_file.display()
                )),
            }
        });
        let result = result.map(|(mut child, ())| {
            log::info!("SB gate: Southbound recomputed (nb_cfg {target}); opening it");
            daemon::stop(child.id() as i32, &mut child, dl);
        });
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    /// A start cut short (the agent killed on its timeout) can leave the SB gate's
    /// ovn-northd behind: found by its own pidfile, and stopped.
    pub(super) fn stop_gate_leftover(&self) -> Result<(), Failure> {
        let gate_pidfile = self.cfg.gate_dir().join("ovn-northd.pid");
        let marker = format!("--pidfile={}", gate_pidfile.display());
        if let Some(g) = process::find_daemon(&gate_pidfile, "ovn-northd", &marker) {
            log::warn!("stopping the SB gate's leftover ovn-northd pid={}", g.pid);
            process::terminate(g.pid, self.cx.deadline.share(0.3))
                .map_err(|e| Failure::context(e, "cannot stop the SB gate's ovn-northd"))?;
            let _ = std::fs::remove_dir_all(self.cfg.gate_dir());
        }
        Ok(())
    }
}

//! NB's rebuild, run in the SB's start. The usual `repair_hook` of NB,
//! `neutron-ovn-db-sync-util --ovn-neutron_sync_mode=repair`, needs both databases, and
//! SB starts after NB (a group, or `promote NB then promote SB`). So, with
//! `repair_hook_needs_sb`, NB's start that owes a rebuild serves NB on its local socket
//! only and leaves a request beside that socket; the SB resource's start on the same node,
//! once SB serves locally and before its listeners open, runs NB's hook with both local
//! sockets, checks that NB is not left empty where it held something, and runs the SB
//! gate (its own ovn-northd recomputes SB from the rebuilt NB); then it marks the request
//! done, and NB's next monitor opens NB's listeners. No client, and no northd but the
//! gate's, sees either database before that.
//!
//! The request lives on the node (run_dir, tmpfs); what is owed lives on the shared
//! storage (the rebuild marker beside NB's file), so a start that fails anywhere redoes it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use ovn_ocf::jsonrpc::Endpoint;
use ovn_ocf::ocf::{Deadline, Failure};
use ovn_ocf::ovn::Db;
use ovn_ocf::ovsdb::{Op, Ovsdb};
use ovn_ocf::process::ProcInfo;
use ovn_ocf::state::State;
use ovn_ocf::{dbrows, fsutil, lease};

use super::Server;
use super::rebuild::{Rebuild, rebuild_marker, run_hook_argv};

/// The tables whose rows tell an NB that holds a cloud from an empty one.
const CLOUD_TABLES: [&str; 3] = ["Logical_Switch", "Logical_Switch_Port", "Logical_Router"];

/// How long past its hook's own limit a request may wait for the SB's start before NB's
/// monitor gives up on it (the SB's start also repairs SB and waits for its gate).
const GRACE: Duration = Duration::from_secs(120);

/// What NB's start leaves for the SB's start: the hook to run and what NB held.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Request {
    /// The NB ovsdb-server waiting with its listeners closed.
    pub nb_pid: i32,
    pub argv: Vec<String>,
    pub timeout_s: u64,
    /// NB's hook environment (OVN_OCF_DB*, OVN_OCF_REPAIR_*).
    pub env: Vec<(String, String)>,
    /// NB's rebuild marker, removed once the rebuild is done.
    pub marker: PathBuf,
    /// Rows of `CLOUD_TABLES` NB held before the rebuild, and where that figure comes from.
    pub rows_before: u64,
    pub rows_from: String,
    pub requested_ms: u64,
    pub status: Status,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub(super) enum Status {
    Pending,
    Done { ms: u64 },
    Failed { reason: String },
}

/// `<NB run_dir>/ovnnb_db.rebuild`, beside NB's local socket (which is how the SB finds
/// it: through `gate_nb_connection`).
pub fn request_path(nb_sock: &Path) -> PathBuf {
    nb_sock.with_extension("rebuild")
}

fn read_request(path: &Path) -> Result<Option<Request>, Failure> {
    match std::fs::read(path) {
        Ok(b) => serde_json::from_slice(&b).map(Some).map_err(|e| {
            Failure::generic(format!(
                "{} is unreadable ({e}); stop and start the Northbound resource to redo the rebuild",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Failure::local_io(
            format!("cannot read {}: {e}", path.display()),
            &e,
        )),
    }
}

fn write_request(path: &Path, r: &Request) -> Result<(), Failure> {
    let json = serde_json::to_vec_pretty(r).expect("a Request serializes");
    fsutil::write_atomic(path, &json, 0o600)
        .map_err(|e| Failure::local_io(format!("cannot write {}: {e}", path.display()), &e))
}

/// `.<db file>.held`, beside NB's file: how many rows of `CLOUD_TABLES` it held when
/// its monitor last saw that change (`memo.rs`). The figure a rebuild of a missing file,
/// which leaves no backup, is checked against.
pub fn held_file(db_file: &Path) -> PathBuf {
    fsutil::beside(db_file, "held")
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Held {
    rows: u64,
    /// When it was written (UTC).
    stamp: String,
}

fn read_held(file: &Path) -> Option<Held> {
    serde_json::from_slice(&std::fs::read(file).ok()?).ok()
}

/// Rows of `CLOUD_TABLES` in the database at `ep` (one select of `_uuid` each).
fn cloud_rows(ep: &Endpoint, deadline: Deadline) -> Result<u64, Failure> {
    let mut db = Ovsdb::connect(ep, deadline)?;
    let mut n = 0;
    for t in CLOUD_TABLES {
        let rows = db
            .select(Db::Nb.schema_name(), Op::select(t, &["_uuid"]), deadline)
            .map_err(|e| Failure::context(e, format!("cannot count the rows of {t}")))?;
        n += rows.len() as u64;
    }
    Ok(n)
}

impl Server<'_> {
    /// NB with `repair_hook_needs_sb`: the hook is owed, and the SB's start runs it.
    pub(super) fn defers_hook(&self, r: &Rebuild) -> bool {
        self.cfg.db == Db::Nb && self.cfg.repair_hook_needs_sb && self.hook_due(r)
    }

    fn own_request_path(&self) -> PathBuf {
        request_path(&self.cfg.sock())
    }

    /// NB's start: leaves the request for the SB's start (NB serves locally, pid `pid`).
    pub(super) fn request_rebuild(&self, pid: i32, r: &Rebuild) -> Result<(), Failure> {
        let argv = self.cfg.repair_hook.clone().unwrap_or_default();
        let local = cloud_rows(&Endpoint::Unix(self.cfg.sock()), self.cx.deadline)?;
        let held_file = held_file(&self.cfg.db_file);
        let held = read_held(&held_file).map(|h| {
            (
                h.rows,
                format!(
                    "{} (what NB held at {}, as its monitor saw it)",
                    held_file.display(),
                    h.stamp
                ),
            )
        });
        let kept = (
            local,
            format!("the records kept of {}", self.cfg.db_file.display()),
        );
        let (rows_before, rows_from) = [self.backup_rows(r), held]
            .into_iter()
            .flatten()
            .fold(kept, |best, c| if c.0 > best.0 { c } else { best });
        let req = Request {
            nb_pid: pid,
            argv,
            timeout_s: self.cfg.repair_hook_timeout.as_secs(),
            env: self.hook_env(r),
            marker: rebuild_marker(&self.cfg.db_file),
            rows_before,
            rows_from,
            requested_ms: lease::now_ms(),
            status: Status::Pending,
        };
        let path = self.own_request_path();
        write_request(&path, &req)?;
        log::info!(
            "rebuild after \"{}\" owed: the Northbound database serves on its local socket only until the Southbound resource's start has run repair_hook and the SB gate ({})",
            r.outcome,
            path.display()
        );
        Ok(())
    }

    /// NB with a `repair_hook`: its monitor keeps what it holds beside the file.
    pub(super) fn keeps_held(&self) -> bool {
        self.cfg.db == Db::Nb && self.cfg.repair_hook.is_some()
    }

    /// Writes what NB holds now beside its file, when that changed.
    pub(super) fn save_held(&self, deadline: Deadline) -> Result<(), Failure> {
        let rows = cloud_rows(&Endpoint::Unix(self.cfg.sock()), deadline)?;
        let file = held_file(&self.cfg.db_file);
        if read_held(&file).is_some_and(|h| h.rows == rows) {
            return Ok(());
        }
        let held = Held {
            rows,
            stamp: ovn_ocf::ocf::time::utc_stamp(std::time::SystemTime::now()),
        };
        let json = serde_json::to_vec(&held).expect("Held serializes");
        fsutil::write_atomic(&file, &json, 0o644)
            .map_err(|e| Failure::local_io(format!("cannot write {}: {e}", file.display()), &e))?;
        log::info!(
            "NB holds {rows} logical switches, ports and routers (kept in {})",
            file.display()
        );
        Ok(())
    }

    /// What the file held as found (its byte-exact backup), from every record that
    /// verifies on its own, past the damage too: more than the kept prefix says.
    fn backup_rows(&self, r: &Rebuild) -> Option<(u64, String)> {
        let backup = r.backup.as_deref()?;
        match dbrows::live_rows(
            Path::new(backup),
            &CLOUD_TABLES,
            self.cx.deadline.share(0.2),
        ) {
            Ok(l) => Some((
                l.rows.values().sum(),
                format!("the backup {backup} ({} records that verify)", l.records),
            )),
            Err(e) => {
                log::warn!("cannot count the rows of the backup {backup}: {e}");
                None
            }
        }
    }

    /// NB's stop: a request of ours must not outlive the server it names.
    pub(super) fn drop_request(&self) {
        let path = self.own_request_path();
        if let Err(e) = std::fs::remove_file(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            log::warn!("cannot remove {}: {e}", path.display());
        }
    }

    /// NB's monitor while its listeners wait for the rebuild: still waiting (Ok, nothing
    /// to do), done (open the listeners now, and say so in `st`), failed or given up
    /// (the reason).
    pub(super) fn finish_rebuild(&self, st: &mut State, d: &ProcInfo) -> Result<(), Failure> {
        let path = self.own_request_path();
        let Some(req) = read_request(&path)? else {
            return Err(Failure::generic(format!(
                "the Northbound database waits for its rebuild but its request {} is gone; stop and start the resource to redo it",
                path.display()
            )));
        };
        match req.status {
            Status::Pending => {
                let waited =
                    Duration::from_millis(lease::now_ms().saturating_sub(req.requested_ms));
                if waited > Duration::from_secs(req.timeout_s) + GRACE {
                    return Err(Failure::generic(format!(
                        "the Northbound database's rebuild was not run within {} s: the Southbound resource's start on this node runs it (with gate_nb_connection=unix:{}); is it configured, and ordered after this one?",
                        waited.as_secs(),
                        self.cfg.sock().display()
                    )));
                }
                Ok(())
            }
            Status::Failed { reason } => Err(Failure::generic(format!(
                "the Northbound database's rebuild failed in the Southbound resource's start: {reason}"
            ))),
            Status::Done { ms } => {
                st.listening(self.open_remotes(d.pid)?);
                self.tickle_clients(st);
                st.awaiting_rebuild = false;
                let score = st.score;
                self.publish(st, score);
                self.inst.save(st)?;
                self.drop_request();
                log::info!(
                    "rebuild done {:.1} s ago: the Northbound database's listeners are open",
                    Duration::from_millis(lease::now_ms().saturating_sub(ms)).as_secs_f64()
                );
                Ok(())
            }
        }
    }

    /// The SB's start: NB's pending (or failed, retried) rebuild request, if NB on this
    /// node waits for one.
    pub(super) fn pending_nb_rebuild(&self) -> Result<Option<(PathBuf, Request)>, Failure> {
        if self.cfg.db != Db::Sb {
            return Ok(None);
        }
        let Endpoint::Unix(nb_sock) = &self.cfg.gate_nb else {
            return Ok(None);
        };
        let path = request_path(nb_sock);
        let Some(req) = read_request(&path)? else {
            return Ok(None);
        };
        if matches!(req.status, Status::Done { .. }) {
            return Ok(None);
        }
        if !ProcInfo::read(req.nb_pid).is_some_and(|p| p.alive()) {
            log::warn!(
                "ignoring {}: the Northbound ovsdb-server pid {} that asked is gone",
                path.display(),
                req.nb_pid
            );
            return Ok(None);
        }
        Ok(Some((path, req)))
    }

    /// The SB's start, SB serving locally: runs NB's hook with both local sockets, then
    /// checks what it left in NB. A failure is written into the request (NB's monitor
    /// reports it too) and fails this start.
    pub(super) fn run_nb_rebuild(&self, path: &Path, req: &mut Request) -> Result<(), Failure> {
        let nb_conn = req
            .env
            .iter()
            .find(|(k, _)| k == "OVN_OCF_DB_CONNECTION")
            .map(|(_, v)| v.clone())
            .unwrap_or_default();
        let mut env = req.env.clone();
        env.push(("OVN_OCF_NB_CONNECTION".into(), nb_conn));
        env.push(("OVN_OCF_SB_CONNECTION".into(), self.hook_connection()));
        log::info!(
            "rebuilding the Northbound database: running its repair_hook {:?} with NB and SB on their local sockets",
            req.argv
        );
        let result = if req.argv.is_empty() {
            Err(Failure::generic("the rebuild request names no repair_hook"))
        } else {
            run_hook_argv(
                &req.argv,
                &env,
                Duration::from_secs(req.timeout_s),
                self.cx.deadline,
            )
        }
        .and_then(|()| self.check_rebuilt(req));
        if let Err(f) = &result {
            req.status = Status::Failed {
                reason: f.reason.clone(),
            };
            if let Err(e) = write_request(path, req) {
                log::warn!("{}", e.reason);
            }
        }
        result.map_err(|mut f| {
            f.reason = format!("rebuilding the Northbound database: {}", f.reason);
            f
        })
    }

    /// A hook that exits 0 but left NB without a cloud it held before did not rebuild it
    /// (the sync util logs its own configuration errors and exits 0).
    fn check_rebuilt(&self, req: &Request) -> Result<(), Failure> {
        let after = cloud_rows(&self.cfg.gate_nb, self.cx.deadline)?;
        log::info!(
            "after repair_hook the Northbound database holds {after} logical switches, ports and routers ({} before, from {})",
            req.rows_before,
            req.rows_from
        );
        if req.rows_before > 0 && after == 0 {
            return Err(Failure::generic(format!(
                "repair_hook exited 0 but left no logical switch, port or router, where {} held {}; see its output in the agent's log (can it reach the CMS's database?)",
                req.rows_from, req.rows_before
            )));
        }
        if after < req.rows_before / 2 {
            log::warn!(
                "the rebuilt Northbound database holds {after} logical switches, ports and routers, less than half of the {} in {}",
                req.rows_before,
                req.rows_from
            );
        }
        Ok(())
    }

    /// The SB's start, once the SB gate has run: NB's rebuild is done (its marker removed,
    /// the request marked so NB's monitor opens NB's listeners).
    pub(super) fn nb_rebuild_done(&self, path: &Path, req: &mut Request) -> Result<(), Failure> {
        fsutil::remove_durable(&req.marker).map_err(|e| {
            Failure::local_io(format!("cannot remove {}: {e}", req.marker.display()), &e)
        })?;
        req.status = Status::Done {
            ms: lease::now_ms(),
        };
        write_request(path, req)?;
        log::info!("the Northbound database is rebuilt and the Southbound recomputed from it");
        Ok(())
    }
}

//! Observing one resource on this node: its state file, daemon, listeners, storage, lease, last
//! repair and backups, read only.

use super::*;

pub(super) fn listener_text(l: &process::Listener) -> String {
    match l.addr {
        std::net::IpAddr::V4(a) => format!("{a}:{}", l.port),
        std::net::IpAddr::V6(a) => format!("[{a}]:{}", l.port),
    }
}

pub(super) fn ask(ctl: &Path, cmd: &str) -> Result<String, String> {
    let dl = Deadline::after(ASK_TIMEOUT);
    Unixctl::connect(ctl, dl)
        .and_then(|mut c| c.command(cmd, &[], dl))
        .map_err(|e| e.to_string())
}

pub(super) fn repair_of(s: repair_history::Summary, now_s: u64) -> Repair {
    Repair {
        age_s: repair_history::stamp_epoch(&s.time).map(|t| now_s.saturating_sub(t)),
        outcome: s.outcome,
        time: s.time,
        found: s.found,
        backup: s.backup,
        report: s.report.display().to_string(),
    }
}

pub(super) fn empty_row(t: &Target) -> Resource {
    Resource {
        resource: t.cib.as_ref().map(|r| r.id.clone()),
        clone: t.cib.as_ref().and_then(|r| r.clone.clone()),
        group: t.cib.as_ref().and_then(|r| r.group.clone()),
        agent: t.agent.clone(),
        db: None,
        db_file: None,
        db_file_from: None,
        state_file: t.state_file().map(|p| p.display().to_string()),
        role: None,
        pid: None,
        daemon_status: None,
        listeners: vec![],
        remotes: vec![],
        lease: None,
        last_repair: None,
        last_change: None,
        repair_line: None,
        backups: None,
        backup_dir: None,
        storage: None,
        replication: None,
        generation: None,
        pacemaker: None,
        problems: t.problems.clone(),
    }
}

/// The agent's state file: its content, or a problem if it is there but unreadable.
pub(super) fn load_state(path: &Path, problems: &mut Vec<String>) -> Option<State> {
    let st = State::load(path);
    if st.is_none() && path.exists() {
        problems.push(format!(
            "state file {} is unreadable (the agent treats it as absent)",
            path.display()
        ));
    }
    st
}

pub(super) fn observe(t: Target, node: &str, crm: Option<&CrmMon>) -> Resource {
    let mut row = empty_row(&t);
    if let (Some(r), Some(m)) = (&t.cib, crm) {
        row.pacemaker = m.view(&r.id, node);
    }
    let here = row.pacemaker.as_ref().map(|p| p.role.clone());
    match &t.config {
        Config::Bad(why) => row
            .problems
            .push(format!("its parameters do not make a configuration: {why}")),
        Config::Ovsdb(cfg, from) => observe_ovsdb(&mut row, cfg, *from, node),
        Config::Northd(cfg) => observe_northd(&mut row, cfg),
    }
    if let (Some(p), None) = (&row.pacemaker, &row.clone)
        && p.running_on.len() > 1
    {
        row.problems.push(format!(
            "Pacemaker sees it active on {} nodes: {}",
            p.running_on.len(),
            p.running_on.join(" ")
        ));
    }
    if let Some(role) = here
        && role != "Stopped"
        && row.pid.is_none()
        && !matches!(t.config, Config::Bad(_))
        && !(role == "Unpromoted" && row.agent == "ovsdb-server")
    {
        row.problems.push(format!(
            "Pacemaker says {role} here but no {} runs",
            row.agent
        ));
    }
    row
}

pub(super) fn observe_ovsdb(
    row: &mut Resource,
    cfg: &ovsdb_server::Config,
    from: DbFileFrom,
    node: &str,
) {
    let now_ms = lease::now_ms();
    let now_s = now_ms / 1000;
    row.db = Some(cfg.db.key());
    row.db_file = Some(cfg.db_file.display().to_string());
    row.db_file_from = Some(from.word());
    if from == DbFileFrom::Default {
        row.problems.push(format!(
            "database file unknown (no ovsdb-server runs): showing the default {}; give --db-file",
            cfg.db_file.display()
        ));
    }
    let st = load_state(&cfg.state_file(), &mut row.problems);
    let daemon = find_daemon(&cfg.daemon_spec());
    if let Some(st) = &st {
        row.role = pacemaker::role_word(st.role);
        row.remotes = st.remotes.clone();
        row.repair_line = st.repair.clone();
        if st.awaiting_rebuild {
            row.problems.push(
                "listeners closed: waiting for its rebuild, which the Southbound resource's start runs"
                    .into(),
            );
        }
    }
    if cfg.storage == ovsdb_server::Storage::Rebuild {
        row.generation = Some(observe_generation(row, cfg));
    }
    let mut sync_replicating = false;
    // The state of a replicated resource (storage=replicate): its standby runs a server too.
    let replicated = st.as_ref().filter(|s| s.replicates);
    if let Some(d) = &daemon {
        row.pid = Some(d.pid);
        row.listeners = process::tcp_listeners(d.pid)
            .iter()
            .map(listener_text)
            .collect();
        if d.stopped() {
            row.problems
                .push(format!("ovsdb-server pid {} is stopped (SIGSTOP)", d.pid));
        } else {
            match ask(&cfg.ctl(), "ovsdb-server/sync-status") {
                Ok(text) => {
                    sync_replicating = ovn_ocf::ovsdb::sync_replicates(&text, cfg.db.schema_name());
                    row.daemon_status = Some(match parse_sync_status(&text) {
                        SyncState::Active => "active".into(),
                        SyncState::Backup => "backup".into(),
                        SyncState::Other(s) => s,
                        SyncState::Unknown => text.trim().to_string(),
                    })
                }
                Err(e) => row.problems.push(format!(
                    "ovsdb-server pid {} does not answer on {}: {e}",
                    d.pid,
                    cfg.ctl().display()
                )),
            }
        }
    }
    match (row.role, &daemon, replicated) {
        (Some("serving"), None, _) => row.problems.push(format!(
            "the agent recorded serving, but no ovsdb-server runs (pidfile {})",
            cfg.pidfile().display()
        )),
        (Some("standby"), Some(d), Some(s)) => {
            let r = s.replica.as_ref();
            let connected = r.is_some_and(|r| r.connected(d.pid));
            if let Some(r) = r.filter(|_| !connected) {
                row.problems.push(format!(
                    "replica not connected to {} ({})",
                    r.node, r.remote
                ));
            }
            row.replication = Some(Replication {
                from_node: r.map(|r| r.node.clone()),
                remote: r.map(|r| r.remote.clone()),
                connected,
                // What the agent's last monitor saw, or what the server says now.
                synced: r.is_some_and(|r| r.synced) || (connected && sync_replicating),
                error: r.and_then(|r| r.error.clone()),
                attribute: s.attrs.get(&cfg.replication_attr()).cloned(),
            });
        }
        (None | Some("standby"), Some(d), _) => row.problems.push(format!(
            "ovsdb-server pid {} runs but the agent did not record serving (started by hand?)",
            d.pid
        )),
        _ => {}
    }
    if daemon.is_some() {
        observe_storage(row, cfg, st.as_ref(), now_ms);
    }
    let record = lease::record_path(&cfg.db_file);
    let keeper = st.as_ref().and_then(|s| s.keeper);
    let keeper_alive = keeper.is_some_and(|k| lease::is_keeper(k, &record));
    match guard::read(&cfg.db_file) {
        Ok(Some(r)) => {
            let renewed_ms_ago = (r.renewed_ms > 0).then(|| now_ms.saturating_sub(r.renewed_ms));
            if row.pid.is_some() && r.node != node {
                row.problems.push(format!(
                    "this node serves it but its owner record names node {}",
                    r.node
                ));
            }
            if row.pid.is_some()
                && r.node == node
                && renewed_ms_ago.is_none_or(|ms| ms > lease::WINDOW.as_millis() as u64)
            {
                row.problems.push(format!(
                    "its owner record is not renewed (last {}): a node cut off from this one could take it over",
                    renewed_ms_ago.map_or("never".into(), |ms| format!("{} ms ago", ms))
                ));
            }
            row.lease = Some(Lease {
                owner: r.node,
                since: r.since,
                held_s: now_s.saturating_sub(r.since),
                renewed_ms_ago,
                seq: r.seq,
                record: record.display().to_string(),
                keeper_pid: keeper,
                keeper_alive,
            });
        }
        Ok(None) => {}
        Err(e) => row.problems.push(e.to_string()),
    }
    if let Some(k) = keeper
        && row.pid.is_some()
        && !keeper_alive
    {
        row.problems.push(format!(
            "its lease keeper pid {k} is gone: the owner record is no longer renewed"
        ));
    }
    let h = repair_history::list(&cfg.backup_dir, &cfg.db_file);
    row.backups = Some(h.backups.len());
    row.backup_dir = Some(cfg.backup_dir.display().to_string());
    row.last_repair = h.last_run().map(|s| repair_of(s, now_s));
    row.last_change = h.last_change().map(|s| repair_of(s, now_s));
}

/// The storage of a database served here: measured now (as the agent's monitor does),
/// with what the agent last wrote and its last compaction.
pub(super) fn observe_storage(
    row: &mut Resource,
    cfg: &ovsdb_server::Config,
    st: Option<&State>,
    now_ms: u64,
) {
    use ovsdb_server::storage::{self, Level, human};
    let space = match storage::measure(&cfg.db_file) {
        Ok(s) => s,
        Err(e) => {
            row.problems
                .push(format!("cannot measure the database's storage: {e}"));
            return;
        }
    };
    // The margin the agent's monitor judges by (the CIB's, or the default, before one).
    let margin = st.and_then(|s| s.storage.margin).unwrap_or(cfg.storage_low);
    let level = storage::level(space, margin);
    let memo = st.and_then(|s| s.storage.compaction.as_ref());
    let last = memo.map(|c| {
        let (result, after, error) = match &c.outcome {
            CompactionOutcome::Done { file_after, .. } => ("done", Some(*file_after), None),
            CompactionOutcome::Failed { error } => ("failed", None, Some(error.clone())),
            CompactionOutcome::Pending => ("pending", None, None),
        };
        LastCompaction {
            time: c.stamp.clone(),
            age_s: now_ms.saturating_sub(c.at_ms) / 1000,
            result,
            file_before_bytes: c.file_before,
            file_after_bytes: after,
            error,
        }
    });
    let compaction = memo
        .map(|c| format!("; {}", storage::describe(c)))
        .unwrap_or_default();
    match level {
        Level::Ok => {}
        Level::Low => row.problems.push(format!(
            "storage low: {} free of {}, below the file's {} + storage_low_mb {}{compaction}",
            human(space.free),
            human(space.total),
            human(space.file),
            human(margin)
        )),
        Level::Full => row.problems.push(format!(
            "storage full: {} free of {} (the file is {}): ovsdb-server refuses writes and serves reads{compaction}; make room or grow the filesystem",
            human(space.free),
            human(space.total),
            human(space.file)
        )),
    }
    row.storage = Some(Storage {
        state: level.word(),
        free_bytes: space.free,
        total_bytes: space.total,
        db_file_bytes: space.file,
        low_below_bytes: storage::low_below(space, margin),
        attribute: st.and_then(|s| s.attrs.get(&cfg.storage_attr()).cloned()),
        last_compaction: last,
    });
}

pub(super) fn observe_northd(row: &mut Resource, cfg: &ovn_northd::Config) {
    let st = load_state(&cfg.state_file(), &mut row.problems);
    if let Some(st) = &st {
        row.role = pacemaker::role_word(st.role);
    }
    let daemon = find_daemon(&cfg.daemon_spec());
    if let Some(d) = &daemon {
        row.pid = Some(d.pid);
        if d.stopped() {
            row.problems
                .push(format!("ovn-northd pid {} is stopped (SIGSTOP)", d.pid));
        } else {
            match ask(&cfg.ctl(d.pid), "status") {
                Ok(text) => {
                    row.daemon_status = Some(match ovn_northd::parse_status(&text) {
                        ovn_northd::NorthdStatus::Active => "active".into(),
                        ovn_northd::NorthdStatus::Standby => "standby".into(),
                        ovn_northd::NorthdStatus::Paused => "paused".into(),
                        ovn_northd::NorthdStatus::Other(s) => s,
                    })
                }
                Err(e) => row
                    .problems
                    .push(format!("ovn-northd pid {} does not answer: {e}", d.pid)),
            }
        }
    } else if st.is_some_and(|s| s.role.is_some()) {
        row.problems.push(format!(
            "the agent recorded a role, but no ovn-northd runs (pidfile {})",
            cfg.pidfile().display()
        ));
    }
}

/// storage=rebuild: the generation beside the file against the cluster's.
fn observe_generation(row: &mut Resource, cfg: &ovsdb_server::Config) -> Generation {
    let file = ovsdb_server::read_generation(&ovsdb_server::generation_file(&cfg.db_file));
    let name = ovsdb_server::generation_property(cfg.db);
    let cluster = pacemaker::cluster_property(&name, Deadline::after(ASK_TIMEOUT));
    let current = match &cluster {
        Ok(None) => Some(true),
        Ok(Some(c)) => Some(file.as_ref() == Some(c)),
        Err(_) => None,
    };
    if current == Some(false) && row.role == Some("serving") {
        row.problems.push(format!(
            "serving a file of generation {}, not the cluster's current one",
            file.as_deref().unwrap_or("none")
        ));
    }
    Generation {
        file,
        cluster: cluster.ok().flatten(),
        current,
    }
}

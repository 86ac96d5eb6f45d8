//! The status for people: one line about the cluster, one row per resource, then what
//! a row has no room for (database file, its storage, the last change and its backup, failed
//! actions, problems). Renders a `Status`; gathers nothing.

use super::{Resource, Status};

/// `45s`, `12m`, `3h12m`, `2d3h`.
pub fn duration(s: u64) -> String {
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
    }
}

fn dash(s: String) -> String {
    if s.is_empty() { "-".into() } else { s }
}

fn name(r: &Resource) -> String {
    r.resource.clone().unwrap_or_else(|| "-".into())
}

fn agent(r: &Resource) -> String {
    match r.db {
        Some(db) => format!("{}/{db}", r.agent),
        None => r.agent.clone(),
    }
}

fn lease(r: &Resource) -> String {
    r.lease
        .as_ref()
        .map(|l| format!("{} {}", l.owner, duration(l.held_s)))
        .unwrap_or_default()
}

fn repair(r: &Resource) -> String {
    let word = |x: &super::Repair| match x.age_s {
        Some(a) => format!("{} {} ago", x.outcome, duration(a)),
        None => x.outcome.clone(),
    };
    match (&r.last_repair, &r.last_change) {
        (Some(last), Some(change)) if last.report != change.report => {
            format!("{} ({})", word(last), word(change))
        }
        (Some(last), _) => word(last),
        (None, _) => r.repair_line.clone().unwrap_or_default(),
    }
}

fn pacemaker(r: &Resource) -> String {
    let Some(p) = &r.pacemaker else {
        return String::new();
    };
    let mut s = if p.running_on.is_empty() {
        "Stopped".to_string()
    } else {
        p.running_on
            .iter()
            .map(|n| format!("{}@{n}", p.roles.get(n).map_or("?", String::as_str)))
            .collect::<Vec<_>>()
            .join(" ")
    };
    if !p.managed {
        s.push_str(" unmanaged");
    }
    match p.failed_actions.len() {
        0 => {}
        1 => s.push_str("; 1 failed action"),
        n => s.push_str(&format!("; {n} failed actions")),
    }
    s
}

fn cluster_line(st: &Status) -> String {
    let c = &st.cluster;
    let mut s = if c.running {
        let online: Vec<&str> = c
            .nodes
            .iter()
            .filter(|n| n.online)
            .map(|n| n.name.as_str())
            .collect();
        let offline: Vec<&str> = c
            .nodes
            .iter()
            .filter(|n| !n.online)
            .map(|n| n.name.as_str())
            .collect();
        let mut s = format!("cluster: this node {}", c.node);
        if let Some(dc) = &c.dc {
            s.push_str(&format!(", DC {dc}"));
        }
        if !online.is_empty() {
            s.push_str(&format!(", online: {}", online.join(" ")));
        }
        if !offline.is_empty() {
            s.push_str(&format!(", OFFLINE: {}", offline.join(" ")));
        }
        if let Some(f) = &c.cib_file {
            s.push_str(&format!(" (CIB_file={f})"));
        }
        s
    } else {
        let why = c.error.as_deref().unwrap_or("Pacemaker did not answer");
        format!(
            "no cluster: showing local state only (this node {}; {why})",
            c.node
        )
    };
    if let (true, Some(e)) = (c.running, &c.error) {
        s.push_str(&format!("\n  {e}"));
    }
    s.push('\n');
    s
}

/// The whole human-readable status.
pub fn render(st: &Status) -> String {
    let mut out = cluster_line(st);
    if st.resources.is_empty() {
        out.push_str(
            "no ovn-ocf resources here (no CIB resource, no state file in the run dirs)\n",
        );
        return out;
    }
    let header = [
        "RESOURCE",
        "AGENT",
        "ROLE",
        "PID",
        "LISTENERS",
        "LEASE",
        "LAST REPAIR",
        "BACKUPS",
        "PACEMAKER",
    ];
    let rows: Vec<[String; 9]> = st
        .resources
        .iter()
        .map(|r| {
            [
                name(r),
                agent(r),
                dash(r.role.unwrap_or_default().to_string()),
                dash(r.pid.map(|p| p.to_string()).unwrap_or_default()),
                dash(r.listeners.join(",")),
                dash(lease(r)),
                dash(repair(r)),
                dash(r.backups.map(|b| b.to_string()).unwrap_or_default()),
                dash(pacemaker(r)),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for row in &rows {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut l = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            if i + 1 == cells.len() {
                l.push_str(c);
            } else {
                l.push_str(&format!("{c:<w$}  "));
            }
        }
        l.push('\n');
        l
    };
    out.push('\n');
    out.push_str(&line(&header.map(String::from)));
    for row in &rows {
        out.push_str(&line(row));
    }
    for r in &st.resources {
        let details = details(r);
        if !details.is_empty() {
            let label = match (&r.resource, &r.state_file) {
                (Some(id), _) => format!("{id} ({})", agent(r)),
                (None, Some(sf)) => format!("{} (no CIB resource; state {sf})", agent(r)),
                (None, None) => format!("{} (no CIB resource)", agent(r)),
            };
            out.push_str(&format!("\n{label}:\n"));
            for d in details {
                out.push_str(&format!("  {d}\n"));
            }
        }
    }
    out
}

/// What a row has no room for.
fn details(r: &Resource) -> Vec<String> {
    let mut d = Vec::new();
    if let Some(f) = &r.db_file {
        d.push(format!(
            "database {f} (from {})",
            r.db_file_from.unwrap_or("?")
        ));
    }
    if let Some(l) = &r.lease {
        let renewed = l
            .renewed_ms_ago
            .map_or("never renewed".into(), |ms| format!("renewed {ms} ms ago"));
        let keeper = match l.keeper_pid {
            Some(k) if l.keeper_alive => format!(", keeper pid {k}"),
            Some(k) => format!(", keeper pid {k} GONE"),
            None => String::new(),
        };
        d.push(format!(
            "lease: {} for {}, {renewed}{keeper}",
            l.owner,
            duration(l.held_s)
        ));
    }
    if let Some(g) = &r.generation {
        let file = g.file.as_deref().unwrap_or("none");
        d.push(match (&g.cluster, g.current) {
            (_, None) => format!("generation: {file}, the cluster's unknown"),
            (None, _) => format!("generation: {file}, none in the cluster yet: serves as found"),
            (Some(_), Some(true)) => {
                format!("generation: {file}, the cluster's too: the current file")
            }
            (Some(c), Some(false)) => {
                format!("generation: {file}, the cluster's is {c}: stale, a start here rebuilds it")
            }
        });
    }
    if let Some(rep) = &r.replication {
        d.push(match (&rep.from_node, &rep.remote) {
            (Some(n), Some(remote)) => format!(
                "replication: from {n} ({remote}), {}, {}{}",
                if rep.connected {
                    "connected"
                } else {
                    "NOT connected"
                },
                if rep.synced {
                    "full copy loaded"
                } else {
                    "no full copy yet"
                },
                rep.error
                    .as_ref()
                    .map_or(String::new(), |e| format!("; {e}"))
            ),
            _ => "replication: none (no promoted instance answered)".into(),
        });
    }
    if let Some(s) = &r.storage {
        let size = crate::ovsdb_server::storage::human;
        let mut line = format!(
            "storage: {}, {} free of {}, the file {} (low below {})",
            s.state,
            size(s.free_bytes),
            size(s.total_bytes),
            size(s.db_file_bytes),
            size(s.low_below_bytes)
        );
        if let Some(c) = &s.last_compaction {
            line.push_str(&format!(
                "; last compaction {} at {} ({} ago)",
                c.result,
                c.time,
                duration(c.age_s)
            ));
        }
        d.push(line);
    }
    if let Some(c) = r.last_change.as_ref().or(r.last_repair.as_ref()) {
        let found = c
            .found
            .as_ref()
            .map(|f| format!(" (found {f})"))
            .unwrap_or_default();
        d.push(format!("last repair: {} at {}{found}", c.outcome, c.time));
        if let Some(b) = &c.backup {
            d.push(format!("  backup {b}"));
        }
        d.push(format!("  report {}", c.report));
    }
    if let Some(p) = &r.pacemaker {
        for f in &p.failed_actions {
            let interval = if f.interval_ms > 0 {
                format!(" (every {})", duration(f.interval_ms / 1000))
            } else {
                String::new()
            };
            let code = f.exit_code.map(|c| format!(" rc={c}")).unwrap_or_default();
            let reason = f
                .exit_reason
                .as_ref()
                .map(|x| format!(": {x}"))
                .unwrap_or_default();
            let when = f
                .last_rc_change
                .as_ref()
                .map(|w| format!(" at {w}"))
                .unwrap_or_default();
            d.push(format!(
                "FAILED {}{interval} on {}: {}{code}{reason}{when}",
                f.task, f.node, f.exit_status
            ));
        }
    }
    for p in &r.problems {
        d.push(format!("PROBLEM: {p}"));
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(duration(0), "0s");
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(60), "1m");
        assert_eq!(duration(3600 + 120), "1h2m");
        assert_eq!(duration(86_400 * 2 + 3600), "2d1h");
    }
}

//! Wrappers for the Pacemaker command-line tools an agent uses: the promotion score
//! (`crm_attribute --promotion`), transient node attributes (`attrd_updater`), the local
//! node name and cluster membership (`crm_node`), and a failure report (`crm_resource
//! --fail`). Every call goes through the runner with the action's deadline. Callers decide
//! when a write is needed; this module never caches.

use crate::ocf::Deadline;
use crate::runner;
use crate::state::{Role, State};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Run(#[from] runner::Error),
    #[error("{tool} failed: {detail}")]
    Failed { tool: &'static str, detail: String },
}

impl crate::ocf::OcfError for Error {
    fn ocf_status(&self) -> crate::ocf::OcfStatus {
        match self {
            Error::Run(e) => e.ocf_status(),
            Error::Failed { .. } => crate::ocf::OcfStatus::ErrGeneric,
        }
    }
}

fn run_ok(tool: &'static str, args: &[&str], deadline: Deadline) -> Result<String, Error> {
    let out = runner::run(tool, args, &[], deadline)?;
    if out.success() {
        Ok(out.stdout_str())
    } else {
        Err(Error::Failed {
            tool,
            detail: out.describe(),
        })
    }
}

/// Sets (Some) or deletes (None) this node's promotion score for the resource named by
/// `OCF_RESOURCE_INSTANCE`.
pub fn set_promotion(score: Option<i32>, deadline: Deadline) -> Result<(), Error> {
    let v;
    let args: Vec<&str> = match score {
        Some(s) => {
            v = s.to_string();
            vec!["--promotion", "-v", &v]
        }
        None => vec!["--promotion", "-D"],
    };
    run_ok("crm_attribute", &args, deadline).map(|_| ())
}

/// Sets (Some) or deletes (None) a transient node attribute (shown by `crm_mon -A`).
pub fn set_node_attr(name: &str, value: Option<&str>, deadline: Deadline) -> Result<(), Error> {
    let args: Vec<&str> = match value {
        Some(v) => vec!["-n", name, "-U", v],
        None => vec!["-n", name, "-D"],
    };
    run_ok("attrd_updater", &args, deadline).map(|_| ())
}

/// What `crm_attribute --query --default` prints for a cluster property that is not set.
const UNSET: &str = "ovn-ocf-unset";

/// A cluster-wide property (`crm_attribute --type crm_config`): Some(value) or None when
/// it is not set.
pub fn cluster_property(name: &str, deadline: Deadline) -> Result<Option<String>, Error> {
    let default = format!("--default={UNSET}");
    let out = run_ok(
        "crm_attribute",
        &[
            "--type",
            "crm_config",
            "--name",
            name,
            "--query",
            "--quiet",
            &default,
        ],
        deadline,
    )?;
    let v = out.trim_end_matches('\n');
    Ok((v != UNSET).then(|| v.to_string()))
}

/// Sets a cluster-wide property (`crm_attribute --type crm_config --update`): written to
/// the CIB, which every node sees.
pub fn set_cluster_property(name: &str, value: &str, deadline: Deadline) -> Result<(), Error> {
    run_ok(
        "crm_attribute",
        &["--type", "crm_config", "--name", name, "--update", value],
        deadline,
    )
    .map(|_| ())
}

/// Tells Pacemaker that `resource` failed on `node` (`crm_resource --fail`): it records a
/// failed `asyncmon` and recovers at once, without waiting for the next monitor.
pub fn report_failure(resource: &str, node: &str, deadline: Deadline) -> Result<(), Error> {
    run_ok(
        "crm_resource",
        &["--fail", "-r", resource, "-N", node],
        deadline,
    )
    .map(|_| ())
}

/// Brings the cluster's view in line with what an agent wants shown: the promotion score
/// (promotable clones only) and node attributes (`None` deletes one). Writes only what
/// differs from what `st` says was last written, all at once (each write is a Pacemaker
/// tool of its own, ~10-20 ms, and a start returns only after them), and records what
/// succeeded. Failures are logged, never fatal: outside a cluster (tests, ocf-tester)
/// there is nothing to write to, and a score must never fail an action.
pub fn publish(
    st: &mut State,
    score: Option<i32>,
    promotable: bool,
    attrs: &[(&str, Option<&str>)],
    deadline: Deadline,
) {
    let set_score = promotable && st.score != score;
    let changed: Vec<(&str, Option<&str>)> = attrs
        .iter()
        .copied()
        .filter(|&(attr, want)| st.attrs.get(attr).map(String::as_str) != want)
        .collect();
    type Write<'a> = Box<dyn FnOnce() -> Result<(), Error> + Send + 'a>;
    let mut writes: Vec<Write> = changed
        .iter()
        .map(|&(attr, want)| Box::new(move || set_node_attr(attr, want, deadline)) as Write)
        .collect();
    if set_score {
        writes.push(Box::new(move || set_promotion(score, deadline)));
    }
    let mut done: Vec<Result<(), Error>> = runner::at_once(writes)
        .into_iter()
        .map(|r| {
            r.unwrap_or_else(|| {
                Err(Error::Failed {
                    tool: "the write",
                    detail: "its thread panicked".into(),
                })
            })
        })
        .collect();
    let score_done = set_score.then(|| done.pop()).flatten();
    let attrs_done = done;
    match score_done {
        Some(Ok(())) => st.score = score,
        Some(Err(e)) => log::warn!("cannot set promotion score {score:?}: {e}"),
        None => {}
    }
    for (&(attr, want), done) in changed.iter().zip(attrs_done) {
        match done {
            Ok(()) => match want {
                Some(v) => {
                    st.attrs.insert(attr.to_string(), v.to_string());
                }
                None => {
                    st.attrs.remove(attr);
                }
            },
            Err(e) => log::warn!("cannot set node attribute {attr}: {e}"),
        }
    }
}

/// The role word shown in `crm_mon -A`.
pub fn role_word(role: Option<Role>) -> Option<&'static str> {
    role.map(|r| match r {
        Role::Serving => "serving",
        Role::Standby => "standby",
    })
}

/// One line of `crm_node -l`: `ID NAME STATE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub online: bool,
}

pub fn parse_crm_node_list(text: &str) -> Vec<Member> {
    text.lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            match f.as_slice() {
                [_id, name, state, ..] => Some(Member {
                    name: name.to_string(),
                    online: *state == "member",
                }),
                _ => None,
            }
        })
        .collect()
}

/// The cluster's view of its nodes.
pub fn membership(deadline: Deadline) -> Result<Vec<Member>, Error> {
    run_ok("crm_node", &["-l"], deadline).map(|s| parse_crm_node_list(&s))
}

/// The addresses Corosync reaches `node` at (its `nodelist.node.N.ringK_addr` in cmap,
/// host names resolved), from `corosync-cmapctl nodelist.node`.
pub fn corosync_addresses(node: &str, deadline: Deadline) -> Result<Vec<std::net::IpAddr>, Error> {
    run_ok("corosync-cmapctl", &["nodelist.node"], deadline).map(|s| parse_cmap_addresses(&s, node))
}

/// `nodelist.node.0.name (str) = node1`, `nodelist.node.0.ring0_addr (str) = 192.0.2.11`
/// lines: the ring addresses of the entry named `node`, in ring order.
pub fn parse_cmap_addresses(text: &str, node: &str) -> Vec<std::net::IpAddr> {
    /// A nodelist entry: its name, and its `ringK_addr` fields with their values.
    type Entry<'a> = (Option<&'a str>, Vec<(&'a str, &'a str)>);
    let mut entries: std::collections::BTreeMap<&str, Entry> = Default::default();
    for l in text.lines() {
        let Some((key, value)) = l.split_once(" = ") else {
            continue;
        };
        let key = key.split_whitespace().next().unwrap_or_default();
        let Some(rest) = key.strip_prefix("nodelist.node.") else {
            continue;
        };
        let Some((idx, field)) = rest.split_once('.') else {
            continue;
        };
        let e = entries.entry(idx).or_default();
        if field == "name" {
            e.0 = Some(value.trim());
        } else if field.starts_with("ring") && field.ends_with("_addr") {
            e.1.push((field, value.trim()));
        }
    }
    let Some((_, (_, mut rings))) = entries.into_iter().find(|(_, (n, _))| *n == Some(node)) else {
        return vec![];
    };
    rings.sort();
    rings
        .into_iter()
        .filter_map(|(_, a)| {
            a.parse().ok().or_else(|| {
                use std::net::ToSocketAddrs;
                (a, 0).to_socket_addrs().ok()?.next().map(|s| s.ip())
            })
        })
        .collect()
}

/// When Pacemaker last fenced `node` (seconds since the epoch), from
/// `stonith_admin --last NODE --output-as=xml`: `<last-fenced target="node1"
/// when="2026-11-24 10:13:37Z"/>`. None if never, unknown, or not in that form.
pub fn last_fenced(node: &str, deadline: Deadline) -> Option<u64> {
    let out = run_ok(
        "stonith_admin",
        &["--last", node, "--output-as=xml"],
        deadline,
    )
    .ok()?;
    parse_last_fenced(&out, node)
}

pub fn parse_last_fenced(xml: &str, node: &str) -> Option<u64> {
    let mut r = quick_xml::Reader::from_str(xml);
    loop {
        match r.read_event().ok()? {
            quick_xml::events::Event::Empty(e) | quick_xml::events::Event::Start(e)
                if e.name().as_ref() == "last-fenced" =>
            {
                // Node names and this date form need no unescaping.
                let attr = |k: &str| {
                    e.try_get_attribute(k)
                        .ok()
                        .flatten()
                        .map(|a| a.value.into_owned())
                };
                if attr("target").as_deref() != Some(node) {
                    return None;
                }
                return utc_epoch(&attr("when")?);
            }
            quick_xml::events::Event::Eof => return None,
            _ => {}
        }
    }
}

/// "YYYY-MM-DD HH:MM:SSZ" (UTC) → seconds since the epoch.
fn utc_epoch(s: &str) -> Option<u64> {
    let s = s.strip_suffix('Z')?;
    let (date, time) = s.split_once(' ')?;
    let d: Vec<i64> = date
        .split('-')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let t: Vec<i64> = time
        .split(':')
        .map(|x| x.parse().ok())
        .collect::<Option<_>>()?;
    let ([y, m, d], [hh, mm, ss]) = (d.as_slice(), t.as_slice()) else {
        return None;
    };
    if !(1..=12).contains(m) || !(1..=31).contains(d) || *hh > 23 || *mm > 59 || *ss > 60 {
        return None;
    }
    // Days from the civil date (proleptic Gregorian), after H. Hinnant's algorithm.
    let y = if *m <= 2 { y - 1 } else { *y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    u64::try_from(days * 86400 + hh * 3600 + mm * 60 + ss).ok()
}

/// This node's cluster name: Pacemaker's word if it gave one, else `crm_node -n`, else the
/// kernel host name (no cluster: tests, ocf-tester, the CLI).
pub fn local_node_name(on_node: Option<&str>, deadline: Deadline) -> String {
    if let Some(n) = on_node {
        return n.to_string();
    }
    if let Ok(n) = run_ok("crm_node", &["-n"], deadline)
        && !n.trim().is_empty()
    {
        return n.trim().to_string();
    }
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_fenced_from_stonith_admin_xml() {
        // As printed by stonith_admin 2.1.5 in the namespace cluster.
        let xml = r#"<pacemaker-result api-version="2.25" request="stonith_admin --last node2 --output-as=xml">
  <last-fenced target="node2" when="2026-11-24 10:13:37Z"/>
  <status code="0" message="OK"/>
</pacemaker-result>"#;
        assert_eq!(parse_last_fenced(xml, "node2"), Some(1_795_515_217));
        assert_eq!(parse_last_fenced(xml, "node1"), None);
        let never = r#"<pacemaker-result><status code="74" message="I/O error occurred"/></pacemaker-result>"#;
        assert_eq!(parse_last_fenced(never, "node1"), None);
        assert_eq!(utc_epoch("1970-01-01 00:00:00Z"), Some(0));
        assert_eq!(utc_epoch("2000-03-01 00:00:00Z"), Some(951_868_800));
        assert_eq!(
            utc_epoch("2026-11-24 10:13:37"),
            None,
            "no zone: not trusted"
        );
        assert_eq!(utc_epoch("2026-13-24 10:13:37Z"), None);
    }

    /// corosync-cmapctl nodelist.node as Corosync 3.1 prints it (pcs's corosync.conf).
    #[test]
    fn cmap_addresses_of_a_node() {
        let text = "nodelist.node.0.name (str) = node1
nodelist.node.0.nodeid (u32) = 1
nodelist.node.0.ring0_addr (str) = 198.51.100.11
nodelist.node.1.name (str) = node2
nodelist.node.1.nodeid (u32) = 2
nodelist.node.1.ring1_addr (str) = fd00::12
nodelist.node.1.ring0_addr (str) = 198.51.100.12
";
        let a = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        assert_eq!(parse_cmap_addresses(text, "node1"), [a("198.51.100.11")]);
        assert_eq!(
            parse_cmap_addresses(text, "node2"),
            [a("198.51.100.12"), a("fd00::12")]
        );
        assert!(parse_cmap_addresses(text, "node3").is_empty());
        assert!(parse_cmap_addresses("", "node1").is_empty());
    }

    #[test]
    fn crm_node_list_exact_names() {
        let m = parse_crm_node_list("1 node1 member\n10 node10 lost\n\n");
        assert_eq!(
            m,
            vec![
                Member {
                    name: "node1".into(),
                    online: true
                },
                Member {
                    name: "node10".into(),
                    online: false
                },
            ]
        );
    }
}

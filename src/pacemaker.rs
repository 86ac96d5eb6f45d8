//! Wrappers for the Pacemaker command-line tools an agent uses: the promotion score
//! (`crm_attribute --promotion`), transient node attributes (`attrd_updater`), the local
//! node name and cluster membership (`crm_node`). Every call goes through the runner with
//! the action's deadline. Callers decide when a write is needed; this module never caches.

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

/// Brings the cluster's view in line with what an agent wants shown: the promotion score
/// (promotable clones only) and node attributes (`None` deletes one). Writes only what
/// differs from what `st` says was last written, and records what succeeded. Failures are
/// logged, never fatal: outside a cluster (tests, ocf-tester) there is nothing to write
/// to, and a score must never fail an action.
pub fn publish(
    st: &mut State,
    score: Option<i32>,
    promotable: bool,
    attrs: &[(&str, Option<&str>)],
    deadline: Deadline,
) {
    if promotable && st.score != score {
        match set_promotion(score, deadline) {
            Ok(()) => st.score = score,
            Err(e) => log::warn!("cannot set promotion score {score:?}: {e}"),
        }
    }
    for &(attr, want) in attrs {
        if st.attrs.get(attr).map(String::as_str) == want {
            continue;
        }
        match set_node_attr(attr, want, deadline) {
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

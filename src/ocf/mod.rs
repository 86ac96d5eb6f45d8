//! The OCF runtime: exit codes, the action set, the environment Pacemaker hands an agent,
//! and the one place where an action's outcome becomes an exit code and an exit reason.
//!
//! Owns no agent logic and never touches the system beyond reading the environment and
//! writing to stderr.

pub mod deadline;
pub mod logger;
pub mod man;
pub mod params;
pub mod time;

use std::fmt;

pub use deadline::Deadline;

/// OCF 1.1 exit codes (resource-agents' ocf-shellfuncs, Pacemaker's execd). Pacemaker maps
/// anything else to 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(i32)]
pub enum OcfStatus {
    Success = 0,
    ErrGeneric = 1,
    ErrArgs = 2,
    Unimplemented = 3,
    ErrPerm = 4,
    ErrInstalled = 5,
    ErrConfigured = 6,
    NotRunning = 7,
    RunningPromoted = 8,
    FailedPromoted = 9,
    Degraded = 190,
    DegradedPromoted = 191,
}

impl OcfStatus {
    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn name(self) -> &'static str {
        match self {
            OcfStatus::Success => "OCF_SUCCESS",
            OcfStatus::ErrGeneric => "OCF_ERR_GENERIC",
            OcfStatus::ErrArgs => "OCF_ERR_ARGS",
            OcfStatus::Unimplemented => "OCF_ERR_UNIMPLEMENTED",
            OcfStatus::ErrPerm => "OCF_ERR_PERM",
            OcfStatus::ErrInstalled => "OCF_ERR_INSTALLED",
            OcfStatus::ErrConfigured => "OCF_ERR_CONFIGURED",
            OcfStatus::NotRunning => "OCF_NOT_RUNNING",
            OcfStatus::RunningPromoted => "OCF_RUNNING_PROMOTED",
            OcfStatus::FailedPromoted => "OCF_FAILED_PROMOTED",
            OcfStatus::Degraded => "OCF_DEGRADED",
            OcfStatus::DegradedPromoted => "OCF_DEGRADED_PROMOTED",
        }
    }
}

/// A failed action: the status Pacemaker gets and the one line an operator reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Failure {
    pub status: OcfStatus,
    pub reason: String,
}

impl Failure {
    pub fn new(status: OcfStatus, reason: impl Into<String>) -> Self {
        Failure {
            status,
            reason: reason.into(),
        }
    }
    pub fn generic(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrGeneric, reason)
    }
    pub fn configured(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrConfigured, reason)
    }
    pub fn installed(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrInstalled, reason)
    }
    pub fn perm(reason: impl Into<String>) -> Self {
        Self::new(OcfStatus::ErrPerm, reason)
    }
    /// A local file operation failed: a directory or file this node may not write
    /// (permissions, a read-only filesystem) is OCF_ERR_PERM, a hard error that moves the
    /// resource to another node; anything else is OCF_ERR_GENERIC.
    pub fn local_io(reason: impl Into<String>, e: &std::io::Error) -> Self {
        Self::new(io_status(e), reason)
    }
}

/// An error that knows which OCF status it means. Every error enum an agent may meet
/// implements it, so an error becomes a [`Failure`] (status + exit reason) without being
/// flattened to a string first: `?` converts, [`Failure::context`] adds what was being done.
pub trait OcfError: std::error::Error {
    fn ocf_status(&self) -> OcfStatus;
}

impl<E: OcfError> From<E> for Failure {
    fn from(e: E) -> Failure {
        Failure::new(e.ocf_status(), e.to_string())
    }
}

impl Failure {
    /// `e` with what was being done in front of it; the status is still `e`'s.
    pub fn context(e: impl OcfError, doing: impl fmt::Display) -> Failure {
        Failure::new(e.ocf_status(), format!("{doing}: {e}"))
    }
}

/// The status of a failed local file operation: a directory or file this node may not
/// write (permissions, a read-only filesystem) is OCF_ERR_PERM, a hard error that moves
/// the resource to another node; anything else is OCF_ERR_GENERIC.
pub fn io_status(e: &std::io::Error) -> OcfStatus {
    use std::io::ErrorKind::{PermissionDenied, ReadOnlyFilesystem};
    match e.kind() {
        PermissionDenied | ReadOnlyFilesystem => OcfStatus::ErrPerm,
        _ => OcfStatus::ErrGeneric,
    }
}

/// The status of a program that could not be started: missing is OCF_ERR_INSTALLED,
/// not executable OCF_ERR_PERM, anything else OCF_ERR_GENERIC.
pub fn spawn_status(e: &std::io::Error) -> OcfStatus {
    match e.kind() {
        std::io::ErrorKind::NotFound => OcfStatus::ErrInstalled,
        std::io::ErrorKind::PermissionDenied => OcfStatus::ErrPerm,
        _ => OcfStatus::ErrGeneric,
    }
}

pub type ActionResult = Result<OcfStatus, Failure>;

/// The actions an agent may be asked for. Anything else is unimplemented (3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Start,
    Stop,
    Monitor,
    Promote,
    Demote,
    Notify,
    MetaData,
    ValidateAll,
    Usage,
}

impl Action {
    pub const ALL: [Action; 9] = [
        Action::Start,
        Action::Stop,
        Action::Monitor,
        Action::Promote,
        Action::Demote,
        Action::Notify,
        Action::MetaData,
        Action::ValidateAll,
        Action::Usage,
    ];

    pub fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Action::Start => "start",
            Action::Stop => "stop",
            Action::Monitor => "monitor",
            Action::Promote => "promote",
            Action::Demote => "demote",
            Action::Notify => "notify",
            Action::MetaData => "meta-data",
            Action::ValidateAll => "validate-all",
            Action::Usage => "usage",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What Pacemaker tells every action, read once, without I/O.
#[derive(Debug, Clone, Default)]
pub struct Meta {
    /// `OCF_RESOURCE_INSTANCE`, e.g. `ovn-nb:0`.
    pub instance: Option<String>,
    /// `OCF_RESKEY_CRM_meta_interval` in ms; 0 (or unset) on a probe.
    pub interval_ms: u64,
    /// `OCF_RESKEY_CRM_meta_timeout` in ms.
    pub timeout_ms: Option<u64>,
    /// The resource is a promotable clone: `OCF_RESKEY_CRM_meta_promotable` is true, or
    /// `..._promoted_max` (`..._master_max`) is above 0. Pacemaker 2.1.5 passes only the
    /// latter two to promote/demote/monitor of a clone made with `pcs ... promotable`
    /// (seen in the namespace cluster).
    pub promotable: bool,
    /// `OCF_CHECK_LEVEL`: 0, 10 or 20.
    pub check_level: u32,
    /// `OCF_RESKEY_CRM_meta_on_node`: the node this action runs on, if Pacemaker said.
    pub on_node: Option<String>,
}

/// Reads an environment variable, treating empty as unset (shell agents do `${x:-default}`).
pub fn env_var(name: &str) -> Option<String> {
    match std::env::var(name) {
        Ok(v) if !v.is_empty() => Some(v),
        _ => None,
    }
}

/// Pacemaker's booleans: true/yes/on/1/y (any case).
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" | "y" => Some(true),
        "false" | "no" | "off" | "0" | "n" => Some(false),
        _ => None,
    }
}

/// Whether the meta variables (`get` reads one) say "promotable clone".
fn promotable_from(get: impl Fn(&str) -> Option<String>) -> bool {
    if let Some(b) = get("OCF_RESKEY_CRM_meta_promotable").and_then(|v| parse_bool(&v)) {
        return b;
    }
    [
        "OCF_RESKEY_CRM_meta_promoted_max",
        "OCF_RESKEY_CRM_meta_master_max",
    ]
    .iter()
    .any(|k| {
        get(k)
            .and_then(|v| v.trim().parse::<u32>().ok())
            .is_some_and(|n| n > 0)
    })
}

impl Meta {
    pub fn from_env() -> Meta {
        Meta {
            instance: env_var("OCF_RESOURCE_INSTANCE"),
            interval_ms: env_var("OCF_RESKEY_CRM_meta_interval")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
            timeout_ms: env_var("OCF_RESKEY_CRM_meta_timeout").and_then(|v| v.trim().parse().ok()),
            promotable: promotable_from(env_var),
            check_level: env_var("OCF_CHECK_LEVEL")
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0),
            on_node: env_var("OCF_RESKEY_CRM_meta_on_node"),
        }
    }

    /// A monitor with interval 0 is a probe: "is it there?", even with bad configuration.
    pub fn is_probe(&self, action: Action) -> bool {
        action == Action::Monitor && self.interval_ms == 0
    }

    /// The action's deadline: Pacemaker's timeout (or the meta-data default) less a margin,
    /// so that we report before Pacemaker kills us.
    pub fn deadline(&self, default_timeout_s: u64) -> Deadline {
        let ms = self.timeout_ms.unwrap_or(default_timeout_s * 1000);
        Deadline::from_timeout_ms(ms)
    }
}

/// The one place an action's result becomes an exit code: failures print exactly one
/// `ocf-exit-reason:` line (the last stderr line starting with it is what crm_mon shows).
pub fn finish(action: &str, result: ActionResult) -> i32 {
    match result {
        Ok(status) => {
            log::debug!("action={action} status={}", status.name());
            status.code()
        }
        Err(f) => {
            log::error!(
                "action={action} status={} reason={}",
                f.status.name(),
                f.reason
            );
            exit_reason(&f.reason);
            f.status.code()
        }
    }
}

/// Writes the exit reason line. One line: newlines in the reason are folded.
pub fn exit_reason(reason: &str) {
    use std::io::Write;
    let prefix = env_var("OCF_EXIT_REASON_PREFIX").unwrap_or_else(|| "ocf-exit-reason:".into());
    let one_line: String = reason
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let _ = writeln!(std::io::stderr(), "{prefix}{one_line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotable_as_pacemaker_2_1_says_it() {
        let from = |vars: &[(&str, &str)]| {
            let vars: Vec<(String, String)> = vars
                .iter()
                .map(|(k, v)| (format!("OCF_RESKEY_CRM_meta_{k}"), v.to_string()))
                .collect();
            promotable_from(|k| {
                vars.iter()
                    .find(|(n, v)| n == k && !v.is_empty())
                    .map(|(_, v)| v.clone())
            })
        };
        // The environment of a real promote in the namespace cluster (pcs ... promotable).
        assert!(from(&[
            ("clone_max", "2"),
            ("master_max", "1"),
            ("promoted_max", "1"),
            ("notify", "false")
        ]));
        assert!(from(&[("promotable", "true")]));
        assert!(!from(&[("promotable", "false"), ("promoted_max", "1")]));
        assert!(!from(&[("clone_max", "2")]), "a plain clone");
        assert!(!from(&[]), "a primitive");
        assert!(!from(&[("promoted_max", "0")]));
        assert!(!from(&[("promoted_max", "x")]));
    }

    #[test]
    fn action_names_round_trip_and_unknown_is_none() {
        for a in Action::ALL {
            assert_eq!(Action::parse(a.as_str()), Some(a));
        }
        assert_eq!(Action::parse("reload"), None);
        assert_eq!(Action::parse("START"), None);
        assert_eq!(Action::parse(""), None);
    }

    #[test]
    fn status_codes_are_ocf_1_1() {
        let expect = [
            (OcfStatus::Success, 0),
            (OcfStatus::ErrGeneric, 1),
            (OcfStatus::ErrArgs, 2),
            (OcfStatus::Unimplemented, 3),
            (OcfStatus::ErrPerm, 4),
            (OcfStatus::ErrInstalled, 5),
            (OcfStatus::ErrConfigured, 6),
            (OcfStatus::NotRunning, 7),
            (OcfStatus::RunningPromoted, 8),
            (OcfStatus::FailedPromoted, 9),
            (OcfStatus::Degraded, 190),
            (OcfStatus::DegradedPromoted, 191),
        ];
        for (s, c) in expect {
            assert_eq!(s.code(), c, "{}", s.name());
        }
    }

    #[test]
    fn booleans_follow_pacemaker() {
        for t in ["true", "YES", "on", "1", "y"] {
            assert_eq!(parse_bool(t), Some(true), "{t}");
        }
        for f in ["false", "No", "off", "0", "n"] {
            assert_eq!(parse_bool(f), Some(false), "{f}");
        }
        assert_eq!(parse_bool("maybe"), None);
    }
}

//! The agent framework: what every agent does the same way. [`Agent`] is an agent's
//! configuration (table, decoding, system checks, its instance on this node), [`Actions`]
//! what it does to a [`Resource`]; [`run`] decodes the parameters once, answers probes and stops of a bad
//! configuration, and dispatches one action; [`main`] turns its outcome into the exit
//! code and exit reason (through `ocf::finish`, the one place that does). [`Instance`] is
//! one resource on this node (state file, attributes, promotion score), [`daemon`]
//! spawns a daemon and waits until it is ready, and [`watcher`] reports its death.
//!
//! Owns no agent's logic: an agent module holds only what is its own.

pub mod busy;
pub mod daemon;
pub mod instance;
pub mod watcher;

use ovn_ocf::ocf::params::{AgentSpec, Values};
use ovn_ocf::ocf::{self, Action, ActionResult, Deadline, Failure, Meta, OcfStatus};

pub use instance::{DaemonSpec, Instance};

/// Promotion scores: any healthy standby may be promoted (constraints pick where); the
/// promoted instance prefers to stay.
pub const SCORE_STANDBY: i32 = 5;
pub const SCORE_PROMOTED: i32 = 10;

/// What every action gets besides the configuration.
pub struct Ctx<'a> {
    pub meta: &'a Meta,
    /// From `CRM_meta_timeout` (or the meta-data default), less a margin.
    pub deadline: Deadline,
}

/// An agent, implemented by its typed configuration: its table, how the configuration is
/// decoded and checked, and the resource it acts on.
pub trait Agent: Sized {
    const SPEC: &'static AgentSpec;
    /// The typed configuration from the parameters (decoded once by the table), with the
    /// rules between parameters. No I/O.
    fn configure(v: &Values) -> Result<Self, Failure>;
    /// Checks that touch the system: binaries and files the configuration names.
    /// validate-all, and the first step of start and promote.
    fn resolve(&self) -> Result<(), Failure>;
    /// The resource this configuration describes on this node: its state file, run
    /// directory and daemon.
    fn instance<'a>(&'a self, cx: &'a Ctx<'a>) -> Instance<'a>;

    /// The configuration from parameter values looked up by name (`OCF_RESKEY_`
    /// stripped), as the agent reads them from its environment: for tools that read a
    /// resource's parameters from elsewhere (the CIB), such as `ovn-ocf status`.
    fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Failure> {
        Self::SPEC
            .parse_with(lookup)
            .and_then(|v| Self::configure(&v))
    }
}

/// One action on one resource: its configuration, what the action was given, and the
/// instance on this node. Each agent implements [`Actions`] for its own
/// `Resource<'_, Config>`, and extends it with its own concerns, one file each.
pub struct Resource<'a, C> {
    pub cfg: &'a C,
    pub cx: &'a Ctx<'a>,
    pub inst: Instance<'a>,
}

/// The actions on one resource. Start and promote come after `Agent::resolve`; promote
/// and demote only for promotable clones (the framework answers them for a primitive).
pub trait Actions {
    fn start(&self) -> ActionResult;
    fn stop(&self) -> ActionResult;
    fn monitor(&self) -> ActionResult;
    fn promote(&self) -> ActionResult;
    fn demote(&self) -> ActionResult;
}

/// validate-all: `program` (parameter `param`) is an executable file; `hint` says what
/// provides it.
pub fn require_program(param: &str, program: &str, hint: &str) -> Result<(), Failure> {
    if ovn_ocf::process::executable(program) {
        return Ok(());
    }
    Err(Failure::installed(format!(
        "{param}: {program} is not an executable file{hint}"
    )))
}

/// validate-all: every named file exists.
pub fn require_files<'p>(
    files: impl IntoIterator<Item = (&'p str, &'p std::path::Path)>,
) -> Result<(), Failure> {
    for (param, f) in files {
        if !f.is_file() {
            return Err(Failure::installed(format!(
                "{param}: {} does not exist or is not a file",
                f.display()
            )));
        }
    }
    Ok(())
}

/// An agent as argv[0] finds it: its table and its one entry point.
pub struct AgentDef {
    pub spec: &'static AgentSpec,
    pub run: fn(Action, &Meta) -> ActionResult,
}

impl AgentDef {
    pub const fn of<A: Agent>() -> AgentDef
    where
        for<'a> Resource<'a, A>: Actions,
    {
        AgentDef {
            spec: A::SPEC,
            run: run::<A>,
        }
    }
}

/// Runs one action (not meta-data or usage, answered before any configuration).
pub fn run<A: Agent>(action: Action, meta: &Meta) -> ActionResult
where
    for<'a> Resource<'a, A>: Actions,
{
    let deadline = meta.deadline(A::SPEC.timeout_of(action.as_str()));
    let cfg = match configure::<A>(action, meta) {
        Ok(cfg) => cfg,
        Err(answer) => return answer,
    };
    let cx = Ctx { meta, deadline };
    let resource = Resource {
        cfg: &cfg,
        cx: &cx,
        inst: cfg.instance(&cx),
    };
    match action {
        Action::ValidateAll => cfg.resolve().map(|()| OcfStatus::Success),
        Action::Start => cfg.resolve().and_then(|()| resource.start()),
        Action::Stop => resource.stop(),
        Action::Monitor => resource.monitor(),
        Action::Promote | Action::Demote if !meta.promotable => {
            log::info!("not a promotable clone: {action} has nothing to do");
            Ok(OcfStatus::Success)
        }
        Action::Promote => cfg.resolve().and_then(|()| resource.promote()),
        Action::Demote => resource.demote(),
        Action::Notify | Action::MetaData | Action::Usage => Ok(OcfStatus::Success),
    }
}

/// The configuration of agent `A` from `(name, value)` pairs, as the environment would
/// give them (tests of the agents' tables).
#[cfg(test)]
pub fn config_of<A: Agent>(pairs: &[(&str, &str)]) -> Result<A, Failure> {
    A::from_lookup(|n| {
        pairs
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| v.to_string())
    })
}

/// Decodes the configuration for `action`. A probe must say "not running" and a stop
/// must succeed even when the configuration is bad (with it, nothing can have been
/// started): for those, `Err` carries the answer to give right away.
fn configure<A: Agent>(action: Action, meta: &Meta) -> Result<A, ActionResult> {
    match A::SPEC.parse_env().and_then(|v| A::configure(&v)) {
        Ok(c) => Ok(c),
        Err(f) if meta.is_probe(action) || action == Action::Stop => {
            log::warn!(
                "action={action} invalid configuration ({}); nothing of it can be running",
                f.reason
            );
            Err(Ok(if action == Action::Stop {
                OcfStatus::Success
            } else {
                OcfStatus::NotRunning
            }))
        }
        Err(f) => Err(Err(f)),
    }
}

/// Runs `args[1]` as an OCF action of `agent`; returns the exit code (decided by
/// `ocf::finish` only).
pub fn main(agent: &AgentDef, args: &[String]) -> i32 {
    ocf::logger::OcfLogger::from_env(agent.spec.name).install();
    let name = args.get(1).map(String::as_str).unwrap_or("");
    let result = match Action::parse(name) {
        None => {
            eprint!("{}", agent.spec.usage());
            let status = if name.is_empty() {
                OcfStatus::ErrArgs
            } else {
                OcfStatus::Unimplemented
            };
            Err(Failure::new(
                status,
                if name.is_empty() {
                    "no action given".to_string()
                } else {
                    format!("action {name:?} is not implemented")
                },
            ))
        }
        Some(Action::MetaData) => {
            print!("{}", agent.spec.meta_data(env!("CARGO_PKG_VERSION")));
            Ok(OcfStatus::Success)
        }
        Some(Action::Usage) => {
            print!("{}", agent.spec.usage());
            Ok(OcfStatus::Success)
        }
        Some(action) => {
            let meta = Meta::from_env();
            log::debug!(
                "action={action} interval_ms={} check_level={}",
                meta.interval_ms,
                meta.check_level
            );
            (agent.run)(action, &meta)
        }
    };
    ocf::finish(name, result)
}

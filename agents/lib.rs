//! The application on top of the library: the two agents (each module declares its
//! parameter table and action handlers), the operator CLI, and the argv[0] dispatch of the
//! multi-call binary. This module maps an agent name to its definition and runs one action
//! the OCF way.

pub mod cli;
pub mod ovn_northd;
pub mod ovsdb_server;

use ovn_ocf::ocf::params::{AgentSpec, Values};
use ovn_ocf::ocf::{self, Action, ActionResult, Meta, OcfStatus};

/// An agent: its table and the function that carries out actions.
pub struct AgentDef {
    pub spec: &'static AgentSpec,
    pub run: fn(Action, &Meta) -> ActionResult,
}

pub const AGENTS: &[AgentDef] = &[ovsdb_server::AGENT, ovn_northd::AGENT];

pub fn by_name(name: &str) -> Option<&'static AgentDef> {
    AGENTS.iter().find(|a| a.spec.name == name)
}

/// Runs `args[1]` as an OCF action of `agent`; returns the exit code.
pub fn main(agent: &AgentDef, args: &[String]) -> i32 {
    ocf::logger::OcfLogger::from_env(agent.spec.name).install();
    let Some(name) = args.get(1) else {
        eprint!("{}", agent.spec.usage());
        return OcfStatus::ErrArgs.code();
    };
    let Some(action) = Action::parse(name) else {
        eprint!("{}", agent.spec.usage());
        return ocf::finish(
            name,
            Err(ocf::Failure::new(
                OcfStatus::Unimplemented,
                format!("action {name:?} is not implemented"),
            )),
        );
    };
    match action {
        Action::MetaData => {
            print!("{}", agent.spec.meta_data(env!("CARGO_PKG_VERSION")));
            OcfStatus::Success.code()
        }
        Action::Usage => {
            print!("{}", agent.spec.usage());
            OcfStatus::Success.code()
        }
        _ => {
            let meta = Meta::from_env();
            log::debug!(
                "action={action} interval_ms={} check_level={}",
                meta.interval_ms,
                meta.check_level
            );
            ocf::finish(action.as_str(), (agent.run)(action, &meta))
        }
    }
}

/// Parses an agent's configuration for `action`. A probe must say "not running" and a stop
/// must succeed even when the configuration is bad (with it, nothing can have been
/// started): for those, `Err` carries the answer to give right away.
pub fn configure<C>(
    spec: &AgentSpec,
    action: Action,
    meta: &Meta,
    build: impl FnOnce(&Values) -> Result<C, ocf::Failure>,
) -> Result<C, ActionResult> {
    match spec.parse_env().and_then(|v| build(&v)) {
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

/// Runs the program: under an agent's name it is that agent, otherwise the operator CLI.
/// Returns the exit code.
pub fn main_with_args(args: Vec<String>) -> i32 {
    let argv0 = args.first().map(String::as_str).unwrap_or("ovn-ocf");
    let name = std::path::Path::new(argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("ovn-ocf");
    match by_name(name) {
        Some(agent) => main(agent, &args),
        None => cli::main(args),
    }
}

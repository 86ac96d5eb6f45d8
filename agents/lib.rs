//! The application on top of the library: the two agents, the operator CLI, and the
//! argv[0] dispatch of the multi-call binary.
//!
//! - `framework`: what every agent does the same way (the `Agent` trait, dispatch, the
//!   instance's state and attributes, spawning a daemon).
//! - `ovsdb_server`, `ovn_northd`: one module per agent, only what is its own.
//! - `cli`: `ovn-ocf ...`, the operator's commands.

pub mod cli;
pub mod framework;
pub mod ovn_northd;
pub mod ovsdb_server;

pub use framework::AgentDef;

pub const AGENTS: &[AgentDef] = &[ovsdb_server::AGENT, ovn_northd::AGENT];

pub fn by_name(name: &str) -> Option<&'static AgentDef> {
    AGENTS.iter().find(|a| a.spec.name == name)
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
        Some(agent) => framework::main(agent, &args),
        None => cli::main(args),
    }
}

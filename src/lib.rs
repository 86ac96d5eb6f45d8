//! ovn-ocf: Pacemaker OCF resource agents for OVN's central services.
//!
//! The library holds the OCF runtime, the OVSDB client and file format, daemon control and
//! Pacemaker wrappers; `agents/` holds one module per agent; `main.rs` only dispatches.

pub mod cli;
pub mod dbfile;
pub mod fsutil;
pub mod guard;
pub mod jsonrpc;
pub mod lease;
pub mod ocf;
pub mod ovsdb;
pub mod pacemaker;
pub mod process;
pub mod repair;
pub mod runner;
pub mod state;

#[path = "../agents/mod.rs"]
pub mod agents;

/// Runs the program: under an agent's name it is that agent, otherwise the operator CLI.
/// Returns the exit code.
pub fn main_with_args(args: Vec<String>) -> i32 {
    let argv0 = args.first().map(String::as_str).unwrap_or("ovn-ocf");
    let name = std::path::Path::new(argv0)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("ovn-ocf");
    match agents::by_name(name) {
        Some(agent) => agents::main(agent, &args),
        None => cli::main(args),
    }
}

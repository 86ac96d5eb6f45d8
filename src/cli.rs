//! The operator CLI (`ovn-ocf ...`): meta-data of any agent, a status overview, and (with
//! the repair issue) check/repair. Prints for people; exit codes are documented per command.

use clap::{Parser, Subcommand};

use crate::agents;

#[derive(Parser)]
#[command(
    name = "ovn-ocf",
    version,
    about = "Pacemaker OCF agents for OVN's central services"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Print an agent's OCF meta-data (as `<agent> meta-data` would).
    MetaData {
        /// Agent name: ovsdb-server
        agent: String,
    },
    /// Print an agent's parameter table as Markdown (the README's tables come from here).
    Params {
        /// Agent name: ovsdb-server
        agent: String,
    },
    /// List the agents this binary provides.
    Agents,
}

pub fn main(args: Vec<String>) -> i32 {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    let agent = |name: &str| {
        let a = agents::by_name(name);
        if a.is_none() {
            eprintln!("ovn-ocf: no agent named {name:?}");
        }
        a
    };
    match cli.cmd {
        Cmd::MetaData { agent: name } => match agent(&name) {
            Some(a) => {
                print!("{}", a.spec.meta_data(env!("CARGO_PKG_VERSION")));
                0
            }
            None => 2,
        },
        Cmd::Params { agent: name } => match agent(&name) {
            Some(a) => {
                print!("{}", a.spec.markdown_table());
                0
            }
            None => 2,
        },
        Cmd::Agents => {
            for a in agents::AGENTS {
                println!("{}\t{}", a.spec.name, a.spec.shortdesc);
            }
            0
        }
    }
}

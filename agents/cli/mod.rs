//! The operator CLI (`ovn-ocf ...`): `status` of every ovn-ocf resource on this node,
//! meta-data and manual pages of the agents, `check` and `repair` of a database file, and
//! the lease keeper and the watcher the agent spawns. Prints for
//! people; each command answers an [`Exit`], and [`Exit::code`] is the one place exit codes
//! are chosen.

mod dbfile;
mod man;
mod progress;
mod status;

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use ovn_ocf::repair::Policy;
use ovn_ocf::{lease, watch};

use crate::{AGENTS, AgentDef, by_name};

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
    /// Renew an owner record while its ovsdb-server serves (started by the agent).
    #[command(hide = true)]
    LeaseKeep(LeaseKeep),
    /// Report the death of an agent's daemon to Pacemaker at once (started by the agent).
    #[command(hide = true)]
    Watch(Watch),
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
    /// Every ovn-ocf resource on this node: role, pid, listeners, lease, last repair,
    /// backups, what Pacemaker says. A table, or --json.
    /// Exit 0 when it could tell (also when resources have failed), 1 when it could not print.
    Status(status::Args),
    /// Print a manual page as roff: ovn-ocf(8), or an agent's ocf_ovn-ocf_AGENT(7), made
    /// from the same tables as meta-data. With --list, the file name of every page.
    Man {
        /// ovn-ocf, an agent name (ovsdb-server) or a page name (ocf_ovn-ocf_ovsdb-server).
        #[arg(required_unless_present = "list")]
        page: Option<String>,
        /// Print the file names of all pages (NAME.SECTION), one a line.
        #[arg(long, conflicts_with = "page")]
        list: bool,
    },
    /// Verify every record of a standalone ovsdb file (read only), and say the size it
    /// served last when its owner record or a clean stop left it.
    /// Exit 0 clean, 1 damaged (torn tail or corrupt record), 2 unusable or unreadable.
    Check {
        file: PathBuf,
        /// Print the inspection as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Repair a standalone ovsdb file as the agent would before serving it: back up the
    /// original byte-exact, keep the intact records, create or convert as needed (a clean
    /// file shorter than it served is backed up and reported), print the report. Never
    /// while an ovsdb-server serves the file.
    /// Exit 0 done (or nothing to do), 1 refused or failed.
    Repair {
        file: PathBuf,
        /// Only say what would be done.
        #[arg(long)]
        dry_run: bool,
        /// Where the backup and the report go (default: ovn-ocf-backups beside FILE).
        #[arg(long)]
        backup_dir: Option<PathBuf>,
        /// The installed schema (default: from the file's schema name, as the agent's).
        #[arg(long)]
        schema: Option<PathBuf>,
        /// keep-prefix or refuse.
        #[arg(long, value_enum, default_value = "keep-prefix")]
        policy: Policy,
        /// Backups and reports to keep.
        #[arg(long, default_value_t = 10)]
        keep: usize,
        #[arg(long, default_value = "/usr/bin/ovsdb-tool")]
        ovsdb_tool: String,
    },
}

/// The lease keeper the ovsdb-server agent spawns (see `lease`); not for operators.
#[derive(clap::Args)]
struct LeaseKeep {
    #[arg(long)]
    record: PathBuf,
    #[arg(long)]
    node: String,
    #[arg(long)]
    token: String,
    #[arg(long)]
    pidfile: PathBuf,
    #[arg(long, allow_hyphen_values = true)]
    marker: String,
}

/// The watcher an agent spawns beside its daemon (see `watch`); not for operators.
#[derive(clap::Args)]
struct Watch {
    #[arg(long)]
    pid: i32,
    #[arg(long)]
    comm: String,
    #[arg(long, allow_hyphen_values = true)]
    marker: String,
    #[arg(long)]
    resource: String,
    #[arg(long)]
    node: String,
    #[arg(long)]
    state: PathBuf,
    #[arg(long)]
    attr: String,
}

/// How a command ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Done; the file is clean; the keeper ended normally.
    Ok,
    /// The file is damaged; the command refused or failed; the keeper lost its lease.
    Failed,
    /// Bad usage; the file cannot be used at all; no such agent or page.
    Unusable,
}

impl Exit {
    /// The one place the CLI's exit codes are chosen.
    pub fn code(self) -> i32 {
        match self {
            Exit::Ok => 0,
            Exit::Failed => 1,
            Exit::Unusable => 2,
        }
    }
}

pub fn main(args: Vec<String>) -> i32 {
    run(args).code()
}

fn run(args: Vec<String>) -> Exit {
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                Exit::Unusable
            } else {
                Exit::Ok
            };
        }
    };
    match cli.cmd {
        Cmd::MetaData { agent } => with_agent(&agent, |a| {
            print!("{}", a.spec.meta_data(env!("CARGO_PKG_VERSION")))
        }),
        Cmd::Params { agent } => with_agent(&agent, |a| print!("{}", a.spec.markdown_table())),
        Cmd::Check { file, json } => dbfile::check(&file, json),
        Cmd::Repair {
            file,
            dry_run,
            backup_dir,
            schema,
            policy,
            keep,
            ovsdb_tool,
        } => dbfile::repair(file, dry_run, backup_dir, schema, policy, keep, ovsdb_tool),
        Cmd::LeaseKeep(k) => {
            ovn_ocf::ocf::logger::OcfLogger::from_env("ovsdb-server").install();
            let ended = lease::keep(&lease::Keeper {
                record: k.record,
                node: k.node,
                token: k.token,
                pidfile: k.pidfile,
                marker: k.marker,
            });
            if ended == lease::Ended::Lost {
                Exit::Failed
            } else {
                Exit::Ok
            }
        }
        Cmd::Watch(w) => {
            // The agent's name in the log tag: the daemon's is the agent's.
            ovn_ocf::ocf::logger::OcfLogger::from_env(&w.comm).install();
            let ended = watch::watch(&watch::Watch {
                pid: w.pid,
                comm: w.comm,
                marker: w.marker,
                resource: w.resource,
                node: w.node,
                state: w.state,
                attr: w.attr,
            });
            match ended {
                watch::Ended::NotReported(_) => Exit::Failed,
                watch::Ended::Reported | watch::Ended::Stopping => Exit::Ok,
            }
        }
        Cmd::Man { page, list } => man::man(page.as_deref(), list, &Cli::command()),
        Cmd::Status(a) => status::run(a),
        Cmd::Agents => {
            for a in AGENTS {
                println!("{}\t{}", a.spec.name, a.spec.shortdesc);
            }
            Exit::Ok
        }
    }
}

/// Runs `f` on the agent named `name`, or says there is none.
fn with_agent(name: &str, f: impl FnOnce(&AgentDef)) -> Exit {
    match by_name(name) {
        Some(a) => {
            f(a);
            Exit::Ok
        }
        None => {
            eprintln!("ovn-ocf: no agent named {name:?}");
            Exit::Unusable
        }
    }
}

#[cfg(test)]
mod tests {
    use ovn_ocf::ocf::man::{agent_page, escape, only_known_requests, page_name};
    use ovn_ocf::ocf::params::{AgentSpec, Default};

    use crate::AGENTS;

    #[test]
    fn every_parameter_and_action_is_on_its_agents_page() {
        let all: Vec<&AgentSpec> = AGENTS.iter().map(|a| a.spec).collect();
        for a in AGENTS {
            let page = agent_page(a.spec, &all, "9.9.9");
            only_known_requests(&page).unwrap();
            for section in [
                "NAME",
                "SYNOPSIS",
                "DESCRIPTION",
                "SUPPORTED PARAMETERS",
                "SUPPORTED ACTIONS",
                "EXAMPLE CRM SHELL",
                "EXAMPLE PCS",
                "SEE ALSO",
                "AUTHOR",
            ] {
                assert!(page.contains(&format!(".SH \"{section}\"\n")), "{section}");
            }
            assert!(page.contains(&format!(
                ".TH \"{}\" \"7\"",
                escape(&page_name(a.spec.name).to_uppercase())
            )));
            assert!(page.contains("ovn\\-ocf 9.9.9"));
            for p in a.spec.params {
                assert!(
                    page.contains(&format!(".PP\n\\fB{}\\fR \\(em ", escape(p.name))),
                    "{}: parameter {} missing",
                    a.spec.name,
                    p.name
                );
                if let Default::Fixed(d) = p.default {
                    assert!(page.contains(&escape(d)), "default of {}", p.name);
                }
            }
            for act in a.spec.actions {
                assert!(
                    page.contains(&format!(".PP\n\\fB{}\\fR\n", escape(act.name))),
                    "action {}",
                    act.name
                );
            }
        }
    }
}

//! The operator CLI (`ovn-ocf ...`): meta-data of any agent, a status overview, and (with
//! the repair issue) check/repair. Prints for people; exit codes are documented per command.

mod status;

use std::path::PathBuf;

use clap::{CommandFactory, Parser, Subcommand};

use crate as agents;
use crate::ovsdb_server;
use ovn_ocf::dbfile::{self, Verdict};
use ovn_ocf::lease;
use ovn_ocf::ocf::Deadline;
use ovn_ocf::repair;

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
    /// Verify every record of a standalone ovsdb file (read only).
    /// Exit 0 clean, 1 damaged (torn tail or corrupt record), 2 unusable or unreadable.
    Check {
        file: PathBuf,
        /// Print the inspection as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Repair a standalone ovsdb file as the agent would before serving it: back up the
    /// original byte-exact, keep the intact records, create or convert as needed, print
    /// the report. Never while an ovsdb-server serves the file.
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
        #[arg(long, default_value = "keep-prefix")]
        policy: String,
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
        Cmd::Check { file, json } => check(&file, json),
        Cmd::Repair {
            file,
            dry_run,
            backup_dir,
            schema,
            policy,
            keep,
            ovsdb_tool,
        } => {
            let Some(policy) = repair::Policy::parse(&policy) else {
                eprintln!("ovn-ocf: --policy must be keep-prefix or refuse");
                return 2;
            };
            repair_cmd(file, dry_run, backup_dir, schema, policy, keep, ovsdb_tool)
        }
        Cmd::LeaseKeep(k) => {
            ovn_ocf::ocf::logger::OcfLogger::from_env("ovsdb-server").install();
            lease::keep(&lease::Keeper {
                record: k.record,
                node: k.node,
                token: k.token,
                pidfile: k.pidfile,
                marker: k.marker,
            })
        }
        Cmd::Man { page, list } => man(page.as_deref(), list),
        Cmd::Status(a) => status::run(a),
        Cmd::Agents => {
            for a in agents::AGENTS {
                println!("{}\t{}", a.spec.name, a.spec.shortdesc);
            }
            0
        }
    }
}

/// `ovn-ocf man`: one page as roff, or the list of page file names.
fn man(page: Option<&str>, list: bool) -> i32 {
    use ovn_ocf::ocf::man;
    let version = env!("CARGO_PKG_VERSION");
    let specs: Vec<&ovn_ocf::ocf::params::AgentSpec> =
        agents::AGENTS.iter().map(|a| a.spec).collect();
    if list {
        println!("ovn-ocf.8");
        for s in &specs {
            println!("{}.7", man::page_name(s.name));
        }
        return 0;
    }
    let page = page.unwrap_or("ovn-ocf");
    if page == "ovn-ocf" || page == "ovn-ocf.8" {
        print!("{}", man::cli_page(&Cli::command(), &specs, version));
        return 0;
    }
    let name = page.strip_suffix(".7").unwrap_or(page);
    let name = name
        .strip_prefix(&format!("ocf_{}_", man::PROVIDER))
        .unwrap_or(name);
    match agents::by_name(name) {
        Some(a) => {
            print!("{}", man::agent_page(a.spec, &specs, version));
            0
        }
        None => {
            eprintln!("ovn-ocf: no manual page {page:?} (see ovn-ocf man --list)");
            2
        }
    }
}

fn check(file: &std::path::Path, json: bool) -> i32 {
    let i = match dbfile::inspect(file, None) {
        Ok(i) => i,
        Err(e) => {
            eprintln!("ovn-ocf: cannot read {}: {e}", file.display());
            return 2;
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&i).expect("serializes"));
    } else {
        let schema = i
            .schema
            .as_ref()
            .map(|s| format!(" ({} {})", s.name, s.version))
            .unwrap_or_default();
        println!("{}: {}{schema}", file.display(), i.verdict.describe());
    }
    match i.verdict {
        Verdict::Clean { .. } => 0,
        Verdict::TornTail { .. } | Verdict::Corrupt { .. } => 1,
        _ => 2,
    }
}

/// The installed schema for a file, from its own schema name (the agent's defaults).
fn schema_for(file: &std::path::Path) -> Option<PathBuf> {
    let db = match dbfile::file_schema(file).ok()??.name.as_str() {
        "OVN_Northbound" => "nb",
        "OVN_Southbound" => "sb",
        _ => return None,
    };
    let spec = &ovsdb_server::SPEC;
    let values = spec
        .parse_with(|n| (n == "db").then(|| db.to_string()))
        .ok()?;
    values.str("schema").map(PathBuf::from)
}

fn repair_cmd(
    file: PathBuf,
    dry_run: bool,
    backup_dir: Option<PathBuf>,
    schema: Option<PathBuf>,
    policy: repair::Policy,
    keep: usize,
    ovsdb_tool: String,
) -> i32 {
    let Some(schema) = schema.or_else(|| schema_for(&file)) else {
        eprintln!(
            "ovn-ocf: cannot tell which schema {} needs (damaged or not an OVN database): give --schema",
            file.display()
        );
        return 2;
    };
    let backup_dir = backup_dir.unwrap_or_else(|| {
        file.parent()
            .unwrap_or(std::path::Path::new("."))
            .join("ovn-ocf-backups")
    });
    if let Some(pid) = held_by_server(&file) {
        eprintln!(
            "ovn-ocf: {} is open by ovsdb-server pid {pid}; stop it first",
            file.display()
        );
        return 1;
    }
    let opts = repair::Options {
        db_file: file,
        schema,
        backup_dir,
        backup_keep: keep.max(1),
        policy,
        ovsdb_tool,
        dry_run,
    };
    match repair::run(
        &opts,
        Deadline::after(std::time::Duration::from_secs(24 * 3600)),
    ) {
        Ok(report) => {
            println!(
                "{}",
                serde_json::to_string_pretty(&report).expect("serializes")
            );
            0
        }
        Err(e) => {
            eprintln!("ovn-ocf: {e}");
            1
        }
    }
}

/// A local ovsdb-server that has `file` open, found through /proc (read only).
fn held_by_server(file: &std::path::Path) -> Option<i32> {
    let target = std::fs::canonicalize(file).ok()?;
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if std::fs::read_to_string(format!("/proc/{pid}/comm"))
            .is_ok_and(|c| c.trim() == "ovsdb-server")
            && let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd"))
            && fds
                .flatten()
                .any(|fd| std::fs::read_link(fd.path()).is_ok_and(|l| l == target))
        {
            return Some(pid);
        }
    }
    None
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

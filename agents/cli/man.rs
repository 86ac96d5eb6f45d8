//! `ovn-ocf man`: the manual pages, made from the same tables as meta-data.

use ovn_ocf::ocf::man;
use ovn_ocf::ocf::params::AgentSpec;

use super::Exit;
use crate::{AGENTS, by_name};

/// One page as roff, or the list of page file names.
pub(super) fn man(page: Option<&str>, list: bool, cli: &clap::Command) -> Exit {
    let version = env!("CARGO_PKG_VERSION");
    let specs: Vec<&AgentSpec> = AGENTS.iter().map(|a| a.spec).collect();
    if list {
        println!("ovn-ocf.8");
        for s in &specs {
            println!("{}.7", man::page_name(s.name));
        }
        return Exit::Ok;
    }
    let page = page.unwrap_or("ovn-ocf");
    if page == "ovn-ocf" || page == "ovn-ocf.8" {
        print!("{}", man::cli_page(cli, &specs, version));
        return Exit::Ok;
    }
    let name = page.strip_suffix(".7").unwrap_or(page);
    let name = name
        .strip_prefix(&format!("ocf_{}_", man::PROVIDER))
        .unwrap_or(name);
    match by_name(name) {
        Some(a) => {
            print!("{}", man::agent_page(a.spec, &specs, version));
            Exit::Ok
        }
        None => {
            eprintln!("ovn-ocf: no manual page {page:?} (see ovn-ocf man --list)");
            Exit::Unusable
        }
    }
}

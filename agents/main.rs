//! argv[0] dispatch only: `ovsdb-server` → that agent, `ovn-ocf` → the operator CLI.

fn main() {
    std::process::exit(ovn_ocf_agents::main_with_args(std::env::args().collect()));
}

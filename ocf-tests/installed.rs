//! The agent as Pacemaker and operators meet it: meta-data through both validators, and
//! the installed agent (`make install`, which `make test` runs first) through
//! `crm_resource`, `pcs resource describe` and `ocf-tester`, for both agents, primitive and
//! promotable.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const AGENTS: [&str; 2] = ["ovsdb-server", "ovn-northd"];

fn installed(agent: &str) -> String {
    format!("/usr/lib/ocf/resource.d/ovn-ocf/{agent}")
}

fn run(mut cmd: Command) -> Outcome {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run_watched(cmd, Duration::from_secs(600))
}

/// Meta-data from this build, through an agent-named link (no configuration needed).
fn meta_data(agent: &str) -> String {
    let d = tempfile::tempdir().unwrap();
    let link = d.path().join(agent);
    std::os::unix::fs::symlink(BIN, &link).unwrap();
    let mut c = Command::new(&link);
    c.arg("meta-data");
    let o = run(c);
    assert_eq!(o.code, 0, "{}", o.stderr);
    o.stdout
}

fn xmllint(args: &[&str], xml: &str) -> Outcome {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("md.xml");
    std::fs::write(&f, xml).unwrap();
    let mut c = Command::new("xmllint");
    c.args(args).arg(&f);
    run(c)
}

#[test]
fn meta_data_passes_the_dtd() {
    for agent in AGENTS {
        let o = xmllint(
            &[
                "--noout",
                "--dtdvalid",
                "/usr/share/resource-agents/ra-api-1.dtd",
            ],
            &meta_data(agent),
        );
        assert_eq!(o.code, 0, "{agent}: {}", o.stderr);
    }
}

#[test]
fn meta_data_passes_the_relaxng_schema() {
    for agent in AGENTS {
        let o = xmllint(
            &[
                "--noout",
                "--relaxng",
                "/usr/share/resource-agents/metadata.rng",
            ],
            &meta_data(agent),
        );
        assert_eq!(o.code, 0, "{agent}: {}", o.stderr);
    }
}

/// Meta-data and usage are answered with no parameters at all, even broken ones.
#[test]
fn meta_data_needs_no_configuration() {
    let mut r = Res::new("nb");
    r.unset("OCF_RESKEY_db")
        .set("OCF_RESKEY_port", "not-a-port");
    let o = r.expect("meta-data", 0);
    assert!(o.stdout.contains("<resource-agent name=\"ovsdb-server\""));
    r.expect("usage", 0);
}

fn assert_installed_matches_build(agent: &str) {
    let path = installed(agent);
    let meta = std::fs::symlink_metadata(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}: run `make install` (make test does)"));
    assert!(meta.file_type().is_symlink() || meta.is_file());
    let mut c = Command::new(&path);
    c.arg("meta-data");
    let o = run(c);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.stdout,
        meta_data(agent),
        "installed {agent} differs from this build: run `make install`"
    );
}

#[test]
fn crm_resource_shows_installed_meta_data() {
    for (agent, params) in [
        (
            "ovsdb-server",
            &[
                "db_file",
                "listen_address",
                "inactivity_probe",
                "use_remote_in_db",
            ][..],
        ),
        (
            "ovn-northd",
            &["nb_connection", "sb_connection", "n_threads", "run_dir"][..],
        ),
    ] {
        assert_installed_matches_build(agent);
        let mut c = Command::new("crm_resource");
        c.args(["--show-metadata", &format!("ocf:ovn-ocf:{agent}")]);
        let o = run(c);
        assert_eq!(o.code, 0, "{agent}: {}", o.stderr);
        for p in params {
            assert!(
                o.stdout.contains(&format!("name=\"{p}\"")),
                "{agent}: {p} missing"
            );
        }
    }
}

#[test]
fn pcs_describes_the_agents() {
    for (agent, shown) in [
        (
            "ovsdb-server",
            &[
                "db (required)",
                "listen_address",
                "Default: 0.0.0.0.",
                "Default: 6641 when db=nb",
            ][..],
        ),
        (
            "ovn-northd",
            &["nb_connection", "Default: unix:/var/run/ovn/ovnnb_db.sock."][..],
        ),
    ] {
        assert_installed_matches_build(agent);
        let mut c = Command::new("pcs");
        c.args(["resource", "describe", &format!("ocf:ovn-ocf:{agent}")]);
        let o = run(c);
        assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
        for s in shown {
            assert!(
                o.stdout.contains(s),
                "{agent}: {s:?} not shown:\n{}",
                o.stdout
            );
        }
    }
}

/// ocf-tester against the installed agent, with `r`'s parameters.
fn ocf_tester_on(agent: &str, r: &Res, params: &[&str], promotable: bool) {
    assert_installed_matches_build(agent);
    let mut cmd = Command::new("ocf-tester");
    cmd.args(["-n", &format!("ocft-{agent}")]);
    for k in params {
        cmd.args(["-o", &format!("{k}={}", r.env[&format!("OCF_RESKEY_{k}")])]);
    }
    cmd.arg(installed(agent));
    if promotable {
        cmd.env("OCF_RESKEY_CRM_meta_promoted_max", "1");
    }
    let o = run(cmd);
    assert_eq!(o.code, 0, "ocf-tester failed:\n{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("passed all tests"), "{}", o.stdout);
    assert!(r.server_pid().is_none(), "ocf-tester ends with stop");
}

fn ocf_tester(db: &str, promotable: bool) {
    let mut r = Res::new(db); // temp dir, free port; dropped (stopped) at the end
    let mut params = vec![
        "db",
        "db_file",
        "run_dir",
        "log_file",
        "listen_address",
        "port",
    ];
    // The SB served before and is missing: it is created on start and the SB gate runs a
    // real northd against a real NB.
    let nb = Res::new("nb");
    if db == "sb" {
        nb.expect("start", 0);
        r.with_gate(&nb).served_before();
        params.extend(["sb_gate", "gate_nb_connection"]);
    }
    ocf_tester_on("ovsdb-server", &r, &params, promotable);
}

fn ocf_tester_northd(promotable: bool) {
    let nb = Res::new("nb");
    let sb = Res::new("sb");
    nb.expect("start", 0);
    sb.expect("start", 0);
    let n = Res::northd(&nb, &sb);
    let params = ["nb_connection", "sb_connection", "run_dir", "log_file"];
    ocf_tester_on("ovn-northd", &n, &params, promotable);
}

#[test]
fn ocf_tester_northd_primitive() {
    ocf_tester_northd(false)
}
#[test]
fn ocf_tester_northd_promotable() {
    ocf_tester_northd(true)
}
#[test]
fn ocf_tester_nb_primitive() {
    ocf_tester("nb", false)
}
#[test]
fn ocf_tester_sb_primitive() {
    ocf_tester("sb", false)
}
#[test]
fn ocf_tester_nb_promotable() {
    ocf_tester("nb", true)
}
#[test]
fn ocf_tester_sb_promotable() {
    ocf_tester("sb", true)
}

/// README's parameter tables are the generated ones (so docs cannot drift from the code).
#[test]
fn readme_parameter_tables_are_generated() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md")).unwrap();
    for agent in AGENTS {
        let begin = format!("<!-- BEGIN params {agent} -->\n");
        let end = format!("<!-- END params {agent} -->");
        let a = readme
            .find(&begin)
            .unwrap_or_else(|| panic!("no {begin:?} in README"))
            + begin.len();
        let b = readme.find(&end).expect("end marker");
        let mut c = Command::new(BIN);
        c.args(["params", agent]);
        let o = run(c);
        assert_eq!(o.code, 0);
        assert_eq!(
            &readme[a..b],
            o.stdout,
            "README's {agent} table is stale: run `make readme`"
        );
    }
}

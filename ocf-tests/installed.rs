//! The agent as Pacemaker and operators meet it: meta-data through both validators, and
//! the installed agent (`make install`, which `make test` runs first) through
//! `crm_resource`, `pcs resource describe` and `ocf-tester`, for nb and sb, primitive and
//! promotable.

mod common;

use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

const INSTALLED: &str = "/usr/lib/ocf/resource.d/ovn-ocf/ovsdb-server";

fn run(mut cmd: Command) -> Outcome {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    run_watched(cmd, Duration::from_secs(600))
}

fn meta_data() -> String {
    let r = Res::new("nb");
    let o = r.expect("meta-data", 0);
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
    let o = xmllint(
        &[
            "--noout",
            "--dtdvalid",
            "/usr/share/resource-agents/ra-api-1.dtd",
        ],
        &meta_data(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn meta_data_passes_the_relaxng_schema() {
    let o = xmllint(
        &[
            "--noout",
            "--relaxng",
            "/usr/share/resource-agents/metadata.rng",
        ],
        &meta_data(),
    );
    assert_eq!(o.code, 0, "{}", o.stderr);
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

fn assert_installed_matches_build() {
    let meta = std::fs::symlink_metadata(INSTALLED)
        .unwrap_or_else(|e| panic!("{INSTALLED}: {e}: run `make install` (make test does)"));
    assert!(meta.file_type().is_symlink() || meta.is_file());
    let mut c = Command::new(INSTALLED);
    c.arg("meta-data");
    let o = run(c);
    assert_eq!(o.code, 0);
    assert_eq!(
        o.stdout,
        meta_data(),
        "installed agent differs from this build: run `make install`"
    );
}

#[test]
fn crm_resource_shows_installed_meta_data() {
    assert_installed_matches_build();
    let mut c = Command::new("crm_resource");
    c.args(["--show-metadata", "ocf:ovn-ocf:ovsdb-server"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}", o.stderr);
    for p in [
        "db_file",
        "listen_address",
        "inactivity_probe",
        "use_remote_in_db",
    ] {
        assert!(o.stdout.contains(&format!("name=\"{p}\"")), "{p} missing");
    }
}

#[test]
fn pcs_describes_the_agent() {
    assert_installed_matches_build();
    let mut c = Command::new("pcs");
    c.args(["resource", "describe", "ocf:ovn-ocf:ovsdb-server"]);
    let o = run(c);
    assert_eq!(o.code, 0, "{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("db_file"), "{}", o.stdout);
    assert!(o.stdout.contains("listen_address"), "{}", o.stdout);
    assert!(
        o.stdout.contains("0.0.0.0"),
        "default of listen_address missing: {}",
        o.stdout
    );
}

fn ocf_tester(db: &str, promotable: bool) {
    assert_installed_matches_build();
    let r = Res::new(db); // temp dir, free port; dropped (stopped) at the end
    let mut cmd = Command::new("ocf-tester");
    cmd.args(["-n", &format!("ocft-{db}")]);
    for k in [
        "db",
        "db_file",
        "run_dir",
        "log_file",
        "listen_address",
        "port",
    ] {
        cmd.args(["-o", &format!("{k}={}", r.env[&format!("OCF_RESKEY_{k}")])]);
    }
    cmd.arg(INSTALLED);
    if promotable {
        cmd.env("OCF_RESKEY_CRM_meta_promotable", "true");
    }
    let o = run(cmd);
    assert_eq!(o.code, 0, "ocf-tester failed:\n{}\n{}", o.stdout, o.stderr);
    assert!(o.stdout.contains("passed all tests"), "{}", o.stdout);
    assert!(r.server_pid().is_none(), "ocf-tester ends with stop");
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

/// README's parameter table is the generated one (so docs cannot drift from the code).
#[test]
fn readme_parameter_table_is_generated() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let begin = "<!-- BEGIN params ovsdb-server -->\n";
    let end = "<!-- END params ovsdb-server -->";
    let a = readme.find(begin).expect("begin marker") + begin.len();
    let b = readme.find(end).expect("end marker");
    let mut c = Command::new(BIN);
    c.args(["params", "ovsdb-server"]);
    let o = run(c);
    assert_eq!(o.code, 0);
    assert_eq!(
        &readme[a..b],
        o.stdout,
        "README's table is stale: run `make readme`"
    );
}

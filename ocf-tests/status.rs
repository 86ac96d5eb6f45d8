//! `ovn-ocf status` against real resources: NB and SB ovsdb-servers started by the agent
//! (one after repairing a torn tail), a hot standby, a garbage state file; without a
//! cluster (as on this machine) and with Pacemaker's own tools reading a CIB file
//! (`CIB_file`, status injected by `crm_simulate`) in place of a running cluster.
//! Everything started is stopped by the `Res` drop guards, also when a test fails.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

/// Runs `ovn-ocf status ARGS` with `env` added; returns exit code, stdout and stderr.
fn status(args: &[&str], env: &[(&str, &str)]) -> Outcome {
    let mut cmd = Command::new(BIN);
    cmd.arg("status")
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let o = run_watched(cmd, Duration::from_secs(60));
    assert!(!o.panicked(), "status panicked:\n{}", o.stderr);
    o
}

fn status_json(args: &[&str], env: &[(&str, &str)]) -> Value {
    let mut a = vec!["--json"];
    a.extend_from_slice(args);
    let o = status(&a, env);
    assert_eq!(o.code, 0, "status --json: {}", o.stderr);
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

/// The node name the agent uses outside a cluster: the kernel's host name.
fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .unwrap()
        .trim()
        .to_string()
}

/// Whether a cluster answers here (then the no-cluster assertions do not apply).
fn cluster_here() -> bool {
    Command::new("crm_mon")
        .args(["--one-shot", "--output-as=xml"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The row of `resources` whose state file lives in `run_dir`.
fn row<'a>(st: &'a Value, run_dir: &Path, base: &str) -> &'a Value {
    let want = run_dir.join(format!("{base}.ovn-ocf.state"));
    st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["state_file"] == want.display().to_string())
        .unwrap_or_else(|| panic!("no row for {}: {st:#}", want.display()))
}

/// Serves `r` once with a few writes, then leaves its file with a torn last record.
fn tear_tail(r: &Res) {
    r.expect("start", 0);
    for i in 0..3 {
        r.client_transact(&write_ops(&format!("r{i}"))).unwrap();
    }
    r.expect("stop", 0);
    let bytes = std::fs::read(r.db_file()).unwrap();
    // The last record's header line: cut 10 bytes into its JSON.
    let header = bytes
        .windows(11)
        .rposition(|w| w == b"OVSDB JSON ")
        .expect("a record header");
    let json = header + bytes[header..].iter().position(|b| *b == b'\n').unwrap() + 1;
    std::fs::write(r.db_file(), &bytes[..json + 10]).unwrap();
}

#[test]
fn serving_resources_one_repaired_without_a_cluster() {
    let nb = Res::new("nb");
    let sb = Res::new("sb");
    tear_tail(&sb);
    nb.expect("start", 0);
    sb.expect("start", 0);
    let (nb_run, sb_run) = (nb.run_dir(), sb.run_dir());
    let args = [
        "--run-dir",
        nb_run.to_str().unwrap(),
        "--run-dir",
        sb_run.to_str().unwrap(),
    ];
    let st = status_json(&args, &[]);
    let node = hostname();
    if !cluster_here() {
        assert_eq!(st["cluster"]["running"], false, "{st:#}");
        assert!(st["cluster"]["error"].as_str().unwrap().contains("crm_mon"));
    }
    assert_eq!(st["cluster"]["node"], node.as_str());

    for (r, base) in [(&nb, "ovnnb_db"), (&sb, "ovnsb_db")] {
        let x = row(&st, &r.run_dir(), base);
        let ctx = format!("{x:#}");
        assert_eq!(x["resource"], Value::Null, "{ctx}");
        assert_eq!(x["agent"], "ovsdb-server");
        assert_eq!(x["db"], r.db.as_str());
        assert_eq!(x["role"], "serving", "{ctx}");
        assert_eq!(x["pid"], r.server_pid().expect("serves"), "{ctx}");
        assert_eq!(x["daemon_status"], "active", "{ctx}");
        assert_eq!(x["db_file"], r.db_file().display().to_string());
        assert_eq!(x["db_file_from"], "process");
        assert_eq!(
            x["listeners"],
            serde_json::json!([format!("127.0.0.1:{}", r.port)]),
            "{ctx}"
        );
        let ptcp = Value::from(format!("ptcp:{}:127.0.0.1", r.port));
        assert!(x["remotes"].as_array().unwrap().contains(&ptcp), "{ctx}");
        let lease = &x["lease"];
        assert_eq!(lease["owner"], node.as_str(), "{ctx}");
        assert_eq!(lease["keeper_alive"], true, "{ctx}");
        // Ages are shown, never asserted (no timed assertions: the machine is shared).
        assert!(lease["renewed_ms_ago"].is_u64(), "{ctx}");
        assert!(lease["held_s"].is_u64(), "{ctx}");
        assert_eq!(x["pacemaker"], Value::Null);
        assert_eq!(x["problems"], serde_json::json!([]), "{ctx}");
    }

    // NB was created at its first start (a new database): a report, no backup (nothing
    // to keep).
    let x = row(&st, &nb_run, "ovnnb_db");
    assert_eq!(x["last_repair"]["outcome"], "new");
    assert_eq!(x["last_repair"]["backup"], Value::Null);
    assert_eq!(x["backups"], 0);

    // SB: created, then cut after a backup of the torn file.
    let x = row(&st, &sb_run, "ovnsb_db");
    let ctx = format!("{x:#}");
    let baks = sb.backups();
    assert_eq!(baks.len(), 1, "{baks:?}");
    let bak = baks[0].display().to_string();
    assert_eq!(x["backups"], 1, "{ctx}");
    let last = &x["last_repair"];
    assert_eq!(last["outcome"], "cut", "{ctx}");
    assert_eq!(last["found"], "torn-tail", "{ctx}");
    assert_eq!(last["backup"], bak.as_str(), "{ctx}");
    assert!(Path::new(last["report"].as_str().unwrap()).is_file());
    assert!(last["age_s"].is_u64());
    assert_eq!(x["last_change"]["report"], last["report"]);
    assert!(x["repair_line"].as_str().unwrap().starts_with("cut "));

    // The table says the same.
    let o = status(&args, &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let t = &o.stdout;
    if !cluster_here() {
        assert!(t.starts_with("no cluster: showing local state only"), "{t}");
    }
    for r in [&nb, &sb] {
        let pid = r.server_pid().unwrap().to_string();
        let line = t
            .lines()
            .find(|l| l.split_whitespace().any(|w| w == pid))
            .unwrap_or_else(|| panic!("no row with pid {pid}:\n{t}"));
        assert!(line.contains(&format!("ovsdb-server/{}", r.db)), "{line}");
        assert!(line.contains("serving"), "{line}");
        assert!(line.contains(&format!("127.0.0.1:{}", r.port)), "{line}");
        assert!(line.contains(&format!("{node} ")), "lease owner: {line}");
    }
    assert!(t.contains(" cut "), "{t}");
    assert!(t.contains(&format!("backup {bak}")), "{t}");
    assert!(t.contains("last repair: cut at "), "{t}");
    assert!(!t.contains("PROBLEM"), "{t}");
}

#[test]
fn standby_and_a_database_named_by_option() {
    let r = Res::promotable("sb");
    r.expect("start", 0);
    create_db(&r.db_file(), SB_SCHEMA);
    let run = r.run_dir();
    let file = r.db_file();
    let st = status_json(
        &[
            "--run-dir",
            run.to_str().unwrap(),
            "--db-file",
            file.to_str().unwrap(),
        ],
        &[],
    );
    let x = row(&st, &run, "ovnsb_db");
    assert_eq!(x["role"], "standby", "{x:#}");
    assert_eq!(x["pid"], Value::Null);
    assert_eq!(x["db"], "sb", "from the file's schema");
    assert_eq!(x["db_file"], file.display().to_string());
    assert_eq!(x["db_file_from"], "option");
    assert_eq!(x["lease"], Value::Null, "a standby claims nothing");
    assert_eq!(x["last_repair"], Value::Null);
    assert_eq!(x["listeners"], serde_json::json!([]));
    assert_eq!(x["problems"], serde_json::json!([]), "{x:#}");
    assert_eq!(
        st["resources"].as_array().unwrap().len(),
        1 + usize::from(default_state_files_here()),
        "the --db-file went to the standby's row, not a row of its own: {st:#}"
    );
}

/// Whether the agents' default run dir holds state files (a real deployment here).
fn default_state_files_here() -> bool {
    ["ovnnb_db", "ovnsb_db", "ovn-northd"]
        .iter()
        .any(|b| Path::new(&format!("/var/run/ovn/{b}.ovn-ocf.state")).exists())
}

#[test]
fn garbage_state_file_is_a_problem_not_a_panic() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("ovnnb_db.ovn-ocf.state"), b"\x00{garbage").unwrap();
    std::fs::write(d.path().join("ovn-northd.ovn-ocf.state"), b"[1,2").unwrap();
    std::fs::write(d.path().join("ovnnb_db.pid"), b"not a pid").unwrap();
    let run = d.path().to_str().unwrap();
    let st = status_json(&["--run-dir", run], &[]);
    let x = row(&st, d.path(), "ovnnb_db");
    assert_eq!(x["role"], Value::Null);
    assert_eq!(x["pid"], Value::Null);
    let problems = x["problems"].to_string();
    assert!(problems.contains("unreadable"), "{problems}");
    let n = row(&st, d.path(), "ovn-northd");
    assert_eq!(n["agent"], "ovn-northd");
    assert!(n["problems"].to_string().contains("unreadable"));
    let o = status(&["--run-dir", run], &[]);
    assert_eq!(o.code, 0);
    assert!(o.stdout.contains("PROBLEM: state file"), "{}", o.stdout);
}

#[test]
fn without_pacemaker_installed_it_says_no_cluster() {
    // Pacemaker's tools live in /usr/sbin: a PATH without it is a node without them.
    let o = status(&["--json"], &[("PATH", "/usr/bin:/bin")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let st: Value = serde_json::from_str(&o.stdout).unwrap();
    assert_eq!(st["cluster"]["running"], false);
    assert!(
        st["cluster"]["error"]
            .as_str()
            .unwrap()
            .contains("cannot run crm_mon"),
        "{st:#}"
    );
    assert_eq!(st["cluster"]["node"], hostname().as_str());
    let o = status(&[], &[("PATH", "/usr/bin:/bin")]);
    assert!(
        o.stdout.starts_with("no cluster: showing local state only"),
        "{}",
        o.stdout
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(status(&["--bogus"], &[]).code, 2);
    assert_eq!(status(&["--run-dir"], &[]).code, 2);
}

// ------------------------------------------------------------------ with a CIB

fn pcmk(tool: &str, args: &[&str], cib: &Path) -> String {
    let o = Command::new(tool)
        .args(args)
        .env("CIB_file", cib)
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(
        o.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn have(tool: &str) -> bool {
    ["/usr/sbin", "/usr/bin", "/sbin"]
        .iter()
        .any(|d| Path::new(d).join(tool).exists())
}

/// Pacemaker's own tools on a CIB file: the resource's parameters come from the CIB (not
/// from the process), Pacemaker's role and failed actions from the injected status, and
/// the local state file is not listed twice.
#[test]
fn cib_resource_matched_to_its_local_state() {
    if !(have("cibadmin") && have("crm_simulate") && have("crm_mon")) {
        eprintln!("SKIP: Pacemaker's tools are not installed");
        return;
    }
    let r = Res::new("nb");
    r.expect("start", 0);
    let node = hostname();
    let cib = r.path("cib.xml");
    let empty = Command::new("cibadmin").arg("--empty").output().unwrap();
    std::fs::write(&cib, &empty.stdout).unwrap();
    pcmk(
        "cibadmin",
        &[
            "-C",
            "-o",
            "crm_config",
            "-X",
            r#"<cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/><nvpair id="o-q" name="no-quorum-policy" value="ignore"/></cluster_property_set>"#,
        ],
        &cib,
    );
    pcmk(
        "cibadmin",
        &[
            "-C",
            "-o",
            "nodes",
            "-X",
            &format!(r#"<node id="1" uname="{node}"/>"#),
        ],
        &cib,
    );
    let nv = |k: &str, v: &str| format!(r#"<nvpair id="p-{k}" name="{k}" value="{v}"/>"#);
    let params: String = [
        "db",
        "db_file",
        "run_dir",
        "log_file",
        "listen_address",
        "port",
    ]
    .iter()
    .map(|k| nv(k, &r.env[&format!("OCF_RESKEY_{k}")]))
    .collect();
    pcmk(
        "cibadmin",
        &[
            "-C",
            "-o",
            "resources",
            "-X",
            &format!(
                r#"<primitive id="test-nb" class="ocf" provider="ovn-ocf" type="ovsdb-server"><instance_attributes id="test-nb-ia">{params}</instance_attributes></primitive>"#
            ),
        ],
        &cib,
    );
    let out = r.path("cib-status.xml");
    let o = Command::new("crm_simulate")
        .arg("-x")
        .arg(&cib)
        .arg("-O")
        .arg(&out)
        .args(["--node-up", &node])
        .args(["-i", &format!("test-nb_start_0@{node}=0")])
        .args(["-i", &format!("test-nb_monitor_10000@{node}=1")])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let run = r.run_dir();
    let out_s = out.to_str().unwrap();
    let env = [("CIB_file", out_s)];
    let st = status_json(&["--run-dir", run.to_str().unwrap()], &env);
    assert_eq!(st["cluster"]["running"], true, "{st:#}");
    assert_eq!(st["cluster"]["cib_file"], out_s);
    assert_eq!(st["cluster"]["node"], node.as_str());
    let rows: Vec<&Value> = st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["state_file"] == run.join("ovnnb_db.ovn-ocf.state").display().to_string())
        .collect();
    assert_eq!(rows.len(), 1, "listed once: {st:#}");
    let x = rows[0];
    let ctx = format!("{x:#}");
    assert_eq!(x["resource"], "test-nb", "{ctx}");
    assert_eq!(x["db_file_from"], "cib");
    assert_eq!(x["pid"], r.server_pid().unwrap());
    assert_eq!(x["lease"]["owner"], node.as_str());
    let p = &x["pacemaker"];
    assert_eq!(p["role"], "Started", "{ctx}");
    assert_eq!(p["running_on"], serde_json::json!([node]));
    let f = &p["failed_actions"][0];
    assert_eq!(f["task"], "monitor", "{ctx}");
    assert_eq!(f["interval_ms"], 10000);
    assert_eq!(f["node"], node.as_str());
    assert_eq!(f["exit_status"], "error");

    let o = status(&["--run-dir", run.to_str().unwrap()], &env);
    assert_eq!(o.code, 0);
    let t = &o.stdout;
    assert!(t.starts_with(&format!("cluster: this node {node}")), "{t}");
    let line = t.lines().find(|l| l.starts_with("test-nb ")).expect(t);
    assert!(
        line.contains(&format!("Started@{node}; 1 failed action")),
        "{line}"
    );
    assert!(
        t.contains(&format!("FAILED monitor (every 10s) on {node}: error")),
        "{t}"
    );
}

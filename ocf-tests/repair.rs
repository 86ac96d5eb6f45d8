//! Repair on files written by a real ovsdb-server: torn tails at every byte of the last
//! record, random bit flips (property test), garbage, zero length, schema only, a clustered
//! file, an older schema. Each case checks, against Debian's own tools: the intact prefix
//! kept is what `ovsdb-tool show-log` reads before the damage, the backup is byte-exact,
//! the repaired file passes `ovsdb-tool show-log`, and ovsdb-server serving it holds
//! exactly the prefix's rows. Then the agent: policy, hook, rebuild marker, SB gate.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use proptest::prelude::*;

/// A database written by a real ovsdb-server: the schema record plus one record per
/// committed transaction (rows r0..r{n-1}). Returns the file.
fn write_db(dir: &Path, db: &str, n: usize) -> PathBuf {
    let file = dir.join(format!("ovn{db}_db.db"));
    create_db(&file, schema_file(db));
    let s = RawServer::start(&file);
    for i in 0..n {
        s.transact(db, &write_ops(&format!("r{i}")));
    }
    drop(s);
    file
}

/// Record end offsets, parsed independently of the code under test.
fn record_ends(bytes: &[u8]) -> Vec<usize> {
    let mut ends = vec![];
    let mut at = 0;
    while at < bytes.len() {
        let nl = at + bytes[at..].iter().position(|b| *b == b'\n').unwrap();
        let header = std::str::from_utf8(&bytes[at..nl]).unwrap();
        let len: usize = header.split(' ').nth(2).unwrap().parse().unwrap();
        at = nl + 1 + len;
        ends.push(at);
    }
    ends
}

/// What `ovsdb-tool show-log` makes of a file: success, the records it listed, and the
/// offset where it stopped on damage.
struct ShowLog {
    ok: bool,
    records: usize,
    stopped_at: Option<u64>,
}

fn show_log(file: &Path) -> ShowLog {
    let o = Command::new("ovsdb-tool")
        .arg("show-log")
        .arg(file)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    let err = String::from_utf8_lossy(&o.stderr);
    // A damaged header is reported at the record's start ("parse error at offset N"),
    // a damaged body at the body's start ("... starting at offset N").
    let stopped_at = ["parse error at offset ", "starting at offset "]
        .iter()
        .find_map(|pat| {
            err.split(pat)
                .nth(1)
                .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
                .and_then(|n| n.parse().ok())
        });
    ShowLog {
        ok: o.status.success(),
        records: out.lines().filter(|l| l.starts_with("record ")).count(),
        stopped_at,
    }
}

fn cli(args: &[&str]) -> Outcome {
    let mut c = Command::new(BIN);
    c.args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    run_watched(c, Duration::from_secs(120))
}

/// Runs `ovn-ocf repair` and returns its JSON report.
fn repair(file: &Path, backups: &Path, extra: &[&str]) -> (Outcome, serde_json::Value) {
    let mut args = vec![
        "repair",
        file.to_str().unwrap(),
        "--backup-dir",
        backups.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = cli(&args);
    let report = serde_json::from_str(&o.stdout).unwrap_or(serde_json::Value::Null);
    (o, report)
}

/// The common assertions after repairing `damaged` (a copy of `original` with damage)
/// whose intact prefix is `keep` bytes holding `rows`.
fn assert_repaired(
    db: &str,
    file: &Path,
    damaged: &[u8],
    report: &serde_json::Value,
    keep: &[u8],
    rows: &[String],
) {
    // The backup is the damaged file, byte for byte.
    let backup = report["backup"].as_str().expect("a backup");
    assert_eq!(
        std::fs::read(backup).unwrap(),
        damaged,
        "backup not byte-exact"
    );
    // The intact prefix is kept, nothing else.
    let now = std::fs::read(file).unwrap();
    assert_eq!(
        now.len(),
        keep.len(),
        "kept {} bytes, want {}",
        now.len(),
        keep.len()
    );
    assert!(now == keep, "kept bytes differ from the intact prefix");
    let sl = show_log(file);
    assert!(sl.ok, "repaired file fails ovsdb-tool show-log");
    // Served by ovsdb-server: exactly the prefix's rows.
    assert_eq!(RawServer::start(file).names(db), rows);
}

fn names(n: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
    v.sort();
    v
}

#[test]
fn torn_tail_at_every_byte_of_the_last_record() {
    let d = tempfile::tempdir().unwrap();
    let file = write_db(d.path(), "nb", 3);
    let original = std::fs::read(&file).unwrap();
    let ends = record_ends(&original);
    assert_eq!(ends.len(), 4, "schema + 3 transactions");
    let (start, end) = (ends[2], ends[3]);
    let work = d.path().join("work.db");
    let backups = d.path().join("backups");
    let mut repaired_once = None;
    for cut in start + 1..end {
        let damaged = &original[..cut];
        std::fs::write(&work, damaged).unwrap();
        // What ovsdb itself reads before the damage is our intact prefix.
        let sl = show_log(&work);
        assert!(!sl.ok);
        assert_eq!(sl.records, 3, "cut {cut}");
        assert!(
            sl.stopped_at
                .is_some_and(|o| (start as u64..=cut as u64).contains(&o)),
            "cut {cut}"
        );
        assert_eq!(
            cli(&["check", work.to_str().unwrap()]).code,
            1,
            "check of a torn file"
        );
        let (o, report) = repair(&work, &backups, &["--keep", "1000"]);
        assert_eq!(o.code, 0, "cut {cut}: {}", o.stderr);
        assert_eq!(report["outcome"], "cut");
        assert_eq!(report["found"]["kind"], "torn-tail");
        assert_eq!(report["found"]["offset"], start as u64);
        let backup = report["backup"].as_str().unwrap();
        assert_eq!(
            std::fs::read(backup).unwrap(),
            damaged,
            "cut {cut}: backup not byte-exact"
        );
        let now = std::fs::read(&work).unwrap();
        assert!(
            now == original[..start],
            "cut {cut}: kept bytes are not the intact prefix"
        );
        assert!(show_log(&work).ok, "cut {cut}");
        assert_eq!(cli(&["check", work.to_str().unwrap()]).code, 0);
        // Every cut yields the same file: serve it once.
        if repaired_once.is_none() {
            assert_repaired("nb", &work, damaged, &report, &original[..start], &names(2));
            repaired_once = Some(now);
        }
    }
    // Nothing left behind beside the database but our backups dir.
    let extra: Vec<_> = std::fs::read_dir(d.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.contains(".tmp.") || n.ends_with(".convert"))
        .collect();
    assert!(extra.is_empty(), "{extra:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 40, failure_persistence: None, ..ProptestConfig::default() })]

    /// A random bit flipped anywhere after the schema record: the records before the
    /// damaged one are kept, exactly those, as ovsdb-tool reads them.
    #[test]
    fn random_bit_flips(pos in 0.0f64..1.0, bit in 0u8..8, db in prop::sample::select(vec!["nb", "sb"])) {
        let d = tempfile::tempdir().unwrap();
        let file = write_db(d.path(), db, 4);
        let original = std::fs::read(&file).unwrap();
        let ends = record_ends(&original);
        let first = ends[0];
        let at = first + ((original.len() - first) as f64 * pos) as usize;
        let at = at.min(original.len() - 1);
        let mut damaged = original.clone();
        damaged[at] ^= 1 << bit;
        std::fs::write(&file, &damaged).unwrap();
        let k = ends.iter().position(|e| at < *e).unwrap(); // damaged record number
        let keep = if k == 0 { 0 } else { ends[k - 1] };
        let sl = show_log(&file);
        if sl.ok {
            // A flip ovsdb itself does not mind (the hash's hex case): nothing to repair.
            let (o, report) = repair(&file, &d.path().join("b"), &[]);
            prop_assert_eq!(o.code, 0);
            prop_assert_eq!(&report["outcome"], "clean");
            return Ok(());
        }
        prop_assert_eq!(sl.records, k, "show-log reads {} records before the damage", sl.records);
        prop_assert!(sl.stopped_at.is_some_and(|o| (keep as u64..ends[k] as u64).contains(&o)));
        let (o, report) = repair(&file, &d.path().join("b"), &[]);
        prop_assert_eq!(o.code, 0, "{}", o.stderr);
        prop_assert_eq!(&report["outcome"], "cut");
        assert_repaired(db, &file, &damaged, &report, &original[..keep], &names(k - 1));
    }
}

#[test]
fn damaged_schema_record_is_recreated_with_a_backup() {
    let d = tempfile::tempdir().unwrap();
    let file = write_db(d.path(), "sb", 2);
    let mut damaged = std::fs::read(&file).unwrap();
    damaged[200] ^= 0x04;
    std::fs::write(&file, &damaged).unwrap();
    assert_eq!(cli(&["check", file.to_str().unwrap()]).code, 2);
    let (o, report) = repair(&file, &d.path().join("b"), &["--schema", SB_SCHEMA]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(report["outcome"], "recreated");
    assert_eq!(
        std::fs::read(report["backup"].as_str().unwrap()).unwrap(),
        damaged
    );
    assert!(show_log(&file).ok);
    assert!(RawServer::start(&file).names("sb").is_empty());
}

#[test]
fn garbage_and_zero_length_are_recreated_never_silently() {
    for (name, bytes) in [
        (
            "garbage",
            (0..5000u32)
                .map(|i| (i * 31 % 253) as u8)
                .collect::<Vec<u8>>(),
        ),
        ("zero", vec![]),
    ] {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("ovnnb_db.db");
        std::fs::write(&file, &bytes).unwrap();
        assert_eq!(cli(&["check", file.to_str().unwrap()]).code, 2, "{name}");
        // Without --schema the tool cannot guess what the file was: it says so.
        let (o, _) = repair(&file, &d.path().join("b"), &[]);
        assert_eq!(o.code, 2, "{name}: {}", o.stderr);
        assert_eq!(std::fs::read(&file).unwrap(), bytes, "{name}: untouched");
        let (o, report) = repair(&file, &d.path().join("b"), &["--schema", NB_SCHEMA]);
        assert_eq!(o.code, 0, "{name}: {}", o.stderr);
        assert_eq!(report["outcome"], "recreated", "{name}");
        assert_eq!(
            std::fs::read(report["backup"].as_str().unwrap()).unwrap(),
            bytes,
            "{name}"
        );
        assert!(show_log(&file).ok, "{name}");
        assert!(RawServer::start(&file).names("nb").is_empty(), "{name}");
        // With refuse, nothing changes.
        std::fs::write(&file, &bytes).unwrap();
        let (o, _) = repair(
            &file,
            &d.path().join("b"),
            &["--schema", NB_SCHEMA, "--policy", "refuse"],
        );
        assert_eq!(o.code, 1, "{name}");
        assert_eq!(std::fs::read(&file).unwrap(), bytes);
    }
}

#[test]
fn schema_only_is_clean_and_untouched() {
    let d = tempfile::tempdir().unwrap();
    let file = write_db(d.path(), "nb", 0);
    let before = std::fs::read(&file).unwrap();
    assert_eq!(cli(&["check", file.to_str().unwrap()]).code, 0);
    let (o, report) = repair(&file, &d.path().join("b"), &[]);
    assert_eq!(o.code, 0);
    assert_eq!(report["outcome"], "clean");
    assert!(report["backup"].is_null());
    assert_eq!(std::fs::read(&file).unwrap(), before);
    assert!(
        Path::new(report["report"].as_str().unwrap()).exists(),
        "one report per run"
    );
}

#[test]
fn clustered_file_is_refused_and_untouched() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("ovnsb_db.db");
    let port = free_port("127.0.0.1");
    let st = Command::new("ovsdb-tool")
        .args([
            "create-cluster",
            file.to_str().unwrap(),
            SB_SCHEMA,
            &format!("tcp:127.0.0.1:{port}"),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let before = std::fs::read(&file).unwrap();
    assert_eq!(cli(&["check", file.to_str().unwrap()]).code, 2);
    let (o, _) = repair(&file, &d.path().join("b"), &["--schema", SB_SCHEMA]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("clustered"), "{}", o.stderr);
    assert_eq!(std::fs::read(&file).unwrap(), before);
    // The agent refuses it as a configuration error (6), with the reason.
    let mut r = Res::new("sb");
    r.set("OCF_RESKEY_db_file", file.to_str().unwrap());
    let o = r.run("start");
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("clustered"));
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

/// An older schema (the installed one with a lower version and one table fewer) is
/// converted after a backup, keeping its rows.
#[test]
fn older_schema_is_converted() {
    let d = tempfile::tempdir().unwrap();
    let mut schema: serde_json::Value =
        serde_json::from_slice(&std::fs::read(NB_SCHEMA).unwrap()).unwrap();
    let text = std::fs::read_to_string(NB_SCHEMA).unwrap();
    // A table no other table refers to can be dropped from the "old" schema.
    let victim = schema["tables"]
        .as_object()
        .unwrap()
        .keys()
        .find(|t| {
            !text.contains(&format!("\"refTable\": \"{t}\""))
                && t.as_str() != "Address_Set"
                && t.as_str() != "NB_Global"
        })
        .cloned()
        .expect("an unreferenced table");
    schema["tables"].as_object_mut().unwrap().remove(&victim);
    schema["version"] = "1.0.0".into();
    let old = d.path().join("old.ovsschema");
    std::fs::write(&old, serde_json::to_vec(&schema).unwrap()).unwrap();
    let file = d.path().join("ovnnb_db.db");
    create_db(&file, old.to_str().unwrap());
    {
        let s = RawServer::start(&file);
        for i in 0..3 {
            s.transact("nb", &write_ops(&format!("r{i}")));
        }
    }
    let before = std::fs::read(&file).unwrap();
    let (o, report) = repair(&file, &d.path().join("b"), &[]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(report["outcome"], "converted");
    assert_eq!(
        std::fs::read(report["backup"].as_str().unwrap()).unwrap(),
        before
    );
    let i = cli(&["check", "--json", file.to_str().unwrap()]);
    let info: serde_json::Value = serde_json::from_str(&i.stdout).unwrap();
    let installed: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(info["schema"]["version"], installed["version"]);
    assert!(show_log(&file).ok);
    assert_eq!(RawServer::start(&file).names("nb"), names(3));
}

/// The CLI refuses to repair a file an ovsdb-server has open.
#[test]
fn cli_refuses_a_served_file() {
    let d = tempfile::tempdir().unwrap();
    let file = write_db(d.path(), "nb", 1);
    let _s = RawServer::start(&file);
    let (o, _) = repair(&file, &d.path().join("b"), &[]);
    assert_eq!(o.code, 1);
    assert!(o.stderr.contains("stop it first"), "{}", o.stderr);
}

// ------------------------------------------------------------------ the agent

/// Tears the tail of the agent's DB file: a committed record cut in half.
fn tear_tail(r: &Res, n: usize) -> Vec<u8> {
    r.expect("start", 0);
    for i in 0..n {
        r.client_transact(&write_ops(&format!("r{i}"))).unwrap();
    }
    r.expect("stop", 0);
    let bytes = std::fs::read(r.db_file()).unwrap();
    let ends = record_ends(&bytes);
    let cut = ends[ends.len() - 2] + 10;
    std::fs::write(r.db_file(), &bytes[..cut]).unwrap();
    bytes[..cut].to_vec()
}

#[test]
fn agent_repairs_a_torn_tail_before_serving() {
    let shim = PcmkShim::new("1 node1 member\n");
    let mut r = Res::new("nb");
    r.set("PATH", &shim.path_env());
    let damaged = tear_tail(&r, 3);
    shim.clear();
    r.expect("start", 0);
    let rows = r.client_transact(&select_sets()).unwrap();
    assert_eq!(set_names(&rows), names(2), "the intact prefix is served");
    let backups = r.db_file().with_file_name("ovn-ocf-backups");
    let mut files: Vec<_> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let backup = files
        .iter()
        .find(|p| p.to_string_lossy().ends_with(".bak"))
        .expect("backup");
    assert_eq!(std::fs::read(backup).unwrap(), damaged);
    // Two runs so far (created, then cut): the newest report is the cut.
    let report = files
        .iter()
        .rfind(|p| p.to_string_lossy().ends_with(".report.json"))
        .expect("report");
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    assert_eq!(report["outcome"], "cut");
    let calls = shim.calls();
    assert!(
        calls
            .iter()
            .any(|c| c.starts_with("attrd_updater -n ovn-ocf-nb-repair -U cut ")),
        "crm_mon -A shows the repair: {calls:?}"
    );
}

#[test]
fn agent_with_refuse_policy_fails_and_changes_nothing() {
    let mut r = Res::new("sb");
    let damaged = tear_tail(&r, 2);
    r.set("OCF_RESKEY_repair_policy", "refuse");
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("torn tail"), "{}", o.stderr);
    assert_eq!(std::fs::read(r.db_file()).unwrap(), damaged);
    assert!(r.server_pid().is_none());
}

/// Writes an executable script at `path`.
fn script_file(path: &Path, body: &str) -> PathBuf {
    std::fs::write(path, body).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.to_path_buf()
}

/// A hook script that records its environment and whether the TCP port is open, writes
/// a row through the local socket, and exits with `code` (or sleeps first).
fn hook_script(r: &Res, code: i32, sleep: u32) -> PathBuf {
    let out = r.path("hook.out");
    let script = r.path("hook.sh");
    let body = format!(
        r#"#!/bin/sh
echo "run outcome=$OVN_OCF_REPAIR_OUTCOME db=$OVN_OCF_DB conn=$OVN_OCF_DB_CONNECTION report=$OVN_OCF_REPAIR_REPORT" >> {out}
if ovsdb-client list-dbs tcp:127.0.0.1:{port} >/dev/null 2>&1; then echo "port open" >> {out}; else echo "port closed" >> {out}; fi
ovsdb-client transact "$OVN_OCF_DB_CONNECTION" '["{schema}",{{"op":"insert","table":"Address_Set","row":{{"name":"rebuilt-'$$'"}}}}]' >/dev/null
echo hello-from-hook
echo $$ > {pid}
sleep {sleep}
exit {code}
"#,
        out = out.display(),
        port = r.port,
        schema = schema_name(&r.db),
        pid = r.path("hook.pid").display(),
    );
    script_file(&script, &body)
}

fn hook_runs(r: &Res) -> Vec<String> {
    std::fs::read_to_string(r.path("hook.out"))
        .unwrap_or_default()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn hook_runs_with_remotes_closed_and_only_after_a_change() {
    let mut r = Res::new("nb");
    let hook = hook_script(&r, 0, 0);
    r.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap())
        .set("OCF_RESKEY_repair_hook_needs_sb", "false");
    r.served_before();
    let o = r.expect("start", 0); // the DB that served is missing: created, so the hook is due
    assert!(
        o.stderr.contains("repair_hook stdout: hello-from-hook"),
        "hook output in the log: {}",
        o.stderr
    );
    let runs = hook_runs(&r);
    assert_eq!(runs.len(), 2, "{runs:?}");
    assert!(
        runs[0].starts_with("run outcome=created db=nb conn=unix:"),
        "{runs:?}"
    );
    assert!(runs[0].contains(".report.json"), "{runs:?}");
    assert_eq!(
        runs[1], "port closed",
        "the hook must run before any client can connect"
    );
    // What the hook wrote through the local socket is there for clients.
    let rows = set_names(&r.client_transact(&select_sets()).unwrap());
    assert!(rows.iter().any(|n| n.starts_with("rebuilt-")), "{rows:?}");
    // A clean file next time: after-change does not run it.
    r.expect("stop", 0);
    r.expect("start", 0);
    assert_eq!(hook_runs(&r).len(), 2);
    // always: it runs on a clean start too.
    r.expect("stop", 0);
    r.set("OCF_RESKEY_repair_hook_when", "always");
    r.expect("start", 0);
    assert_eq!(hook_runs(&r).len(), 4);
    assert!(hook_runs(&r)[2].starts_with("run outcome=clean"));
    // never: not even after a change.
    r.expect("stop", 0);
    r.set("OCF_RESKEY_repair_hook_when", "never");
    tear_tail(&r, 1);
    r.expect("start", 0);
    assert_eq!(
        hook_runs(&r).len(),
        4,
        "never: not run by tear_tail's start nor after the cut"
    );
    assert!(
        !r.db_file()
            .with_file_name(".ovnnb_db.db.rebuild-pending")
            .exists()
    );
}

/// The seed's hook configured from the first day (issue: the very first start ran the
/// rebuild before Neutron or the SB existed, and failed): a database that never served
/// here is new, not lost. Once it has served, losing it owes the rebuild again.
#[test]
fn first_start_of_a_new_deployment_rebuilds_nothing() {
    let mut r = Res::new("nb");
    let hook = hook_script(&r, 3, 0); // would fail the start if it ran
    r.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap())
        .set("OCF_RESKEY_repair_hook_needs_sb", "false");
    let o = r.expect("start", 0);
    assert!(hook_runs(&r).is_empty(), "{}", o.stderr);
    assert!(
        o.stderr.contains("outcome=new"),
        "the log says new: {}",
        o.stderr
    );
    let marker = r.db_file().with_file_name(".ovnnb_db.db.rebuild-pending");
    assert!(!marker.exists(), "no rebuild is owed");
    r.expect("stop", 0);
    // The same database lost later: created again, and the (failing) hook is due.
    std::fs::remove_file(r.db_file()).unwrap();
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("repair_hook"), "{}", o.stderr);
    assert!(marker.exists(), "the owed rebuild is recorded");
}

#[test]
fn failed_hook_fails_start_and_is_redone_on_retry() {
    let mut r = Res::new("nb");
    let hook = hook_script(&r, 3, 0);
    r.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap())
        .set("OCF_RESKEY_repair_hook_needs_sb", "false");
    r.served_before();
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let reason = o.reason().unwrap();
    assert!(
        reason.contains("repair_hook") && reason.contains("exit code 3"),
        "{reason}"
    );
    assert!(r.server_pid().is_none(), "no server left behind");
    assert!(
        r.client_transact(&select_sets()).is_err(),
        "the listener never opened"
    );
    let marker = r.db_file().with_file_name(".ovnnb_db.db.rebuild-pending");
    assert!(
        marker.exists(),
        "the owed rebuild is recorded beside the DB"
    );
    // Retry with a working hook: the file is clean now, but the rebuild is still owed.
    let good = hook_script(&r, 0, 0);
    r.set("OCF_RESKEY_repair_hook", good.to_str().unwrap());
    r.expect("start", 0);
    let runs = hook_runs(&r);
    assert!(runs.last().is_some_and(|l| l == "port closed"));
    assert!(
        runs[runs.len() - 2].starts_with("run outcome=created"),
        "{runs:?}"
    );
    assert!(!marker.exists());
}

#[test]
fn hook_past_its_timeout_is_killed() {
    let mut r = Res::new("sb");
    let hook = hook_script(&r, 0, 60);
    r.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap());
    r.set("OCF_RESKEY_repair_hook_timeout", "1");
    r.served_before();
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.reason().unwrap().contains("did not finish within 1s"),
        "{}",
        o.stderr
    );
    let pid: i32 = std::fs::read_to_string(r.path("hook.pid"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z"),
        "hook pid {pid} still runs: {stat}"
    );
    assert!(r.server_pid().is_none());
}

#[test]
fn hook_left_behind_by_a_killed_start_is_ended_by_stop() {
    // Pacemaker SIGKILLs an agent past its timeout; the hook (its own process group)
    // would run on, and could write into the DB of the next start.
    let mut r = Res::new("nb");
    let hook = hook_script(&r, 0, 300);
    r.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap())
        .set("OCF_RESKEY_repair_hook_needs_sb", "false");
    r.served_before();
    let mut start = std::process::Command::new(&r.agent);
    start
        .arg("start")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(&r.env)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    let mut agent = start.spawn().unwrap();
    let pid_file = r.path("hook.pid");
    let end = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !pid_file.exists() {
        assert!(std::time::Instant::now() < end, "the hook never ran");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    agent.kill().unwrap();
    agent.wait().unwrap();
    let hook_pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(std::path::Path::new(&format!("/proc/{hook_pid}")).exists());
    let keeper_arg = format!(
        "--record={}",
        r.db_file().with_file_name(".ovnnb_db.db.owner").display()
    );
    let keepers = || {
        std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
            .filter(|p| {
                std::fs::read(format!("/proc/{p}/cmdline"))
                    .is_ok_and(|c| c.split(|b| *b == 0).any(|a| a == keeper_arg.as_bytes()))
            })
            .count()
    };
    assert_eq!(keepers(), 1, "the killed start's lease keeper runs on");
    r.expect("stop", 0);
    assert_eq!(keepers(), 0, "stop ends the keeper no state file names");
    let stat = std::fs::read_to_string(format!("/proc/{hook_pid}/stat")).unwrap_or_default();
    assert!(
        stat.is_empty() || stat.contains(") Z"),
        "hook pid {hook_pid} still runs: {stat}"
    );
    assert!(r.server_pid().is_none());
}

/// Creates a logical switch in NB; after the SB gate, its datapath is in SB before any
/// client could connect.
#[test]
fn sb_gate_waits_for_northd_to_recompute() {
    let nb = Res::new("nb");
    nb.expect("start", 0);
    nb.local_transact(r#"{"op":"insert","table":"Logical_Switch","row":{"name":"gate-ls"}}"#)
        .unwrap();
    let (mut sb, shim) = gated_sb(&nb);
    // A hook proves the order: at hook time the SB is still closed.
    let hook = hook_script(&sb, 0, 0);
    sb.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap());
    sb.served_before();
    sb.expect("start", 0); // the SB that served is missing: created, so the gate runs
    let r = sb
        .client_transact(
            r#"{"op":"select","table":"Datapath_Binding","where":[],"columns":["external_ids"]}"#,
        )
        .unwrap();
    let has = r[0]["rows"].as_array().unwrap().iter().any(|row| {
        row["external_ids"][1]
            .as_array()
            .is_some_and(|kv| kv.iter().any(|p| p[0] == "name" && p[1] == "gate-ls"))
    });
    assert!(has, "the first thing clients see is the recomputed SB: {r}");
    let nb_cfg = nb
        .local_transact(r#"{"op":"select","table":"NB_Global","where":[],"columns":["nb_cfg"]}"#)
        .unwrap();
    let sb_cfg = sb
        .local_transact(r#"{"op":"select","table":"SB_Global","where":[],"columns":["nb_cfg"]}"#)
        .unwrap();
    assert!(
        sb_cfg[0]["rows"][0]["nb_cfg"].as_i64().unwrap()
            >= nb_cfg[0]["rows"][0]["nb_cfg"].as_i64().unwrap()
    );
    let calls = shim.calls();
    let waiting = calls
        .iter()
        .position(|c| c == "attrd_updater -n ovn-ocf-sb-gate -U waiting");
    let cleared = calls
        .iter()
        .position(|c| c == "attrd_updater -n ovn-ocf-sb-gate -D");
    assert!(waiting.is_some() && cleared > waiting, "{calls:?}");
    assert!(
        !sb.run_dir().join("ovnsb_db.sb-gate").exists(),
        "the gate's northd and its files are gone"
    );
    assert_eq!(hook_runs(&sb)[1], "port closed");
}

#[test]
fn sb_gate_without_nb_fails_and_keeps_the_rebuild_owed() {
    let nb = Res::new("nb"); // never started: its socket does not exist
    let mut sb = Res::new("sb");
    sb.with_gate(&nb).served_before();
    let o = sb.run_with("start", &[("OCF_RESKEY_CRM_meta_timeout", "5000")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("SB gate"), "{}", o.stderr);
    assert!(sb.client_transact(&select_sets()).is_err());
    assert!(
        sb.db_file()
            .with_file_name(".ovnsb_db.db.rebuild-pending")
            .exists()
    );
    assert!(sb.server_pid().is_none());
}

/// The agent killed during the SB gate (Pacemaker's start timeout) leaves the gate's
/// ovn-northd; stop ends it.
#[test]
fn stop_ends_a_leftover_gate_northd() {
    let nb = Res::new("nb");
    nb.expect("start", 0);
    let mut sb = Res::new("sb");
    sb.with_gate(&nb);
    // Stand in for the gate's northd as a cut-short start leaves it: same pidfile.
    let dir = sb.run_dir().join("ovnsb_db.sb-gate");
    std::fs::create_dir_all(&dir).unwrap();
    let pidfile = dir.join("ovn-northd.pid");
    let mut child = Command::new("ovn-northd")
        .arg("-vconsole:off")
        .arg(format!("--pidfile={}", pidfile.display()))
        .arg(format!(
            "--ovnnb-db=unix:{}",
            nb.run_dir().join("ovnnb_db.sock").display()
        ))
        .arg(format!(
            "--ovnsb-db=unix:{}",
            dir.join("none.sock").display()
        ))
        .env("OVN_RUNDIR", &dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    while std::fs::read_to_string(&pidfile).map_or(true, |p| p.trim() != child.id().to_string()) {
        assert!(Instant::now() < end, "northd did not write its pidfile");
        std::thread::sleep(Duration::from_millis(10));
    }
    sb.expect("stop", 0);
    // It exited because stop told it to (TERM), not on its own; bounded, never a hang.
    let end = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > end {
            let _ = child.kill();
            panic!("stop left the gate's ovn-northd running");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    use std::os::unix::process::ExitStatusExt;
    assert!(status.success() || status.signal().is_some(), "{status}");
    assert!(!dir.exists(), "the gate's files are cleaned up");
}

/// `ovn-ocf check` on a big file: a progress line on a terminal (a pty, through
/// util-linux's `script`), erased before the verdict; nothing on stderr otherwise.
#[test]
fn check_shows_progress_on_a_terminal_only() {
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("big.db");
    let mut b = ovn_ocf::dbfile::encode_record(
        br#"{"name":"OVN_Northbound","version":"7.3.0","tables":{}}"#,
    );
    let body = format!(r#"{{"T":{{"r":{{"x":"{}"}}}}}}"#, "a".repeat(1 << 20));
    let rec = ovn_ocf::dbfile::encode_record(body.as_bytes());
    while b.len() < 65 << 20 {
        b.extend_from_slice(&rec);
    }
    std::fs::write(&file, &b).unwrap();
    let f = file.to_str().unwrap();
    let plain = cli(&["check", f]);
    assert_eq!(plain.code, 0, "{plain:?}");
    assert!(
        plain.stderr.is_empty(),
        "not a terminal: {:?}",
        plain.stderr
    );

    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("SKIP the terminal half: no `script` (util-linux)");
        return;
    }
    let mut c = Command::new("script");
    c.args(["-qec", &format!("{BIN} check {f}"), "/dev/null"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .stdin(Stdio::null());
    let tty = run_watched(c, Duration::from_secs(120));
    assert_eq!(tty.code, 0, "{tty:?}");
    let out = &tty.stdout;
    assert!(out.starts_with("\rverifying: "), "{out:?}");
    assert!(out.contains(" of 65 MiB ("), "{out:?}");
    let verdict = out.find(&format!("{f}: clean")).expect("the verdict");
    assert!(
        out[..verdict].ends_with("\r\x1b[K"),
        "erased first: {out:?}"
    );
}

/// A hook that needs both databases, as neutron-ovn-db-sync-util does: it records what it
/// could reach, inserts a logical switch into NB (unless `does_nothing`) and exits 0.
fn sync_hook(r: &Res, nb_port: u16, sb_port: u16, does_nothing: bool) -> PathBuf {
    let out = r.path("sync.out");
    let script = r.path("sync.sh");
    let write = if does_nothing {
        String::new()
    } else {
        r#"ovsdb-client transact "$OVN_OCF_NB_CONNECTION" '["OVN_Northbound",{"op":"insert","table":"Logical_Switch","row":{"name":"rebuilt-ls"}}]' >/dev/null || exit 7"#.to_string()
    };
    let body = format!(
        r#"#!/bin/sh
echo "db=$OVN_OCF_DB outcome=$OVN_OCF_REPAIR_OUTCOME nb=$OVN_OCF_NB_CONNECTION sb=$OVN_OCF_SB_CONNECTION" >> {out}
for c in "$OVN_OCF_NB_CONNECTION" "$OVN_OCF_SB_CONNECTION"; do
  if ovsdb-client list-dbs "$c" >/dev/null 2>&1; then echo "reached $c" >> {out}; else echo "unreachable $c" >> {out}; fi
done
for p in {nb_port} {sb_port}; do
  if ovsdb-client list-dbs tcp:127.0.0.1:$p >/dev/null 2>&1; then echo "port $p open" >> {out}; else echo "port $p closed" >> {out}; fi
done
{write}
exit 0
"#,
        out = out.display(),
    );
    script_file(&script, &body)
}

/// An NB that held `ls-kept` and `ls-lost`, its last record torn: the kept prefix holds
/// one logical switch.
fn nb_with_torn_cloud(nb: &Res) {
    nb.expect("start", 0);
    for name in ["ls-kept", "ls-lost"] {
        nb.client_transact(&format!(
            r#"{{"op":"insert","table":"Logical_Switch","row":{{"name":"{name}"}}}}"#
        ))
        .unwrap();
    }
    nb.expect("stop", 0);
    let bytes = std::fs::read(nb.db_file()).unwrap();
    let ends = record_ends(&bytes);
    std::fs::write(nb.db_file(), &bytes[..ends[ends.len() - 2] + 10]).unwrap();
}

fn switch_names(r: &Res) -> Vec<String> {
    let rows = r
        .client_transact(
            r#"{"op":"select","table":"Logical_Switch","where":[],"columns":["name"]}"#,
        )
        .unwrap();
    rows[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

/// The seed's rebuild with a tool that needs NB and SB (issue: the sync util as NB's hook
/// failed "Could not retrieve schema" because SB starts after NB): NB's start serves NB
/// locally and leaves the hook to the SB's start, which runs it once both serve locally,
/// then the SB gate; NB's listeners open at its next monitor, after the SB's.
#[test]
fn nb_rebuild_runs_in_the_sb_start_with_both_databases() {
    let mut nb = Res::new("nb");
    nb_with_torn_cloud(&nb);
    let (mut sb, _shim) = gated_sb(&nb);
    let hook = sync_hook(&sb, nb.port, sb.port, false);
    nb.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap());
    // The SB found there says northd processed nb_cfg 1000 of the NB before the loss; the
    // rebuilt NB starts again from 0. The gate's barrier must still wait for northd.
    sb.set("OCF_RESKEY_sb_gate", "false");
    sb.expect("start", 0);
    sb.local_transact(r#"{"op":"insert","table":"SB_Global","row":{"nb_cfg":1000}}"#)
        .unwrap();
    sb.expect("stop", 0);
    sb.with_gate(&nb);

    let o = nb.expect("start", 0);
    assert!(
        o.stderr.contains("serves on its local socket only"),
        "{}",
        o.stderr
    );
    assert!(
        !sb.path("sync.out").exists(),
        "NB's start must not run the hook"
    );
    assert!(
        nb.client_transact(&select_sets()).is_err(),
        "NB's listener stays closed"
    );
    let request = nb.run_dir().join("ovnnb_db.rebuild");
    assert!(request.exists());
    nb.expect("monitor", 0);
    assert!(
        nb.client_transact(&select_sets()).is_err(),
        "still closed while waiting"
    );
    let st = Command::new(BIN)
        .args([
            "status",
            "--json",
            "--run-dir",
            nb.run_dir().to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let st = String::from_utf8_lossy(&st.stdout);
    assert!(
        st.contains("waiting for its rebuild"),
        "ovn-ocf status says why: {st}"
    );

    let o = sb.expect("start", 0);
    let out = std::fs::read_to_string(sb.path("sync.out")).unwrap();
    assert!(out.starts_with("db=nb outcome=cut "), "{out}");
    assert_eq!(
        out.matches("reached unix:").count(),
        2,
        "both local sockets: {out}"
    );
    assert!(
        out.contains(&format!("port {} closed", nb.port))
            && out.contains(&format!("port {} closed", sb.port)),
        "no listener open while the hook runs: {out}"
    );
    let gate = o.stderr.find("SB gate: ovn-northd").expect("the gate ran");
    let hook_ran = o
        .stderr
        .find("running its repair_hook")
        .expect("the hook ran");
    assert!(hook_ran < gate, "hook before gate: {}", o.stderr);
    // The gate's northd recomputed SB from the rebuilt NB before SB opened.
    let dps = sb
        .client_transact(
            r#"{"op":"select","table":"Datapath_Binding","where":[],"columns":["external_ids"]}"#,
        )
        .unwrap()
        .to_string();
    assert!(dps.contains("rebuilt-ls"), "{dps}");
    assert!(
        !nb.db_file()
            .with_file_name(".ovnnb_db.db.rebuild-pending")
            .exists(),
        "the rebuild is no longer owed"
    );

    // NB opens at its next monitor.
    nb.expect("monitor", 0);
    let names = switch_names(&nb);
    assert!(
        names.contains(&"rebuilt-ls".to_string()) && names.contains(&"ls-kept".to_string()),
        "{names:?}"
    );
    assert!(!request.exists());
    nb.expect("monitor", 0);
    sb.expect("stop", 0);
    nb.expect("stop", 0);
}

/// An SB resource whose gate reads `nb`, with a one-node membership shim on its PATH
/// (keep the shim alive as long as the resource runs).
fn gated_sb(nb: &Res) -> (Res, PcmkShim) {
    let shim = PcmkShim::new("1 node1 member\n");
    let mut sb = Res::new("sb");
    sb.with_gate(nb).set("PATH", &shim.path_env());
    (sb, shim)
}

/// The SB's start fails (OCF_ERR_GENERIC) with a reason holding every one of `words`.
fn sb_start_fails_saying(sb: &Res, words: &[&str]) {
    let o = sb.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let reason = o.reason().unwrap();
    assert!(words.iter().all(|w| reason.contains(w)), "{reason}");
}

/// The sync util exits 0 when it could not sync anything (it logs its configuration
/// errors): an NB left without the logical switches its kept records hold fails the SB's
/// start and NB's monitor, each with the reason, and the rebuild stays owed.
#[test]
fn a_rebuild_that_leaves_nb_empty_fails() {
    let mut nb = Res::new("nb");
    nb_with_torn_cloud(&nb);
    // The hook "does nothing" to a database whose kept prefix is then emptied by the
    // hook itself: the sync util in repair mode deletes what Neutron does not know.
    let (sb, _shim) = gated_sb(&nb);
    let hook = script_file(
        &sb.path("empty.sh"),
        "#!/bin/sh\novsdb-client transact \"$OVN_OCF_NB_CONNECTION\" '[\"OVN_Northbound\",{\"op\":\"delete\",\"table\":\"Logical_Switch\",\"where\":[]}]' >/dev/null\nexit 0\n",
    );
    nb.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap());
    nb.expect("start", 0);
    sb_start_fails_saying(&sb, &["rebuilding the Northbound database", "held 1"]);
    assert!(
        sb.client_transact(&select_sets()).is_err(),
        "SB never opened"
    );
    let o = nb.run("monitor");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.reason().unwrap().contains("rebuild failed"),
        "{}",
        o.stderr
    );
    assert!(
        nb.client_transact(&select_sets()).is_err(),
        "NB never opened"
    );
    assert!(
        nb.db_file()
            .with_file_name(".ovnnb_db.db.rebuild-pending")
            .exists(),
        "the rebuild is still owed"
    );
    nb.expect("stop", 0);
    sb.expect("stop", 0);
}

// --------------------------------------------- a clean file shorter than it served

/// A DB served by the agent, stopped cleanly, then cut after its schema record in place
/// (an operator's truncation, or a tail the page cache lost): every record verifies, yet
/// it lost all its rows. The next start backs it up, keeps it, says so, and owes the
/// rebuild a cut owes: the NB's repair_hook runs before any client connects.
#[test]
fn a_clean_nb_shorter_than_it_served_is_a_loss() {
    let mut r = Res::new("nb");
    let failing = hook_script(&r, 3, 0);
    r.set("OCF_RESKEY_repair_hook", failing.to_str().unwrap())
        .set("OCF_RESKEY_repair_hook_needs_sb", "false");
    let o = r.expect("start", 0);
    assert!(o.stderr.contains("outcome=new"), "{}", o.stderr);
    for i in 0..3 {
        r.client_transact(&write_ops(&format!("r{i}"))).unwrap();
    }
    r.expect("stop", 0);
    // What the stop left beside the database: the file as it served, to the byte.
    let file = r.db_file();
    let served = std::fs::metadata(&file).unwrap();
    let rel = r.released().expect(".ovnnb_db.db.served");
    assert_eq!(rel["served"]["size"], served.len(), "{rel}");
    assert_eq!(rel["served"]["ino"], inode(&file), "{rel}");
    assert!(r.owner_record().is_none(), "the owner record is gone");
    let left = truncate_to_schema(&file);
    assert_eq!(inode(&file), rel["served"]["ino"], "cut in place");
    assert!(show_log(&file).ok, "every record verifies");
    // `ovn-ocf check`: clean, and says what it served.
    let c = cli(&["check", file.to_str().unwrap()]);
    assert_eq!(c.code, 0, "{c:?}");
    assert!(
        c.stdout
            .contains(&format!("served last at {} bytes", served.len()))
            && c.stdout.contains("its tail is lost"),
        "{}",
        c.stdout
    );
    // The start: a loss, the hook due (it fails here: the rebuild stays owed).
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("repair_hook"), "{}", o.stderr);
    assert!(
        o.stderr.contains("outcome=shorter-than-served"),
        "{}",
        o.stderr
    );
    let report = r.newest_report();
    assert_eq!(report["outcome"], "shorter-than-served");
    assert_eq!(report["found"]["kind"], "clean");
    assert_eq!(report["served"]["size"], served.len());
    assert_eq!(report["size"], left.len() as u64);
    assert_eq!(
        report["steps"][0],
        serde_json::json!({"step": "shorter-than-served", "served": served.len(), "found": left.len()})
    );
    let backup = report["backup"].as_str().expect("a backup");
    assert_eq!(
        std::fs::read(backup).unwrap(),
        left,
        "the evidence, byte-exact"
    );
    let marker = file.with_file_name(".ovnnb_db.db.rebuild-pending");
    let owed: serde_json::Value = serde_json::from_slice(&std::fs::read(&marker).unwrap()).unwrap();
    assert_eq!(owed["outcome"], "shorter-than-served");
    assert_eq!(owed["lost_data"], true);
    let runs = hook_runs(&r);
    assert!(
        runs[0].starts_with("run outcome=shorter-than-served db=nb"),
        "{runs:?}"
    );
    assert_eq!(runs[1], "port closed");
    assert!(r.server_pid().is_none());
    // The retry rebuilds, then serves.
    let good = hook_script(&r, 0, 0);
    r.set("OCF_RESKEY_repair_hook", good.to_str().unwrap());
    r.expect("start", 0);
    let runs = hook_runs(&r);
    assert!(
        runs[runs.len() - 2].starts_with("run outcome=shorter-than-served"),
        "{runs:?}"
    );
    assert!(!marker.exists());
    // The file it served since is the one to compare with: stopped and started, clean.
    r.expect("stop", 0);
    let o = r.expect("start", 0);
    assert!(o.stderr.contains("outcome=clean"), "{}", o.stderr);
    assert_eq!(hook_runs(&r).len(), runs.len(), "no rebuild owed");
}

/// The same for SB: the SB gate recomputes it from NB before it opens.
#[test]
fn a_clean_sb_shorter_than_it_served_is_gated() {
    let nb = Res::new("nb");
    nb.expect("start", 0);
    nb.local_transact(r#"{"op":"insert","table":"Logical_Switch","row":{"name":"short-ls"}}"#)
        .unwrap();
    let (sb, shim) = gated_sb(&nb);
    let o = sb.expect("start", 0);
    assert!(o.stderr.contains("outcome=new"), "{}", o.stderr);
    for i in 0..3 {
        sb.client_transact(&write_ops(&format!("r{i}"))).unwrap();
    }
    sb.expect("stop", 0);
    let left = truncate_to_schema(&sb.db_file());
    shim.clear();
    let o = sb.expect("start", 0);
    assert!(
        o.stderr.contains("outcome=shorter-than-served"),
        "{}",
        o.stderr
    );
    let report = sb.newest_report();
    assert_eq!(report["outcome"], "shorter-than-served");
    assert_eq!(
        std::fs::read(report["backup"].as_str().unwrap()).unwrap(),
        left
    );
    let calls = shim.calls();
    assert!(
        calls.contains(&"attrd_updater -n ovn-ocf-sb-gate -U waiting".to_string()),
        "the SB gate ran: {calls:?}"
    );
    let dp = sb
        .client_transact(
            r#"{"op":"select","table":"Datapath_Binding","where":[],"columns":["external_ids"]}"#,
        )
        .unwrap();
    assert!(
        dp.to_string().contains("short-ls"),
        "the first thing clients see is the recomputed SB: {dp}"
    );
}

/// "New deployment" holds: a missing file with no earlier report and nothing that says it
/// served is new. Once it served, losing it is a loss, even with the reports gone.
#[test]
fn a_missing_file_that_served_is_a_loss_without_any_report() {
    let mut r = Res::new("nb");
    let hook = hook_script(&r, 3, 0); // fails the start if it runs
    r.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap())
        .set("OCF_RESKEY_repair_hook_needs_sb", "false");
    let o = r.expect("start", 0);
    assert!(o.stderr.contains("outcome=new"), "{}", o.stderr);
    r.expect("stop", 0);
    assert!(r.released().is_some());
    std::fs::remove_dir_all(r.db_file().with_file_name("ovn-ocf-backups")).unwrap();
    std::fs::remove_file(r.db_file()).unwrap();
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.stderr.contains("outcome=created"), "{}", o.stderr);
    assert!(o.reason().unwrap().contains("repair_hook"), "{}", o.stderr);
    assert!(
        r.db_file()
            .with_file_name(".ovnnb_db.db.rebuild-pending")
            .exists()
    );
}

// ------------------------------------------------------------ what a damaged NB held

/// A real NB written by ovn-nbctl through Debian's ovsdb-server, then damaged in the
/// middle: `dbrows::live_rows` replays every record that verifies, also after the damage,
/// where the repair keeps only the prefix before it.
#[test]
fn live_rows_of_a_damaged_nb() {
    use ovn_ocf::dbrows::live_rows;
    let d = tempfile::tempdir().unwrap();
    let file = d.path().join("ovnnb_db.db");
    create_db(&file, NB_SCHEMA);
    let tables = ["Logical_Switch", "Logical_Switch_Port", "Logical_Router"];
    let dl = || ovn_ocf::ocf::Deadline::after(Duration::from_secs(60));
    {
        let s = RawServer::start(&file);
        let nbctl = |args: &[&str]| {
            let o = Command::new("ovn-nbctl")
                .arg(format!("--db=unix:{}", s.sock().display()))
                .args(args)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            assert!(
                o.status.success(),
                "ovn-nbctl {args:?}: {}",
                String::from_utf8_lossy(&o.stderr)
            );
        };
        nbctl(&["init"]);
        for i in 0..4 {
            nbctl(&["ls-add", &format!("sw{i}")]);
        }
        for p in 0..3 {
            nbctl(&["lsp-add", "sw0", &format!("sw0-p{p}")]);
        }
        nbctl(&["lr-add", "lr0"]);
        nbctl(&["lr-add", "lr1"]);
        nbctl(&["ls-del", "sw3"]);
        nbctl(&["lsp-del", "sw0-p2"]);
        // What the server holds is what the records replay to.
        let clean = live_rows(&file, &tables, dl()).unwrap();
        for t in tables {
            assert_eq!(clean.rows[t], s.count("nb", t), "{t}: {clean:?}");
        }
    }
    let clean = live_rows(&file, &tables, dl()).unwrap();
    let counts = |r: &ovn_ocf::dbrows::LiveRows| tables.map(|t| r.rows[t]);
    assert_eq!(counts(&clean), [3, 2, 2], "{clean:?}");
    assert!(clean.schema);
    assert_eq!((clean.skipped_records, clean.skipped_bytes), (0, 0));
    let original = std::fs::read(&file).unwrap();
    let ends = record_ends(&original);
    assert_eq!(clean.records as usize, ends.len() - 1);
    // The record that added sw1, in the middle of the file, damaged in its body.
    let k = (1..ends.len())
        .find(|&k| {
            String::from_utf8_lossy(&original[ends[k - 1]..ends[k]]).contains(r#""name":"sw1""#)
        })
        .expect("the record of ls-add sw1");
    let mut damaged = original.clone();
    let at = (ends[k - 1] + ends[k]) / 2 + 20;
    damaged[at] ^= 0x08;
    std::fs::write(&file, &damaged).unwrap();
    let inspected = ovn_ocf::dbfile::inspect(&file, None).unwrap();
    assert_eq!(inspected.verdict.kind(), "corrupt");
    assert_eq!(inspected.verdict.intact_bytes(), ends[k - 1] as u64);
    let r = live_rows(&file, &tables, dl()).unwrap();
    assert_eq!(counts(&r), [2, 2, 2], "sw1 alone is lost: {r:?}");
    assert_eq!((r.skipped_records, r.records), (1, clean.records - 1));
    assert_eq!(r.skipped_bytes, (ends[k] - ends[k - 1]) as u64);
    // The prefix the repair keeps held less: what a rebuild must bring back.
    let prefix = ovn_ocf::dbrows::live_rows_in(&damaged[..ends[k - 1]], &tables, dl()).unwrap();
    assert_eq!(counts(&prefix), [1, 0, 0], "{prefix:?}");
    // Garbage over the header of lr-add lr0's record as well: found again after it.
    let j = (1..ends.len())
        .find(|&j| {
            String::from_utf8_lossy(&original[ends[j - 1]..ends[j]]).contains(r#""name":"lr0""#)
        })
        .expect("the record of lr-add lr0");
    damaged[ends[j - 1]..ends[j - 1] + 8].copy_from_slice(b"\0\0\0\0\0\0\0\0");
    std::fs::write(&file, &damaged).unwrap();
    let r = live_rows(&file, &tables, dl()).unwrap();
    assert_eq!(counts(&r), [2, 2, 1], "{r:?}");
    assert_eq!(r.records, clean.records - 2);
}

/// Damage early in NB leaves a kept prefix without a single logical switch; what the file
/// held is read from its backup past the damage, so a hook that exits 0 and rebuilds
/// nothing is still caught.
#[test]
fn a_rebuild_is_checked_against_the_backup_past_the_damage() {
    let mut nb = Res::new("nb");
    nb.expect("start", 0);
    for name in ["ls-a", "ls-b", "ls-c"] {
        nb.client_transact(&format!(
            r#"{{"op":"insert","table":"Logical_Switch","row":{{"name":"{name}"}}}}"#
        ))
        .unwrap();
    }
    nb.expect("stop", 0);
    let mut bytes = std::fs::read(nb.db_file()).unwrap();
    let at = bytes
        .windows(6)
        .position(|w| w == b"\"ls-a\"")
        .expect("ls-a's record");
    bytes[at + 2] = b'X';
    std::fs::write(nb.db_file(), &bytes).unwrap();
    let (sb, _shim) = gated_sb(&nb);
    nb.set("OCF_RESKEY_repair_hook", "/bin/true");
    nb.expect("start", 0);
    sb_start_fails_saying(&sb, &["held 2", "the backup"]);
    nb.expect("stop", 0);
    sb.expect("stop", 0);
}

/// A Datapath_Binding row's `external_ids:name` (empty when it has none).
fn ext_name(row: &serde_json::Value) -> String {
    row["external_ids"][1]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p[0] == "name")
        .map(|p| p[1].as_str().unwrap().to_string())
        .unwrap_or_default()
}

fn datapaths(sb: &Res) -> Vec<(String, String, i64)> {
    let r = sb
        .local_transact(
            r#"{"op":"select","table":"Datapath_Binding","where":[],"columns":["_uuid","external_ids","tunnel_key"]}"#,
        )
        .unwrap();
    let mut v: Vec<(String, String, i64)> = r[0]["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let name = ext_name(row);
            (
                name,
                row["_uuid"][1].as_str().unwrap().to_string(),
                row["tunnel_key"].as_i64().unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The sync util recreates every logical switch under a new row UUID; northd joins SB's
/// datapaths to NB by those UUIDs and would number them all anew (every ovn-controller
/// then reinstalls its flows). The gate carries SB's datapaths over by name first: the
/// same Datapath_Binding rows, the same tunnel keys.
#[test]
fn a_rebuilt_nb_keeps_the_datapaths_and_their_tunnel_keys() {
    let mut nb = Res::new("nb");
    nb.expect("start", 0);
    for name in ["net-1", "net-2"] {
        nb.client_transact(&format!(
            r#"{{"op":"insert","table":"Logical_Switch","row":{{"name":"{name}"}}}}"#
        ))
        .unwrap();
    }
    let (sb, _shim) = gated_sb(&nb);
    sb.expect("start", 0);
    let northd = Res::northd(&nb, &sb);
    northd.expect("start", 0);
    let end = Instant::now() + Duration::from_secs(60);
    let before = loop {
        let d = datapaths(&sb);
        if d.len() == 2 {
            break d;
        }
        assert!(Instant::now() < end, "northd never computed SB: {d:?}");
        std::thread::sleep(Duration::from_millis(50));
    };
    northd.expect("stop", 0);
    sb.expect("stop", 0);
    nb.expect("stop", 0);
    // NB lost; the hook makes the same switches anew, as the sync util would.
    std::fs::remove_file(nb.db_file()).unwrap();
    let hook = script_file(
        &sb.path("recreate.sh"),
        "#!/bin/sh\nfor n in net-1 net-2; do ovsdb-client transact \"$OVN_OCF_NB_CONNECTION\" '[\"OVN_Northbound\",{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{\"name\":\"'$n'\"}}]' >/dev/null || exit 7; done\n",
    );
    nb.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap());
    let o = nb.expect("start", 0);
    assert!(o.stderr.contains("outcome=created"), "{}", o.stderr);
    let o = sb.expect("start", 0);
    assert_eq!(datapaths(&sb), before, "the same rows and tunnel keys");
    assert!(
        o.stderr.contains("2 of 2 datapaths carried over"),
        "{}",
        o.stderr
    );
    nb.expect("monitor", 0);
    sb.expect("stop", 0);
    nb.expect("stop", 0);
}

/// Names with their tunnel keys, sorted.
type Numbered = Vec<(String, i64)>;

/// The SB's datapaths (by name) and ports with their tunnel keys.
fn tunnel_keys(sb: &Res) -> (Numbered, Numbered) {
    let r = sb
        .local_transact(
            r#"{"op":"select","table":"Datapath_Binding","where":[],"columns":["external_ids","tunnel_key"]},
               {"op":"select","table":"Port_Binding","where":[],"columns":["logical_port","tunnel_key"]}"#,
        )
        .unwrap();
    let rows = |i: usize| r[i]["rows"].as_array().unwrap().clone();
    let mut dps: Numbered = rows(0)
        .iter()
        .map(|row| {
            let name = ext_name(row);
            (name, row["tunnel_key"].as_i64().unwrap())
        })
        .collect();
    let mut ports: Numbered = rows(1)
        .iter()
        .map(|row| {
            (
                row["logical_port"].as_str().unwrap().to_string(),
                row["tunnel_key"].as_i64().unwrap(),
            )
        })
        .collect();
    dps.sort();
    ports.sort();
    (dps, ports)
}

fn add_switch(nb: &Res, name: &str, ports: &[&str]) {
    let mut ops: Vec<String> = ports
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                r#"{{"op":"insert","table":"Logical_Switch_Port","uuid-name":"p{i}","row":{{"name":"{p}"}}}}"#
            )
        })
        .collect();
    let refs: Vec<String> = (0..ports.len())
        .map(|i| format!(r#"["named-uuid","p{i}"]"#))
        .collect();
    ops.push(format!(
        r#"{{"op":"insert","table":"Logical_Switch","row":{{"name":"{name}","ports":["set",[{}]]}}}}"#,
        refs.join(",")
    ));
    nb.local_transact(&ops.join(",")).unwrap();
}

/// An SB removed while the NB survives: the gate's northd recomputes it, and before it
/// runs the gate puts back the bindings the monitor kept beside the file, with their
/// keys. The numbers are ones a new SB would not give (it numbers from 1): a switch and a
/// port made one after the other, then the first of each deleted.
#[test]
fn a_lost_sb_gets_its_tunnel_keys_back() {
    let nb = Res::new("nb");
    nb.expect("start", 0);
    let (sb, _shim) = gated_sb(&nb);
    sb.expect("start", 0);
    let northd = Res::northd(&nb, &sb);
    northd.expect("start", 0);
    let wait_for = |dps: &[&str], ports: usize| {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let k = tunnel_keys(&sb);
            let names: Vec<&str> = k.0.iter().map(|(n, _)| n.as_str()).collect();
            if names == dps && k.1.len() == ports {
                break k;
            }
            assert!(Instant::now() < end, "northd never computed SB: {k:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    add_switch(&nb, "net-1", &["p1"]);
    wait_for(&["net-1"], 1);
    add_switch(&nb, "net-2", &["p2a"]);
    wait_for(&["net-1", "net-2"], 2);
    nb.local_transact(
        r#"{"op":"insert","table":"Logical_Switch_Port","uuid-name":"p","row":{"name":"p2b"}},
           {"op":"mutate","table":"Logical_Switch","where":[["name","==","net-2"]],"mutations":[["ports","insert",["set",[["named-uuid","p"]]]]]}"#,
    )
    .unwrap();
    wait_for(&["net-1", "net-2"], 3);
    add_switch(&nb, "net-3", &["p3"]);
    wait_for(&["net-1", "net-2", "net-3"], 4);
    let p2a = nb
        .local_transact(
            r#"{"op":"select","table":"Logical_Switch_Port","where":[["name","==","p2a"]],"columns":["_uuid"]}"#,
        )
        .unwrap()[0]["rows"][0]["_uuid"][1]
        .as_str()
        .unwrap()
        .to_string();
    nb.local_transact(&format!(
        r#"{{"op":"delete","table":"Logical_Switch","where":[["name","==","net-1"]]}},
           {{"op":"mutate","table":"Logical_Switch","where":[["name","==","net-2"]],"mutations":[["ports","delete",["set",[["uuid","{p2a}"]]]]]}}"#
    ))
    .unwrap();
    let before = wait_for(&["net-2", "net-3"], 2);
    assert_eq!(
        before,
        (
            vec![("net-2".to_string(), 2), ("net-3".to_string(), 3)],
            vec![("p2b".to_string(), 2), ("p3".to_string(), 1)]
        ),
        "northd kept the numbers it gave"
    );
    // A recurring monitor keeps them beside the file.
    let keys = sb.db_file().with_file_name(".ovnsb_db.db.tunnel-keys");
    let o = sb.run_with("monitor", &[("OCF_RESKEY_CRM_meta_interval", "10000")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&keys).expect("the monitor kept the keys")).unwrap();
    assert_eq!(saved["datapaths"].as_array().unwrap().len(), 2, "{saved}");
    assert_eq!(saved["ports"].as_array().unwrap().len(), 2, "{saved}");
    northd.expect("stop", 0);
    sb.expect("stop", 0);
    std::fs::remove_file(sb.db_file()).unwrap();
    let o = sb.expect("start", 0);
    assert!(
        o.stderr
            .contains("2 of 2 datapaths and 2 of 2 ports put back"),
        "{}",
        o.stderr
    );
    assert_eq!(tunnel_keys(&sb), before, "the same keys, before any client");
    sb.expect("stop", 0);
    nb.expect("stop", 0);
}

/// The memo's select makes ovsdb-server answer nothing else until it has sent every
/// port (2 s on a 253 MB SB): the first monitor after the listeners open saves it at once
/// only for a small file; a big one waits by its size (here 24 MB: some 19 s), so that a
/// server that just took over is not held up by it.
#[test]
fn a_big_sb_waits_before_its_first_memo() {
    let nb = Res::new("nb");
    nb.expect("start", 0);
    let (sb, _shim) = gated_sb(&nb);
    sb.expect("start", 0);
    let state = || -> serde_json::Value {
        let f = sb.run_dir().join(format!("{}.ovn-ocf.state", sb.base()));
        serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap()
    };
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as u64
    };
    let keys = sb.db_file().with_file_name(".ovnsb_db.db.tunnel-keys");
    let monitor = || {
        let o = sb.run_with("monitor", &[("OCF_RESKEY_CRM_meta_interval", "10000")]);
        assert_eq!(o.code, 0, "{}", o.stderr);
    };
    monitor();
    assert!(keys.exists(), "a small SB's memo at the first monitor");
    let due = state()["memo_due_ms"].as_u64().unwrap();
    assert!(due > now_ms() + 10_000, "the next one 15 s on: {due}");
    // 24 MB of address sets, then the listeners open again.
    let blob = "x".repeat(1 << 20);
    for i in 0..24 {
        sb.local_transact(&format!(
            r#"{{"op":"insert","table":"Address_Set","row":{{"name":"pad{i}","addresses":"{blob}"}}}}"#
        ))
        .unwrap();
    }
    assert!(std::fs::metadata(sb.db_file()).unwrap().len() > 24 << 20);
    sb.expect("stop", 0);
    std::fs::remove_file(&keys).unwrap();
    sb.expect("start", 0);
    let before = now_ms();
    monitor();
    assert!(!keys.exists(), "no save at the first monitor of a 24 MB SB");
    let due = state()["memo_due_ms"].as_u64().unwrap();
    assert!(
        due > before + 15_000 && due < before + 30_000,
        "due {} ms on",
        due - before
    );
    sb.expect("stop", 0);
    nb.expect("stop", 0);
}

/// Shape C (storage=rebuild): the SB's monitor keeps its tunnel keys in the cluster too
/// (the CIB property `ovn-ocf-sb-tunnel-keys`, here the shim's), and a node whose SB file
/// is stale (another node served since) is rebuilt with the cluster's keys, not with
/// what its own earlier term left beside the file (here: nothing).
#[test]
fn a_stale_sb_is_rebuilt_with_the_clusters_tunnel_keys() {
    let nb = Res::new("nb");
    nb.expect("start", 0);
    let (mut sb, shim) = gated_sb(&nb);
    sb.set("OCF_RESKEY_storage", "rebuild")
        .set("OCF_RESKEY_CRM_meta_on_node", "node1");
    sb.expect("start", 0);
    assert_eq!(
        shim.property("ovn-ocf-sb-generation").as_deref(),
        Some("1@node1")
    );
    let northd = Res::northd(&nb, &sb);
    northd.expect("start", 0);
    let wait_for = |dps: &[&str]| {
        let end = Instant::now() + Duration::from_secs(60);
        loop {
            let k = tunnel_keys(&sb);
            let names: Vec<&str> = k.0.iter().map(|(n, _)| n.as_str()).collect();
            if names == dps && k.1.len() == dps.len() {
                break k;
            }
            assert!(Instant::now() < end, "northd never computed SB: {k:?}");
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    add_switch(&nb, "net-1", &["p1"]);
    wait_for(&["net-1"]);
    add_switch(&nb, "net-2", &["p2"]);
    wait_for(&["net-1", "net-2"]);
    nb.local_transact(
        r#"{"op":"delete","table":"Logical_Switch","where":[["name","==","net-1"]]}"#,
    )
    .unwrap();
    let before = wait_for(&["net-2"]);
    assert_eq!(before.0, [("net-2".to_string(), 2)], "{before:?}");
    // An ovn-controller's chassis, and p2 bound to it and up, as it would leave them.
    sb.local_transact(
        r#"{"op":"insert","table":"Encap","uuid-name":"e","row":{"type":"geneve","ip":"192.0.2.7","chassis_name":"compute1","options":["map",[["csum","true"]]]}},
           {"op":"insert","table":"Chassis","uuid-name":"c","row":{"name":"compute1","hostname":"cmp1","encaps":["named-uuid","e"]}},
           {"op":"update","table":"Port_Binding","where":[["logical_port","==","p2"]],"row":{"chassis":["named-uuid","c"],"up":true}}"#,
    )
    .unwrap();
    let row_uuids = |sb: &Res| {
        let r = sb
            .local_transact(
                r#"{"op":"select","table":"Datapath_Binding","where":[],"columns":["_uuid"]},
                   {"op":"select","table":"Chassis","where":[],"columns":["_uuid"]}"#,
            )
            .unwrap();
        (r[0]["rows"].clone(), r[1]["rows"].clone())
    };
    let uuids_before = row_uuids(&sb);
    let o = sb.run_with("monitor", &[("OCF_RESKEY_CRM_meta_interval", "10000")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let keys = sb.db_file().with_file_name(".ovnsb_db.db.tunnel-keys");
    let kept = std::fs::read_to_string(&keys).expect("the monitor kept the keys");
    assert_eq!(
        shim.property("ovn-ocf-sb-tunnel-keys").as_deref(),
        Some(kept.as_str()),
        "the same keys in the cluster"
    );
    northd.expect("stop", 0);
    sb.expect("stop", 0);
    // Another node served since (the cluster's generation moved on); this node's own
    // copy of the keys is gone.
    std::fs::write(shim.dir.path().join("cib/ovn-ocf-sb-generation"), "2@node2").unwrap();
    std::fs::remove_file(&keys).unwrap();
    let o = sb.expect("start", 0);
    assert!(o.stderr.contains("outcome=replaced"), "{}", o.stderr);
    assert!(
        o.stderr
            .contains("1 of 1 datapaths and 1 of 1 ports put back"),
        "{}",
        o.stderr
    );
    assert!(
        o.stderr.contains("1 of 1 chassis with them"),
        "{}",
        o.stderr
    );
    assert_eq!(
        tunnel_keys(&sb),
        before,
        "the cluster's keys, before any client"
    );
    // p2 still bound to compute1 (its controller has nothing to claim), which has its
    // tunnel endpoint, after the gate's northd ran.
    let r = sb
        .local_transact(
            r#"{"op":"select","table":"Chassis","where":[],"columns":["_uuid","name","hostname"]},
               {"op":"select","table":"Encap","where":[],"columns":["type","ip","chassis_name"]},
               {"op":"select","table":"Port_Binding","where":[["logical_port","==","p2"]],"columns":["chassis","up"]}"#,
        )
        .unwrap();
    let ch = &r[0]["rows"][0];
    assert_eq!(ch["name"], "compute1", "{r}");
    assert_eq!(ch["hostname"], "cmp1", "{r}");
    assert_eq!(r[1]["rows"][0]["ip"], "192.0.2.7", "{r}");
    assert_eq!(r[2]["rows"][0]["chassis"], ch["_uuid"], "{r}");
    assert_eq!(r[2]["rows"][0]["up"], true, "{r}");
    // The datapath's and the chassis's rows have their UUIDs back (ovn-controllers ask
    // for flows and bindings by them).
    assert_eq!(row_uuids(&sb), uuids_before);
    assert_eq!(
        shim.property("ovn-ocf-sb-generation").as_deref(),
        Some("3@node1")
    );
    sb.expect("stop", 0);
    nb.expect("stop", 0);
}

/// A missing NB file leaves no backup to count what it held: its monitor kept the count
/// beside the file (`.ovnnb_db.db.held`), and a hook that exits 0 but rebuilds nothing
/// is caught against it.
#[test]
fn a_missing_nb_is_checked_against_what_its_monitor_saw() {
    let mut nb = Res::new("nb");
    nb.set("OCF_RESKEY_repair_hook", "/bin/true");
    nb.expect("start", 0);
    for name in ["ls-a", "ls-b", "ls-c"] {
        nb.client_transact(&format!(
            r#"{{"op":"insert","table":"Logical_Switch","row":{{"name":"{name}"}}}}"#
        ))
        .unwrap();
    }
    let held = nb.db_file().with_file_name(".ovnnb_db.db.held");
    let o = nb.run_with("monitor", &[("OCF_RESKEY_CRM_meta_interval", "10000")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&held).expect("the monitor kept the count")).unwrap();
    assert_eq!(saved["rows"], 3, "{saved}");
    nb.expect("stop", 0);
    std::fs::remove_file(nb.db_file()).unwrap();
    let (sb, _shim) = gated_sb(&nb);
    let o = nb.expect("start", 0);
    assert!(o.stderr.contains("outcome=created"), "{}", o.stderr);
    // NB's monitors while it waits for the SB's start do not take the empty file for
    // what it held: the second try below is checked against 3 too.
    let o = nb.run_with("monitor", &[("OCF_RESKEY_CRM_meta_interval", "10000")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&held).unwrap()).unwrap();
    assert_eq!(saved["rows"], 3, "{saved}");
    sb_start_fails_saying(&sb, &["held 3", ".ovnnb_db.db.held"]);
    nb.expect("stop", 0);
    sb.expect("stop", 0);
    nb.expect("start", 0);
    sb_start_fails_saying(&sb, &["held 3", ".ovnnb_db.db.held"]);
    nb.expect("stop", 0);
    sb.expect("stop", 0);
}

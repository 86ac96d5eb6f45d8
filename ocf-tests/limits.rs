//! Resource limits, against real daemons: the database's filesystem full (at start, and
//! filling up while it serves: compaction, the storage attribute, no acknowledged write
//! lost), the run dir unwritable, the daemons' binaries missing. Root only (small tmpfs
//! mounts of our own, unmounted on drop, also when a test fails).

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

/// A tmpfs of `size` mounted on a fresh directory (options `opts` added), for one test.
struct Mount {
    dir: tempfile::TempDir,
}

impl Mount {
    fn tmpfs(opts: &str) -> Mount {
        let dir = tempfile::Builder::new()
            .prefix("ovn-ocf-limits")
            .tempdir_in("/var/tmp")
            .unwrap();
        let st = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(st.success(), "mount tmpfs -o {opts}");
        Mount { dir }
    }
    fn path(&self) -> &Path {
        self.dir.path()
    }
    /// Remount with other options (e.g. "remount,ro").
    fn remount(&self, opts: &str) {
        let st = std::process::Command::new("mount")
            .args(["-o", opts])
            .arg(self.path())
            .status()
            .unwrap();
        assert!(st.success(), "mount -o {opts}");
    }
    /// Fills the filesystem until only `keep` bytes are free; returns the filler.
    fn fill(&self, keep: u64) -> PathBuf {
        let filler = self.path().join("filler");
        let st = nix::sys::statvfs::statvfs(self.path()).unwrap();
        let avail = st.blocks_available() as u64 * st.fragment_size() as u64;
        let len = avail.saturating_sub(keep);
        std::fs::write(&filler, vec![0xa5u8; len as usize]).unwrap();
        filler
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(self.dir.path())
            .status();
    }
}

/// Every file under `dir` (recursively) with its bytes, but the filler.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = vec![];
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                todo.push(p);
            } else if p.file_name().is_some_and(|n| n != "filler") {
                let b = std::fs::read(&p).unwrap();
                out.push((p, b));
            }
        }
    }
    out.sort();
    out
}

/// A resource whose db_file is on `m`.
fn res_on(m: &Mount, db: &str, promotable: bool) -> Res {
    let mut r = if promotable {
        Res::promotable(db)
    } else {
        Res::new(db)
    };
    let f = m.path().join(format!("ovn{db}_db.db"));
    r.set("OCF_RESKEY_db_file", f.to_str().unwrap());
    r
}

#[test]
fn start_with_the_database_filesystem_full_fails_and_changes_nothing() {
    let m = Mount::tmpfs("size=2m");
    let r = res_on(&m, "nb", false);
    r.expect("start", 0);
    r.client_transact(&write_ops("before-full")).unwrap();
    r.expect("stop", 0);
    let filler = m.fill(0);
    let before = snapshot(m.path());
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let why = o.reason().unwrap();
    assert!(why.contains("No space left"), "{why}");
    assert!(r.server_pid().is_none());
    assert_eq!(
        snapshot(m.path()),
        before,
        "nothing written, nothing left behind"
    );
    // Room again: the same DB serves, with its row.
    std::fs::remove_file(filler).unwrap();
    r.expect("start", 0);
    let rows = r.client_transact(&select_sets()).unwrap();
    assert!(set_names(&rows).contains(&"before-full".to_string()));
    r.expect("stop", 0);
}

#[test]
fn repair_with_the_filesystem_full_keeps_the_damaged_file() {
    let m = Mount::tmpfs("size=2m");
    let r = res_on(&m, "sb", false);
    r.expect("start", 0);
    r.expect("stop", 0);
    // A torn tail: the repair must back the file up first, and there is no room for that.
    let db = r.db_file();
    let mut bytes = std::fs::read(&db).unwrap();
    bytes.extend_from_slice(
        b"OVSDB JSON 300 0000000000000000000000000000000000000000\n{\"_date\":1,",
    );
    std::fs::write(&db, &bytes).unwrap();
    m.fill(8192); // the owner record fits, a backup of the file does not
    let before = snapshot(m.path());
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let why = o.reason().unwrap();
    assert!(why.contains("back up"), "{why}");
    assert!(r.server_pid().is_none());
    assert_eq!(
        std::fs::read(&db).unwrap(),
        bytes,
        "the damaged file is untouched"
    );
    assert_eq!(
        snapshot(m.path()),
        before,
        "no partial backup, temp file or owner record left"
    );
}

#[test]
fn promote_with_the_database_filesystem_full_fails_and_the_standby_stays() {
    let shim = PcmkShim::new("1 node1 member\n");
    let m = Mount::tmpfs("size=2m");
    let mut r = res_on(&m, "nb", true);
    r.set("PATH", &shim.path_env());
    m.fill(0);
    r.expect("start", 0); // a standby touches nothing on the storage
    let o = r.run("promote");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.reason().unwrap().contains("No space left"),
        "{}",
        o.stderr
    );
    assert!(r.server_pid().is_none());
    r.expect("monitor", 0);
    r.expect("stop", 0);
}

#[test]
fn unwritable_run_dir() {
    let m = Mount::tmpfs("size=1m");
    let mut r = Res::new("nb");
    let run = m.path().join("run");
    r.set("OCF_RESKEY_run_dir", run.to_str().unwrap());
    m.remount("remount,ro");
    // Nothing can be running from there: probe and stop say so.
    assert_eq!(r.probe().code, 7);
    r.expect("stop", 0);
    // Start cannot work on this node: a hard error (4, insufficient privileges) with the
    // directory in the reason, not a retry here.
    let o = r.run("start");
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.reason().unwrap().contains(run.to_str().unwrap()),
        "{}",
        o.stderr
    );
    assert!(r.server_pid().is_none());
    assert!(
        !r.db_file().with_file_name(".ovnnb_db.db.owner").exists(),
        "the owner record is released"
    );
}

#[test]
fn missing_binaries() {
    // ovsdb-tool (repair's converter and checker) and the SB gate's ovn-northd.
    let mut r = Res::new("nb");
    r.set("OCF_RESKEY_ovsdb_tool", "/nonexistent/ovsdb-tool");
    let o = r.expect("start", 5);
    assert!(
        o.reason().unwrap().contains("/nonexistent/ovsdb-tool"),
        "{}",
        o.stderr
    );
    assert_eq!(r.probe().code, 7);
    let mut sb = Res::new("sb");
    sb.set("OCF_RESKEY_sb_gate", "true")
        .set("OCF_RESKEY_ovn_northd", "/nonexistent/ovn-northd");
    let o = sb.expect("start", 5);
    assert!(
        o.reason().unwrap().contains("/nonexistent/ovn-northd"),
        "{}",
        o.stderr
    );
    assert_eq!(sb.probe().code, 7);
    // The ovn-northd agent without its daemon.
    let nb = Res::new("nb");
    let sbr = Res::new("sb");
    let mut n = Res::northd(&nb, &sbr);
    n.set("OCF_RESKEY_ovn_northd", "/nonexistent/ovn-northd");
    let o = n.expect("validate-all", 5);
    assert!(
        o.reason().unwrap().contains("/nonexistent/ovn-northd"),
        "{}",
        o.stderr
    );
    n.expect("start", 5);
    assert_eq!(n.probe().code, 7);
    n.expect("stop", 0);
}

#[test]
fn unwritable_run_dir_northd() {
    let m = Mount::tmpfs("size=1m");
    let nb = Res::new("nb");
    let sb = Res::new("sb");
    let mut n = Res::northd(&nb, &sb);
    let run = m.path().join("run");
    n.set("OCF_RESKEY_run_dir", run.to_str().unwrap());
    m.remount("remount,ro");
    assert_eq!(n.probe().code, 7);
    n.expect("stop", 0);
    let o = n.run("start");
    assert_eq!(o.code, 4, "{}", o.stderr);
    assert!(
        o.reason().unwrap().contains(run.to_str().unwrap()),
        "{}",
        o.stderr
    );
}

// ------------------------------------------------------------------ filling up while serving

const MIB: u64 = 1 << 20;

fn file_len(p: &Path) -> u64 {
    std::fs::metadata(p).unwrap().len()
}

fn free_on(m: &Mount) -> u64 {
    let st = nix::sys::statvfs::statvfs(m.path()).unwrap();
    st.blocks_free() as u64 * st.fragment_size() as u64
}

/// `n` IPv4 addresses, different for each `seed`: a row of about 13 bytes an address.
fn addresses(seed: usize, n: usize) -> String {
    let a: Vec<String> = (0..n)
        .map(|j| format!("\"10.{}.{}.{}\"", seed % 250, j / 250, j % 250))
        .collect();
    format!("[\"set\",[{}]]", a.join(","))
}

/// Garbage through the listener: a new row `name` rewritten with other addresses until the
/// file is `until` bytes (its live data stays a few KiB).
fn churn(r: &Res, name: &str, until: u64) {
    r.client_transact(&write_ops(name)).unwrap();
    let mut i = 0;
    while file_len(&r.db_file()) < until {
        r.client_transact(&format!(
            r#"{{"op":"update","table":"Address_Set","where":[["name","==","{name}"]],"row":{{"addresses":{}}}}}"#,
            addresses(i, 400)
        ))
        .unwrap_or_else(|e| panic!("churn write {i}: {e}"));
        i += 1;
        assert!(i < 100_000, "the file does not grow");
    }
}

/// Writes that stay: rows of about 5 KiB through the listener, a monitor every 25 writes,
/// until ovsdb-server refuses one. Returns the names it acknowledged and every monitor's
/// exit code.
fn fill_with_rows(r: &Res, prefix: &str) -> (Vec<String>, Vec<i32>) {
    let (mut acked, mut codes) = (vec![], vec![]);
    for i in 0..20_000 {
        let name = format!("{prefix}-{i}");
        let op = format!(
            r#"{{"op":"insert","table":"Address_Set","row":{{"name":"{name}","addresses":{}}}}}"#,
            addresses(i, 400)
        );
        match r.client_transact(&op) {
            Ok(_) => acked.push(name),
            Err(e) => {
                // The reply's "error"; its "io-error" (No space left on device) is in the
                // server's log.
                assert!(e.contains("I/O error"), "write {i}: {e}");
                return (acked, codes);
            }
        }
        if i % 25 == 24 {
            let o = r.run("monitor");
            assert!(!o.panicked(), "{}", o.stderr);
            codes.push(o.code);
        }
    }
    panic!("20000 writes and the filesystem is not full");
}

/// The storage attribute writes the shim recorded.
fn storage_writes(shim: &PcmkShim, db: &str) -> Vec<String> {
    let attr = format!("attrd_updater -n ovn-ocf-{db}-storage ");
    shim.calls()
        .into_iter()
        .filter(|c| c.starts_with(&attr))
        .collect()
}

fn status_json(run_dir: &Path) -> serde_json::Value {
    let mut cmd = Command::new(BIN);
    cmd.args(["status", "--json", "--run-dir"])
        .arg(run_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let o = run_watched(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 0, "{}", o.stderr);
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

fn status_table(run_dir: &Path) -> String {
    let mut cmd = Command::new(BIN);
    cmd.args(["status", "--run-dir"])
        .arg(run_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let o = run_watched(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 0, "{}", o.stderr);
    o.stdout
}

/// The status row of `r` (by its state file).
fn status_row(st: &serde_json::Value, r: &Res) -> serde_json::Value {
    let sf = r.run_dir().join(format!("{}.ovn-ocf.state", r.base()));
    st["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["state_file"] == sf.display().to_string())
        .unwrap_or_else(|| panic!("no row for {}: {st:#}", sf.display()))
        .clone()
}

/// Low space: the monitor has ovsdb-server compact the file. When that makes room, nothing
/// is shown; when it stays low, the attribute says so (written once), `ovn-ocf status`
/// shows it, and it goes once there is room.
#[test]
fn low_storage_is_compacted_and_shown_while_it_stays_low() {
    let shim = PcmkShim::new("1 node1 member\n");
    let m = Mount::tmpfs("size=16m");
    let mut r = res_on(&m, "sb", false);
    r.set("PATH", &shim.path_env())
        .set("OCF_RESKEY_storage_low_mb", "4");
    r.expect("start", 0);
    shim.clear();
    r.expect("monitor", 0);
    assert!(storage_writes(&shim, "sb").is_empty(), "{:?}", shim.calls());

    // 10 MiB of garbage on 16 MiB: free < file + 4 MiB.
    churn(&r, "churn", 10 * MIB);
    let pid = r.server_pid().unwrap();
    let before = file_len(&r.db_file());
    let o = r.expect("monitor", 0);
    assert!(
        o.stderr.contains("asking ovsdb-server to compact"),
        "{}",
        o.stderr
    );
    let after = file_len(&r.db_file());
    assert!(after < before / 10, "{before} -> {after}: {}", o.stderr);
    assert!(o.stderr.contains("freed"), "{}", o.stderr);
    assert!(
        r.log()
            .contains("compacting OVN_Southbound database by user request"),
        "{}",
        r.log()
    );
    assert_eq!(r.server_pid(), Some(pid), "compacted, not restarted");
    assert!(
        storage_writes(&shim, "sb").is_empty(),
        "room again: nothing to show: {:?}",
        shim.calls()
    );
    let rows = set_names(&r.client_transact(&select_sets()).unwrap());
    assert_eq!(rows, vec!["churn"]);

    // Again with a filler that leaves less than storage_low_mb: compaction cannot make
    // room. (stop forgets the last compaction, which would hold the next one back 5 min.)
    r.expect("stop", 0);
    r.expect("start", 0);
    let filler = m.fill(3 * MIB);
    churn(&r, "churn-again", MIB);
    shim.clear();
    let o = r.expect("monitor", 0);
    assert!(
        o.stderr.contains("asking ovsdb-server to compact"),
        "{}",
        o.stderr
    );
    assert!(file_len(&r.db_file()) < MIB / 2, "{}", o.stderr);
    let w = storage_writes(&shim, "sb");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("-U low: ") && w[0].contains("compacted at"),
        "{w:?}"
    );
    // The next monitors: no second compaction, no second write.
    shim.clear();
    for _ in 0..3 {
        let o = r.expect("monitor", 0);
        assert!(!o.stderr.contains("compact it"), "{}", o.stderr);
    }
    assert!(storage_writes(&shim, "sb").is_empty(), "{:?}", shim.calls());
    let st = status_json(&r.run_dir());
    let row = status_row(&st, &r);
    let s = &row["storage"];
    assert_eq!(s["state"], "low", "{row:#}");
    assert!(
        s["attribute"].as_str().unwrap().starts_with("low: "),
        "{row:#}"
    );
    assert_eq!(s["last_compaction"]["result"], "done", "{row:#}");
    assert!(
        row["problems"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p.as_str().unwrap().starts_with("storage low: ")),
        "{row:#}"
    );
    // Room again: the attribute goes.
    std::fs::remove_file(filler).unwrap();
    shim.clear();
    r.expect("monitor", 0);
    assert_eq!(
        storage_writes(&shim, "sb"),
        vec!["attrd_updater -n ovn-ocf-sb-storage -D".to_string()]
    );
    let row = status_row(&status_json(&r.run_dir()), &r);
    assert_eq!(row["storage"]["state"], "ok", "{row:#}");
    assert_eq!(row["storage"]["attribute"], serde_json::Value::Null);
    r.expect("stop", 0);
}

/// The database's filesystem fills up while it serves, with a writer through the
/// listener and monitors in between: ovsdb-server refuses the write that does not fit;
/// the monitor never fails (190, running but degraded: no restart, no failover), the
/// attribute says full, `ovn-ocf status` shows it; once there is room again writes go
/// on, and every write ovsdb-server acknowledged is there, also after a restart.
#[test]
fn full_storage_keeps_serving_and_loses_no_acknowledged_write() {
    let shim = PcmkShim::new("1 node1 member\n");
    let m = Mount::tmpfs("size=16m");
    let mut r = res_on(&m, "sb", false);
    r.set("PATH", &shim.path_env())
        .set("OCF_RESKEY_storage_low_mb", "1");
    r.expect("start", 0);
    let pid = r.server_pid().unwrap();
    let filler = m.fill(4 * MIB);
    shim.clear();
    let (mut acked, codes) = fill_with_rows(&r, "w");
    assert!(acked.len() > 100, "{} writes", acked.len());
    assert!(
        codes.iter().all(|c| *c == 0 || *c == 190),
        "monitors while filling: {codes:?}"
    );
    assert!(free_on(&m) < MIB, "{} bytes free", free_on(&m));
    assert!(
        r.log().contains("write failed (No space left on device)"),
        "{}",
        r.log()
    );

    let o = r.run("monitor");
    assert_eq!(o.code, 190, "{}", o.stderr);
    assert!(!o.panicked());
    let why = o.reason().expect("an exit reason crm_mon shows");
    assert!(
        why.contains("is full") && why.contains("refuses writes"),
        "{why}"
    );
    // Written once, whichever monitor found it full first.
    let w = storage_writes(&shim, "sb");
    let full: Vec<&String> = w.iter().filter(|c| c.contains("-U full: ")).collect();
    assert_eq!(full.len(), 1, "{w:?}");
    assert!(full[0].contains("-U full: writes fail"), "{w:?}");
    assert!(w.last().unwrap().contains("-U full: "), "{w:?}");
    // Every monitor says so in the log; the attribute is not written again. Depth 20
    // (the whole file verified) is no failure either.
    shim.clear();
    for depth in ["0", "10", "20"] {
        let o = r.run_with("monitor", &[("OCF_CHECK_LEVEL", depth)]);
        assert_eq!(o.code, 190, "depth {depth}: {}", o.stderr);
        assert!(o.stderr.contains("ERROR"), "{}", o.stderr);
    }
    assert!(storage_writes(&shim, "sb").is_empty(), "{:?}", shim.calls());
    assert_eq!(r.server_pid(), Some(pid), "still the same server");
    // It serves reads, every acknowledged write; a write is refused, not lost later.
    let rows = set_names(&r.client_transact(&select_sets()).unwrap());
    let mut want = acked.clone();
    want.sort();
    assert_eq!(rows, want);
    let refused = r
        .client_transact(&format!(
            r#"{{"op":"insert","table":"Address_Set","row":{{"name":"refused","addresses":{}}}}}"#,
            addresses(1, 400)
        ))
        .expect_err("a write on a full filesystem");
    assert!(refused.contains("I/O error"), "{refused}");
    // ovn-ocf status shows it.
    let row = status_row(&status_json(&r.run_dir()), &r);
    assert_eq!(row["storage"]["state"], "full", "{row:#}");
    assert!(
        row["storage"]["attribute"]
            .as_str()
            .unwrap()
            .starts_with("full: writes fail"),
        "{row:#}"
    );
    let t = status_table(&r.run_dir());
    assert!(t.contains("PROBLEM: storage full: "), "{t}");
    assert!(t.contains("storage: full, "), "{t}");

    // Room again: the attribute goes, writes go on.
    std::fs::remove_file(filler).unwrap();
    shim.clear();
    r.expect("monitor", 0);
    assert_eq!(
        storage_writes(&shim, "sb"),
        vec!["attrd_updater -n ovn-ocf-sb-storage -D".to_string()]
    );
    for i in 0..3 {
        let name = format!("after-{i}");
        r.client_transact(&write_ops(&name)).unwrap();
        acked.push(name);
    }
    acked.sort();
    assert_eq!(
        set_names(&r.client_transact(&select_sets()).unwrap()),
        acked
    );
    assert_eq!(r.server_pid(), Some(pid));
    // And after a restart: the file verifies clean, everything acknowledged is there.
    r.expect("stop", 0);
    let o = r.expect("start", 0);
    assert!(o.stderr.contains("outcome=clean"), "{}", o.stderr);
    assert_eq!(
        set_names(&r.client_transact(&select_sets()).unwrap()),
        acked
    );
    r.expect("stop", 0);
}

/// A compaction that does not fit (live data larger than the free space) fails, and says
/// why; a promoted clone on full storage is promoted but degraded (191), not failed (9).
#[test]
fn full_storage_of_a_promoted_clone_is_degraded_promoted() {
    let shim = PcmkShim::new("1 node1 member\n");
    let m = Mount::tmpfs("size=8m");
    let mut r = res_on(&m, "nb", true);
    r.set("PATH", &shim.path_env())
        .set("OCF_RESKEY_storage_low_mb", "0");
    r.expect("start", 0);
    r.expect("promote", 0);
    r.expect("monitor", 8);
    // 2 MiB of rows that stay, then less room than that (but more than 1 MiB): low, and
    // ovsdb-server cannot write the compacted file.
    for i in 0.. {
        if file_len(&r.db_file()) >= 2 * MIB {
            break;
        }
        let op = format!(
            r#"{{"op":"insert","table":"Address_Set","row":{{"name":"p{i}","addresses":{}}}}}"#,
            addresses(i, 400)
        );
        r.client_transact(&op).unwrap();
    }
    let filler = m.fill(3 * MIB / 2);
    shim.clear();
    let o = r.expect("monitor", 8);
    assert!(
        o.stderr.contains("could not compact") && o.stderr.contains("No space left on device"),
        "{}",
        o.stderr
    );
    let w = storage_writes(&shim, "nb");
    assert_eq!(w.len(), 1, "{w:?}");
    assert!(
        w[0].contains("-U low: ") && w[0].contains("failed: ") && w[0].contains("No space left"),
        "{w:?}"
    );
    let tmp: Vec<_> = std::fs::read_dir(m.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(tmp.is_empty(), "the failed compaction left {tmp:?}");
    // Full.
    std::fs::remove_file(filler).unwrap();
    let filler = m.fill(0);
    let o = r.run("monitor");
    assert_eq!(o.code, 191, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("is full"), "{}", o.stderr);
    // A probe only looks: promoted.
    assert_eq!(r.probe().code, 8);
    std::fs::remove_file(filler).unwrap();
    r.expect("monitor", 8);
    r.expect("demote", 0);
    r.expect("stop", 0);
}

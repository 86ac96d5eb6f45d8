//! Resource limits, against real daemons: the database's filesystem full, the run dir
//! unwritable, the daemons' binaries missing. Root only (small tmpfs mounts of our own,
//! unmounted on drop, also when a test fails).

mod common;

use std::path::{Path, PathBuf};

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

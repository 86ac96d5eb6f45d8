//! The owner record as a lease, for the split brain fencing cannot prevent (stonith
//! disabled, or a node whose corosync died while its ovsdb-server goes on serving).
//!
//! The serving node runs a keeper (`ovn-ocf lease-keep`, spawned by the agent) that
//! renews the record every [`RENEW`]. A node about to take a DB over from a node the
//! cluster lost watches the record for [`WINDOW`] and refuses if it changes: its owner
//! is alive. A keeper that finds another node's record in place of its own kills its
//! ovsdb-server at once: it lost the lease, so this node must stop serving.
//!
//! The record is one [`BLOCK`]-byte block, read and written with O_DIRECT and, once it
//! exists, only ever overwritten in place (never renamed): two nodes that mounted the same
//! filesystem each see the other's writes on the device, not their own page cache or a
//! stale inode. A block write is the unit of the device, so a reader sees the old record
//! or the new one; an unreadable block counts as "changing".

use std::fs::{File, OpenOptions};
use std::io::ErrorKind;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use nix::fcntl::OFlag;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use serde::{Deserialize, Serialize};

use crate::fsutil;
use crate::ocf::Deadline;
use crate::process;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnerRecord {
    pub node: String,
    pub db_file: String,
    /// Seconds since the epoch when the node took it.
    pub since: u64,
    /// This claim's identity; the keeper renews only the claim it was started for.
    #[serde(default)]
    pub token: String,
    /// Renewals so far, and the wall clock of the last one (ms since the epoch; for
    /// operators: takers compare bytes, not clocks).
    #[serde(default)]
    pub seq: u64,
    #[serde(default)]
    pub renewed_ms: u64,
    /// The database file as it last served: what a keeper saw while its ovsdb-server ran,
    /// or, until then, what the claim before this one left (see `served_by_claim`). None:
    /// nothing known (a record of an older agent, or a database that never served).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served: Option<Served>,
    /// `served` is this claim's own (its keeper saw its ovsdb-server serve the file), not
    /// inherited from the claim before.
    #[serde(default, skip_serializing_if = "is_false")]
    pub served_by_claim: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The database file as it served: its identity and size, from `stat` of its path (not of
/// an open file: ovsdb-server's compaction renames a new file in, and the record follows).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Served {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
}

impl Served {
    /// `stat` of `path`; None when there is no such file (or it cannot be read).
    pub fn of(path: &Path) -> Option<Served> {
        use std::os::unix::fs::MetadataExt;
        let m = std::fs::metadata(path).ok()?;
        m.is_file().then(|| Served {
            dev: m.dev(),
            ino: m.ino(),
            size: m.len(),
        })
    }

    /// Whether `other` is the same file. The inode decides: another node mounts the same
    /// filesystem from another device (or the same device under another number), so the
    /// device may differ for the very same file; a compaction renames a new inode in.
    pub fn same_file(&self, other: &Served) -> bool {
        self.ino == other.ino
    }
}

/// `<dir>/.<file>.owner`, beside the DB on the same storage.
pub fn record_path(db_file: &Path) -> PathBuf {
    crate::fsutil::beside(db_file, "owner")
}

/// `<dir>/.<file>.served`, beside the DB: what a clean stop leaves once it removed the
/// owner record (the file as it last served), for the next start to compare with.
pub fn released_path(db_file: &Path) -> PathBuf {
    crate::fsutil::beside(db_file, "served")
}

/// What a clean stop left beside the database: the node, when, and the file as it served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Released {
    pub node: String,
    pub db_file: String,
    /// Wall clock of the release, ms since the epoch (for operators).
    pub released_ms: u64,
    pub served: Served,
}

/// Writes `.<file>.served` (temp → fsync → rename).
pub fn store_released(db_file: &Path, rel: &Released) -> std::io::Result<()> {
    let mut json = serde_json::to_vec(rel).map_err(std::io::Error::other)?;
    json.push(b'\n');
    fsutil::write_atomic(&released_path(db_file), &json, 0o644)
}

/// Reads `.<file>.served`: None when there is none; an unreadable one is logged and
/// counts as none (nothing known, as before such files existed).
pub fn read_released(db_file: &Path) -> std::io::Result<Option<Released>> {
    let path = released_path(db_file);
    match std::fs::read(&path) {
        Ok(b) => Ok(serde_json::from_slice(&b).map_or_else(
            |e| {
                log::warn!("{} is unreadable ({e}); ignoring it", path.display());
                None
            },
            Some,
        )),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Removes `.<file>.served` durably (a missing one is fine).
pub fn remove_released(db_file: &Path) -> std::io::Result<()> {
    fsutil::remove_durable(&released_path(db_file))
}

/// The file as it last served, as this node can tell: the owner record's when there is
/// one (an unreadable record tells nothing), else what a clean stop left.
pub fn last_served(db_file: &Path) -> std::io::Result<Option<Served>> {
    match read_block(&record_path(db_file))? {
        Some(b) => Ok(decode(&b).and_then(|r| r.served)),
        None => Ok(read_released(db_file)?.map(|r| r.served)),
    }
}

/// Size of the record on storage.
pub const BLOCK: usize = 4096;
/// How often the keeper renews.
pub const RENEW: Duration = Duration::from_millis(500);
/// How long a taker watches a record for a renewal: five renewals missed.
pub const WINDOW: Duration = Duration::from_millis(2500);

pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// A token no other claim has: this process, this instant.
pub fn new_token() -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{:x}-{nanos:x}", std::process::id())
}

/// The record as one block: JSON, a newline, space padding.
pub fn encode(rec: &OwnerRecord) -> std::io::Result<Vec<u8>> {
    let mut b = serde_json::to_vec(rec).expect("record serializes");
    if b.len() >= BLOCK {
        return Err(std::io::Error::new(
            ErrorKind::InvalidInput,
            format!("owner record would be {} bytes (limit {BLOCK})", b.len()),
        ));
    }
    b.push(b'\n');
    b.resize(BLOCK, b' ');
    Ok(b)
}

pub fn decode(bytes: &[u8]) -> Option<OwnerRecord> {
    serde_json::from_slice(bytes).ok()
}

/// O_DIRECT where the filesystem has it (ext4, xfs), the page cache where it does not
/// (tmpfs, in tests).
fn open_direct(path: &Path, write: bool) -> std::io::Result<File> {
    let mut o = OpenOptions::new();
    o.read(true).write(write);
    let flags = OFlag::O_DIRECT.bits() | if write { OFlag::O_DSYNC.bits() } else { 0 };
    match o.clone().custom_flags(flags).open(path) {
        Err(e) if e.raw_os_error() == Some(nix::libc::EINVAL) => o.open(path),
        r => r,
    }
}

/// A BLOCK-aligned BLOCK-sized buffer without unsafe: a window into a larger Vec.
struct Aligned {
    buf: Vec<u8>,
    off: usize,
}

impl Aligned {
    fn new() -> Aligned {
        let buf = vec![0u8; 2 * BLOCK];
        let off = buf.as_ptr().align_offset(BLOCK);
        Aligned { buf, off }
    }
    fn get(&mut self) -> &mut [u8] {
        &mut self.buf[self.off..self.off + BLOCK]
    }
}

/// The record's bytes as the device has them (None: there is no record). Trailing padding
/// is kept: callers compare blocks.
pub fn read_block(path: &Path) -> std::io::Result<Option<Vec<u8>>> {
    let f = match open_direct(path, false) {
        Ok(f) => f,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut a = Aligned::new();
    let buf = a.get();
    let mut n = 0;
    while n < BLOCK {
        // O_DIRECT reads whole blocks; a short file (an older, unpadded record) ends early.
        match f.read_at(&mut buf[n..], n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        if !n.is_multiple_of(512) {
            break;
        }
    }
    Ok(Some(buf[..n].to_vec()))
}

/// Overwrites the existing record in place with `block` (BLOCK bytes), synchronously.
pub fn write_block(path: &Path, block: &[u8]) -> std::io::Result<()> {
    debug_assert_eq!(block.len(), BLOCK);
    let f = open_direct(path, true)?;
    let mut a = Aligned::new();
    a.get().copy_from_slice(block);
    f.write_all_at(a.get(), 0)?;
    f.sync_data()
}

/// Writes `rec` as the record: in place if one exists (a node that has the file open, or
/// cached, on another mount must see this very block change), else created atomically.
pub fn store(path: &Path, rec: &OwnerRecord) -> std::io::Result<()> {
    let block = encode(rec)?;
    match write_block(path, &block) {
        Err(e) if e.kind() == ErrorKind::NotFound => fsutil::write_atomic(path, &block, 0o644),
        r => r,
    }
}

/// What watching a record showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// The same bytes for the whole window: nobody renews it.
    Still,
    /// It changed after `after`: someone renews (or rewrote) it.
    Changed { after: Duration },
}

/// Watches the record at `path` (whose bytes were `first`) for `window`, polling every
/// 100 ms. Err if the deadline ends before the window does.
pub fn watch(
    path: &Path,
    first: &[u8],
    window: Duration,
    deadline: Deadline,
) -> Result<Seen, String> {
    let t0 = Instant::now();
    loop {
        let now = read_block(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        if now.as_deref() != Some(first) {
            return Ok(Seen::Changed {
                after: t0.elapsed(),
            });
        }
        if t0.elapsed() >= window {
            return Ok(Seen::Still);
        }
        if deadline.remaining() < window.saturating_sub(t0.elapsed()) {
            return Err(format!(
                "the action's timeout leaves {:.1} s, too little to watch the owner record for {:.1} s",
                deadline.remaining().as_secs_f64(),
                window.as_secs_f64()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// ------------------------------------------------------------------------- the keeper

/// What a keeper renews and guards.
#[derive(Debug, Clone)]
pub struct Keeper {
    pub record: PathBuf,
    pub node: String,
    pub token: String,
    /// The ovsdb-server to kill when the lease is lost, found like the agent finds it.
    pub pidfile: PathBuf,
    pub marker: String,
}

/// The argv that runs a keeper (`ovn-ocf lease-keep ...`).
pub fn keeper_args(k: &Keeper) -> Vec<String> {
    vec![
        "lease-keep".into(),
        format!("--record={}", k.record.display()),
        format!("--node={}", k.node),
        format!("--token={}", k.token),
        format!("--pidfile={}", k.pidfile.display()),
        format!("--marker={}", k.marker),
    ]
}

/// Is `pid` a live keeper of `record`?
pub fn is_keeper(pid: i32, record: &Path) -> bool {
    let want = format!("--record={}", record.display());
    process::ProcInfo::read(pid)
        .is_some_and(|p| p.alive() && p.has_arg("lease-keep") && p.has_arg(&want))
}

/// Every live keeper of `record` on this machine (also those no state file remembers: a
/// start killed before it saved one).
pub fn keepers_of(record: &Path) -> Vec<i32> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    dir.filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| is_keeper(*pid, record))
        .collect()
}

/// Ends the keeper `pid` of `record` (TERM, then KILL at the deadline); nothing if `pid` is
/// not one.
pub fn stop_keeper(pid: i32, record: &Path, deadline: Deadline) {
    if !is_keeper(pid, record) {
        return;
    }
    if let Err(e) = process::terminate(pid, deadline) {
        log::warn!("cannot stop lease keeper pid {pid}: {e}");
    }
}

/// Why a keeper ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Its ovsdb-server and the agent that spawned it are gone: the lease lapses.
    Lapsed,
    /// The record was removed (a stop released it).
    Removed,
    /// A newer claim of this node took the record over.
    Reclaimed,
    /// Asked to stop (SIGTERM/SIGINT).
    Stopped,
    /// Another node holds the record: this node's ovsdb-server was killed.
    Lost,
}

/// The keeper's loop; returns why it ended. Renews while the agent that spawned it (its
/// parent) runs or the ovsdb-server it guards runs; exits when the record is gone or is a
/// newer claim of this node; kills the ovsdb-server when another node holds the record.
pub fn keep(k: &Keeper) -> Ended {
    let parent = nix::unistd::getppid();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    for sig in [Signal::SIGTERM, Signal::SIGINT] {
        let _ = signal_flag(sig, stop.clone());
    }
    log::info!(
        "lease keeper for {} (node {}, token {}) renews every {} ms",
        k.record.display(),
        k.node,
        k.token,
        RENEW.as_millis()
    );
    let mut io_errors = 0u32;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        let server = process::find_daemon(&k.pidfile, "ovsdb-server", &k.marker);
        if server.is_none() && nix::unistd::getppid() != parent {
            log::info!(
                "lease keeper for {}: ovsdb-server is gone; the lease lapses",
                k.record.display()
            );
            return Ended::Lapsed;
        }
        match read_block(&k.record) {
            Ok(None) => {
                log::info!("lease keeper: {} was removed; exiting", k.record.display());
                return Ended::Removed;
            }
            Ok(Some(bytes)) => {
                io_errors = 0;
                match decode(&bytes) {
                    Some(mut rec) if rec.node == k.node && rec.token == k.token => {
                        rec.seq += 1;
                        rec.renewed_ms = now_ms();
                        // What serves: the file at its path now (a compaction renames a
                        // new one in). Only while our ovsdb-server runs: before, during
                        // the repair, the file has not served yet.
                        if server.is_some()
                            && let Some(now) = Served::of(Path::new(&rec.db_file))
                        {
                            rec.served = Some(now);
                            rec.served_by_claim = true;
                        }
                        if let Err(e) = store_in_place(&k.record, &rec) {
                            log::warn!("lease keeper: cannot renew {}: {e}", k.record.display());
                        }
                    }
                    Some(rec) if rec.node == k.node => {
                        log::info!(
                            "lease keeper: {} was claimed again on this node (token {}); exiting",
                            k.record.display(),
                            rec.token
                        );
                        return Ended::Reclaimed;
                    }
                    other => {
                        let by = other.map_or_else(
                            || "an unreadable record".into(),
                            |r| format!("node {}", r.node),
                        );
                        let victim = server.map(|s| s.pid);
                        log::error!(
                            "lease lost: {} now names {by}; killing ovsdb-server {} so that only one node serves it",
                            k.record.display(),
                            victim.map_or_else(|| "(none running)".into(), |p| format!("pid {p}"))
                        );
                        if let Some(p) = victim {
                            let _ = kill(Pid::from_raw(p), Signal::SIGKILL);
                        }
                        return Ended::Lost;
                    }
                }
            }
            Err(e) => {
                // Storage trouble: keep trying; a lease not renewed lapses by itself.
                io_errors += 1;
                if io_errors == 1 || io_errors.is_multiple_of(20) {
                    log::warn!("lease keeper: cannot read {}: {e}", k.record.display());
                }
            }
        }
        std::thread::sleep(RENEW);
    }
    log::info!("lease keeper for {} stopped", k.record.display());
    Ended::Stopped
}

fn store_in_place(path: &Path, rec: &OwnerRecord) -> std::io::Result<()> {
    write_block(path, &encode(rec)?)
}

/// Sets `flag` when `sig` arrives (no work in the handler).
fn signal_flag(
    sig: Signal,
    flag: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> nix::Result<()> {
    use std::sync::OnceLock;
    static FLAG: OnceLock<std::sync::Arc<std::sync::atomic::AtomicBool>> = OnceLock::new();
    let _ = FLAG.set(flag);
    extern "C" fn on_signal(_: nix::libc::c_int) {
        if let Some(f) = FLAG.get() {
            f.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    let action = nix::sys::signal::SigAction::new(
        nix::sys::signal::SigHandler::Handler(on_signal),
        nix::sys::signal::SaFlags::empty(),
        nix::sys::signal::SigSet::empty(),
    );
    // SAFETY: the handler only stores to an atomic that outlives it.
    unsafe { nix::sys::signal::sigaction(sig, &action) }.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(node: &str) -> OwnerRecord {
        OwnerRecord {
            node: node.into(),
            db_file: "/srv/ovn/ovnsb_db.db".into(),
            since: 1,
            token: "t1".into(),
            seq: 0,
            renewed_ms: 0,
            served: None,
            served_by_claim: false,
        }
    }

    #[test]
    fn block_round_trip_and_limit() {
        let r = rec("node1");
        let b = encode(&r).unwrap();
        assert_eq!(b.len(), BLOCK);
        assert_eq!(decode(&b), Some(r.clone()));
        let mut huge = r;
        huge.db_file = "/x".repeat(BLOCK);
        assert!(encode(&huge).is_err());
        // A record written before leases existed (no token, seq, renewed_ms) still reads.
        let old = br#"{"node":"node2","db_file":"/srv/ovn/x.db","since":5}"#;
        assert_eq!(decode(old).unwrap().node, "node2");
    }

    #[test]
    fn served_fields_encode_and_old_records_decode() {
        // Without what served, the record is the one older agents wrote, byte for byte.
        let plain = rec("node1");
        let text = String::from_utf8(encode(&plain).unwrap()).unwrap();
        assert!(!text.contains("served"), "{text}");
        // With it, it round-trips.
        let mut r = rec("node1");
        r.served = Some(Served {
            dev: 2049,
            ino: 131_074,
            size: 1 << 40,
        });
        r.served_by_claim = true;
        let b = encode(&r).unwrap();
        assert_eq!(b.len(), BLOCK);
        assert_eq!(decode(&b), Some(r.clone()));
        // A record of an older agent (no served fields) reads as "nothing known".
        let old = br#"{"node":"n","db_file":"/x.db","since":5,"token":"t","seq":9,"renewed_ms":7}"#;
        let o = decode(old).unwrap();
        assert_eq!((o.served, o.served_by_claim, o.seq), (None, false, 9));
        // An older agent reading ours ignores what it does not know (serde's default).
        #[derive(serde::Deserialize)]
        struct OldRecord {
            node: String,
            seq: u64,
        }
        let o: OldRecord = serde_json::from_slice(&b).unwrap();
        assert_eq!((o.node.as_str(), o.seq), ("node1", 0));
        // A served field that is not one is no record (counts as unreadable, never as
        // "nothing served").
        let bad = br#"{"node":"n","db_file":"/x.db","since":5,"served":{"dev":1}}"#;
        assert_eq!(decode(bad), None);
    }

    #[test]
    fn served_of_a_path_follows_a_rename() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.db");
        assert_eq!(Served::of(&p), None);
        std::fs::write(&p, b"12345").unwrap();
        let a = Served::of(&p).unwrap();
        assert_eq!(a.size, 5);
        let tmp = d.path().join("x.db.tmp");
        std::fs::write(&tmp, b"12").unwrap();
        std::fs::rename(&tmp, &p).unwrap();
        let b = Served::of(&p).unwrap();
        assert_eq!(b.size, 2);
        assert!(!a.same_file(&b), "a new inode renamed in is another file");
        // The device does not decide (another node's mount of the same filesystem).
        let other_mount = Served {
            dev: a.dev + 1,
            ..a
        };
        assert!(a.same_file(&other_mount));
        assert_eq!(
            Served::of(d.path()),
            None,
            "a directory is no database file"
        );
    }

    #[test]
    fn released_file_and_last_served() {
        let d = tempfile::tempdir().unwrap();
        let db = d.path().join("ovnnb_db.db");
        assert_eq!(last_served(&db).unwrap(), None);
        let s = Served {
            dev: 1,
            ino: 2,
            size: 3,
        };
        let rel = Released {
            node: "n1".into(),
            db_file: db.display().to_string(),
            released_ms: 4,
            served: s,
        };
        store_released(&db, &rel).unwrap();
        assert_eq!(read_released(&db).unwrap(), Some(rel));
        assert_eq!(last_served(&db).unwrap(), Some(s));
        // An owner record wins over what a stop left, also when it knows nothing.
        let rp = record_path(&db);
        store(&rp, &rec("n2")).unwrap();
        assert_eq!(last_served(&db).unwrap(), None);
        let mut r = rec("n2");
        r.served = Some(Served { size: 9, ..s });
        store(&rp, &r).unwrap();
        assert_eq!(last_served(&db).unwrap().unwrap().size, 9);
        // Unreadable: nothing known.
        std::fs::remove_file(&rp).unwrap();
        std::fs::write(released_path(&db), b"{oops").unwrap();
        assert_eq!(read_released(&db).unwrap(), None);
        remove_released(&db).unwrap();
        remove_released(&db).unwrap();
        assert!(!released_path(&db).exists());
    }

    #[test]
    fn store_in_place_keeps_the_inode() {
        use std::os::unix::fs::MetadataExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".x.owner");
        store(&p, &rec("a")).unwrap();
        let ino = std::fs::metadata(&p).unwrap().ino();
        let mut r = rec("b");
        r.seq = 7;
        store(&p, &r).unwrap();
        assert_eq!(
            std::fs::metadata(&p).unwrap().ino(),
            ino,
            "rewritten in place"
        );
        assert_eq!(decode(&read_block(&p).unwrap().unwrap()), Some(r));
        assert_eq!(read_block(&d.path().join("none")).unwrap(), None);
    }

    #[test]
    fn watch_sees_a_renewal_and_a_still_record() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".x.owner");
        store(&p, &rec("a")).unwrap();
        let first = read_block(&p).unwrap().unwrap();
        let dl = Deadline::after(Duration::from_secs(30));
        assert_eq!(
            watch(&p, &first, Duration::from_millis(300), dl),
            Ok(Seen::Still)
        );
        let p2 = p.clone();
        let renewer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(200));
            let mut r = rec("a");
            r.seq = 1;
            store(&p2, &r).unwrap();
        });
        let seen = watch(&p, &first, Duration::from_secs(20), dl).unwrap();
        renewer.join().unwrap();
        assert!(matches!(seen, Seen::Changed { .. }), "{seen:?}");
        let short = Deadline::after(Duration::from_millis(50));
        assert!(watch(&p, &read_block(&p).unwrap().unwrap(), WINDOW, short).is_err());
    }
}

//! A corruption corpus from real ovsdb-server files, and repair checked on every case.
//!
//! The corpus is built at test time (no binary files in the repository; the files follow
//! the installed ovsdb-server and OVN schemas) into `target/tmp/ovn-ocf-corpus/<db>/`:
//! one file per case and `manifest.tsv` (case, expected verdict, intact records, intact
//! bytes, size, what was done), kept after the run for inspection and for other tools.
//! A real ovsdb-server (unix socket in a temp dir, killed by PID) serves a fresh NB and
//! SB file while transactions are written a few dozen transactions; the cases are
//! derived from its records: truncations (mid-header, mid-body, at every record
//! boundary), bit flips (header, length digits, hash, body), duplicated and reordered
//! records, shorter and longer lengths, wrong and huge length fields, wrong hashes,
//! non-UTF-8 bytes in a body, zero length, garbage. Expected verdicts and prefixes come
//! from how each case was made, and are cross-checked with `ovsdb-tool show-log`.
//!
//! For every case: the verdict is the manifest's; `repair::run` keeps exactly the intact
//! prefix (or recreates the file when none is left), its backup is byte-exact with the
//! damaged input, and the result passes `ovsdb-tool show-log`.

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{RawServer, create_db, schema_file};
use ovn_ocf::dbfile;
use ovn_ocf::ocf::Deadline;
use ovn_ocf::repair::{self, Options, Policy, Step};

const TRANSACTIONS: usize = 30;

/// A database file written by a real ovsdb-server: inserts, updates and deletes, rows
/// small and large.
fn write_db(dir: &Path, db: &str) -> Vec<u8> {
    let file = dir.join(format!("{db}.db"));
    create_db(&file, schema_file(db));
    {
        let s = RawServer::start(&file);
        for i in 0..TRANSACTIONS {
            let ops = match i % 5 {
                3 => format!(
                    r#"{{"op":"update","table":"Address_Set","where":[["name","==","s{}"]],"row":{{"addresses":["set",["10.0.0.{i}"]]}}}}"#,
                    i - 1
                ),
                4 => format!(
                    r#"{{"op":"delete","table":"Address_Set","where":[["name","==","s{}"]]}}"#,
                    i - 4
                ),
                _ => {
                    let n = if i % 7 == 0 { 200 } else { 2 };
                    let addrs: Vec<String> = (0..n)
                        .map(|k| format!("\"10.{i}.{}.{}\"", k / 250, k % 250))
                        .collect();
                    format!(
                        r#"{{"op":"insert","table":"Address_Set","row":{{"name":"s{i}","addresses":["set",[{},"v\u00e9\"{i}"]]}}}}"#,
                        addrs.join(",")
                    )
                }
            };
            s.transact(db, &ops);
        }
    }
    std::fs::read(&file).unwrap()
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
    assert_eq!(at, bytes.len());
    ends
}

/// One corpus case: the damaged bytes and what a verifier must make of them.
struct Case {
    name: String,
    bytes: Vec<u8>,
    /// clean, torn-tail, corrupt, empty or not-ovsdb.
    verdict: &'static str,
    /// Intact records (the schema counts) and bytes.
    records: usize,
    keep: usize,
    what: String,
}

/// Where record `k`'s parts sit: its start, the length digits, the hash, the body.
struct Rec {
    start: usize,
    len: std::ops::Range<usize>,
    hash: std::ops::Range<usize>,
    body: std::ops::Range<usize>,
}

fn rec(b: &[u8], ends: &[usize], k: usize) -> Rec {
    let start = if k == 0 { 0 } else { ends[k - 1] };
    let nl = start + b[start..].iter().position(|c| *c == b'\n').unwrap();
    let len_at = start + "OVSDB JSON ".len();
    let sp = len_at + b[len_at..].iter().position(|c| *c == b' ').unwrap();
    Rec {
        start,
        len: len_at..sp,
        hash: nl - 40..nl,
        body: nl + 1..ends[k],
    }
}

fn derive(b: &[u8]) -> Vec<Case> {
    let ends = record_ends(b);
    let n = ends.len();
    let last = n - 1;
    let mut cases = vec![];
    // Damage in record k: a schema record damaged leaves nothing (not-ovsdb); otherwise
    // the records before k are the intact prefix.
    let damaged = |k: usize, kind: &'static str| -> (&'static str, usize, usize) {
        if k == 0 {
            ("not-ovsdb", 0, 0)
        } else {
            (kind, k, rec(b, &ends, k).start)
        }
    };
    let mut add = |name: String, bytes: Vec<u8>, v: (&'static str, usize, usize), what: &str| {
        cases.push(Case {
            name,
            bytes,
            verdict: v.0,
            records: v.1,
            keep: v.2,
            what: what.into(),
        })
    };
    add(
        "original".into(),
        b.to_vec(),
        ("clean", n, b.len()),
        "as written",
    );
    // Truncations: at every record boundary (clean), mid-header and mid-body (torn).
    for (k, &end) in ends.iter().enumerate() {
        add(
            format!("cut-boundary-{k}"),
            b[..end].to_vec(),
            ("clean", k + 1, end),
            "cut after record k",
        );
    }
    for k in [0, 1, n / 2, last] {
        let r = rec(b, &ends, k);
        for (tag, at) in [
            ("mid-magic", r.start + 3),
            ("mid-length", r.len.start + 1),
            ("mid-hash", r.hash.start + 17),
            ("before-newline", r.hash.end),
            ("mid-body", (r.body.start + r.body.end) / 2),
            ("before-last-byte", r.body.end - 1),
        ] {
            add(
                format!("cut-{tag}-{k}"),
                b[..at].to_vec(),
                damaged(k, "torn-tail"),
                "cut inside record k",
            );
        }
    }
    // Bit flips (each changes what ovsdb reads: no hex case flips).
    for k in [0, 1, n / 3, 2 * n / 3, last] {
        let r = rec(b, &ends, k);
        let mut flip = |tag: &str, at: usize, bit: u8, v| {
            let mut x = b.to_vec();
            x[at] ^= 1 << bit;
            add(
                format!("flip-{tag}-{k}"),
                x,
                v,
                "one bit flipped in record k",
            );
        };
        flip("magic", r.start + 1, 1, damaged(k, "corrupt"));
        flip("space", r.len.start - 1, 0, damaged(k, "corrupt"));
        // Length digits: the last one +-1 (bit 0) — a hash mismatch, or past the end.
        let longer = b[r.len.end - 1] & 1 == 0;
        let v = if longer && k == last {
            damaged(k, "torn-tail")
        } else {
            damaged(k, "corrupt")
        };
        flip("length", r.len.end - 1, 0, v);
        // A hash digit 0-9 with bit 0 flipped stays a digit; a-f with bit 0: still a-g.
        let at = (r.hash.start..r.hash.end)
            .find(|i| b[*i].is_ascii_digit())
            .unwrap();
        flip("hash", at, 0, damaged(k, "corrupt"));
        flip(
            "body",
            (r.body.start + r.body.end) / 2,
            5,
            damaged(k, "corrupt"),
        );
        flip("final-newline", r.body.end - 1, 3, damaged(k, "corrupt"));
    }
    // Records duplicated or reordered stay valid records (ovsdb replays them); the
    // schema record moved is not.
    for k in [1, n / 2, last] {
        let r = rec(b, &ends, k);
        let mut x = b[..ends[k]].to_vec();
        x.extend_from_slice(&b[r.start..ends[k]]);
        x.extend_from_slice(&b[ends[k]..]);
        let size = x.len();
        add(
            format!("duplicate-{k}"),
            x,
            ("clean", n + 1, size),
            "record k twice",
        );
    }
    for k in [0, 1, n / 2, last - 1] {
        let (r1, r2) = (rec(b, &ends, k), rec(b, &ends, k + 1));
        let mut x = b[..r1.start].to_vec();
        x.extend_from_slice(&b[r2.start..ends[k + 1]]);
        x.extend_from_slice(&b[r1.start..ends[k]]);
        x.extend_from_slice(&b[ends[k + 1]..]);
        let v = if k == 0 {
            ("not-ovsdb", 0, 0)
        } else {
            ("clean", n, b.len())
        };
        add(
            format!("swap-{k}-{}", k + 1),
            x,
            v,
            "records k and k+1 swapped",
        );
    }
    // Length fields: shorter, longer, huge (19 digits: past the end; 20: no header).
    for k in [0, 1, n / 2, last] {
        let r = rec(b, &ends, k);
        let len: u64 = std::str::from_utf8(&b[r.len.clone()])
            .unwrap()
            .parse()
            .unwrap();
        for (tag, new, v) in [
            ("shorter", (len - 1).to_string(), damaged(k, "corrupt")),
            (
                "longer",
                (len + 1).to_string(),
                damaged(k, if k == last { "torn-tail" } else { "corrupt" }),
            ),
            ("zero", "0".to_string(), damaged(k, "corrupt")),
            (
                "huge19",
                "9999999999999999999".to_string(),
                damaged(k, "torn-tail"),
            ),
            (
                "huge20",
                "99999999999999999999".to_string(),
                damaged(k, "corrupt"),
            ),
        ] {
            let mut x = b.to_vec();
            x.splice(r.len.clone(), new.bytes());
            add(
                format!("length-{tag}-{k}"),
                x,
                v,
                "record k's length field rewritten",
            );
        }
    }
    // Hashes: another valid hash, and a '+' sign (ovsdb's hex reader refuses it).
    for k in [0, 1, n / 2, last] {
        let r = rec(b, &ends, k);
        let mut x = b.to_vec();
        x.splice(
            r.hash.clone(),
            "0123456789abcdef0123456789abcdef01234567".bytes(),
        );
        add(
            format!("hash-wrong-{k}"),
            x,
            damaged(k, "corrupt"),
            "record k's hash replaced",
        );
        let mut x = b.to_vec();
        x[r.hash.start] = b'+';
        add(
            format!("hash-sign-{k}"),
            x,
            damaged(k, "corrupt"),
            "record k's first hash digit replaced by '+'",
        );
    }
    // Non-UTF-8 bytes in a body (the hash no longer matches).
    for k in [0, 1, last] {
        let r = rec(b, &ends, k);
        let mut x = b.to_vec();
        let at = r.body.start + 2;
        x[at] = 0xff;
        x[at + 1] = 0xc0;
        add(
            format!("non-utf8-{k}"),
            x,
            damaged(k, "corrupt"),
            "0xff 0xc0 in record k's body",
        );
    }
    // Garbage after the last record; an empty file; garbage alone; a foreign file.
    let garbage: Vec<u8> = (0..3000u32).map(|i| (i * 131 % 251) as u8).collect();
    let mut x = b.to_vec();
    x.extend_from_slice(&garbage);
    add(
        "append-garbage".into(),
        x,
        ("corrupt", n, b.len()),
        "garbage after the last record",
    );
    let mut x = b.to_vec();
    x.extend_from_slice(b"OVSDB JSON 12");
    add(
        "append-partial-header".into(),
        x,
        ("torn-tail", n, b.len()),
        "a header cut short after the last record",
    );
    add("zero-length".into(), vec![], ("empty", 0, 0), "0 bytes");
    add(
        "garbage".into(),
        garbage,
        ("not-ovsdb", 0, 0),
        "bytes that are not ovsdb",
    );
    add(
        "text".into(),
        b"# not a database\n".repeat(10),
        ("not-ovsdb", 0, 0),
        "a text file",
    );
    cases
}

/// `ovsdb-tool show-log`: success and the number of records it lists.
fn show_log(file: &Path) -> (bool, usize) {
    let o = Command::new("ovsdb-tool")
        .arg("show-log")
        .arg(file)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout);
    (
        o.status.success(),
        out.lines().filter(|l| l.starts_with("record ")).count(),
    )
}

/// Builds the corpus for `db` into target/tmp and returns its directory.
fn build_corpus(db: &str) -> (PathBuf, Vec<Case>) {
    let tmp = tempfile::tempdir().unwrap();
    let original = write_db(tmp.path(), db);
    assert_eq!(record_ends(&original).len(), TRANSACTIONS + 1);
    let cases = derive(&original);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("ovn-ocf-corpus")
        .join(db);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let mut manifest = String::from("# case\tverdict\tintact_records\tintact_bytes\tsize\twhat\n");
    for c in &cases {
        std::fs::write(dir.join(&c.name), &c.bytes).unwrap();
        writeln!(
            manifest,
            "{}\t{}\t{}\t{}\t{}\t{}",
            c.name,
            c.verdict,
            c.records,
            c.keep,
            c.bytes.len(),
            c.what
        )
        .unwrap();
    }
    std::fs::write(dir.join("manifest.tsv"), manifest).unwrap();
    (dir, cases)
}

fn check_corpus(db: &str) {
    let (dir, cases) = build_corpus(db);
    assert!(cases.len() > 100, "{} cases", cases.len());
    // Read the cases back through the manifest: what other tools would use.
    let manifest = std::fs::read_to_string(dir.join("manifest.tsv")).unwrap();
    let rows: Vec<Vec<&str>> = manifest
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.split('\t').collect())
        .collect();
    assert_eq!(rows.len(), cases.len());
    let work = tempfile::tempdir().unwrap();
    let mut failures = vec![];
    for row in &rows {
        let (name, verdict) = (row[0], row[1]);
        let records: u64 = row[2].parse().unwrap();
        let keep: u64 = row[3].parse().unwrap();
        let case = dir.join(name);
        let bytes = std::fs::read(&case).unwrap();
        let r = check_case(db, &case, &bytes, verdict, records, keep, work.path());
        if let Err(e) = r {
            failures.push(format!("{db}/{name}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (corpus in {}):\n{}",
        failures.len(),
        rows.len(),
        dir.display(),
        failures.join("\n")
    );
}

fn check_case(
    db: &str,
    case: &Path,
    bytes: &[u8],
    verdict: &str,
    records: u64,
    keep: u64,
    work: &Path,
) -> Result<(), String> {
    // The classification.
    let i = dbfile::inspect(case, None).map_err(|e| e.to_string())?;
    let got = (
        i.verdict.kind(),
        i.verdict.intact_records(),
        i.verdict.intact_bytes(),
    );
    if got != (verdict, records, keep) {
        return Err(format!(
            "verdict {:?}, manifest says {verdict} {records} records {keep} bytes",
            i.verdict
        ));
    }
    // ovsdb itself reads the same records before the damage.
    if verdict != "empty" {
        let (ok, listed) = show_log(case);
        let want_ok = verdict == "clean";
        if ok != want_ok || (records > 0 && listed as u64 != records) {
            return Err(format!(
                "ovsdb-tool show-log: ok={ok} records={listed}; manifest: {verdict} {records}"
            ));
        }
    }
    // Repair a copy, as the agent would before serving it.
    let file = work.join(format!("ovn{db}_db.db"));
    let backups = work.join("backups");
    let _ = std::fs::remove_dir_all(&backups);
    std::fs::write(&file, bytes).map_err(|e| e.to_string())?;
    let opts = Options {
        db_file: file.clone(),
        schema: schema_file(db).into(),
        backup_dir: backups.clone(),
        backup_keep: 1000,
        policy: Policy::KeepPrefix,
        ovsdb_tool: "/usr/bin/ovsdb-tool".into(),
        dry_run: false,
        served: None,
        stale: None,
    };
    let report = repair::run(&opts, Deadline::after(Duration::from_secs(60)))
        .map_err(|e| format!("repair: {e}"))?;
    let now = std::fs::read(&file).map_err(|e| e.to_string())?;
    match verdict {
        "clean" => {
            if !report.steps.is_empty() || report.backup.is_some() || now != bytes {
                return Err(format!("a clean file was changed: {:?}", report.steps));
            }
        }
        "torn-tail" | "corrupt" => {
            let cut = Step::Cut {
                keep,
                records,
                dropped: bytes.len() as u64 - keep,
            };
            if report.steps != [cut] {
                return Err(format!("steps {:?}", report.steps));
            }
            if now != bytes[..keep as usize] {
                return Err(format!(
                    "kept {} bytes, not the {keep}-byte intact prefix",
                    now.len()
                ));
            }
        }
        _ => {
            if report.steps != [Step::Recreate] {
                return Err(format!("steps {:?}", report.steps));
            }
        }
    }
    if verdict != "clean" {
        let backup = report.backup.as_deref().ok_or("no backup")?;
        if std::fs::read(backup).map_err(|e| e.to_string())? != bytes {
            return Err("backup not byte-exact".into());
        }
    }
    let (ok, listed) = show_log(&file);
    let want = match verdict {
        "clean" | "torn-tail" | "corrupt" => records as usize,
        _ => 1, // recreated: the schema alone
    };
    if !ok || listed != want {
        return Err(format!(
            "repaired file: ovsdb-tool show-log ok={ok} records={listed}, want {want}"
        ));
    }
    let left: Vec<String> = std::fs::read_dir(work)
        .map_err(|e| e.to_string())?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.contains(".tmp") || n.ends_with(".convert") || n.contains("~lock~"))
        .collect();
    if !left.is_empty() {
        return Err(format!("left behind: {left:?}"));
    }
    Ok(())
}

#[test]
fn corpus_nb() {
    check_corpus("nb");
}

#[test]
fn corpus_sb() {
    check_corpus("sb");
}

//! Fuzzing as property tests at scale (proptest; cargo-fuzz needs nightly): the ovsdb file
//! verifier, the JSON-RPC decoder and the parameter parser get arbitrary and structured
//! input and must classify it, never panic, never read past the end.
//!
//! Cases per target: `OVN_OCF_FUZZ_CASES` (default 256, so `make test` stays fast;
//! `make fuzz` sets it large). A failure prints the minimal input; it then becomes a named
//! `regression_*` test below.

use std::collections::BTreeMap;
use std::io::Read;

use ovn_ocf::dbfile::{self, Inspection, SchemaId, Verdict, encode_record, inspect_reader};
use ovn_ocf::jsonrpc::{Decoder, MAX_MESSAGE, classify};
use ovn_ocf::ocf::params::{AgentSpec, Kind, check_remote, check_value, split_command};
use ovn_ocf::ocf::{Failure, OcfStatus};
use ovn_ocf::repair::{self, Policy};
use ovn_ocf_agents::framework::Agent;
use ovn_ocf_agents::{self as agents, ovn_northd, ovsdb_server};
use proptest::prelude::*;
use proptest::test_runner::Config;
use sha1::{Digest, Sha1};

fn cases() -> u32 {
    std::env::var("OVN_OCF_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(256)
}

fn config() -> Config {
    Config {
        cases: cases(),
        failure_persistence: None,
        // A large run reports its minimal input without shrinking for minutes.
        max_shrink_iters: 4096,
        ..Config::default()
    }
}

// ------------------------------------------------------------------ the ovsdb file verifier

const SCHEMA: &str = r#"{"name":"OVN_Northbound","version":"7.3.0","tables":{"T":{"columns":{"x":{"type":"string"}}}}}"#;

/// A reader that serves `data[..size]` in chunks of the sizes given (cycled) and fails
/// the test if it is ever asked for a byte at or past `size` — though it has more: the
/// bytes after `size` are a valid record, which would change the verdict if read.
struct Strict<'a> {
    data: &'a [u8],
    size: usize,
    pos: usize,
    chunks: &'a [usize],
    n: usize,
}

impl Read for Strict<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        assert!(
            self.pos + buf.len() <= self.size && !buf.is_empty(),
            "asked for {} bytes at {} of {}: past the end",
            buf.len(),
            self.pos,
            self.size
        );
        let chunk = self.chunks[self.n % self.chunks.len()].max(1);
        self.n += 1;
        let k = buf.len().min(chunk);
        buf[..k].copy_from_slice(&self.data[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

fn inspect_strict(b: &[u8], chunks: &[usize]) -> Inspection {
    let mut data = b.to_vec();
    data.extend(encode_record(br#"{"poison":"read past the end"}"#));
    let r = Strict {
        data: &data,
        size: b.len(),
        pos: 0,
        chunks,
        n: 0,
    };
    inspect_reader(r, b.len() as u64).expect("reading memory does not fail")
}

const MAGIC: &[u8] = b"OVSDB JSON ";

/// The file format's rules restated on a whole slice, independently of the streaming
/// verifier (and stricter where ovsdb is: the hash is 40 hex digits, nothing else).
/// Returns (kind, intact records, intact bytes).
fn reference(b: &[u8]) -> (&'static str, u64, u64) {
    if b.is_empty() {
        return ("empty", 0, 0);
    }
    let (mut at, mut records) = (0usize, 0u64);
    let torn = |records: u64, at: usize| {
        if records == 0 {
            ("not-ovsdb", 0, 0)
        } else {
            ("torn-tail", records, at as u64)
        }
    };
    let bad = |records: u64, at: usize| {
        if records == 0 {
            ("not-ovsdb", 0, 0)
        } else {
            ("corrupt", records, at as u64)
        }
    };
    loop {
        if at == b.len() {
            return ("clean", records, at as u64);
        }
        let rest = &b[at..];
        if records == 0 && rest.starts_with(b"OVSDB CLUSTER ") {
            return ("clustered", 0, 0);
        }
        let window = &rest[..rest.len().min(128)];
        let line = match window.iter().position(|c| *c == b'\n') {
            Some(i) => &window[..=i],
            None => window,
        };
        let header = (|| {
            let s = std::str::from_utf8(line.strip_prefix(MAGIC)?.strip_suffix(b"\n")?).ok()?;
            let (len, hash) = s.split_once(' ')?;
            let ok = (1..=19).contains(&len.len())
                && len.bytes().all(|c| c.is_ascii_digit())
                && hash.len() == 40
                && hash.bytes().all(|c| c.is_ascii_hexdigit());
            ok.then(|| (len.parse::<u64>().unwrap(), hash.to_ascii_lowercase()))
        })();
        let Some((len, hash)) = header else {
            let at_eof = line.len() == rest.len() && !line.ends_with(b"\n");
            if at_eof && MAGIC.starts_with(&line[..line.len().min(MAGIC.len())]) {
                return torn(records, at);
            }
            return bad(records, at);
        };
        if len > (rest.len() - line.len()) as u64 {
            return torn(records, at);
        }
        let body = &rest[line.len()..line.len() + len as usize];
        let digest: String = Sha1::digest(body)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect();
        if digest != hash || !body.ends_with(b"\n") {
            return bad(records, at);
        }
        if records == 0 {
            let v: Option<serde_json::Value> = serde_json::from_slice(body).ok();
            if !v.is_some_and(|v| v.get("name").is_some_and(|n| n.is_string())) {
                return ("not-ovsdb", 0, 0);
            }
        }
        at += line.len() + len as usize;
        records += 1;
    }
}

/// Everything that must hold for any input; returns the inspection.
fn check_any(b: &[u8], chunks: &[usize]) -> Result<Inspection, TestCaseError> {
    let whole = inspect_reader(b, b.len() as u64).expect("reading memory does not fail");
    // In pieces, from a reader that must never be asked past the end: the same answer.
    let pieces = inspect_strict(b, chunks);
    prop_assert_eq!(&pieces, &whole, "chunks {:?}", chunks);
    // With a small buffer (records refilled, streamed through it, or split across
    // it) and every batch hashed on several threads: the same answer.
    let (c0, c1) = (chunks[0], chunks[chunks.len() - 1]);
    for (buffer, read, threads) in [(128, 128, 2), (300, 17, 3), (c0 % 2000, c1 % 500, 2)] {
        let t = dbfile::Tuning {
            buffer,
            read,
            parallel_min: 0,
            threads,
        };
        let tuned = dbfile::inspect_tuned(b, b.len() as u64, t, &mut |_, _| {})
            .expect("reading memory does not fail");
        prop_assert_eq!(&tuned, &whole, "{:?}", t);
    }
    let v = &whole.verdict;
    prop_assert_eq!(whole.size, b.len() as u64);
    prop_assert!(v.intact_bytes() <= b.len() as u64);
    // The same classification as the format's rules restated.
    let (k, records, bytes) = reference(b);
    prop_assert_eq!(
        (v.kind(), v.intact_records(), v.intact_bytes()),
        (k, records, bytes),
        "{:?}",
        v
    );
    // A prefix that is kept has a schema, and is itself clean with the same records.
    if matches!(
        v,
        Verdict::Clean { .. } | Verdict::TornTail { .. } | Verdict::Corrupt { .. }
    ) {
        prop_assert!(v.intact_records() >= 1, "{:?} keeps no schema record", v);
        prop_assert!(whole.schema.is_some(), "{:?} without a schema", v);
        let keep = &b[..v.intact_bytes() as usize];
        prop_assert_eq!(
            inspect_reader(keep, keep.len() as u64).unwrap().verdict,
            Verdict::Clean {
                records: v.intact_records(),
                bytes: keep.len() as u64
            }
        );
    } else {
        prop_assert!(whole.schema.is_none() || v.kind() == "not-ovsdb");
    }
    // Planning a repair from it is pure and must not panic either.
    let installed = SchemaId {
        name: "OVN_Northbound".into(),
        version: "7.3.0".into(),
    };
    let shorter = repair::Compared::Shorter {
        served: b.len() as u64 + 1,
        found: b.len() as u64,
    };
    for policy in [Policy::KeepPrefix, Policy::Refuse] {
        for compared in [repair::Compared::Unknown, shorter] {
            for stale in [None, Some("another node served since")] {
                let _ = repair::plan(
                    std::path::Path::new("/x/nb.db"),
                    &whole,
                    &installed,
                    policy,
                    compared,
                    stale,
                );
            }
        }
    }
    let _ = v.describe();
    Ok(whole)
}

/// A valid database: the schema record and `bodies.len()` transaction records. Returns
/// the bytes and each record's end offset.
fn build_db(bodies: &[String]) -> (Vec<u8>, Vec<usize>) {
    let mut b = encode_record(SCHEMA.as_bytes());
    let mut ends = vec![b.len()];
    for body in bodies {
        let json = serde_json::json!({"T": {"_date": 1, "row": body}}).to_string();
        b.extend(encode_record(json.as_bytes()));
        ends.push(b.len());
    }
    (b, ends)
}

fn start_of(ends: &[usize], k: usize) -> usize {
    if k == 0 { 0 } else { ends[k - 1] }
}

/// Where record `k`'s length digits and hash sit.
fn header_fields(b: &[u8], ends: &[usize], k: usize) -> (std::ops::Range<usize>, usize) {
    let s = start_of(ends, k);
    let nl = s + b[s..].iter().position(|c| *c == b'\n').unwrap();
    let len_start = s + MAGIC.len();
    let sp = len_start + b[len_start..].iter().position(|c| *c == b' ').unwrap();
    (len_start..sp, nl - 40)
}

#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    FlipBit(usize, u8),
    SetLength(usize, String),
    ShiftLength(usize, i64),
    HashChar(usize, usize, char),
    NonUtf8(usize, usize, u8, bool),
    /// Record `k` rewritten without its final newline, length and hash made to match.
    NoNewline(usize),
    Duplicate(usize),
    Swap(usize, usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Append(Vec<u8>),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0u8..8).prop_map(|(a, b)| Mutation::FlipBit(a, b)),
        (
            any::<usize>(),
            prop_oneof![
                Just("99999999999999999999".to_string()),
                Just("9999999999999999999".to_string()),
                Just("18446744073709551615".to_string()),
                Just("18446744073709551616".to_string()),
                Just("0".to_string()),
                Just("".to_string()),
                Just("+5".to_string()),
                Just("-5".to_string()),
                Just(" 5".to_string()),
                Just("0x10".to_string()),
                "[0-9]{1,21}",
            ]
        )
            .prop_map(|(r, s)| Mutation::SetLength(r, s)),
        (any::<usize>(), -3i64..=3).prop_map(|(r, d)| Mutation::ShiftLength(r, d)),
        (
            any::<usize>(),
            0usize..40,
            prop_oneof![
                Just('+'),
                Just('-'),
                Just(' '),
                Just('g'),
                Just('G'),
                Just('\u{e9}'),
                prop::char::range('0', '9'),
                prop::char::range('a', 'f'),
                prop::char::range('A', 'F'),
            ]
        )
            .prop_map(|(r, p, c)| Mutation::HashChar(r, p, c)),
        (any::<usize>(), any::<usize>(), 0x80u8..=0xff, any::<bool>())
            .prop_map(|(r, p, x, rehash)| Mutation::NonUtf8(r, p, x, rehash)),
        any::<usize>().prop_map(Mutation::NoNewline),
        any::<usize>().prop_map(Mutation::Duplicate),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        (
            any::<usize>(),
            prop_oneof![
                prop::collection::vec(any::<u8>(), 1..64),
                Just(b"OVSDB JSON ".to_vec()),
                Just(b"\n".to_vec()),
                Just(encode_record(b"{}")),
            ]
        )
            .prop_map(|(a, v)| Mutation::Insert(a, v)),
        (any::<usize>(), 1usize..200).prop_map(|(a, n)| Mutation::Delete(a, n)),
        prop_oneof![
            prop::collection::vec(any::<u8>(), 1..64),
            Just(b"OVSDB JSON 1".to_vec()),
            Just(b"OVSDB CLUSTER 5 x\n".to_vec()),
        ]
        .prop_map(Mutation::Append),
    ]
}

/// Applies `m` to a valid database; returns the damaged bytes and, where the mutation
/// decides it alone, the expected intact prefix (bytes) — `None` when it depends on the
/// bytes involved (the reference decides then).
fn apply(b: &[u8], ends: &[usize], m: &Mutation) -> (Vec<u8>, Option<u64>) {
    let n = ends.len();
    let rec = |r: usize| r % n;
    let mut x = b.to_vec();
    match m {
        Mutation::Truncate(at) => {
            let at = at % (b.len() + 1);
            x.truncate(at);
            // The records ending at or before the cut are kept (none if inside the schema).
            let kept = ends.iter().rev().find(|e| **e <= at).copied().unwrap_or(0);
            (x, Some(kept as u64))
        }
        Mutation::FlipBit(at, bit) => {
            let at = at % b.len();
            x[at] ^= 1 << bit;
            (x, None)
        }
        Mutation::SetLength(r, digits) => {
            let k = rec(*r);
            let (len, _) = header_fields(b, ends, k);
            let same = digits.parse::<u64>().ok()
                == std::str::from_utf8(&b[len.clone()]).unwrap().parse().ok()
                && digits.bytes().all(|c| c.is_ascii_digit())
                && (1..=19).contains(&digits.len());
            x.splice(len, digits.bytes());
            (
                x,
                if same {
                    Some(b.len() as u64)
                } else {
                    Some(start_of(ends, k) as u64)
                },
            )
        }
        Mutation::ShiftLength(r, d) => {
            let k = rec(*r);
            let (len, _) = header_fields(b, ends, k);
            let v: i64 = std::str::from_utf8(&b[len.clone()])
                .unwrap()
                .parse()
                .unwrap();
            x.splice(len, (v + d).max(0).to_string().bytes());
            let keep = if *d == 0 { b.len() } else { start_of(ends, k) };
            (x, Some(keep as u64))
        }
        Mutation::HashChar(r, p, c) => {
            let k = rec(*r);
            let (_, hash) = header_fields(b, ends, k);
            let old = b[hash + p] as char;
            let mut buf = [0u8; 4];
            x.splice(hash + p..hash + p + 1, c.encode_utf8(&mut buf).bytes());
            let same = c.is_ascii_hexdigit() && c.eq_ignore_ascii_case(&old);
            let keep = if same { b.len() } else { start_of(ends, k) };
            (x, Some(keep as u64))
        }
        Mutation::NonUtf8(r, p, byte, rehash) => {
            let k = rec(*r);
            let s = start_of(ends, k);
            let nl = s + b[s..].iter().position(|c| *c == b'\n').unwrap();
            let body = &b[nl + 1..ends[k]];
            let mut body = body.to_vec();
            let at = p % (body.len() - 1); // not the final newline
            if body[at] == *byte {
                // Already that byte (a UTF-8 lead byte in the body): nothing changes.
                return (x, Some(b.len() as u64));
            }
            body[at] = *byte;
            if *rehash {
                // A valid record of bytes that are not JSON: the verifier checks hashes,
                // not JSON (ovsdb would reject it; see the report).
                let mut rec = encode_record(&body[..body.len() - 1]);
                if k == 0 {
                    x = rec;
                    return (x, Some(0));
                }
                let mut y = b[..s].to_vec();
                y.append(&mut rec);
                y.extend_from_slice(&b[ends[k]..]);
                return (y, None);
            }
            x[nl + 1 + at] = *byte;
            (x, Some(start_of(ends, k) as u64))
        }
        Mutation::NoNewline(r) => {
            let k = rec(*r);
            let s = start_of(ends, k);
            let nl = s + b[s..].iter().position(|c| *c == b'\n').unwrap();
            let body = &b[nl + 1..ends[k] - 1];
            let hex: String = Sha1::digest(body)
                .iter()
                .map(|x| format!("{x:02x}"))
                .collect();
            let mut y = b[..s].to_vec();
            y.extend(format!("OVSDB JSON {} {hex}\n", body.len()).bytes());
            y.extend(body);
            y.extend(&b[ends[k]..]);
            (y, Some(start_of(ends, k) as u64))
        }
        Mutation::Duplicate(r) => {
            let k = rec(*r);
            let r = b[start_of(ends, k)..ends[k]].to_vec();
            let at = ends[k];
            x.splice(at..at, r);
            // Records verify one by one: a duplicate is a valid record (ovsdb replays it).
            (x, None)
        }
        Mutation::Swap(i, j) => {
            let (i, j) = (rec(*i), rec(*j));
            let (i, j) = (i.min(j), i.max(j));
            if i == j {
                return (x, Some(b.len() as u64));
            }
            let ri = b[start_of(ends, i)..ends[i]].to_vec();
            let rj = b[start_of(ends, j)..ends[j]].to_vec();
            let mut y = b[..start_of(ends, i)].to_vec();
            y.extend(&rj);
            y.extend(&b[ends[i]..start_of(ends, j)]);
            y.extend(&ri);
            y.extend(&b[ends[j]..]);
            (y, None)
        }
        Mutation::Insert(at, bytes) => {
            let at = at % (b.len() + 1);
            x.splice(at..at, bytes.iter().copied());
            (x, None)
        }
        Mutation::Delete(at, len) => {
            let at = at % b.len();
            let end = (at + len).min(b.len());
            x.drain(at..end);
            (x, None)
        }
        Mutation::Append(bytes) => {
            x.extend(bytes);
            (x, None)
        }
    }
}

fn chunks() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(prop_oneof![1usize..8, 8usize..200, Just(4 << 20)], 1..6)
}

fn bodies() -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec(".{0,40}", 0..6)
}

proptest! {
    #![proptest_config(config())]

    /// Any bytes: a verdict, never a panic, never a read past the end.
    #[test]
    fn dbfile_any_bytes(b in prop::collection::vec(any::<u8>(), 0..600), chunks in chunks()) {
        check_any(&b, &chunks)?;
    }

    /// Bytes that start like a record, so the parser gets past the magic.
    #[test]
    fn dbfile_after_the_magic(tail in prop::collection::vec(any::<u8>(), 0..300), chunks in chunks()) {
        let mut b = MAGIC.to_vec();
        b.extend(tail);
        check_any(&b, &chunks)?;
    }

    /// Header lines: parsed only when they are exactly the grammar.
    #[test]
    fn dbfile_header_lines(
        len in prop_oneof![4 => "[0-9]{0,21}", 1 => "[ +-]?[0-9]{1,5}", 1 => ".{0,6}"],
        hash in prop_oneof![
            2 => "[0-9a-fA-F]{40}",
            1 => "[0-9a-f+ -]{40}",
            // A sign before a hex digit, alone: u8::from_str_radix takes "+f".
            2 => ("[0-9a-f]{40}", prop::collection::vec(0usize..20, 1..3)).prop_map(|(h, at)| {
                let mut h = h.into_bytes();
                for i in at { h[2 * i] = b'+'; }
                String::from_utf8(h).unwrap()
            }),
            1 => "[0-9a-f]{38,42}",
            1 => ".{0,44}",
        ],
        sep in prop_oneof![6 => Just(" "), 1 => Just("  "), 1 => Just("\t"), 1 => Just("")],
        end in prop_oneof![6 => Just("\n"), 1 => Just(""), 1 => Just("\r\n"), 1 => Just(" \n")],
    ) {
        let line = format!("OVSDB JSON {len}{sep}{hash}{end}");
        let strict = sep == " " && end == "\n"
            && (1..=19).contains(&len.len()) && len.bytes().all(|c| c.is_ascii_digit())
            && hash.len() == 40 && hash.bytes().all(|c| c.is_ascii_hexdigit());
        let got = dbfile::parse_header(line.as_bytes());
        prop_assert_eq!(got.is_some(), strict, "{:?}", line);
    }

    /// Valid databases with one structured mutation each: truncation, bit flips, length
    /// fields (huge, zero, signed, off by a few), hash digits, non-UTF-8 bodies,
    /// duplicated, reordered, inserted and deleted bytes.
    #[test]
    fn dbfile_mutated_databases(bodies in bodies(), m in mutation(), chunks in chunks()) {
        let (b, ends) = build_db(&bodies);
        prop_assert!(check_any(&b, &chunks)?.verdict.is_clean());
        let (x, keep) = apply(&b, &ends, &m);
        let i = check_any(&x, &chunks)?;
        if let Some(keep) = keep {
            prop_assert_eq!(i.verdict.intact_bytes(), keep, "{:?}: {:?}", m, i.verdict);
            // (Cut to nothing: empty, not clean.)
            prop_assert_eq!(i.verdict.is_clean(), keep == x.len() as u64 && !x.is_empty());
        }
    }

    /// Two mutations on top of each other.
    #[test]
    fn dbfile_twice_mutated(bodies in bodies(), m1 in mutation(), m2 in mutation(), chunks in chunks()) {
        let (b, ends) = build_db(&bodies);
        let (x, _) = apply(&b, &ends, &m1);
        // Record boundaries of x are not known; mutate it as raw bytes.
        let x2 = match &m2 {
            Mutation::FlipBit(at, bit) if !x.is_empty() => {
                let mut y = x.clone();
                let at = at % y.len();
                y[at] ^= 1 << bit;
                y
            }
            _ => {
                let mut y = x.clone();
                y.truncate(x.len() / 2);
                y
            }
        };
        check_any(&x2, &chunks)?;
    }
}

#[test]
fn dbfile_never_reads_past_the_end_of_a_clean_file() {
    // The reader has a valid record after `size`: reading it would make the file look
    // longer; asking for it at all is the bug (a server appending meanwhile).
    let (b, _) = build_db(&["a".into(), "b".into()]);
    let i = inspect_strict(&b, &[4 << 20]);
    assert_eq!(
        i.verdict,
        Verdict::Clean {
            records: 3,
            bytes: b.len() as u64
        }
    );
}

/// Found reading the code, now covered by `dbfile_header_lines`: `u8::from_str_radix`
/// takes a leading `+`, so a hash
/// with `+` in place of a `0` digit parsed as the same hash and the record counted as
/// intact, while ovsdb (`sha1_from_hex`) rejects the header: ovsdb-server would drop that
/// record and every later one, silently, after `check` said clean.
#[test]
fn regression_plus_sign_in_hash_is_a_bad_header() {
    let (mut b, ends) = build_db(&["a".into(), "b".into()]);
    let (_, hash) = header_fields(&b, &ends, 1);
    // Make the first hex pair of record 1's hash start with '0' by choosing its body.
    let mut body = 0;
    let mut rec;
    loop {
        rec = encode_record(format!(r#"{{"T":{{"n":{body}}}}}"#).as_bytes());
        let nl = rec.iter().position(|c| *c == b'\n').unwrap();
        if rec[nl - 40] == b'0' {
            break;
        }
        body += 1;
    }
    b.splice(ends[0]..ends[1], rec.iter().copied());
    let (_, hash2) = header_fields(&b, &[ends[0], ends[0] + rec.len()], 1);
    assert_eq!(hash, hash2);
    b[hash2] = b'+';
    let v = inspect_reader(&b[..], b.len() as u64).unwrap().verdict;
    assert_eq!(
        v,
        Verdict::Corrupt {
            record: 1,
            offset: ends[0] as u64,
            why: "bad record header".into()
        }
    );
}

/// Found reading the code, now covered by `dbfile_mutated_databases` (`NoNewline`): a
/// schema record whose SHA-1 matches but that does not end
/// in a newline was `Corrupt { record: 0 }` — an intact prefix of no records and no
/// schema — and `repair::plan` panicked on it ("an intact first record has a schema"):
/// `ovn-ocf repair` and the agent's start aborted. It is not an ovsdb file.
#[test]
fn regression_schema_record_without_newline_is_not_ovsdb() {
    for body in [&b"{\"name\":\"OVN_Northbound\"}"[..], b""] {
        let hex: String = Sha1::digest(body)
            .iter()
            .map(|x| format!("{x:02x}"))
            .collect();
        let mut b = format!("OVSDB JSON {} {hex}\n", body.len()).into_bytes();
        b.extend_from_slice(body);
        let i = inspect_reader(&b[..], b.len() as u64).unwrap();
        assert!(
            matches!(i.verdict, Verdict::NotOvsdb { .. }),
            "{:?}",
            i.verdict
        );
        let installed = SchemaId {
            name: "OVN_Northbound".into(),
            version: "7.3.0".into(),
        };
        let steps = repair::plan(
            std::path::Path::new("/x/nb.db"),
            &i,
            &installed,
            Policy::KeepPrefix,
            repair::Compared::Unknown,
            None,
        )
        .unwrap();
        assert_eq!(steps, vec![repair::Step::Recreate]);
    }
}

// ------------------------------------------------------------------ the JSON-RPC decoder

/// Feeds `stream` cut at `cuts` and collects values until the end or the first error.
fn decode(stream: &[u8], cuts: &[usize]) -> (Vec<serde_json::Value>, Option<String>) {
    let mut d = Decoder::default();
    let mut out = vec![];
    let mut points: Vec<usize> = cuts
        .iter()
        .map(|c| c % (stream.len() + 1))
        .chain([stream.len()])
        .collect();
    points.sort_unstable();
    let mut fed = 0;
    for p in points {
        d.feed(&stream[fed..p]);
        fed = p;
        loop {
            match d.next_value() {
                Ok(Some(v)) => {
                    let _ = classify(&v);
                    out.push(v)
                }
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
            assert!(d.buffered() <= stream.len());
        }
        assert!(d.buffered() <= fed);
    }
    (out, None)
}

fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value;
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        // Floats that print and parse back exactly (serde_json without float_roundtrip
        // rounds the last digit of others: a serde_json matter, not the decoder's).
        any::<i32>().prop_map(|i| Value::from(f64::from(i) / 64.0)),
        ".{0,12}".prop_map(Value::String),
        prop_oneof![
            Just("}{\"]".to_string()),
            Just("\\".to_string()),
            Just("\u{7f}\u{0}\n\t".to_string()),
            Just("€𝄞".to_string())
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A JSON-RPC message: always an object or (malformed, but framed) an array.
fn message() -> impl Strategy<Value = serde_json::Value> {
    prop_oneof![
        3 => (any::<u64>(), json_value(), json_value()).prop_map(|(id, r, e)| {
            serde_json::json!({"id": id, "result": r, "error": e})
        }),
        1 => (json_value(), ".{0,8}", json_value()).prop_map(|(id, m, p)| {
            serde_json::json!({"id": id, "method": m, "params": p})
        }),
        1 => prop::collection::vec(json_value(), 0..4).prop_map(serde_json::Value::Array),
        1 => json_value().prop_map(|v| serde_json::json!({"x": v})),
    ]
}

proptest! {
    #![proptest_config(config())]

    /// Any byte stream in any pieces: values, then at most one clean error; no panic.
    #[test]
    fn jsonrpc_any_bytes(stream in prop::collection::vec(any::<u8>(), 0..400), cuts in prop::collection::vec(any::<usize>(), 0..20)) {
        let (vals, _) = decode(&stream, &cuts);
        prop_assert!(vals.len() <= stream.len());
    }

    /// Messages with any whitespace (or none) between them: whole or cut anywhere, the
    /// same messages, in order, equal to what was sent.
    #[test]
    fn jsonrpc_split_invariant(
        msgs in prop::collection::vec(message(), 0..6),
        seps in prop::collection::vec(prop_oneof![Just(""), Just(" "), Just("\n"), Just("\r\n\t ")], 6),
        pretty in any::<bool>(),
        cuts in prop::collection::vec(any::<usize>(), 0..30),
        garbage in prop::option::of(prop_oneof![Just("]"), Just("}"), Just(","), Just("x"), Just("\u{0}")]),
    ) {
        let mut stream = Vec::new();
        for (m, sep) in msgs.iter().zip(&seps) {
            stream.extend(sep.as_bytes());
            if pretty {
                stream.extend(serde_json::to_vec_pretty(m).unwrap());
            } else {
                stream.extend(serde_json::to_vec(m).unwrap());
            }
        }
        if let Some(g) = garbage {
            stream.extend(g.as_bytes());
        }
        let whole = decode(&stream, &[]);
        let split = decode(&stream, &cuts);
        prop_assert_eq!(&whole.0, &msgs);
        prop_assert_eq!(&split.0, &msgs);
        prop_assert_eq!(whole.1.is_some(), garbage.is_some());
        prop_assert_eq!(split.1.is_some(), garbage.is_some());
    }

    /// An incomplete message waits for more, within the limit; one byte at a time too.
    #[test]
    fn jsonrpc_incomplete_waits(m in message(), cut in any::<prop::sample::Index>()) {
        let s = serde_json::to_vec(&m).unwrap();
        let cut = cut.index(s.len()); // strictly inside
        let mut d = Decoder::default();
        d.feed(&s[..cut]);
        prop_assert_eq!(d.next_value(), Ok(None));
        for byte in &s[cut..s.len() - 1] {
            d.feed(std::slice::from_ref(byte));
            prop_assert_eq!(d.next_value(), Ok(None));
        }
        d.feed(&s[s.len() - 1..]);
        prop_assert_eq!(d.next_value(), Ok(Some(m)));
        prop_assert_eq!(d.buffered(), 0);
    }
}

/// Memory is bounded: an unterminated message past MAX_MESSAGE is an error, at the limit
/// it still waits. (Fed in two big pieces to keep the test quick; the decoder scans each
/// byte once, so small reads would cost the same per byte.)
#[test]
fn jsonrpc_unterminated_input_is_bounded() {
    for (open, fill) in [(&b"{\"result\":\""[..], b'a'), (b"[", b' ')] {
        let mut d = Decoder::default();
        let mut first = open.to_vec();
        first.resize(MAX_MESSAGE, fill);
        d.feed(&first);
        assert_eq!(
            d.next_value(),
            Ok(None),
            "{:?} at the limit",
            String::from_utf8_lossy(open)
        );
        d.feed(&[fill]);
        let e = d.next_value().unwrap_err();
        assert!(e.contains("larger than"), "{e}");
    }
    // Nesting: serde_json's recursion limit (128) answers long before the size limit.
    let mut d = Decoder::default();
    d.feed(&[b'['; 4096]);
    assert!(d.next_value().unwrap_err().contains("recursion limit"));
    // Whitespace alone is dropped, not buffered.
    let mut d = Decoder::default();
    d.feed(&vec![b' '; 1 << 20]);
    assert_eq!(d.next_value(), Ok(None));
    assert_eq!(d.buffered(), 0);
}

// ------------------------------------------------------------------ the parameter parser

/// Values for a parameter of `kind`: valid ones, near misses, and hostile ones.
fn raw_value(kind: Kind) -> BoxedStrategy<String> {
    let hostile = prop_oneof![
        Just(String::new()),
        Just(" ".to_string()),
        Just("\t\n".to_string()),
        Just("--opt".to_string()),
        Just("/".to_string()),
        Just("//".to_string()),
        Just("/.".to_string()),
        Just("/./".to_string()),
        Just("/tmp/../etc".to_string()),
        Just("/tmp/x;id".to_string()),
        Just("/tmp/$(id)".to_string()),
        Just("/tmp/`id`".to_string()),
        Just("/tmp/x y".to_string()),
        Just("/tmp/\u{e9}".to_string()),
        Just("/tmp/\u{0}".to_string()),
        Just(format!("/{}", "a".repeat(4095))),
        Just(format!("/{}", "a".repeat(4096))),
        Just("\u{10ffff}".repeat(100)),
        Just("\u{1b}[31m".repeat(30)),
        Just("99999999999999999999".to_string()),
        Just("-9223372036854775808".to_string()),
        Just("9223372036854775807".to_string()),
        Just("+5".to_string()),
        Just("0x10".to_string()),
        Just("1e3".to_string()),
        Just("unix:".to_string()),
        Just("tcp::".to_string()),
        Just("tcp:[::1]:6641".to_string()),
        Just("ssl:1.2.3.4:65535".to_string()),
        Just("tcp:1.2.3.4:6641,unix:/x".to_string()),
        Just(",".to_string()),
        Just("::ffff:1.2.3.4".to_string()),
        Just("fe80::1%eth0".to_string()),
        Just("'\"".to_string()),
        Just("/bin/x ''".to_string()),
        Just("/bin/x \"a b\" 'c'".to_string()),
        any::<String>(),
        "[/a-z0-9._:;,$'\" \\[\\]-]{0,40}",
    ];
    let valid: BoxedStrategy<String> = match kind {
        Kind::AbsPath => "(/[a-zA-Z0-9._+@=,~:-]{1,12}){1,4}/?".boxed(),
        Kind::Port => prop_oneof![1u32..=65535, 0u32..=70000]
            .prop_map(|p| p.to_string())
            .boxed(),
        Kind::IpAddr => prop_oneof![
            any::<std::net::Ipv4Addr>().prop_map(|a| a.to_string()),
            any::<std::net::Ipv6Addr>().prop_map(|a| a.to_string()),
        ]
        .boxed(),
        Kind::Integer { min, max } => prop_oneof![
            min..=max,
            Just(min.saturating_sub(1)),
            Just(max.saturating_add(1)),
            any::<i64>()
        ]
        .prop_map(|i| i.to_string())
        .boxed(),
        Kind::Boolean => prop_oneof![
            "(true|false|yes|no|on|off|1|0|y|n)",
            "(TRUE|False|YES|Off|Y|N|2|maybe)"
        ]
        .boxed(),
        Kind::Choice(choices) => {
            let c: Vec<String> = choices.iter().map(|s| s.to_string()).collect();
            let upper: Vec<String> = choices.iter().map(|s| s.to_ascii_uppercase()).collect();
            prop_oneof![
                prop::sample::select(c.clone()),
                prop::sample::select(upper),
                prop::sample::select(c).prop_map(|s| format!("{s} ")),
            ]
            .boxed()
        }
        Kind::Remote => {
            let one = prop_oneof![
                "unix:(/[a-z0-9._-]{1,8}){1,3}",
                (any::<std::net::Ipv4Addr>(), 0u32..70000)
                    .prop_map(|(a, p)| format!("tcp:{a}:{p}")),
                (any::<std::net::Ipv6Addr>(), 1u32..65536)
                    .prop_map(|(a, p)| format!("ssl:[{a}]:{p}")),
            ];
            prop::collection::vec(one, 1..3)
                .prop_map(|v| v.join(","))
                .boxed()
        }
        Kind::NodeAddrs => {
            let one = prop_oneof![
                ("[a-z0-9._-]{1,8}", any::<std::net::Ipv4Addr>())
                    .prop_map(|(n, a)| format!("{n}={a}")),
                ("[a-zA-Z0-9=._-]{0,8}", any::<std::net::Ipv6Addr>())
                    .prop_map(|(n, a)| format!("{n}=[{a}]")),
            ];
            prop::collection::vec(one, 1..4)
                .prop_map(|v| v.join(" "))
                .boxed()
        }
        Kind::Command => prop_oneof![
            "(/[a-z0-9._-]{1,8}){1,3}( [a-zA-Z0-9=/._-]{0,8}){0,4}",
            "(/[a-z0-9]{1,8}){1,2} '[a-z ;|&$]{0,8}' \"[a-z ;|&]{0,8}\"",
        ]
        .boxed(),
    };
    prop_oneof![3 => valid, 2 => hostile].boxed()
}

/// An environment for `spec`: each parameter unset or some value, plus unknown keys.
fn env_for(spec: &'static AgentSpec) -> BoxedStrategy<BTreeMap<String, String>> {
    let per_param: Vec<BoxedStrategy<Option<(String, String)>>> = spec
        .params
        .iter()
        .map(|p| {
            let name = p.name.to_string();
            prop::option::weighted(0.6, raw_value(p.kind))
                .prop_map(move |v| v.map(|v| (name.clone(), v)))
                .boxed()
        })
        .collect();
    let unknown = prop::collection::btree_map("[a-z_]{1,12}", any::<String>(), 0..4);
    (per_param, unknown)
        .prop_map(|(params, mut env)| {
            env.extend(params.into_iter().flatten());
            env
        })
        .boxed()
}

/// What must hold of a failure: ERR_CONFIGURED, a one-line reason naming a parameter.
fn check_failure(spec: &AgentSpec, f: &Failure) -> Result<(), TestCaseError> {
    prop_assert_eq!(f.status, OcfStatus::ErrConfigured, "{}", f.reason);
    prop_assert!(!f.reason.trim().is_empty());
    prop_assert!(
        spec.params.iter().any(|p| f.reason.contains(p.name)),
        "reason names no parameter: {}",
        f.reason
    );
    prop_assert!(
        !f.reason.chars().any(char::is_control),
        "reason is not one line: {:?}",
        f.reason
    );
    // 64 characters of the value are shown, each escaped to at most 10 bytes.
    prop_assert!(f.reason.len() < 1024, "reason of {} bytes", f.reason.len());
    Ok(())
}

/// parse_with, then the agent's cross-parameter build (what the framework's `configure` runs).
fn configure(
    spec: &'static AgentSpec,
    env: &BTreeMap<String, String>,
) -> Result<(), TestCaseError> {
    let parsed = spec.parse_with(|n| env.get(n).cloned());
    let values = match parsed {
        Ok(v) => v,
        Err(f) => return check_failure(spec, &f),
    };
    // Every parameter given (non-empty) was kept.
    for p in spec.params {
        if env.get(p.name).is_some_and(|v| !v.is_empty()) {
            let kept = values.has(p.name);
            prop_assert!(kept, "{} was given but not kept", p.name);
        } else if p.required {
            prop_assert!(false, "required {} missing but parsed", p.name);
        }
    }
    let built = match spec.name {
        "ovsdb-server" => <ovsdb_server::Config as Agent>::configure(&values).map(|_| ()),
        "ovn-northd" => <ovn_northd::Config as Agent>::configure(&values).map(|_| ()),
        other => panic!("agent {other} has no builder here; add it"),
    };
    if let Err(f) = built {
        check_failure(spec, &f)?;
    }
    Ok(())
}

/// An agent (by name: its table is too long to print with every failure) and an env.
fn agent_env() -> impl Strategy<Value = (&'static str, BTreeMap<String, String>)> {
    let names: Vec<&'static str> = agents::AGENTS.iter().map(|a| a.spec.name).collect();
    prop::sample::select(names).prop_flat_map(|n| (Just(n), env_for(spec_of(n))))
}

fn spec_of(name: &str) -> &'static AgentSpec {
    agents::by_name(name).expect("an agent of AGENTS").spec
}

proptest! {
    #![proptest_config(config())]

    /// Any environment for either agent: Ok, or ERR_CONFIGURED with a reason; no panic.
    #[test]
    fn params_any_environment((agent, env) in agent_env()) {
        configure(spec_of(agent), &env)?;
    }

    /// Each parameter alone against any string.
    #[test]
    fn params_check_value_any_string(i in any::<prop::sample::Index>(), raw in prop_oneof![any::<String>(), ".{0,8}", "[/a-z:.,\\[\\] '\"0-9-]{0,30}"]) {
        let all: Vec<_> = agents::AGENTS.iter().flat_map(|a| a.spec.params).collect();
        let p = all[i.index(all.len())];
        if let Err(f) = check_value(p, &raw) {
            prop_assert!(f.reason.contains(p.name), "{}", f.reason);
            prop_assert_eq!(f.status, OcfStatus::ErrConfigured);
        }
        if let Ok(argv) = split_command(&raw) {
            prop_assert!(!argv.is_empty());
        }
        let _ = check_remote(&raw);
    }
}

/// Found by `params_any_environment`: `db_file=/` passes as an absolute path, but the
/// backup_dir default (beside db_file) has no parent directory to go in, so backup_dir
/// stayed unset and `Config::from_values` panicked ("table gives a default"); with
/// panic=abort the agent died on every action, probes and stop included.
#[test]
fn regression_db_file_root_leaves_backup_dir_unset() {
    let spec = &ovsdb_server::SPEC;
    for db_file in ["/", "//", "/.", "/./"] {
        let env: BTreeMap<String, String> = [("db", "nb"), ("db_file", db_file)]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let r = std::panic::catch_unwind(|| {
            spec.parse_with(|n| env.get(n).cloned())
                .and_then(|v| <ovsdb_server::Config as Agent>::configure(&v).map(|_| ()))
        });
        match r {
            Ok(Ok(())) => {}
            Ok(Err(f)) => assert_eq!(f.status, OcfStatus::ErrConfigured, "{}", f.reason),
            Err(_) => panic!("db_file={db_file:?}: the parser or the config build panicked"),
        }
    }
}

/// Found by `params_any_environment`: a bad remote's reason quotes the whole value
/// (`check_remote` formats it with `{r:?}`, not the 64-character `shown`), so a 4 KiB
/// value of unusual characters gives a 40 KB exit reason, where every other kind stays
/// under 1 KiB (bad_params.rs expects < 512 bytes).
#[test]
fn regression_remote_reason_is_bounded() {
    for spec in agents::AGENTS.iter().map(|a| a.spec) {
        for p in spec.params.iter().filter(|p| p.kind == Kind::Remote) {
            let f = check_value(p, &"\u{10ffff}".repeat(1000)).unwrap_err();
            assert!(
                f.reason.len() < 1024,
                "{}: {} bytes",
                p.name,
                f.reason.len()
            );
        }
    }
}

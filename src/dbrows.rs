//! What a standalone ovsdb file held: the live rows per table, estimated by replaying every
//! record that verifies on its own, also those after a damaged one (the repair keeps only
//! the intact prefix; this tells what the rest held, e.g. how many logical switches an NB
//! had before a rebuild, to compare with what the rebuild made).
//!
//! A record is `OVSDB JSON <len> <sha1>\n<json>\n`; after damage the scan resynchronises on
//! the next header whose record verifies (length, SHA-1, final newline). The first record
//! at offset 0 is the schema; every later one is a transaction: `{"<table>": {"<uuid>":
//! <row> | null, ...}, "_date": ..., ...}`, where a row object inserts or modifies (a diff
//! record's row holds the changed columns only) and null deletes.
//!
//! An estimate: a row inserted in a lost record and never written again is missed, one
//! deleted in a lost record is still counted. Never writes, never prints, never allocates
//! by a length read from the file (a record over [`SMALL`] is hashed and parsed as it
//! streams), and never panics on bad input: what does not verify or parse is skipped and
//! counted.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::fs::File;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use sha1::{Digest, Sha1};

use crate::dbfile::{MAX_HEADER, parse_header};
use crate::ocf::Deadline;

const MAGIC: &[u8] = b"OVSDB JSON ";
/// Records up to this size are read whole into one buffer; bigger ones stream.
pub const SMALL: usize = 1 << 20;
/// Bytes read at a time while looking for the next header.
const SCAN: usize = 64 << 10;

/// What a file held, as far as its verified records tell.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LiveRows {
    /// Live rows per table asked for (0 for a table no record names).
    pub rows: BTreeMap<String, u64>,
    /// Whether the schema record (the first, at offset 0) verified.
    pub schema: bool,
    /// Transaction records that verified and were replayed.
    pub records: u64,
    /// Records skipped: a header was found but its record did not verify (length past the
    /// end, SHA-1, final newline), or it verified but is no transaction.
    pub skipped_records: u64,
    /// Bytes in no replayed record or schema: damage, garbage, a torn tail, the records
    /// skipped.
    pub skipped_bytes: u64,
}

/// The live rows of `tables` (empty: every table) in the file at `path`. Err on I/O, and
/// with `ErrorKind::TimedOut` once `deadline` passes (checked between records).
pub fn live_rows(path: &Path, tables: &[&str], deadline: Deadline) -> io::Result<LiveRows> {
    let f = File::open(path)?;
    let size = f.metadata()?.len();
    replay(&f, size, tables, deadline)
}

/// [`live_rows`] of bytes in memory.
pub fn live_rows_in(bytes: &[u8], tables: &[&str], deadline: Deadline) -> io::Result<LiveRows> {
    replay(&Bytes(bytes), bytes.len() as u64, tables, deadline)
}

/// Where the bytes are: positioned reads only (a scan goes back after damage).
trait Source {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize>;
}

impl Source for File {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        FileExt::read_at(self, buf, offset)
    }
}

struct Bytes<'a>(&'a [u8]);

impl Source for Bytes<'_> {
    fn read_at(&self, buf: &mut [u8], offset: u64) -> io::Result<usize> {
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(self.0.len());
        let n = buf.len().min(self.0.len() - start);
        buf[..n].copy_from_slice(&self.0[start..start + n]);
        Ok(n)
    }
}

/// Reads `buf.len()` bytes at `offset`, or fewer at the end; the count.
fn read_full_at(src: &dyn Source, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match src.read_at(&mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// A byte range of a source as a reader.
struct Range<'a> {
    src: &'a dyn Source,
    at: u64,
    end: u64,
}

impl Read for Range<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let want = usize::try_from(self.end - self.at)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self.src.read_at(&mut buf[..want], self.at)?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        self.at += n as u64;
        Ok(n)
    }
}

/// One row's fate in a record, by table index (into the tables asked for, or the names
/// seen when every table is asked for) and uuid.
type Change = (usize, u128, bool);

/// The tables counted and their live rows.
struct Tables {
    /// None: every table, named as records name them.
    wanted: Option<Vec<String>>,
    names: Vec<String>,
    live: Vec<BTreeSet<u128>>,
}

impl Tables {
    fn new(tables: &[&str]) -> Tables {
        let names: Vec<String> = tables.iter().map(|t| t.to_string()).collect();
        Tables {
            wanted: (!tables.is_empty()).then(|| names.clone()),
            live: vec![BTreeSet::new(); names.len()],
            names,
        }
    }

    /// The index of `table` if it is counted (every table: added when first seen).
    fn index(&mut self, table: &str) -> Option<usize> {
        if let Some(i) = self.names.iter().position(|n| n == table) {
            return Some(i);
        }
        if self.wanted.is_some() || table.starts_with('_') {
            return None;
        }
        self.names.push(table.to_string());
        self.live.push(BTreeSet::new());
        Some(self.names.len() - 1)
    }

    fn apply(&mut self, changes: Vec<Change>) {
        for (t, uuid, present) in changes {
            if present {
                self.live[t].insert(uuid);
            } else {
                self.live[t].remove(&uuid);
            }
        }
    }

    fn counts(&self) -> BTreeMap<String, u64> {
        self.names
            .iter()
            .zip(&self.live)
            .map(|(n, l)| (n.clone(), l.len() as u64))
            .collect()
    }
}

/// What is at an offset.
enum At {
    /// A record that verifies, ending at `end`; its body is `body` bytes from `start`.
    Record { start: u64, len: u64, end: u64 },
    /// A header whose record does not verify.
    Damaged,
    /// No header.
    Nothing,
}

fn replay(
    src: &dyn Source,
    size: u64,
    tables: &[&str],
    deadline: Deadline,
) -> io::Result<LiveRows> {
    let mut t = Tables::new(tables);
    let mut out = LiveRows::default();
    let mut small = Vec::new();
    let mut pos = 0u64;
    while pos < size {
        if deadline.expired() {
            return Err(timed_out(pos, size));
        }
        match record_at(src, pos, size, &mut small, deadline)? {
            At::Record { start, len, end } => {
                if pos == 0 {
                    out.schema = true;
                } else {
                    let parsed = if small.len() as u64 == len {
                        changes(&mut serde_json::Deserializer::from_slice(&small), &mut t)
                    } else {
                        let r = BufReader::with_capacity(
                            SCAN,
                            Range {
                                src,
                                at: start,
                                end: start + len,
                            },
                        );
                        changes(&mut serde_json::Deserializer::from_reader(r), &mut t)
                    };
                    match parsed {
                        Some(c) => {
                            t.apply(c);
                            out.records += 1;
                        }
                        None => {
                            out.skipped_records += 1;
                            out.skipped_bytes += end - pos;
                        }
                    }
                }
                pos = end;
            }
            damage => {
                if matches!(damage, At::Damaged) {
                    out.skipped_records += 1;
                }
                let next = next_magic(src, pos + 1, size)?.unwrap_or(size);
                out.skipped_bytes += next - pos;
                pos = next;
            }
        }
    }
    out.rows = t.counts();
    Ok(out)
}

fn timed_out(pos: u64, size: u64) -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        format!("counting rows: the deadline passed at offset {pos} of {size}"),
    )
}

/// The record at `pos`, verified; a body of at most [`SMALL`] bytes is left in `small`.
fn record_at(
    src: &dyn Source,
    pos: u64,
    size: u64,
    small: &mut Vec<u8>,
    deadline: Deadline,
) -> io::Result<At> {
    let mut head = [0u8; MAX_HEADER];
    let n = read_full_at(src, &mut head, pos)?;
    let head = &head[..n];
    if !head.starts_with(MAGIC) {
        return Ok(At::Nothing);
    }
    let Some(nl) = head.iter().position(|b| *b == b'\n') else {
        return Ok(At::Damaged);
    };
    let Some((len, sha)) = parse_header(&head[..=nl]) else {
        return Ok(At::Damaged);
    };
    let start = pos + nl as u64 + 1;
    let end = match start.checked_add(len) {
        Some(e) if e <= size && len > 0 => e,
        _ => return Ok(At::Damaged),
    };
    let mut h = Sha1::new();
    let last;
    small.clear();
    if len <= SMALL as u64 {
        small.resize(len as usize, 0);
        if read_full_at(src, small, start)? != small.len() {
            return Ok(At::Damaged);
        }
        h.update(&small[..]);
        last = small.last().copied();
    } else {
        let mut buf = vec![0u8; SMALL];
        let mut at = start;
        let mut tail = None;
        while at < end {
            // A length field as long as the file is hashed to the end: bounded too.
            if deadline.expired() {
                return Err(timed_out(at, size));
            }
            let want = usize::try_from(end - at).map_or(SMALL, |w| w.min(SMALL));
            let k = read_full_at(src, &mut buf[..want], at)?;
            if k == 0 {
                return Ok(At::Damaged);
            }
            h.update(&buf[..k]);
            tail = Some(buf[k - 1]);
            at += k as u64;
        }
        last = tail;
    }
    if h.finalize().as_slice() != sha || last != Some(b'\n') {
        return Ok(At::Damaged);
    }
    Ok(At::Record { start, len, end })
}

/// The offset of the next `OVSDB JSON ` at or after `from`, if any.
fn next_magic(src: &dyn Source, from: u64, size: u64) -> io::Result<Option<u64>> {
    let mut buf = vec![0u8; SCAN];
    let mut at = from;
    while at < size {
        let n = read_full_at(src, &mut buf, at)?;
        if n == 0 {
            break;
        }
        let hay = &buf[..n];
        if let Some(i) = hay.windows(MAGIC.len()).position(|w| w == MAGIC) {
            return Ok(Some(at + i as u64));
        }
        if n < MAGIC.len() || at + (n as u64) >= size {
            break;
        }
        // The next window overlaps this one's last bytes: a header across the seam.
        at += (n - (MAGIC.len() - 1)) as u64;
    }
    Ok(None)
}

/// A transaction's row changes, or None if it is not one (then nothing of it applies).
fn changes<'de, D>(de: &mut serde_json::Deserializer<D>, t: &mut Tables) -> Option<Vec<Change>>
where
    D: serde_json::de::Read<'de>,
{
    let mut out = Vec::new();
    Txn {
        tables: t,
        out: &mut out,
    }
    .deserialize(&mut *de)
    .ok()?;
    de.end().ok()?;
    Some(out)
}

/// The top level of a transaction: tables, and `_date`, `_comment`, `_is_diff`, ...
struct Txn<'a> {
    tables: &'a mut Tables,
    out: &'a mut Vec<Change>,
}

impl<'de> DeserializeSeed<'de> for Txn<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Txn<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a transaction object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key::<String>()? {
            match self.tables.index(&key) {
                Some(table) => m.next_value_seed(Rows {
                    table,
                    out: &mut *self.out,
                })?,
                None => {
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// One table's rows in a transaction: uuid → row object or null.
struct Rows<'a> {
    table: usize,
    out: &'a mut Vec<Change>,
}

impl<'de> DeserializeSeed<'de> for Rows<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Rows<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object of rows by uuid")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        while let Some(key) = m.next_key::<String>()? {
            let uuid = parse_uuid(&key)
                .ok_or_else(|| de::Error::invalid_value(de::Unexpected::Str(&key), &"a uuid"))?;
            let Row(present) = m.next_value()?;
            self.out.push((self.table, uuid, present));
        }
        Ok(())
    }
}

/// A row object (true) or null (false).
struct Row(bool);

impl<'de> de::Deserialize<'de> for Row {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Row, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Row;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a row object or null")
            }
            fn visit_unit<E: de::Error>(self) -> Result<Row, E> {
                Ok(Row(false))
            }
            fn visit_none<E: de::Error>(self) -> Result<Row, E> {
                Ok(Row(false))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Row, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Row(true))
            }
        }
        d.deserialize_any(V)
    }
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex, either case) as a number.
fn parse_uuid(s: &str) -> Option<u128> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut v = 0u128;
    for (i, c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if *c != b'-' {
                return None;
            }
            continue;
        }
        let d = (*c as char).to_digit(16)?;
        v = (v << 4) | u128::from(d);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dbfile::encode_record;
    use std::time::Duration;

    const SCHEMA: &str = r#"{"name":"N","version":"1.0.0","tables":{"LS":{"columns":{"name":{"type":"string"}}},"LR":{"columns":{}}}}"#;

    fn dl() -> Deadline {
        Deadline::after(Duration::from_secs(60))
    }

    fn u(i: u32) -> String {
        format!("{i:08x}-0000-4000-8000-00000000000{}", i % 10)
    }

    fn txn(body: &str) -> Vec<u8> {
        encode_record(format!(r#"{{{body},"_date":1700000000000,"_is_diff":true}}"#).as_bytes())
    }

    /// The schema and: ls 1..=4 inserted one per record, ls 2 modified, ls 3 deleted, lr 1.
    fn file() -> (Vec<u8>, Vec<usize>) {
        let mut b = encode_record(SCHEMA.as_bytes());
        let mut ends = vec![b.len()];
        let mut push = |r: Vec<u8>, b: &mut Vec<u8>| {
            b.extend(r);
            ends.push(b.len());
        };
        for i in 1..=4 {
            push(
                txn(&format!(r#""LS":{{"{}":{{"name":"ls{i}"}}}}"#, u(i))),
                &mut b,
            );
        }
        push(
            txn(&format!(r#""LS":{{"{}":{{"name":"two"}}}}"#, u(2))),
            &mut b,
        );
        push(txn(&format!(r#""LS":{{"{}":null}}"#, u(3))), &mut b);
        push(
            txn(&format!(
                r#""LR":{{"{}":{{}}}},"_comment":"ovn-nbctl: lr-add""#,
                u(9)
            )),
            &mut b,
        );
        (b, ends)
    }

    fn rows(r: &LiveRows) -> Vec<(&str, u64)> {
        r.rows.iter().map(|(k, v)| (k.as_str(), *v)).collect()
    }

    #[test]
    fn replays_inserts_modifies_and_deletes() {
        let (b, _) = file();
        let r = live_rows_in(&b, &["LS", "LR", "NB_Global"], dl()).unwrap();
        assert_eq!(rows(&r), vec![("LR", 1), ("LS", 3), ("NB_Global", 0)]);
        assert_eq!((r.schema, r.records, r.skipped_records), (true, 7, 0));
        assert_eq!(r.skipped_bytes, 0);
        // Every table: as the records name them.
        let all = live_rows_in(&b, &[], dl()).unwrap();
        assert_eq!(rows(&all), vec![("LR", 1), ("LS", 3)]);
    }

    #[test]
    fn records_after_a_damaged_one_are_replayed() {
        let (b, ends) = file();
        // Record 2 (ls2's insert) damaged in its body: its modify (record 5) still counts
        // ls2; only record 2 is skipped.
        let mut x = b.clone();
        x[ends[1] + 80] ^= 0x20;
        let r = live_rows_in(&x, &["LS", "LR"], dl()).unwrap();
        assert_eq!(rows(&r), vec![("LR", 1), ("LS", 3)]);
        assert_eq!((r.records, r.skipped_records), (6, 1));
        assert_eq!(r.skipped_bytes, (ends[2] - ends[1]) as u64);
        // Record 4 (ls4) damaged in its header: the scan finds record 5 after it.
        let mut x = b.clone();
        x[ends[3] + 3] = b'X';
        let r = live_rows_in(&x, &["LS"], dl()).unwrap();
        assert_eq!(rows(&r), vec![("LS", 2)]);
        assert_eq!((r.records, r.skipped_records), (6, 0));
        // Garbage spliced in between records (and at the end), "OVSDB JSON " in it too.
        let junk = b"\x00\xffOVSDB JSON 12 zz\nOVSDB JSON 5 0000000000000000000000000000000000000000\nabcd\n";
        let mut x = b[..ends[2]].to_vec();
        x.extend_from_slice(junk);
        x.extend_from_slice(&b[ends[2]..]);
        x.extend_from_slice(&junk[..20]);
        let r = live_rows_in(&x, &["LS", "LR"], dl()).unwrap();
        assert_eq!(rows(&r), vec![("LR", 1), ("LS", 3)]);
        assert_eq!(r.records, 7);
        assert_eq!(r.skipped_bytes, (junk.len() + 20) as u64);
        // The schema damaged: the transactions still count.
        let mut x = b.clone();
        x[30] ^= 1;
        let r = live_rows_in(&x, &["LS"], dl()).unwrap();
        assert!(!r.schema);
        assert_eq!(rows(&r), vec![("LS", 3)]);
        // A torn tail: the last record is skipped as bytes.
        let r = live_rows_in(&b[..b.len() - 3], &["LR"], dl()).unwrap();
        assert_eq!(rows(&r), vec![("LR", 0)]);
        assert_eq!(
            r.skipped_records, 1,
            "its header is there, its record is not"
        );
    }

    #[test]
    fn records_that_verify_but_are_no_transaction_are_skipped_whole() {
        let mut b = encode_record(SCHEMA.as_bytes());
        let bad = [
            encode_record(b"[1,2]"),
            encode_record(br#"{"LS":{"not-a-uuid":{}}}"#),
            encode_record(br#"{"LS":{"00000001-0000-4000-8000-000000000001":5}}"#),
            encode_record(br#"{"LS":[]}"#),
            encode_record(br#"{"LS":{}} trailing"#),
            // Half applied would be wrong: a good row before a bad one counts for nothing.
            encode_record(br#"{"LS":{"00000001-0000-4000-8000-000000000001":{}},"LR":{"x":null}}"#),
        ];
        for r in &bad {
            b.extend_from_slice(r);
        }
        b.extend(txn(&format!(r#""LS":{{"{}":{{}}}}"#, u(7))));
        let r = live_rows_in(&b, &["LS", "LR"], dl()).unwrap();
        assert_eq!(rows(&r), vec![("LR", 0), ("LS", 1)]);
        assert_eq!(
            (r.records, r.skipped_records),
            (1, bad.len() as u64),
            "{r:?}"
        );
    }

    #[test]
    fn big_records_stream_and_huge_lengths_do_not_allocate() {
        let mut b = encode_record(SCHEMA.as_bytes());
        let mut body = String::from(r#"{"LS":{"#);
        let mut i = 0u32;
        while body.len() < 3 * SMALL {
            if i > 0 {
                body.push(',');
            }
            body.push_str(&format!(r#""{}":{{"name":"{}"}}"#, u(i), "x".repeat(200)));
            i += 1;
        }
        body.push_str("}}");
        b.extend(encode_record(body.as_bytes()));
        let r = live_rows_in(&b, &["LS"], dl()).unwrap();
        assert_eq!(rows(&r), vec![("LS", u64::from(i))]);
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("big.db");
        std::fs::write(&p, &b).unwrap();
        assert_eq!(live_rows(&p, &["LS"], dl()).unwrap(), r);
        // A length field of 10^19 - 1: damaged, not an allocation.
        let mut x = encode_record(SCHEMA.as_bytes());
        x.extend_from_slice(
            b"OVSDB JSON 9999999999999999999 0000000000000000000000000000000000000000\n{}\n",
        );
        let r = live_rows_in(&x, &["LS"], dl()).unwrap();
        assert_eq!(r.skipped_records, 1);
    }

    #[test]
    fn the_deadline_ends_it() {
        let (b, _) = file();
        let e = live_rows_in(&b, &["LS"], Deadline::after(Duration::ZERO)).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::TimedOut);
        assert_eq!(
            live_rows(Path::new("/nonexistent/x.db"), &[], dl())
                .unwrap_err()
                .kind(),
            io::ErrorKind::NotFound
        );
    }

    #[test]
    fn uuids() {
        assert_eq!(
            parse_uuid("0000000a-0000-0000-0000-0000000000FF"),
            Some((10u128 << 96) | 0xff)
        );
        for bad in [
            "",
            "0000000a-0000-0000-0000-0000000000F",
            "0000000a+0000-0000-0000-0000000000FF",
            "0000000g-0000-0000-0000-0000000000FF",
            "é000000a-0000-0000-0000-0000000000F",
        ] {
            assert_eq!(parse_uuid(bad), None, "{bad}");
        }
    }

    mod fuzz {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

            /// Random bytes: no panic, and every byte is in a record or skipped.
            #[test]
            fn garbage(b in proptest::collection::vec(any::<u8>(), 0..2000)) {
                let r = live_rows_in(&b, &["LS"], dl()).unwrap();
                prop_assert!(r.skipped_bytes <= b.len() as u64);
            }

            /// A valid file with bytes flipped, cut, or spliced: no panic; never more
            /// records than the file has; every byte accounted for at most once.
            #[test]
            fn mutated(
                flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 0..6),
                cut in any::<prop::sample::Index>(),
                splice in proptest::collection::vec(any::<u8>(), 0..64),
                at in any::<prop::sample::Index>(),
            ) {
                let (mut b, ends) = file();
                for (i, x) in &flips {
                    let i = i.index(b.len());
                    b[i] ^= x;
                }
                let at = at.index(b.len());
                b.splice(at..at, splice.iter().copied());
                b.truncate(cut.index(b.len() + 1));
                let r = live_rows_in(&b, &["LS", "LR"], dl()).unwrap();
                prop_assert!(r.records < ends.len() as u64);
                prop_assert!(r.skipped_bytes <= b.len() as u64);
                prop_assert!(r.rows["LS"] <= 4 && r.rows["LR"] <= 1, "{:?}", r);
            }
        }
    }
}

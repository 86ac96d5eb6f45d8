//! Reads and verifies standalone ovsdb database files, streaming: a sequence of records
//! `OVSDB JSON <len> <sha1-hex>\n<json>\n`, where `<len>` counts the JSON text and its
//! newline and the SHA-1 covers exactly those bytes. The first record is the schema.
//!
//! Never writes a file. Never allocates by a length read from the file (a damaged length
//! field cannot make it allocate or read past the end), hashes record bodies in place from
//! the read buffer, and reads each byte once.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sha1::{Digest, Sha1};

/// What a file is, as far as its records go.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Verdict {
    /// Every record verifies. `records` counts the schema too.
    Clean { records: u64, bytes: u64 },
    /// The last record is incomplete (a write cut short): `records` records, `offset`
    /// bytes, are intact.
    TornTail { records: u64, offset: u64 },
    /// Record number `record` (0 = schema) at `offset` is damaged (`why`); the records
    /// before it, `offset` bytes, are intact.
    Corrupt {
        record: u64,
        offset: u64,
        why: String,
    },
    /// No such file.
    Missing,
    /// Zero bytes.
    Empty,
    /// A clustered (RAFT) database: not ours to repair.
    Clustered,
    /// Does not start with an intact ovsdb record.
    NotOvsdb { why: String },
}

impl Verdict {
    /// One word per kind (tests and manifests key on it).
    pub fn kind(&self) -> &'static str {
        match self {
            Verdict::Clean { .. } => "clean",
            Verdict::TornTail { .. } => "torn-tail",
            Verdict::Corrupt { .. } => "corrupt",
            Verdict::Missing => "missing",
            Verdict::Empty => "empty",
            Verdict::Clustered => "clustered",
            Verdict::NotOvsdb { .. } => "not-ovsdb",
        }
    }

    pub fn is_clean(&self) -> bool {
        matches!(self, Verdict::Clean { .. })
    }

    /// Bytes at the start of the file that are intact records.
    pub fn intact_bytes(&self) -> u64 {
        match self {
            Verdict::Clean { bytes, .. } => *bytes,
            Verdict::TornTail { offset, .. } | Verdict::Corrupt { offset, .. } => *offset,
            _ => 0,
        }
    }

    /// Intact records (the schema counts as one).
    pub fn intact_records(&self) -> u64 {
        match self {
            Verdict::Clean { records, .. }
            | Verdict::TornTail { records, .. }
            | Verdict::Corrupt {
                record: records, ..
            } => *records,
            _ => 0,
        }
    }

    /// One line for people.
    pub fn describe(&self) -> String {
        match self {
            Verdict::Clean { records, bytes } => {
                format!("clean: {records} records, {bytes} bytes")
            }
            Verdict::TornTail { records, offset } => format!(
                "torn tail: the last record is incomplete; {records} records ({offset} bytes) intact"
            ),
            Verdict::Corrupt {
                record,
                offset,
                why,
            } => format!("corrupt record {record} at offset {offset}: {why}"),
            Verdict::Missing => "missing".into(),
            Verdict::Empty => "empty (0 bytes)".into(),
            Verdict::Clustered => "a clustered database".into(),
            Verdict::NotOvsdb { why } => format!("not an ovsdb file: {why}"),
        }
    }
}

/// The schema's identity, from the first record.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SchemaId {
    pub name: String,
    pub version: String,
}

/// The result of reading a file once.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Inspection {
    pub verdict: Verdict,
    /// File size in bytes (as read: at most the limit given).
    pub size: u64,
    /// The schema of the first record, if that record is intact.
    pub schema: Option<SchemaId>,
}

const MAGIC: &[u8] = b"OVSDB JSON ";
const CLUSTER_MAGIC: &[u8] = b"OVSDB CLUSTER ";
/// "OVSDB JSON " + 20 digits + " " + 40 hex + "\n" fits easily.
const MAX_HEADER: usize = 128;
/// The schema record is kept in memory to read its name and version.
const MAX_SCHEMA: u64 = 64 << 20;
const BUF: usize = 4 << 20;

/// Parses a header line (with its `\n`): the body length and the SHA-1.
pub fn parse_header(line: &[u8]) -> Option<(u64, [u8; 20])> {
    let rest = line.strip_prefix(MAGIC)?.strip_suffix(b"\n")?;
    let sp = rest.iter().position(|b| *b == b' ')?;
    let (len, hash) = (&rest[..sp], &rest[sp + 1..]);
    // Hex digits only: `from_str_radix` would also take a sign ("+f"), ovsdb does not.
    if len.is_empty()
        || len.len() > 19
        || !len.iter().all(u8::is_ascii_digit)
        || hash.len() != 40
        || !hash.iter().all(u8::is_ascii_hexdigit)
    {
        return None;
    }
    let len = std::str::from_utf8(len).ok()?.parse().ok()?;
    let mut sha = [0u8; 20];
    for (i, b) in sha.iter_mut().enumerate() {
        let hex = std::str::from_utf8(&hash[i * 2..i * 2 + 2]).ok()?;
        *b = u8::from_str_radix(hex, 16).ok()?;
    }
    Some((len, sha))
}

fn schema_id(json: &[u8]) -> Option<SchemaId> {
    let v: serde_json::Value = serde_json::from_slice(json).ok()?;
    Some(SchemaId {
        name: v.get("name")?.as_str()?.to_string(),
        version: v
            .get("version")
            .and_then(|x| x.as_str())
            .unwrap_or("0.0.0")
            .to_string(),
    })
}

/// Reads the file once and classifies it. `limit`: read at most that many bytes (the size
/// seen when a check started, so a server appending meanwhile does not look torn).
pub fn inspect(path: &Path, limit: Option<u64>) -> std::io::Result<Inspection> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(Inspection {
                verdict: Verdict::Missing,
                size: 0,
                schema: None,
            });
        }
        Err(e) => return Err(e),
    };
    let len = f.metadata()?.len();
    let size = limit.map_or(len, |l| l.min(len));
    inspect_reader(f.take(size), size)
}

/// [`inspect`] over the first `size` bytes of a reader; never asks it for more (a file
/// a server appends to meanwhile is read as it was).
pub fn inspect_reader(r: impl Read, size: u64) -> std::io::Result<Inspection> {
    let mut r = BufReader::with_capacity(BUF, r.take(size));
    let mut out = Inspection {
        verdict: Verdict::Empty,
        size,
        schema: None,
    };
    if size == 0 {
        return Ok(out);
    }
    let mut offset = 0u64;
    let mut records = 0u64;
    let mut line = Vec::with_capacity(MAX_HEADER);
    let mut schema_json = Vec::new();
    out.verdict = loop {
        line.clear();
        let n = (&mut r)
            .take(MAX_HEADER as u64)
            .read_until(b'\n', &mut line)? as u64;
        if n == 0 {
            break Verdict::Clean {
                records,
                bytes: offset,
            };
        }
        if records == 0 && line.starts_with(CLUSTER_MAGIC) {
            break Verdict::Clustered;
        }
        let Some((body_len, sha)) = parse_header(&line) else {
            let at_eof = offset + n == size && !line.ends_with(b"\n");
            let prefix_of_magic = MAGIC.starts_with(&line[..line.len().min(MAGIC.len())]);
            break if at_eof && prefix_of_magic {
                torn(records, offset)
            } else if records == 0 {
                Verdict::NotOvsdb {
                    why: "no ovsdb record header at the start".into(),
                }
            } else {
                Verdict::Corrupt {
                    record: records,
                    offset,
                    why: "bad record header".into(),
                }
            };
        };
        if body_len > size - offset - n {
            break torn(records, offset);
        }
        // Hash the body straight from the read buffer.
        let mut hasher = Sha1::new();
        let mut left = body_len;
        let keep_schema = records == 0 && body_len <= MAX_SCHEMA;
        let mut last = 0u8;
        while left > 0 {
            let buf = r.fill_buf()?;
            if buf.is_empty() {
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            let take = buf.len().min(left as usize);
            hasher.update(&buf[..take]);
            if keep_schema {
                schema_json.extend_from_slice(&buf[..take]);
            }
            last = buf[take - 1];
            r.consume(take);
            left -= take as u64;
        }
        if hasher.finalize().as_slice() != sha {
            break if records == 0 {
                Verdict::NotOvsdb {
                    why: "the schema record's SHA-1 does not match".into(),
                }
            } else {
                Verdict::Corrupt {
                    record: records,
                    offset,
                    why: "SHA-1 mismatch".into(),
                }
            };
        }
        if body_len == 0 || last != b'\n' {
            // A damaged schema record leaves no intact prefix: not an ovsdb file.
            break if records == 0 {
                Verdict::NotOvsdb {
                    why: "the schema record does not end in a newline".into(),
                }
            } else {
                Verdict::Corrupt {
                    record: records,
                    offset,
                    why: "record does not end in a newline".into(),
                }
            };
        }
        if records == 0 {
            out.schema = schema_id(&schema_json);
            if out.schema.is_none() {
                break Verdict::NotOvsdb {
                    why: "the first record is not an ovsdb schema".into(),
                };
            }
            schema_json = Vec::new();
        }
        offset += n + body_len;
        records += 1;
    };
    Ok(out)
}

fn torn(records: u64, offset: u64) -> Verdict {
    if records == 0 {
        Verdict::NotOvsdb {
            why: "the schema record is incomplete".into(),
        }
    } else {
        Verdict::TornTail { records, offset }
    }
}

/// One record in the file format: header and body for `json` (which must not contain a
/// newline; one is appended).
pub fn encode_record(json: &[u8]) -> Vec<u8> {
    let mut body = json.to_vec();
    body.push(b'\n');
    let hex: String = Sha1::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut v = format!("OVSDB JSON {} {hex}\n", body.len()).into_bytes();
    v.extend_from_slice(&body);
    v
}

/// Compares dotted schema versions ("7.0.0" < "7.1.0"); non-numbers count as 0.
pub fn version_cmp(a: &str, b: &str) -> std::cmp::Ordering {
    let parse = |s: &str| -> Vec<u64> { s.split('.').map(|p| p.parse().unwrap_or(0)).collect() };
    let (mut x, mut y) = (parse(a), parse(b));
    let n = x.len().max(y.len());
    x.resize(n, 0);
    y.resize(n, 0);
    x.cmp(&y)
}

/// The schema of a database file, reading only its first record (verified).
pub fn file_schema(path: &Path) -> std::io::Result<Option<SchemaId>> {
    let f = File::open(path)?;
    let mut r = BufReader::new(f);
    let mut line = Vec::with_capacity(MAX_HEADER);
    (&mut r)
        .take(MAX_HEADER as u64)
        .read_until(b'\n', &mut line)?;
    let Some((len, _)) = parse_header(&line) else {
        return Ok(None);
    };
    if len > MAX_SCHEMA {
        return Ok(None);
    }
    let first = line.len() as u64 + len;
    let f = File::open(path)?;
    Ok(inspect_reader(f.take(first), first)?.schema)
}

/// The name and version of a schema file (`.ovsschema`).
pub fn schema_file_id(path: &Path) -> std::io::Result<SchemaId> {
    let bytes = std::fs::read(path)?;
    schema_id(&bytes)
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, "not an ovsdb schema"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{"name":"S","version":"1.2.3","tables":{}}"#;

    fn inspect_bytes(b: &[u8]) -> Inspection {
        inspect_reader(b, b.len() as u64).unwrap()
    }

    fn db(n: usize) -> Vec<u8> {
        let mut v = encode_record(SCHEMA.as_bytes());
        for i in 0..n {
            v.extend(encode_record(
                format!(r#"{{"T":{{"{i}":{{"x":"a\"b"}}}}}}"#).as_bytes(),
            ));
        }
        v
    }

    #[test]
    fn clean_with_schema_identity() {
        let b = db(3);
        let i = inspect_bytes(&b);
        assert_eq!(
            i.verdict,
            Verdict::Clean {
                records: 4,
                bytes: b.len() as u64
            }
        );
        assert_eq!(
            i.schema,
            Some(SchemaId {
                name: "S".into(),
                version: "1.2.3".into()
            })
        );
    }

    #[test]
    fn torn_tail_at_every_byte_of_the_last_record() {
        let b = db(2);
        let keep = db(1).len();
        for cut in keep + 1..b.len() {
            let i = inspect_bytes(&b[..cut]);
            assert_eq!(
                i.verdict,
                Verdict::TornTail {
                    records: 2,
                    offset: keep as u64
                },
                "cut {cut}"
            );
        }
        assert!(inspect_bytes(&b[..keep]).verdict.is_clean());
    }

    #[test]
    fn every_single_bit_flip_is_caught_and_the_prefix_is_right() {
        let b = db(2);
        let r1 = encode_record(SCHEMA.as_bytes()).len();
        let r2 = db(1).len();
        // Where each record's 40 hex digits of SHA-1 sit (just before its header's \n).
        let hash_hex: Vec<std::ops::Range<usize>> = [0, r1, r2]
            .iter()
            .map(|&start| {
                let nl = start + b[start..].iter().position(|c| *c == b'\n').unwrap();
                nl - 40..nl
            })
            .collect();
        for at in 0..b.len() {
            for bit in 0..8 {
                let mut x = b.clone();
                x[at] ^= 1 << bit;
                let v = inspect_bytes(&x).verdict;
                // ovsdb reads the hash's hex case-insensitively (checked with
                // ovsdb-tool show-log): a case flip of a hex letter is no damage.
                let case_only = hash_hex.iter().any(|r| r.contains(&at))
                    && b[at].is_ascii_alphabetic()
                    && x[at].eq_ignore_ascii_case(&b[at]);
                if case_only {
                    assert!(v.is_clean(), "flip at {at}: {v:?}");
                    continue;
                }
                assert!(!v.is_clean(), "flip at {at} bit {bit} not caught");
                let expect = if at < r1 {
                    0
                } else if at < r2 {
                    r1
                } else {
                    r2
                } as u64;
                assert!(
                    v.intact_bytes() <= expect,
                    "flip at {at}: {v:?} keeps too much"
                );
                if at >= r1 {
                    assert_eq!(v.intact_bytes(), expect, "flip at {at} bit {bit}: {v:?}");
                }
            }
        }
    }

    #[test]
    fn other_kinds() {
        assert_eq!(inspect_bytes(b"").verdict, Verdict::Empty);
        assert_eq!(
            inspect_bytes(b"OVSDB CLUSTER 12 abc\n").verdict,
            Verdict::Clustered
        );
        assert!(matches!(
            inspect_bytes(b"hello world\n").verdict,
            Verdict::NotOvsdb { .. }
        ));
        assert!(matches!(
            inspect_bytes(b"OVSDB JSON 5").verdict,
            Verdict::NotOvsdb { .. }
        ));
        let not_schema = encode_record(b"[1,2,3]");
        assert!(matches!(
            inspect_bytes(&not_schema).verdict,
            Verdict::NotOvsdb { .. }
        ));
        let d = tempfile::tempdir().unwrap();
        assert_eq!(
            inspect(&d.path().join("nope"), None).unwrap().verdict,
            Verdict::Missing
        );
    }

    #[test]
    fn huge_length_field_is_torn_not_an_allocation() {
        let mut b = encode_record(SCHEMA.as_bytes());
        b.extend_from_slice(
            b"OVSDB JSON 9999999999999999999 0000000000000000000000000000000000000000\n{}\n",
        );
        let v = inspect_bytes(&b).verdict;
        assert!(matches!(v, Verdict::TornTail { records: 1, .. }), "{v:?}");
    }

    #[test]
    fn schema_from_the_first_record_only() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.db");
        let mut b = db(2);
        b.extend_from_slice(b"garbage after the schema does not matter here");
        std::fs::write(&p, &b).unwrap();
        assert_eq!(file_schema(&p).unwrap().unwrap().name, "S");
        std::fs::write(&p, b"not ovsdb").unwrap();
        assert_eq!(file_schema(&p).unwrap(), None);
    }

    #[test]
    fn versions() {
        use std::cmp::Ordering::*;
        assert_eq!(version_cmp("7.0.0", "7.1.0"), Less);
        assert_eq!(version_cmp("20.27.0", "20.9.9"), Greater);
        assert_eq!(version_cmp("1.2", "1.2.0"), Equal);
    }
}

//! Reads and verifies standalone ovsdb database files: a sequence of records
//! `OVSDB JSON <len> <sha1-hex>\n<json>\n`, where `<len>` counts the JSON text and its
//! newline and the SHA-1 covers exactly those bytes. The first record is the schema.
//!
//! Reads and verifies; never writes a database file.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use sha1::{Digest, Sha1};

/// What a file is, as far as its records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Every record verifies. `records` counts the schema too.
    Clean {
        records: u64,
        bytes: u64,
    },
    /// The last record is incomplete (a write cut short): the prefix up to `offset` is good.
    TornTail {
        records: u64,
        offset: u64,
    },
    /// Record number `record` (0 = schema) at `offset` is damaged: `why`.
    Corrupt {
        record: u64,
        offset: u64,
        why: String,
    },
    Missing,
    Empty,
    Clustered,
    NotOvsdb,
}

impl Verdict {
    pub fn is_clean(&self) -> bool {
        matches!(self, Verdict::Clean { .. })
    }
}

const MAGIC: &[u8] = b"OVSDB JSON ";
const MAX_HEADER: usize = 128;

fn parse_header(line: &[u8]) -> Option<(u64, [u8; 20])> {
    let rest = line.strip_prefix(MAGIC)?;
    let rest = std::str::from_utf8(rest).ok()?.strip_suffix('\n')?;
    let (len, hash) = rest.split_once(' ')?;
    if hash.len() != 40 || len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let len = len.parse().ok()?;
    let mut sha = [0u8; 20];
    for (i, b) in sha.iter_mut().enumerate() {
        *b = u8::from_str_radix(hash.get(i * 2..i * 2 + 2)?, 16).ok()?;
    }
    Some((len, sha))
}

/// Verifies a file, reading at most `limit` bytes of it (the size seen when the check
/// started: a server appending meanwhile does not make the tail look torn).
pub fn verify(path: &Path, limit: Option<u64>) -> std::io::Result<Verdict> {
    let f = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Verdict::Missing),
        Err(e) => return Err(e),
    };
    let size = limit.unwrap_or(f.metadata()?.len());
    if size == 0 {
        return Ok(Verdict::Empty);
    }
    let mut r = BufReader::with_capacity(1 << 20, f.take(size));
    let mut offset = 0u64;
    let mut records = 0u64;
    let mut line = Vec::with_capacity(MAX_HEADER);
    let mut body = Vec::new();
    loop {
        line.clear();
        let n = (&mut r)
            .take(MAX_HEADER as u64)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Verdict::Clean {
                records,
                bytes: offset,
            });
        }
        if records == 0 && line.starts_with(b"OVSDB CLUSTER") {
            return Ok(Verdict::Clustered);
        }
        let Some((len, sha)) = parse_header(&line) else {
            if !line.ends_with(b"\n")
                && MAGIC.starts_with(&line[..line.len().min(MAGIC.len())])
                && offset + n as u64 == size
            {
                return Ok(torn(records, offset));
            }
            if records == 0 {
                return Ok(Verdict::NotOvsdb);
            }
            return Ok(Verdict::Corrupt {
                record: records,
                offset,
                why: "bad record header".into(),
            });
        };
        if offset + n as u64 + len > size {
            return Ok(torn(records, offset));
        }
        body.clear();
        body.resize(len as usize, 0);
        r.read_exact(&mut body)?;
        if Sha1::digest(&body).as_slice() != sha {
            return Ok(Verdict::Corrupt {
                record: records,
                offset,
                why: "SHA-1 mismatch".into(),
            });
        }
        offset += n as u64 + len;
        records += 1;
    }
}

fn torn(records: u64, offset: u64) -> Verdict {
    if records == 0 {
        Verdict::NotOvsdb
    } else {
        Verdict::TornTail { records, offset }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(json: &str) -> Vec<u8> {
        let body = format!("{json}\n");
        let sha = Sha1::digest(body.as_bytes());
        let hex: String = sha.iter().map(|b| format!("{b:02x}")).collect();
        let mut v = format!("OVSDB JSON {} {hex}\n", body.len()).into_bytes();
        v.extend_from_slice(body.as_bytes());
        v
    }

    fn file(bytes: &[u8]) -> (tempfile::TempDir, std::path::PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("x.db");
        std::fs::write(&p, bytes).unwrap();
        (d, p)
    }

    #[test]
    fn classifications() {
        let mut good = record(r#"{"name":"S","tables":{}}"#);
        good.extend(record(r#"{"T":{}}"#));
        let (_d, p) = file(&good);
        assert_eq!(
            verify(&p, None).unwrap(),
            Verdict::Clean {
                records: 2,
                bytes: good.len() as u64
            }
        );
        let first = record(r#"{"name":"S","tables":{}}"#).len() as u64;
        for cut in first as usize + 1..good.len() {
            let (_d, p) = file(&good[..cut]);
            assert_eq!(
                verify(&p, None).unwrap(),
                Verdict::TornTail {
                    records: 1,
                    offset: first
                },
                "cut {cut}"
            );
        }
        let mut bad = good.clone();
        let last = bad.len() - 3;
        bad[last] ^= 1;
        let (_d, p) = file(&bad);
        assert!(matches!(
            verify(&p, None).unwrap(),
            Verdict::Corrupt { record: 1, .. }
        ));
        let (_d, p) = file(b"");
        assert_eq!(verify(&p, None).unwrap(), Verdict::Empty);
        let (_d, p) = file(b"OVSDB CLUSTER 12 abc\n");
        assert_eq!(verify(&p, None).unwrap(), Verdict::Clustered);
        let (_d, p) = file(b"hello world\n");
        assert_eq!(verify(&p, None).unwrap(), Verdict::NotOvsdb);
        assert_eq!(
            verify(&p.with_file_name("nope"), None).unwrap(),
            Verdict::Missing
        );
    }
}

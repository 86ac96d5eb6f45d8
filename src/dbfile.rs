//! Reads and verifies standalone ovsdb database files, streaming: a sequence of records
//! `OVSDB JSON <len> <sha1-hex>\n<json>\n`, where `<len>` counts the JSON text and its
//! newline and the SHA-1 covers exactly those bytes. The first record is the schema.
//!
//! Never writes a file. Never allocates by a length read from the file (a damaged length
//! field cannot make it allocate or read past the end), hashes record bodies in place from
//! the read buffer, and reads each byte once. Records are independent: the ones whole in
//! the buffer are hashed on several threads, and the first damaged one by offset wins, so
//! the verdict is the one a record-by-record pass gives.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

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
pub const MAX_HEADER: usize = 128;
/// The schema record is kept in memory to read its name and version.
const MAX_SCHEMA: u64 = 64 << 20;

/// Parses a header line (with its `\n`): the body length and the SHA-1. Exactly ovsdb's
/// grammar: 1 to 19 decimal digits, one space, 40 hex digits (either case), `\n`.
pub fn parse_header(line: &[u8]) -> Option<(u64, [u8; 20])> {
    let rest = line.strip_prefix(MAGIC)?.strip_suffix(b"\n")?;
    let sp = rest.iter().position(|b| *b == b' ')?;
    let (len, hash) = (&rest[..sp], &rest[sp + 1..]);
    if len.is_empty() || len.len() > 19 || hash.len() != 40 {
        return None;
    }
    // 19 digits never overflow a u64. Digits and hex digits only: no sign, no space.
    let mut n = 0u64;
    for d in len {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u64::from(d - b'0');
    }
    let mut sha = [0u8; 20];
    for (b, pair) in sha.iter_mut().zip(hash.chunks_exact(2)) {
        *b = (hex_digit(pair[0])? << 4) | hex_digit(pair[1])?;
    }
    Some((n, sha))
}

fn hex_digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
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
    inspect_with_progress(path, limit, &mut |_, _| {})
}

/// [`inspect`], telling `progress` how many bytes of how many are verified so far, after
/// every [`READ`] or so (a caller showing it throttles it).
pub fn inspect_with_progress(
    path: &Path,
    limit: Option<u64>,
    progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<Inspection> {
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
    inspect_reader_with_progress(f, size, progress)
}

/// [`inspect`] over the first `size` bytes of a reader; never asks it for more (a file
/// a server appends to meanwhile is read as it was). A reader that ends before `size`
/// bytes is an error (`UnexpectedEof`: the file shrank while it was read).
pub fn inspect_reader(r: impl Read, size: u64) -> std::io::Result<Inspection> {
    inspect_reader_with_progress(r, size, &mut |_, _| {})
}

/// [`inspect_reader`] with a progress callback (bytes verified so far, `size`).
pub fn inspect_reader_with_progress(
    r: impl Read,
    size: u64,
    progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<Inspection> {
    inspect_tuned(r, size, Tuning::default(), progress)
}

/// How a pass reads and hashes; the verdict never depends on it (tests vary it to reach
/// every path with small inputs).
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct Tuning {
    /// The buffer's size (at least [`MAX_HEADER`]): records that fit are hashed from it.
    pub buffer: usize,
    /// Bytes read at a time (at least 1).
    pub read: usize,
    /// Records are hashed in batches of this many bytes, in parallel; a smaller last
    /// batch on the calling thread.
    pub parallel_min: usize,
    /// Threads hashing a batch.
    pub threads: usize,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            buffer: BUFFER,
            read: READ,
            parallel_min: PARALLEL_MIN,
            // The CPUs there are, at most 4 (reading is on one thread).
            threads: std::thread::available_parallelism().map_or(1, |n| n.get().min(4)),
        }
    }
}

/// [`inspect_reader_with_progress`] with the buffer and threads given.
#[doc(hidden)]
pub fn inspect_tuned(
    r: impl Read,
    size: u64,
    tuning: Tuning,
    progress: &mut dyn FnMut(u64, u64),
) -> std::io::Result<Inspection> {
    let mut out = Inspection {
        verdict: Verdict::Empty,
        size,
        schema: None,
    };
    if size == 0 {
        return Ok(out);
    }
    let buffer = tuning.buffer.max(MAX_HEADER);
    let mut s = Scan {
        r: r.take(size),
        size,
        buf: vec![0; usize::try_from(size).map_or(buffer, |s| s.min(buffer))],
        spare: Vec::new(),
        read: tuning.read.max(1),
        filled: 0,
        base: 0,
        pos: 0,
        records: 0,
        pending: Vec::new(),
        parallel_min: tuning.parallel_min,
        threads: tuning.threads,
    };
    out.verdict = s.run(&mut out.schema, progress)?;
    Ok(out)
}

/// The buffer. Records that fit whole in it are hashed straight from it, on several
/// threads; a bigger record is hashed as it streams through it.
const BUFFER: usize = 8 << 20;
/// Bytes read at a time, while the records read before are hashed: little enough that
/// they are still in the CPU's cache when their headers are scanned and hashed.
const READ: usize = 256 << 10;
/// Records are hashed in batches of this many bytes (on several threads, while the next
/// bytes are read and scanned); the last, smaller batch on the calling thread alone.
/// Chosen by hand on `make bench`'s 315 MB of ~250-byte records (a throwaway binary
/// calling `inspect_tuned`, a fresh process each run, 2 CPUs): 1 MiB batches with
/// 256 KiB reads 0.27 s, 4 MiB with 512 KiB reads 0.29 s (means of 30).
const PARALLEL_MIN: usize = 1 << 20;

/// A record found whole in the buffer, its header in the grammar but for the hash's hex
/// digits, which are decoded with its SHA-1 check.
struct Pending {
    /// Where its header starts in the buffer.
    start: usize,
    /// Its header's length (with the `\n`, after the 40 hex digits).
    header: usize,
    /// Its body's length.
    len: usize,
}

/// Hex digit values; 0xff: not a hex digit.
const HEX: [u8; 256] = {
    let mut t = [0xffu8; 256];
    let mut i = 0;
    while i < 10 {
        t[b'0' as usize + i] = i as u8;
        i += 1;
    }
    let mut i = 0;
    while i < 6 {
        t[b'a' as usize + i] = 10 + i as u8;
        t[b'A' as usize + i] = 10 + i as u8;
        i += 1;
    }
    t
};

/// 40 hex digits (either case) as 20 bytes.
fn decode_sha(hex: &[u8]) -> Option<[u8; 20]> {
    let mut sha = [0u8; 20];
    let mut bad = 0u8;
    for (b, pair) in sha.iter_mut().zip(hex.chunks_exact(2)) {
        let (hi, lo) = (HEX[pair[0] as usize], HEX[pair[1] as usize]);
        bad |= hi | lo;
        *b = (hi << 4) | lo;
    }
    (hex.len() == 40 && bad & 0xf0 == 0).then_some(sha)
}

/// A header line in ovsdb's grammar at the start of `b`, but for its hash's digits
/// (any 40 bytes): its length with the `\n` and the body length. `None` when it is not
/// or not all in `b`: the caller then looks again with [`parse_header`].
fn quick_header(b: &[u8]) -> Option<(usize, u64)> {
    let rest = b.strip_prefix(MAGIC)?;
    let digits = rest.iter().take(20).position(|c| !c.is_ascii_digit())?;
    if digits == 0 || digits > 19 || rest[digits] != b' ' {
        return None;
    }
    let n = MAGIC.len() + digits + 1 + 40 + 1;
    if b.get(n - 1) != Some(&b'\n') {
        return None;
    }
    let len = rest[..digits]
        .iter()
        .fold(0u64, |n, d| n * 10 + u64::from(d - b'0'));
    Some((n, len))
}

impl Pending {
    /// Why the record is damaged, if it is: its hash's digits, its SHA-1 (as ovsdb
    /// checks them), its final newline.
    fn damage(&self, buf: &[u8]) -> Option<&'static str> {
        let hex = &buf[self.start + self.header - 41..self.start + self.header - 1];
        let Some(sha) = decode_sha(hex) else {
            return Some("bad record header");
        };
        let body = &buf[self.start + self.header..][..self.len];
        if sha1_of(body) != sha {
            Some("SHA-1 mismatch")
        } else if body.last() != Some(&b'\n') {
            Some("record does not end in a newline")
        } else {
            None
        }
    }
}

/// SHA-1 of `data`, one message: the full blocks straight from `data`, the padded tail
/// from the stack (what `Sha1::digest` does, without its buffering per call; records
/// are small and many).
fn sha1_of(data: &[u8]) -> [u8; 20] {
    let mut state = [
        0x6745_2301,
        0xefcd_ab89,
        0x98ba_dcfe,
        0x1032_5476,
        0xc3d2_e1f0,
    ];
    let (blocks, rest) = data.as_chunks::<64>();
    sha1::block_api::compress(&mut state, blocks);
    let mut tail = [0u8; 128];
    tail[..rest.len()].copy_from_slice(rest);
    tail[rest.len()] = 0x80;
    let n = if rest.len() < 56 { 64 } else { 128 };
    tail[n - 8..n].copy_from_slice(&(data.len() as u64 * 8).to_be_bytes());
    sha1::block_api::compress(&mut state, tail[..n].as_chunks::<64>().0);
    let mut out = [0u8; 20];
    for (o, w) in out.chunks_exact_mut(4).zip(state) {
        o.copy_from_slice(&w.to_be_bytes());
    }
    out
}

/// The first damaged record of `recs` (index, why), hashing on one thread.
fn first_damaged_serial(buf: &[u8], recs: &[Pending]) -> Option<(usize, &'static str)> {
    recs.iter()
        .enumerate()
        .find_map(|(i, p)| p.damage(buf).map(|why| (i, why)))
}

/// Hashes `recs` (in `buf`) on up to `threads` threads, in small pieces each takes in
/// turn, while this thread first runs `meanwhile` (reading and scanning on in the other
/// buffer), then joins in. Returns what `meanwhile` returned and the first damaged
/// record (index, why): the earliest, whichever thread found it. A batch under
/// `parallel_min` bytes, or no thread to spare, is hashed on this thread after
/// `meanwhile`; a thread that cannot start leaves its share to it.
fn hash_while<T>(
    buf: &[u8],
    recs: &[Pending],
    threads: usize,
    parallel_min: usize,
    meanwhile: impl FnOnce() -> T,
) -> (T, Option<(usize, &'static str)>) {
    let span = match (recs.first(), recs.last()) {
        (Some(f), Some(l)) => l.start + l.header + l.len - f.start,
        _ => 0,
    };
    if threads < 2 || recs.is_empty() || span < parallel_min {
        let t = meanwhile();
        return (t, first_damaged_serial(buf, recs));
    }
    let piece = recs.len().div_ceil(threads * 16);
    let next = AtomicUsize::new(0);
    let found: Mutex<Option<(usize, &'static str)>> = Mutex::new(None);
    let first_found = || *found.lock().unwrap_or_else(|e| e.into_inner());
    let work = || {
        loop {
            let a = next.fetch_add(piece, Ordering::Relaxed);
            // Past the end, or past a damaged record: nothing left can come first.
            if a >= recs.len() || first_found().is_some_and(|(i, _)| i < a) {
                break;
            }
            let b = (a + piece).min(recs.len());
            if let Some((i, why)) = first_damaged_serial(buf, &recs[a..b]) {
                let mut f = found.lock().unwrap_or_else(|e| e.into_inner());
                if f.is_none_or(|(j, _)| a + i < j) {
                    *f = Some((a + i, why));
                }
            }
        }
    };
    let t = std::thread::scope(|s| {
        for _ in 1..threads {
            let _ = std::thread::Builder::new()
                .name("ovn-ocf-sha1".into())
                .spawn_scoped(s, work);
        }
        let t = meanwhile();
        work();
        t
    });
    (t, first_found())
}

/// Reads into `buf[from..]` until it is full or the reader ends; the new fill. Reading
/// nothing is an error: the caller asks only for bytes the file should have.
fn fill_buf(r: &mut impl Read, buf: &mut [u8], from: usize) -> std::io::Result<usize> {
    let mut filled = from;
    while filled < buf.len() {
        match r.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(k) => filled += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    if filled == from {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            "the file ended before its size (did it shrink while it was read?)",
        ));
    }
    Ok(filled)
}

/// The state of one pass over a file.
struct Scan<R> {
    r: std::io::Take<R>,
    size: u64,
    buf: Vec<u8>,
    /// The other buffer: the batch being hashed stays in one while the next bytes are
    /// read into and scanned in the other.
    spare: Vec<u8>,
    /// Bytes read at a time.
    read: usize,
    /// Bytes of the buffer that hold data.
    filled: usize,
    /// The file offset of `buf[0]`.
    base: u64,
    /// Where the next record's header starts in `buf`.
    pos: usize,
    /// Records accepted so far (pending ones included).
    records: u64,
    /// Records whole in `buf`, in order, their SHA-1 not checked yet.
    pending: Vec<Pending>,
    parallel_min: usize,
    threads: usize,
}

impl<R: Read> Scan<R> {
    fn run(
        &mut self,
        schema: &mut Option<SchemaId>,
        progress: &mut dyn FnMut(u64, u64),
    ) -> std::io::Result<Verdict> {
        loop {
            let offset = self.base + self.pos as u64;
            // The common case first: a record whole in the buffer, its header in the
            // grammar (the hash's digits are checked when it is hashed).
            if self.take_quick() {
                continue;
            }
            if offset == self.size {
                return Ok(self.settle().unwrap_or(Verdict::Clean {
                    records: self.records,
                    bytes: offset,
                }));
            }
            // The header line: up to MAX_HEADER bytes, to its `\n` or to the end.
            let want = (self.size - offset).min(MAX_HEADER as u64) as usize;
            let have = &self.buf[self.pos..self.filled];
            let window = &have[..have.len().min(want)];
            let nl = window.iter().position(|b| *b == b'\n');
            if nl.is_none() && window.len() < want {
                if let Some(v) = self.refill(progress)? {
                    return Ok(v);
                }
                continue;
            }
            let line = &window[..nl.map_or(window.len(), |i| i + 1)];
            let n = line.len();
            if self.records == 0 && line.starts_with(CLUSTER_MAGIC) {
                return Ok(Verdict::Clustered);
            }
            let Some((body_len, sha)) = parse_header(line) else {
                let at_eof = offset + n as u64 == self.size && !line.ends_with(b"\n");
                let prefix_of_magic = MAGIC.starts_with(&line[..n.min(MAGIC.len())]);
                let v = if at_eof && prefix_of_magic {
                    torn(self.records, offset)
                } else if self.records == 0 {
                    Verdict::NotOvsdb {
                        why: "no ovsdb record header at the start".into(),
                    }
                } else {
                    Verdict::Corrupt {
                        record: self.records,
                        offset,
                        why: "bad record header".into(),
                    }
                };
                return Ok(self.settle().unwrap_or(v));
            };
            if body_len > self.size - offset - n as u64 {
                return Ok(self.settle().unwrap_or(torn(self.records, offset)));
            }
            // Within the file: a usize on any 64-bit platform.
            let body_len = usize::try_from(body_len).map_err(|_| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "a record too big to address",
                )
            })?;
            let end = self.pos + n + body_len;
            if end <= self.filled && self.records > 0 {
                self.pending.push(Pending {
                    start: self.pos,
                    header: n,
                    len: body_len,
                });
                self.records += 1;
                self.pos = end;
                continue;
            }
            if end > self.filled && n + body_len <= self.buf.len() {
                // Whole once the buffer is refilled.
                if let Some(v) = self.refill(progress)? {
                    return Ok(v);
                }
                continue;
            }
            // The schema record (kept to read its identity), or one bigger than the
            // buffer: hashed on this thread as it streams through.
            if let Some(v) = self.settle() {
                return Ok(v);
            }
            let keep = self.records == 0 && body_len as u64 <= MAX_SCHEMA;
            let mut hasher = Sha1::new();
            let mut json = Vec::new();
            let mut at = self.pos + n;
            let mut left = body_len;
            let mut last = 0u8;
            loop {
                let take = (self.filled - at).min(left);
                let part = &self.buf[at..at + take];
                hasher.update(part);
                if keep {
                    json.extend_from_slice(part);
                }
                if let Some(b) = part.last() {
                    last = *b;
                }
                at += take;
                left -= take;
                if left == 0 {
                    break;
                }
                self.base += self.filled as u64;
                self.pos = 0;
                at = 0;
                progress(self.base, self.size);
                let read = self.read.min(self.buf.len());
                self.filled = fill_buf(&mut self.r, &mut self.buf[..read], 0)?;
            }
            self.pos = at;
            let damage = if hasher.finalize().as_slice() != sha {
                Some(("SHA-1 mismatch", "the schema record's SHA-1 does not match"))
            } else if body_len == 0 || last != b'\n' {
                Some((
                    "record does not end in a newline",
                    "the schema record does not end in a newline",
                ))
            } else {
                None
            };
            if let Some((why, schema_why)) = damage {
                // A damaged schema record leaves no intact prefix: not an ovsdb file.
                return Ok(if self.records == 0 {
                    Verdict::NotOvsdb {
                        why: schema_why.into(),
                    }
                } else {
                    Verdict::Corrupt {
                        record: self.records,
                        offset,
                        why: why.into(),
                    }
                });
            }
            if self.records == 0 {
                *schema = schema_id(&json);
                if schema.is_none() {
                    return Ok(Verdict::NotOvsdb {
                        why: "the first record is not an ovsdb schema".into(),
                    });
                }
            }
            self.records += 1;
        }
    }

    /// Takes the record at `pos` as pending if it is whole in the buffer and its header
    /// in the quick grammar (not the schema record: that one is read whole).
    fn take_quick(&mut self) -> bool {
        if self.records > 0
            && let Some((n, body_len)) = quick_header(&self.buf[self.pos..self.filled])
            && body_len <= (self.filled - self.pos - n) as u64
        {
            self.pending.push(Pending {
                start: self.pos,
                header: n,
                len: body_len as usize,
            });
            self.records += 1;
            self.pos += n + body_len as usize;
            return true;
        }
        false
    }

    /// The verdict for the pending record `found` names, if any; nothing is pending
    /// afterwards.
    fn verdict(&mut self, found: Option<(usize, &'static str)>) -> Option<Verdict> {
        let first = self.records - self.pending.len() as u64;
        let v = corrupt(found, first, self.base, &self.pending);
        self.pending.clear();
        v
    }

    /// How many bytes the pending records span, up to `pos`.
    fn pending_span(&self) -> usize {
        self.pending.first().map_or(0, |p| self.pos - p.start)
    }

    /// Checks the pending records' SHA-1: the verdict for the first damaged one.
    fn settle(&mut self) -> Option<Verdict> {
        let ((), found) = hash_while(
            &self.buf,
            &self.pending,
            self.threads,
            self.parallel_min,
            || (),
        );
        self.verdict(found)
    }

    /// Reads on after the records scanned. Once the pending records span `parallel_min`
    /// bytes they are hashed (on every thread there is) from this buffer while this
    /// thread moves the unscanned rest to the other one and reads and scans on there
    /// ([`Scan::scan_ahead`]), then joins the hashing. A verdict if a pending record is
    /// damaged (then what was read after it is unused).
    fn refill(&mut self, progress: &mut dyn FnMut(u64, u64)) -> std::io::Result<Option<Verdict>> {
        if self.filled == self.buf.len() {
            if let Some(v) = self.settle() {
                return Ok(Some(v));
            }
            self.compact();
        }
        progress(self.base + self.pos as u64, self.size);
        let span = self.pending_span();
        if span == 0 || span < self.parallel_min {
            let end = (self.filled + self.read).min(self.buf.len());
            self.filled = fill_buf(&mut self.r, &mut self.buf[..end], self.filled)?;
            return Ok(None);
        }
        let batch = std::mem::take(&mut self.pending);
        let first = self.records - batch.len() as u64;
        let batch_base = self.base;
        let mut next = std::mem::take(&mut self.spare);
        next.resize(self.buf.len(), 0);
        let old = std::mem::replace(&mut self.buf, next);
        let rest = self.filled - self.pos;
        self.buf[..rest].copy_from_slice(&old[self.pos..self.filled]);
        self.base += self.pos as u64;
        self.filled = rest;
        self.pos = 0;
        let threads = self.threads;
        let (ahead, found) = hash_while(&old, &batch, threads, 0, || self.scan_ahead(progress));
        if let Some(v) = corrupt(found, first, batch_base, &batch) {
            return Ok(Some(v));
        }
        self.spare = old;
        ahead?;
        Ok(None)
    }

    /// Reads on (at least once) and takes the records whole in the buffer whose header
    /// is in the quick grammar, while the batch before is hashed: until they span
    /// `parallel_min` bytes, the buffer is full, the file is all read, or the next
    /// record needs [`Scan::run`]'s full path. Never a verdict: the batch before may
    /// hold an earlier one.
    fn scan_ahead(&mut self, progress: &mut dyn FnMut(u64, u64)) -> std::io::Result<()> {
        loop {
            let end = (self.filled + self.read).min(self.buf.len());
            if end == self.filled || self.base + self.filled as u64 == self.size {
                return Ok(());
            }
            self.filled = fill_buf(&mut self.r, &mut self.buf[..end], self.filled)?;
            while self.take_quick() {}
            let span = self.pending_span();
            let unparsed = self.filled - self.pos >= MAX_HEADER
                && quick_header(&self.buf[self.pos..self.filled]).is_none();
            if (span > 0 && span >= self.parallel_min) || unparsed {
                return Ok(());
            }
            progress(self.base + self.pos as u64, self.size);
        }
    }

    /// Moves the unscanned rest of the buffer to its start (nothing may be pending).
    fn compact(&mut self) {
        debug_assert!(self.pending.is_empty());
        self.buf.copy_within(self.pos..self.filled, 0);
        self.base += self.pos as u64;
        self.filled -= self.pos;
        self.pos = 0;
    }
}

/// The verdict for record `found` names in `batch` (index, why), the batch's first record
/// being number `first` and its buffer starting at file offset `base`.
fn corrupt(
    found: Option<(usize, &'static str)>,
    first: u64,
    base: u64,
    batch: &[Pending],
) -> Option<Verdict> {
    found.map(|(i, why)| Verdict::Corrupt {
        record: first + i as u64,
        offset: base + batch[i].start as u64,
        why: why.into(),
    })
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

    /// The default pass, checked against small buffers and forced threads: every
    /// buffer size reaches a different mix of whole, refilled and streamed records.
    fn inspect_bytes(b: &[u8]) -> Inspection {
        let want = inspect_reader(b, b.len() as u64).unwrap();
        for (buffer, read) in [(0, 1), (129, 7), (200, 200), (333, 100), (1000, 64)] {
            for threads in [1, 2, 3] {
                let t = Tuning {
                    buffer,
                    read,
                    parallel_min: 0,
                    threads,
                };
                let got = inspect_tuned(b, b.len() as u64, t, &mut |_, _| {}).unwrap();
                assert_eq!(got, want, "{t:?}");
            }
        }
        want
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
    fn damage_in_any_thread_s_run_is_found_first_by_offset() {
        let b = db(40);
        let starts: Vec<usize> = (0..=40).map(|n| db(n).len()).collect();
        for (k, at) in [
            (1, starts[0] + 3),
            (17, starts[16] + 70),
            (40, starts[39] + 60),
        ] {
            for later in [None, Some(starts[39] + 70)] {
                let mut x = b.clone();
                x[at] ^= 4;
                if let Some(l) = later.filter(|l| *l > at) {
                    x[l] ^= 4;
                }
                let v = inspect_bytes(&x).verdict;
                assert_eq!(
                    (v.intact_records(), v.intact_bytes()),
                    (k as u64, starts[k - 1] as u64),
                    "{v:?}"
                );
            }
        }
    }

    #[test]
    fn progress_reaches_the_records_read() {
        let b = db(200);
        let mut seen = vec![];
        let t = Tuning {
            buffer: 1000,
            read: 300,
            parallel_min: 0,
            threads: 2,
        };
        let i = inspect_tuned(&b[..], b.len() as u64, t, &mut |n, _| seen.push(n)).unwrap();
        assert!(i.verdict.is_clean());
        assert!(seen.len() > 5, "{seen:?}");
        assert!(seen.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
        assert!(*seen.last().unwrap() <= b.len() as u64);
    }

    #[test]
    fn a_reader_shorter_than_its_size_is_an_error() {
        let b = db(3);
        let e = inspect_reader(&b[..b.len() - 5], b.len() as u64).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn sha1_of_is_sha1_at_every_length() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7 + i / 3) as u8).collect();
        for len in 0..data.len() {
            assert_eq!(
                sha1_of(&data[..len]),
                Sha1::digest(&data[..len]).as_slice(),
                "{len}"
            );
        }
    }

    #[test]
    fn versions() {
        use std::cmp::Ordering::*;
        assert_eq!(version_cmp("7.0.0", "7.1.0"), Less);
        assert_eq!(version_cmp("20.27.0", "20.9.9"), Greater);
        assert_eq!(version_cmp("1.2", "1.2.0"), Equal);
    }
}

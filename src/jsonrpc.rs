//! A small JSON-RPC 1.0 client for OVSDB (RFC 7047) and OVS unixctl control sockets, over
//! unix or TCP sockets. Every call takes a deadline; a server stopped with SIGSTOP makes a
//! call fail with [`Error::Timeout`], never hang. Answers the server's `echo` requests.
//!
//! Messages are concatenated JSON values with no delimiter; [`Decoder`] splits them out of
//! a byte stream. Owns sockets it opens; never spawns anything.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::ocf::Deadline;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot connect to {endpoint}: {source}")]
    Connect {
        endpoint: String,
        source: std::io::Error,
    },
    #[error("{endpoint} did not answer in time")]
    Timeout { endpoint: String },
    #[error("I/O error on {endpoint}: {source}")]
    Io {
        endpoint: String,
        source: std::io::Error,
    },
    #[error("{endpoint} closed the connection")]
    Closed { endpoint: String },
    #[error("malformed JSON-RPC from {endpoint}: {detail}")]
    Protocol { endpoint: String, detail: String },
    #[error("{endpoint}: {method} failed: {error}")]
    Remote {
        endpoint: String,
        method: String,
        error: String,
    },
}

/// A daemon that does not answer its socket is a generic failure: Pacemaker recovers it
/// (restart or failover); nothing about the node's configuration is wrong.
impl crate::ocf::OcfError for Error {
    fn ocf_status(&self) -> crate::ocf::OcfStatus {
        crate::ocf::OcfStatus::ErrGeneric
    }
}

impl Error {
    pub fn is_timeout(&self) -> bool {
        matches!(self, Error::Timeout { .. })
    }
}

/// Where to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    Unix(PathBuf),
    Tcp(SocketAddr),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Unix(p) => write!(f, "unix:{}", p.display()),
            Endpoint::Tcp(a) => write!(f, "tcp:{a}"),
        }
    }
}

/// Splits a byte stream into JSON-RPC messages (JSON objects or arrays, as RFC 7047 sends
/// them). Bytes of an incomplete message stay buffered until more arrive; each byte is
/// scanned once, for the brackets that frame a message, and a framed message is parsed
/// once: linear in its size however it is cut into reads. A message that does not start
/// with `{` or `[`, or is not JSON once framed, is an error.
#[derive(Debug, Default)]
pub struct Decoder {
    buf: Vec<u8>,
    /// Where the message being framed starts in `buf` (what is before is consumed).
    start: usize,
    /// The next byte of `buf` to scan.
    scan: usize,
    /// Brackets open in the message being framed; 0 between messages.
    depth: usize,
    /// Scanning inside a string, and just after a backslash there.
    in_string: bool,
    escaped: bool,
}

/// The most a single message may grow to before we call the peer broken (64 MiB).
pub const MAX_MESSAGE: usize = 64 << 20;
/// serde_json's recursion limit: a message nested this deep can never parse.
const MAX_DEPTH: usize = 128;

impl Decoder {
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.start > 0 {
            // Drop what is consumed: at most the rest of the last read is moved.
            self.buf.drain(..self.start);
            self.scan -= self.start;
            self.start = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next complete value, `Ok(None)` if more bytes are needed.
    pub fn next_value(&mut self) -> Result<Option<Value>, String> {
        if self.depth == 0 {
            let Some(skip) = self.buf[self.start..]
                .iter()
                .position(|b| !b.is_ascii_whitespace())
            else {
                self.buf.clear();
                (self.start, self.scan) = (0, 0);
                return Ok(None);
            };
            self.start += skip;
            self.scan = self.start;
            if !matches!(self.buf[self.start], b'{' | b'[') {
                let e = serde_json::from_slice::<Value>(&self.buf[self.start..])
                    .err()
                    .filter(|e| !e.is_eof())
                    .map_or_else(
                        || "a message is not a JSON object".to_string(),
                        |e| e.to_string(),
                    );
                return Err(e);
            }
        }
        let mut end = None;
        let mut i = self.scan;
        while i < self.buf.len() {
            let b = self.buf[i];
            i += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => {
                    self.depth += 1;
                    if self.depth >= MAX_DEPTH {
                        // serde_json says why (its recursion limit, or an earlier error).
                        return Err(serde_json::from_slice::<Value>(&self.buf[self.start..i])
                            .err()
                            .filter(|e| !e.is_eof())
                            .map_or_else(
                                || format!("nested deeper than {MAX_DEPTH}"),
                                |e| e.to_string(),
                            ));
                    }
                }
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        end = Some(i);
                        break;
                    }
                }
                _ => {}
            }
        }
        self.scan = i;
        let Some(end) = end else {
            if self.buf.len() - self.start > MAX_MESSAGE {
                return Err(format!("message larger than {MAX_MESSAGE} bytes"));
            }
            return Ok(None);
        };
        let v = serde_json::from_slice(&self.buf[self.start..end]).map_err(|e| e.to_string());
        self.start = end;
        if self.start == self.buf.len() {
            self.buf.clear();
            (self.start, self.scan) = (0, 0);
        }
        v.map(Some)
    }

    /// Bytes received and not yet returned as a value.
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.start
    }
}

enum Stream {
    Unix(UnixStream),
    Tcp(TcpStream),
}

impl Stream {
    fn set_read_timeout(&self, d: Option<Duration>) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_read_timeout(d),
            Stream::Tcp(s) => s.set_read_timeout(d),
        }
    }
    fn set_write_timeout(&self, d: Option<Duration>) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.set_write_timeout(d),
            Stream::Tcp(s) => s.set_write_timeout(d),
        }
    }
    fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Stream::Unix(s) => s.read(b),
            Stream::Tcp(s) => s.read(b),
        }
    }
    fn write_all(&mut self, b: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Unix(s) => s.write_all(b),
            Stream::Tcp(s) => s.write_all(b),
        }
    }
}

/// Connects to a unix socket without ever blocking past the deadline: a non-blocking
/// connect, retried while the listener's backlog is full (a stopped server).
fn connect_unix(path: &Path, deadline: Deadline) -> std::io::Result<UnixStream> {
    use nix::sys::socket::{AddressFamily, SockFlag, SockType, UnixAddr, connect, socket};
    let addr = UnixAddr::new(path).map_err(std::io::Error::from)?;
    let fd = socket(
        AddressFamily::Unix,
        SockType::Stream,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        None,
    )
    .map_err(std::io::Error::from)?;
    // A listener with a full backlog answers EAGAIN: try again until the deadline.
    let connected = deadline.poll(Duration::from_millis(5), || {
        match connect(fd.as_raw_fd(), &addr) {
            Ok(()) => Some(Ok(())),
            Err(nix::errno::Errno::EAGAIN) | Err(nix::errno::Errno::EINTR) => None,
            Err(e) => Some(Err(std::io::Error::from(e))),
        }
    });
    connected.unwrap_or_else(|| Err(std::io::ErrorKind::TimedOut.into()))?;
    // SAFETY: `fd` is a connected stream socket we own; ownership moves to the UnixStream.
    let s = unsafe { UnixStream::from_raw_fd(fd.into_raw_fd()) };
    s.set_nonblocking(false)?;
    Ok(s)
}

pub struct Client {
    stream: Stream,
    endpoint: String,
    decoder: Decoder,
    next_id: u64,
}

impl Client {
    pub fn connect(ep: &Endpoint, deadline: Deadline) -> Result<Client, Error> {
        let endpoint = ep.to_string();
        let stream = match ep {
            Endpoint::Unix(p) => connect_unix(p, deadline).map(Stream::Unix),
            Endpoint::Tcp(a) => {
                let r = deadline.remaining();
                if r.is_zero() {
                    return Err(Error::Timeout { endpoint });
                }
                TcpStream::connect_timeout(a, r).map(Stream::Tcp)
            }
        };
        match stream {
            Ok(stream) => Ok(Client {
                stream,
                endpoint,
                decoder: Decoder::default(),
                next_id: 1,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Err(Error::Timeout { endpoint }),
            Err(source) => Err(Error::Connect { endpoint, source }),
        }
    }

    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    fn send(&mut self, msg: &Value, deadline: Deadline) -> Result<(), Error> {
        let bytes = serde_json::to_vec(msg).expect("a serde_json::Value always serializes");
        self.send_bytes(&bytes, deadline)
    }

    fn send_bytes(&mut self, bytes: &[u8], deadline: Deadline) -> Result<(), Error> {
        let r = deadline.remaining();
        if r.is_zero() {
            return Err(Error::Timeout {
                endpoint: self.endpoint.clone(),
            });
        }
        let io = |source| Error::Io {
            endpoint: self.endpoint.clone(),
            source,
        };
        self.stream.set_write_timeout(Some(r)).map_err(io)?;
        match self.stream.write_all(bytes) {
            Ok(()) => Ok(()),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                Err(Error::Timeout {
                    endpoint: self.endpoint.clone(),
                })
            }
            Err(source) => Err(Error::Io {
                endpoint: self.endpoint.clone(),
                source,
            }),
        }
    }

    fn receive(&mut self, deadline: Deadline) -> Result<Value, Error> {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match self.decoder.next_value() {
                Ok(Some(v)) => return Ok(v),
                Ok(None) => {}
                Err(detail) => {
                    return Err(Error::Protocol {
                        endpoint: self.endpoint.clone(),
                        detail,
                    });
                }
            }
            let r = deadline.remaining();
            if r.is_zero() {
                return Err(Error::Timeout {
                    endpoint: self.endpoint.clone(),
                });
            }
            self.stream
                .set_read_timeout(Some(r))
                .map_err(|source| Error::Io {
                    endpoint: self.endpoint.clone(),
                    source,
                })?;
            match self.stream.read(&mut chunk) {
                Ok(0) => {
                    return Err(Error::Closed {
                        endpoint: self.endpoint.clone(),
                    });
                }
                Ok(n) => self.decoder.feed(&chunk[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return Err(Error::Timeout {
                        endpoint: self.endpoint.clone(),
                    });
                }
                Err(source) => {
                    return Err(Error::Io {
                        endpoint: self.endpoint.clone(),
                        source,
                    });
                }
            }
        }
    }

    /// Sends one request and waits for its reply, answering `echo` requests and skipping
    /// notifications meanwhile. Returns the `result`, or [`Error::Remote`] for an `error`.
    pub fn call(
        &mut self,
        method: &str,
        params: Value,
        deadline: Deadline,
    ) -> Result<Value, Error> {
        self.call_many(&[(method, params)], deadline)?
            .pop()
            .expect("one reply per request")
    }

    /// Sends several requests in one write and collects their replies in order: one round
    /// trip instead of several. The outer error is the connection's; inner ones per request.
    pub fn call_many(
        &mut self,
        requests: &[(&str, Value)],
        deadline: Deadline,
    ) -> Result<Vec<Result<Value, Error>>, Error> {
        let mut pending = self.send_many(requests, deadline)?;
        self.wait_many(&mut pending, deadline)
    }

    /// The first half of [`Client::call_many`]: sends the requests in one write.
    pub fn send_many(
        &mut self,
        requests: &[(&str, Value)],
        deadline: Deadline,
    ) -> Result<Pending, Error> {
        let first = self.next_id;
        let mut batch = Vec::new();
        for (method, params) in requests {
            let id = self.next_id;
            self.next_id += 1;
            let req = json!({"id": id, "method": method, "params": params});
            serde_json::to_writer(&mut batch, &req).expect("a serde_json::Value always serializes");
        }
        self.send_bytes(&batch, deadline)?;
        Ok(Pending {
            first,
            methods: requests.iter().map(|(m, _)| m.to_string()).collect(),
            replies: requests.iter().map(|_| None).collect(),
        })
    }

    /// The second half of [`Client::call_many`]: collects the replies of `pending`, in
    /// order. On [`Error::Timeout`] nothing is lost (replies already in and a partial
    /// message stay), so a caller may wait again with a later deadline.
    pub fn wait_many(
        &mut self,
        pending: &mut Pending,
        deadline: Deadline,
    ) -> Result<Vec<Result<Value, Error>>, Error> {
        let first = pending.first;
        let end = first + pending.replies.len() as u64;
        while pending.replies.iter().any(Option::is_none) {
            let msg = self.receive(deadline)?;
            match classify(&msg) {
                Incoming::Reply { id, result, error }
                    if (first..end).contains(&id)
                        && pending.replies[(id - first) as usize].is_none() =>
                {
                    let i = (id - first) as usize;
                    pending.replies[i] = Some(if error.is_null() {
                        Ok(result.clone())
                    } else {
                        Err(Error::Remote {
                            endpoint: self.endpoint.clone(),
                            method: pending.methods[i].clone(),
                            error: match error {
                                Value::String(s) => s.clone(),
                                other => other.to_string(),
                            },
                        })
                    });
                }
                Incoming::Echo { id: eid, params } => {
                    let reply = json!({"id": eid, "result": params, "error": null});
                    self.send(&reply, deadline)?;
                }
                Incoming::Reply { .. } | Incoming::Notification => {}
                Incoming::Malformed => {
                    return Err(Error::Protocol {
                        endpoint: self.endpoint.clone(),
                        detail: format!("not a JSON-RPC message: {}", truncate(&msg.to_string())),
                    });
                }
            }
        }
        Ok(pending
            .replies
            .iter_mut()
            .map(|r| r.take().expect("all replies in"))
            .collect())
    }
}

/// Requests sent by [`Client::send_many`] whose replies are still awaited.
#[derive(Debug)]
pub struct Pending {
    first: u64,
    methods: Vec<String>,
    replies: Vec<Option<Result<Value, Error>>>,
}

fn truncate(s: &str) -> String {
    s.chars().take(200).collect()
}

/// What a received message is.
#[derive(Debug, PartialEq)]
pub enum Incoming<'a> {
    Reply {
        id: u64,
        result: &'a Value,
        error: &'a Value,
    },
    Echo {
        id: &'a Value,
        params: &'a Value,
    },
    Notification,
    Malformed,
}

pub fn classify(msg: &Value) -> Incoming<'_> {
    static NULL: Value = Value::Null;
    let Some(obj) = msg.as_object() else {
        return Incoming::Malformed;
    };
    if let Some(method) = obj.get("method").and_then(Value::as_str) {
        let id = obj.get("id").unwrap_or(&NULL);
        if method == "echo" && !id.is_null() {
            return Incoming::Echo {
                id,
                params: obj.get("params").unwrap_or(&NULL),
            };
        }
        return Incoming::Notification;
    }
    match obj.get("id").and_then(Value::as_u64) {
        Some(id) => Incoming::Reply {
            id,
            result: obj.get("result").unwrap_or(&NULL),
            error: obj.get("error").unwrap_or(&NULL),
        },
        None => Incoming::Malformed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A client on one end of a socketpair (the test plays the server on the other).
    fn client_on(a: UnixStream) -> Client {
        Client {
            stream: Stream::Unix(a),
            endpoint: "test".into(),
            decoder: Decoder::default(),
            next_id: 1,
        }
    }

    fn drain(d: &mut Decoder) -> Vec<Value> {
        let mut out = vec![];
        while let Some(v) = d.next_value().unwrap() {
            out.push(v);
        }
        out
    }

    #[test]
    fn several_messages_in_one_read() {
        let mut d = Decoder::default();
        d.feed(br#"{"id":1,"result":"a","error":null}{"id":2,"result":[],"error":null} {"id":null,"method":"update","params":[]}"#);
        let v = drain(&mut d);
        assert_eq!(v.len(), 3);
        assert_eq!(v[1]["id"], 2);
        assert_eq!(d.buffered(), 0);
    }

    #[test]
    fn message_split_across_reads_at_every_byte() {
        let msg = br#"{"id":7,"result":"state: active\n\"quoted\" \\ back","error":null}"#;
        for cut in 0..msg.len() {
            let mut d = Decoder::default();
            d.feed(&msg[..cut]);
            assert_eq!(d.next_value().unwrap(), None, "cut at {cut}");
            d.feed(&msg[cut..]);
            let v = d.next_value().unwrap().expect("complete");
            assert_eq!(v["result"], "state: active\n\"quoted\" \\ back");
        }
    }

    #[test]
    fn escaped_braces_inside_strings_do_not_confuse_framing() {
        let mut d = Decoder::default();
        d.feed(br#"{"id":1,"result":"}{\"}","error":null}{"id":2,"result":"\u007b","error":null}"#);
        let v = drain(&mut d);
        assert_eq!(v.len(), 2);
        assert_eq!(v[0]["result"], "}{\"}");
        assert_eq!(v[1]["result"], "{");
    }

    #[test]
    fn garbage_is_an_error_not_a_hang() {
        let mut d = Decoder::default();
        d.feed(b"]not json");
        assert!(d.next_value().is_err());
    }

    #[test]
    fn classify_echo_reply_and_notification() {
        let echo = json!({"id":"echo","method":"echo","params":[]});
        assert!(matches!(classify(&echo), Incoming::Echo { .. }));
        let note = json!({"id":null,"method":"update","params":[null,{}]});
        assert_eq!(classify(&note), Incoming::Notification);
        let reply = json!({"id":3,"result":"x","error":null});
        assert!(matches!(classify(&reply), Incoming::Reply { id: 3, .. }));
        assert_eq!(classify(&json!([1])), Incoming::Malformed);
    }

    /// A fake server on a socketpair: sends an echo request first, then the reply split in
    /// two writes; the client must answer the echo and return the result.
    #[test]
    fn call_answers_echo_and_reassembles_reply() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let server = std::thread::spawn(move || {
            let mut dec = Decoder::default();
            let mut buf = [0u8; 4096];
            let req = loop {
                let n = b.read(&mut buf).unwrap();
                dec.feed(&buf[..n]);
                if let Some(v) = dec.next_value().unwrap() {
                    break v;
                }
            };
            b.write_all(br#"{"id":"e1","method":"echo","params":["x"]}"#)
                .unwrap();
            let echo_reply = loop {
                if let Some(v) = dec.next_value().unwrap() {
                    break v;
                }
                let n = b.read(&mut buf).unwrap();
                dec.feed(&buf[..n]);
            };
            let reply = format!(r#"{{"id":{},"result":"ok \"q\"","error":null}}"#, req["id"]);
            let (x, y) = reply.as_bytes().split_at(10);
            b.write_all(x).unwrap();
            std::thread::sleep(Duration::from_millis(20));
            b.write_all(y).unwrap();
            echo_reply
        });
        let mut c = client_on(a);
        let dl = Deadline::after(Duration::from_secs(10));
        let r = c.call("list_dbs", json!([]), dl).unwrap();
        assert_eq!(r, "ok \"q\"");
        let echo_reply = server.join().unwrap();
        assert_eq!(echo_reply, json!({"id":"e1","result":["x"],"error":null}));
    }

    /// Replies out of order, with a notification between: each lands on its request.
    #[test]
    fn call_many_matches_replies_by_id() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(br#"{"id":2,"result":"two","error":null}{"id":null,"method":"update","params":[]}{"id":1,"result":null,"error":"bad"}"#)
            .unwrap();
        let mut c = client_on(a);
        let r = c
            .call_many(
                &[("a", json!([])), ("b", json!([]))],
                Deadline::after(Duration::from_secs(5)),
            )
            .unwrap();
        assert!(matches!(&r[0], Err(Error::Remote { method, .. }) if method == "a"));
        assert_eq!(r[1].as_ref().unwrap(), "two");
    }

    /// A reply that arrives after a first wait timed out, split across the timeout, is
    /// still collected by the next wait.
    #[test]
    fn wait_many_resumes_after_a_timeout() {
        let (a, mut b) = UnixStream::pair().unwrap();
        let mut c = client_on(a);
        let short = || Deadline::after(Duration::from_millis(30));
        let mut p = c
            .send_many(&[("a", json!([])), ("b", json!([]))], short())
            .unwrap();
        b.write_all(br#"{"id":1,"result":"one","error":null}{"id":2,"res"#)
            .unwrap();
        assert!(c.wait_many(&mut p, short()).unwrap_err().is_timeout());
        b.write_all(br#"ult":"two","error":null}"#).unwrap();
        let r = c.wait_many(&mut p, short()).unwrap();
        assert_eq!(r[0].as_ref().unwrap(), "one");
        assert_eq!(r[1].as_ref().unwrap(), "two");
    }

    #[test]
    fn silent_server_times_out() {
        let (a, _b) = UnixStream::pair().unwrap();
        let mut c = client_on(a);
        let e = c
            .call("x", json!([]), Deadline::after(Duration::from_millis(50)))
            .unwrap_err();
        assert!(e.is_timeout(), "{e}");
    }

    #[test]
    fn remote_error_is_reported() {
        let (a, mut b) = UnixStream::pair().unwrap();
        b.write_all(br#"{"id":1,"result":null,"error":"\"bogus\" command"}"#)
            .unwrap();
        let mut c = client_on(a);
        let e = c
            .call("bogus", json!([]), Deadline::after(Duration::from_secs(5)))
            .unwrap_err();
        assert!(matches!(e, Error::Remote { .. }), "{e}");
        assert!(e.to_string().contains("\"bogus\" command"));
    }
}

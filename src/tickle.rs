//! Ending a moved address's old connections at once: "tickle ACKs", as CTDB sends them
//! when a public address moves to another node.
//!
//! After a power cut the clients of a service address still hold connections to the
//! dead node: nothing told them otherwise. They learn only when they next send (and a
//! retransmission reaches the node that took the address over, whose kernel answers
//! with a reset), or from their own inactivity probe. A tickle makes that happen at
//! once: from the address (now local here), a bare ACK with sequence and acknowledgment
//! numbers 0 to the client's port. The client's kernel finds it outside its window and
//! answers with an ACK of its own (RFC 5961's challenge ACK, or RFC 793's ACK to an
//! unacceptable segment), carrying its real sequence numbers; this node's kernel has no
//! such connection and resets it; the client takes the reset. A connection this node does
//! hold is not harmed: its client's ACK is a duplicate one here, nothing more.
//!
//! Sent through a raw socket (CAP_NET_RAW), bound to the address the connection's
//! server end had: the kernel writes the IP header with that source; the TCP segment and
//! its checksum are made here. Nothing is read from the socket.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::{AsRawFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{
    AddressFamily, MsgFlags, SockFlag, SockProtocol, SockType, SockaddrIn, SockaddrIn6, bind,
    sendto, socket,
};

/// One TCP connection as its server end saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Conn {
    /// The server's end: the address and port the client connected to.
    pub local: SocketAddr,
    /// The client's end.
    pub remote: SocketAddr,
}

impl Conn {
    /// Both ends in one family: an IPv4-mapped IPv6 address (a dual-stack listener's
    /// IPv4 client) as IPv4; None for a mixed pair.
    pub fn new(local: SocketAddr, remote: SocketAddr) -> Option<Conn> {
        let canon = |a: SocketAddr| SocketAddr::new(a.ip().to_canonical(), a.port());
        let (local, remote) = (canon(local), canon(remote));
        (local.is_ipv4() == remote.is_ipv4()).then_some(Conn { local, remote })
    }
}

/// The text of a list of connections: one per line, "LOCAL REMOTE" (`1.2.3.4:6641
/// 5.6.7.8:40000`, `[2001:db8::1]:6641 [2001:db8::2]:40000`).
pub fn format(conns: &[Conn]) -> String {
    conns
        .iter()
        .map(|c| format!("{} {}\n", c.local, c.remote))
        .collect()
}

/// The connections of [`format`]'s text; a line that does not parse is skipped.
pub fn parse(text: &str) -> Vec<Conn> {
    text.lines()
        .filter_map(|l| {
            let (a, b) = l.trim().split_once(' ')?;
            Conn::new(a.parse().ok()?, b.parse().ok()?)
        })
        .collect()
}

/// Window advertised by a tickle (any value does: the client ignores the segment).
const WINDOW: u16 = 1024;

/// The 20-byte TCP segment of a tickle for `c`: from its local end to its remote end,
/// sequence and acknowledgment numbers 0, ACK set, checksummed over the IP pseudo-header.
pub fn segment(c: &Conn) -> [u8; 20] {
    let mut s = [0u8; 20];
    s[0..2].copy_from_slice(&c.local.port().to_be_bytes());
    s[2..4].copy_from_slice(&c.remote.port().to_be_bytes());
    // seq 4..8 and ack 8..12 stay 0.
    s[12] = 5 << 4; // data offset: 5 words, no options
    s[13] = 0x10; // ACK
    s[14..16].copy_from_slice(&WINDOW.to_be_bytes());
    let sum = checksum(&pseudo_header(c), &s);
    s[16..18].copy_from_slice(&sum.to_be_bytes());
    s
}

/// The pseudo-header a TCP checksum covers for a 20-byte segment from `c.local` to
/// `c.remote` (RFC 793 for IPv4, RFC 8200 section 8.1 for IPv6).
fn pseudo_header(c: &Conn) -> Vec<u8> {
    let mut p = Vec::with_capacity(40);
    match (c.local.ip(), c.remote.ip()) {
        (IpAddr::V4(a), IpAddr::V4(b)) => {
            p.extend_from_slice(&a.octets());
            p.extend_from_slice(&b.octets());
            p.extend_from_slice(&[0, 6, 0, 20]);
        }
        (a, b) => {
            let v6 = |ip: IpAddr| match ip {
                IpAddr::V6(x) => x.octets(),
                IpAddr::V4(x) => x.to_ipv6_mapped().octets(),
            };
            p.extend_from_slice(&v6(a));
            p.extend_from_slice(&v6(b));
            p.extend_from_slice(&[0, 0, 0, 20, 0, 0, 0, 6]);
        }
    }
    p
}

/// The Internet checksum (RFC 1071) of `head` followed by `body` (`head` of even length).
fn checksum(head: &[u8], body: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for chunk in head.chunks(2).chain(body.chunks(2)) {
        let word = u16::from_be_bytes([chunk[0], *chunk.get(1).unwrap_or(&0)]);
        sum += u32::from(word);
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// What [`send`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Tickles sent.
    pub sent: usize,
    /// Connections whose server address is not on this node: nothing sent.
    pub not_here: Vec<Conn>,
    /// Connections whose tickle could not be sent, and the first reason.
    pub failed: usize,
    pub error: Option<String>,
}

impl Sent {
    fn fail(&mut self, n: usize, why: String) {
        self.failed += n;
        self.error.get_or_insert(why);
    }
}

/// Sends one tickle for every connection whose server address is on this node; never
/// blocks (a full socket buffer counts as a failure).
pub fn send(conns: &[Conn]) -> Sent {
    let mut by_local: BTreeMap<IpAddr, Vec<&Conn>> = BTreeMap::new();
    for c in conns {
        by_local.entry(c.local.ip()).or_default().push(c);
    }
    let mut out = Sent::default();
    for (ip, group) in by_local {
        let fd = match raw_socket(ip) {
            Ok(fd) => fd,
            Err(Errno::EADDRNOTAVAIL) => {
                out.not_here.extend(group.into_iter().copied());
                continue;
            }
            Err(e) => {
                out.fail(group.len(), format!("raw socket bound to {ip}: {e}"));
                continue;
            }
        };
        for c in group {
            let seg = segment(c);
            let flags = MsgFlags::MSG_DONTWAIT;
            let r = match c.remote.ip() {
                IpAddr::V4(a) => sendto(
                    fd.as_raw_fd(),
                    &seg,
                    &SockaddrIn::from(SocketAddrV4::new(a, 0)),
                    flags,
                ),
                IpAddr::V6(a) => sendto(
                    fd.as_raw_fd(),
                    &seg,
                    &SockaddrIn6::from(SocketAddrV6::new(a, 0, 0, 0)),
                    flags,
                ),
            };
            match r {
                Ok(_) => out.sent += 1,
                Err(e) => out.fail(1, format!("to {}: {e}", c.remote)),
            }
        }
    }
    out
}

/// A raw TCP socket whose packets leave from `ip` (EADDRNOTAVAIL: not an address here).
fn raw_socket(ip: IpAddr) -> Result<OwnedFd, Errno> {
    let family = match ip {
        IpAddr::V4(_) => AddressFamily::Inet,
        IpAddr::V6(_) => AddressFamily::Inet6,
    };
    let fd = socket(
        family,
        SockType::Raw,
        SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        SockProtocol::Tcp,
    )?;
    match ip {
        IpAddr::V4(a) => bind(fd.as_raw_fd(), &SockaddrIn::from(SocketAddrV4::new(a, 0)))?,
        IpAddr::V6(a) => bind(
            fd.as_raw_fd(),
            &SockaddrIn6::from(SocketAddrV6::new(a, 0, 0, 0)),
        )?,
    }
    Ok(fd)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(a: &str, b: &str) -> Conn {
        Conn::new(a.parse().unwrap(), b.parse().unwrap()).unwrap()
    }

    #[test]
    fn the_segment_checksums_to_zero_with_its_pseudo_header() {
        for c in [
            conn("198.51.100.100:6641", "198.51.100.200:44762"),
            conn("[2001:db8::64]:6642", "[2001:db8::c8]:1"),
        ] {
            let s = segment(&c);
            assert_eq!(checksum(&pseudo_header(&c), &s), 0, "{c:?}");
            assert_eq!(&s[0..2], &c.local.port().to_be_bytes());
            assert_eq!(&s[2..4], &c.remote.port().to_be_bytes());
            assert_eq!(&s[4..12], &[0; 8]);
            assert_eq!((s[12], s[13]), (0x50, 0x10));
        }
    }

    #[test]
    fn the_checksum_is_rfc_1071s() {
        // RFC 1071 section 3's example words: sum 0xddf2, checksum its complement.
        assert_eq!(
            checksum(&[0x00, 0x01, 0xf2, 0x03], &[0xf4, 0xf5, 0xf6, 0xf7]),
            !0xddf2
        );
        // An odd-length body is padded with a zero byte.
        assert_eq!(checksum(&[], &[0x01]), !0x0100);
    }

    #[test]
    fn the_list_round_trips_and_skips_what_does_not_parse() {
        let conns = vec![
            conn("198.51.100.100:6641", "198.51.100.200:44762"),
            conn("[2001:db8::64]:6642", "[2001:db8::c8]:40000"),
        ];
        assert_eq!(parse(&format(&conns)), conns);
        let text = format!(
            "{}garbage\n1.2.3.4:1\n1.2.3.4:1 [2001:db8::1]:2\n\n",
            format(&conns)
        );
        assert_eq!(parse(&text), conns);
    }

    #[test]
    fn a_mapped_ipv4_pair_is_ipv4() {
        let c = conn("[::ffff:198.51.100.100]:6641", "[::ffff:198.51.100.200]:5");
        assert_eq!(c, conn("198.51.100.100:6641", "198.51.100.200:5"));
        assert!(
            Conn::new(
                "198.51.100.100:1".parse().unwrap(),
                "[2001:db8::1]:2".parse().unwrap()
            )
            .is_none()
        );
    }
}

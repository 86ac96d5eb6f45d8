//! `storage=replicate` (shape D) against Debian's ovsdb-server, two "nodes" on one
//! machine (127.0.0.1 and 127.0.0.2, their own run dirs and files): a replica follows the
//! promoted instance; a planned handover (demote, then promote the replica) loses no
//! acknowledged write; a replica never replicates from itself; a replica whose
//! replication fails (ovsdb-server then makes itself active) is reported, not taken
//! for a current one, and held read-only while no peer it can replicate from answers;
//! a dead replica's probe says not running; the stop of a demoted instance does not wait
//! for a replica on a node the cluster lost, and says when a replica's connection closed
//! before it received everything; a hung promoted server's file keeps its score through
//! demote and stop.
//!
//! Pacemaker's tools are the recording stubs of `PcmkShim` (no cluster runs in cargo
//! tests; the namespace cluster runs the real ones).

mod common;

use std::io::Write;
use std::net::TcpStream;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::*;

/// A replicated NB instance on `node` (its address `addr`), both nodes in the peers.
fn replica(node: &str, addr: &str, rport: u16, shim: &PcmkShim) -> Res {
    let mut r = Res::promotable("nb");
    r.port = free_port(addr);
    let port = r.port.to_string();
    r.set("OCF_RESKEY_CRM_meta_on_node", node)
        .set("OCF_RESKEY_storage", "replicate")
        .set(
            "OCF_RESKEY_replication_peers",
            "node1=127.0.0.1 node2=127.0.0.2",
        )
        .set("OCF_RESKEY_replication_port", &rport.to_string())
        .set("OCF_RESKEY_listen_address", addr)
        .set("OCF_RESKEY_port", &port)
        .set("PATH", &shim.path_env());
    r
}

/// Two nodes' instances of one replicated NB, and the Pacemaker stubs they share.
struct Pair {
    shim: PcmkShim,
    rport: u16,
    a: Res,
    b: Res,
}

fn pair() -> Pair {
    let shim = PcmkShim::new("1 node1 member\n2 node2 member\n");
    let rport = free_port("127.0.0.1");
    let a = replica("node1", "127.0.0.1", rport, &shim);
    let b = replica("node2", "127.0.0.2", rport, &shim);
    Pair { shim, rport, a, b }
}

/// a promoted, b started and replicating from it.
fn promoted_and_followed(a: &Res, b: &Res) {
    a.expect("start", 0);
    a.expect("promote", 0);
    b.expect("start", 0);
    wait_for("b replicates from a", || {
        sync_status(b).contains("replicating:")
    });
}

/// Whether the agent wrote promotion score `v` (`crm_attribute --promotion -v V`).
fn scored(shim: &PcmkShim, v: i32) -> bool {
    shim.calls()
        .iter()
        .any(|c| c.contains("--promotion") && c.contains(&format!("-v {v}")))
}

/// A unixctl command through ovn-appctl (an independent client); panics if it fails.
fn appctl_ok(ctl: &std::path::Path, args: &[&str]) {
    let o = Command::new("ovn-appctl")
        .arg("-t")
        .arg(ctl)
        .args(args)
        .output()
        .unwrap();
    assert!(o.status.success(), "{args:?}: {o:?}");
}

fn ctl(r: &Res) -> std::path::PathBuf {
    r.run_dir().join("ovnnb_db.ctl")
}

fn sync_status(r: &Res) -> String {
    r.appctl(&ctl(r), "ovsdb-server/sync-status")
}

/// Waits (bounded, generously) until `cond` holds; panics with `what` otherwise.
fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(60);
    while !cond() {
        assert!(Instant::now() < end, "never: {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn local_names(r: &Res) -> Vec<String> {
    set_names(&r.local_transact(&select_sets()).unwrap())
}

/// A client that writes one Address_Set row per transaction on one connection, as fast
/// as the server acknowledges, and records every acknowledged name.
fn writer(addr: std::net::SocketAddr, stop: Arc<AtomicBool>, acked: Arc<Mutex<Vec<String>>>) {
    let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_secs(5)) else {
        return;
    };
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let reader = s.try_clone().unwrap();
    let mut replies =
        serde_json::Deserializer::from_reader(reader).into_iter::<serde_json::Value>();
    for i in 0.. {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let name = format!("w{i}");
        let req = format!(
            r#"{{"id":{i},"method":"transact","params":["OVN_Northbound",{}]}}"#,
            write_ops(&name)
        );
        if s.write_all(req.as_bytes()).is_err() {
            return;
        }
        loop {
            match replies.next() {
                Some(Ok(v)) if v["id"] == i => {
                    let ok = v["error"].is_null()
                        && v["result"]
                            .as_array()
                            .is_some_and(|r| r.iter().all(|o| o.get("error").is_none()));
                    if !ok {
                        return;
                    }
                    acked.lock().unwrap().push(name);
                    break;
                }
                // An echo or an update: not our reply.
                Some(Ok(_)) => continue,
                _ => return,
            }
        }
    }
}

#[test]
fn a_replica_follows_and_a_planned_handover_loses_no_acknowledged_write() {
    let Pair { shim, a, b, .. } = pair();

    // Nobody is promoted yet: a replica with nothing to follow.
    a.expect("start", 0);
    assert!(
        sync_status(&a).contains("state: active"),
        "{}",
        sync_status(&a)
    );
    a.expect("promote", 0);
    a.expect("monitor", 8);
    a.client_transact(&write_ops("before-b")).unwrap();

    // b loads a full copy and follows.
    b.expect("start", 0);
    wait_for("b replicates from a", || {
        sync_status(&b).contains("replicating: tcp:127.0.0.1:")
    });
    wait_for("b holds a's row", || local_names(&b) == ["before-b"]);
    b.expect("monitor", 0);
    assert!(
        shim.calls()
            .iter()
            .any(|c| c.contains("ovn-ocf-nb-replication") && c.contains("replicating from node1")),
        "{:?}",
        shim.calls()
    );
    // A replica refuses writes (ovsdb-server's backup mode).
    let refused = b.local_transact(&write_ops("on-b"));
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("not allowed")),
        "{refused:?}"
    );

    // The handover, with a writer on a's listener the whole time.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(vec![]));
    let w = {
        let (stop, acked, addr) = (stop.clone(), acked.clone(), a.tcp());
        std::thread::spawn(move || writer(addr, stop, acked))
    };
    wait_for("the writer got writes through", || {
        acked.lock().unwrap().len() >= 50
    });
    a.expect("demote", 0);
    let promoted = b.expect("promote", 0);
    stop.store(true, Ordering::Relaxed);
    w.join().unwrap();
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() >= 50);
    let on_b = local_names(&b);
    let lost: Vec<&String> = acked.iter().filter(|n| !on_b.contains(n)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged writes lost: {lost:?}",
        lost.len(),
        acked.len()
    );
    assert!(
        promoted.stderr.contains("caught up with node1"),
        "{}",
        promoted.stderr
    );
    b.expect("monitor", 8);
    b.client_transact(&write_ops("after-handover")).unwrap();

    // The demoted one follows the new promoted instance at its next monitor.
    a.expect("monitor", 0);
    wait_for("a replicates from b", || {
        sync_status(&a).contains("replicating: tcp:127.0.0.2:")
    });
    wait_for("a holds b's new row", || {
        local_names(&a).contains(&"after-handover".to_string())
    });
    a.expect("monitor", 0);
    // A stopped instance that handed over leaves no score.
    shim.clear();
    a.expect("stop", 0);
    assert!(
        shim.calls()
            .iter()
            .any(|c| c.contains("--promotion") && c.contains("-D")),
        "{:?}",
        shim.calls()
    );
    b.expect("stop", 0);
}

#[test]
fn a_replica_never_replicates_from_itself() {
    let Pair { shim, rport, a, .. } = pair();
    a.expect("start", 0);
    // node2's address answers here, with this node's own server (an address that is
    // local on this node: a VIP left behind, or a listener on all addresses).
    appctl_ok(
        &ctl(&a),
        &[
            "ovsdb-server/add-remote",
            &format!("ptcp:{rport}:127.0.0.2"),
        ],
    );
    wait_for("the listener is up", || {
        TcpStream::connect(("127.0.0.2", rport)).is_ok()
    });
    shim.clear();
    let m = a.expect("monitor", 0);
    assert!(
        m.stderr.contains("not replicating from itself"),
        "{}",
        m.stderr
    );
    // ovsdb-server was never pointed at itself: it would have logged its own refusal
    // and made itself active.
    assert!(!a.log().contains("Self replicating"), "{}", a.log());
    assert!(sync_status(&a).contains("state: active"));
    // Not a current replica: the lowest score.
    assert!(
        shim.calls()
            .iter()
            .all(|c| !c.contains("--promotion") || c.contains("-v 1")),
        "{:?}",
        shim.calls()
    );
    a.expect("stop", 0);
}

/// A peer with a newer schema that serves no anchor (an ovsdb-server the agent does not
/// run, say): ovsdb-server drops OVN_Northbound, then waits for good for the anchor it
/// asked that peer for. Read-only throughout; the monitor says why.
#[test]
fn a_replica_of_a_newer_peer_without_the_anchor_stays_read_only() {
    let Pair { shim, rport, a, b } = pair();
    promoted_and_followed(&a, &b);
    b.expect("monitor", 0);

    // a goes, and node1 comes back with a newer schema (an upgrade: one more table) that
    // this replica's older one cannot hold, served by a plain ovsdb-server.
    a.expect("stop", 0);
    let dir = tempfile::tempdir().unwrap();
    let newer = newer_schema(dir.path());
    let nb = dir.path().join("nb.db");
    create_db(&nb, newer.to_str().unwrap());
    let other = RawServer::start(&nb);
    appctl_ok(
        &other.sock().with_file_name("db.ctl"),
        &[
            "ovsdb-server/add-remote",
            &format!("ptcp:{rport}:127.0.0.1"),
        ],
    );
    wait_for("b's ovsdb-server found the newer schema", || {
        let st = sync_status(&b);
        assert!(st.contains("state: backup"), "b left backup: {st}");
        b.log().contains("OVN_Northbound cannot be replicated")
    });
    said_it_cannot_follow(&shim, &b);
    // No remote client could write to it either: a replica opens no listener.
    assert!(!b.log().contains("ptcp"), "{}", b.log());
    let st = sync_status(&b);
    assert!(st.contains("state: backup"), "{st}");

    // node1 back at the schema b holds: b's ovsdb-server reconnects by itself, and the
    // monitor finds it current again.
    drop(other);
    a.expect("start", 0);
    a.expect("promote", 0);
    wait_for("b replicates OVN_Northbound from a again", || {
        sync_status(&b).contains("OVN_Northbound")
    });
    b.expect("monitor", 0);
    b.expect("stop", 0);
    a.expect("demote", 0);
    a.expect("stop", 0);
}

/// After b's ovsdb-server found node1's schema one it cannot hold, without switching
/// ("Nothing to replicate" is what precedes the switch): the monitor says so (degraded,
/// why, the lowest promotion score) and a local client (ovn-nbctl on that node) cannot
/// write to it. The reason.
fn said_it_cannot_follow(shim: &PcmkShim, b: &Res) -> String {
    assert!(!b.log().contains("Nothing to replicate"), "{}", b.log());
    shim.clear();
    let m = b.run("monitor");
    assert_eq!(m.code, 190, "{}", m.stderr);
    let reason = m.reason().unwrap().to_string();
    for part in [
        "held read-only",
        "cannot replicate",
        "Upgrade_Only",
        "node1",
    ] {
        assert!(reason.contains(part), "{part}: {reason}");
    }
    assert!(scored(shim, 1), "{:?}", shim.calls());
    let w = b.local_transact(&write_ops("local-write-on-a-replica-that-cannot-follow"));
    assert!(
        w.as_ref().map_or(true, |v| v.to_string().contains("error")),
        "a replica that cannot follow took a write: {w:?}"
    );
    reason
}

/// nb.ovsschema plus one table, one minor version up (an upgraded OVN), in `dir`.
fn newer_schema(dir: &std::path::Path) -> std::path::PathBuf {
    let mut schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(NB_SCHEMA).unwrap()).unwrap();
    schema["tables"]["Upgrade_Only"] = serde_json::json!({
        "columns": {"name": {"type": "string"}},
        "isRoot": true
    });
    let v = schema["version"].as_str().unwrap().to_string();
    let (major, rest) = v.split_once('.').unwrap();
    let minor: u32 = rest.split('.').next().unwrap().parse().unwrap();
    schema["version"] = serde_json::json!(format!("{major}.{}.0", minor + 1));
    let newer = dir.join("newer.ovsschema");
    std::fs::write(&newer, schema.to_string()).unwrap();
    newer
}

/// A peer that serves no anchor (an ovn-ocf from before it, say, in a rolling upgrade of
/// the agents): the replica drops its own anchor to replicate from it (with it, it would
/// wait for good for the anchor's copy), and serves it again for a peer that has one.
#[test]
fn a_replica_follows_a_peer_without_the_anchor_and_takes_it_back_after() {
    let Pair {
        shim: _s,
        rport,
        a,
        b,
    } = pair();
    let dir = tempfile::tempdir().unwrap();
    let nb = dir.path().join("nb.db");
    create_db(&nb, NB_SCHEMA);
    let other = RawServer::start(&nb);
    appctl_ok(
        &other.sock().with_file_name("db.ctl"),
        &[
            "ovsdb-server/add-remote",
            &format!("ptcp:{rport}:127.0.0.1"),
        ],
    );
    b.expect("start", 0);
    wait_for("b replicates OVN_Northbound from the plain server", || {
        sync_status(&b).contains("database: OVN_Northbound")
    });
    assert!(
        !sync_status(&b).contains("OVN_OCF_Anchor"),
        "{}",
        sync_status(&b)
    );
    b.expect("monitor", 0);

    drop(other);
    a.expect("start", 0);
    a.expect("promote", 0);
    wait_for("b notices node1 went", || {
        let m = b.run("monitor");
        assert_eq!(m.code, 0, "{}", m.stderr);
        sync_status(&b).contains("OVN_OCF_Anchor")
    });
    wait_for("b replicates both from a", || {
        let st = sync_status(&b);
        st.contains("replicating:")
            && st.contains("OVN_OCF_Anchor")
            && st.contains("OVN_Northbound")
    });
    b.expect("monitor", 0);
    b.expect("stop", 0);
    a.expect("demote", 0);
    a.expect("stop", 0);
}

/// What answers on a replication port as no ovsdb-server would: `get_server_id` with a
/// string that is no UUID (ovsdb-server's replication then fails for good, "Server ID is
/// not valid UUID", and it makes itself active), `echo` as it should, anything else with
/// an error. Stops accepting when dropped.
struct BadPeer {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BadPeer {
    fn listen(rport: u16) -> BadPeer {
        let l = std::net::TcpListener::bind(("127.0.0.1", rport)).unwrap();
        l.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = stop.clone();
        let thread = std::thread::spawn(move || {
            while !stopped.load(Ordering::Relaxed) {
                match l.accept() {
                    Ok((s, _)) => {
                        std::thread::spawn(move || serve_badly(s));
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        BadPeer {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for BadPeer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve_badly(s: TcpStream) {
    let _ = s.set_nonblocking(false);
    let _ = s.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(reader) = s.try_clone() else { return };
    let mut w = s;
    for v in serde_json::Deserializer::from_reader(reader).into_iter::<serde_json::Value>() {
        let Ok(v) = v else { return };
        let reply = match v["method"].as_str() {
            Some("get_server_id") => {
                serde_json::json!({"id": v["id"], "result": "not-a-uuid", "error": null})
            }
            Some("echo") => {
                serde_json::json!({"id": v["id"], "result": v["params"], "error": null})
            }
            _ => serde_json::json!({"id": v["id"], "result": null, "error": "not here"}),
        };
        if w.write_all(reply.to_string().as_bytes()).is_err() {
            return;
        }
    }
}

/// A replication that fails by ovsdb-server's own rules in a way the anchor cannot help
/// with: it makes itself active. The monitor says so (degraded, ovsdb-server's error),
/// the lowest score, and, with nobody it can replicate from, holds it read-only; it is
/// aimed again as soon as the promoted instance answers.
#[test]
fn a_replica_whose_replication_fails_is_reported_held_and_aimed_again() {
    let Pair { shim, rport, a, b } = pair();
    promoted_and_followed(&a, &b);
    b.expect("monitor", 0);

    a.expect("stop", 0);
    let bad = BadPeer::listen(rport);
    wait_for("b's ovsdb-server gave up replicating", || {
        sync_status(&b).contains("state: active")
    });
    shim.clear();
    let m = b.run("monitor");
    assert_eq!(m.code, 190, "{}", m.stderr);
    let reason = m.reason().unwrap().to_string();
    assert!(reason.contains("made itself active"), "{reason}");
    assert!(reason.contains("node1"), "{reason}");
    assert!(reason.contains("Server ID is not valid UUID"), "{reason}");
    assert!(scored(&shim, 1), "{:?}", shim.calls());
    assert!(!b.log().contains("ptcp"), "{}", b.log());
    // Not aimed at node1 again (it answers as no ovsdb-server does) but held, a
    // read-only backup of nothing: a local client cannot write to it.
    let st = sync_status(&b);
    assert!(st.contains("state: backup"), "{st}");
    assert!(st.contains(".held"), "{st}");
    let w = b.local_transact(&write_ops("local-write-on-a-held-replica"));
    assert!(
        w.as_ref().map_or(true, |v| v.to_string().contains("error")),
        "a held replica took a write: {w:?}"
    );
    let m = b.run("monitor");
    assert_eq!(m.code, 190, "{}", m.stderr);
    let reason = m.reason().unwrap().to_string();
    assert!(reason.contains("held read-only"), "{reason}");
    assert!(sync_status(&b).contains("state: backup"));
    // node1 back: b replicates from it at the next monitor.
    drop(bad);
    a.expect("start", 0);
    a.expect("promote", 0);
    b.expect("monitor", 0);
    wait_for("b replicates from a again", || {
        sync_status(&b).contains("OVN_Northbound")
    });
    b.expect("monitor", 0);
    b.expect("stop", 0);
    a.expect("demote", 0);
    a.expect("stop", 0);
}

/// The rolling upgrade that starts with the promoted node: its OVN (and schema) newer
/// than the replica's. Without the anchor, the replica's ovsdb-server would find nothing
/// it can replicate and make itself active (the previous test, against a peer that
/// serves no anchor); with it, it drops OVN_Northbound from its replication, goes on
/// replicating the anchor and never leaves backup: read-only from the first moment.
#[test]
fn a_replica_of_an_upgraded_promoted_instance_never_turns_active() {
    let Pair {
        shim,
        rport,
        mut a,
        b,
    } = pair();
    promoted_and_followed(&a, &b);
    b.expect("monitor", 0);
    assert!(
        sync_status(&b).contains("OVN_OCF_Anchor"),
        "{}",
        sync_status(&b)
    );

    // node1 is taken out (demote, stop) and comes back upgraded: its schema has one more
    // table, and its start converts its file.
    a.expect("demote", 0);
    a.expect("stop", 0);
    let dir = tempfile::tempdir().unwrap();
    let newer = newer_schema(dir.path());
    a.set("OCF_RESKEY_schema", newer.to_str().unwrap());
    a.expect("start", 0);
    a.expect("promote", 0);

    // b's ovsdb-server reconnects by itself (its backoff) and finds the newer schema.
    // Watched until it has, and a little after: never active.
    let mut samples = 0;
    let mut anchor_only = None;
    let end = Instant::now() + Duration::from_secs(60);
    loop {
        let st = sync_status(&b);
        samples += 1;
        assert!(
            st.contains("state: backup"),
            "b's ovsdb-server left backup after {samples} samples: {st}"
        );
        let dbs = st
            .lines()
            .find(|l| l.starts_with("database:"))
            .unwrap_or("");
        if anchor_only.is_none()
            && dbs.contains("OVN_OCF_Anchor")
            && !dbs.contains("OVN_Northbound")
        {
            anchor_only = Some(samples);
        }
        if anchor_only.is_some_and(|n| samples >= n + 100) {
            break;
        }
        assert!(Instant::now() < end, "b never dropped OVN_Northbound: {st}");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        b.log().contains("OVN_Northbound cannot be replicated"),
        "{}",
        b.log()
    );
    let reason = said_it_cannot_follow(&shim, &b);
    // Monitors after that: the same, the reason not asked for again.
    let again = b.run("monitor");
    assert_eq!(again.code, 190, "{}", again.stderr);
    assert_eq!(again.reason(), Some(reason.as_str()));
    let st = sync_status(&b);
    assert!(
        st.contains("state: backup") && st.contains(&format!("tcp:127.0.0.1:{rport}")),
        "{st}"
    );
    b.expect("stop", 0);
    a.expect("demote", 0);
    a.expect("stop", 0);
}

#[test]
fn replicate_needs_a_promotable_clone_and_this_node_in_the_peers() {
    let shim = PcmkShim::new("1 node1 member\n");
    let rport = free_port("127.0.0.1");
    let mut p = replica("node1", "127.0.0.1", rport, &shim);
    p.unset("OCF_RESKEY_CRM_meta_promoted_max")
        .unset("OCF_RESKEY_CRM_meta_master_max");
    let o = p.run("start");
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("promotable"), "{}", o.stderr);
    let q = replica("node3", "127.0.0.1", rport, &shim);
    let o = q.run("start");
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(
        o.reason()
            .unwrap()
            .contains("no address for this node (node3)"),
        "{}",
        o.stderr
    );
    let mut r = replica("node1", "127.0.0.1", rport, &shim);
    r.set("OCF_RESKEY_replication_peers", "node1=127.0.0.1");
    let o = r.run("start");
    assert_eq!(o.code, 6, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("two at least"), "{}", o.stderr);
}

/// kill -9 of the promoted server: its own file holds every write it acknowledged, so
/// after the restart in place it scores above any replica (6 against 5 at most). If
/// another node was promoted meanwhile anyway, the file is backed up byte for byte
/// before this node replicates over it: nothing acknowledged is silently destroyed.
#[test]
fn a_file_served_and_not_handed_over_goes_first_and_is_kept() {
    let Pair { shim, a, b, .. } = pair();
    a.expect("start", 0);
    a.expect("promote", 0);
    a.client_transact(&write_ops("only-on-a")).unwrap();
    let pid = a.server_pid().unwrap();
    a.signal("KILL");
    a.wait_server_gone(pid);
    // Pacemaker's recovery of a promoted instance: demote, stop, start (then promote).
    a.expect("demote", 0);
    a.expect("stop", 0);
    shim.clear();
    a.expect("start", 0);
    assert!(scored(&shim, 6), "{:?}", shim.calls());
    assert_eq!(local_names(&a), ["only-on-a"]);

    // b is promoted instead (with nothing: it never replicated), and takes writes.
    b.expect("start", 0);
    b.expect("promote", 0);
    b.client_transact(&write_ops("on-b")).unwrap();
    let backups = a.db_file().with_file_name("ovn-ocf-backups");
    let bak_count = || {
        std::fs::read_dir(&backups).map_or(0, |d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().to_string_lossy().ends_with(".bak"))
            })
            .count()
        })
    };
    let before = bak_count();
    let m = a.expect("monitor", 0);
    assert!(
        m.stderr.contains("not handed over: backed up to"),
        "{}",
        m.stderr
    );
    wait_for("a replicates b", || local_names(&a) == ["on-b"]);
    let baks: Vec<std::path::PathBuf> = std::fs::read_dir(&backups)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".bak"))
        .collect();
    assert_eq!(baks.len(), before + 1, "{baks:?}");
    let kept = RawServer::start(&baks[0]);
    assert_eq!(kept.names("nb"), ["only-on-a"]);
    a.expect("stop", 0);
    b.expect("stop", 0);
}

/// A promoted server that hangs (SIGSTOP): monitor fails it (9), demote does not wait on
/// it for a handover it cannot give: it stops the server (demote succeeds, so Pacemaker's
/// recovery goes on), and the file keeps its served-last marker for the restart.
#[test]
fn demote_of_a_hung_promoted_server_stops_it() {
    let Pair { shim, a, .. } = pair();
    a.expect("start", 0);
    a.expect("promote", 0);
    a.client_transact(&write_ops("acked")).unwrap();
    let pid = a.server_pid().unwrap();
    a.signal("STOP");
    let m = a.run("monitor");
    assert_eq!(m.code, 9, "{}", m.stderr);
    assert!(m.reason().unwrap().contains("stopped"), "{}", m.stderr);
    shim.clear();
    let d = a.expect("demote", 0);
    assert!(
        d.stderr.contains("no handover; stopping it"),
        "{}",
        d.stderr
    );
    a.wait_server_gone(pid);
    assert!(
        a.db_file()
            .with_file_name(".ovnnb_db.db.served-last")
            .exists()
    );
    // Nothing handed over: it scores as its next start will, and the stop leaves that
    // score (it deletes none), so that Pacemaker's recovery in place does not plan the promoted role on
    // another node between the stop and the start.
    assert!(scored(&shim, 6), "{:?}", shim.calls());
    shim.clear();
    a.expect("stop", 0);
    assert!(
        !shim
            .calls()
            .iter()
            .any(|c| c.contains("--promotion") && c.contains("-D")),
        "{:?}",
        shim.calls()
    );
    shim.clear();
    a.expect("start", 0);
    assert!(scored(&shim, 6), "{:?}", shim.calls());
    assert_eq!(local_names(&a), ["acked"]);
}

/// With no promoted instance anywhere (a whole cluster starting, a migration from
/// ovndb-servers.ocf), a file with rows of its own goes before one just created empty.
#[test]
fn with_nobody_promoted_a_file_with_rows_goes_before_an_empty_one() {
    let Pair { shim, a, .. } = pair();
    a.expect("start", 0);
    assert!(scored(&shim, 1), "{:?}", shim.calls());
    // Idle (nothing to follow), so its own socket takes a write: rows of its own.
    a.local_transact(&write_ops("own")).unwrap();
    a.expect("stop", 0);
    shim.clear();
    a.expect("start", 0);
    assert!(scored(&shim, 2), "{:?}", shim.calls());
    assert_eq!(local_names(&a), ["own"]);
}

/// A replica pointed elsewhere behind the agent's back (`set-active-ovsdb-server` by
/// hand, somewhere nothing answers) is pointed at the promoted instance again by its
/// next monitor.
#[test]
fn a_replica_pointed_elsewhere_is_pointed_back() {
    let Pair {
        shim: _shim, a, b, ..
    } = pair();
    a.expect("start", 0);
    a.expect("promote", 0);
    b.expect("start", 0);
    wait_for("b replicates from a", || {
        sync_status(&b).contains("replicating: tcp:127.0.0.1:")
    });
    let nowhere = format!("tcp:127.0.0.3:{}", free_port("127.0.0.3"));
    appctl_ok(
        &ctl(&b),
        &["ovsdb-server/set-active-ovsdb-server", &nowhere],
    );
    appctl_ok(&ctl(&b), &["ovsdb-server/connect-active-ovsdb-server"]);
    assert!(sync_status(&b).contains(&nowhere), "{}", sync_status(&b));
    let m = b.expect("monitor", 0);
    assert!(m.stderr.contains("behind the agent's back"), "{}", m.stderr);
    wait_for("b replicates from a again", || {
        sync_status(&b).contains("replicating: tcp:127.0.0.1:")
    });
}

/// A replica that computes for longer than its monitor's time (as one loading a full copy
/// of a large database does) is busy, not failed: the monitor answers running, changes
/// nothing, and does not point it anywhere.
#[test]
fn a_busy_replica_is_running_not_failed() {
    let Pair { shim: _shim, a, .. } = pair();
    a.expect("start", 0);
    // Idle (nothing to follow), so its own socket takes the write that keeps it busy.
    let _busy = make_busy(&a, 150_000);
    let o = a.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("busy"), "the slow path ran: {}", o.stderr);
    a.expect("stop", 0);
}

#[test]
fn a_dead_replicas_probe_says_not_running() {
    let Pair { a, b, .. } = pair();
    promoted_and_followed(&a, &b);
    let pid = b.server_pid().expect("b's ovsdb-server runs");
    b.signal("KILL");
    b.wait_server_gone(pid);
    // What a probe after a restart of Pacemaker finds: not running (7), as for a
    // primitive, not a generic error.
    let p = b.probe();
    assert_eq!(p.code, 7, "{}", p.stderr);
    b.expect("stop", 0);
    a.expect("demote", 0);
    a.expect("stop", 0);
}

#[test]
fn a_peer_that_still_serves_clients_is_not_promoted_over() {
    let Pair { shim, a, mut b, .. } = pair();
    // b's client listener on every address, as README's shape D has it, on a's port
    // (the two "nodes" share one machine; a listens on 127.0.0.1 only).
    b.port = a.port;
    b.set("OCF_RESKEY_listen_address", "0.0.0.0")
        .set("OCF_RESKEY_port", &a.port.to_string());
    a.expect("start", 0);
    a.expect("promote", 0);
    a.client_transact(&write_ops("on-a")).unwrap();
    b.expect("start", 0);
    wait_for("b holds a's row", || local_names(&b) == ["on-a"]);
    // A promote of b while a was never demoted (an orphan promoted instance the
    // cluster still counts as a member): refused, and b stays a replica.
    let o = b.run("promote");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let reason = o.reason().unwrap().to_string();
    assert!(reason.contains("node1 still accepts clients"), "{reason}");
    assert!(reason.contains("not demoted"), "{reason}");
    assert!(
        sync_status(&b).contains("state: backup"),
        "{}",
        sync_status(&b)
    );
    // The cluster lost node1 without fencing it (stonith off, its corosync killed):
    // node1 still serves, so b is not promoted either.
    shim.set_members("1 node1 lost\n2 node2 member\n");
    let o = b.run("promote");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let reason = o.reason().unwrap().to_string();
    assert!(
        reason.contains("node1 is not an online cluster member but still accepts clients"),
        "{reason}"
    );
    assert!(sync_status(&b).contains("state: backup"));
    shim.set_members("1 node1 member\n2 node2 member\n");
    a.client_transact(&write_ops("on-a-still")).unwrap();
    // Demoted, a closes its client listener and hands over: now b is promoted.
    a.expect("demote", 0);
    let p = b.expect("promote", 0);
    assert!(p.stderr.contains("caught up with node1"), "{}", p.stderr);
    assert!(local_names(&b).contains(&"on-a-still".to_string()));
    b.expect("demote", 0);
    b.expect("stop", 0);
    a.expect("stop", 0);
}

/// a promoted on node1 (127.0.0.2) and b replicating from it on node2 (127.0.0.1: b's
/// connection to a then comes from loopback's source address, 127.0.0.1, node2's own, as
/// between separate hosts); then b stops answering (its server frozen: its kernel's
/// window fills, as a dead host's never opens again) while a acknowledges writes it
/// cannot send there. Returns when bytes sent to b stay unacknowledged.
fn a_replica_stuck(shim: &PcmkShim) -> (Res, Res) {
    let rport = free_port("127.0.0.1");
    let peers = "node1=127.0.0.2 node2=127.0.0.1";
    let mut a = replica("node1", "127.0.0.2", rport, shim);
    a.set("OCF_RESKEY_replication_peers", peers);
    let mut b = replica("node2", "127.0.0.1", rport, shim);
    b.set("OCF_RESKEY_replication_peers", peers);
    promoted_and_followed(&a, &b);
    let a_pid = a.server_pid().unwrap();
    b.signal("STOP");
    let pad = "x".repeat(1 << 20);
    let mut written = 0;
    // In flight on loopback counts as unacknowledged for a moment: what stays so 100 ms
    // after the last write is what b's full window holds back.
    let stuck = || {
        std::thread::sleep(Duration::from_millis(100));
        ovn_ocf::process::tcp_accepted_on(a_pid, rport)
            .iter()
            .any(|(_, unacked)| *unacked > 0)
    };
    while written == 0 || !stuck() {
        assert!(
            written < 200,
            "200 MB written and nothing held unacknowledged"
        );
        a.client_transact(&format!(
            r#"{{"op":"insert","table":"Address_Set","row":{{"name":"pad{written}","external_ids":["map",[["pad","{pad}"]]]}}}}"#
        ))
        .unwrap();
        written += 1;
    }
    (a, b)
}

/// The stop of a demoted instance waits for its replicas to receive everything, but not
/// for one on a node the cluster no longer counts (powered off, fenced): its host will
/// never acknowledge, and waiting would only hold up the stop (and, with a third node,
/// the promotion that follows it).
#[test]
fn the_stop_does_not_wait_for_a_replica_on_a_lost_node() {
    let shim = PcmkShim::new("1 node1 member\n2 node2 member\n");
    let (a, b) = a_replica_stuck(&shim);
    shim.set_members("1 node1 member\n2 node2 lost\n");
    a.expect("demote", 0);
    let s = a.expect("stop", 0);
    assert!(s.stderr.contains("not waiting for node2"), "{}", s.stderr);
    assert!(!s.stderr.contains("stopping with"), "{}", s.stderr);
    b.signal("CONT");
    b.expect("stop", 0);
}

/// A replica on a member that stops answering is waited for, until ovsdb-server's
/// inactivity probe drops it (about 10 s, well within 70 % of this 60 s stop): the stop
/// then says the replica may lack writes, rather than that it handed over.
#[test]
fn a_replica_dropped_before_it_received_everything_is_reported() {
    let shim = PcmkShim::new("1 node1 member\n2 node2 member\n");
    let (a, b) = a_replica_stuck(&shim);
    a.expect("demote", 0);
    let s = a.run_with("stop", &[("OCF_RESKEY_CRM_meta_timeout", "60000")]);
    assert_eq!(s.code, 0, "{}", s.stderr);
    assert!(
        s.stderr.contains("closed with") && s.stderr.contains("may lack writes"),
        "{}",
        s.stderr
    );
    assert!(!s.stderr.contains("handed over"), "{}", s.stderr);
    b.signal("CONT");
    b.expect("stop", 0);
}

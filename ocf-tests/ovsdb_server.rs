//! The ovsdb-server agent against Debian's real ovsdb-server, for nb and sb, in both
//! deployment shapes. Each case runs the real binary through an `ovsdb-server` symlink.

mod common;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use common::*;

/// Generates one test per database from a function taking the db name.
macro_rules! per_db {
    ($name:ident) => {
        mod $name {
            #[test]
            fn nb() {
                super::$name("nb")
            }
            #[test]
            fn sb() {
                super::$name("sb")
            }
        }
    };
}

fn primitive_lifecycle(db: &str) {
    let r = Res::new(db);
    r.expect("validate-all", 0);
    assert_eq!(r.probe().code, 7);
    r.expect("start", 0);
    r.expect("monitor", 0);
    for depth in ["10", "20"] {
        let o = r.run_with("monitor", &[("OCF_CHECK_LEVEL", depth)]);
        assert_eq!(o.code, 0, "depth {depth}: {}", o.stderr);
    }
    assert_eq!(r.probe().code, 0);
    // A client commits through the TCP listener and reads it back.
    r.client_transact(&write_ops("client-1"))
        .expect("transact via TCP");
    let rows = r.client_transact(&select_sets()).unwrap();
    assert_eq!(set_names(&rows), vec!["client-1"]);
    // start of started is 0 and changes nothing.
    let pid = r.server_pid().unwrap();
    r.expect("start", 0);
    assert_eq!(r.server_pid(), Some(pid));
    // The owner record names this node while serving.
    let rec = r.db_file().with_file_name(format!(".ovn{db}_db.db.owner"));
    assert!(rec.exists());
    r.expect("stop", 0);
    assert!(
        r.client_transact(&select_sets()).is_err(),
        "listener must be gone after stop"
    );
    assert!(r.server_pid().is_none());
    assert!(!rec.exists(), "owner record cleared on stop");
    r.expect("stop", 0);
    r.expect("monitor", 7);
    // The data survived: served again, the row is there.
    r.expect("start", 0);
    let rows = r.client_transact(&select_sets()).unwrap();
    assert_eq!(set_names(&rows), vec!["client-1"]);
}
per_db!(primitive_lifecycle);

fn primitive_sigkill(db: &str) {
    let r = Res::new(db);
    r.expect("start", 0);
    let pid = r.server_pid().unwrap();
    r.signal("KILL");
    r.wait_server_gone(pid);
    let o = r.expect("monitor", 7);
    assert!(
        o.reason().is_some_and(|x| x.contains("gone")),
        "crm_mon needs a reason: {}",
        o.stderr
    );
    r.expect("stop", 0);
    let o = r.expect("monitor", 7);
    assert!(o.reason().is_none(), "stopped as asked: no reason");
    r.expect("start", 0);
    r.expect("monitor", 0);
}
per_db!(primitive_sigkill);

fn promotable_lifecycle(db: &str) {
    let r = Res::promotable(db);
    assert_eq!(r.probe().code, 7);
    r.expect("start", 0);
    // Standby: nothing runs, the DB file is not touched.
    r.expect("monitor", 0);
    assert!(r.server_pid().is_none());
    assert!(!r.db_file().exists(), "a standby must not touch db_file");
    r.expect("promote", 0);
    r.expect("monitor", 8);
    let o = r.run_with("monitor", &[("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(o.code, 8, "{}", o.stderr);
    r.client_transact(&write_ops("p1"))
        .expect("transact via TCP when promoted");
    r.expect("promote", 0);
    r.expect("demote", 0);
    r.expect("monitor", 0);
    assert!(
        r.client_transact(&select_sets()).is_err(),
        "listener must be gone after demote"
    );
    assert!(r.server_pid().is_none());
    r.expect("demote", 0);
    r.expect("promote", 0);
    r.expect("monitor", 8);
    assert_eq!(
        set_names(&r.client_transact(&select_sets()).unwrap()),
        vec!["p1"]
    );
    // Promoted and killed: failed promoted (9); then stop is 0 and it is stopped.
    let pid = r.server_pid().unwrap();
    r.signal("KILL");
    r.wait_server_gone(pid);
    r.expect("monitor", 9);
    r.expect("stop", 0);
    r.expect("monitor", 7);
    r.expect("stop", 0);
}
per_db!(promotable_lifecycle);

fn sigstop_is_an_error_within_timeout(db: &str) {
    let r = Res::new(db);
    r.expect("start", 0);
    r.signal("STOP");
    let o = r.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.reason().is_some_and(|x| x.contains("stopped")),
        "{}",
        o.stderr
    );
    // stop works on a stopped server (TERM+CONT, then KILL if needed).
    let pid = r.server_pid().unwrap();
    r.expect("stop", 0);
    r.wait_server_gone(pid);
    r.expect("monitor", 7);
}
per_db!(sigstop_is_an_error_within_timeout);

fn sigstop_promoted_is_failed_promoted(db: &str) {
    let r = Res::promotable(db);
    r.expect("start", 0);
    r.expect("promote", 0);
    r.signal("STOP");
    let o = r.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(o.code, 9, "{}", o.stderr);
    assert!(o.reason().is_some(), "{}", o.stderr);
    r.expect("demote", 0);
    r.expect("monitor", 0);
}
per_db!(sigstop_promoted_is_failed_promoted);

/// A server that is running but does not answer its control socket (SIGSTOP after the
/// agent's /proc check could not see it) must time out, not hang: exercised by pointing the
/// agent at a socket whose peer never answers.
#[test]
fn unanswering_control_socket_times_out() {
    let r = Res::new("nb");
    r.expect("start", 0);
    let ctl = r.run_dir().join("ovnnb_db.ctl");
    // Replace the control socket by a listener that accepts and never answers.
    std::fs::remove_file(&ctl).unwrap();
    let _silent = std::os::unix::net::UnixListener::bind(&ctl).unwrap();
    let o = r.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "2000")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.reason().is_some_and(|x| x.contains("did not answer")),
        "{}",
        o.stderr
    );
}

/// Issue 14 item 3: a server that is busy (running, its CPU time growing) but answers its
/// control socket later than the monitor's deadline is not hung: monitor answers running,
/// with a warning, instead of a failure that would fail it over.
#[test]
fn busy_server_is_running_not_hung() {
    let r = Res::new("nb");
    r.expect("start", 0);
    let _busy = make_busy(&r, 150_000);
    let o = r.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert!(o.stderr.contains("busy"), "the slow path ran: {}", o.stderr);
    r.expect("stop", 0);
}

/// A busy server that is then stopped (SIGSTOP) while monitor waits for it is hung: an
/// error as soon as monitor sees it stopped, not a busy server.
#[test]
fn sigstop_while_busy_is_hung() {
    let r = Res::new("nb");
    r.expect("start", 0);
    let _busy = make_busy(&r, 150_000);
    let o = std::thread::scope(|s| {
        let mon = s.spawn(|| r.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "20000")]));
        std::thread::sleep(std::time::Duration::from_millis(1000));
        r.signal("STOP");
        mon.join().unwrap()
    });
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.reason().is_some_and(|x| x.contains("stopped")),
        "{}",
        o.stderr
    );
    let pid = r.server_pid().unwrap();
    r.expect("stop", 0);
    r.wait_server_gone(pid);
}

fn port_taken_fails_with_reason(db: &str) {
    let r = Res::new(db);
    let _holder = TcpListener::bind(("127.0.0.1", r.port)).unwrap();
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let reason = o.reason().expect("exit reason");
    assert!(
        reason.contains(&r.port.to_string()) && reason.contains("Address already in use"),
        "{reason}"
    );
    assert!(
        r.server_pid().is_none(),
        "a failed start leaves no server behind"
    );
    let rec = r.db_file().with_file_name(format!(".ovn{db}_db.db.owner"));
    assert!(!rec.exists(), "a failed start releases the owner record");
    r.expect("monitor", 7);
}
per_db!(port_taken_fails_with_reason);

#[test]
fn probe_with_bad_configuration_is_not_running() {
    let mut r = Res::new("nb");
    r.set("OCF_RESKEY_port", "abc");
    assert_eq!(r.probe().code, 7);
    r.expect("stop", 0);
    let o = r.expect("validate-all", 6);
    assert!(o.reason().unwrap().contains("port"));
    r.set("OCF_RESKEY_port", "6641").unset("OCF_RESKEY_db");
    assert_eq!(r.probe().code, 7);
    r.expect("monitor", 6);
}

#[test]
fn ipv6_listener() {
    let mut r = Res::new("sb");
    let port = free_port("::1");
    r.set("OCF_RESKEY_listen_address", "::1")
        .set("OCF_RESKEY_port", &port.to_string());
    r.port = port;
    r.expect("start", 0);
    r.client_transact(&write_ops("v6"))
        .expect("transact via [::1]");
    r.expect("stop", 0);
}

/// A takeover ends the database's old client connections at once (tickle ACKs), so a
/// client learns that its server is gone before it next sends anything: a serving
/// monitor keeps its clients beside the file (storage=shared); a start that opens the
/// listeners resets every listed connection this node does not hold. One it does hold
/// is not harmed. Over IPv4 and IPv6 (the tickle's checksum covers each one's
/// pseudo-header).
fn takeover_ends_the_old_connections(addr: &str) {
    let mut r = Res::new("nb");
    let port = free_port(addr);
    r.set("OCF_RESKEY_listen_address", addr)
        .set("OCF_RESKEY_port", &port.to_string());
    r.port = port;
    let list = r.db_file().with_file_name(".ovnnb_db.db.clients");
    let kept = || std::fs::read_to_string(&list).unwrap_or_default();
    // The monitor keeps the listener's clients (once ovsdb-server has accepted them).
    r.expect("start", 0);
    let c = TcpStream::connect(r.tcp()).unwrap();
    let line = format!("{} {}", r.tcp(), c.local_addr().unwrap());
    monitor_until(&r, kept, |kept| kept.lines().any(|l| l == line));
    drop(c);
    r.expect("stop", 0);

    // A connection whose server vanished (the node that served lost its power) ...
    let old = orphaned_client(r.tcp());
    // ... and one this node holds, on a listener of its own.
    let own = TcpListener::bind(std::net::SocketAddr::new(r.tcp().ip(), 0)).unwrap();
    let mut live = TcpStream::connect(own.local_addr().unwrap()).unwrap();
    let (mut live_srv, _) = own.accept().unwrap();
    std::fs::write(
        &list,
        format!(
            "{} {}\n{} {}\n",
            r.tcp(),
            old.local_addr().unwrap(),
            own.local_addr().unwrap(),
            live.local_addr().unwrap()
        ),
    )
    .unwrap();
    let o = r.expect("start", 0);
    assert!(
        o.stderr
            .contains("ended the earlier connections of 2 clients")
            && o.stderr
                .contains(": 2 sent, 0 to addresses not on this node"),
        "{}",
        o.stderr
    );
    // The old one is reset.
    assert_reset(&old);
    // The live one still carries data both ways.
    live.write_all(b"ping").unwrap();
    let mut b = [0u8; 4];
    live_srv.read_exact(&mut b).unwrap();
    live_srv.write_all(b"pong").unwrap();
    live.read_exact(&mut b).unwrap();
    assert_eq!(&b, b"pong");
    // A client of the new server is kept by the next monitor, the old ones no longer.
    let c = TcpStream::connect(r.tcp()).unwrap();
    let line = format!("{} {}", r.tcp(), c.local_addr().unwrap());
    monitor_until(&r, kept, |kept| kept.lines().eq([line.as_str()]));
    r.expect("stop", 0);
}

#[test]
fn takeover_ends_the_old_connections_v4() {
    takeover_ends_the_old_connections("127.0.0.1")
}

#[test]
fn takeover_ends_the_old_connections_v6() {
    takeover_ends_the_old_connections("::1")
}

#[test]
fn inactivity_probe_is_kept_in_a_connection_row() {
    let mut r = Res::new("nb");
    r.set("OCF_RESKEY_inactivity_probe", "30000");
    r.expect("start", 0);
    let rows = r
        .local_transact(r#"{"op":"select","table":"Connection","where":[],"columns":["target","inactivity_probe"]}"#)
        .unwrap();
    let row = &rows[0]["rows"][0];
    assert_eq!(row["target"], format!("ptcp:{}:127.0.0.1", r.port));
    assert_eq!(row["inactivity_probe"], 30000);
    r.client_transact(&write_ops("probe"))
        .expect("listener from the Connection row works");
    // Changing the value updates the row on the next serve, without a second row.
    r.expect("stop", 0);
    r.set("OCF_RESKEY_inactivity_probe", "60000");
    r.expect("start", 0);
    let rows = r
        .local_transact(
            r#"{"op":"select","table":"Connection","where":[],"columns":["inactivity_probe"]}"#,
        )
        .unwrap();
    assert_eq!(rows[0]["rows"].as_array().unwrap().len(), 1);
    assert_eq!(rows[0]["rows"][0]["inactivity_probe"], 60000);
    r.expect("monitor", 0);
}

/// An operator who ran `ovn-nbctl set-connection ptcp:PORT:...` already has a listener on
/// our port in the DB: the agent must not open a second one that fails to bind.
#[test]
fn db_connection_on_same_port_is_not_doubled() {
    let r = Res::new("nb");
    r.expect("start", 0);
    let target = format!("ptcp:{}:127.0.0.1", r.port);
    r.local_transact(&format!(
        r#"{{"op":"insert","table":"Connection","uuid-name":"c","row":{{"target":"{target}"}}}},{{"op":"insert","table":"NB_Global","row":{{"connections":["set",[["named-uuid","c"]]]}}}}"#
    ))
    .unwrap();
    r.expect("stop", 0);
    r.expect("start", 0);
    assert!(!r.log().contains("listen failed"), "{}", r.log());
    r.client_transact(&select_sets()).expect("listener up");
    let o = r.run_with("monitor", &[("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
}

#[test]
fn depth_20_finds_a_damaged_record() {
    let r = Res::new("sb");
    r.expect("start", 0);
    for i in 0..3 {
        r.client_transact(&write_ops(&format!("s{i}"))).unwrap();
    }
    let o = r.run_with("monitor", &[("OCF_CHECK_LEVEL", "20")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    // Flip one byte inside the last committed record's JSON.
    let f = r.db_file();
    let mut bytes = std::fs::read(&f).unwrap();
    let at = bytes.len() - 5;
    bytes[at] ^= 0x01;
    std::fs::write(&f, &bytes).unwrap();
    let o = r.run_with("monitor", &[("OCF_CHECK_LEVEL", "20")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.reason().unwrap().contains("does not verify"),
        "{}",
        o.stderr
    );
    // Depth 0 does not read the file.
    r.expect("monitor", 0);
}

#[test]
fn split_brain_guard_refuses_an_online_owner() {
    let mut r = Res::new("nb");
    let rec = r.db_file().with_file_name(".ovnnb_db.db.owner");
    std::fs::write(&rec, r#"{"node":"node2","db_file":"x","since":0}"#).unwrap();
    // Cluster says node2 is online: refuse, with a reason naming it.
    let shim = PcmkShim::new("1 node1 member\n2 node2 member\n");
    r.set("PATH", &shim.path_env());
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("node2"), "{}", o.stderr);
    assert!(r.server_pid().is_none());
    // node20 online must not count as node2 (exact names).
    let shim = PcmkShim::new("1 node1 member\n2 node2 lost\n20 node20 member\n");
    r.set("PATH", &shim.path_env());
    r.expect("start", 0);
    let owner: serde_json::Value = serde_json::from_slice(&std::fs::read(&rec).unwrap()).unwrap();
    assert_eq!(owner["node"], "node1");
    r.expect("stop", 0);
    assert!(!rec.exists());
}

#[test]
fn split_brain_guard_without_membership_refuses() {
    let r = Res::new("sb");
    let rec = r.db_file().with_file_name(".ovnsb_db.db.owner");
    std::fs::write(
        &rec,
        r#"{"node":"some-other-node","db_file":"x","since":0}"#,
    )
    .unwrap();
    // No cluster on this machine: crm_node fails, membership is unknown.
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(
        o.reason().unwrap().contains("membership is unknown"),
        "{}",
        o.stderr
    );
    assert!(rec.exists(), "someone else's record is never removed");
}

#[test]
fn missing_storage_fails_start_with_reason() {
    let mut r = Res::new("nb");
    let gone = r.path("not-mounted/ovnnb_db.db").display().to_string();
    r.set("OCF_RESKEY_db_file", &gone);
    let o = r.run("start");
    assert_eq!(o.code, 1);
    assert!(o.reason().unwrap().contains("not-mounted"), "{}", o.stderr);
    assert_eq!(r.probe().code, 7);
}

#[test]
fn missing_binary_is_not_installed() {
    let mut r = Res::new("nb");
    r.set("OCF_RESKEY_ovsdb_server", "/nonexistent/ovsdb-server");
    let o = r.expect("validate-all", 5);
    assert!(o.reason().unwrap().contains("/nonexistent/ovsdb-server"));
    r.expect("start", 5);
    assert_eq!(r.probe().code, 7);
}

/// allocator: ovsdb-server runs with the library preloaded (mapped into the server, which
/// serves), and only then; a missing library is not installed.
#[test]
fn allocator_is_preloaded_into_the_server() {
    const LIB: &str = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";
    assert!(
        std::path::Path::new(LIB).is_file(),
        "{LIB} missing: ocf-tests/deps.sh installs libtcmalloc-minimal4"
    );
    let maps = |r: &Res| {
        let pid = r.server_pid().expect("serving");
        std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap()
    };
    let mut r = Res::new("sb");
    r.set("OCF_RESKEY_allocator", LIB);
    r.expect("validate-all", 0);
    r.expect("start", 0);
    assert!(
        maps(&r).contains(LIB),
        "{LIB} is not mapped into ovsdb-server"
    );
    r.client_transact(&write_ops("client-1"))
        .expect("transact via TCP");
    r.expect("monitor", 0);
    r.expect("stop", 0);

    let plain = Res::new("sb");
    plain.expect("start", 0);
    assert!(
        !maps(&plain).contains("tcmalloc"),
        "preloaded without allocator"
    );
    plain.expect("stop", 0);

    let mut gone = Res::new("nb");
    gone.set(
        "OCF_RESKEY_allocator",
        "/nonexistent/libtcmalloc_minimal.so.4",
    );
    let o = gone.expect("validate-all", 5);
    let why = o.reason().unwrap();
    assert!(
        why.contains("allocator") && why.contains("/nonexistent/"),
        "{why}"
    );
    gone.expect("start", 5);
    assert_eq!(gone.probe().code, 7);
}

/// The promotion score and the role attribute are written when they change, not on
/// every monitor (each write is a CIB update).
#[test]
fn promotion_score_only_on_change() {
    let shim = PcmkShim::new("1 node1 member\n");
    let mut r = Res::promotable("nb");
    r.set("PATH", &shim.path_env());
    // Runs `action` (exit `code`) and asserts the CIB writes it made include `want`.
    let writes = |action: &str, code: i32, want: &[&str]| {
        shim.clear();
        r.expect(action, code);
        let calls = shim.calls();
        for w in want {
            assert!(
                calls.iter().any(|c| c == w),
                "{action}: no {w:?} in {calls:?}"
            );
        }
    };
    // Three monitors in the role just written: no CIB write at all.
    let quiet_monitors = |code: i32| {
        shim.clear();
        for _ in 0..3 {
            r.expect("monitor", code);
        }
        assert!(
            shim.calls()
                .iter()
                .all(|c| !c.starts_with("crm_attribute") && !c.starts_with("attrd")),
            "{:?}",
            shim.calls()
        );
    };
    writes(
        "start",
        0,
        &[
            "crm_attribute --promotion -v 5",
            "attrd_updater -n ovn-ocf-nb-role -U standby",
        ],
    );
    quiet_monitors(0);
    writes(
        "promote",
        0,
        &[
            "crm_attribute --promotion -v 10",
            "attrd_updater -n ovn-ocf-nb-role -U serving",
        ],
    );
    quiet_monitors(8);
    writes("demote", 0, &["crm_attribute --promotion -v 5"]);
    writes(
        "stop",
        0,
        &[
            "crm_attribute --promotion -D",
            "attrd_updater -n ovn-ocf-nb-role -D",
        ],
    );
}

/// A failed promotion-score write (no cluster) never fails an action, and is retried by
/// a later monitor once it can succeed.
#[test]
fn score_write_failure_is_retried_by_monitor() {
    let mut r = Res::promotable("sb");
    r.expect("start", 0); // crm_attribute fails here: no cluster
    let shim = PcmkShim::new("1 node1 member\n");
    r.set("PATH", &shim.path_env());
    r.expect("monitor", 0);
    assert!(
        shim.calls()
            .contains(&"crm_attribute --promotion -v 5".to_string()),
        "{:?}",
        shim.calls()
    );
    shim.clear();
    r.expect("monitor", 0);
    assert!(
        shim.calls().iter().all(|c| !c.starts_with("crm_attribute")),
        "{:?}",
        shim.calls()
    );
}

#[test]
fn unknown_action_is_unimplemented_and_no_action_is_args() {
    let r = Res::new("nb");
    let o = r.run("reload-everything");
    assert_eq!(o.code, 3);
    assert!(o.reason().is_some());
    let mut cmd = std::process::Command::new(&r.agent);
    cmd.stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let o = run_watched(cmd, std::time::Duration::from_secs(10));
    assert_eq!(o.code, 2);
    r.expect("usage", 0);
    r.expect("notify", 0);
}

/// The monitor path forks nothing: no Pacemaker tool, no ovs-appctl (counted with strace).
#[test]
fn depth0_monitor_forks_no_child() {
    if std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_err()
    {
        panic!("strace is required (make deps installs it)");
    }
    let r = Res::new("nb");
    r.expect("start", 0);
    let trace = r.path("trace");
    let mut cmd = std::process::Command::new("strace");
    cmd.args([
        "-f",
        "-qq",
        "-e",
        "trace=fork,vfork,clone,clone3,execve",
        "-o",
    ])
    .arg(&trace)
    .arg(&r.agent)
    .arg("monitor")
    .env_clear()
    .env("PATH", std::env::var("PATH").unwrap())
    .envs(&r.env)
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let o = run_watched(cmd, std::time::Duration::from_secs(60));
    assert_eq!(o.code, 0, "{}", o.stderr);
    let t = std::fs::read_to_string(&trace).unwrap();
    let spawns: Vec<&str> = t
        .lines()
        .filter(|l| {
            l.contains("fork(")
                || l.contains("clone(")
                || l.contains("clone3(")
                || (l.contains("execve(") && !l.contains(r.agent.to_str().unwrap()))
        })
        .collect();
    assert!(
        spawns.is_empty(),
        "monitor created processes:\n{}",
        spawns.join("\n")
    );
}

/// protocol=ssl with real certificates: a client with a certificate from the same CA
/// reads through the pssl listener; a plain TCP client cannot.
#[test]
fn ssl_listener_with_real_certificates() {
    let mut r = Res::new("nb");
    let [key, cert, ca] = make_pki(r.dir.path());
    r.set("OCF_RESKEY_protocol", "ssl")
        .set("OCF_RESKEY_ssl_private_key", &key)
        .set("OCF_RESKEY_ssl_certificate", &cert)
        .set("OCF_RESKEY_ssl_ca_cert", &ca);
    r.expect("start", 0);
    let o = r.run_with("monitor", &[("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    let mut c = std::process::Command::new("ovsdb-client");
    c.args([
        "-p",
        &key,
        "-c",
        &cert,
        "-C",
        &ca,
        "--timeout=20",
        "list-dbs",
        &format!("ssl:127.0.0.1:{}", r.port),
    ])
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped());
    let out = run_watched(c, std::time::Duration::from_secs(60));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("OVN_Northbound"), "{}", out.stdout);
    assert!(
        r.client_transact(&select_sets()).is_err(),
        "plain JSON over the SSL port must fail"
    );
    r.expect("stop", 0);
}

/// One small ext4 image, one loop device per "node", each mounted on its own directory:
/// two superblocks on one filesystem, as two nodes of a split brain have (ovsdb-server's
/// lock file is per mount then, and page caches are separate). Root only. Unmounted and
/// detached on drop, also when the test fails.
struct SharedLun {
    dir: tempfile::TempDir,
    loops: Vec<String>,
    mounts: Vec<PathBuf>,
}

impl SharedLun {
    fn new() -> SharedLun {
        let dir = tempfile::Builder::new()
            .prefix("ovn-ocf-lun")
            .tempdir_in("/var/tmp")
            .unwrap();
        let img = dir.path().join("lun.img");
        let run = |cmd: &str, args: &[&str]| {
            let o = std::process::Command::new(cmd).args(args).output().unwrap();
            assert!(o.status.success(), "{cmd} {args:?}: {o:?}");
            String::from_utf8(o.stdout).unwrap().trim().to_string()
        };
        run("truncate", &["-s", "64M", img.to_str().unwrap()]);
        run("mkfs.ext4", &["-q", "-F", img.to_str().unwrap()]);
        let mut lun = SharedLun {
            dir,
            loops: vec![],
            mounts: vec![],
        };
        for _ in 0..2 {
            let dev = run("losetup", &["-f", "--show", img.to_str().unwrap()]);
            lun.loops.push(dev);
        }
        lun
    }

    /// Mounts node `i`'s device (sync, as README's shapes do) and returns the mount point.
    fn mount(&mut self, i: usize) -> PathBuf {
        let at = self.dir.path().join(format!("node{i}"));
        std::fs::create_dir_all(&at).unwrap();
        let st = std::process::Command::new("mount")
            .args([
                "-t",
                "ext4",
                "-o",
                "sync",
                &self.loops[i],
                at.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(st.success(), "mount {} {}", self.loops[i], at.display());
        self.mounts.push(at.clone());
        at
    }
}

impl Drop for SharedLun {
    fn drop(&mut self) {
        for m in self.mounts.iter().rev() {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(m)
                .status();
        }
        for l in &self.loops {
            let _ = std::process::Command::new("losetup")
                .args(["-d", l])
                .status();
        }
    }
}

/// Two "nodes" (alpha, beta) sharing one DB file on one LUN, mounted once each. Each has
/// its own run dir, port and node name; `crm_node -l` (a shim: there is no cluster here)
/// says alpha is lost, as beta's cluster would after alpha's corosync died. beta's mount
/// comes later (`beta`), as a survivor mounts only when it takes over.
struct SplitPair {
    lun: SharedLun,
    a: Res,
    shim: PcmkShim,
}

impl SplitPair {
    fn new(db: &str) -> SplitPair {
        let shim = PcmkShim::new("1 alpha lost\n2 beta member\n");
        let mut lun = SharedLun::new();
        let at = lun.mount(0);
        let mut a = Res::new(db);
        a.set("OCF_RESKEY_CRM_meta_on_node", "alpha")
            .set("PATH", &shim.path_env())
            .set(
                "OCF_RESKEY_db_file",
                &at.join(format!("ovn{db}_db.db")).display().to_string(),
            );
        SplitPair { lun, a, shim }
    }

    fn beta(&mut self) -> Res {
        let at = self.lun.mount(1);
        let mut b = Res::new(&self.a.db);
        b.set("OCF_RESKEY_CRM_meta_on_node", "beta")
            .set("PATH", &self.shim.path_env())
            .set(
                "OCF_RESKEY_db_file",
                &at.join(format!("ovn{}_db.db", self.a.db))
                    .display()
                    .to_string(),
            );
        b
    }
}
fn keeper_pid(r: &Res) -> i32 {
    let st: serde_json::Value = serde_json::from_slice(
        &std::fs::read(r.run_dir().join(format!("{}.ovn-ocf.state", r.base()))).unwrap(),
    )
    .unwrap();
    st["keeper"].as_i64().expect("a keeper pid in the state") as i32
}

fn kill_pid(sig: &str, pid: i32) {
    assert!(
        std::process::Command::new("kill")
            .args([&format!("-{sig}"), &pid.to_string()])
            .status()
            .unwrap()
            .success()
    );
}

fn server_log(r: &Res) -> String {
    std::fs::read_to_string(&r.env["OCF_RESKEY_log_file"]).unwrap_or_default()
}

#[test]
fn lease_refuses_a_lost_owner_that_still_serves_and_the_loser_stops() {
    let mut pair = SplitPair::new("nb");
    pair.a.expect("start", 0);
    let b = pair.beta();
    let a = &pair.a;
    let a_pid = a.server_pid().unwrap();
    // alpha's keeper renews: beta refuses although the cluster lost alpha.
    let o = b.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let why = o.reason().unwrap();
    assert!(why.contains("node alpha still serves"), "{why}");
    assert!(b.server_pid().is_none());
    assert_eq!(a.server_pid(), Some(a_pid), "alpha serves on");
    a.expect("monitor", 0);
    // alpha's keeper hangs (as a frozen node would): the lease lapses, beta takes over.
    let keeper = keeper_pid(a);
    kill_pid("STOP", keeper);
    let o = b.expect("start", 0);
    assert!(o.stderr.contains("was not renewed"), "{}", o.stderr);
    b.expect("monitor", 0);
    // alpha's keeper wakes up, finds beta's record and kills alpha's ovsdb-server.
    kill_pid("CONT", keeper);
    a.wait_server_gone(a_pid);
    assert!(
        server_log(a).contains("lease lost"),
        "alpha's log:\n{}",
        server_log(a)
    );
    // alpha's watcher tells Pacemaker (the shim) at once; a probe says not running.
    let report = "crm_resource --fail -r test-nb -N alpha".to_string();
    let end = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !pair.shim.calls().contains(&report) && std::time::Instant::now() < end {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        pair.shim.calls().contains(&report),
        "{:?}",
        pair.shim.calls()
    );
    assert_eq!(a.probe().code, 7);
    b.expect("monitor", 0);
    a.expect("stop", 0);
    let rec = b.db_file().with_file_name(".ovnnb_db.db.owner");
    assert!(rec.exists(), "alpha's stop leaves beta's record alone");
    b.expect("stop", 0);
    assert!(!rec.exists());
    drop(b);
}

#[test]
fn lease_fenced_owner_is_taken_over_at_once() {
    let mut pair = SplitPair::new("sb");
    let shim = &pair.shim;
    // Pacemaker's word that alpha was fenced now (after it claimed the record).
    std::fs::write(
        shim.dir.path().join("stonith_admin"),
        "#!/bin/sh\n[ \"$2\" = alpha ] || exit 74\nprintf '<pacemaker-result><last-fenced target=\"alpha\" when=\"%s\"/></pacemaker-result>\\n' \"$(date -u '+%Y-%m-%d %H:%M:%SZ')\"\n",
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args([
            "755",
            &shim.dir.path().join("stonith_admin").display().to_string(),
        ])
        .status()
        .unwrap();
    pair.a.expect("start", 0);
    let b = pair.beta();
    let a = &pair.a;
    let a_pid = a.server_pid().unwrap();
    // A fenced node's keeper would be dead; here it still runs, so the takeover also shows
    // the keeper's answer to a lost lease.
    let o = b.expect("start", 0);
    assert!(o.stderr.contains("fenced it at"), "{}", o.stderr);
    assert!(!o.stderr.contains("watching its lease"), "{}", o.stderr);
    a.wait_server_gone(a_pid);
    b.expect("monitor", 0);
    b.expect("stop", 0);
    a.expect("stop", 0);
}

#[test]
fn monitor_fails_when_the_lease_keeper_is_gone() {
    let r = Res::new("nb");
    r.expect("start", 0);
    let keeper = keeper_pid(&r);
    kill_pid("KILL", keeper);
    // kill(2) returns before the process is gone; a busy machine shows the gap.
    let end = Instant::now() + Duration::from_secs(30);
    while proc_state(keeper).is_some_and(|s| s != 'Z') {
        assert!(Instant::now() < end, "keeper pid {keeper} survived SIGKILL");
        std::thread::sleep(Duration::from_millis(10));
    }
    let o = r.expect("monitor", 1);
    assert!(o.reason().unwrap().contains("lease keeper"), "{}", o.stderr);
    r.expect("stop", 0);
    // A start after that brings a new keeper.
    r.expect("start", 0);
    assert!(std::path::Path::new(&format!("/proc/{}", keeper_pid(&r))).exists());
    r.expect("stop", 0);
}

#[test]
fn start_does_not_open_when_its_lease_keeper_died_meanwhile() {
    // The repair hook (run while a lost DB is created) kills the keeper: the start must
    // not open the listeners on a claim nobody renews.
    let mut r = Res::new("nb");
    r.served_before();
    let record = r.db_file().with_file_name(".ovnnb_db.db.owner");
    let hook = r.path("kill-keeper.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\nfor p in /proc/[0-9]*; do\n  if tr '\\0' '\\n' < $p/cmdline 2>/dev/null | grep -qx -- '--record={}'; then kill -KILL ${{p#/proc/}}; fi\ndone\nexit 0\n",
            record.display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["755", hook.to_str().unwrap()])
        .status()
        .unwrap();
    r.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap())
        .set("OCF_RESKEY_repair_hook_needs_sb", "false");
    let o = r.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("lease keeper"), "{}", o.stderr);
    assert!(r.server_pid().is_none());
    assert!(!record.exists(), "the claim is released");
}

/// A power-off of the serving node: ovsdb-server and its lease keeper die at once, the
/// owner record stays, and the page cache's tail never reached the disk (here: the file
/// cut after its schema record, in place). The survivor takes the record over once its
/// lease lapses and learns from it what served: a loss, backed up, rebuilt. beta mounts
/// the filesystem from another device than alpha: the same file by its inode.
#[test]
fn takeover_after_a_power_off_finds_the_lost_tail() {
    let mut pair = SplitPair::new("nb");
    pair.a.expect("start", 0);
    for i in 0..5 {
        pair.a
            .client_transact(&write_ops(&format!("r{i}")))
            .unwrap();
    }
    let (ino, size) = pair.a.wait_keeper_recorded();
    let server = pair.a.server_pid().unwrap();
    // The keeper first: it would end by itself once its server is gone.
    kill_pid("KILL", pair.a.keeper_pid());
    kill_pid("KILL", server);
    pair.a.wait_server_gone(server);
    let mut b = pair.beta();
    let hook = b.path("hook.sh");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\necho \"$OVN_OCF_REPAIR_OUTCOME\" >> {}\n",
            b.path("hook.out").display()
        ),
    )
    .unwrap();
    std::process::Command::new("chmod")
        .args(["755", hook.to_str().unwrap()])
        .status()
        .unwrap();
    b.set("OCF_RESKEY_repair_hook", hook.to_str().unwrap())
        .set("OCF_RESKEY_repair_hook_needs_sb", "false");
    let left = truncate_to_schema(&b.db_file());
    assert_eq!(inode(&b.db_file()), ino);
    let o = b.expect("start", 0);
    assert!(o.stderr.contains("was not renewed"), "{}", o.stderr);
    assert!(
        o.stderr.contains("outcome=shorter-than-served"),
        "{}",
        o.stderr
    );
    let report = b.newest_report();
    assert_eq!(report["outcome"], "shorter-than-served");
    assert_eq!(report["served"]["size"], size);
    assert_eq!(report["size"], left.len() as u64);
    assert_eq!(
        std::fs::read(report["backup"].as_str().unwrap()).unwrap(),
        left
    );
    assert_eq!(
        std::fs::read_to_string(b.path("hook.out")).unwrap(),
        "shorter-than-served\n",
        "the rebuild ran"
    );
    b.expect("monitor", 0);
    b.expect("stop", 0);
    pair.a.expect("stop", 0);
}

/// ovsdb-server's online compaction renames a new, smaller file in: not a loss, whether
/// the keeper saw the new file (a clean stop) or not (a power-off right after it).
#[test]
fn a_compacted_file_is_not_a_loss() {
    let r = Res::new("nb");
    r.expect("start", 0);
    // Rows written and deleted again: the compacted file is much smaller.
    for i in 0..30 {
        r.client_transact(&write_ops(&format!("r{i}"))).unwrap();
    }
    r.client_transact(r#"{"op":"delete","table":"Address_Set","where":[]}"#)
        .unwrap();
    let file = r.db_file();
    let (ino, size) = r.wait_keeper_recorded();
    // The keeper frozen: its record keeps the file as it was before the compaction.
    let keeper = r.keeper_pid();
    kill_pid("STOP", keeper);
    ovs_appctl(&r.run_dir().join("ovnnb_db.ctl"), &["ovsdb-server/compact"]);
    let now = std::fs::metadata(&file).unwrap();
    assert_ne!(inode(&file), ino, "compaction renames a new file in");
    assert!(now.len() < size, "{} < {size}", now.len());
    assert_eq!(r.owner_record().unwrap()["served"]["ino"], ino);
    // Power-off right after it.
    let server = r.server_pid().unwrap();
    kill_pid("KILL", keeper);
    kill_pid("KILL", server);
    r.wait_server_gone(server);
    // The next start (here, on the same node: the record is its own) finds the record
    // naming the old file.
    let o = r.expect("start", 0);
    assert!(o.stderr.contains("outcome=clean"), "{}", o.stderr);
    assert!(o.stderr.contains("compacted or replaced"), "{}", o.stderr);
    // Compacted while serving, then a clean stop: what it left is the new file.
    for i in 0..30 {
        r.client_transact(&write_ops(&format!("s{i}"))).unwrap();
    }
    r.client_transact(r#"{"op":"delete","table":"Address_Set","where":[]}"#)
        .unwrap();
    ovs_appctl(&r.run_dir().join("ovnnb_db.ctl"), &["ovsdb-server/compact"]);
    r.expect("stop", 0);
    let rel = r.released().unwrap();
    assert_eq!(rel["served"]["ino"], inode(&file), "{rel}");
    assert_eq!(
        rel["served"]["size"],
        std::fs::metadata(&file).unwrap().len()
    );
    let o = r.expect("start", 0);
    assert!(o.stderr.contains("outcome=clean"), "{}", o.stderr);
}

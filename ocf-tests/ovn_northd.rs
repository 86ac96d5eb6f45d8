//! The ovn-northd agent against Debian's real ovn-northd, reading and writing real
//! databases served by our ovsdb-server agent, in both shapes.

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Real NB and SB databases, served by the ovsdb-server agent.
struct Dbs {
    nb: Res,
    sb: Res,
}

fn dbs() -> Dbs {
    let nb = Res::new("nb");
    let sb = Res::new("sb");
    nb.expect("start", 0);
    sb.expect("start", 0);
    Dbs { nb, sb }
}

/// Creates a logical switch in NB and waits (bounded) for northd to write its datapath
/// into SB: the proof that the active northd works.
fn switch_reaches_sb(d: &Dbs, name: &str) -> bool {
    d.nb.local_transact(&format!(
        r#"{{"op":"insert","table":"Logical_Switch","row":{{"name":"{name}"}}}}"#
    ))
    .expect("NB write");
    let end = Instant::now() + Duration::from_secs(30);
    while Instant::now() < end {
        let r = d
            .sb
            .local_transact(r#"{"op":"select","table":"Datapath_Binding","where":[],"columns":["external_ids"]}"#)
            .unwrap();
        let found = r[0]["rows"].as_array().unwrap().iter().any(|row| {
            row["external_ids"][1]
                .as_array()
                .is_some_and(|kv| kv.iter().any(|p| p[0] == "name" && p[1] == name))
        });
        if found {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

#[test]
fn primitive_lifecycle() {
    let d = dbs();
    let n = Res::northd(&d.nb, &d.sb);
    n.expect("validate-all", 0);
    assert_eq!(n.probe().code, 7);
    n.expect("start", 0);
    n.expect("monitor", 0);
    let o = n.run_with("monitor", &[("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(o.code, 0, "{}", o.stderr);
    assert_eq!(n.northd_status(), "Status: active");
    assert!(switch_reaches_sb(&d, "ls-primitive"));
    let pid = n.server_pid().unwrap();
    n.expect("start", 0);
    assert_eq!(
        n.server_pid(),
        Some(pid),
        "start of started changes nothing"
    );
    n.expect("stop", 0);
    assert!(n.server_pid().is_none());
    n.expect("monitor", 7);
    n.expect("stop", 0);
}

#[test]
fn start_names_the_unreachable_database() {
    let d = dbs();
    let mut n = Res::northd(&d.nb, &d.sb);
    let dead = format!("unix:{}", n.path("no-such.sock").display());
    n.set("OCF_RESKEY_sb_connection", &dead);
    let o = n.run_with("start", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    let reason = o.reason().unwrap();
    assert!(
        reason.contains("Southbound") && reason.contains(&dead),
        "{reason}"
    );
    assert!(!reason.contains("Northbound"), "NB is reachable: {reason}");
    assert!(
        n.server_pid().is_none(),
        "a failed start leaves nothing running"
    );
}

#[test]
fn primitive_sigkill_and_sigstop() {
    let d = dbs();
    let n = Res::northd(&d.nb, &d.sb);
    n.expect("start", 0);
    n.signal("STOP");
    let o = n.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(
        o.code, 1,
        "a hung northd is an error, never not-running: {}",
        o.stderr
    );
    assert!(o.reason().is_some());
    let pid = n.server_pid().unwrap();
    n.signal("KILL");
    n.wait_server_gone(pid);
    n.expect("monitor", 7);
    n.expect("stop", 0);
}

/// A northd recomputing a large NB answers its control socket late: monitor waits while
/// it runs and reports it running ("busy, not hung"), never a failure that would restart
/// it into the same recompute (seen in the scale bench at a 101 MB SB: ovn-northd's
/// monitor failed "did not answer in time" and Pacemaker restarted it). A stopped northd
/// is still an error (primitive_sigkill_and_sigstop).
#[test]
fn busy_northd_is_running_not_hung() {
    let d = dbs();
    let n = Res::northd(&d.nb, &d.sb);
    n.expect("start", 0);
    d.nb.local_transact(&big_nb_change("busy"))
        .expect("NB write");
    // Monitor until one call found it busy (its control socket late); every call 0.
    let end = Instant::now() + Duration::from_secs(60);
    let mut seen_busy = false;
    while !seen_busy && Instant::now() < end {
        // A short timeout, so that a recompute outlasts it (as a large one outlasts 10 s).
        let o = n.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "1500")]);
        assert_eq!(o.code, 0, "a busy northd is running: {}", o.stderr);
        seen_busy = o.stderr.contains("busy");
    }
    assert!(
        seen_busy,
        "no monitor call found northd busy (late on its control socket) within 60 s of a 16,000-port change"
    );
    assert!(switch_reaches_sb(&d, "after-busy"), "northd works after");
    n.expect("stop", 0);
}

/// 400 switches × 40 ports with addresses, named after `tag`: seconds of northd CPU, in
/// one NB transaction.
fn big_nb_change(tag: &str) -> String {
    let mut ops = vec![];
    for sw in 0..400 {
        let mut ports = vec![];
        for p in 0..40 {
            let id = sw * 40 + p;
            ports.push(format!(r#"["named-uuid","p{id}"]"#));
            ops.push(format!(
                r#"{{"op":"insert","table":"Logical_Switch_Port","uuid-name":"p{id}","row":{{"name":"{tag}-p{id}","addresses":"0a:00:00:{:02x}:{:02x}:{:02x} 10.{}.{}.{}"}}}}"#,
                id >> 16 & 255, id >> 8 & 255, id & 255, id >> 16 & 255, id >> 8 & 255, id & 255 | 1
            ));
        }
        ops.push(format!(
            r#"{{"op":"insert","table":"Logical_Switch","row":{{"name":"{tag}-ls{sw}","ports":["set",[{}]]}}}}"#,
            ports.join(",")
        ));
    }
    ops.join(",")
}

/// A promote whose ovn-northd is busy right after its resume (the first recompute of a
/// large change) is promoted, with a warning, and the promoted monitor finds it active
/// once it answers; it is not failed "did not become active", which had Pacemaker restart
/// it cold into the same recompute (the scale bench, shape B, a 101 MB SB after a kill -9
/// of the SB: an NB change reached the SB 104 s later).
#[test]
fn busy_northd_promote_is_promoted() {
    let d = dbs();
    let mut n = Res::northd(&d.nb, &d.sb);
    n.set("OCF_RESKEY_CRM_meta_promoted_max", "1")
        .set("OCF_RESOURCE_INSTANCE", "northd:0");
    n.expect("start", 0);
    assert_eq!(n.northd_status(), "Status: paused");
    // Each round a change made while northd is paused, then a promote with a short
    // timeout; the NB grows every round, so a recompute soon outlasts it.
    let end = Instant::now() + Duration::from_secs(120);
    let mut round = 0;
    let seen_busy = loop {
        d.nb.local_transact(&big_nb_change(&format!("promote{round}")))
            .expect("NB write");
        let o = n.run_with("promote", &[("OCF_RESKEY_CRM_meta_timeout", "1500")]);
        assert_eq!(
            o.code, 0,
            "a resumed, busy northd is promoted: {}",
            o.stderr
        );
        if o.stderr.contains("busy") {
            break true;
        }
        if Instant::now() > end {
            break false;
        }
        n.expect("demote", 0);
        round += 1;
    };
    assert!(
        seen_busy,
        "no promote found northd busy within 120 s ({} rounds of 16,000-port changes)",
        round + 1
    );
    let end = Instant::now() + Duration::from_secs(60);
    let o = loop {
        let o = n.run("monitor");
        if o.code == 8 || Instant::now() > end {
            break o;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    assert_eq!(
        o.code, 8,
        "promoted and active once it answers: {}",
        o.stderr
    );
    assert_eq!(n.northd_status(), "Status: active");
    assert!(
        switch_reaches_sb(&d, "after-busy-promote"),
        "northd works after"
    );
    n.expect("demote", 0);
    n.expect("stop", 0);
}

#[test]
fn depth_10_sees_a_lost_database() {
    let d = dbs();
    let n = Res::northd(&d.nb, &d.sb);
    n.expect("start", 0);
    d.sb.expect("stop", 0);
    let end = Instant::now() + Duration::from_secs(30);
    let o = loop {
        let o = n.run_with("monitor", &[("OCF_CHECK_LEVEL", "10")]);
        if o.code != 0 || Instant::now() > end {
            break o;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("Southbound"), "{}", o.stderr);
    n.expect("monitor", 0);
}

/// Two hot standbys against the same databases (separate run dirs): after promote exactly
/// one is active; after demote/promote of the other, it takes over and writes.
#[test]
fn promotable_pair_takes_over() {
    let d = dbs();
    let mut a = Res::northd(&d.nb, &d.sb);
    let mut b = Res::northd(&d.nb, &d.sb);
    a.set("OCF_RESKEY_CRM_meta_promoted_max", "1")
        .set("OCF_RESOURCE_INSTANCE", "northd:0");
    b.set("OCF_RESKEY_CRM_meta_promoted_max", "1")
        .set("OCF_RESOURCE_INSTANCE", "northd:1");
    a.expect("start", 0);
    b.expect("start", 0);
    assert_eq!(a.northd_status(), "Status: paused");
    assert_eq!(b.northd_status(), "Status: paused");
    a.expect("monitor", 0);
    let o = b.run_with("monitor", &[("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(o.code, 0, "a paused standby is connected: {}", o.stderr);

    a.expect("promote", 0);
    a.expect("monitor", 8);
    b.expect("monitor", 0);
    assert_eq!(a.northd_status(), "Status: active");
    assert_eq!(b.northd_status(), "Status: paused");
    assert!(switch_reaches_sb(&d, "ls-a"));

    a.expect("demote", 0);
    a.expect("monitor", 0);
    b.expect("promote", 0);
    b.expect("monitor", 8);
    assert_eq!(b.northd_status(), "Status: active");
    assert_eq!(a.northd_status(), "Status: paused");
    assert!(
        switch_reaches_sb(&d, "ls-b"),
        "the new active northd writes"
    );

    // Promote/demote of an instance already in that role are no-ops.
    b.expect("promote", 0);
    a.expect("demote", 0);

    // A promoted northd killed: failed promoted (9), stop 0.
    let pid = b.server_pid().unwrap();
    b.signal("KILL");
    b.wait_server_gone(pid);
    b.expect("monitor", 9);
    b.expect("stop", 0);
    b.expect("monitor", 7);

    // A hung standby is an error (1), not "not running" (7).
    a.signal("STOP");
    let o = a.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    a.expect("stop", 0);
}

/// A promoted northd whose Southbound goes away (the SB resource failing over) loses the
/// lock: that is not northd's failure (8, not 9: restarting it would not help); once the
/// SB is back it is active again. Connected and still without the lock: 9.
#[test]
fn promoted_northd_waits_for_a_lost_southbound() {
    let d = dbs();
    let mut n = Res::northd(&d.nb, &d.sb);
    n.set("OCF_RESKEY_CRM_meta_promoted_max", "1");
    n.expect("start", 0);
    n.expect("promote", 0);
    n.expect("monitor", 8);
    let pid = d.sb.server_pid().unwrap();
    d.sb.signal("KILL");
    d.sb.wait_server_gone(pid);
    d.sb.expect("stop", 0);
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !n.northd_status().contains("standby") {
        assert!(std::time::Instant::now() < end, "{}", n.northd_status());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let o = n.expect("monitor", 8);
    assert!(o.stderr.contains("unreachable"), "{}", o.stderr);
    // The SB back: northd reconnects and takes the lock again.
    d.sb.expect("start", 0);
    let end = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !n.northd_status().contains("active") {
        assert!(std::time::Instant::now() < end, "{}", n.northd_status());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    n.expect("monitor", 8);
    // Another northd (a primitive) takes the lock while ours is paused by hand and
    // resumed: connected, standby: 9, with the reason.
    n.appctl(&n.northd_ctl(), "pause");
    let holder = Res::northd(&d.nb, &d.sb);
    holder.expect("start", 0);
    n.appctl(&n.northd_ctl(), "resume");
    let o = n.run("monitor");
    assert_eq!(o.code, 9, "{}", o.stderr);
    assert!(
        o.reason().unwrap().contains("does not hold its lock"),
        "{}",
        o.stderr
    );
    holder.expect("stop", 0);
    n.expect("stop", 0);
}

/// Promote while another northd holds the SB lock: fails with a reason, goes back to paused.
#[test]
fn promote_fails_while_another_holds_the_lock() {
    let d = dbs();
    let holder = Res::northd(&d.nb, &d.sb); // a primitive: active, holds the lock
    holder.expect("start", 0);
    let mut b = Res::northd(&d.nb, &d.sb);
    b.set("OCF_RESKEY_CRM_meta_promoted_max", "1");
    b.expect("start", 0);
    let o = b.run_with("promote", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(o.code, 1, "{}", o.stderr);
    assert!(o.reason().unwrap().contains("lock"), "{}", o.stderr);
    assert_eq!(b.northd_status(), "Status: paused");
    b.expect("monitor", 0);
    // The holder goes away: now the promote succeeds.
    holder.expect("stop", 0);
    b.expect("promote", 0);
    b.expect("monitor", 8);
}

#[test]
fn promoted_sigstop_is_failed_promoted() {
    let d = dbs();
    let mut n = Res::northd(&d.nb, &d.sb);
    n.set("OCF_RESKEY_CRM_meta_promoted_max", "1");
    n.expect("start", 0);
    n.expect("promote", 0);
    n.signal("STOP");
    let o = n.run_with("monitor", &[("OCF_RESKEY_CRM_meta_timeout", "3000")]);
    assert_eq!(o.code, 9, "{}", o.stderr);
    n.expect("stop", 0);
}

#[test]
fn bad_parameters_are_err_configured() {
    let d = dbs();
    let n = Res::northd(&d.nb, &d.sb);
    for (k, v) in [
        ("nb_connection", "tcp:localhost:6641"),
        ("nb_connection", "unix:relative.sock"),
        ("nb_connection", "tcp:127.0.0.1:6641;touch /tmp/x"),
        ("nb_connection", "ptcp:6641"),
        ("sb_connection", "ssl:127.0.0.1:6642"),
        ("sb_connection", "--opt"),
        ("n_threads", "0"),
        ("n_threads", "abc"),
        ("n_threads", "100000"),
        ("run_dir", "relative"),
        ("log_file", "/tmp/a b"),
        ("ovn_northd", "ovn-northd"),
        ("ssl_ca_cert", "/x"),
    ] {
        let key = format!("OCF_RESKEY_{k}");
        for action in ["validate-all", "start"] {
            let o = n.run_with(action, &[(key.as_str(), v)]);
            assert_eq!(o.code, 6, "{k}={v} {action}: {}", o.stderr);
            assert!(o.reason().is_some(), "{k}={v}: no reason");
            assert!(!o.panicked());
        }
        let o = n.run_with(
            "monitor",
            &[(key.as_str(), v), ("OCF_RESKEY_CRM_meta_interval", "0")],
        );
        assert_eq!(o.code, 7, "{k}={v} probe");
    }
    let o = n.run_with(
        "validate-all",
        &[("OCF_RESKEY_ovn_northd", "/nonexistent/ovn-northd")],
    );
    assert_eq!(o.code, 5);
    assert!(n.server_pid().is_none());
}

/// ovn-northd to both databases over ssl: with real certificates (one throwaway CA).
#[test]
fn northd_over_ssl() {
    let mut nb = Res::new("nb");
    let mut sb = Res::new("sb");
    let [key, cert, ca] = make_pki(nb.dir.path());
    for r in [&mut nb, &mut sb] {
        r.set("OCF_RESKEY_protocol", "ssl")
            .set("OCF_RESKEY_ssl_private_key", &key)
            .set("OCF_RESKEY_ssl_certificate", &cert)
            .set("OCF_RESKEY_ssl_ca_cert", &ca);
        r.expect("start", 0);
    }
    let d = Dbs { nb, sb };
    let mut n = Res::northd(&d.nb, &d.sb);
    n.set(
        "OCF_RESKEY_nb_connection",
        &format!("ssl:127.0.0.1:{}", d.nb.port),
    )
    .set(
        "OCF_RESKEY_sb_connection",
        &format!("ssl:127.0.0.1:{}", d.sb.port),
    )
    .set("OCF_RESKEY_ssl_private_key", &key)
    .set("OCF_RESKEY_ssl_certificate", &cert)
    .set("OCF_RESKEY_ssl_ca_cert", &ca);
    n.expect("start", 0);
    let o = n.run_with("monitor", &[("OCF_CHECK_LEVEL", "10")]);
    assert_eq!(o.code, 0, "connected to both over ssl: {}", o.stderr);
    assert!(switch_reaches_sb(&d, "ls-ssl"), "northd computes over ssl");
    n.expect("stop", 0);
    n.expect("monitor", 7);
}

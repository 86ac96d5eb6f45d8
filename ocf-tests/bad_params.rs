//! Bad parameters, table-driven: every one gets OCF_ERR_CONFIGURED (6) from validate-all
//! and start, with an exit reason naming the parameter; a probe still says "not running";
//! nothing panics, nothing starts, and no value is ever run through a shell (canary).

mod common;

use common::*;

const PATH_PARAMS: &[&str] = &[
    "db_file",
    "schema",
    "run_dir",
    "log_file",
    "ssl_private_key",
    "ssl_certificate",
    "ssl_ca_cert",
    "ovsdb_server",
    "ovsdb_tool",
    "backup_dir",
    "ovn_northd",
];

fn cases(canary: &str) -> Vec<(String, String)> {
    let huge = format!("/{}", "a".repeat(10 * 1024));
    let mut v: Vec<(String, String)> = vec![];
    for p in PATH_PARAMS {
        for bad in [
            "relative/path".to_string(),
            "ovnnb_db.db".to_string(),
            "--opt".to_string(),
            "--remote=ptcp:1".to_string(),
            "/with space/x".to_string(),
            format!("/tmp/x;touch {canary}"),
            format!("/tmp/$(touch {canary})"),
            format!("/tmp/`touch {canary}`"),
            "/tmp/x|y".to_string(),
            "/tmp/x&y".to_string(),
            "/tmp/x>y".to_string(),
            "/tmp/x\ny".to_string(),
            "/tmp/'q'".to_string(),
            "/tmp/\"q\"".to_string(),
            "/tmp/*".to_string(),
            "/tmp/../etc/shadow".to_string(),
            huge.clone(),
        ] {
            v.push((p.to_string(), bad));
        }
    }
    for bad in [
        "0",
        "70000",
        "abc",
        "-1",
        "6641 ",
        "66 41",
        "6641;id",
        "--opt",
        "99999999999999999999",
    ] {
        v.push(("port".into(), bad.into()));
    }
    // Absolute, but naming no file: nothing can go beside it (found by the fuzzer: the
    // agent used to panic on every action).
    for bad in ["/", "//", "/.", "/./"] {
        v.push(("db_file".into(), bad.into()));
    }
    for bad in ["xx", "NB", "nb ", "nb;sb", "--db", "northbound"] {
        v.push(("db".into(), bad.into()));
    }
    for bad in ["udp", "TCP", "ssl;tcp", "--opt"] {
        v.push(("protocol".into(), bad.into()));
    }
    for bad in [
        "localhost",
        "1.2.3",
        "::g",
        "0.0.0.0;id",
        "[::1]",
        "--opt",
        "198.51.100.1 ",
    ] {
        v.push(("listen_address".into(), bad.into()));
    }
    for bad in ["-1", "abc", "5s", "3600001", "1e3"] {
        v.push(("inactivity_probe".into(), bad.into()));
    }
    for bad in ["maybe", "2", "--opt"] {
        v.push(("use_remote_in_db".into(), bad.into()));
    }
    for bad in ["cut", "keep_prefix", "--opt", "refuse;"] {
        v.push(("repair_policy".into(), bad.into()));
    }
    for bad in ["0", "1001", "ten", "-5"] {
        v.push(("backup_keep".into(), bad.into()));
    }
    for bad in ["-1", "1048577", "64M", "1.5", "lots", "--opt"] {
        v.push(("storage_low_mb".into(), bad.into()));
    }
    for bad in ["sometimes", "after_change", "ALWAYS"] {
        v.push(("repair_hook_when".into(), bad.into()));
    }
    for bad in ["0", "86401", "5m", "-1"] {
        v.push(("repair_hook_timeout".into(), bad.into()));
    }
    for bad in ["perhaps", "--opt"] {
        v.push(("sb_gate".into(), bad.into()));
    }
    for bad in [
        "relative/hook".to_string(),
        "hook --x".to_string(),
        format!("/bin/sh -c 'touch {canary}'; touch {canary}"),
        format!("/usr/bin/touch {canary} && true"),
        format!("/usr/bin/touch $(echo {canary})"),
        format!("/usr/bin/touch `echo {canary}`"),
        format!("/usr/bin/touch {canary} | cat"),
        format!("/usr/bin/touch {canary} > /tmp/x"),
        "/usr/bin/x 'unbalanced".to_string(),
        "/usr/bin/x\n/usr/bin/y".to_string(),
        "   ".to_string(),
        "--opt".to_string(),
        huge.clone(),
    ] {
        v.push(("repair_hook".into(), bad));
    }
    for bad in [
        "tcp:localhost:6641",
        "unix:rel.sock",
        "ptcp:6641",
        "--opt",
        "ssl:127.0.0.1:6641",
    ] {
        v.push(("gate_nb_connection".into(), bad.into()));
    }
    v.push(("db".into(), huge.clone()));
    v.push(("listen_address".into(), huge));
    v
}

#[test]
fn every_bad_value_is_err_configured_with_a_reason() {
    let r = Res::new("nb");
    let canary = r.path("CANARY");
    let cases = cases(&canary.display().to_string());
    assert!(cases.len() > 150, "table has {} cases", cases.len());
    for (param, value) in &cases {
        let key = format!("OCF_RESKEY_{param}");
        for action in ["validate-all", "start"] {
            let o = r.run_with(action, &[(key.as_str(), value.as_str())]);
            assert!(
                !o.panicked(),
                "{param}={value:?} {action} panicked: {}",
                o.stderr
            );
            assert_eq!(o.code, 6, "{param}={value:?} {action}: {}", o.stderr);
            let reason = o
                .reason()
                .unwrap_or_else(|| panic!("{param}={value:?}: no exit reason"));
            assert!(
                reason.contains(param.as_str()),
                "{param}={value:?}: reason {reason:?} does not name it"
            );
            assert!(
                reason.len() < 512,
                "{param}: reason too long ({} bytes)",
                reason.len()
            );
        }
        let probe = r.run_with(
            "monitor",
            &[
                (key.as_str(), value.as_str()),
                ("OCF_RESKEY_CRM_meta_interval", "0"),
            ],
        );
        assert_eq!(probe.code, 7, "{param}={value:?} probe: {}", probe.stderr);
        let stop = r.run_with("stop", &[(key.as_str(), value.as_str())]);
        assert_eq!(stop.code, 0, "{param}={value:?} stop: {}", stop.stderr);
        assert!(
            r.server_pid().is_none(),
            "{param}={value:?} started a server"
        );
    }
    assert!(!canary.exists(), "a parameter value reached a shell");
}

/// Empty means unset: defaults apply (shell agents do ${x:-default}); an empty required
/// parameter is missing.
#[test]
fn empty_means_unset() {
    let r = Res::new("nb");
    let o = r.run_with("validate-all", &[("OCF_RESKEY_db", "")]);
    assert_eq!(o.code, 6);
    assert!(o.reason().unwrap().contains("db"));
    for p in [
        "port",
        "listen_address",
        "protocol",
        "use_remote_in_db",
        "inactivity_probe",
        "schema",
        "ovsdb_server",
    ] {
        let key = format!("OCF_RESKEY_{p}");
        let o = r.run_with("validate-all", &[(key.as_str(), "")]);
        assert_eq!(o.code, 0, "{p}='' must mean the default: {}", o.stderr);
    }
}

/// Combinations that are each valid alone but not together.
#[test]
fn inconsistent_combinations() {
    let r = Res::new("nb");
    for combo in [
        vec![
            ("OCF_RESKEY_inactivity_probe", "5000"),
            ("OCF_RESKEY_use_remote_in_db", "false"),
        ],
        vec![("OCF_RESKEY_ssl_private_key", "/etc/ssl/k.pem")],
        vec![
            ("OCF_RESKEY_protocol", "ssl"),
            ("OCF_RESKEY_use_remote_in_db", "false"),
        ],
    ] {
        let o = r.run_with("validate-all", &combo);
        assert_eq!(o.code, 6, "{combo:?}: {}", o.stderr);
        assert!(o.reason().is_some());
    }
}

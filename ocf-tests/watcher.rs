//! The watcher beside each daemon (`ovn-ocf watch`): a kill -9 of ovsdb-server or
//! ovn-northd is reported to Pacemaker once, right away, with the resource and the node;
//! the next monitor does not fail the same death again; stop and demote never trigger a
//! report; no watcher outlives its resource.
//!
//! Pacemaker is the `crm_resource` stub of `PcmkShim` (it records its argv): acceptable
//! here ONLY because no cluster runs in cargo tests. The namespace cluster
//! (ocf-tests/cluster/scenarios.sh) runs the real one.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

const NODE: &str = "node-a";

/// Live `ovn-ocf watch` processes of the resource whose state file is `state`.
fn watchers(state: &Path) -> Vec<i32> {
    let want = format!("--state={}", state.display());
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let args: Vec<&[u8]> = cmd.split(|b| *b == 0).collect();
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| {
                    s.rsplit_once(')')
                        .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
                })
                .unwrap_or(true);
            !zombie && args.contains(&&b"watch"[..]) && args.contains(&want.as_bytes())
        })
        .collect()
}

fn state_of(r: &Res, name: &str) -> std::path::PathBuf {
    r.run_dir().join(format!("{name}.ovn-ocf.state"))
}

/// Waits (bounded) until `cond` holds.
fn wait_for(what: &str, secs: u64, mut cond: impl FnMut() -> bool) {
    let end = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < end {
        if cond() {
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    panic!("{what}: not within {secs} s");
}

fn fail_calls(shim: &PcmkShim) -> Vec<String> {
    shim.calls()
        .into_iter()
        .filter(|c| c.starts_with("crm_resource"))
        .collect()
}

/// A resource whose Pacemaker tools are the shim's, on node NODE.
fn with_shim(mut r: Res, shim: &PcmkShim) -> Res {
    r.set("PATH", &shim.path_env())
        .set("OCF_RESKEY_CRM_meta_on_node", NODE);
    r
}

fn kill9_is_reported_once(r: &Res, shim: &PcmkShim, state: &Path, instance: &str) {
    let pid = r.server_pid().expect("daemon runs");
    assert_eq!(watchers(state).len(), 1, "one watcher per resource");
    shim.clear();
    r.signal("KILL");
    // Bounded so a missing report fails instead of hanging; how fast it comes is measured
    // by the cluster scenarios and make bench, never asserted here.
    wait_for("crm_resource --fail", 10, || !fail_calls(shim).is_empty());
    // The watcher exits once it has reported.
    wait_for("watcher gone after its report", 10, || {
        watchers(state).is_empty()
    });
    assert_eq!(
        fail_calls(shim),
        vec![format!("crm_resource --fail -r {instance} -N {NODE}")],
        "reported once, naming the resource and the node"
    );
    // What died, for crm_mon -A.
    assert!(
        shim.calls()
            .iter()
            .any(|c| c.starts_with("attrd_updater -n ")
                && c.contains("-died -U ")
                && c.contains(&format!(" pid {pid} died "))),
        "{:?}",
        shim.calls()
    );
    r.wait_server_gone(pid);
    // The recurring monitor does not fail the death a second time; a probe tells the truth.
    let o = r.run("monitor");
    assert!(
        o.code == 0 || o.code == 8,
        "monitor: {} {}",
        o.code,
        o.stderr
    );
    let probe = r.probe().code;
    assert!(probe == 7 || probe == 9, "probe: {probe}");
    // Pacemaker's recovery: stop (the daemon is gone), start. Neither reports.
    r.expect("stop", 0);
    r.expect("monitor", 7);
    assert_eq!(fail_calls(shim).len(), 1, "{:?}", fail_calls(shim));
}

fn stop_never_reports(r: &Res, shim: &PcmkShim, state: &Path) {
    wait_for("a watcher", 5, || watchers(state).len() == 1);
    shim.clear();
    r.expect("stop", 0);
    assert!(watchers(state).is_empty(), "no watcher after stop");
    std::thread::sleep(Duration::from_millis(300));
    assert!(fail_calls(shim).is_empty(), "{:?}", fail_calls(shim));
}

fn db_primitive(db: &str) {
    let shim = PcmkShim::new(&format!("1 {NODE} member\n"));
    let r = with_shim(Res::new(db), &shim);
    let state = state_of(&r, &r.base());
    r.expect("start", 0);
    kill9_is_reported_once(&r, &shim, &state, &format!("test-{db}"));
    // Served again: a new watcher for the new server; stop ends it without a report.
    r.expect("start", 0);
    r.expect("monitor", 0);
    stop_never_reports(&r, &shim, &state);
}

#[test]
fn kill9_of_nb_is_reported_once() {
    db_primitive("nb")
}

#[test]
fn kill9_of_sb_is_reported_once() {
    db_primitive("sb")
}

#[test]
fn promoted_kill9_is_reported_and_demote_never_is() {
    let shim = PcmkShim::new(&format!("1 {NODE} member\n"));
    let r = with_shim(Res::promotable("sb"), &shim);
    let state = state_of(&r, &r.base());
    r.expect("start", 0);
    assert!(
        watchers(&state).is_empty(),
        "a standby runs no server to watch"
    );
    r.expect("promote", 0);
    wait_for("a watcher", 5, || watchers(&state).len() == 1);
    // demote takes the server down: no report, no watcher left.
    shim.clear();
    r.expect("demote", 0);
    assert!(watchers(&state).is_empty(), "no watcher after demote");
    std::thread::sleep(Duration::from_millis(300));
    assert!(fail_calls(&shim).is_empty(), "{:?}", fail_calls(&shim));
    r.expect("monitor", 0);
    // Promoted again, then killed: reported once, and monitor answers 8 meanwhile.
    r.expect("promote", 0);
    kill9_is_reported_once(&r, &shim, &state, "test-sb");
}

/// A watcher no state file names (an agent killed during start) is found and ended by
/// stop, through /proc.
#[test]
fn stop_ends_a_watcher_the_state_does_not_name() {
    let shim = PcmkShim::new(&format!("1 {NODE} member\n"));
    let r = with_shim(Res::new("nb"), &shim);
    let state = state_of(&r, &r.base());
    r.expect("start", 0);
    std::fs::remove_file(&state).unwrap();
    stop_never_reports(&r, &shim, &state);
}

/// Without a cluster (crm_resource fails), nothing is remembered: the monitor reports
/// the death itself, as before.
#[test]
fn an_unreported_death_is_failed_by_the_monitor() {
    let r = Res::new("nb");
    r.expect("start", 0);
    let pid = r.server_pid().unwrap();
    r.signal("KILL");
    r.wait_server_gone(pid);
    let state = state_of(&r, &r.base());
    wait_for("watcher gone", 10, || watchers(&state).is_empty());
    let o = r.expect("monitor", 7);
    assert!(
        o.reason().is_some_and(|x| x.contains("gone")),
        "{}",
        o.stderr
    );
}

#[test]
fn northd_kill9_is_reported_once_and_stop_never_is() {
    let nb = Res::new("nb");
    let sb = Res::new("sb");
    nb.expect("start", 0);
    sb.expect("start", 0);
    let shim = PcmkShim::new(&format!("1 {NODE} member\n"));
    let n = with_shim(Res::northd(&nb, &sb), &shim);
    let state = state_of(&n, "ovn-northd");
    n.expect("start", 0);
    kill9_is_reported_once(&n, &shim, &state, "test-northd");
    n.expect("start", 0);
    stop_never_reports(&n, &shim, &state);
}

#[test]
fn northd_demote_is_a_pause_and_never_reports() {
    let nb = Res::new("nb");
    let sb = Res::new("sb");
    nb.expect("start", 0);
    sb.expect("start", 0);
    let shim = PcmkShim::new(&format!("1 {NODE} member\n"));
    let mut n = with_shim(Res::northd(&nb, &sb), &shim);
    n.set("OCF_RESKEY_CRM_meta_promoted_max", "1")
        .set("OCF_RESKEY_CRM_meta_master_max", "1")
        .set("OCF_RESKEY_CRM_meta_clone_max", "2");
    let state = state_of(&n, "ovn-northd");
    n.expect("start", 0);
    n.expect("promote", 0);
    wait_for("a watcher", 5, || watchers(&state).len() == 1);
    shim.clear();
    n.expect("demote", 0);
    n.expect("monitor", 0);
    assert!(fail_calls(&shim).is_empty(), "{:?}", fail_calls(&shim));
    stop_never_reports(&n, &shim, &state);
}

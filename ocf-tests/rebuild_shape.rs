//! `storage=rebuild` (shape C) against Debian's ovsdb-server: two "nodes" on one machine,
//! each with its own run dir and NB file, sharing one cluster. A node that takes over
//! never serves the file an earlier term of its own left behind: it is backed up
//! byte-exact and rebuilt by repair_hook; the file that served last serves as it is on a
//! restart in place; a takeover whose rebuild fails leaves it current.
//!
//! Pacemaker's tools are the stubs of `PcmkShim` (no cluster runs in cargo tests; its
//! `crm_attribute --type crm_config` keeps the cluster properties in files, as the CIB
//! would). The hook stands in for neutron-ovn-db-sync-util in repair mode (the namespace
//! cluster's cloud scenarios run the real one): it makes NB's logical switches those the
//! "CMS" knows, a file of names.

mod common;

use std::net::TcpStream;
use std::path::{Path, PathBuf};

use common::*;

const GENERATION: &str = "ovn-ocf-nb-generation";

/// The stand-in CMS: the switch names it knows, and the hook that writes exactly those
/// into NB (deleting any other), recording each run (the node, its argument, and the outcome) in `runs`. With a
/// file `fail` beside them, it fails.
struct Cms {
    dir: tempfile::TempDir,
}

impl Cms {
    fn new() -> Cms {
        let c = Cms {
            dir: tempfile::tempdir().unwrap(),
        };
        c.set(&[]);
        let hook = c.hook();
        std::fs::write(
            &hook,
            format!(
                r#"#!/bin/sh
echo "$1 $OVN_OCF_REPAIR_OUTCOME" >> {runs}
[ ! -e {fail} ] || {{ echo "the CMS database is not reachable" >&2; exit 1; }}
ops='{{"op":"delete","table":"Logical_Switch","where":[]}}'
for n in $(cat {names}); do ops="$ops,{{\"op\":\"insert\",\"table\":\"Logical_Switch\",\"row\":{{\"name\":\"$n\"}}}}"; done
exec ovsdb-client transact "$OVN_OCF_DB_CONNECTION" "[\"OVN_Northbound\",$ops]"
"#,
                runs = c.path("runs").display(),
                fail = c.path("fail").display(),
                names = c.path("names").display(),
            ),
        )
        .unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();
        c
    }
    fn path(&self, n: &str) -> PathBuf {
        self.dir.path().join(n)
    }
    fn hook(&self) -> PathBuf {
        self.path("hook.sh")
    }
    fn set(&self, names: &[&str]) {
        std::fs::write(self.path("names"), names.join("\n")).unwrap();
    }
    fn runs(&self) -> Vec<String> {
        std::fs::read_to_string(self.path("runs"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }
}

/// NB with storage=rebuild on `node`, the hook run in NB's own start.
fn node(name: &str, shim: &PcmkShim, cms: &Cms) -> Res {
    let mut r = Res::new("nb");
    r.set("OCF_RESKEY_CRM_meta_on_node", name)
        .set("OCF_RESKEY_storage", "rebuild")
        .set(
            "OCF_RESKEY_repair_hook",
            &format!("{} {name}", cms.hook().display()),
        )
        .set("OCF_RESKEY_repair_hook_needs_sb", "false")
        .set("PATH", &shim.path_env());
    r
}

fn switches(r: &Res) -> Vec<String> {
    set_names(
        &r.local_transact(
            r#"{"op":"select","table":"Logical_Switch","where":[],"columns":["name"]}"#,
        )
        .unwrap(),
    )
}

fn add(r: &Res, name: &str) {
    r.local_transact(&format!(
        r#"{{"op":"insert","table":"Logical_Switch","row":{{"name":"{name}"}}}}"#
    ))
    .unwrap();
}

fn generation_beside(r: &Res) -> String {
    let f = r.db_file().with_file_name(".ovnnb_db.db.generation");
    std::fs::read_to_string(f).unwrap().trim().to_string()
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap()
}

/// Over to node2 and back to node1, then a kill -9 on node1: node2's missing file is
/// created and rebuilt; node1's file of the first term is backed up byte-exact, replaced
/// and rebuilt (what only it held is gone, what the CMS knows is there); the generation
/// follows the node that serves; the restart in place serves the current file as it is.
#[test]
fn a_takeover_rebuilds_and_the_current_file_serves_as_it_is() {
    let shim = PcmkShim::new("1 node1 member\n2 node2 member\n");
    let cms = Cms::new();
    let n1 = node("node1", &shim, &cms);
    let n2 = node("node2", &shim, &cms);

    // A new cluster: the file found serves and becomes generation 1.
    n1.expect("start", 0);
    assert_eq!(shim.property(GENERATION).as_deref(), Some("1@node1"));
    assert_eq!(generation_beside(&n1), "1@node1");
    cms.set(&["net-a"]);
    add(&n1, "net-a");
    add(&n1, "only-on-node1");
    n1.expect("stop", 0);
    assert!(cms.runs().is_empty(), "no rebuild for a new cluster");

    // node2 takes over: no file of its own; created, rebuilt from the CMS.
    n2.expect("start", 0);
    assert_eq!(cms.runs(), ["node2 created"]);
    assert_eq!(switches(&n2), ["net-a"]);
    assert_eq!(shim.property(GENERATION).as_deref(), Some("2@node2"));
    assert_eq!(generation_beside(&n2), "2@node2");
    cms.set(&["net-a", "net-b"]);
    add(&n2, "net-b");
    n2.expect("stop", 0);

    // Back to node1: its file is of generation 1, not the cluster's 2.
    let old = read(&n1.db_file());
    let o = n1.expect("start", 0);
    assert!(
        o.stderr
            .contains("is of generation 1@node1, the cluster's is 2@node2"),
        "{}",
        o.stderr
    );
    assert_eq!(cms.runs(), ["node2 created", "node1 replaced"]);
    assert_eq!(switches(&n1), ["net-a", "net-b"]);
    let report = n1.newest_report();
    assert_eq!(report["outcome"], "replaced");
    let bak = PathBuf::from(report["backup"].as_str().unwrap());
    assert_eq!(n1.backups(), std::slice::from_ref(&bak));
    assert_eq!(read(&bak), old, "the stale file, byte for byte");
    assert_eq!(shim.property(GENERATION).as_deref(), Some("3@node1"));
    assert_eq!(generation_beside(&n1), "3@node1");

    // kill -9, then Pacemaker's stop and start in place: the current file, as it is.
    add(&n1, "since-the-rebuild");
    let pid = n1.server_pid().unwrap();
    n1.signal("KILL");
    n1.wait_server_gone(pid);
    n1.expect("stop", 0);
    n1.expect("start", 0);
    assert_eq!(cms.runs().len(), 2, "no rebuild: {:?}", cms.runs());
    assert_eq!(switches(&n1), ["net-a", "net-b", "since-the-rebuild"]);
    assert_eq!(n1.newest_report()["outcome"], "clean");
    assert_eq!(shim.property(GENERATION).as_deref(), Some("3@node1"));
    assert_eq!(n1.backups().len(), 1);
    n1.expect("stop", 0);
}

/// Split brain with stonith disabled: node1 served last and the cluster lost it (its
/// corosync killed), but it is up and still serves. node2's start refuses before it
/// touches anything (nothing backed up, rebuilt or claimed), saying why and what to do;
/// once node1 is back in the cluster (fenced and rejoined, its database stopped), the
/// same start takes over.
#[test]
fn a_takeover_from_a_node_cut_off_but_up_is_refused() {
    let shim = PcmkShim::new("1 node1 member\n2 node2 member\n");
    let cms = Cms::new();
    let n1 = node("node1", &shim, &cms);
    let n2 = node("node2", &shim, &cms);
    n1.expect("start", 0);
    assert_eq!(shim.property(GENERATION).as_deref(), Some("1@node1"));
    cms.set(&["net-a"]);
    add(&n1, "net-a");

    shim.set_members("1 node1 lost\n2 node2 member\n");
    shim.set_cmap(
        "nodelist.node.0.name (str) = node1\nnodelist.node.0.ring0_addr (str) = 127.0.0.1\nnodelist.node.1.name (str) = node2\nnodelist.node.1.ring0_addr (str) = 127.0.0.2\n",
    );
    let o = n2.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let reason = o.reason().unwrap();
    assert!(
        reason.starts_with("fence node1, then pcs resource cleanup: "),
        "{reason}"
    );
    for part in [
        "node1 is out of the cluster but its host is up (answers at 127.0.0.1)",
        "it served OVN_Northbound last",
    ] {
        assert!(reason.contains(part), "{part}: {reason}");
    }
    assert!(cms.runs().is_empty(), "{:?}", cms.runs());
    assert!(n2.backups().is_empty());
    assert!(n2.server_pid().is_none());
    assert_eq!(shim.property(GENERATION).as_deref(), Some("1@node1"));
    assert_eq!(switches(&n1), ["net-a"], "node1 serves on, untouched");

    // The way out: node1 fenced (its database gone) and back in the cluster.
    n1.expect("stop", 0);
    shim.set_members("1 node1 member\n2 node2 member\n");
    n2.expect("start", 0);
    assert_eq!(cms.runs(), ["node2 created"]);
    assert_eq!(switches(&n2), ["net-a"]);
    assert_eq!(shim.property(GENERATION).as_deref(), Some("2@node2"));
    n2.expect("stop", 0);
}

/// A takeover whose rebuild fails takes nothing from the file that served last: the
/// generation stays with it, and its node serves it as it is, without a rebuild.
#[test]
fn a_failed_rebuild_leaves_the_last_file_current() {
    let shim = PcmkShim::new("1 node1 member\n2 node2 member\n");
    let cms = Cms::new();
    let n1 = node("node1", &shim, &cms);
    let n2 = node("node2", &shim, &cms);
    n1.expect("start", 0);
    add(&n1, "net-a");
    n1.expect("stop", 0);
    std::fs::write(cms.path("fail"), "").unwrap();
    let o = n2.run("start");
    assert_eq!(o.code, 1, "{}", o.stderr);
    let reason = o.reason().unwrap_or_default().to_string();
    assert!(reason.contains("repair_hook"), "{reason}");
    n2.expect("stop", 0);
    assert_eq!(shim.property(GENERATION).as_deref(), Some("1@node1"));
    n1.expect("start", 0);
    assert_eq!(switches(&n1), ["net-a"]);
    assert_eq!(cms.runs(), ["node2 created"], "no rebuild on node1");
    assert_eq!(n1.newest_report()["outcome"], "clean");
    n1.expect("stop", 0);
}

/// What shape C cannot do without is refused before anything starts.
#[test]
fn rebuild_needs_a_hook_for_nb_and_the_gate_for_sb() {
    let mut nb = Res::new("nb");
    nb.set("OCF_RESKEY_storage", "rebuild");
    let o = nb.expect("start", 6);
    assert!(
        o.reason().unwrap().contains("needs repair_hook"),
        "{}",
        o.stderr
    );
    let mut sb = Res::new("sb"); // sb_gate=false, as Res has it
    sb.set("OCF_RESKEY_storage", "rebuild");
    let o = sb.expect("start", 6);
    assert!(
        o.reason().unwrap().contains("needs sb_gate=true"),
        "{}",
        o.stderr
    );
}

/// Without shared storage the serving database's clients are kept in the cluster (the
/// CIB property ovn-ocf-nb-clients), and the node that takes over ends their old
/// connections at once (tickle ACKs), as with a file beside it on shared storage.
#[test]
fn a_takeover_ends_the_old_connections_the_cluster_kept() {
    const CLIENTS: &str = "ovn-ocf-nb-clients";
    let shim = PcmkShim::new("1 node1 member\n2 node2 member\n");
    let cms = Cms::new();
    let n1 = node("node1", &shim, &cms);
    let mut n2 = node("node2", &shim, &cms);
    n2.set("OCF_RESKEY_port", &n1.port.to_string());
    n2.port = n1.port;

    n1.expect("start", 0);
    let c = TcpStream::connect(n1.tcp()).unwrap();
    let entry = format!("{} {};", n1.tcp(), c.local_addr().unwrap());
    let kept = || shim.property(CLIENTS).unwrap_or_default();
    monitor_until(&n1, kept, |kept| kept.contains(&entry));
    drop(c);
    n1.expect("stop", 0);

    // node1's server end vanished with its power; node2 takes over on the same address.
    let old = orphaned_client(n1.tcp());
    shim.set_property(
        CLIENTS,
        &format!("{} {};", n1.tcp(), old.local_addr().unwrap()),
    );
    let o = n2.expect("start", 0);
    assert!(
        o.stderr.contains(&format!(
            "ended the earlier connections of 1 clients (tickle ACKs, from the cluster's {CLIENTS}): 1 sent"
        )),
        "{}",
        o.stderr
    );
    assert_reset(&old);
    n2.expect("stop", 0);
}

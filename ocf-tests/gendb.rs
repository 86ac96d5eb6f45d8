//! The bench's database generator (`ocf-tests/bench/gendb.sh`) at its `tiny` size: its
//! NB holds the topology its parameters say, its SB is what the real ovn-northd computed
//! from it (a datapath per switch and router, a port binding per port, thousands of
//! logical flows), read back from the files with `ovsdb-tool query`; the same parameters
//! give the same topology; a second call reuses the files (the cache). The script stops
//! its own daemons; each run has its own temp dir.

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use serde_json::Value;

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../ocf-tests/bench/gendb.sh");

// tiny: 4 tenants × 2 switches × 10 ports, 2 load balancers a tenant, 2 extra rules.
const TENANTS: u64 = 4;
const SWITCHES: u64 = TENANTS * 2;
const VM_PORTS: u64 = SWITCHES * 10;

/// Runs gendb.sh at `tiny` into `out` with `env` added; returns its summary line's fields.
fn gendb(out: &Path, env: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut cmd = Command::new(SCRIPT);
    cmd.env("GENDB_SIZE", "tiny")
        .env("GENDB_OUT", out)
        .env("GENDB_TIMEOUT", "50")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let o = run_watched(cmd, Duration::from_secs(60));
    assert_eq!(o.code, 0, "gendb.sh failed:\n{}\n{}", o.stdout, o.stderr);
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "one line on stdout: {}", o.stdout);
    let mut f = lines[0].split(' ');
    assert_eq!(f.next(), Some("GENDB"), "{}", lines[0]);
    f.map(|kv| {
        let (k, v) = kv
            .split_once('=')
            .unwrap_or_else(|| panic!("{kv} in {}", lines[0]));
        (k.to_string(), v.to_string())
    })
    .collect()
}

fn field<'a>(s: &'a [(String, String)], k: &str) -> &'a str {
    &s.iter()
        .find(|(key, _)| key == k)
        .unwrap_or_else(|| panic!("no {k}: {s:?}"))
        .1
}

/// The rows of `table` in the database file `file` (`ovsdb-tool query`, offline).
fn rows(file: &Path, db: &str, table: &str) -> Vec<Value> {
    let q = format!(r#"["{db}",{{"op":"select","table":"{table}","where":[]}}]"#);
    let o = Command::new("ovsdb-tool")
        .arg("query")
        .arg(file)
        .arg(&q)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ovsdb-tool query {} {q}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v[0]["rows"]
        .as_array()
        .unwrap_or_else(|| panic!("{table}: {v}"))
        .clone()
}

fn strings(rows: &[Value], col: &str) -> BTreeSet<String> {
    rows.iter()
        .map(|r| r[col].as_str().unwrap().to_string())
        .collect()
}

/// A map column's value for `key` (OVSDB's ["map", [[k, v], ...]]).
fn map_get(v: &Value, key: &str) -> Option<String> {
    v[1].as_array()?
        .iter()
        .find(|kv| kv[0] == key)
        .and_then(|kv| kv[1].as_str().map(String::from))
}

/// A set column's members (OVSDB's atom or ["set", [...]]).
fn set_members(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) if a.len() == 2 && a[0] == "set" => a[1].as_array().unwrap().clone(),
        other => vec![other.clone()],
    }
}

/// How many records `ovsdb-tool show-log` lists in a database file.
fn records(file: &Path) -> u64 {
    let o = Command::new("ovsdb-tool")
        .arg("show-log")
        .arg(file)
        .output()
        .unwrap();
    assert!(o.status.success(), "ovsdb-tool show-log {}", file.display());
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .filter(|l| l.starts_with("record "))
        .count() as u64
}

#[test]
fn tiny_nb_and_the_sb_northd_computed_from_it() {
    let dir = tempfile::Builder::new()
        .prefix("ovn-ocf-gendb")
        .tempdir()
        .unwrap();
    let out = dir.path().join("tiny");
    let s = gendb(&out, &[("GENDB_FORCE", "1")]);
    let (nb, sb) = (out.join("ovnnb_db.db"), out.join("ovnsb_db.db"));

    // NB: what the parameters say (the external network's switch and localnet port too).
    let ls = rows(&nb, "OVN_Northbound", "Logical_Switch");
    let lsp = rows(&nb, "OVN_Northbound", "Logical_Switch_Port");
    let lr = rows(&nb, "OVN_Northbound", "Logical_Router");
    let lrp = rows(&nb, "OVN_Northbound", "Logical_Router_Port");
    let acl = rows(&nb, "OVN_Northbound", "ACL");
    let lb = rows(&nb, "OVN_Northbound", "Load_Balancer");
    let pg = rows(&nb, "OVN_Northbound", "Port_Group");
    let dhcp = rows(&nb, "OVN_Northbound", "DHCP_Options");
    assert_eq!(ls.len() as u64, SWITCHES + 1);
    // VM ports, a router interface per switch, a gateway per router, the localnet port.
    assert_eq!(lsp.len() as u64, VM_PORTS + SWITCHES + TENANTS + 1);
    assert_eq!(lr.len() as u64, TENANTS);
    assert_eq!(lrp.len() as u64, SWITCHES + TENANTS);
    assert_eq!(acl.len() as u64, TENANTS * (7 + 2));
    assert_eq!(lb.len() as u64, TENANTS * 2);
    assert_eq!(pg.len() as u64, TENANTS);
    assert_eq!(dhcp.len() as u64, SWITCHES);
    let vms: Vec<&Value> = lsp.iter().filter(|p| p["type"] == "").collect();
    assert_eq!(vms.len() as u64, VM_PORTS);
    for p in &vms {
        let a = p["addresses"].as_str().unwrap();
        assert!(a.starts_with("fa:16:3e:") && a.contains(" 10."), "{p}");
        assert_eq!(p["port_security"], p["addresses"], "{p}");
        assert!(
            map_get(&p["external_ids"], "neutron:security_group_ids").is_some(),
            "{p}"
        );
    }
    let pg_ports: usize = pg.iter().map(|g| set_members(&g["ports"]).len()).sum();
    assert_eq!(
        pg_ports as u64, VM_PORTS,
        "every VM port in its tenant's port group"
    );
    assert!(acl.iter().any(|a| a["action"] == "allow-related"
        && a["match"].as_str().unwrap().contains("tcp.dst == 22")));
    for (k, n) in [
        ("switches", SWITCHES + 1),
        ("routers", TENANTS),
        ("acls", TENANTS * 9),
        ("lbs", TENANTS * 2),
        ("ports", lsp.len() as u64),
    ] {
        assert_eq!(field(&s, k), n.to_string(), "{k} in the summary");
    }

    // SB: northd ran. A datapath per switch and router, named after them.
    let dp = rows(&sb, "OVN_Southbound", "Datapath_Binding");
    let dp_names: BTreeSet<String> = dp
        .iter()
        .filter_map(|d| map_get(&d["external_ids"], "name"))
        .collect();
    let nb_names: BTreeSet<String> = strings(&ls, "name")
        .union(&strings(&lr, "name"))
        .cloned()
        .collect();
    assert_eq!(
        dp_names, nb_names,
        "Datapath_Binding rows: a switch's or a router's each"
    );
    // A port binding per LSP and LRP, and a chassisredirect one per gateway port.
    let pb = strings(&rows(&sb, "OVN_Southbound", "Port_Binding"), "logical_port");
    let mut want = strings(&lsp, "name");
    want.extend(strings(&lrp, "name"));
    for p in lrp
        .iter()
        .filter(|p| !set_members(&p["gateway_chassis"]).is_empty())
    {
        want.insert(format!("cr-{}", p["name"].as_str().unwrap()));
    }
    assert_eq!(pb, want, "Port_Binding rows");
    let lflows = rows(&sb, "OVN_Southbound", "Logical_Flow").len() as u64;
    assert!(lflows > 10 * VM_PORTS, "only {lflows} logical flows");
    assert_eq!(field(&s, "lflows"), lflows.to_string());
    assert_eq!(
        rows(&sb, "OVN_Southbound", "Load_Balancer").len() as u64,
        TENANTS * 2
    );
    for (k, f) in [("nb_bytes", &nb), ("sb_bytes", &sb)] {
        assert_eq!(
            field(&s, k),
            std::fs::metadata(f).unwrap().len().to_string()
        );
    }
    assert_eq!(field(&s, "cached"), "0");

    // The cache: the same call reuses the files and says so.
    let before = std::fs::read(&sb).unwrap();
    let again = gendb(&out, &[]);
    assert_eq!(field(&again, "cached"), "1");
    assert_eq!(
        again
            .iter()
            .filter(|(k, _)| k != "cached")
            .collect::<Vec<_>>(),
        s.iter().filter(|(k, _)| k != "cached").collect::<Vec<_>>()
    );
    assert_eq!(
        std::fs::read(&sb).unwrap(),
        before,
        "the cached SB untouched"
    );

    // Deterministic: another generation, uncompacted this time, the same ports.
    let out2 = dir.path().join("tiny2");
    let s2 = gendb(&out2, &[("GENDB_COMPACT", "0")]);
    assert_eq!(field(&s2, "cached"), "0");
    assert_eq!(field(&s2, "lflows"), field(&s, "lflows"));
    let key = |rows: &[Value]| -> BTreeSet<String> {
        rows.iter()
            .map(|p| format!("{} {} {}", p["name"], p["addresses"], p["port_security"]))
            .collect()
    };
    assert_eq!(
        key(&rows(
            &out2.join("ovnnb_db.db"),
            "OVN_Northbound",
            "Logical_Switch_Port"
        )),
        key(&lsp)
    );
    // Compacted: the schema and one snapshot; not: every transaction (one per tenant).
    assert_eq!(records(&nb), 2);
    assert!(
        records(&out2.join("ovnnb_db.db")) > 2 + TENANTS,
        "GENDB_COMPACT=0 keeps the history"
    );
}

/// Runs `ocf-tests/bench/scaleplot.py TSV SVG`, checks the SVG with xmllint, returns it.
fn scaleplot(tsv: &Path, svg: &Path) -> String {
    scaleplot_failed(tsv, svg, None)
}

/// [`scaleplot`] with scale.sh's list of agents that did not recover at a size.
fn scaleplot_failed(tsv: &Path, svg: &Path, failed: Option<&Path>) -> String {
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../ocf-tests/bench/scaleplot.py"
    );
    let mut args: Vec<&std::ffi::OsStr> = vec![script.as_ref(), tsv.as_os_str(), svg.as_os_str()];
    args.extend(failed.map(Path::as_os_str));
    let o = Command::new("python3").args(args).output();
    let o = o.unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "scaleplot.py: {err}");
    let lint = Command::new("xmllint").arg("--noout").arg(svg).output();
    let lint = lint.unwrap();
    let err = String::from_utf8_lossy(&lint.stderr);
    assert!(lint.status.success(), "xmllint: {err}");
    std::fs::read_to_string(svg).unwrap()
}

/// The scale bench's plot (`ocf-tests/bench/scaleplot.py`): from scale.sh's raw data, an
/// SVG that xmllint accepts, one line per agent in each panel that has its figures (a dot
/// per size), nothing for an agent without data, a panel that says "no data" when a
/// column is empty, and the takeover goal (2× shape A's smallest) in the power-off panel.
#[test]
fn scaleplot_draws_a_line_per_agent_and_a_dot_per_size() {
    let dir = tempfile::tempdir().unwrap();
    let tsv = dir.path().join("scale.tsv");
    let svg = dir.path().join("plot.svg");
    let mut data = String::from("size\tsb_bytes\tagent\ttrigger\trun\tseconds\tnb_in_sb_s\n");
    let sizes = [
        ("tiny", 847_222u64),
        ("small", 25_331_167),
        ("large", 253_265_116),
    ];
    for (size, bytes) in sizes {
        for agent in ["ovn-ocf", "incumbent", "raft"] {
            for run in 1..=2 {
                for trigger in ["kill", "power"] {
                    // The NB-in-SB column only for power-offs: the kill panel's is empty.
                    let n2s = if trigger == "power" { "5.5" } else { "" };
                    let secs = bytes / 50_000_000 + 1;
                    let row = format!(
                        "{size}\t{bytes}\t{agent}\t{trigger}\t{run}\t{secs}.{run}\t{n2s}\n"
                    );
                    data.push_str(&row);
                }
            }
        }
    }
    std::fs::write(&tsv, &data).unwrap();
    let text = scaleplot(&tsv, &svg);
    // 3 panels (kill, power, power's NB in SB) × 3 agents, a dot per size in each.
    assert_eq!(text.matches("<polyline").count(), 9, "{text}");
    assert_eq!(text.matches("<circle").count(), 9 * 3, "{text}");
    assert_eq!(text.matches("no data").count(), 0, "{text}");
    assert!(text.contains("ovndb-servers.ocf") && text.contains("ovn-ocf, shape A"));
    assert!(text.contains("OVN RAFT, 3 nodes"), "{text}");
    // No legend for an agent without data.
    assert!(!text.contains("shape D"), "{text}");
    // The goal in the power-off panel alone: twice shape A's median at the smallest size
    // (1.1 and 1.2 s at 0.85 MB).
    assert_eq!(
        text.matches("goal: 2 × shape A at 0.8 MB = 2.30 s").count(),
        1,
        "{text}"
    );
    assert_eq!(text.matches("stroke-dasharray").count(), 1, "{text}");
    // An agent that did not recover at a size: a cross in each panel, and a legend line.
    let failed = dir.path().join("failed.tsv");
    std::fs::write(
        &failed,
        "size\tagent\twhy\nlarge\tovn-ocf-d\tdid not start\n",
    )
    .unwrap();
    let text = scaleplot_failed(&tsv, &svg, Some(&failed));
    assert_eq!(text.matches("<path").count(), 3 + 1, "{text}");
    assert!(
        text.contains("did not recover") && text.contains("shape D"),
        "{text}"
    );
    // Dropping every power-off leaves two panels without data.
    let kills: String = data
        .lines()
        .filter(|l| !l.contains("\tpower\t"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&tsv, kills).unwrap();
    let text = scaleplot(&tsv, &svg);
    assert_eq!(text.matches("no data").count(), 2, "{text}");
    assert_eq!(text.matches("<polyline").count(), 3, "{text}");
    assert!(!text.contains("goal:"), "{text}");
}

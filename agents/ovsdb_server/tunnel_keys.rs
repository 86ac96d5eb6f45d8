//! The Southbound's tunnel keys, kept beside its file (`.<db file>.tunnel-keys`) while it
//! serves, so that an SB recreated after a loss keeps ovn-northd's numbering.
//!
//! ovn-northd gives every datapath (Datapath_Binding) and every port (Port_Binding) a
//! tunnel key, and every ovn-controller's OpenFlow flows carry those numbers. A new SB
//! recomputed from NB is numbered from 1 again, in northd's own order: the same logical
//! network under other numbers, so every controller rewrites its flows, and a packet in
//! flight meanwhile can be dropped. northd keeps the key of a row it finds in the SB
//! (it joins datapaths to NB by `external_ids:logical-switch` / `logical-router`, ports
//! by `logical_port`), so the SB gate, before its northd runs, inserts the bindings the
//! lost SB had, with their keys, where NB still has their switches, routers and ports;
//! northd fills in the rest of each row.
//!
//! The chassis the ports were bound to go with them: each ovn-controller's Chassis row
//! (with its Encap rows) and each port's `chassis` and `up`. A lost SB has no Chassis rows
//! until the controllers reconnect and register again, and then every controller claims
//! its ports again, which reinstalls their flows (a ping was lost in one such re-claim in
//! the cloud scenarios). northd leaves `chassis` and `up` to the controllers, so a port
//! put back bound stays bound, and its controller finds nothing to claim.
//!
//! Datapath_Binding and Chassis rows get their own UUIDs back: a conditionally monitoring
//! ovn-controller asks for logical flows and port bindings by them, and with new UUIDs it
//! has only part of its flows for a moment, and removes and re-adds the rest (measured in
//! the cloud lab: 20-38 of ~280 flows at each takeover; none with the UUIDs kept).
//!
//! Saved by a recurring monitor of a serving SB at most every 15 s (less often on a big
//! SB, see `memo.rs`) and by its stop
//! (`memo.rs`: one select of a few columns of four tables over the local socket; the file
//! is rewritten only when the keys changed). A port created since the last save gets a
//! new key, as it would anyway. Saved only while the SB gate is on (`sb_gate`), the one
//! that uses it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use ovn_ocf::fsutil;
use ovn_ocf::jsonrpc::Endpoint;
use ovn_ocf::ocf::{Deadline, Failure};
use ovn_ocf::ovn::Db;
use ovn_ocf::ovsdb::{Datum, Op, Ovsdb, Row};
use serde::{Deserialize, Serialize};

use super::Server;

/// The datapath kinds northd binds, as `Datapath_Binding.external_ids` keys them.
const KINDS: [(&str, &str); 2] = [
    ("logical-switch", "Logical_Switch"),
    ("logical-router", "Logical_Router"),
];

/// `.<db file>.tunnel-keys`, beside the database.
pub fn keys_file(db_file: &Path) -> PathBuf {
    fsutil::beside(db_file, "tunnel-keys")
}

/// What the file holds: every datapath and port binding's key, by what northd joins on;
/// and the chassis the ports are bound to, so that a rebuilt SB has every port still
/// bound where it was and no ovn-controller claims (and reinstalls) its ports again.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Keys {
    pub datapaths: Vec<DatapathKey>,
    pub ports: Vec<PortKey>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub chassis: Vec<ChassisRow>,
}

/// An ovn-controller's Chassis row (it writes its own; a lost SB has none until every
/// controller reconnects and registers again), with its tunnel endpoints.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ChassisRow {
    pub name: String,
    /// The row's own UUID, which it gets back (ovn-controller asks for the ports bound to
    /// its chassis by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(default)]
    pub hostname: String,
    #[serde(default)]
    pub encaps: Vec<EncapRow>,
    #[serde(default)]
    pub external_ids: BTreeMap<String, String>,
    #[serde(default)]
    pub other_config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EncapRow {
    #[serde(rename = "type")]
    pub kind: String,
    pub ip: String,
    #[serde(default)]
    pub options: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DatapathKey {
    /// `logical-switch` or `logical-router`.
    pub kind: String,
    /// The NB row's UUID.
    pub nb: String,
    /// Its name (a rebuilt NB has the same names under new UUIDs).
    #[serde(default)]
    pub name: Option<String>,
    pub key: i64,
    /// The Datapath_Binding row's own UUID, which it gets back: ovn-controllers ask for
    /// the logical flows of their datapaths by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sb: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PortKey {
    pub port: String,
    /// Its datapath's NB row UUID (`DatapathKey::nb`).
    pub datapath: String,
    pub key: i64,
    /// The chassis it is bound to (`ChassisRow::name`), and whether it was up there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chassis: Option<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub up: bool,
}

/// The SB's rows the keys need (the columns they need), read in one transaction.
#[derive(Default)]
struct SbRows {
    bindings: Vec<Row>,
    ports: Vec<Row>,
    chassis: Vec<Row>,
    encaps: Vec<Row>,
}

fn select_bindings(sb: &mut Ovsdb, deadline: Deadline) -> Result<SbRows, Failure> {
    let mut r = sb
        .transact(
            Db::Sb.schema_name(),
            &[
                Op::select("Datapath_Binding", &["_uuid", "tunnel_key", "external_ids"]),
                Op::select(
                    "Port_Binding",
                    &["logical_port", "datapath", "tunnel_key", "chassis", "up"],
                ),
                Op::select(
                    "Chassis",
                    &["_uuid", "name", "hostname", "external_ids", "other_config"],
                ),
                Op::select("Encap", &["type", "ip", "options", "chassis_name"]),
            ],
            deadline,
        )?
        .into_iter()
        .map(|r| r.rows);
    let mut next = || r.next().unwrap_or_default();
    Ok(SbRows {
        bindings: next(),
        ports: next(),
        chassis: next(),
        encaps: next(),
    })
}

/// Reads the keys (and the chassis the ports are bound to) out of a serving SB.
pub fn read_keys(sb: &mut Ovsdb, deadline: Deadline) -> Result<Keys, Failure> {
    let SbRows {
        bindings,
        ports,
        chassis,
        encaps,
    } = select_bindings(sb, deadline)?;
    let mut keys = Keys::default();
    // Each chassis' encaps, by its name (one pass: a lookup per chassis in the whole
    // table was quadratic, 40 s for 31,000 chassis).
    let mut encaps_of: BTreeMap<&str, Vec<EncapRow>> = BTreeMap::new();
    for e in &encaps {
        let (Some(name), Some(kind), Some(ip)) =
            (e.string("chassis_name"), e.string("type"), e.string("ip"))
        else {
            continue;
        };
        encaps_of.entry(name).or_default().push(EncapRow {
            kind: kind.to_string(),
            ip: ip.to_string(),
            options: e.string_map("options"),
        });
    }
    let mut chassis_of = BTreeMap::new();
    for c in &chassis {
        let (Some(row), Some(name)) = (c.uuid(), c.string("name")) else {
            continue;
        };
        chassis_of.insert(row.to_string(), name.to_string());
        let mut encaps = encaps_of.remove(name).unwrap_or_default();
        encaps.sort();
        keys.chassis.push(ChassisRow {
            name: name.to_string(),
            uuid: Some(row.to_string()),
            hostname: c.string("hostname").unwrap_or_default().to_string(),
            encaps,
            external_ids: c.string_map("external_ids"),
            other_config: c.string_map("other_config"),
        });
    }
    let mut nb_of = BTreeMap::new();
    for b in &bindings {
        let ext = b.string_map("external_ids");
        let (Some(row), Some(key)) = (b.uuid(), b.int("tunnel_key")) else {
            continue;
        };
        let Some((kind, nb)) = KINDS
            .iter()
            .find_map(|(k, _)| ext.get(*k).map(|nb| (*k, nb.clone())))
        else {
            continue;
        };
        nb_of.insert(row.to_string(), nb.clone());
        keys.datapaths.push(DatapathKey {
            kind: kind.to_string(),
            nb,
            name: ext.get("name").cloned(),
            key,
            sb: Some(row.to_string()),
        });
    }
    for p in &ports {
        let (Some(port), Some(dp), Some(key)) = (
            p.string("logical_port"),
            p.uuid_ref("datapath"),
            p.int("tunnel_key"),
        ) else {
            continue;
        };
        if let Some(nb) = nb_of.get(dp) {
            keys.ports.push(PortKey {
                port: port.to_string(),
                datapath: nb.clone(),
                key,
                chassis: p
                    .uuid_ref("chassis")
                    .and_then(|c| chassis_of.get(c).cloned()),
                up: p.bool("up") == Some(true),
            });
        }
    }
    keys.datapaths.sort();
    keys.ports.sort();
    keys.chassis.sort();
    Ok(keys)
}

/// NB's logical switches and routers: their UUIDs, and the UUIDs by (kind, name).
pub(super) struct NbDatapaths {
    pub uuids: BTreeSet<String>,
    pub by_name: BTreeMap<(&'static str, String), Vec<String>>,
}

impl NbDatapaths {
    pub fn read(nb: &mut Ovsdb, deadline: Deadline) -> Result<NbDatapaths, Failure> {
        let mut d = NbDatapaths {
            uuids: BTreeSet::new(),
            by_name: BTreeMap::new(),
        };
        for (kind, table) in KINDS {
            let rows = nb.select(
                Db::Nb.schema_name(),
                Op::select(table, &["_uuid", "name"]),
                deadline,
            )?;
            for row in rows {
                let Some(u) = row.uuid() else { continue };
                d.uuids.insert(u.to_string());
                if let Some(n) = row.string("name") {
                    d.by_name
                        .entry((kind, n.to_string()))
                        .or_default()
                        .push(u.to_string());
                }
            }
        }
        Ok(d)
    }

    /// The NB row a binding of `kind` named `name` that pointed at `nb` belongs to now:
    /// the same row, or else the only one of that kind with that name.
    pub fn resolve(&self, kind: &str, nb: &str, name: Option<&str>) -> Option<String> {
        if self.uuids.contains(nb) {
            return Some(nb.to_string());
        }
        let kind = KINDS.iter().map(|(k, _)| *k).find(|k| *k == kind)?;
        match self
            .by_name
            .get(&(kind, name?.to_string()))
            .map(Vec::as_slice)
        {
            Some([only]) => Some(only.clone()),
            _ => None,
        }
    }
}

/// A datapath a seeded port goes into: one the SB has, or one inserted before it.
#[derive(Clone)]
enum Target {
    Row(String),
    Named(String),
}

/// `op` (an insert) gives its row the UUID it had, if it had one that is not in use.
fn keep_uuid(op: Op, uuid: Option<&str>, in_use: &mut BTreeSet<String>) -> Op {
    match uuid {
        Some(u) if in_use.insert(u.to_string()) => op.with_uuid(u),
        _ => op,
    }
}

/// What [`seed_ops`] puts back.
#[derive(Debug, Default, PartialEq, Eq)]
struct Seeded {
    datapaths: usize,
    ports: usize,
    chassis: usize,
}

/// The operations that put the kept bindings the SB lacks back, with their keys, where
/// NB still has their switches, routers and ports' datapaths, and the kept chassis it
/// lacks (with their encaps), each port bound to its chassis as it was; and how many.
fn seed_ops(kept: &Keys, nb: &NbDatapaths, sb: &SbRows) -> (Vec<Op>, Seeded) {
    let (sb_bindings, sb_ports) = (&sb.bindings, &sb.ports);
    let mut ops = Vec::new();
    let mut seeded = Seeded::default();
    // Row UUIDs the SB has already (of the rows read): a kept one is given back only
    // when it is free.
    let mut uuids_in_use: BTreeSet<String> = sb_bindings
        .iter()
        .chain(&sb.chassis)
        .filter_map(|r| r.uuid().map(String::from))
        .collect();
    // Chassis by name: those the SB has, then those inserted here (with their encaps,
    // unless the SB has an encap of that type and address already: the index).
    let mut chassis: BTreeMap<&str, Datum> = BTreeMap::new();
    for c in &sb.chassis {
        if let (Some(row), Some(name)) = (c.uuid(), c.string("name")) {
            chassis.insert(name, Datum::uuid(row));
        }
    }
    let mut encaps_in_use: BTreeSet<(&str, &str)> = sb
        .encaps
        .iter()
        .filter_map(|e| Some((e.string("type")?, e.string("ip")?)))
        .collect();
    for (i, c) in kept.chassis.iter().enumerate() {
        if chassis.contains_key(c.name.as_str()) {
            continue;
        }
        let mut names = Vec::new();
        for (j, e) in c.encaps.iter().enumerate() {
            if !encaps_in_use.insert((&e.kind, &e.ip)) {
                continue;
            }
            let n = format!("enc{i}_{j}");
            ops.push(
                Op::insert(
                    "Encap",
                    &[
                        ("type", Datum::string(&e.kind)),
                        ("ip", Datum::string(&e.ip)),
                        ("options", Datum::string_map(&e.options)),
                        ("chassis_name", Datum::string(&c.name)),
                    ],
                )
                .named(&n),
            );
            names.push(n);
        }
        let n = format!("ch{i}");
        let op = Op::insert(
            "Chassis",
            &[
                ("name", Datum::string(&c.name)),
                ("hostname", Datum::string(&c.hostname)),
                ("encaps", Datum::set_of_names(&names)),
                ("external_ids", Datum::string_map(&c.external_ids)),
                ("other_config", Datum::string_map(&c.other_config)),
            ],
        )
        .named(&n);
        ops.push(keep_uuid(op, c.uuid.as_deref(), &mut uuids_in_use));
        chassis.insert(&c.name, Datum::named_uuid(&n));
        seeded.chassis += 1;
    }
    // What the SB has: datapaths by NB row (then also those inserted here), keys in
    // use, ports by name.
    let mut have_dp: BTreeMap<String, Target> = BTreeMap::new();
    let mut used_dp_keys = BTreeSet::new();
    for b in sb_bindings {
        let ext = b.string_map("external_ids");
        if let Some(k) = b.int("tunnel_key") {
            used_dp_keys.insert(k);
        }
        if let (Some(row), Some(nb)) = (b.uuid(), KINDS.iter().find_map(|(k, _)| ext.get(*k))) {
            have_dp.insert(nb.clone(), Target::Row(row.to_string()));
        }
    }
    let mut have_port = BTreeSet::new();
    let mut used_port_keys = BTreeSet::new();
    for p in sb_ports {
        if let Some(n) = p.string("logical_port") {
            have_port.insert(n.to_string());
        }
        if let (Some(dp), Some(k)) = (p.uuid_ref("datapath"), p.int("tunnel_key")) {
            used_port_keys.insert((dp.to_string(), k));
        }
    }
    // The kept datapath's NB UUID → where its ports go.
    let mut target: BTreeMap<&str, Target> = BTreeMap::new();
    for (i, d) in kept.datapaths.iter().enumerate() {
        let Some(now) = nb.resolve(&d.kind, &d.nb, d.name.as_deref()) else {
            continue;
        };
        if let Some(t) = have_dp.get(&now) {
            target.insert(&d.nb, t.clone());
            continue;
        }
        if !used_dp_keys.insert(d.key) {
            continue;
        }
        let mut ext = BTreeMap::new();
        ext.insert(d.kind.clone(), now.clone());
        if let Some(n) = &d.name {
            ext.insert("name".to_string(), n.clone());
        }
        let name = format!("dp{i}");
        let op = Op::insert(
            "Datapath_Binding",
            &[
                ("tunnel_key", Datum::int(d.key)),
                ("external_ids", Datum::string_map(&ext)),
            ],
        )
        .named(&name);
        ops.push(keep_uuid(op, d.sb.as_deref(), &mut uuids_in_use));
        have_dp.insert(now, Target::Named(name.clone()));
        target.insert(&d.nb, Target::Named(name));
        seeded.datapaths += 1;
    }
    let mut seeded_port_keys = BTreeSet::new();
    for p in &kept.ports {
        let Some(t) = target.get(p.datapath.as_str()) else {
            continue;
        };
        if have_port.contains(&p.port) {
            continue;
        }
        let (dp, id) = match t {
            Target::Row(row) => (Datum::uuid(row), row.clone()),
            Target::Named(n) => (Datum::named_uuid(n), format!("named:{n}")),
        };
        if used_port_keys.contains(&(id.clone(), p.key)) || !seeded_port_keys.insert((id, p.key)) {
            continue;
        }
        have_port.insert(p.port.clone());
        let mut row = vec![
            ("logical_port", Datum::string(&p.port)),
            ("datapath", dp),
            ("tunnel_key", Datum::int(p.key)),
        ];
        if let Some(c) = p.chassis.as_deref().and_then(|c| chassis.get(c)) {
            row.push(("chassis", c.clone()));
            if p.up {
                row.push(("up", Datum::bool(true)));
            }
        }
        ops.push(Op::insert("Port_Binding", &row));
        seeded.ports += 1;
    }
    (ops, seeded)
}

impl Server<'_> {
    pub(super) fn keeps_tunnel_keys(&self) -> bool {
        self.cfg.db == Db::Sb && self.cfg.sb_gate
    }

    /// Writes the SB's keys beside its file when they changed; whether it wrote.
    pub(super) fn save_tunnel_keys(&self, deadline: Deadline) -> Result<bool, Failure> {
        let mut sb = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), deadline)?;
        let keys = read_keys(&mut sb, deadline)?;
        let file = keys_file(&self.cfg.db_file);
        let json = serde_json::to_vec(&keys).expect("keys serialize");
        if std::fs::read(&file).is_ok_and(|b| b == json) {
            return Ok(false);
        }
        // The cluster's copy first: a failure leaves the file as it was, to try again.
        self.share_tunnel_keys(&json)?;
        fsutil::write_atomic(&file, &json, 0o644)
            .map_err(|e| Failure::local_io(format!("cannot write {}: {e}", file.display()), &e))?;
        log::info!(
            "kept the SB's tunnel keys ({} datapaths, {} ports) in {}",
            keys.datapaths.len(),
            keys.ports.len(),
            file.display()
        );
        Ok(true)
    }

    /// In the SB gate of an SB that lost records, before its northd runs: the kept
    /// bindings it lacks put back with their keys. Not fatal when it cannot (northd then
    /// numbers them anew).
    pub(super) fn seed_tunnel_keys(&self) -> Result<(), Failure> {
        let file = keys_file(&self.cfg.db_file);
        let kept: Keys = match std::fs::read(&file) {
            Ok(b) => serde_json::from_slice(&b)
                .map_err(|e| Failure::generic(format!("{} is unreadable: {e}", file.display())))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                log::info!(
                    "SB gate: no tunnel keys kept ({} is missing): ovn-northd numbers the datapaths and ports anew",
                    file.display()
                );
                return Ok(());
            }
            Err(e) => {
                return Err(Failure::local_io(
                    format!("cannot read {}: {e}", file.display()),
                    &e,
                ));
            }
        };
        let dl = self.cx.deadline;
        let nb = NbDatapaths::read(&mut Ovsdb::connect(&self.cfg.gate_nb, dl)?, dl)?;
        let mut sb = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl)?;
        let rows = select_bindings(&mut sb, dl)?;
        let (ops, seeded) = seed_ops(&kept, &nb, &rows);
        if !ops.is_empty() {
            sb.transact(Db::Sb.schema_name(), &ops, dl)?;
        }
        log::info!(
            "SB gate: {} of {} datapaths and {} of {} ports put back with the tunnel keys kept in {}, {} of {} chassis with them",
            seeded.datapaths,
            kept.datapaths.len(),
            seeded.ports,
            kept.ports.len(),
            file.display(),
            seeded.chassis,
            kept.chassis.len(),
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: serde_json::Value) -> Row {
        serde_json::from_value(v).unwrap()
    }

    fn kept() -> Keys {
        Keys {
            datapaths: vec![
                DatapathKey {
                    kind: "logical-switch".into(),
                    nb: "old-1".into(),
                    name: Some("net-1".into()),
                    key: 7,
                    sb: Some("sb-old-1".into()),
                },
                DatapathKey {
                    kind: "logical-router".into(),
                    nb: "r-1".into(),
                    name: Some("router".into()),
                    key: 3,
                    sb: None,
                },
                DatapathKey {
                    kind: "logical-switch".into(),
                    nb: "gone".into(),
                    name: Some("net-9".into()),
                    key: 9,
                    sb: None,
                },
            ],
            ports: vec![
                PortKey {
                    port: "p1".into(),
                    datapath: "old-1".into(),
                    key: 2,
                    chassis: Some("compute1".into()),
                    up: true,
                },
                PortKey {
                    port: "p9".into(),
                    datapath: "gone".into(),
                    key: 1,
                    chassis: None,
                    up: false,
                },
                PortKey {
                    port: "lrp".into(),
                    datapath: "r-1".into(),
                    key: 1,
                    chassis: None,
                    up: false,
                },
            ],
            chassis: vec![ChassisRow {
                name: "compute1".into(),
                uuid: Some("sb-ch-1".into()),
                hostname: "cmp1".into(),
                encaps: vec![EncapRow {
                    kind: "geneve".into(),
                    ip: "192.0.2.7".into(),
                    options: [("csum".to_string(), "true".to_string())].into(),
                }],
                external_ids: BTreeMap::new(),
                other_config: [("datapath-type".to_string(), "system".to_string())].into(),
            }],
        }
    }

    fn nb() -> NbDatapaths {
        let mut by_name = BTreeMap::new();
        by_name.insert(
            ("logical-switch", "net-1".to_string()),
            vec!["new-1".into()],
        );
        by_name.insert(("logical-router", "router".to_string()), vec!["r-1".into()]);
        NbDatapaths {
            uuids: ["new-1".to_string(), "r-1".to_string()].into(),
            by_name,
        }
    }

    #[test]
    fn an_empty_sb_gets_what_nb_still_has() {
        let (ops, seeded) = seed_ops(&kept(), &nb(), &SbRows::default());
        assert_eq!(
            seeded,
            Seeded {
                datapaths: 2,
                ports: 2,
                chassis: 1
            }
        );
        let text = serde_json::to_string(&ops).unwrap();
        // net-1 found by name under its new UUID, key kept; net-9 is gone from NB.
        assert!(text.contains(r#"["logical-switch","new-1"]"#), "{text}");
        assert!(text.contains(r#""tunnel_key":7"#), "{text}");
        assert!(!text.contains("net-9") && !text.contains("p9"), "{text}");
        // compute1 with its encap, p1 bound to it and up, lrp bound nowhere.
        assert!(
            text.contains(r#""encaps":["set",[["named-uuid","enc0_0"]]]"#),
            "{text}"
        );
        // Rows that had a UUID get it back: net-1's binding, compute1.
        assert!(text.contains(r#""uuid":"sb-old-1""#), "{text}");
        assert!(text.contains(r#""uuid":"sb-ch-1""#), "{text}");
        assert!(
            text.contains(r#""chassis":["named-uuid","ch0"],"datapath":["named-uuid","dp0"],"logical_port":"p1","tunnel_key":2,"up":true"#),
            "{text}"
        );
        assert!(
            text.contains(
                r#"{"datapath":["named-uuid","dp1"],"logical_port":"lrp","tunnel_key":1}"#
            ),
            "{text}"
        );
    }

    #[test]
    fn two_kept_datapaths_of_one_nb_row_make_one_binding() {
        let mut k = kept();
        // A stale duplicate of net-1 (same name, another old UUID, another key).
        k.datapaths.push(DatapathKey {
            kind: "logical-switch".into(),
            nb: "old-2".into(),
            name: Some("net-1".into()),
            key: 8,
            sb: None,
        });
        k.ports.push(PortKey {
            port: "p-dup".into(),
            datapath: "old-2".into(),
            key: 5,
            chassis: None,
            up: false,
        });
        let (ops, seeded) = seed_ops(&k, &nb(), &SbRows::default());
        assert_eq!((seeded.datapaths, seeded.ports), (2, 3));
        let text = serde_json::to_string(&ops).unwrap();
        assert!(!text.contains(r#""tunnel_key":8"#), "{text}");
        // Its port goes into the one binding inserted for net-1.
        assert_eq!(text.matches(r#"["named-uuid","dp0"]"#).count(), 2, "{text}");
    }

    #[test]
    fn what_the_sb_has_is_left_alone() {
        let bindings = [row(serde_json::json!({
            "_uuid": ["uuid", "sb-r"], "tunnel_key": 7,
            "external_ids": ["map", [["logical-router", "r-1"]]]
        }))];
        let ports = [row(serde_json::json!({
            "logical_port": "other", "datapath": ["uuid", "sb-r"], "tunnel_key": 1
        }))];
        let chassis = [row(serde_json::json!({
            "_uuid": ["uuid", "sb-c"], "name": "compute1"
        }))];
        let sb = SbRows {
            bindings: bindings.to_vec(),
            ports: ports.to_vec(),
            chassis: chassis.to_vec(),
            encaps: vec![],
        };
        let (ops, seeded) = seed_ops(&kept(), &nb(), &sb);
        // The router is there (its ports go into its row); net-1's key 7 is taken now;
        // compute1 registered again already.
        assert_eq!(
            seeded,
            Seeded::default(),
            "{:?}",
            serde_json::to_string(&ops)
        );
        assert!(ops.is_empty());
    }
}

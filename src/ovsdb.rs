//! Talking to a running ovsdb-server: its unixctl control socket (the `ovs-appctl`
//! protocol) and the OVSDB protocol (RFC 7047) on its local socket. Parses the answers we
//! rely on (`sync-status`, `list-remotes`, `transact` results) in one place each, and
//! builds the operations callers need as typed values ([`Op`], [`Row`], [`Connection`]):
//! no caller writes JSON or indexes into a reply.
//!
//! Owns no process management and never writes to the database except through an
//! explicit transaction a caller asks for.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::jsonrpc::{Client, Endpoint, Error, Pending};
use crate::ocf::Deadline;

/// A connection to a daemon's unixctl socket.
pub struct Unixctl {
    client: Client,
}

impl Unixctl {
    pub fn connect(ctl: &Path, deadline: Deadline) -> Result<Unixctl, Error> {
        Ok(Unixctl {
            client: Client::connect(&Endpoint::Unix(ctl.to_path_buf()), deadline)?,
        })
    }

    /// Runs one command; its reply text (unixctl results are strings).
    pub fn command(
        &mut self,
        cmd: &str,
        args: &[&str],
        deadline: Deadline,
    ) -> Result<String, Error> {
        self.client.call(cmd, json!(args), deadline).map(text)
    }

    /// Runs several argument-less commands in one round trip.
    pub fn commands(
        &mut self,
        cmds: &[&str],
        deadline: Deadline,
    ) -> Result<Vec<Result<String, Error>>, Error> {
        let mut pending = self.send_commands(cmds, deadline)?;
        self.wait_commands(&mut pending, deadline)
    }

    /// [`Unixctl::commands`] in two halves, for a caller that waits in steps: sends them.
    pub fn send_commands(&mut self, cmds: &[&str], deadline: Deadline) -> Result<Pending, Error> {
        let reqs: Vec<(&str, Value)> = cmds.iter().map(|c| (*c, json!([]))).collect();
        self.client.send_many(&reqs, deadline)
    }

    /// Their answers; on a timeout, may be called again with a later deadline.
    pub fn wait_commands(
        &mut self,
        pending: &mut Pending,
        deadline: Deadline,
    ) -> Result<Vec<Result<String, Error>>, Error> {
        Ok(self
            .client
            .wait_many(pending, deadline)?
            .into_iter()
            .map(|r| r.map(text))
            .collect())
    }
}

fn text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `key: value` lines, as `ovsdb-server/sync-status` and ovn-northd `status` print them.
/// Order does not matter (3.1 and newer differ); unknown keys are kept.
pub fn parse_key_values(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

/// The replication state from `ovsdb-server/sync-status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncState {
    Active,
    Backup,
    Other(String),
    Unknown,
}

pub fn parse_sync_status(text: &str) -> SyncState {
    match parse_key_values(text).get("state").map(String::as_str) {
        Some("active") => SyncState::Active,
        Some("backup") => SyncState::Backup,
        Some(other) => SyncState::Other(other.to_string()),
        None => SyncState::Unknown,
    }
}

/// The databases a backup's `sync-status` says it replicates (`database: A, B`, printed
/// once it replicates), in its order; none before.
pub fn sync_databases(text: &str) -> Vec<String> {
    parse_key_values(text)
        .get("database")
        .map(|v| {
            v.split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a backup's `sync-status` says it replicates database `name` (a backup drops a
/// database whose schema the active server changed beyond what it can hold, and goes on
/// replicating the others).
pub fn sync_replicates(text: &str, name: &str) -> bool {
    parse_key_values(text).contains_key("replicating")
        && sync_databases(text).iter().any(|d| d == name)
}

/// `ovsdb-server/list-remotes` prints one remote per line.
pub fn parse_remotes(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
}

/// One operation of a transaction, built by its constructors (RFC 7047 section 5.2).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(transparent)]
pub struct Op(Value);

/// A value of a row's column, as the protocol spells it (`["uuid", ...]`, `["set", ...]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Datum(Value);

impl Datum {
    pub fn int(i: i64) -> Datum {
        Datum(json!(i))
    }
    pub fn string(s: &str) -> Datum {
        Datum(json!(s))
    }
    /// A set holding the row inserted earlier in the same transaction as `name`.
    pub fn set_of_named(name: &str) -> Datum {
        Datum(json!(["set", [["named-uuid", name]]]))
    }
    /// A set holding the rows inserted earlier in the same transaction as `names`.
    pub fn set_of_names(names: &[String]) -> Datum {
        let refs: Vec<Value> = names.iter().map(|n| json!(["named-uuid", n])).collect();
        Datum(json!(["set", refs]))
    }
    pub fn bool(b: bool) -> Datum {
        Datum(json!(b))
    }
    /// A reference to an existing row.
    pub fn uuid(u: &str) -> Datum {
        Datum(json!(["uuid", u]))
    }
    /// A reference to the row inserted earlier in the same transaction as `name`.
    pub fn named_uuid(name: &str) -> Datum {
        Datum(json!(["named-uuid", name]))
    }
    /// A string-to-string map (`external_ids`, `options`).
    pub fn string_map(m: &BTreeMap<String, String>) -> Datum {
        let pairs: Vec<Value> = m.iter().map(|(k, v)| json!([k, v])).collect();
        Datum(json!(["map", pairs]))
    }
}

impl Op {
    /// `select` of `columns` (all rows, or those `where_uuid` picks).
    pub fn select(table: &str, columns: &[&str]) -> Op {
        Op(json!({"op": "select", "table": table, "where": [], "columns": columns}))
    }
    /// `insert` of a row with the given columns.
    pub fn insert(table: &str, row: &[(&str, Datum)]) -> Op {
        Op(json!({"op": "insert", "table": table, "row": Self::row(row)}))
    }
    /// `update` of the given columns.
    pub fn update(table: &str, row: &[(&str, Datum)]) -> Op {
        Op(json!({"op": "update", "table": table, "where": [], "row": Self::row(row)}))
    }
    /// `mutate`: `column += by`.
    pub fn add(table: &str, column: &str, by: i64) -> Op {
        Op(json!({"op": "mutate", "table": table, "where": [], "mutations": [[column, "+=", by]]}))
    }
    /// `mutate`: insert `what` into the set `column`.
    pub fn set_insert(table: &str, column: &str, what: Datum) -> Op {
        Op(json!({"op": "mutate", "table": table, "where": [],
                  "mutations": [[column, "insert", what.0]]}))
    }
    /// `mutate`: the map `column` maps `key` to `value` afterwards (an old value of `key`
    /// is deleted first, in the same operation).
    pub fn map_put(table: &str, column: &str, key: &str, value: &str) -> Op {
        Op(json!({"op": "mutate", "table": table, "where": [],
                  "mutations": [[column, "delete", ["set", [key]]],
                                [column, "insert", ["map", [[key, value]]]]]}))
    }
    /// Restricts the operation to the row with this `_uuid`.
    pub fn where_uuid(mut self, uuid: &str) -> Op {
        self.0["where"] = json!([["_uuid", "==", ["uuid", uuid]]]);
        self
    }
    /// The UUID the row an `insert` creates gets (ovsdb-server 3.1 takes one; without
    /// it the server picks a new one).
    pub fn with_uuid(mut self, uuid: &str) -> Op {
        self.0["uuid"] = json!(uuid);
        self
    }
    /// Names the row an `insert` creates, for later operations of the transaction.
    pub fn named(mut self, name: &str) -> Op {
        self.0["uuid-name"] = json!(name);
        self
    }
    fn row(cols: &[(&str, Datum)]) -> Value {
        Value::Object(
            cols.iter()
                .map(|(k, v)| (k.to_string(), v.0.clone()))
                .collect(),
        )
    }
}

/// One row of a `select` result.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(transparent)]
pub struct Row(serde_json::Map<String, Value>);

impl Row {
    /// An integer column; `None` also for an empty optional one (`["set", []]`).
    pub fn int(&self, column: &str) -> Option<i64> {
        self.0.get(column)?.as_i64()
    }
    pub fn string(&self, column: &str) -> Option<&str> {
        self.0.get(column)?.as_str()
    }
    /// A boolean column; `None` also for an empty optional one (`["set", []]`).
    pub fn bool(&self, column: &str) -> Option<bool> {
        self.0.get(column)?.as_bool()
    }
    /// A string-to-string map column (`["map", [[k, v], ...]]`); empty when absent.
    pub fn string_map(&self, column: &str) -> BTreeMap<String, String> {
        let pairs = match self
            .0
            .get(column)
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            Some([tag, Value::Array(pairs)]) if tag == "map" => pairs.as_slice(),
            _ => &[],
        };
        pairs
            .iter()
            .filter_map(|p| match p.as_array()?.as_slice() {
                [Value::String(k), Value::String(v)] => Some((k.clone(), v.clone())),
                _ => None,
            })
            .collect()
    }
    /// `_uuid`, as the protocol's `["uuid", "..."]`.
    pub fn uuid(&self) -> Option<&str> {
        self.uuid_ref("_uuid")
    }
    /// A column holding one row reference (`["uuid", "..."]`), as `Port_Binding.datapath`.
    pub fn uuid_ref(&self, column: &str) -> Option<&str> {
        match self.0.get(column)?.as_array()?.as_slice() {
            [tag, Value::String(u)] if tag == "uuid" => Some(u),
            _ => None,
        }
    }
}

/// The result of one operation: the rows of a `select`, empty for the others.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct OpResult {
    pub rows: Vec<Row>,
}

impl OpResult {
    fn parse(v: &Value) -> OpResult {
        let rows = v
            .get("rows")
            .and_then(Value::as_array)
            .map(|rows| {
                rows.iter()
                    .filter_map(|r| r.as_object().cloned().map(Row))
                    .collect()
            })
            .unwrap_or_default();
        OpResult { rows }
    }
    pub fn first(&self) -> Option<&Row> {
        self.rows.first()
    }
}

/// A row of a database's `Connection` table (both OVN databases have it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub uuid: Option<String>,
    pub target: String,
    pub inactivity_probe: Option<i64>,
}

/// A connection to the OVSDB protocol endpoint.
pub struct Ovsdb {
    client: Client,
}

impl Ovsdb {
    pub fn connect(ep: &Endpoint, deadline: Deadline) -> Result<Ovsdb, Error> {
        Ok(Ovsdb {
            client: Client::connect(ep, deadline)?,
        })
    }

    /// Runs a transaction on `db` (a schema name); an operation's `error` becomes
    /// [`Error::Remote`]. One result per operation.
    pub fn transact(
        &mut self,
        db: &str,
        ops: &[Op],
        deadline: Deadline,
    ) -> Result<Vec<OpResult>, Error> {
        let mut params = vec![json!(db)];
        params.extend(ops.iter().map(|o| o.0.clone()));
        let v = self
            .client
            .call("transact", Value::Array(params), deadline)?;
        let results = v.as_array().cloned().unwrap_or_default();
        if let Some(err) = transact_error(&results) {
            return Err(Error::Remote {
                endpoint: self.client.endpoint().to_string(),
                method: "transact".into(),
                error: err,
            });
        }
        Ok(results.iter().map(OpResult::parse).collect())
    }

    /// The server's UUID (`get_server_id`: what replication compares to refuse itself).
    pub fn server_id(&mut self, deadline: Deadline) -> Result<String, Error> {
        let v = self.client.call("get_server_id", json!([]), deadline)?;
        Ok(text(v))
    }

    /// The databases the server serves (`list_dbs`).
    pub fn list_dbs(&mut self, deadline: Deadline) -> Result<Vec<String>, Error> {
        let v = self.client.call("list_dbs", json!([]), deadline)?;
        Ok(v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The schema of `db` as the server holds it (`get_schema`).
    pub fn schema(&mut self, db: &str, deadline: Deadline) -> Result<Value, Error> {
        self.client.call("get_schema", json!([db]), deadline)
    }

    /// One `select`; its rows.
    pub fn select(&mut self, db: &str, op: Op, deadline: Deadline) -> Result<Vec<Row>, Error> {
        let mut r = self.transact(db, &[op], deadline)?;
        Ok(r.pop().unwrap_or_default().rows)
    }

    /// The rows of `db`'s Connection table.
    pub fn connections(&mut self, db: &str, deadline: Deadline) -> Result<Vec<Connection>, Error> {
        let op = Op::select("Connection", &["_uuid", "target", "inactivity_probe"]);
        Ok(self
            .select(db, op, deadline)?
            .iter()
            .filter_map(|r| {
                Some(Connection {
                    target: r.string("target")?.to_string(),
                    uuid: r.uuid().map(str::to_string),
                    inactivity_probe: r.int("inactivity_probe"),
                })
            })
            .collect())
    }

    /// Makes sure a Connection row for `target` with this inactivity probe exists and is
    /// linked from `global`'s `connections` (the table ovn-ctl opens `db:` remotes from).
    /// `have` is the Connection table as read just before. Returns whether it wrote.
    pub fn ensure_connection(
        &mut self,
        db: &str,
        global: &str,
        have: &[Connection],
        target: &str,
        probe: i64,
        deadline: Deadline,
    ) -> Result<bool, Error> {
        let ops = match have.iter().find(|c| c.target == target) {
            Some(c) if c.inactivity_probe == Some(probe) => return Ok(false),
            Some(Connection {
                uuid: Some(uuid), ..
            }) => vec![
                Op::update("Connection", &[("inactivity_probe", Datum::int(probe))])
                    .where_uuid(uuid),
            ],
            _ => {
                let has_global = !self
                    .select(db, Op::select(global, &["_uuid"]), deadline)?
                    .is_empty();
                let insert = Op::insert(
                    "Connection",
                    &[
                        ("target", Datum::string(target)),
                        ("inactivity_probe", Datum::int(probe)),
                    ],
                )
                .named("conn");
                let link = if has_global {
                    Op::set_insert(global, "connections", Datum::set_of_named("conn"))
                } else {
                    Op::insert(global, &[("connections", Datum::set_of_named("conn"))])
                };
                vec![insert, link]
            }
        };
        self.transact(db, &ops, deadline).map(|_| true)
    }
}

/// Whether a backup holding `local` can replicate from an active serving `active` (both
/// `get_schema` replies), by ovsdb-server's own rule (3.1, replication.c): every table
/// of the active's, with every one of its columns exactly as the active has it, must be
/// in the local schema. When it is not, ovsdb-server drops the database from its
/// replication and, with nothing left to replicate, makes itself active: the reason is
/// returned.
pub fn replicable(local: &Value, active: &Value) -> Result<(), String> {
    let tables = |s: &Value| s.get("tables").and_then(Value::as_object).cloned();
    let (Some(mine), Some(theirs)) = (tables(local), tables(active)) else {
        return Err("a schema without tables".into());
    };
    let version = |s: &Value| {
        s.get("version")
            .and_then(Value::as_str)
            .unwrap_or("?")
            .to_string()
    };
    let versions = format!(
        "(its schema version {}, this one's {})",
        version(active),
        version(local)
    );
    for (name, table) in &theirs {
        let Some(here) = mine.get(name) else {
            return Err(format!(
                "it has table {name}, which this schema lacks {versions}"
            ));
        };
        let columns = |t: &Value| t.get("columns").and_then(Value::as_object).cloned();
        let (here, there) = (
            columns(here).unwrap_or_default(),
            columns(table).unwrap_or_default(),
        );
        for (col, def) in &there {
            match here.get(col) {
                None => {
                    return Err(format!(
                        "it has column {name}.{col}, which this schema lacks {versions}"
                    ));
                }
                Some(d) if d != def => {
                    return Err(format!(
                        "its column {name}.{col} differs from this schema's {versions}"
                    ));
                }
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// The first operation error in a transact result (RFC 7047 puts errors per operation).
pub fn transact_error(results: &[Value]) -> Option<String> {
    results.iter().find_map(|r| {
        let e = r.get("error")?.as_str()?;
        let details = r.get("details").and_then(Value::as_str).unwrap_or("");
        Some(if details.is_empty() {
            e.to_string()
        } else {
            format!("{e}: {details}")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sync-status as ovsdb-server 3.1 printed it, replicating both databases and, after
    /// the active server's schema of one changed, the other only.
    #[test]
    fn sync_status_names_what_it_replicates() {
        let both = "state: backup\nreplicating: tcp:127.0.0.1:46651\ndatabase: OVN_OCF_Anchor, OVN_Northbound\n";
        assert_eq!(sync_databases(both), ["OVN_OCF_Anchor", "OVN_Northbound"]);
        assert!(sync_replicates(both, "OVN_Northbound"));
        let anchor = "state: backup\nreplicating: tcp:127.0.0.1:46651\ndatabase: OVN_OCF_Anchor\n";
        assert!(!sync_replicates(anchor, "OVN_Northbound"));
        assert!(sync_replicates(anchor, "OVN_OCF_Anchor"));
        assert!(!sync_replicates(
            "state: backup\nconnecting: tcp:127.0.0.1:46651\n",
            "OVN_Northbound"
        ));
        assert!(sync_databases("state: active\n").is_empty());
    }

    #[test]
    fn replicable_by_ovsdb_servers_rule() {
        let s = |v: &str, t: Value| json!({"name": "OVN_Northbound", "version": v, "tables": t});
        let base = json!({"A": {"columns": {"x": {"type": "string"}}}});
        let local = s("7.0.0", base.clone());
        assert_eq!(replicable(&local, &local), Ok(()));
        // A newer local schema (an upgraded standby) holds an older active's tables.
        let more = json!({"A": {"columns": {"x": {"type": "string"}, "y": {"type": "integer"}}},
                          "B": {"columns": {}}});
        assert_eq!(replicable(&s("7.1.0", more.clone()), &local), Ok(()));
        // The other way round (the active upgraded first): ovsdb-server gives up.
        let e = replicable(&local, &s("7.1.0", more)).unwrap_err();
        assert!(e.contains("A.y") || e.contains("table B"), "{e}");
        assert!(e.contains("7.1.0") && e.contains("7.0.0"), "{e}");
        let changed = json!({"A": {"columns": {"x": {"type": "integer"}}}});
        let e = replicable(&local, &s("7.0.1", changed)).unwrap_err();
        assert!(e.contains("column A.x differs"), "{e}");
        assert!(replicable(&json!({}), &local).is_err());
    }

    #[test]
    fn sync_status_by_key_in_any_order() {
        assert_eq!(parse_sync_status("state: active\n"), SyncState::Active);
        assert_eq!(
            parse_sync_status(
                "replicating: tcp:10.0.0.1:6641\nstate: backup\ndatabase: OVN_Northbound\n"
            ),
            SyncState::Backup
        );
        assert_eq!(
            parse_sync_status("State: Active"),
            SyncState::Other("Active".into())
        );
        assert_eq!(parse_sync_status(""), SyncState::Unknown);
        assert_eq!(parse_sync_status("garbage"), SyncState::Unknown);
    }

    #[test]
    fn remotes_one_per_line() {
        assert_eq!(
            parse_remotes("db:OVN_Northbound,NB_Global,connections\nptcp:6641:[::1]\n"),
            vec!["db:OVN_Northbound,NB_Global,connections", "ptcp:6641:[::1]"]
        );
        assert!(parse_remotes("\n").is_empty());
    }

    #[test]
    fn operations_are_rfc_7047() {
        assert_eq!(
            Op::select("NB_Global", &["nb_cfg"]).0,
            json!({"op": "select", "table": "NB_Global", "where": [], "columns": ["nb_cfg"]})
        );
        assert_eq!(
            Op::update("Connection", &[("inactivity_probe", Datum::int(5))])
                .where_uuid("u1")
                .0,
            json!({"op": "update", "table": "Connection",
                   "where": [["_uuid", "==", ["uuid", "u1"]]],
                   "row": {"inactivity_probe": 5}})
        );
        assert_eq!(
            Op::insert("Connection", &[("target", Datum::string("ptcp:6641"))])
                .named("conn")
                .0,
            json!({"op": "insert", "table": "Connection", "uuid-name": "conn",
                   "row": {"target": "ptcp:6641"}})
        );
        assert_eq!(
            Op::set_insert("SB_Global", "connections", Datum::set_of_named("conn")).0,
            json!({"op": "mutate", "table": "SB_Global", "where": [],
                   "mutations": [["connections", "insert", ["set", [["named-uuid", "conn"]]]]]})
        );
        assert_eq!(
            Op::add("NB_Global", "nb_cfg", 1).0,
            json!({"op": "mutate", "table": "NB_Global", "where": [],
                   "mutations": [["nb_cfg", "+=", 1]]})
        );
    }

    #[test]
    fn rows_from_a_select_result() {
        let r = OpResult::parse(&json!({"rows": [
            {"_uuid": ["uuid", "a-b"], "target": "ptcp:6641", "inactivity_probe": ["set", []], "nb_cfg": 7},
            "not a row"
        ]}));
        assert_eq!(r.rows.len(), 1);
        let row = r.first().unwrap();
        assert_eq!(row.uuid(), Some("a-b"));
        assert_eq!(row.string("target"), Some("ptcp:6641"));
        assert_eq!(row.int("inactivity_probe"), None);
        assert_eq!(row.int("nb_cfg"), Some(7));
        assert_eq!(OpResult::parse(&json!({"count": 1})).rows.len(), 0);
    }

    #[test]
    fn transact_errors_are_found() {
        let ok = vec![json!({"rows": []})];
        assert_eq!(transact_error(&ok), None);
        let bad = vec![
            json!({"count": 1}),
            json!({"error": "constraint violation", "details": "x"}),
        ];
        assert_eq!(transact_error(&bad).unwrap(), "constraint violation: x");
    }
}

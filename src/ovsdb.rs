//! Talking to a running ovsdb-server: its unixctl control socket (the `ovs-appctl`
//! protocol) and the OVSDB protocol on its local socket. Parses the answers we rely on
//! (`sync-status`, `list-remotes`, `transact` results) in one place each.
//!
//! Owns no process management and never writes to the database except through an
//! explicit `transact` a caller builds.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use crate::jsonrpc::{Client, Endpoint, Error};
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
        let reqs: Vec<(&str, Value)> = cmds.iter().map(|c| (*c, json!([]))).collect();
        Ok(self
            .client
            .call_many(&reqs, deadline)?
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

/// `ovsdb-server/list-remotes` prints one remote per line.
pub fn parse_remotes(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect()
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

    /// Runs a transaction; an operation's `error` becomes [`Error::Remote`].
    pub fn transact(
        &mut self,
        db: &str,
        ops: &[Value],
        deadline: Deadline,
    ) -> Result<Vec<Value>, Error> {
        let mut params = vec![json!(db)];
        params.extend(ops.iter().cloned());
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
        Ok(results)
    }
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

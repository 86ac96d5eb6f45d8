//! What OVN makes of ovsdb: its two databases (names, schemas, global tables, the
//! run-time file names ovn-ctl gives them) and the nb_cfg barrier by which a client learns
//! that ovn-northd has processed the Northbound database into the Southbound one.
//!
//! Knows OVN's schemas; speaks only through the typed operations of `ovsdb`.

use crate::jsonrpc::Error;
use crate::ocf::Deadline;
use crate::ocf::params::ChoiceParam;
use crate::ovsdb::{Datum, Op, Ovsdb};

/// One of OVN's two central databases (`db=nb|sb`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Db {
    Nb,
    Sb,
}

impl ChoiceParam for Db {}

impl Db {
    /// The parameter word: `nb` or `sb`.
    pub fn key(self) -> &'static str {
        match self {
            Db::Nb => "nb",
            Db::Sb => "sb",
        }
    }
    pub fn schema_name(self) -> &'static str {
        match self {
            Db::Nb => "OVN_Northbound",
            Db::Sb => "OVN_Southbound",
        }
    }
    /// The database of a schema name, if it is one of OVN's.
    pub fn of_schema(name: &str) -> Option<Db> {
        [Db::Nb, Db::Sb]
            .into_iter()
            .find(|d| d.schema_name() == name)
    }
    pub fn global_table(self) -> &'static str {
        match self {
            Db::Nb => "NB_Global",
            Db::Sb => "SB_Global",
        }
    }
    /// Base name of run-time files, as ovn-ctl names them.
    pub fn base(self) -> &'static str {
        match self {
            Db::Nb => "ovnnb_db",
            Db::Sb => "ovnsb_db",
        }
    }
}

/// Bumps NB_Global.nb_cfg past `past` (creating the row in an empty database); returns
/// the new value, the one SB_Global.nb_cfg reaches once ovn-northd has processed this
/// Northbound. `past` is SB's nb_cfg: a rebuilt NB starts again at 0 while the SB it
/// finds still says what northd processed of the NB before, and a barrier below that
/// would pass before northd did anything. A mutation, so that a client bumping nb_cfg at
/// the same time (Neutron does) is added to, never overwritten.
pub fn bump_nb_cfg(nb: &mut Ovsdb, past: i64, deadline: Deadline) -> Result<i64, Error> {
    let db = Db::Nb.schema_name();
    let table = Db::Nb.global_table();
    let read = Op::select(table, &["nb_cfg"]);
    let current = nb.select(db, read.clone(), deadline)?;
    let write = match current.first() {
        Some(row) => {
            let have = row.int("nb_cfg").unwrap_or(0);
            Op::add(table, "nb_cfg", past.saturating_sub(have).max(0) + 1)
        }
        None => Op::insert(table, &[("nb_cfg", Datum::int(past.max(0) + 1))]),
    };
    let r = nb.transact(db, &[write, read], deadline)?;
    Ok(r.get(1)
        .and_then(|r| r.first())
        .and_then(|row| row.int("nb_cfg"))
        .unwrap_or(0))
}

/// SB_Global.nb_cfg: the last Northbound nb_cfg ovn-northd has processed (None: no row).
pub fn sb_nb_cfg(sb: &mut Ovsdb, deadline: Deadline) -> Result<Option<i64>, Error> {
    let rows = sb.select(
        Db::Sb.schema_name(),
        Op::select(Db::Sb.global_table(), &["nb_cfg"]),
        deadline,
    )?;
    Ok(rows.first().and_then(|r| r.int("nb_cfg")))
}

/// A read transaction on the database's global table: the database answers.
pub fn read_global(conn: &mut Ovsdb, db: Db, deadline: Deadline) -> Result<(), Error> {
    conn.select(
        db.schema_name(),
        Op::select(db.global_table(), &["_uuid"]),
        deadline,
    )
    .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ocf::params::choice_words;

    #[test]
    fn names_follow_ovn_ctl() {
        assert_eq!(choice_words::<Db>(), ["nb", "sb"]);
        assert_eq!(Db::of_schema("OVN_Southbound"), Some(Db::Sb));
        assert_eq!(Db::of_schema("Open_vSwitch"), None);
        assert_eq!(Db::Nb.base(), "ovnnb_db");
        assert_eq!(Db::Sb.global_table(), "SB_Global");
    }
}

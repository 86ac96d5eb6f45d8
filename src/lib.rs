//! The ovn-ocf library: the OCF runtime, the OVSDB client and file format, the repair
//! pipeline, ownership (the owner record and its lease), and adapters for Pacemaker's
//! tools and for the daemons' processes.
//!
//! It never imports the application (the agents and the operator CLI, in `agents/`): the
//! layers and what each module owns are in docs/ARCHITECTURE.md.

pub mod crm_status;
pub mod dbfile;
pub mod dbrows;
pub mod fsutil;
pub mod guard;
pub mod jsonrpc;
pub mod lease;
pub mod ocf;
pub mod ovn;
pub mod ovsdb;
pub mod pacemaker;
pub mod process;
pub mod repair;
pub mod repair_history;
pub mod runner;
pub mod state;
pub mod tickle;
pub mod watch;

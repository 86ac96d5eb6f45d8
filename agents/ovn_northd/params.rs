//! The ovn-northd agent's parameter table and meta-data, declared once; meta-data,
//! parsing, README tables and man pages derive from it.

use ovn_ocf::ocf::params::{ActionSpec, AgentSpec, Default, Kind, ParamSpec, promotable_actions};

const PARAMS: &[ParamSpec] = &[
    ParamSpec::new("nb_connection", Kind::Remote, Default::Fixed("unix:/var/run/ovn/ovnnb_db.sock"), "Northbound database to read", "Where ovn-northd finds the Northbound database (its --ovnnb-db). With the databases on another node or behind a VIP: tcp:VIP:6641 or ssl:VIP:6641."),
    ParamSpec::new("sb_connection", Kind::Remote, Default::Fixed("unix:/var/run/ovn/ovnsb_db.sock"), "Southbound database to write", "Where ovn-northd finds the Southbound database (its --ovnsb-db)."),
    ParamSpec::new("ssl_private_key", Kind::AbsPath, Default::None, "SSL private key", "PEM private key for ssl: connections (required with them, with ssl_certificate and ssl_ca_cert)."),
    ParamSpec::new("ssl_certificate", Kind::AbsPath, Default::None, "SSL certificate", "PEM certificate for ssl_private_key."),
    ParamSpec::new("ssl_ca_cert", Kind::AbsPath, Default::None, "SSL CA certificate", "PEM CA certificate the databases' certificates must be signed by."),
    ParamSpec::new("run_dir", Kind::AbsPath, Default::Fixed("/var/run/ovn"), "Run-time directory", "Directory for the pidfile (ovn-northd.pid), the control socket (ovn-northd.PID.ctl, where ovn-appctl -t ovn-northd finds it) and the agent's state file.").unique(),
    ParamSpec::new("log_file", Kind::AbsPath, Default::Fixed("/var/log/ovn/ovn-northd.log"), "ovn-northd log file", "Log file of the ovn-northd process (also receives its fatal startup errors).").unique(),
    ParamSpec::new("n_threads", Kind::Integer { min: 1, max: 256 }, Default::None, "Worker threads", "Number of threads ovn-northd uses for parallel logical flow computation (its --n-threads). Unset: ovn-northd's default (1)."),
    ParamSpec::new("ovn_northd", Kind::AbsPath, Default::Fixed("/usr/bin/ovn-northd"), "ovn-northd binary", "Path of the ovn-northd daemon."),
];

const ACTIONS: &[ActionSpec] = &promotable_actions(60, 30, 30, 30);

pub const SPEC: AgentSpec = AgentSpec {
    name: "ovn-northd",
    shortdesc: "OVN northd, with a paused hot standby that promotes in milliseconds",
    longdesc: "Runs ovn-northd against the Northbound and Southbound databases.

As a primitive, start runs it and returns once it is connected to both databases.

As a promotable clone (promoted-max=1), every instance runs: unpromoted ones paused (started with --dry-run), already connected and monitoring both databases; promote resumes one and waits until it reports Status: active (it holds the Southbound lock), or, when northd is still busy at the timeout (its first recompute of a large database keeps it from its control socket), promotes it with a warning and leaves the lock to the promoted monitor to check; demote pauses it again.

Monitor depth 0 asks ovn-northd for its status over its control socket: paused, standby or active. Depth 10 also checks that it is connected to both databases. A hung ovn-northd is an error, never \"not running\".",
    params: PARAMS,
    actions: ACTIONS,
};

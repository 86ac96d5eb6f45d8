//! The ovn-northd agent's parameter table and meta-data, declared once; meta-data,
//! parsing, README tables and man pages derive from it.

use ovn_ocf::ocf::params::{ActionSpec, AgentSpec, Default, Kind, ParamSpec, promotable_actions};

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "nb_connection",
        kind: Kind::Remote,
        default: Default::Fixed("unix:/var/run/ovn/ovnnb_db.sock"),
        required: false,
        unique: false,
        shortdesc: "Northbound database to read",
        longdesc: "Where ovn-northd finds the Northbound database (its --ovnnb-db). With the databases on another node or behind a VIP: tcp:VIP:6641 or ssl:VIP:6641.",
    },
    ParamSpec {
        name: "sb_connection",
        kind: Kind::Remote,
        default: Default::Fixed("unix:/var/run/ovn/ovnsb_db.sock"),
        required: false,
        unique: false,
        shortdesc: "Southbound database to write",
        longdesc: "Where ovn-northd finds the Southbound database (its --ovnsb-db).",
    },
    ParamSpec {
        name: "ssl_private_key",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL private key",
        longdesc: "PEM private key for ssl: connections (required with them, with ssl_certificate and ssl_ca_cert).",
    },
    ParamSpec {
        name: "ssl_certificate",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL certificate",
        longdesc: "PEM certificate for ssl_private_key.",
    },
    ParamSpec {
        name: "ssl_ca_cert",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL CA certificate",
        longdesc: "PEM CA certificate the databases' certificates must be signed by.",
    },
    ParamSpec {
        name: "run_dir",
        kind: Kind::AbsPath,
        default: Default::Fixed("/var/run/ovn"),
        required: false,
        unique: true,
        shortdesc: "Run-time directory",
        longdesc: "Directory for the pidfile (ovn-northd.pid), the control socket (ovn-northd.PID.ctl, where ovn-appctl -t ovn-northd finds it) and the agent's state file.",
    },
    ParamSpec {
        name: "log_file",
        kind: Kind::AbsPath,
        default: Default::Fixed("/var/log/ovn/ovn-northd.log"),
        required: false,
        unique: true,
        shortdesc: "ovn-northd log file",
        longdesc: "Log file of the ovn-northd process (also receives its fatal startup errors).",
    },
    ParamSpec {
        name: "n_threads",
        kind: Kind::Integer { min: 1, max: 256 },
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "Worker threads",
        longdesc: "Number of threads ovn-northd uses for parallel logical flow computation (its --n-threads). Unset: ovn-northd's default (1).",
    },
    ParamSpec {
        name: "ovn_northd",
        kind: Kind::AbsPath,
        default: Default::Fixed("/usr/bin/ovn-northd"),
        required: false,
        unique: false,
        shortdesc: "ovn-northd binary",
        longdesc: "Path of the ovn-northd daemon.",
    },
];

const ACTIONS: &[ActionSpec] = &promotable_actions(60, 30, 30, 30);

pub const SPEC: AgentSpec = AgentSpec {
    name: "ovn-northd",
    shortdesc: "OVN northd, with a paused hot standby that promotes in milliseconds",
    longdesc: "Runs ovn-northd against the Northbound and Southbound databases.

As a primitive, start runs it and returns once it is connected to both databases.

As a promotable clone (promoted-max=1), every instance runs: unpromoted ones paused (started with --dry-run), already connected and monitoring both databases; promote resumes one and waits until it reports Status: active (it holds the Southbound lock); demote pauses it again.

Monitor depth 0 asks ovn-northd for its status over its control socket: paused, standby or active. Depth 10 also checks that it is connected to both databases. A hung ovn-northd is an error, never \"not running\".",
    params: PARAMS,
    actions: ACTIONS,
};

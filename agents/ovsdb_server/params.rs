//! The ovsdb-server agent's parameter table and meta-data: every parameter declared once
//! (kind, default, descriptions); meta-data, parsing, README tables and man pages derive
//! from it. The typed configuration is in `config`.

use ovn_ocf::ocf::params::{ActionSpec, AgentSpec, Default, Kind, ParamSpec, promotable_actions};

const DB_CHOICES: &[&str] = &["nb", "sb"];

const PARAMS: &[ParamSpec] = &[
    ParamSpec {
        name: "db",
        kind: Kind::Choice(DB_CHOICES),
        default: Default::None,
        required: true,
        unique: false,
        shortdesc: "Which OVN database: nb or sb",
        longdesc: "Which OVN database this resource serves: nb (OVN_Northbound) or sb (OVN_Southbound). Other defaults follow from it.",
    },
    ParamSpec {
        name: "db_file",
        kind: Kind::AbsPath,
        default: Default::By {
            param: "db",
            values: &[
                ("nb", "/var/lib/ovn/ovnnb_db.db"),
                ("sb", "/var/lib/ovn/ovnsb_db.db"),
            ],
        },
        required: false,
        unique: true,
        shortdesc: "Database file",
        longdesc: "The standalone database file. For failover, put it on shared storage (e.g. an ocf:heartbeat:Filesystem mount) started before this resource. A missing file is created from the schema; a missing directory means the storage is not there and start fails.",
    },
    ParamSpec {
        name: "schema",
        kind: Kind::AbsPath,
        default: Default::By {
            param: "db",
            values: &[
                ("nb", "/usr/share/ovn/ovn-nb.ovsschema"),
                ("sb", "/usr/share/ovn/ovn-sb.ovsschema"),
            ],
        },
        required: false,
        unique: false,
        shortdesc: "Schema file",
        longdesc: "The OVSDB schema used to create a missing database file.",
    },
    ParamSpec {
        name: "run_dir",
        kind: Kind::AbsPath,
        default: Default::Fixed("/var/run/ovn"),
        required: false,
        unique: false,
        shortdesc: "Run-time directory",
        longdesc: "Directory for the pidfile, the control socket (ovnnb_db.ctl / ovnsb_db.ctl), the local database socket (ovnnb_db.sock / ovnsb_db.sock) and the agent's state file. The default matches ovn-ctl, so ovn-nbctl and ovn-sbctl work with no options.",
    },
    ParamSpec {
        name: "log_file",
        kind: Kind::AbsPath,
        default: Default::By {
            param: "db",
            values: &[
                ("nb", "/var/log/ovn/ovsdb-server-nb.log"),
                ("sb", "/var/log/ovn/ovsdb-server-sb.log"),
            ],
        },
        required: false,
        unique: true,
        shortdesc: "ovsdb-server log file",
        longdesc: "Log file of the ovsdb-server process (also receives its fatal startup errors).",
    },
    ParamSpec {
        name: "listen_address",
        kind: Kind::IpAddr,
        default: Default::Fixed("0.0.0.0"),
        required: false,
        unique: false,
        shortdesc: "Address clients connect to",
        longdesc: "IPv4 or IPv6 address the database listens on once it is ready, typically the VIP (ocf:heartbeat:IPaddr2) that moves with it. 0.0.0.0 or :: listen on all addresses.",
    },
    ParamSpec {
        name: "port",
        kind: Kind::Port,
        default: Default::By {
            param: "db",
            values: &[("nb", "6641"), ("sb", "6642")],
        },
        required: false,
        unique: false,
        shortdesc: "TCP port clients connect to",
        longdesc: "TCP port of the client listener.",
    },
    ParamSpec {
        name: "protocol",
        kind: Kind::Choice(&["tcp", "ssl"]),
        default: Default::Fixed("tcp"),
        required: false,
        unique: false,
        shortdesc: "Listener protocol",
        longdesc: "tcp, or ssl (then ssl_private_key, ssl_certificate and ssl_ca_cert are required).",
    },
    ParamSpec {
        name: "ssl_private_key",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL private key",
        longdesc: "PEM private key for protocol=ssl. When unset, the key comes from the database's SSL table, as with ovn-ctl.",
    },
    ParamSpec {
        name: "ssl_certificate",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL certificate",
        longdesc: "PEM certificate for ssl_private_key. When unset, it comes from the database's SSL table.",
    },
    ParamSpec {
        name: "ssl_ca_cert",
        kind: Kind::AbsPath,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "SSL CA certificate",
        longdesc: "PEM CA certificate that client certificates must be signed by. When unset, it comes from the database's SSL table.",
    },
    ParamSpec {
        name: "use_remote_in_db",
        kind: Kind::Boolean,
        default: Default::Fixed("true"),
        required: false,
        unique: false,
        shortdesc: "Also open the database's own connections",
        longdesc: "Also open the listeners configured in the database (NB_Global/SB_Global connections, as set by ovn-nbctl/ovn-sbctl set-connection), like ovn-ctl does. They open and close together with the agent's own listener. If one of them already listens on port, the agent does not add its own.",
    },
    ParamSpec {
        name: "inactivity_probe",
        kind: Kind::Integer {
            min: 0,
            max: 3_600_000,
        },
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "Client inactivity probe (ms)",
        longdesc: "Inactivity probe interval in milliseconds for clients of the listener (0 disables it). ovsdb-server can only set it through a Connection row, so when set, the agent keeps a Connection row for p<protocol>:<port>:<listen_address> with this probe in the database (as ovndb-servers.ocf does) and opens it through the database's connections; requires use_remote_in_db=true. Unset: ovsdb-server's default of 5000 ms.",
    },
    ParamSpec {
        name: "ovsdb_server",
        kind: Kind::AbsPath,
        default: Default::Fixed("/usr/sbin/ovsdb-server"),
        required: false,
        unique: false,
        shortdesc: "ovsdb-server binary",
        longdesc: "Path of the ovsdb-server daemon.",
    },
    ParamSpec {
        name: "ovsdb_tool",
        kind: Kind::AbsPath,
        default: Default::Fixed("/usr/bin/ovsdb-tool"),
        required: false,
        unique: false,
        shortdesc: "ovsdb-tool binary",
        longdesc: "Path of ovsdb-tool, used to create a missing database from the schema.",
    },
    ParamSpec {
        name: "repair_policy",
        kind: Kind::Choice(&["keep-prefix", "refuse"]),
        default: Default::Fixed("keep-prefix"),
        required: false,
        unique: false,
        shortdesc: "What to do with a damaged database file",
        longdesc: "Before the database serves, every record of db_file is verified (SHA-1). ovsdb-server itself would silently drop everything after a damaged record. keep-prefix: back the file up byte for byte into backup_dir, keep the intact records before the damage, and go on (the SB gate and repair_hook then rebuild what was lost). refuse: change nothing and fail the action with the damage as the reason. A missing file is created from the schema under either policy; an older schema is converted (after a backup).",
    },
    ParamSpec {
        name: "backup_dir",
        kind: Kind::AbsPath,
        default: Default::Beside {
            param: "db_file",
            name: "ovn-ocf-backups",
        },
        required: false,
        unique: false,
        shortdesc: "Where originals and repair reports go",
        longdesc: "Directory for byte-exact backups of every database file the agent changes (repair, conversion) and one JSON report per repair run. By default on the same (shared) storage as the database, so whichever node serves can restore.",
    },
    ParamSpec {
        name: "backup_keep",
        kind: Kind::Integer { min: 1, max: 1000 },
        default: Default::Fixed("10"),
        required: false,
        unique: false,
        shortdesc: "Backups and reports kept per database",
        longdesc: "How many backups (and, separately, reports) of this database to keep in backup_dir; older ones are removed.",
    },
    ParamSpec {
        name: "repair_hook",
        kind: Kind::Command,
        default: Default::None,
        required: false,
        unique: false,
        shortdesc: "Command that rebuilds the database before clients see it",
        longdesc: "Runs while the database serves only on its local unix socket (remotes closed), e.g. \"/usr/bin/neutron-ovn-db-sync-util --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini --ovn-neutron_sync_mode=repair\". Its environment names the database: OVN_OCF_DB (nb/sb), OVN_OCF_DB_FILE, OVN_OCF_DB_CONNECTION (unix:...), OVN_OCF_REPAIR_OUTCOME (clean, cut, created, recreated, converted, ...) and OVN_OCF_REPAIR_REPORT (the JSON report). Its output goes to the agent's log; a non-zero exit or running past repair_hook_timeout (it is then killed) fails the action.",
    },
    ParamSpec {
        name: "repair_hook_when",
        kind: Kind::Choice(&["after-change", "always", "never"]),
        default: Default::Fixed("after-change"),
        required: false,
        unique: false,
        shortdesc: "When repair_hook runs",
        longdesc: "after-change: only when the database file was created, cut or converted. always: every time the database starts serving. never: not at all.",
    },
    ParamSpec {
        name: "repair_hook_timeout",
        kind: Kind::Integer {
            min: 1,
            max: 86_400,
        },
        default: Default::Fixed("300"),
        required: false,
        unique: false,
        shortdesc: "repair_hook time limit (s)",
        longdesc: "Seconds repair_hook may run; the action's own timeout bounds it too.",
    },
    ParamSpec {
        name: "sb_gate",
        kind: Kind::Boolean,
        default: Default::Fixed("true"),
        required: false,
        unique: false,
        shortdesc: "Keep a rebuilt Southbound closed until northd recomputed it",
        longdesc: "For db=sb: when the Southbound file was created or lost records, run ovn-northd against it (Northbound from gate_nb_connection, Southbound on the local socket) and open the listeners only after the nb_cfg barrier shows northd has recomputed it, so ovn-controllers never see an empty or stale Southbound. While waiting, the node attribute ovn-ocf-sb-gate is \"waiting\".",
    },
    ParamSpec {
        name: "gate_nb_connection",
        kind: Kind::Remote,
        default: Default::Fixed("unix:/var/run/ovn/ovnnb_db.sock"),
        required: false,
        unique: false,
        shortdesc: "Northbound database for the SB gate",
        longdesc: "Where the SB gate reads the Northbound database: unix: or tcp: (the gate's own client does not speak SSL).",
    },
    ParamSpec {
        name: "ovn_northd",
        kind: Kind::AbsPath,
        default: Default::Fixed("/usr/bin/ovn-northd"),
        required: false,
        unique: false,
        shortdesc: "ovn-northd binary (SB gate)",
        longdesc: "Path of ovn-northd, run by the SB gate.",
    },
];

const ACTIONS: &[ActionSpec] = &promotable_actions(60, 60, 60, 60);

pub const SPEC: AgentSpec = AgentSpec {
    name: "ovsdb-server",
    shortdesc: "OVN Northbound or Southbound database (ovsdb-server), active/passive",
    longdesc: "Serves one OVN database (db=nb or db=sb) with Debian's ovsdb-server, for active/passive failover with the database file on shared storage.

As a primitive, start serves the database. As a promotable clone (promoted-max=1), unpromoted instances are hot standbys that hold no files open, and promote serves the database.

Serving is: the split-brain guard (an owner record beside the database file names the serving node; a node the cluster still sees online is never overridden; the record is a lease a keeper process renews while the database serves, so a node cut off from the cluster that still serves is not overridden either), preparing the database (a missing file is created from the schema), starting ovsdb-server with only its local unix socket, and then opening the client listener (listen_address:port) and, with use_remote_in_db, the database's own connections. Until then ovn-controllers and the CMS cannot connect.

Monitor depth 0: the process is alive, its control socket answers, it is active and its listeners are configured. Depth 10 adds a read transaction on the database and a check that the listener is bound. Depth 20 adds a SHA-1 verification of every record of the database file and a free-space check of its storage.",
    params: PARAMS,
    actions: ACTIONS,
};

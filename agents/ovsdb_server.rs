//! `ocf:ovn-ocf:ovsdb-server`: one OVN database (`db=nb|sb`) served by Debian's
//! ovsdb-server, spawned directly (Pacemaker is the supervisor), as a primitive or as a
//! promotable clone whose unpromoted instances are cheap hot standbys.
//!
//! Serving goes guard → prepare database → serve locally → open remotes, so controllers
//! and the CMS only see a database that is ready. Owns the daemon it spawns, its state
//! file and the owner record; the database file itself is only created here, never edited.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use ovn_ocf::dbfile;
use ovn_ocf::fsutil;
use ovn_ocf::guard;
use ovn_ocf::jsonrpc::Endpoint;
use ovn_ocf::lease;
use ovn_ocf::ocf::params::{
    ActionSpec, AgentSpec, Default, Kind, ParamSpec, Values, promotable_actions, split_command,
};
use ovn_ocf::ocf::{Action, ActionResult, Deadline, Failure, Meta, OcfStatus};
use ovn_ocf::ovsdb::{self, Ovsdb, SyncState, Unixctl};
use ovn_ocf::pacemaker;
use ovn_ocf::process::{self, ProcInfo};
use ovn_ocf::repair;
use ovn_ocf::runner;
use ovn_ocf::state::{Role, State};

use super::AgentDef;

pub const AGENT: AgentDef = AgentDef { spec: &SPEC, run };

/// Promotion scores: any healthy standby may be promoted (colocation with the storage
/// picks where); the promoted instance prefers to stay.
pub const SCORE_STANDBY: i32 = 5;
pub const SCORE_PROMOTED: i32 = 10;

const DB_CHOICES: &[&str] = &["nb", "sb"];

/// Node attribute set while the SB gate waits for northd.
pub const GATE_ATTR: &str = "ovn-ocf-sb-gate";

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

/// Which database, and everything that follows from that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Nb,
    Sb,
}

impl Db {
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

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssl {
    pub private_key: Option<PathBuf>,
    pub certificate: Option<PathBuf>,
    pub ca_cert: Option<PathBuf>,
}

/// The typed configuration of one resource.
#[derive(Debug, Clone)]
pub struct Config {
    pub db: Db,
    pub db_file: PathBuf,
    pub schema: PathBuf,
    pub run_dir: PathBuf,
    pub log_file: PathBuf,
    pub listen_address: IpAddr,
    pub port: u16,
    pub ssl: bool,
    pub ssl_files: Ssl,
    pub use_remote_in_db: bool,
    pub inactivity_probe: Option<i64>,
    pub ovsdb_server: String,
    pub ovsdb_tool: String,
    pub repair_policy: repair::Policy,
    pub backup_dir: PathBuf,
    pub backup_keep: usize,
    pub repair_hook: Option<Vec<String>>,
    pub repair_hook_when: HookWhen,
    pub repair_hook_timeout: Duration,
    pub sb_gate: bool,
    pub gate_nb: Endpoint,
    pub gate_nb_connection: String,
    pub ovn_northd: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HookWhen {
    AfterChange,
    Always,
    Never,
}

fn path(v: &Values, name: &str) -> PathBuf {
    PathBuf::from(v.str(name).expect("table gives a default"))
}

impl Config {
    /// Builds the config from parsed values; cross-parameter rules are checked here.
    pub fn from_values(v: &Values) -> Result<Config, Failure> {
        // "/" (or "/.") passes as an absolute path but names no file: nothing could go
        // beside it (the backup_dir and owner record defaults).
        let db_file = v.str("db_file").unwrap_or_default();
        if Path::new(db_file).file_name().is_none() {
            return Err(Failure::configured(format!(
                "parameter db_file: \"{}\" names a directory, not a database file",
                db_file.chars().take(64).collect::<String>().escape_debug()
            )));
        }
        let db = match v.str("db") {
            Some("sb") => Db::Sb,
            _ => Db::Nb,
        };
        let opt = |n: &str| v.str(n).map(PathBuf::from);
        let cfg = Config {
            db,
            db_file: path(v, "db_file"),
            schema: path(v, "schema"),
            run_dir: path(v, "run_dir"),
            log_file: path(v, "log_file"),
            listen_address: v
                .str("listen_address")
                .and_then(|s| s.parse().ok())
                .expect("checked by the table"),
            port: v.int("port").expect("table gives a default") as u16,
            ssl: v.str("protocol") == Some("ssl"),
            ssl_files: Ssl {
                private_key: opt("ssl_private_key"),
                certificate: opt("ssl_certificate"),
                ca_cert: opt("ssl_ca_cert"),
            },
            use_remote_in_db: v.bool("use_remote_in_db").unwrap_or(true),
            inactivity_probe: v.int("inactivity_probe"),
            ovsdb_server: v.str("ovsdb_server").expect("default").to_string(),
            ovsdb_tool: v.str("ovsdb_tool").expect("default").to_string(),
            repair_policy: repair::Policy::parse(v.str("repair_policy").expect("default"))
                .expect("checked by the table"),
            backup_dir: path(v, "backup_dir"),
            backup_keep: v.int("backup_keep").expect("default") as usize,
            repair_hook: v
                .str("repair_hook")
                .map(|c| split_command(c).expect("checked by the table")),
            repair_hook_when: match v.str("repair_hook_when") {
                Some("always") => HookWhen::Always,
                Some("never") => HookWhen::Never,
                _ => HookWhen::AfterChange,
            },
            repair_hook_timeout: Duration::from_secs(
                v.int("repair_hook_timeout").expect("default") as u64,
            ),
            sb_gate: v.bool("sb_gate").unwrap_or(true),
            gate_nb: Endpoint::Unix(PathBuf::new()),
            gate_nb_connection: v.str("gate_nb_connection").expect("default").to_string(),
            ovn_northd: v.str("ovn_northd").expect("default").to_string(),
        };
        let mut cfg = cfg;
        cfg.gate_nb = gate_endpoint(&cfg.gate_nb_connection)?;
        if cfg.inactivity_probe.is_some() && !cfg.use_remote_in_db {
            return Err(Failure::configured(
                "inactivity_probe needs use_remote_in_db=true (ovsdb-server sets probes only through the database's connections)",
            ));
        }
        let files = [
            &cfg.ssl_files.private_key,
            &cfg.ssl_files.certificate,
            &cfg.ssl_files.ca_cert,
        ];
        let given = files.iter().filter(|f| f.is_some()).count();
        if given != 0 && given != 3 {
            return Err(Failure::configured(
                "ssl_private_key, ssl_certificate and ssl_ca_cert go together: set all three or none",
            ));
        }
        if cfg.ssl && given == 0 && !cfg.use_remote_in_db {
            return Err(Failure::configured(
                "protocol=ssl needs ssl_private_key, ssl_certificate and ssl_ca_cert (or use_remote_in_db=true with the database's SSL table)",
            ));
        }
        if cfg.db_file == cfg.log_file {
            return Err(Failure::configured(
                "db_file and log_file are the same file",
            ));
        }
        Ok(cfg)
    }

    pub fn pidfile(&self) -> PathBuf {
        self.run_dir.join(format!("{}.pid", self.db.base()))
    }
    pub fn ctl(&self) -> PathBuf {
        self.run_dir.join(format!("{}.ctl", self.db.base()))
    }
    pub fn sock(&self) -> PathBuf {
        self.run_dir.join(format!("{}.sock", self.db.base()))
    }
    pub fn state_file(&self) -> PathBuf {
        self.run_dir
            .join(format!("{}.ovn-ocf.state", self.db.base()))
    }
    fn unixctl_arg(&self) -> String {
        format!("--unixctl={}", self.ctl().display())
    }

    /// The agent's own listener, in ovsdb remote syntax (IPv6 bracketed).
    pub fn listen_target(&self) -> String {
        let proto = if self.ssl { "pssl" } else { "ptcp" };
        match self.listen_address {
            IpAddr::V4(a) => format!("{proto}:{}:{a}", self.port),
            IpAddr::V6(a) => format!("{proto}:{}:[{a}]", self.port),
        }
    }

    /// The database's own connections, as ovn-ctl opens them.
    pub fn db_remote(&self) -> String {
        format!(
            "db:{},{},connections",
            self.db.schema_name(),
            self.db.global_table()
        )
    }

    fn role_attr(&self) -> String {
        format!("ovn-ocf-{}-role", self.db.key())
    }

    /// Run-time files of the SB gate's temporary ovn-northd.
    pub fn gate_dir(&self) -> PathBuf {
        self.run_dir.join(format!("{}.sb-gate", self.db.base()))
    }

    fn repair_attr(&self) -> String {
        format!("ovn-ocf-{}-repair", self.db.key())
    }

    fn repair_options(&self) -> repair::Options {
        repair::Options {
            db_file: self.db_file.clone(),
            schema: self.schema.clone(),
            backup_dir: self.backup_dir.clone(),
            backup_keep: self.backup_keep,
            policy: self.repair_policy,
            ovsdb_tool: self.ovsdb_tool.clone(),
            dry_run: false,
        }
    }

    /// The ovsdb-server command line: local socket only; listeners come later.
    pub fn server_args(&self) -> Vec<String> {
        let schema = self.db.schema_name();
        let ssl_arg = |flag: &str, file: &Option<PathBuf>, column: &str| match file {
            Some(p) => format!("--{flag}={}", p.display()),
            None => format!("--{flag}=db:{schema},SSL,{column}"),
        };
        vec![
            "-vconsole:off".into(),
            "-vfile:info".into(),
            format!("--log-file={}", self.log_file.display()),
            format!("--remote=punix:{}", self.sock().display()),
            format!("--pidfile={}", self.pidfile().display()),
            self.unixctl_arg(),
            ssl_arg("private-key", &self.ssl_files.private_key, "private_key"),
            ssl_arg("certificate", &self.ssl_files.certificate, "certificate"),
            ssl_arg("ca-cert", &self.ssl_files.ca_cert, "ca_cert"),
            format!("--ssl-protocols=db:{schema},SSL,ssl_protocols"),
            format!("--ssl-ciphers=db:{schema},SSL,ssl_ciphers"),
            self.db_file.display().to_string(),
        ]
    }
}

/// The SB gate's own client speaks unix: and tcp: (the first of a list).
fn gate_endpoint(conn: &str) -> Result<Endpoint, Failure> {
    let first = conn.split(',').next().unwrap_or_default();
    if let Some(p) = first.strip_prefix("unix:") {
        return Ok(Endpoint::Unix(PathBuf::from(p)));
    }
    if let Some(hp) = first.strip_prefix("tcp:")
        && let Ok(a) = hp.parse::<std::net::SocketAddr>()
    {
        return Ok(Endpoint::Tcp(a));
    }
    Err(Failure::configured(format!(
        "parameter gate_nb_connection: {first:?}: the SB gate connects with unix: or tcp: only"
    )))
}

/// The configuration from parameter values looked up by name (`OCF_RESKEY_` stripped), as
/// the agent reads them from its environment: for tools that read a resource's parameters
/// from elsewhere (the CIB), such as `ovn-ocf status`.
pub fn config_from(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Failure> {
    SPEC.parse_with(lookup).and_then(|v| Config::from_values(&v))
}

/// Checks that touch the system: binaries and files the configuration names.
pub fn resolve(cfg: &Config) -> Result<(), Failure> {
    for (param, bin) in [
        ("ovsdb_server", &cfg.ovsdb_server),
        ("ovsdb_tool", &cfg.ovsdb_tool),
    ] {
        if !process::executable(bin) {
            return Err(Failure::installed(format!(
                "{param}: {bin} is not an executable file (is ovn-central / openvswitch-common installed?)"
            )));
        }
    }
    if let Some(argv) = &cfg.repair_hook
        && !process::executable(&argv[0])
    {
        return Err(Failure::installed(format!(
            "repair_hook: {} is not an executable file",
            argv[0]
        )));
    }
    if cfg.db == Db::Sb && cfg.sb_gate && !process::executable(&cfg.ovn_northd) {
        return Err(Failure::installed(format!(
            "ovn_northd: {} is not an executable file (needed by sb_gate)",
            cfg.ovn_northd
        )));
    }
    let mut files = vec![("schema", &cfg.schema)];
    for (param, f) in [
        ("ssl_private_key", &cfg.ssl_files.private_key),
        ("ssl_certificate", &cfg.ssl_files.certificate),
        ("ssl_ca_cert", &cfg.ssl_files.ca_cert),
    ] {
        if let Some(f) = f {
            files.push((param, f));
        }
    }
    for (param, f) in files {
        if !f.is_file() {
            return Err(Failure::installed(format!(
                "{param}: {} does not exist or is not a file",
                f.display()
            )));
        }
    }
    Ok(())
}

fn run(action: Action, meta: &Meta) -> ActionResult {
    let deadline = meta.deadline(SPEC.timeout_of(action.as_str()));
    let cfg = match super::configure(&SPEC, action, meta, Config::from_values) {
        Ok(cfg) => cfg,
        Err(answer) => return answer,
    };
    let agent = Agent {
        cfg: &cfg,
        meta,
        deadline,
    };
    match action {
        Action::ValidateAll => resolve(&cfg).map(|_| OcfStatus::Success),
        Action::Start => agent.start(),
        Action::Stop => agent.stop(),
        Action::Monitor => agent.monitor(),
        Action::Promote => agent.promote(),
        Action::Demote => agent.demote(),
        Action::Notify => Ok(OcfStatus::Success),
        Action::MetaData | Action::Usage => unreachable!("answered before configuration"),
    }
}

/// One action on one resource.
pub struct Agent<'a> {
    pub cfg: &'a Config,
    pub meta: &'a Meta,
    pub deadline: Deadline,
}

/// A rebuild the hook and the SB gate owe the database.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Rebuild {
    outcome: String,
    changed: bool,
    lost_data: bool,
    report: Option<String>,
}

/// `.<db file>.rebuild-pending`, beside the database.
pub fn rebuild_marker(db_file: &Path) -> PathBuf {
    let name = db_file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    db_file.with_file_name(format!(".{name}.rebuild-pending"))
}

/// A row of the database's Connection table.
#[derive(Debug)]
struct ConnRow {
    target: String,
    uuid: Option<String>,
    probe: Option<i64>,
}

/// What monitor found.
#[derive(Debug)]
enum Health {
    Gone,
    Serving,
    Broken(String),
}

impl Agent<'_> {
    fn daemon(&self) -> Option<ProcInfo> {
        process::find_daemon(&self.cfg.pidfile(), "ovsdb-server", &self.cfg.unixctl_arg())
    }

    fn state(&self) -> State {
        State::load(&self.cfg.state_file()).unwrap_or_default()
    }

    fn save(&self, st: &State) -> Result<(), Failure> {
        self.ensure_dirs()?;
        st.save(&self.cfg.state_file()).map_err(|e| {
            let why = format!(
                "cannot write state file {}: {e}",
                self.cfg.state_file().display()
            );
            Failure::local_io(why, &e)
        })
    }

    fn node(&self) -> String {
        pacemaker::local_node_name(
            self.meta.on_node.as_deref(),
            self.deadline.cap(Duration::from_secs(5)),
        )
    }

    // ---------------------------------------------------------------- actions

    fn start(&self) -> ActionResult {
        resolve(self.cfg)?;
        if !self.meta.promotable {
            self.serve()?;
            return Ok(OcfStatus::Success);
        }
        // Hot standby: record the role, touch nothing on the (shared) storage.
        let mut st = self.state();
        if st.role.is_none() {
            st.role = Some(if self.daemon().is_some() {
                Role::Serving
            } else {
                Role::Standby
            });
        }
        self.publish(&mut st, Some(SCORE_STANDBY));
        self.save(&st)?;
        Ok(OcfStatus::Success)
    }

    fn promote(&self) -> ActionResult {
        if !self.meta.promotable {
            log::info!("not a promotable clone: promote has nothing to do");
            return Ok(OcfStatus::Success);
        }
        resolve(self.cfg)?;
        self.serve()?;
        Ok(OcfStatus::Success)
    }

    fn demote(&self) -> ActionResult {
        if !self.meta.promotable {
            log::info!("not a promotable clone: demote has nothing to do");
            return Ok(OcfStatus::Success);
        }
        self.shut_down()?;
        let mut st = self.state();
        st.role = Some(Role::Standby);
        st.remotes.clear();
        st.keeper = None;
        self.publish(&mut st, Some(SCORE_STANDBY));
        self.save(&st)?;
        Ok(OcfStatus::Success)
    }

    fn stop(&self) -> ActionResult {
        self.shut_down()?;
        let mut st = self.state();
        st.role = None;
        self.publish(&mut st, None);
        if let Err(e) = State::remove(&self.cfg.state_file()) {
            log::warn!(
                "cannot remove state file {}: {e}",
                self.cfg.state_file().display()
            );
        }
        Ok(OcfStatus::Success)
    }

    fn monitor(&self) -> ActionResult {
        let st = self.state();
        let promotable = self.meta.promotable;
        let mut health = self.health(st.remotes.as_slice());
        if matches!(health, Health::Serving)
            && let Some(k) = st.keeper
            && !lease::is_keeper(k, &guard::record_path(&self.cfg.db_file))
        {
            health = Health::Broken(format!(
                "its lease keeper pid {k} is gone: the owner record is no longer renewed, so a node cut off from this one could take the database over"
            ));
        }
        let status = monitor_status(health, promotable, st.role).map_err(|mut f| {
            f.reason = format!("{} ({})", f.reason, self.cfg.db_file.display());
            f
        })?;
        // The only thing monitor may change: a promotion score that is not what it should be.
        if promotable && !self.meta.is_probe(Action::Monitor) {
            let want = match status {
                OcfStatus::RunningPromoted => Some(SCORE_PROMOTED),
                OcfStatus::Success => Some(SCORE_STANDBY),
                _ => st.score,
            };
            if want != st.score {
                // Monitor writes the score and nothing else (no node attributes).
                let mut st = st;
                let dl = self.deadline.cap(Duration::from_secs(10));
                pacemaker::publish(&mut st, want, true, &[], dl);
                let _ = self.save(&st);
            }
        }
        Ok(status)
    }

    // ---------------------------------------------------------------- serving

    /// guard → prepare database → serve locally → open remotes. Idempotent: an instance
    /// that already serves healthily is left alone.
    fn serve(&self) -> Result<(), Failure> {
        let mut st = self.state();
        if let Some(d) = self.daemon() {
            match self.health_of(&d, &st.remotes) {
                Health::Serving => {
                    if st.remotes.is_empty() {
                        // Running with its listeners closed (started by hand, or a start
                        // cut short): open them now, unless a rebuild is still owed.
                        let marker = rebuild_marker(&self.cfg.db_file);
                        if marker.exists() {
                            return Err(Failure::generic(format!(
                                "ovsdb-server pid {} runs with its listeners closed and a rebuild is still owed ({}); stop the resource so that start redoes it",
                                d.pid,
                                marker.display()
                            )));
                        }
                        st.remotes = self.open_remotes(d.pid)?;
                    }
                    log::info!(
                        "ovsdb-server pid {} serves {}",
                        d.pid,
                        self.cfg.db_file.display()
                    );
                    st.role = Some(Role::Serving);
                    self.publish(&mut st, self.meta.promotable.then_some(SCORE_PROMOTED));
                    return self.save(&st);
                }
                Health::Broken(why) => {
                    return Err(Failure::generic(format!(
                        "ovsdb-server pid {} already holds {} but is unhealthy ({why}); stop it first",
                        d.pid,
                        self.cfg.db_file.display()
                    )));
                }
                Health::Gone => {}
            }
        }
        let node = self.node();
        // A keeper of an earlier claim of ours (a server killed under it) steps aside.
        self.stop_keepers();
        st.keeper = None;
        let token = lease::new_token();
        self.claim(&node, &token)?;
        let keeper = match self.spawn_keeper(&node, &token) {
            Ok(pid) => pid,
            Err(f) => {
                let _ = guard::release(&self.cfg.db_file, &node);
                return Err(f);
            }
        };
        st.keeper = Some(keeper);
        let mut repaired = None;
        let result = (|| {
            let report = self.prepare_database()?;
            repaired = Some(report.summary());
            let rebuild = self.rebuild_due(&report)?;
            let pid = self.spawn_server()?;
            // Remotes stay closed until the hook and the SB gate are done.
            self.run_hook(&rebuild)
                .and_then(|()| self.sb_gate(&rebuild))
                .and_then(|()| self.rebuild_done(&rebuild))
                .and_then(|()| self.lease_held(&node, &token, keeper))
                .and_then(|()| self.open_remotes(pid))
                .inspect_err(|_| {
                    let _ = process::terminate(pid, Deadline::after(Duration::from_secs(5)));
                })
        })();
        st.repair = repaired.or(st.repair.take());
        match result {
            Ok(remotes) => {
                st.role = Some(Role::Serving);
                st.remotes = remotes;
                self.publish(&mut st, self.meta.promotable.then_some(SCORE_PROMOTED));
                self.save(&st)
            }
            Err(f) => {
                self.stop_keepers();
                st.keeper = None;
                if let Err(e) = guard::release(&self.cfg.db_file, &node) {
                    log::warn!("cannot release owner record: {e}");
                }
                let score = st.score;
                self.publish(&mut st, score);
                let _ = self.save(&st);
                Err(f)
            }
        }
    }

    fn claim(&self, node: &str, token: &str) -> Result<(), Failure> {
        let dl = self.deadline;
        let probe = guard::Probe {
            members: || {
                pacemaker::membership(dl.cap(Duration::from_secs(10))).map_err(|e| e.to_string())
            },
            last_fenced: |owner: &str| {
                pacemaker::last_fenced(owner, dl.cap(Duration::from_secs(10)))
            },
            window: lease::WINDOW,
            deadline: dl,
        };
        guard::claim(&self.cfg.db_file, node, token, probe)
            .map(|d| {
                log::info!(
                    "owner record for {}: {d:?} by {node}",
                    self.cfg.db_file.display()
                )
            })
            .map_err(|e| Failure::generic(e.to_string()))
    }

    /// Starts the keeper that renews our claim (token) while we serve.
    fn spawn_keeper(&self, node: &str, token: &str) -> Result<i32, Failure> {
        self.ensure_dirs()?;
        let exe = std::env::current_exe()
            .map_err(|e| Failure::generic(format!("cannot find our own binary: {e}")))?;
        let k = lease::Keeper {
            record: guard::record_path(&self.cfg.db_file),
            node: node.to_string(),
            token: token.to_string(),
            pidfile: self.cfg.pidfile(),
            marker: self.cfg.unixctl_arg(),
        };
        let env: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("HA_") || k == "OCF_RESOURCE_INSTANCE")
            .collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let child = process::spawn_daemon(
            &exe.display().to_string(),
            &lease::keeper_args(&k),
            &env,
            &self.cfg.log_file,
        )
        .map_err(|e| Failure::generic(format!("cannot start the lease keeper: {e}")))?;
        let pid = child.id() as i32;
        log::info!(
            "lease keeper pid={pid} renews {} every {} ms",
            k.record.display(),
            lease::RENEW.as_millis()
        );
        Ok(pid)
    }

    /// Before the listeners open: the record is still our claim and its keeper still
    /// renews it (a takeover while we repaired, or a keeper that died, ends the start).
    fn lease_held(&self, node: &str, token: &str, keeper: i32) -> Result<(), Failure> {
        let record = guard::record_path(&self.cfg.db_file);
        match guard::read(&self.cfg.db_file) {
            Ok(Some(r)) if r.node == node && r.token == token => {}
            Ok(other) => {
                return Err(Failure::generic(format!(
                    "lost the owner record {} while starting (it names {}); not opening",
                    record.display(),
                    other.map_or_else(|| "no node".into(), |r| format!("node {}", r.node))
                )));
            }
            Err(e) => return Err(Failure::generic(e.to_string())),
        }
        if !lease::is_keeper(keeper, &record) {
            return Err(Failure::generic(format!(
                "the lease keeper pid {keeper} of {} is gone; not opening",
                record.display()
            )));
        }
        Ok(())
    }

    /// Ends every keeper of our record on this node, also one no state file names (a
    /// start killed before it saved the state).
    fn stop_keepers(&self) {
        let record = guard::record_path(&self.cfg.db_file);
        for pid in lease::keepers_of(&record) {
            lease::stop_keeper(pid, &record, self.deadline.share(0.2));
        }
    }

    /// The one "prepare database" step before the database serves: the repair pipeline
    /// (verify every record; back up, cut, create or convert as needed; report).
    fn prepare_database(&self) -> Result<repair::Report, Failure> {
        let report = repair::run(&self.cfg.repair_options(), self.deadline).map_err(|e| {
            let status = match e {
                repair::Error::WrongSchema { .. } | repair::Error::Clustered { .. } => {
                    OcfStatus::ErrConfigured
                }
                _ => OcfStatus::ErrGeneric,
            };
            Failure::new(status, e.to_string())
        })?;
        log::info!(
            "repair db_file={} found=\"{}\" outcome={} backup={} report={}",
            self.cfg.db_file.display(),
            report.found.describe(),
            report.outcome,
            report.backup.as_deref().unwrap_or("-"),
            report.report.as_deref().unwrap_or("-"),
        );
        Ok(report)
    }

    /// What the hook and the SB gate must make good: this run's changes, or those of an
    /// earlier run whose hook or gate did not finish (recorded beside the database, on the
    /// shared storage, so a retry on any node still rebuilds).
    fn rebuild_due(&self, report: &repair::Report) -> Result<Rebuild, Failure> {
        let marker = rebuild_marker(&self.cfg.db_file);
        if report.changed() {
            let r = Rebuild {
                outcome: report.outcome.clone(),
                changed: true,
                lost_data: report.lost_data(),
                report: report.report.clone(),
            };
            let json = serde_json::to_vec(&r).expect("serializes");
            fsutil::write_atomic(&marker, &json, 0o644)
                .map_err(|e| Failure::generic(format!("cannot write {}: {e}", marker.display())))?;
            return Ok(r);
        }
        match std::fs::read(&marker) {
            Ok(b) => match serde_json::from_slice::<Rebuild>(&b) {
                Ok(r) => {
                    log::warn!(
                        "an earlier rebuild after \"{}\" did not finish ({}): doing it now",
                        r.outcome,
                        marker.display()
                    );
                    Ok(r)
                }
                Err(e) => Err(Failure::generic(format!(
                    "{} is unreadable ({e}); remove it once the database is known to be rebuilt",
                    marker.display()
                ))),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Rebuild {
                outcome: report.outcome.clone(),
                changed: false,
                lost_data: false,
                report: report.report.clone(),
            }),
            Err(e) => Err(Failure::generic(format!(
                "cannot read {}: {e}",
                marker.display()
            ))),
        }
    }

    fn rebuild_done(&self, r: &Rebuild) -> Result<(), Failure> {
        if !r.changed {
            return Ok(());
        }
        let marker = rebuild_marker(&self.cfg.db_file);
        fsutil::remove_durable(&marker)
            .map_err(|e| Failure::generic(format!("cannot remove {}: {e}", marker.display())))
    }

    /// Runs `repair_hook` (argv, no shell) while only the local socket is open.
    fn run_hook(&self, report: &Rebuild) -> Result<(), Failure> {
        let Some(argv) = &self.cfg.repair_hook else {
            return Ok(());
        };
        let due = match self.cfg.repair_hook_when {
            HookWhen::Never => false,
            HookWhen::Always => true,
            HookWhen::AfterChange => report.changed,
        };
        if !due {
            return Ok(());
        }
        let conn = format!("unix:{}", self.cfg.sock().display());
        let db_file = self.cfg.db_file.display().to_string();
        let env = [
            ("OVN_OCF_DB", self.cfg.db.key()),
            ("OVN_OCF_DB_FILE", db_file.as_str()),
            ("OVN_OCF_DB_CONNECTION", conn.as_str()),
            ("OVN_OCF_REPAIR_OUTCOME", report.outcome.as_str()),
            (
                "OVN_OCF_REPAIR_REPORT",
                report.report.as_deref().unwrap_or(""),
            ),
        ];
        let limit = self.cfg.repair_hook_timeout;
        log::info!("running repair_hook {argv:?} outcome={}", report.outcome);
        match runner::run(&argv[0], &argv[1..], &env, self.deadline.cap(limit)) {
            Ok(out) => {
                for line in String::from_utf8_lossy(&out.stdout).lines() {
                    log::info!("repair_hook stdout: {line}");
                }
                for line in String::from_utf8_lossy(&out.stderr).lines() {
                    log::info!("repair_hook stderr: {line}");
                }
                if out.success() {
                    Ok(())
                } else {
                    Err(Failure::generic(format!(
                        "repair_hook {} failed ({})",
                        argv[0],
                        out.describe()
                    )))
                }
            }
            Err(runner::Error::Timeout { .. }) => Err(Failure::generic(format!(
                "repair_hook {} did not finish within {}s (or the action's timeout) and was killed",
                argv[0],
                limit.as_secs()
            ))),
            Err(e) => Err(Failure::generic(format!("repair_hook: {e}"))),
        }
    }

    /// The SB gate: a Southbound that was created or lost records stays closed until
    /// ovn-northd has recomputed it (the nb_cfg barrier). A node attribute says so meanwhile.
    fn sb_gate(&self, report: &Rebuild) -> Result<(), Failure> {
        if self.cfg.db != Db::Sb || !self.cfg.sb_gate || !report.lost_data {
            return Ok(());
        }
        let dl = self.deadline.cap(Duration::from_secs(10));
        if let Err(e) = pacemaker::set_node_attr(GATE_ATTR, Some("waiting"), dl) {
            log::warn!("cannot set node attribute {GATE_ATTR}: {e}");
        }
        let result = self.gate_barrier();
        if let Err(e) = pacemaker::set_node_attr(GATE_ATTR, None, dl) {
            log::warn!("cannot clear node attribute {GATE_ATTR}: {e}");
        }
        result
    }

    /// Bumps NB_Global.nb_cfg; returns the value SB_Global.nb_cfg must reach.
    fn bump_nb_cfg(&self) -> Result<i64, Failure> {
        let fail = |e: String| {
            Failure::generic(format!(
                "SB gate: cannot bump nb_cfg in the Northbound database at {}: {e}",
                self.cfg.gate_nb_connection
            ))
        };
        let mut nb =
            Ovsdb::connect(&self.cfg.gate_nb, self.deadline).map_err(|e| fail(e.to_string()))?;
        let select =
            json!({"op": "select", "table": "NB_Global", "where": [], "columns": ["nb_cfg"]});
        let r = nb
            .transact(
                "OVN_Northbound",
                std::slice::from_ref(&select),
                self.deadline,
            )
            .map_err(|e| fail(e.to_string()))?;
        let have_row = r[0]["rows"].as_array().is_some_and(|rows| !rows.is_empty());
        let ops = if have_row {
            vec![
                json!({"op": "mutate", "table": "NB_Global", "where": [], "mutations": [["nb_cfg", "+=", 1]]}),
                select,
            ]
        } else {
            vec![
                json!({"op": "insert", "table": "NB_Global", "row": {"nb_cfg": 1}}),
                select,
            ]
        };
        let r = nb
            .transact("OVN_Northbound", &ops, self.deadline)
            .map_err(|e| fail(e.to_string()))?;
        r[1]["rows"][0]["nb_cfg"]
            .as_i64()
            .ok_or_else(|| fail("no nb_cfg in the answer".into()))
    }

    fn gate_barrier(&self) -> Result<(), Failure> {
        let target = self.bump_nb_cfg()?;
        let dir = self.cfg.gate_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| Failure::local_io(format!("cannot create {}: {e}", dir.display()), &e))?;
        let log_file = self.cfg.log_file.with_file_name("ovn-northd-sb-gate.log");
        let args = vec![
            "-vconsole:off".to_string(),
            "-vfile:info".to_string(),
            format!("--log-file={}", log_file.display()),
            format!("--pidfile={}", dir.join("ovn-northd.pid").display()),
            format!("--ovnnb-db={}", self.cfg.gate_nb_connection),
            format!("--ovnsb-db=unix:{}", self.cfg.sock().display()),
        ];
        let run_dir = dir.display().to_string();
        let mark = process::log_size(&log_file);
        let mut child = process::spawn_daemon(
            &self.cfg.ovn_northd,
            &args,
            &[("OVN_RUNDIR", &run_dir)],
            &log_file,
        )
        .map_err(|e| Failure::generic(format!("SB gate: {e}")))?;
        let pid = child.id() as i32;
        log::info!(
            "SB gate: ovn-northd pid={pid} recomputing the Southbound database, waiting for nb_cfg {target}"
        );
        let result = self.wait_sb_nb_cfg(target, &mut child, &log_file, mark);
        let _ = process::terminate(pid, Deadline::after(Duration::from_secs(5)));
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(&dir);
        result
    }

    fn wait_sb_nb_cfg(
        &self,
        target: i64,
        child: &mut std::process::Child,
        log_file: &Path,
        mark: u64,
    ) -> Result<(), Failure> {
        let mut sb = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), self.deadline)
            .map_err(|e| Failure::generic(format!("SB gate: {e}")))?;
        let select =
            json!({"op": "select", "table": "SB_Global", "where": [], "columns": ["nb_cfg"]});
        let mut seen = None;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let why = process::logged_error(log_file, mark, None)
                    .unwrap_or_else(|| format!("see {}", log_file.display()));
                return Err(Failure::generic(format!(
                    "SB gate: ovn-northd exited ({status}): {why}"
                )));
            }
            if let Ok(r) = sb.transact(
                "OVN_Southbound",
                std::slice::from_ref(&select),
                self.deadline,
            ) {
                seen = r[0]["rows"][0]["nb_cfg"].as_i64();
                if seen.is_some_and(|v| v >= target) {
                    log::info!("SB gate: Southbound recomputed (nb_cfg {target}); opening it");
                    return Ok(());
                }
            }
            if !self.deadline.sleep(Duration::from_millis(20)) {
                return Err(Failure::generic(format!(
                    "SB gate: ovn-northd did not recompute the Southbound database before the timeout (SB nb_cfg {seen:?}, waiting for {target}); see {}",
                    log_file.display()
                )));
            }
        }
    }

    fn log_mark(&self) -> u64 {
        process::log_size(&self.cfg.log_file)
    }

    fn logged_error(&self, mark: u64, needle: Option<&str>) -> Option<String> {
        process::logged_error(&self.cfg.log_file, mark, needle)
    }

    fn ensure_dirs(&self) -> Result<(), Failure> {
        for dir in [
            self.cfg.run_dir.as_path(),
            self.cfg.log_file.parent().unwrap_or(Path::new("/")),
        ] {
            std::fs::create_dir_all(dir).map_err(|e| {
                Failure::local_io(
                    format!("cannot create directory {}: {e}", dir.display()),
                    &e,
                )
            })?;
        }
        Ok(())
    }

    /// Starts ovsdb-server with its local socket only and waits until it answers.
    fn spawn_server(&self) -> Result<i32, Failure> {
        self.ensure_dirs()?;
        let mark = self.log_mark();
        let mut child = process::spawn_daemon(
            &self.cfg.ovsdb_server,
            &self.cfg.server_args(),
            &[],
            &self.cfg.log_file,
        )
        .map_err(|e| Failure::generic(e.to_string()))?;
        let pid = child.id() as i32;
        log::info!(
            "started ovsdb-server pid={pid} db_file={}",
            self.cfg.db_file.display()
        );
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                let why = self
                    .logged_error(mark, None)
                    .unwrap_or_else(|| format!("see {}", self.cfg.log_file.display()));
                return Err(Failure::generic(format!(
                    "ovsdb-server exited at startup ({status}): {why}"
                )));
            }
            if process::read_pidfile(&self.cfg.pidfile()) == Some(pid)
                && let Ok(mut ctl) = Unixctl::connect(&self.cfg.ctl(), self.deadline)
                && let Ok(dbs) = ctl.command("ovsdb-server/list-dbs", &[], self.deadline)
            {
                if dbs.lines().any(|l| l.trim() == self.cfg.db.schema_name()) {
                    return Ok(pid);
                }
                let _ = process::terminate(pid, Deadline::after(Duration::from_secs(5)));
                return Err(Failure::generic(format!(
                    "{} is not an {} database (server reports: {})",
                    self.cfg.db_file.display(),
                    self.cfg.db.schema_name(),
                    dbs.trim()
                )));
            }
            if !self.deadline.sleep(Duration::from_millis(10)) {
                let _ = process::terminate(pid, Deadline::after(Duration::from_secs(5)));
                return Err(Failure::generic(format!(
                    "ovsdb-server for {} did not become ready before the start timeout",
                    self.cfg.db_file.display()
                )));
            }
        }
    }

    /// Ports of the passive connections configured in the database's Connection table.
    fn db_listener_targets(&self, db: &mut Ovsdb) -> Result<Vec<ConnRow>, Failure> {
        let r = db
            .transact(
                self.cfg.db.schema_name(),
                &[json!({"op": "select", "table": "Connection", "where": [],
                          "columns": ["_uuid", "target", "inactivity_probe"]})],
                self.deadline,
            )
            .map_err(|e| Failure::generic(format!("cannot read the Connection table: {e}")))?;
        let rows = r
            .first()
            .and_then(|o| o.get("rows"))
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        Ok(rows
            .iter()
            .filter_map(|row| {
                let target = row.get("target")?.as_str()?.to_string();
                let uuid = row
                    .get("_uuid")
                    .and_then(|u| u.get(1))
                    .and_then(Value::as_str)
                    .map(String::from);
                let probe = row.get("inactivity_probe").and_then(Value::as_i64);
                Some(ConnRow {
                    target,
                    uuid,
                    probe,
                })
            })
            .collect())
    }

    /// Keeps a Connection row for our listener with the configured probe.
    fn ensure_probe_row(
        &self,
        db: &mut Ovsdb,
        rows: &[ConnRow],
        probe: i64,
    ) -> Result<(), Failure> {
        let target = self.cfg.listen_target();
        let global = self.cfg.db.global_table();
        let ops = match rows.iter().find(|r| r.target == target) {
            Some(ConnRow { probe: Some(p), .. }) if *p == probe => return Ok(()),
            Some(ConnRow {
                uuid: Some(uuid), ..
            }) => vec![json!({
                "op": "update", "table": "Connection",
                "where": [["_uuid", "==", ["uuid", uuid]]],
                "row": {"inactivity_probe": probe}})],
            _ => {
                let globals = db
                    .transact(
                        self.cfg.db.schema_name(),
                        &[json!({"op": "select", "table": global, "where": [], "columns": ["_uuid"]})],
                        self.deadline,
                    )
                    .map_err(|e| Failure::generic(format!("cannot read {global}: {e}")))?;
                let have_global = globals
                    .first()
                    .and_then(|o| o.get("rows"))
                    .and_then(Value::as_array)
                    .is_some_and(|r| !r.is_empty());
                let insert = json!({"op": "insert", "table": "Connection", "uuid-name": "conn",
                                    "row": {"target": target, "inactivity_probe": probe}});
                let link = if have_global {
                    json!({"op": "mutate", "table": global, "where": [],
                           "mutations": [["connections", "insert", ["set", [["named-uuid", "conn"]]]]]})
                } else {
                    json!({"op": "insert", "table": global,
                           "row": {"connections": ["set", [["named-uuid", "conn"]]]}})
                };
                vec![insert, link]
            }
        };
        db.transact(self.cfg.db.schema_name(), &ops, self.deadline)
            .map(|_| log::info!("Connection {target} has inactivity_probe={probe}"))
            .map_err(|e| Failure::generic(format!("cannot set inactivity_probe on {target}: {e}")))
    }

    /// Opens the client listeners and waits until ours is bound. Returns the remotes added.
    fn open_remotes(&self, pid: i32) -> Result<Vec<String>, Failure> {
        let mut remotes = Vec::new();
        let mut covered_by_db = false;
        if self.cfg.use_remote_in_db {
            let mut db = Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), self.deadline)
                .map_err(|e| Failure::generic(e.to_string()))?;
            let mut rows = self.db_listener_targets(&mut db)?;
            if let Some(probe) = self.cfg.inactivity_probe {
                self.ensure_probe_row(&mut db, &rows, probe)?;
                rows = self.db_listener_targets(&mut db)?;
            }
            covered_by_db = rows
                .iter()
                .any(|r| passive_port(&r.target) == Some(self.cfg.port));
            remotes.push(self.cfg.db_remote());
        }
        if !covered_by_db {
            remotes.push(self.cfg.listen_target());
        } else {
            log::info!(
                "port {} is opened by the database's own connections",
                self.cfg.port
            );
        }
        let mark = self.log_mark();
        let mut ctl = Unixctl::connect(&self.cfg.ctl(), self.deadline)
            .map_err(|e| Failure::generic(e.to_string()))?;
        for r in &remotes {
            ctl.command("ovsdb-server/add-remote", &[r], self.deadline)
                .map_err(|e| Failure::generic(format!("cannot open remote {r}: {e}")))?;
        }
        let port = self.cfg.port;
        loop {
            let bound = process::tcp_listeners(pid).iter().any(|l| {
                l.port == port
                    && (l.addr == self.cfg.listen_address
                        || self.cfg.listen_address.is_unspecified()
                        || l.addr.is_unspecified())
            });
            if bound {
                log::info!(
                    "listening on {} (remotes: {})",
                    self.cfg.listen_target(),
                    remotes.join(" ")
                );
                return Ok(remotes);
            }
            if let Some(err) = self.logged_error(mark, Some("listen failed")) {
                return Err(Failure::generic(format!(
                    "cannot listen on {}: {err} (is another process using port {port}?)",
                    self.cfg.listen_target()
                )));
            }
            if !self.deadline.sleep(Duration::from_millis(10)) {
                return Err(Failure::generic(format!(
                    "ovsdb-server did not listen on {} before the timeout",
                    self.cfg.listen_target()
                )));
            }
        }
    }

    /// Closes our remotes (best effort) and stops the daemon, TERM then KILL; releases the
    /// owner record. A daemon that is already gone is fine.
    fn shut_down(&self) -> Result<(), Failure> {
        // A start cut short (the agent killed on its timeout) can leave the SB gate's
        // ovn-northd behind: it goes first, found by its own pidfile.
        let gate_pidfile = self.cfg.gate_dir().join("ovn-northd.pid");
        let marker = format!("--pidfile={}", gate_pidfile.display());
        if let Some(g) = process::find_daemon(&gate_pidfile, "ovn-northd", &marker) {
            log::warn!("stopping the SB gate's leftover ovn-northd pid={}", g.pid);
            process::terminate(g.pid, self.deadline.share(0.3)).map_err(|e| {
                Failure::generic(format!("cannot stop the SB gate's ovn-northd: {e}"))
            })?;
            let _ = std::fs::remove_dir_all(self.cfg.gate_dir());
        }
        // A repair hook of a start the agent was killed in (Pacemaker's timeout) runs on
        // in its own process group: found by the connection in its environment.
        let hook_mark = format!("OVN_OCF_DB_CONNECTION=unix:{}", self.cfg.sock().display());
        for pid in process::with_env_entry(&hook_mark) {
            log::warn!("killing leftover repair_hook process pid={pid}");
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
        // The keeper first: a record no longer renewed is harmless, a keeper renewing a
        // record we are about to remove is not.
        self.stop_keepers();
        if let Some(d) = self.daemon() {
            let st = self.state();
            if !d.stopped()
                && let Ok(mut ctl) = Unixctl::connect(&self.cfg.ctl(), self.deadline.share(0.2))
            {
                for r in st.remotes.iter() {
                    if let Err(e) =
                        ctl.command("ovsdb-server/remove-remote", &[r], self.deadline.share(0.2))
                    {
                        log::warn!("cannot close remote {r}: {e}");
                    }
                }
            }
            let how = process::terminate(d.pid, self.deadline)
                .map_err(|e| Failure::generic(format!("cannot stop ovsdb-server: {e}")))?;
            log::info!("stopped ovsdb-server pid={} ({how:?})", d.pid);
            // A killed server leaves its pidfile and sockets behind.
            for f in [self.cfg.pidfile(), self.cfg.ctl(), self.cfg.sock()] {
                if process::read_pidfile(&self.cfg.pidfile()) == Some(d.pid)
                    || f != self.cfg.pidfile()
                {
                    let _ = std::fs::remove_file(&f);
                }
            }
        }
        let node = self.node();
        guard::release(&self.cfg.db_file, &node)
            .map_err(|e| Failure::generic(format!("cannot release owner record: {e}")))
    }

    // ---------------------------------------------------------------- health

    fn health(&self, remotes: &[String]) -> Health {
        match self.daemon() {
            None => Health::Gone,
            Some(d) => self.health_of(&d, remotes),
        }
    }

    /// Depth 0: alive, not stopped, unixctl answers, active, `remotes` configured.
    /// Depth 10: + a read transaction and our listener bound. Depth 20: + file verifies,
    /// storage has space.
    fn health_of(&self, d: &ProcInfo, remotes: &[String]) -> Health {
        if d.stopped() {
            return Health::Broken(format!(
                "ovsdb-server pid {} is stopped (state {})",
                d.pid, d.state
            ));
        }
        let dl = self.deadline;
        let mut ctl = match Unixctl::connect(&self.cfg.ctl(), dl) {
            Ok(c) => c,
            Err(e) => return Health::Broken(format!("ovsdb-server pid {}: {e}", d.pid)),
        };
        // One round trip: the role and the listeners.
        let cmds: &[&str] = if remotes.is_empty() {
            &["ovsdb-server/sync-status"]
        } else {
            &["ovsdb-server/sync-status", "ovsdb-server/list-remotes"]
        };
        let mut answers = match ctl.commands(cmds, dl) {
            Ok(a) => a.into_iter(),
            Err(e) => return Health::Broken(format!("ovsdb-server pid {}: {e}", d.pid)),
        };
        match answers.next().expect("one answer per command") {
            Ok(s) => match ovsdb::parse_sync_status(&s) {
                SyncState::Active => {}
                other => {
                    return Health::Broken(format!(
                        "ovsdb-server pid {} is not active: {other:?}",
                        d.pid
                    ));
                }
            },
            Err(e) => return Health::Broken(format!("ovsdb-server pid {}: {e}", d.pid)),
        }
        if let Some(listed) = answers.next() {
            match listed {
                Ok(s) => {
                    let have = ovsdb::parse_remotes(&s);
                    if let Some(missing) = remotes.iter().find(|r| !have.contains(r)) {
                        return Health::Broken(format!("remote {missing} is not open"));
                    }
                }
                Err(e) => return Health::Broken(format!("ovsdb-server pid {}: {e}", d.pid)),
            }
        }
        if self.meta.check_level >= 10
            && let Err(why) = self.deep_check(d.pid, !remotes.is_empty())
        {
            return Health::Broken(why);
        }
        if self.meta.check_level >= 20
            && let Err(why) = self.file_check()
        {
            return Health::Broken(why);
        }
        Health::Serving
    }

    fn deep_check(&self, pid: i32, serving: bool) -> Result<(), String> {
        let dl = self.deadline;
        let mut db =
            Ovsdb::connect(&Endpoint::Unix(self.cfg.sock()), dl).map_err(|e| e.to_string())?;
        let global = self.cfg.db.global_table();
        db.transact(
            self.cfg.db.schema_name(),
            &[json!({"op": "select", "table": global, "where": [], "columns": ["_uuid"]})],
            dl,
        )
        .map_err(|e| format!("read transaction failed: {e}"))?;
        if serving
            && !process::tcp_listeners(pid)
                .iter()
                .any(|l| l.port == self.cfg.port)
        {
            return Err(format!("nothing listens on port {}", self.cfg.port));
        }
        Ok(())
    }

    fn file_check(&self) -> Result<(), String> {
        let db = &self.cfg.db_file;
        let size = std::fs::metadata(db)
            .map(|m| m.len())
            .map_err(|e| format!("{}: {e}", db.display()))?;
        let v = dbfile::inspect(db, Some(size))
            .map(|i| i.verdict)
            .map_err(|e| format!("{}: {e}", db.display()))?;
        if let dbfile::Verdict::TornTail { .. } = v {
            // A record being appended right now looks torn; it must not stay that way.
            self.deadline.sleep(Duration::from_millis(200));
            let now = std::fs::metadata(db).map(|m| m.len()).unwrap_or(size);
            if now == size {
                return Err(format!("{} ends in a torn record: {v:?}", db.display()));
            }
        } else if !v.is_clean() {
            return Err(format!("{} does not verify: {v:?}", db.display()));
        }
        let dir = db.parent().unwrap_or(Path::new("/"));
        let st = nix::sys::statvfs::statvfs(dir)
            .map_err(|e| format!("statvfs {}: {e}", dir.display()))?;
        let free = st.blocks_available() as u64 * st.fragment_size() as u64;
        if free < 1 << 20 {
            return Err(format!(
                "storage of {} is full ({free} bytes free)",
                db.display()
            ));
        }
        Ok(())
    }

    // ---------------------------------------------------------------- cluster view

    fn publish(&self, st: &mut State, score: Option<i32>) {
        let role = pacemaker::role_word(st.role);
        // The last repair stays shown while the resource runs here.
        let repair = st.role.and(st.repair.clone());
        pacemaker::publish(
            st,
            score,
            self.meta.promotable,
            &[
                (&self.cfg.role_attr(), role),
                (&self.cfg.repair_attr(), repair.as_deref()),
            ],
            self.deadline.cap(Duration::from_secs(10)),
        );
    }
}

/// Maps what monitor found to the OCF answer, per shape (DESIGN.md): a primitive is
/// 0 / 7 / 1; a promotable instance is 7 stopped, 0 standby, 8 promoted, 9 promoted but
/// failed (gone while it should serve, or broken).
fn monitor_status(health: Health, promotable: bool, role: Option<Role>) -> ActionResult {
    match (health, promotable, role) {
        // Not running where it should serve: still 7, but with a reason crm_mon shows.
        (Health::Gone, false, Some(Role::Serving)) => Err(Failure::new(
            OcfStatus::NotRunning,
            "ovsdb-server is gone (killed or crashed)",
        )),
        (Health::Gone, false, _) => Ok(OcfStatus::NotRunning),
        (Health::Gone, true, Some(Role::Serving)) => Err(Failure::new(
            OcfStatus::FailedPromoted,
            "the promoted ovsdb-server is gone",
        )),
        (Health::Gone, true, Some(Role::Standby)) => Ok(OcfStatus::Success),
        (Health::Gone, true, None) => Ok(OcfStatus::NotRunning),
        (Health::Broken(why), false, _) => Err(Failure::generic(why)),
        (Health::Broken(why), true, _) => Err(Failure::new(OcfStatus::FailedPromoted, why)),
        (Health::Serving, false, _) => Ok(OcfStatus::Success),
        (Health::Serving, true, _) => Ok(OcfStatus::RunningPromoted),
    }
}

/// The port of a passive remote target (`ptcp:6641`, `pssl:6641:[::1]`), if it is one.
pub fn passive_port(target: &str) -> Option<u16> {
    let rest = target
        .strip_prefix("ptcp:")
        .or_else(|| target.strip_prefix("pssl:"))?;
    rest.split(':').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, Failure> {
        SPEC.parse_with(|n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })
        .and_then(|v| Config::from_values(&v))
    }

    #[test]
    fn defaults_match_ovn_ctl() {
        let nb = cfg(&[("db", "nb")]).unwrap();
        assert_eq!(nb.db_file, Path::new("/var/lib/ovn/ovnnb_db.db"));
        assert_eq!(nb.ctl(), Path::new("/var/run/ovn/ovnnb_db.ctl"));
        assert_eq!(nb.sock(), Path::new("/var/run/ovn/ovnnb_db.sock"));
        assert_eq!(nb.pidfile(), Path::new("/var/run/ovn/ovnnb_db.pid"));
        assert_eq!(nb.log_file, Path::new("/var/log/ovn/ovsdb-server-nb.log"));
        assert_eq!(nb.listen_target(), "ptcp:6641:0.0.0.0");
        assert_eq!(nb.db_remote(), "db:OVN_Northbound,NB_Global,connections");
        let sb = cfg(&[("db", "sb")]).unwrap();
        assert_eq!(sb.port, 6642);
        assert_eq!(sb.schema, Path::new("/usr/share/ovn/ovn-sb.ovsschema"));
        assert_eq!(sb.db_remote(), "db:OVN_Southbound,SB_Global,connections");
    }

    #[test]
    fn ipv6_is_bracketed_and_ssl_is_pssl() {
        let c = cfg(&[
            ("db", "sb"),
            ("listen_address", "fd00::1"),
            ("protocol", "ssl"),
            ("ssl_private_key", "/k"),
            ("ssl_certificate", "/c"),
            ("ssl_ca_cert", "/ca"),
        ])
        .unwrap();
        assert_eq!(c.listen_target(), "pssl:6642:[fd00::1]");
        let args = c.server_args();
        assert!(args.contains(&"--private-key=/k".to_string()), "{args:?}");
        assert!(args.contains(&"--ssl-ciphers=db:OVN_Southbound,SSL,ssl_ciphers".to_string()));
        assert!(
            !args.iter().any(|a| a.starts_with("--remote=ptcp")
                || a.starts_with("--remote=pssl")
                || a.starts_with("--remote=db:")),
            "listeners open later: {args:?}"
        );
    }

    #[test]
    fn cross_parameter_rules() {
        assert!(
            cfg(&[
                ("db", "nb"),
                ("inactivity_probe", "5000"),
                ("use_remote_in_db", "false")
            ])
            .is_err()
        );
        assert!(cfg(&[("db", "nb"), ("ssl_private_key", "/k")]).is_err());
        assert!(
            cfg(&[
                ("db", "nb"),
                ("protocol", "ssl"),
                ("use_remote_in_db", "no")
            ])
            .is_err()
        );
        assert!(cfg(&[("db", "nb"), ("log_file", "/x"), ("db_file", "/x")]).is_err());
        assert!(cfg(&[("db", "nb"), ("inactivity_probe", "5000")]).is_ok());
    }

    #[test]
    fn status_mapping() {
        use OcfStatus::*;
        let broken = || Health::Broken("x".into());
        type Case = (Health, bool, Option<Role>, Result<OcfStatus, OcfStatus>);
        let cases: Vec<Case> = vec![
            (Health::Gone, false, None, Ok(NotRunning)),
            (Health::Gone, false, Some(Role::Serving), Err(NotRunning)),
            (Health::Serving, false, Some(Role::Serving), Ok(Success)),
            (Health::Serving, false, None, Ok(Success)),
            (broken(), false, Some(Role::Serving), Err(ErrGeneric)),
            (Health::Gone, true, None, Ok(NotRunning)),
            (Health::Gone, true, Some(Role::Standby), Ok(Success)),
            (Health::Gone, true, Some(Role::Serving), Err(FailedPromoted)),
            (
                Health::Serving,
                true,
                Some(Role::Serving),
                Ok(RunningPromoted),
            ),
            // A server found running where a standby was recorded: promoted, so that
            // Pacemaker demotes it rather than believing it is a standby.
            (
                Health::Serving,
                true,
                Some(Role::Standby),
                Ok(RunningPromoted),
            ),
            (broken(), true, Some(Role::Serving), Err(FailedPromoted)),
            (broken(), true, Some(Role::Standby), Err(FailedPromoted)),
        ];
        for (h, promotable, role, want) in cases {
            let label = format!("{h:?} promotable={promotable} role={role:?}");
            let got = monitor_status(h, promotable, role).map_err(|f| f.status);
            assert_eq!(got, want, "{label}");
        }
    }

    #[test]
    fn passive_ports() {
        assert_eq!(passive_port("ptcp:6641:0.0.0.0"), Some(6641));
        assert_eq!(passive_port("pssl:6642"), Some(6642));
        assert_eq!(passive_port("pssl:6642:[::1]"), Some(6642));
        assert_eq!(passive_port("tcp:1.2.3.4:6641"), None);
        assert_eq!(passive_port("punix:/x"), None);
    }

    #[test]
    fn table_is_consistent() {
        let mut names: Vec<_> = SPEC.params.iter().map(|p| p.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), SPEC.params.len(), "duplicate parameter");
        for p in SPEC.params {
            assert!(
                !p.shortdesc.is_empty() && !p.longdesc.is_empty(),
                "{}",
                p.name
            );
            if let Default::By { param, values } = p.default {
                let sel = SPEC.param(param).expect("selector exists");
                let Kind::Choice(choices) = sel.kind else {
                    panic!("selector is a choice")
                };
                for c in choices {
                    assert!(
                        values.iter().any(|(k, _)| k == c),
                        "{} lacks a default for {param}={c}",
                        p.name
                    );
                }
            }
        }
        for a in [
            "start",
            "stop",
            "monitor",
            "promote",
            "demote",
            "notify",
            "validate-all",
            "meta-data",
        ] {
            assert!(SPEC.action(a).is_some(), "{a}");
        }
    }
}

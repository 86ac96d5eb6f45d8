//! The ovsdb-server agent's typed configuration: decoded once from the parameter table,
//! the rules between parameters, and everything derived from it (run-time file names as
//! ovn-ctl uses them, the listener, the ovsdb-server command line). No I/O except in
//! `resolve`, which checks the binaries and files the configuration names.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ovn_ocf::jsonrpc::Endpoint;
use ovn_ocf::ocf::Failure;
use ovn_ocf::ocf::params::{AgentSpec, ChoiceParam, Values};
use ovn_ocf::ovn::Db;
use ovn_ocf::{lease, repair};

use super::params::SPEC;
use crate::framework::{Agent, Ctx, DaemonSpec, Instance, require_files, require_program};

/// `protocol`: how clients reach the listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Protocol {
    Tcp,
    Ssl,
}
impl ChoiceParam for Protocol {}

/// `repair_hook_when`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum HookWhen {
    /// Only when the file was created, cut or converted.
    AfterChange,
    Always,
    Never,
}
impl ChoiceParam for HookWhen {}

/// `storage`: shared storage (shapes A, B), a local file replicated from the promoted
/// instance (shape D), or a local file rebuilt after every takeover (shape C).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Storage {
    Shared,
    Replicate,
    Rebuild,
}
impl ChoiceParam for Storage {}

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
    pub protocol: Protocol,
    pub ssl_files: Ssl,
    pub use_remote_in_db: bool,
    pub inactivity_probe: Option<i64>,
    pub ovsdb_server: String,
    pub ovsdb_tool: String,
    /// A malloc library ovsdb-server is started with (`LD_PRELOAD`).
    pub allocator: Option<PathBuf>,
    pub repair_policy: repair::Policy,
    pub backup_dir: PathBuf,
    pub backup_keep: usize,
    /// `storage_low_mb` in bytes: free space below the file's size plus this is low.
    pub storage_low: u64,
    pub repair_hook: Option<Vec<String>>,
    pub repair_hook_when: HookWhen,
    pub repair_hook_timeout: Duration,
    pub repair_hook_needs_sb: bool,
    pub sb_gate: bool,
    pub gate_nb: Endpoint,
    pub gate_nb_connection: String,
    pub ovn_northd: String,
    pub storage: Storage,
    /// Nodes and their replication addresses (`storage=replicate`).
    pub peers: Vec<(String, IpAddr)>,
    pub replication_port: u16,
}

/// A library to preload (an absolute path of plain characters): LD_PRELOAD splits its
/// value at ':' and blanks, so a ':' would name other files than the one configured.
fn preload(v: &Values, name: &str) -> Result<Option<PathBuf>, Failure> {
    let p: Option<PathBuf> = v.opt(name)?;
    if let Some(p) = p.as_ref().filter(|p| p.to_string_lossy().contains(':')) {
        let shown: String = p.display().to_string().chars().take(64).collect();
        return Err(Failure::configured(format!(
            "parameter {name}: \"{}\" contains ':', which LD_PRELOAD takes as a separator",
            shown.escape_debug()
        )));
    }
    Ok(p)
}

/// A program parameter (an absolute path of plain characters) as the runner takes it.
fn program(v: &Values, name: &str) -> Result<String, Failure> {
    Ok(v.get::<PathBuf>(name)?.display().to_string())
}

impl Agent for Config {
    const SPEC: &'static AgentSpec = &SPEC;
    fn instance<'a>(&'a self, cx: &'a Ctx<'a>) -> Instance<'a> {
        Instance::new(cx, self.state_file(), &self.run_dir, self.daemon_spec())
    }

    /// The config from the decoded parameters; the rules between them are checked here.
    fn configure(v: &Values) -> Result<Config, Failure> {
        let db_file: PathBuf = v.get("db_file")?;
        // "/" (or "/.") passes as an absolute path but names no file: nothing could go
        // beside it (the backup_dir and owner record defaults).
        if db_file.file_name().is_none() {
            let shown: String = db_file.display().to_string().chars().take(64).collect();
            return Err(Failure::configured(format!(
                "parameter db_file: \"{}\" names a directory, not a database file",
                shown.escape_debug()
            )));
        }
        let gate_nb_connection: String = v.get("gate_nb_connection")?;
        let cfg = Config {
            db: v.get("db")?,
            db_file,
            schema: v.get("schema")?,
            run_dir: v.get("run_dir")?,
            log_file: v.get("log_file")?,
            listen_address: v.get("listen_address")?,
            port: v.get("port")?,
            protocol: v.get("protocol")?,
            ssl_files: Ssl {
                private_key: v.opt("ssl_private_key")?,
                certificate: v.opt("ssl_certificate")?,
                ca_cert: v.opt("ssl_ca_cert")?,
            },
            use_remote_in_db: v.get("use_remote_in_db")?,
            inactivity_probe: v.opt("inactivity_probe")?,
            ovsdb_server: program(v, "ovsdb_server")?,
            ovsdb_tool: program(v, "ovsdb_tool")?,
            allocator: preload(v, "allocator")?,
            repair_policy: v.get("repair_policy")?,
            backup_dir: v.get("backup_dir")?,
            backup_keep: v.get::<i64>("backup_keep")? as usize,
            storage_low: (v.get::<i64>("storage_low_mb")? as u64) << 20,
            repair_hook: v.opt("repair_hook")?,
            repair_hook_when: v.get("repair_hook_when")?,
            repair_hook_timeout: Duration::from_secs(v.get::<i64>("repair_hook_timeout")? as u64),
            repair_hook_needs_sb: v.get("repair_hook_needs_sb")?,
            sb_gate: v.get("sb_gate")?,
            gate_nb: gate_endpoint(&gate_nb_connection)?,
            gate_nb_connection,
            ovn_northd: program(v, "ovn_northd")?,
            storage: v.get("storage")?,
            peers: v.opt("replication_peers")?.unwrap_or_default(),
            replication_port: v.get("replication_port")?,
        };
        if cfg.storage == Storage::Replicate {
            if cfg.peers.len() < 2 {
                return Err(Failure::configured(
                    "storage=replicate needs replication_peers with every node of the clone (two at least), e.g. \"node1=192.0.2.11 node2=192.0.2.12\"",
                ));
            }
            if cfg.replication_port == cfg.port {
                return Err(Failure::configured(format!(
                    "replication_port {} is the client port too: give replicas their own",
                    cfg.port
                )));
            }
        }
        if cfg.storage == Storage::Rebuild {
            if cfg.db == Db::Nb
                && (cfg.repair_hook.is_none() || cfg.repair_hook_when == HookWhen::Never)
            {
                return Err(Failure::configured(
                    "storage=rebuild needs repair_hook (e.g. neutron-ovn-db-sync-util --ovn-neutron_sync_mode=repair) and repair_hook_when other than never: a node taking over replaces its own out-of-date Northbound file with an empty one, which the hook must rebuild",
                ));
            }
            if cfg.db == Db::Sb && !cfg.sb_gate {
                return Err(Failure::configured(
                    "storage=rebuild needs sb_gate=true: a node taking over replaces its own out-of-date Southbound file with an empty one, which ovn-northd must recompute before clients see it",
                ));
            }
        }
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
        if cfg.protocol == Protocol::Ssl && given == 0 && !cfg.use_remote_in_db {
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

    /// The binaries and files the configuration names.
    fn resolve(&self) -> Result<(), Failure> {
        let hint = " (is ovn-central / openvswitch-common installed?)";
        require_program("ovsdb_server", &self.ovsdb_server, hint)?;
        require_program("ovsdb_tool", &self.ovsdb_tool, hint)?;
        if let Some(argv) = &self.repair_hook {
            require_program("repair_hook", &argv[0], "")?;
        }
        if self.db == Db::Sb && self.sb_gate {
            require_program("ovn_northd", &self.ovn_northd, " (needed by sb_gate)")?;
        }
        let ssl = [
            ("ssl_private_key", &self.ssl_files.private_key),
            ("ssl_certificate", &self.ssl_files.certificate),
            ("ssl_ca_cert", &self.ssl_files.ca_cert),
        ];
        require_files(
            std::iter::once(("schema", self.schema.as_path()))
                .chain(self.allocator.as_deref().map(|f| ("allocator", f)))
                .chain(ssl.iter().filter_map(|(p, f)| Some((*p, f.as_deref()?)))),
        )
    }
}

impl Config {
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
    /// The anchor database a replicated server serves beside OVN's (`replica.rs`).
    pub fn anchor_file(&self) -> PathBuf {
        self.run_dir.join(format!("{}.anchor.db", self.db.base()))
    }
    pub fn unixctl_arg(&self) -> String {
        format!("--unixctl={}", self.ctl().display())
    }

    /// The agent's own listener, in ovsdb remote syntax (IPv6 bracketed).
    pub fn listen_target(&self) -> String {
        let proto = match self.protocol {
            Protocol::Tcp => "ptcp",
            Protocol::Ssl => "pssl",
        };
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

    pub fn role_attr(&self) -> String {
        format!("ovn-ocf-{}-role", self.db.key())
    }

    /// Run-time files of the SB gate's temporary ovn-northd.
    pub fn gate_dir(&self) -> PathBuf {
        self.run_dir.join(format!("{}.sb-gate", self.db.base()))
    }

    /// The node attribute showing the last death its watcher reported.
    pub fn died_attr(&self) -> String {
        format!("ovn-ocf-{}-died", self.db.key())
    }

    /// The ovsdb-server this resource runs, as /proc and its watcher know it.
    pub fn daemon_spec(&self) -> DaemonSpec {
        DaemonSpec {
            comm: "ovsdb-server",
            pidfile: self.pidfile(),
            marker: self.unixctl_arg(),
            log_file: self.log_file.clone(),
            died_attr: self.died_attr(),
        }
    }

    /// The node attribute that says what a replica's replication does (storage=replicate).
    pub fn replication_attr(&self) -> String {
        format!("ovn-ocf-{}-replication", self.db.key())
    }

    pub fn repair_attr(&self) -> String {
        format!("ovn-ocf-{}-repair", self.db.key())
    }

    /// The node attribute that says the database's storage is low or full (unset when
    /// there is room).
    pub fn storage_attr(&self) -> String {
        format!("ovn-ocf-{}-storage", self.db.key())
    }

    /// The repair pipeline's options; `served`: the file as it last served (the claim's).
    pub fn repair_options(
        &self,
        served: Option<lease::Served>,
        stale: Option<String>,
    ) -> repair::Options {
        repair::Options {
            db_file: self.db_file.clone(),
            schema: self.schema.clone(),
            backup_dir: self.backup_dir.clone(),
            backup_keep: self.backup_keep,
            policy: self.repair_policy,
            ovsdb_tool: self.ovsdb_tool.clone(),
            dry_run: false,
            served,
            stale,
        }
    }

    /// The ovsdb-server command line: local socket only; listeners come later.
    pub fn server_args(&self) -> Vec<String> {
        let schema = self.db.schema_name();
        let ssl_arg = |flag: &str, file: &Option<PathBuf>, column: &str| match file {
            Some(p) => format!("--{flag}={}", p.display()),
            None => format!("--{flag}=db:{schema},SSL,{column}"),
        };
        let mut args = vec![
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
        ];
        if self.storage == Storage::Replicate {
            args.push(self.anchor_file().display().to_string());
        }
        args
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

#[cfg(test)]
mod tests {
    use std::path::Path;

    use ovn_ocf::ocf::params::{Default, Kind, choice_words};

    use super::*;
    use crate::framework::config_of;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, Failure> {
        config_of(pairs)
    }

    /// Every choice parameter's words are exactly its enum's (the table and the type the
    /// configuration decodes it into cannot drift).
    #[test]
    fn choices_are_the_enums() {
        let words = |name: &str| match SPEC.param(name).unwrap().kind {
            Kind::Choice(c) => c.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            _ => panic!("{name} is not a choice"),
        };
        assert_eq!(words("db"), choice_words::<Db>());
        assert_eq!(words("protocol"), choice_words::<Protocol>());
        assert_eq!(words("repair_policy"), choice_words::<repair::Policy>());
        assert_eq!(words("repair_hook_when"), choice_words::<HookWhen>());
        assert_eq!(words("storage"), choice_words::<Storage>());
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
    fn allocator_is_one_absolute_path_without_a_separator() {
        assert_eq!(cfg(&[("db", "nb")]).unwrap().allocator, None);
        let lib = "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4";
        let c = cfg(&[("db", "nb"), ("allocator", lib)]).unwrap();
        assert_eq!(c.allocator.as_deref(), Some(Path::new(lib)));
        for bad in [
            "/a.so:/b.so",
            "libtcmalloc_minimal.so.4",
            "/a.so /b.so",
            "/x/../a.so",
        ] {
            let e = cfg(&[("db", "nb"), ("allocator", bad)]).unwrap_err();
            assert_eq!(
                e.status,
                ovn_ocf::ocf::OcfStatus::ErrConfigured,
                "{bad}: {e:?}"
            );
            assert!(e.reason.contains("allocator"), "{bad}: {}", e.reason);
        }
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
    fn a_replicated_server_serves_the_anchor_after_the_database() {
        let c = cfg(&[
            ("db", "nb"),
            ("storage", "replicate"),
            ("replication_peers", "node1=192.0.2.11 node2=192.0.2.12"),
        ])
        .unwrap();
        let args = c.server_args();
        assert_eq!(
            &args[args.len() - 2..],
            [
                "/var/lib/ovn/ovnnb_db.db",
                "/var/run/ovn/ovnnb_db.anchor.db"
            ]
        );
        let shared = cfg(&[("db", "nb")]).unwrap().server_args();
        assert_eq!(shared.last().unwrap(), "/var/lib/ovn/ovnnb_db.db");
        assert!(!shared.iter().any(|a| a.contains("anchor")), "{shared:?}");
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
    fn storage_low_mb_is_a_margin_in_mib() {
        assert_eq!(cfg(&[("db", "sb")]).unwrap().storage_low, 64 << 20);
        assert_eq!(
            cfg(&[("db", "sb"), ("storage_low_mb", "0")])
                .unwrap()
                .storage_low,
            0
        );
        assert_eq!(
            cfg(&[("db", "nb"), ("storage_low_mb", "1048576")])
                .unwrap()
                .storage_low,
            1 << 40
        );
        assert_eq!(
            cfg(&[("db", "sb")]).unwrap().storage_attr(),
            "ovn-ocf-sb-storage"
        );
        for bad in [
            "-1",
            "1048577",
            "64M",
            "1.5",
            "lots",
            "99999999999999999999",
        ] {
            let f = cfg(&[("db", "nb"), ("storage_low_mb", bad)]).unwrap_err();
            assert_eq!(f.status, ovn_ocf::ocf::OcfStatus::ErrConfigured, "{bad}");
            assert!(f.reason.contains("storage_low_mb"), "{bad}: {}", f.reason);
        }
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

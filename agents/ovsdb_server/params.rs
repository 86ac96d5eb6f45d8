//! The ovsdb-server agent's parameter table and meta-data: every parameter declared once
//! (kind, default, descriptions); meta-data, parsing, README tables and man pages derive
//! from it. The typed configuration is in `config`.

use ovn_ocf::ocf::params::{ActionSpec, AgentSpec, Default, Kind, ParamSpec, promotable_actions};

const DB_CHOICES: &[&str] = &["nb", "sb"];

const PARAMS: &[ParamSpec] = &[
    ParamSpec::new("db", Kind::Choice(DB_CHOICES), Default::None, "Which OVN database: nb or sb", "Which OVN database this resource serves: nb (OVN_Northbound) or sb (OVN_Southbound). Other defaults follow from it.").required(),
    ParamSpec::new("db_file", Kind::AbsPath, Default::By {
            param: "db",
            values: &[
                ("nb", "/var/lib/ovn/ovnnb_db.db"),
                ("sb", "/var/lib/ovn/ovnsb_db.db"),
            ],
        }, "Database file", "The standalone database file. For failover, put it on shared storage (e.g. an ocf:heartbeat:Filesystem mount) started before this resource. A missing file is created from the schema; a missing directory means the storage is not there and start fails.").unique(),
    ParamSpec::new("schema", Kind::AbsPath, Default::By {
            param: "db",
            values: &[
                ("nb", "/usr/share/ovn/ovn-nb.ovsschema"),
                ("sb", "/usr/share/ovn/ovn-sb.ovsschema"),
            ],
        }, "Schema file", "The OVSDB schema used to create a missing database file."),
    ParamSpec::new("run_dir", Kind::AbsPath, Default::Fixed("/var/run/ovn"), "Run-time directory", "Directory for the pidfile, the control socket (ovnnb_db.ctl / ovnsb_db.ctl), the local database socket (ovnnb_db.sock / ovnsb_db.sock), the agent's state file and, with storage=replicate, the anchor database (ovnnb_db.anchor.db / ovnsb_db.anchor.db). The default matches ovn-ctl, so ovn-nbctl and ovn-sbctl work with no options."),
    ParamSpec::new("log_file", Kind::AbsPath, Default::By {
            param: "db",
            values: &[
                ("nb", "/var/log/ovn/ovsdb-server-nb.log"),
                ("sb", "/var/log/ovn/ovsdb-server-sb.log"),
            ],
        }, "ovsdb-server log file", "Log file of the ovsdb-server process (also receives its fatal startup errors).").unique(),
    ParamSpec::new("listen_address", Kind::IpAddr, Default::Fixed("0.0.0.0"), "Address clients connect to", "IPv4 or IPv6 address the database listens on once it is ready, typically the VIP (ocf:heartbeat:IPaddr2) that moves with it. 0.0.0.0 or :: listen on all addresses."),
    ParamSpec::new("port", Kind::Port, Default::By {
            param: "db",
            values: &[("nb", "6641"), ("sb", "6642")],
        }, "TCP port clients connect to", "TCP port of the client listener."),
    ParamSpec::new("protocol", Kind::Choice(&["tcp", "ssl"]), Default::Fixed("tcp"), "Listener protocol", "tcp, or ssl (then ssl_private_key, ssl_certificate and ssl_ca_cert are required)."),
    ParamSpec::new("ssl_private_key", Kind::AbsPath, Default::None, "SSL private key", "PEM private key for protocol=ssl. When unset, the key comes from the database's SSL table, as with ovn-ctl."),
    ParamSpec::new("ssl_certificate", Kind::AbsPath, Default::None, "SSL certificate", "PEM certificate for ssl_private_key. When unset, it comes from the database's SSL table."),
    ParamSpec::new("ssl_ca_cert", Kind::AbsPath, Default::None, "SSL CA certificate", "PEM CA certificate that client certificates must be signed by. When unset, it comes from the database's SSL table."),
    ParamSpec::new("use_remote_in_db", Kind::Boolean, Default::Fixed("true"), "Also open the database's own connections", "Also open the listeners configured in the database (NB_Global/SB_Global connections, as set by ovn-nbctl/ovn-sbctl set-connection), like ovn-ctl does. They open and close together with the agent's own listener. If one of them already listens on port, the agent does not add its own."),
    ParamSpec::new("inactivity_probe", Kind::Integer {
            min: 0,
            max: 3_600_000,
        }, Default::None, "Client inactivity probe (ms)", "Inactivity probe interval in milliseconds for clients of the listener (0 disables it). ovsdb-server can only set it through a Connection row, so when set, the agent keeps a Connection row for p<protocol>:<port>:<listen_address> with this probe in the database (as ovndb-servers.ocf does) and opens it through the database's connections; requires use_remote_in_db=true. Unset: ovsdb-server's default of 5000 ms."),
    ParamSpec::new("ovsdb_server", Kind::AbsPath, Default::Fixed("/usr/sbin/ovsdb-server"), "ovsdb-server binary", "Path of the ovsdb-server daemon."),
    ParamSpec::new("ovsdb_tool", Kind::AbsPath, Default::Fixed("/usr/bin/ovsdb-tool"), "ovsdb-tool binary", "Path of ovsdb-tool, used to create a missing database from the schema."),
    ParamSpec::new("allocator", Kind::AbsPath, Default::None, "Memory allocator preloaded into ovsdb-server", "A malloc library ovsdb-server runs with (its LD_PRELOAD; nothing else changes), e.g. /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 (Debian: libtcmalloc-minimal4) or /usr/lib/x86_64-linux-gnu/libjemalloc.so.2 (libjemalloc2). On a big database much of ovsdb-server's start is allocating memory: with tcmalloc a 532 MB Southbound file answered after 0.62 of the time it took with glibc's malloc (0.73 at 253 MB), and a client that monitors every table (a cold ovn-northd, a replica) had the whole database after 0.73 of it (0.67), with 7 % less memory (see BENCHMARKS.md). Unset: glibc's malloc. A missing file fails start and validate-all (not installed); no ':' (LD_PRELOAD's separator). A file the dynamic loader cannot preload (not a library for this machine) is skipped by it with an error in log_file, and ovsdb-server runs on glibc's malloc."),
    ParamSpec::new("storage", Kind::Choice(&["shared", "replicate", "rebuild"]), Default::Fixed("shared"), "Where the database lives between nodes", "shared: db_file is on storage every node can mount (a LUN under ocf:heartbeat:Filesystem); the node that serves owns it through its owner record. rebuild: every node keeps its own db_file on local disk and a node that takes over rebuilds it: a generation kept in the cluster (the CIB property ovn-ocf-nb-generation or ovn-ocf-sb-generation, and .<db file>.generation beside the file) tells the file that served last from one an earlier term left behind; start serves its own file as it is only when it is the current one (a restart in place), otherwise it backs the file up byte for byte into backup_dir, creates a new one and has it rebuilt with its listeners closed: by repair_hook for db=nb (required), by the SB gate for db=sb. The generation moves to this node only when the rebuilt database opens its listeners, so a takeover whose rebuild fails leaves the current file current. What the SB gate puts back (the tunnel keys, the chassis the ports are bound to) is kept in the CIB too (ovn-ocf-sb-tunnel-keys, up to 100 kB), so that a rebuilt SB keeps ovn-northd's numbering and its ports' bindings. replicate: every node keeps its own db_file on local disk and the resource must be a promotable clone (promoted-max=1): the promoted instance serves, and every unpromoted instance runs ovsdb-server as an active-backup replica of it (hot: promotion loads nothing), found through replication_peers. Replication is asynchronous: a power-off of the promoted node loses the writes its replicas had not received yet; a planned move (pcs resource move, pcs node standby) loses none, because the demoted instance stops taking writes first and the promoted one catches up before it serves. Every replicated ovsdb-server also serves a tiny database of the agent's, OVN_OCF_Anchor (run_dir/ovnnb_db.anchor.db or ovnsb_db.anchor.db, written at each start), so that a replica whose promoted instance changed its schema stays a read-only backup instead of making itself active; ovsdb-client then needs the database name (ovsdb-client dump unix:/var/run/ovn/ovnnb_db.sock OVN_Northbound)."),
    ParamSpec::new("replication_peers", Kind::NodeAddrs, Default::None, "Nodes and their replication addresses (storage=replicate)", "For storage=replicate: every node that may run this clone, with the address its promoted instance listens on for replicas, e.g. \"node1=192.0.2.11 node2=192.0.2.12\". The promoted instance listens on its own node's address and replication_port; an unpromoted one replicates from the node whose address answers there, after checking that it is another ovsdb-server than its own (never itself, e.g. through an address that is local here) serving the same database."),
    ParamSpec::new("replication_port", Kind::Port, Default::By {
            param: "db",
            values: &[("nb", "6651"), ("sb", "6652")],
        }, "TCP port replicas connect to (storage=replicate)", "TCP port of the promoted instance's replication listener, on its address from replication_peers, with the client listener's protocol. It stays open while a demoted instance hands over, so that the new promoted one catches up with its last writes."),
    ParamSpec::new("repair_policy", Kind::Choice(&["keep-prefix", "refuse"]), Default::Fixed("keep-prefix"), "What to do with a damaged database file", "Before the database serves, every record of db_file is verified (SHA-1). ovsdb-server itself would silently drop everything after a damaged record. keep-prefix: back the file up byte for byte into backup_dir, keep the intact records before the damage, and go on (the SB gate and repair_hook then rebuild what was lost). refuse: change nothing and fail the action with the damage as the reason. A missing file is created from the schema under either policy; an older schema is converted (after a backup)."),
    ParamSpec::new("backup_dir", Kind::AbsPath, Default::Beside {
            param: "db_file",
            name: "ovn-ocf-backups",
        }, "Where originals and repair reports go", "Directory for byte-exact backups of every database file the agent changes (repair, conversion) and one JSON report per repair run. By default on the same (shared) storage as the database, so whichever node serves can restore."),
    ParamSpec::new("backup_keep", Kind::Integer { min: 1, max: 1000 }, Default::Fixed("10"), "Backups and reports kept per database", "How many backups (and, separately, reports) of this database to keep in backup_dir; older ones are removed."),
    ParamSpec::new("storage_low_mb", Kind::Integer { min: 0, max: 1_048_576 }, Default::Fixed("64"), "Free space margin on db_file's storage (MiB)", "Every monitor (depth 0 too: one statvfs of db_file's directory, no child process) measures the free space of the database's filesystem, as ovsdb-server (root) can use it. Less than the size of db_file (what a compaction needs: ovsdb-server writes the live data into a new file beside the old one, then renames it over) plus this many MiB is low: the agent asks ovsdb-server to compact the database (ovsdb-server/compact; at most once every 5 minutes, and after one that worked only once the file has grown by a tenth, 1 MiB at least), logs what it freed, and, while it stays low, sets the node attribute ovn-ocf-nb-storage / ovn-ocf-sb-storage (\"low: ...\"). Below 1 MiB free it is \"full: writes fail ...\": ovsdb-server answers every write with an I/O error (No space left on device) and keeps serving reads and every write it acknowledged. Then the monitor answers OCF_DEGRADED (190; 191 when promoted), which Pacemaker treats as running (no restart, no failover: the other node would mount the same storage) and lists as a failed action with the reason, logged as an error at every monitor. The attribute goes once there is room again."),
    ParamSpec::new("repair_hook", Kind::Command, Default::None, "Command that rebuilds the database before clients see it", "Runs while the database serves only on its local unix socket (remotes closed), e.g. \"/usr/bin/neutron-ovn-db-sync-util --config-file /etc/neutron/neutron.conf --config-file /etc/neutron/plugins/ml2/ml2_conf.ini --ovn-neutron_sync_mode=repair\". Its environment names the database: OVN_OCF_DB (nb/sb), OVN_OCF_DB_FILE, OVN_OCF_DB_CONNECTION (unix:...), OVN_OCF_REPAIR_OUTCOME (clean, cut, created, recreated, converted, shorter-than-served, ...) and OVN_OCF_REPAIR_REPORT (the JSON report). Its output goes to the agent's log; a non-zero exit or running past repair_hook_timeout (it is then killed) fails the action. For db=nb with repair_hook_needs_sb (the default) it runs in the Southbound resource's start instead, with OVN_OCF_NB_CONNECTION and OVN_OCF_SB_CONNECTION (both unix:) added to its environment."),
    ParamSpec::new("repair_hook_when", Kind::Choice(&["after-change", "always", "never"]), Default::Fixed("after-change"), "When repair_hook runs", "after-change: only when the database file was created in place of one that had served (missing, with reports of earlier runs in backup_dir or a record of its last serve beside it; a new deployment's first start is not a change), cut, converted, or found shorter than it served. always: every time the database starts serving. never: not at all."),
    ParamSpec::new("repair_hook_timeout", Kind::Integer {
            min: 1,
            max: 86_400,
        }, Default::Fixed("300"), "repair_hook time limit (s)", "Seconds repair_hook may run; the action's own timeout bounds it too."),
    ParamSpec::new("repair_hook_needs_sb", Kind::Boolean, Default::Fixed("true"), "NB's repair_hook runs once SB serves too", "For db=nb: when the Northbound database owes a rebuild, its start serves it on the local socket only and leaves repair_hook to the Southbound resource's start on the same node (ordered after this one; it finds the request through its gate_nb_connection, which must be this database's local unix socket). That start runs repair_hook once both databases serve locally (neutron-ovn-db-sync-util needs both), checks the rebuilt database is not left empty where it held logical switches, ports or routers, and runs the SB gate so that ovn-northd recomputes the Southbound database from the rebuilt one; then this resource's next monitor opens its listeners. Size the Southbound resource's start (and promote) timeout for repair_hook_timeout plus the gate. false: repair_hook runs in this resource's own start, with only this database serving."),
    ParamSpec::new("sb_gate", Kind::Boolean, Default::Fixed("true"), "Keep a rebuilt Southbound closed until northd recomputed it", "For db=sb: when the Southbound file was created in place of one that had served, or lost records (cut, or shorter than it served), run ovn-northd against it (Northbound from gate_nb_connection, Southbound on the local socket) and open the listeners only after the nb_cfg barrier shows northd has recomputed it, so ovn-controllers never see an empty or stale Southbound. While waiting, the node attribute ovn-ocf-sb-gate is \"waiting\". Before that northd runs, the datapath and port bindings a lost Southbound lacks are put back with the tunnel keys its monitor kept beside the file (.<db file>.tunnel-keys), and the chassis they were bound to (Chassis and Encap rows, each port's chassis and up), so ovn-controllers keep their flows and claim nothing again."),
    ParamSpec::new("gate_nb_connection", Kind::Remote, Default::Fixed("unix:/var/run/ovn/ovnnb_db.sock"), "Northbound database for the SB gate", "Where the SB gate reads the Northbound database: unix: or tcp: (the gate's own client does not speak SSL)."),
    ParamSpec::new("ovn_northd", Kind::AbsPath, Default::Fixed("/usr/bin/ovn-northd"), "ovn-northd binary (SB gate)", "Path of ovn-northd, run by the SB gate."),
];

const ACTIONS: &[ActionSpec] = &promotable_actions(60, 60, 60, 60);

pub const SPEC: AgentSpec = AgentSpec {
    name: "ovsdb-server",
    shortdesc: "OVN Northbound or Southbound database (ovsdb-server), active/passive",
    longdesc: "Serves one OVN database (db=nb or db=sb) with Debian's ovsdb-server, for active/passive failover with the database file on shared storage.

As a primitive, start serves the database. As a promotable clone (promoted-max=1), unpromoted instances are hot standbys that hold no files open, and promote serves the database.

Serving is: the split-brain guard (an owner record beside the database file names the serving node; a node the cluster still sees online is never overridden; the record is a lease a keeper process renews while the database serves, so a node cut off from the cluster that still serves is not overridden either), preparing the database (a missing file is created from the schema), starting ovsdb-server with only its local unix socket, and then opening the client listener (listen_address:port) and, with use_remote_in_db, the database's own connections. Until then ovn-controllers and the CMS cannot connect.

Monitor depth 0: the process is alive, its control socket answers, it is active and its listeners are configured. Depth 10 adds a read transaction on the database and a check that the listener is bound. Depth 20 adds a SHA-1 verification of every record of the database file. Every depth also measures the free space of the database's storage (storage_low_mb): low space has ovsdb-server compact the database, and low or full space shows in a node attribute and the log, never as a failed monitor.",
    params: PARAMS,
    actions: ACTIONS,
};

//! Test harness: runs the real `ovn-ocf` binary as the `ovsdb-server` agent (through a
//! symlink of that name) against Debian's real ovsdb-server, in a private temp dir with its
//! own run dir, log and a free port on loopback. Everything a test starts is stopped by PID
//! when its `Res` is dropped, also when the test fails.
#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const BIN: &str = env!("CARGO_BIN_EXE_ovn-ocf");

/// A loopback port nobody listens on right now (bind to 0 and let it go), and one this
/// test process has not handed out before: once released, the kernel may give the same
/// port to the next bind to 0, so two calls in a row (a client port and a replication
/// port) could otherwise collide.
pub fn free_port(addr: &str) -> u16 {
    static GIVEN: Mutex<BTreeSet<u16>> = Mutex::new(BTreeSet::new());
    let mut given = GIVEN.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let port = TcpListener::bind((addr, 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        if given.insert(port) {
            return port;
        }
    }
}

/// What one agent invocation returned.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Outcome {
    /// The last `ocf-exit-reason:` line (what crm_mon would show).
    pub fn reason(&self) -> Option<&str> {
        self.stderr
            .lines()
            .rev()
            .find_map(|l| l.strip_prefix("ocf-exit-reason:"))
    }
    pub fn panicked(&self) -> bool {
        self.stderr.contains("panicked")
    }
}

/// One resource under test: a DB in a temp dir, an agent symlink, its environment.
pub struct Res {
    pub dir: tempfile::TempDir,
    pub env: BTreeMap<String, String>,
    pub agent: PathBuf,
    pub port: u16,
    pub db: String,
    /// The daemon's pidfile and command name, to find it by PID.
    pub pidfile: PathBuf,
    pub comm: &'static str,
}

fn temp_with_agent(name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::Builder::new()
        .prefix("ovn-ocf-test")
        .tempdir()
        .unwrap();
    let bin = dir.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let agent = bin.join(name);
    std::os::unix::fs::symlink(BIN, &agent).unwrap();
    (dir, agent)
}

fn base_env(instance: &str) -> BTreeMap<String, String> {
    let mut env = BTreeMap::new();
    env.insert("OCF_ROOT".into(), "/usr/lib/ocf".into());
    env.insert("OCF_RESOURCE_INSTANCE".into(), instance.into());
    env.insert("OCF_RESKEY_CRM_meta_timeout".into(), "30000".into());
    env.insert("OCF_RESKEY_CRM_meta_interval".into(), "10000".into());
    env
}

impl Res {
    pub fn new(db: &str) -> Res {
        let (dir, agent) = temp_with_agent("ovsdb-server");
        std::fs::create_dir_all(dir.path().join("db")).unwrap();
        let port = free_port("127.0.0.1");
        let mut env = base_env(&format!("test-{db}"));
        let p = |s: &str| dir.path().join(s).display().to_string();
        env.insert("OCF_RESKEY_db".into(), db.into());
        env.insert("OCF_RESKEY_db_file".into(), p(&format!("db/ovn{db}_db.db")));
        env.insert("OCF_RESKEY_run_dir".into(), p("run"));
        env.insert(
            "OCF_RESKEY_log_file".into(),
            p(&format!("log/ovsdb-server-{db}.log")),
        );
        env.insert("OCF_RESKEY_listen_address".into(), "127.0.0.1".into());
        env.insert("OCF_RESKEY_port".into(), port.to_string());
        if db == "sb" {
            // Tests about the SB gate point it at their own NB (with_gate); others must not
            // reach for the default NB socket of whatever else runs on this machine.
            env.insert("OCF_RESKEY_sb_gate".into(), "false".into());
        }
        let pidfile = dir.path().join(format!("run/ovn{db}_db.pid"));
        Res {
            dir,
            env,
            agent,
            port,
            db: db.into(),
            pidfile,
            comm: "ovsdb-server",
        }
    }

    /// An ovn-northd resource reading `nb` and writing `sb` through their unix sockets.
    pub fn northd(nb: &Res, sb: &Res) -> Res {
        let (dir, agent) = temp_with_agent("ovn-northd");
        let mut env = base_env("test-northd");
        let sock = |r: &Res| {
            format!(
                "unix:{}",
                r.run_dir().join(format!("{}.sock", r.base())).display()
            )
        };
        env.insert("OCF_RESKEY_nb_connection".into(), sock(nb));
        env.insert("OCF_RESKEY_sb_connection".into(), sock(sb));
        env.insert(
            "OCF_RESKEY_run_dir".into(),
            dir.path().join("run").display().to_string(),
        );
        env.insert(
            "OCF_RESKEY_log_file".into(),
            dir.path().join("log/ovn-northd.log").display().to_string(),
        );
        let pidfile = dir.path().join("run/ovn-northd.pid");
        Res {
            dir,
            env,
            agent,
            port: 0,
            db: String::new(),
            pidfile,
            comm: "ovn-northd",
        }
    }

    /// Enables the SB gate of this SB resource against `nb`'s local socket.
    pub fn with_gate(&mut self, nb: &Res) -> &mut Res {
        let sock = nb.run_dir().join(format!("{}.sock", nb.base()));
        self.set("OCF_RESKEY_sb_gate", "true");
        self.set(
            "OCF_RESKEY_gate_nb_connection",
            &format!("unix:{}", sock.display()),
        );
        self
    }

    pub fn promotable(db: &str) -> Res {
        let mut r = Res::new(db);
        // What Pacemaker 2.1.5 passes to a promotable clone (never `promotable` itself).
        r.set("OCF_RESKEY_CRM_meta_promoted_max", "1")
            .set("OCF_RESKEY_CRM_meta_master_max", "1")
            .set("OCF_RESKEY_CRM_meta_clone_max", "2");
        r
    }

    pub fn set(&mut self, k: &str, v: &str) -> &mut Res {
        self.env.insert(k.into(), v.into());
        self
    }

    pub fn unset(&mut self, k: &str) -> &mut Res {
        self.env.remove(k);
        self
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    pub fn db_file(&self) -> PathBuf {
        PathBuf::from(&self.env["OCF_RESKEY_db_file"])
    }

    /// Makes this a database that served before: the report of an earlier run in its
    /// backup directory, as the agent leaves one on every start. A missing file is then
    /// one that was lost (created, and a rebuild is owed), not a new deployment's first.
    pub fn served_before(&self) -> &Self {
        let db = self.db_file();
        let dir = match self.env.get("OCF_RESKEY_backup_dir") {
            Some(d) => PathBuf::from(d),
            None => db.with_file_name("ovn-ocf-backups"),
        };
        std::fs::create_dir_all(&dir).unwrap();
        let name = db.file_name().unwrap().to_str().unwrap();
        std::fs::write(
            dir.join(format!("{name}.20260101T000000.000Z.report.json")),
            "{\"outcome\":\"clean\"}\n",
        )
        .unwrap();
        self
    }

    pub fn run_dir(&self) -> PathBuf {
        PathBuf::from(&self.env["OCF_RESKEY_run_dir"])
    }

    pub fn base(&self) -> String {
        format!("ovn{}_db", self.db)
    }

    /// Runs an action with the resource's environment (plus `extra`), bounded by a
    /// generous watchdog so that a hang fails the test instead of stalling the suite.
    pub fn run_with(&self, action: &str, extra: &[(&str, &str)]) -> Outcome {
        let mut cmd = Command::new(&self.agent);
        cmd.arg(action)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .envs(&self.env)
            .envs(extra.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        run_watched(cmd, Duration::from_secs(120))
    }

    pub fn run(&self, action: &str) -> Outcome {
        self.run_with(action, &[])
    }

    /// Runs and asserts the exit code, showing stderr when it differs.
    pub fn expect(&self, action: &str, code: i32) -> Outcome {
        let o = self.run(action);
        assert_eq!(
            o.code, code,
            "{action}: expected {code}, got {}\nstderr:\n{}",
            o.code, o.stderr
        );
        assert!(!o.panicked(), "{action} panicked:\n{}", o.stderr);
        o
    }

    pub fn probe(&self) -> Outcome {
        self.run_with("monitor", &[("OCF_RESKEY_CRM_meta_interval", "0")])
    }

    /// PID of the ovsdb-server this resource runs, if any (pidfile + /proc).
    pub fn server_pid(&self) -> Option<i32> {
        let pid: i32 = std::fs::read_to_string(&self.pidfile)
            .ok()?
            .trim()
            .parse()
            .ok()?;
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).ok()?;
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let state = stat.rsplit_once(')')?.1.trim_start().chars().next()?;
        (comm.trim() == self.comm && state != 'Z').then_some(pid)
    }

    pub fn signal(&self, sig: &str) {
        let pid = self.server_pid().expect("server running");
        let st = Command::new("kill")
            .args([&format!("-{sig}"), &pid.to_string()])
            .status()
            .unwrap();
        assert!(st.success());
        if sig == "STOP" {
            // kill(2) returns before the target has stopped: on a loaded machine /proc
            // can still say R or S while a monitor runs. Wait (bounded) for T.
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end && proc_state(pid) != Some('T') {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// Waits (bounded) until the server process is gone.
    pub fn wait_server_gone(&self, pid: i32) {
        let end = Instant::now() + Duration::from_secs(30);
        while Instant::now() < end {
            let alive = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .map(|s| {
                    !s.rsplit_once(')')
                        .is_some_and(|(_, r)| r.trim_start().starts_with('Z'))
                })
                .unwrap_or(false);
            if !alive {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("pid {pid} still alive");
    }

    pub fn tcp(&self) -> SocketAddr {
        format!("{}:{}", self.env["OCF_RESKEY_listen_address"], self.port)
            .parse()
            .or_else(|_| {
                format!("[{}]:{}", self.env["OCF_RESKEY_listen_address"], self.port).parse()
            })
            .unwrap()
    }

    /// A transact through the TCP listener, as a client would: insert a row into the
    /// global table's external_ids if possible, or a plain select.
    pub fn client_transact(&self, ops: &str) -> Result<serde_json::Value, String> {
        rpc(
            self.tcp(),
            &format!(
                r#"{{"id":1,"method":"transact","params":["{}",{ops}]}}"#,
                schema_name(&self.db)
            ),
        )
    }

    pub fn local_transact(&self, ops: &str) -> Result<serde_json::Value, String> {
        let sock = self.run_dir().join(format!("{}.sock", self.base()));
        rpc_unix(
            &sock,
            &format!(
                r#"{{"id":1,"method":"transact","params":["{}",{ops}]}}"#,
                schema_name(&self.db)
            ),
        )
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.env["OCF_RESKEY_log_file"]).unwrap_or_default()
    }

    /// A unixctl command to the daemon, through ovn-appctl (an independent client).
    pub fn appctl(&self, ctl: &Path, cmd: &str) -> String {
        let o = Command::new("ovn-appctl")
            .arg("-t")
            .arg(ctl)
            .arg(cmd)
            .output()
            .unwrap();
        String::from_utf8_lossy(&o.stdout).trim().to_string()
    }

    /// northd's control socket (`ovn-northd.PID.ctl` in its run dir).
    pub fn northd_ctl(&self) -> PathBuf {
        self.run_dir().join(format!(
            "ovn-northd.{}.ctl",
            self.server_pid().expect("northd runs")
        ))
    }

    pub fn northd_status(&self) -> String {
        self.appctl(&self.northd_ctl(), "status")
    }
}

impl Drop for Res {
    fn drop(&mut self) {
        // Stop through the agent first; then make sure by PID that nothing is left.
        let _ = self.run_with("stop", &[("OCF_RESKEY_CRM_meta_timeout", "10000")]);
        if let Some(pid) = self.server_pid() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    }
}

pub fn schema_name(db: &str) -> &'static str {
    if db == "nb" {
        "OVN_Northbound"
    } else {
        "OVN_Southbound"
    }
}

/// Runs a command with a watchdog: killed (and the test failed) if it runs past `limit`.
pub fn run_watched(mut cmd: Command, limit: Duration) -> Outcome {
    let mut child = cmd.spawn().expect("spawn");
    let mut out = child.stdout.take().unwrap();
    let mut err = child.stderr.take().unwrap();
    let t_out = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let t_err = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let end = Instant::now() + limit;
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        if Instant::now() > end {
            let _ = child.kill();
            let _ = child.wait();
            panic!("command {cmd:?} hung for more than {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Outcome {
        code: status.code().unwrap_or(-1),
        stdout: t_out.join().unwrap(),
        stderr: t_err.join().unwrap(),
    }
}

/// The first JSON value the server sends, parsed as it arrives (linear in the reply's
/// size: a 16,000-row insert's reply is 0.8 MB, and parsing the whole buffer again after
/// every read made this helper quadratic, slow enough in an unoptimised test build that
/// ovn-northd finished its recompute before busy_northd_is_running_not_hung looked).
/// A read failing with EINTR is read again (std's byte reader does; signal(7) lists
/// reads with a timeout among the calls that can fail so), as the agents' own client does.
fn read_reply(s: impl Read) -> Result<serde_json::Value, String> {
    let v = match serde_json::Deserializer::from_reader(std::io::BufReader::new(s))
        .into_iter::<serde_json::Value>()
        .next()
    {
        None => return Err("closed".into()),
        Some(r) => r.map_err(|e| e.to_string())?,
    };
    if let Some(e) = v.get("error").filter(|e| !e.is_null()) {
        return Err(e.to_string());
    }
    if let Some(arr) = v["result"].as_array()
        && let Some(e) = arr.iter().find_map(|r| r.get("error"))
    {
        return Err(e.to_string());
    }
    Ok(v["result"].clone())
}

/// One JSON-RPC request over TCP (an independent client: not the agent's code).
pub fn rpc(addr: SocketAddr, req: &str) -> Result<serde_json::Value, String> {
    let mut s =
        TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    read_reply(s)
}

pub fn rpc_unix(path: &Path, req: &str) -> Result<serde_json::Value, String> {
    let mut s = std::os::unix::net::UnixStream::connect(path).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    read_reply(s)
}

/// A write a client would do: a named Address_Set row (the table exists in NB and SB).
pub fn write_ops(key: &str) -> String {
    format!(r#"{{"op":"insert","table":"Address_Set","row":{{"name":"{key}"}}}}"#)
}

/// Names of the Address_Set rows, read back.
pub fn select_sets() -> String {
    r#"{"op":"select","table":"Address_Set","where":[],"columns":["name"]}"#.to_string()
}

pub fn set_names(result: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = result[0]["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .filter_map(|r| r["name"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

pub fn select_ops(db: &str) -> String {
    let table = if db == "nb" { "NB_Global" } else { "SB_Global" };
    format!(r#"{{"op":"select","table":"{table}","where":[]}}"#)
}

/// A directory of shims for Pacemaker tools, recording their argv. A mock, and the only
/// one: these tests have no cluster (the namespace cluster tests use the real tools).
pub struct PcmkShim {
    pub dir: tempfile::TempDir,
}

impl PcmkShim {
    /// `crm_node -l` prints `members` (e.g. "1 node1 member\n2 node2 lost\n").
    pub fn new(members: &str) -> PcmkShim {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("calls.log");
        // crm_resource: only the agents' watchers call it (`--fail`). A stub that records
        // its argv stands in for Pacemaker ONLY because no cluster runs in cargo tests;
        // the namespace cluster (ocf-tests/cluster) checks the real one.
        // crm_attribute --type crm_config keeps cluster properties as files in cib/ (one
        // per name), as the CIB would: --update writes, --query prints (or --default).
        write_script(
            &dir.path().join("crm_attribute"),
            &format!(
                r#"#!/bin/sh
echo "crm_attribute $*" >> '{log}'
[ "$1 $2" = "--type crm_config" ] || exit 0
shift 2
name= query= update= default=
while [ $# -gt 0 ]; do
    case $1 in
    --name) name=$2; shift ;;
    --update) update=$2; query=; shift ;;
    --query) query=1 ;;
    --default=*) default=${{1#--default=}} ;;
    esac
    shift
done
mkdir -p '{cib}'
if [ -n "$query" ]; then
    if [ -f '{cib}'/"$name" ]; then cat '{cib}'/"$name"; echo; elif [ -n "$default" ]; then echo "$default"; else exit 105; fi
else
    printf '%s' "$update" > '{cib}'/"$name"
fi
exit 0
"#,
                log = log.display(),
                cib = dir.path().join("cib").display()
            ),
        );
        for tool in ["attrd_updater", "crm_resource"] {
            write_script(
                &dir.path().join(tool),
                &format!(
                    "#!/bin/sh\necho \"{tool} $*\" >> '{}'\nexit 0\n",
                    log.display()
                ),
            );
        }
        let shim = PcmkShim { dir };
        shim.set_members(members);
        shim.set_cmap("");
        shim
    }

    /// What `corosync-cmapctl` prints from now on (the agents read `nodelist.node`: every
    /// node's name and ring addresses); nothing at first. Corosync's tool, stubbed for
    /// the same reason as Pacemaker's.
    pub fn set_cmap(&self, text: &str) {
        write_script(
            &self.dir.path().join("corosync-cmapctl"),
            &format!(
                "#!/bin/sh\necho \"corosync-cmapctl $*\" >> '{}'\nprintf '{}'\nexit 0\n",
                self.dir.path().join("calls.log").display(),
                text.replace('\n', "\\n")
            ),
        );
    }

    /// What `crm_node -l` prints from now on: the cluster's view changed (a node lost).
    pub fn set_members(&self, members: &str) {
        write_script(
            &self.dir.path().join("crm_node"),
            &format!(
                "#!/bin/sh\necho \"crm_node $*\" >> '{}'\ncase \"$1\" in -l) printf '{}';; -n) echo node1;; esac\nexit 0\n",
                self.dir.path().join("calls.log").display(),
                members.replace('\n', "\\n")
            ),
        );
    }

    pub fn path_env(&self) -> String {
        format!(
            "{}:{}",
            self.dir.path().display(),
            std::env::var("PATH").unwrap_or_default()
        )
    }

    pub fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(self.dir.path().join("calls.log"))
            .unwrap_or_default()
            .lines()
            .map(String::from)
            .collect()
    }

    pub fn clear(&self) {
        let _ = std::fs::remove_file(self.dir.path().join("calls.log"));
    }

    /// A cluster property the agents wrote (`crm_attribute --type crm_config --update`).
    pub fn property(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.dir.path().join("cib").join(name)).ok()
    }

    /// Sets a cluster property, as another node's agent would have.
    pub fn set_property(&self, name: &str, value: &str) {
        let cib = self.dir.path().join("cib");
        std::fs::create_dir_all(&cib).unwrap();
        std::fs::write(cib.join(name), value).unwrap();
    }
}

/// Drops the server's end of a connection without telling its client (TCP_REPAIR:
/// closing a socket in repair mode sends nothing), as a node losing its power does.
pub fn vanish(server_end: TcpStream) {
    const TCP_REPAIR: i32 = 19;
    let on: i32 = 1;
    // SAFETY: setsockopt on an open socket with a pointer to a live int and its size.
    let rc = unsafe {
        nix::libc::setsockopt(
            std::os::fd::AsRawFd::as_raw_fd(&server_end),
            nix::libc::IPPROTO_TCP,
            TCP_REPAIR,
            (&on as *const i32).cast(),
            std::mem::size_of::<i32>() as nix::libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "TCP_REPAIR: {}", std::io::Error::last_os_error());
    drop(server_end);
}

/// Whether the client end `c` still believes in its connection: nothing to read and no
/// error (the peer neither closed nor reset it).
pub fn still_connected(c: &TcpStream) -> bool {
    c.set_nonblocking(true).unwrap();
    let r = (&*c).read(&mut [0u8; 1]);
    c.set_nonblocking(false).unwrap();
    matches!(r, Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// A client connection to `addr` whose server end vanished without telling it (a node
/// that served there lost its power), checked to be still connected on the client's side.
pub fn orphaned_client(addr: SocketAddr) -> TcpStream {
    let l = TcpListener::bind(addr).unwrap();
    let c = TcpStream::connect(addr).unwrap();
    vanish(l.accept().unwrap().0);
    drop(l);
    assert!(
        still_connected(&c),
        "the client must not have been told yet"
    );
    c
}

/// `c` is reset by its peer within 30 s (a deadline: an idle client that is never told
/// would wait forever).
pub fn assert_reset(c: &TcpStream) {
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let got = (&*c).read(&mut [0u8; 1]);
    assert!(
        matches!(got, Err(ref e) if e.kind() == std::io::ErrorKind::ConnectionReset),
        "the old connection must be reset, got {got:?}"
    );
}

/// Recurring monitors of `r` until the clients list that `kept` reads satisfies `ok`
/// (ovsdb-server accepts a connection in its own time); fails after 30 s.
pub fn monitor_until(r: &Res, kept: impl Fn() -> String, ok: impl Fn(&str) -> bool) {
    let t0 = Instant::now();
    loop {
        r.expect("monitor", 0);
        let list = kept();
        if ok(&list) {
            return;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(30),
            "clients list: {list:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Written beside and renamed over: a script rewritten while another process runs it.
fn write_script(p: &Path, body: &str) {
    use std::os::unix::fs::PermissionsExt;
    let tmp = p.with_extension("tmp");
    std::fs::write(&tmp, body).unwrap();
    std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::rename(&tmp, p).unwrap();
}

/// A throwaway CA and one certificate signed by it (openssl), for server and client.
pub fn make_pki(dir: &std::path::Path) -> [String; 3] {
    let p = |n: &str| dir.join(n).display().to_string();
    let run = |args: &[&str]| {
        let o = std::process::Command::new("openssl")
            .args(args)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "2",
        "-subj",
        "/CN=test-ca",
        "-keyout",
        &p("ca.key"),
        "-out",
        &p("ca.pem"),
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-subj",
        "/CN=127.0.0.1",
        "-keyout",
        &p("key.pem"),
        "-out",
        &p("req.pem"),
    ]);
    run(&[
        "x509",
        "-req",
        "-in",
        &p("req.pem"),
        "-CA",
        &p("ca.pem"),
        "-CAkey",
        &p("ca.key"),
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        &p("cert.pem"),
    ]);
    [p("key.pem"), p("cert.pem"), p("ca.pem")]
}

/// Debian's ovsdb-server serving `file` on a unix socket only, started directly (not by
/// our agent), for an independent look at what a file holds.
pub struct RawServer {
    child: Child,
    sock: PathBuf,
    _dir: tempfile::TempDir,
}

impl RawServer {
    pub fn start(file: &Path) -> RawServer {
        let dir = tempfile::tempdir().unwrap();
        let sock = dir.path().join("db.sock");
        let child = Command::new("ovsdb-server")
            .arg("-vconsole:off")
            .arg(format!("--remote=punix:{}", sock.display()))
            .arg(format!("--unixctl={}", dir.path().join("db.ctl").display()))
            .arg(file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // A socket file appears at bind(), before listen(): wait until both accept. The
        // database socket can answer before the control socket exists (CI once ran
        // ovn-appctl against a missing db.ctl), so both are waited for.
        let ctl = dir.path().join("db.ctl");
        let end = Instant::now() + Duration::from_secs(20);
        let mut child = child;
        while std::os::unix::net::UnixStream::connect(&sock).is_err()
            || std::os::unix::net::UnixStream::connect(&ctl).is_err()
        {
            assert!(
                child.try_wait().unwrap().is_none(),
                "ovsdb-server exited serving {}",
                file.display()
            );
            assert!(
                Instant::now() < end,
                "ovsdb-server did not come up on {}",
                file.display()
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        RawServer {
            child,
            sock,
            _dir: dir,
        }
    }

    /// One transaction (`ops`: the operations after the DB name); panics on an error
    /// reply, so a test never builds on a write that did not happen.
    pub fn transact(&self, db: &str, ops: &str) -> serde_json::Value {
        let r = rpc_unix(
            &self.sock,
            &format!(
                r#"{{"id":1,"method":"transact","params":["{}",{ops}]}}"#,
                schema_name(db)
            ),
        )
        .unwrap();
        let text = r.to_string();
        assert!(
            !text.contains("\"error\""),
            "{}: {}",
            ops.chars().take(200).collect::<String>(),
            text.chars().take(300).collect::<String>()
        );
        r
    }

    pub fn names(&self, db: &str) -> Vec<String> {
        set_names(&self.transact(db, &select_sets()))
    }

    /// Its unix socket (for ovn-nbctl --db=unix:...).
    pub fn sock(&self) -> &Path {
        &self.sock
    }

    /// How many rows `table` of `db` holds, as the server says.
    pub fn count(&self, db: &str, table: &str) -> u64 {
        let r = self.transact(
            db,
            &format!(r#"{{"op":"select","table":"{table}","where":[],"columns":["_uuid"]}}"#),
        );
        r[0]["rows"].as_array().map_or(0, |a| a.len() as u64)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

pub const NB_SCHEMA: &str = "/usr/share/ovn/ovn-nb.ovsschema";
pub const SB_SCHEMA: &str = "/usr/share/ovn/ovn-sb.ovsschema";

/// The installed OVN schema of db "nb" or "sb".
pub fn schema_file(db: &str) -> &'static str {
    if db == "nb" { NB_SCHEMA } else { SB_SCHEMA }
}

/// An empty standalone database `file` from `schema` (`ovsdb-tool create`).
pub fn create_db(file: &Path, schema: &str) {
    let st = Command::new("ovsdb-tool")
        .arg("create")
        .arg(file)
        .arg(schema)
        .status()
        .unwrap();
    assert!(
        st.success(),
        "ovsdb-tool create {} {schema}",
        file.display()
    );
}

/// The state letter of a process in /proc (R, S, T, Z, ...), if it exists.
pub fn proc_state(pid: i32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

// ------------------------------------------------------- what a database file served

impl Res {
    /// `.<db file>.<what>`, the agent's files beside the database.
    fn beside_db(&self, what: &str) -> PathBuf {
        let db = self.db_file();
        let name = db.file_name().unwrap().to_str().unwrap();
        db.with_file_name(format!(".{name}.{what}"))
    }

    /// The owner record beside the database, as JSON, if there is one.
    pub fn owner_record(&self) -> Option<serde_json::Value> {
        let b = std::fs::read(self.beside_db("owner")).ok()?;
        serde_json::from_slice(&b).ok()
    }

    /// What a clean stop left beside the database (`.<db file>.served`), as JSON.
    pub fn released(&self) -> Option<serde_json::Value> {
        let b = std::fs::read(self.beside_db("served")).ok()?;
        Some(serde_json::from_slice(&b).unwrap())
    }

    /// Waits (bounded: a failure, never a timing assertion) until the lease keeper has
    /// recorded the database file at its present size and inode.
    pub fn wait_keeper_recorded(&self) -> (u64, u64) {
        use std::os::unix::fs::MetadataExt;
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let m = std::fs::metadata(self.db_file()).unwrap();
            let rec = self.owner_record().unwrap_or_default();
            if rec["served"]["size"] == m.len() && rec["served"]["ino"] == m.ino() {
                return (m.ino(), m.len());
            }
            assert!(
                Instant::now() < end,
                "the keeper never recorded {} bytes (inode {}): {rec}",
                m.len(),
                m.ino()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// The lease keeper's pid, from the state file.
    pub fn keeper_pid(&self) -> i32 {
        let st: serde_json::Value = serde_json::from_slice(
            &std::fs::read(
                self.run_dir()
                    .join(format!("{}.ovn-ocf.state", self.base())),
            )
            .unwrap(),
        )
        .unwrap();
        st["keeper"].as_i64().expect("a keeper pid in the state") as i32
    }

    /// The `.bak` files in the default backup directory, oldest first.
    pub fn backups(&self) -> Vec<PathBuf> {
        let dir = self.db_file().with_file_name("ovn-ocf-backups");
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        v.retain(|p| p.to_string_lossy().ends_with(".bak"));
        v.sort();
        v
    }

    /// The newest repair report in the default backup directory.
    pub fn newest_report(&self) -> serde_json::Value {
        let dir = self.db_file().with_file_name("ovn-ocf-backups");
        let mut reports: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.to_string_lossy().ends_with(".report.json"))
            .collect();
        reports.sort();
        let newest = reports.last().expect("a report");
        serde_json::from_slice(&std::fs::read(newest).unwrap()).unwrap()
    }
}

/// Cuts `file` in place (the same inode) after its first record, the schema, as a lost
/// page-cache tail or an operator's truncation leaves it; returns what is left. The record
/// is parsed here, independently of the code under test.
pub fn truncate_to_schema(file: &Path) -> Vec<u8> {
    let bytes = std::fs::read(file).unwrap();
    let nl = bytes.iter().position(|b| *b == b'\n').unwrap();
    let header = std::str::from_utf8(&bytes[..nl]).unwrap();
    let len: usize = header.split(' ').nth(2).unwrap().parse().unwrap();
    let end = nl + 1 + len;
    assert!(
        end < bytes.len(),
        "{} holds its schema only",
        file.display()
    );
    let f = std::fs::OpenOptions::new().write(true).open(file).unwrap();
    f.set_len(end as u64).unwrap();
    f.sync_all().unwrap();
    bytes[..end].to_vec()
}

/// The inode of `file`.
pub fn inode(file: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(file).unwrap().ino()
}

/// `ovs-appctl -t CTL ARGS...`, asserted to succeed; its stdout.
pub fn ovs_appctl(ctl: &Path, args: &[&str]) -> String {
    let o = Command::new("ovs-appctl")
        .arg("-t")
        .arg(ctl)
        .args(args)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "ovs-appctl {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Sends one transaction inserting `rows` logical switches on the NB's local socket and
/// returns the open connection without waiting: ovsdb-server then computes for seconds
/// (100,000 rows: ~7 s on a loaded 2-core machine) without answering its control socket,
/// as a server under load does between two turns of its main loop.
pub fn make_busy(r: &Res, rows: usize) -> std::os::unix::net::UnixStream {
    use std::io::Write;
    let ops: Vec<serde_json::Value> = (0..rows)
        .map(|i| {
            serde_json::json!({"op": "insert", "table": "Logical_Switch",
                               "row": {"name": format!("busy{i}")}})
        })
        .collect();
    let mut params = vec![serde_json::json!("OVN_Northbound")];
    params.extend(ops);
    let req = serde_json::json!({"id": 1, "method": "transact", "params": params});
    let sock = r.run_dir().join(format!("{}.sock", r.base()));
    let mut s = std::os::unix::net::UnixStream::connect(sock).unwrap();
    s.write_all(&serde_json::to_vec(&req).unwrap()).unwrap();
    s
}

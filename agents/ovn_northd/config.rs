//! The ovn-northd agent's typed configuration: decoded once from the parameter table, the
//! rules between parameters, the run-time file names and northd's command line. No I/O
//! except in `resolve`.

use std::path::PathBuf;

use ovn_ocf::ocf::Failure;
use ovn_ocf::ocf::params::{AgentSpec, Values};

use super::params::SPEC;
use crate::framework::{Agent, Ctx, DaemonSpec, Instance, require_files, require_program};

#[derive(Debug, Clone)]
pub struct Config {
    pub nb: String,
    pub sb: String,
    pub ssl_files: Option<[PathBuf; 3]>,
    pub run_dir: PathBuf,
    pub log_file: PathBuf,
    pub n_threads: Option<i64>,
    pub ovn_northd: String,
}

const SSL_PARAMS: [&str; 3] = ["ssl_private_key", "ssl_certificate", "ssl_ca_cert"];

impl Agent for Config {
    const SPEC: &'static AgentSpec = &SPEC;
    fn instance<'a>(&'a self, cx: &'a Ctx<'a>) -> Instance<'a> {
        Instance::new(cx, self.state_file(), &self.run_dir, self.daemon_spec())
    }

    fn configure(v: &Values) -> Result<Config, Failure> {
        let mut files = Vec::new();
        for name in SSL_PARAMS {
            if let Some(f) = v.opt::<PathBuf>(name)? {
                files.push(f);
            }
        }
        let ssl_files = match <[PathBuf; 3]>::try_from(files) {
            Ok(f) => Some(f),
            Err(f) if f.is_empty() => None,
            Err(_) => {
                return Err(Failure::configured(
                    "ssl_private_key, ssl_certificate and ssl_ca_cert go together: set all three or none",
                ));
            }
        };
        let cfg = Config {
            nb: v.get("nb_connection")?,
            sb: v.get("sb_connection")?,
            ssl_files,
            run_dir: v.get("run_dir")?,
            log_file: v.get("log_file")?,
            n_threads: v.opt("n_threads")?,
            ovn_northd: v.get::<PathBuf>("ovn_northd")?.display().to_string(),
        };
        let uses_ssl = |c: &str| c.split(',').any(|r| r.starts_with("ssl:"));
        if cfg.ssl_files.is_none() && (uses_ssl(&cfg.nb) || uses_ssl(&cfg.sb)) {
            return Err(Failure::configured(
                "ssl: connections need ssl_private_key, ssl_certificate and ssl_ca_cert",
            ));
        }
        Ok(cfg)
    }

    /// The binary and the SSL files.
    fn resolve(&self) -> Result<(), Failure> {
        require_program(
            "ovn_northd",
            &self.ovn_northd,
            " (is ovn-central installed?)",
        )?;
        let files = self.ssl_files.iter().flatten().map(PathBuf::as_path);
        require_files(SSL_PARAMS.into_iter().zip(files))
    }
}

impl Config {
    pub fn pidfile(&self) -> PathBuf {
        self.run_dir.join("ovn-northd.pid")
    }
    /// ovn-northd's default control socket name in its run dir (`OVN_RUNDIR`).
    pub fn ctl(&self, pid: i32) -> PathBuf {
        self.run_dir.join(format!("ovn-northd.{pid}.ctl"))
    }
    pub fn state_file(&self) -> PathBuf {
        self.run_dir.join("ovn-northd.ovn-ocf.state")
    }
    pub fn pidfile_arg(&self) -> String {
        format!("--pidfile={}", self.pidfile().display())
    }

    /// The ovn-northd this resource runs, as /proc and its watcher know it.
    pub fn daemon_spec(&self) -> DaemonSpec {
        DaemonSpec {
            comm: "ovn-northd",
            pidfile: self.pidfile(),
            marker: self.pidfile_arg(),
            log_file: self.log_file.clone(),
            died_attr: super::DIED_ATTR.to_string(),
        }
    }

    pub fn args(&self, paused: bool) -> Vec<String> {
        let mut a = vec![
            "-vconsole:off".to_string(),
            "-vfile:info".to_string(),
            format!("--log-file={}", self.log_file.display()),
            self.pidfile_arg(),
            format!("--ovnnb-db={}", self.nb),
            format!("--ovnsb-db={}", self.sb),
        ];
        if let Some([k, c, ca]) = &self.ssl_files {
            a.push(format!("--private-key={}", k.display()));
            a.push(format!("--certificate={}", c.display()));
            a.push(format!("--ca-cert={}", ca.display()));
        }
        if let Some(n) = self.n_threads {
            a.push(format!("--n-threads={n}"));
        }
        if paused {
            a.push("--dry-run".into());
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framework::config_of;

    fn cfg(pairs: &[(&str, &str)]) -> Result<Config, Failure> {
        config_of(pairs)
    }

    #[test]
    fn defaults_and_args() {
        let c = cfg(&[]).unwrap();
        assert_eq!(c.nb, "unix:/var/run/ovn/ovnnb_db.sock");
        assert_eq!(c.pidfile(), PathBuf::from("/var/run/ovn/ovn-northd.pid"));
        assert_eq!(c.ctl(42), PathBuf::from("/var/run/ovn/ovn-northd.42.ctl"));
        assert!(c.args(true).contains(&"--dry-run".to_string()));
        assert!(!c.args(false).contains(&"--dry-run".to_string()));
        let c = cfg(&[("n_threads", "4")]).unwrap();
        assert!(c.args(false).contains(&"--n-threads=4".to_string()));
    }
    #[test]
    fn ssl_rules() {
        assert!(cfg(&[("sb_connection", "ssl:127.0.0.1:6642")]).is_err());
        assert!(cfg(&[("ssl_private_key", "/k")]).is_err());
        let c = cfg(&[
            ("sb_connection", "ssl:127.0.0.1:6642"),
            ("ssl_private_key", "/k"),
            ("ssl_certificate", "/c"),
            ("ssl_ca_cert", "/ca"),
        ])
        .unwrap();
        assert!(c.args(false).contains(&"--ca-cert=/ca".to_string()));
    }
}

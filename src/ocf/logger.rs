//! Logging the ocf-shellfuncs way: tag `agent(instance)[pid]`; `HA_LOGFACILITY` (not `none`)
//! sends to syslog, `HA_LOGFILE` appends to a file, `HA_debug`/`HA_DEBUGLOG` enable debug,
//! otherwise stderr (execd copies it into pacemaker.log).
//!
//! Never fails an action: a destination that cannot be written falls back to stderr, and a
//! failed stderr write is ignored.

use std::io::Write;
use std::os::unix::net::UnixDatagram;
use std::sync::Mutex;

use super::env_var;

pub struct OcfLogger {
    tag: String,
    debug: bool,
    file: Option<Mutex<std::fs::File>>,
    debug_file: Option<Mutex<std::fs::File>>,
    syslog: Option<(UnixDatagram, u8)>,
}

fn facility_code(name: &str) -> Option<u8> {
    Some(match name.to_ascii_lowercase().as_str() {
        "kern" => 0,
        "user" => 1,
        "mail" => 2,
        "daemon" => 3,
        "auth" => 4,
        "syslog" => 5,
        "lpr" => 6,
        "news" => 7,
        "uucp" => 8,
        "cron" => 9,
        "authpriv" => 10,
        "ftp" => 11,
        "local0" => 16,
        "local1" => 17,
        "local2" => 18,
        "local3" => 19,
        "local4" => 20,
        "local5" => 21,
        "local6" => 22,
        "local7" => 23,
        _ => return None,
    })
}

fn open_append(path: &str) -> Option<Mutex<std::fs::File>> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .ok()
        .map(Mutex::new)
}

impl OcfLogger {
    pub fn from_env(agent: &str) -> OcfLogger {
        let instance = env_var("OCF_RESOURCE_INSTANCE").unwrap_or_else(|| agent.to_string());
        let tag = format!("{agent}({instance})[{}]", std::process::id());
        let debug = env_var("HA_debug").is_some_and(|v| v != "0")
            || env_var("HA_DEBUGLOG").is_some()
            || env_var("OCF_TRACE_RA").is_some_and(|v| v != "0");
        let syslog = env_var("HA_LOGFACILITY")
            .filter(|f| f != "none")
            .and_then(|f| facility_code(&f))
            .and_then(|code| {
                let sock = UnixDatagram::unbound().ok()?;
                sock.connect("/dev/log").ok()?;
                Some((sock, code))
            });
        OcfLogger {
            tag,
            debug,
            file: env_var("HA_LOGFILE").and_then(|p| open_append(&p)),
            debug_file: env_var("HA_DEBUGLOG").and_then(|p| open_append(&p)),
            syslog,
        }
    }

    /// Installs this logger as the `log` crate's sink. Safe to call more than once.
    pub fn install(self) {
        let level = if self.debug {
            log::LevelFilter::Debug
        } else {
            log::LevelFilter::Info
        };
        if log::set_boxed_logger(Box::new(self)).is_ok() {
            log::set_max_level(level);
        }
    }

    fn level_word(level: log::Level) -> &'static str {
        match level {
            log::Level::Error => "ERROR",
            log::Level::Warn => "WARNING",
            log::Level::Info => "INFO",
            log::Level::Debug | log::Level::Trace => "DEBUG",
        }
    }
}

impl log::Log for OcfLogger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        metadata.level() <= log::Level::Info || self.debug
    }

    fn log(&self, record: &log::Record) {
        if !self.enabled(record.metadata()) {
            return;
        }
        let word = Self::level_word(record.level());
        let msg = format!("{}", record.args());
        let mut delivered = false;
        if let Some((sock, facility)) = &self.syslog {
            let severity = match record.level() {
                log::Level::Error => 3,
                log::Level::Warn => 4,
                log::Level::Info => 6,
                _ => 7,
            };
            let line = format!("<{}>{}: {word}: {msg}", facility * 8 + severity, self.tag);
            delivered |= sock.send(line.as_bytes()).is_ok();
        }
        let file = if record.level() >= log::Level::Debug && self.debug_file.is_some() {
            &self.debug_file
        } else {
            &self.file
        };
        if let Some(f) = file
            && let Ok(mut f) = f.lock()
        {
            let now = super::time::utc_stamp(std::time::SystemTime::now());
            delivered |= writeln!(f, "{} {now}: {word}: {msg}", self.tag).is_ok();
        }
        if !delivered {
            let _ = writeln!(std::io::stderr(), "{}: {word}: {msg}", self.tag);
        }
    }

    fn flush(&self) {}
}

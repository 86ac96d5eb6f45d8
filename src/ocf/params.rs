//! Parameter tables: one table per agent declares every parameter once (type, choices,
//! default, description), and everything else is derived from it: meta-data XML, parsing of
//! `OCF_RESKEY_*`, the syntactic half of validate-all, the README tables and man pages.
//!
//! Parsing here does no I/O (parse, then resolve): checks that touch the system (files
//! exist, binaries installed) belong to the agent's resolve step.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use super::{Failure, env_var, parse_bool};

/// The longest value any parameter accepts. PATH_MAX is 4096; nothing here needs more.
pub const MAX_VALUE_LEN: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// An absolute path of conservative characters (no spaces, quotes or shell syntax).
    AbsPath,
    /// A TCP port, 1..=65535.
    Port,
    /// An IPv4 or IPv6 literal.
    IpAddr,
    /// An integer in a closed range.
    Integer {
        min: i64,
        max: i64,
    },
    Boolean,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
    /// OVSDB active remotes, comma-separated: `unix:/abs/path`, `tcp:IP:PORT`,
    /// `ssl:IP:PORT` (IPv6 in brackets).
    Remote,
    /// A command line, split into argv without a shell (see [`split_command`]); the
    /// program is an absolute path.
    Command,
    /// Cluster nodes and an address of each: `node=IP` words separated by blanks or commas,
    /// node names of letters, digits, `.`, `_` and `-`; no node or address twice.
    NodeAddrs,
}

impl Kind {
    /// The meta-data content type (`string`, `integer` or `boolean`), also in man pages.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Boolean => "boolean",
            Kind::Port | Kind::Integer { .. } => "integer",
            _ => "string",
        }
    }
}

/// Where a parameter's default comes from. Written here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Default {
    None,
    Fixed(&'static str),
    /// Depends on another (Choice) parameter's value, e.g. `db_file` on `db`.
    By {
        param: &'static str,
        values: &'static [(&'static str, &'static str)],
    },
    /// `name` in the directory of another (path) parameter, e.g. backups beside db_file.
    Beside {
        param: &'static str,
        name: &'static str,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: Kind,
    pub default: Default,
    pub required: bool,
    /// Parameters with `unique` set must differ between resources of this agent.
    pub unique: bool,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
}

impl ParamSpec {
    /// An optional parameter that may be the same in every resource; `.required()` and
    /// `.unique()` say otherwise.
    pub const fn new(
        name: &'static str,
        kind: Kind,
        default: Default,
        shortdesc: &'static str,
        longdesc: &'static str,
    ) -> ParamSpec {
        ParamSpec {
            name,
            kind,
            default,
            required: false,
            unique: false,
            shortdesc,
            longdesc,
        }
    }

    pub const fn required(self) -> ParamSpec {
        ParamSpec {
            required: true,
            ..self
        }
    }

    pub const fn unique(self) -> ParamSpec {
        ParamSpec {
            unique: true,
            ..self
        }
    }
}

/// An action as advertised in meta-data.
#[derive(Debug, Clone, Copy)]
pub struct ActionSpec {
    pub name: &'static str,
    pub timeout_s: u64,
    pub interval_s: Option<u64>,
    pub depth: Option<u32>,
    pub role: Option<&'static str>,
}

impl ActionSpec {
    /// An action without interval, depth or role.
    pub const fn plain(name: &'static str, timeout_s: u64) -> ActionSpec {
        ActionSpec {
            name,
            timeout_s,
            interval_s: None,
            depth: None,
            role: None,
        }
    }

    /// A depth-0 recurring monitor, for a role or for a primitive (None).
    pub const fn monitor(interval_s: u64, role: Option<&'static str>) -> ActionSpec {
        ActionSpec {
            name: "monitor",
            timeout_s: 20,
            interval_s: Some(interval_s),
            depth: Some(0),
            role,
        }
    }
}

/// The actions of an agent that runs as a primitive or as a promotable clone, with its
/// own start/stop/promote/demote timeouts (s). Promoted and unpromoted monitors get
/// different intervals, as Pacemaker requires.
pub const fn promotable_actions(
    start_s: u64,
    stop_s: u64,
    promote_s: u64,
    demote_s: u64,
) -> [ActionSpec; 11] {
    [
        ActionSpec::plain("start", start_s),
        ActionSpec::plain("stop", stop_s),
        ActionSpec::plain("promote", promote_s),
        ActionSpec::plain("demote", demote_s),
        ActionSpec::monitor(10, None),
        ActionSpec::monitor(9, Some("Promoted")),
        ActionSpec::monitor(11, Some("Unpromoted")),
        ActionSpec::plain("notify", 20),
        ActionSpec::plain("validate-all", 20),
        ActionSpec::plain("meta-data", 5),
        ActionSpec::plain("usage", 5),
    ]
}

/// Everything meta-data says about an agent.
#[derive(Debug)]
pub struct AgentSpec {
    pub name: &'static str,
    pub shortdesc: &'static str,
    pub longdesc: &'static str,
    pub params: &'static [ParamSpec],
    pub actions: &'static [ActionSpec],
}

/// A parameter's value, decoded once from its raw text by [`check_value`] into the type
/// its kind stands for. Agents take them out typed with [`Values::get`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Path(PathBuf),
    Port(u16),
    Ip(IpAddr),
    Int(i64),
    Bool(bool),
    /// One of the table's words (its own `&'static str`).
    Choice(&'static str),
    /// OVSDB remotes, as given (checked).
    Remote(String),
    /// A command line split into argv, the program an absolute path.
    Command(Vec<String>),
    /// (node, address) pairs in the order given.
    NodeAddrs(Vec<(String, IpAddr)>),
}

/// A Rust type a parameter decodes into. The table's kind says which [`Value`] a parameter
/// holds; this says which Rust type that is. A mismatch between the two is a bug in an
/// agent's table, caught by the agents' table tests.
pub trait FromValue: Sized {
    /// What the type is, for the reason of a mismatch.
    const WHAT: &'static str;
    fn from_value(v: &Value) -> Option<Self>;
}

/// An enum whose variants are a `Kind::Choice` parameter's words: the same clap
/// `ValueEnum` the operator CLI parses its options with.
pub trait ChoiceParam: clap::ValueEnum {}

impl<T: ChoiceParam> FromValue for T {
    const WHAT: &'static str = "a choice";
    fn from_value(v: &Value) -> Option<T> {
        match v {
            Value::Choice(w) => T::from_str(w, false).ok(),
            _ => None,
        }
    }
}

/// The words of a choice enum, in declaration order (for tests that hold a table's
/// `Kind::Choice` against the enum it decodes into).
pub fn choice_words<T: ChoiceParam>() -> Vec<String> {
    T::value_variants()
        .iter()
        .filter_map(|v| v.to_possible_value())
        .map(|p| p.get_name().to_string())
        .collect()
}

macro_rules! from_value {
    ($t:ty, $what:literal, $pat:pat => $out:expr) => {
        impl FromValue for $t {
            const WHAT: &'static str = $what;
            fn from_value(v: &Value) -> Option<$t> {
                match v {
                    $pat => Some($out),
                    _ => None,
                }
            }
        }
    };
}
from_value!(PathBuf, "a path", Value::Path(p) => p.clone());
from_value!(u16, "a port", Value::Port(p) => *p);
from_value!(IpAddr, "an address", Value::Ip(a) => *a);
from_value!(i64, "an integer", Value::Int(i) => *i);
from_value!(bool, "a boolean", Value::Bool(b) => *b);
from_value!(String, "a remote", Value::Remote(r) => r.clone());
from_value!(Vec<String>, "a command", Value::Command(argv) => argv.clone());
from_value!(Vec<(String, IpAddr)>, "node addresses", Value::NodeAddrs(n) => n.clone());

/// The parsed parameters of one invocation: every declared parameter that is set or has a
/// default, already checked against its kind and decoded.
#[derive(Debug, Clone, Default)]
pub struct Values {
    map: BTreeMap<&'static str, Value>,
}

impl Values {
    /// The value of a parameter that is set or has a default, as `T`. Unset is the
    /// reason "required parameter ... is not set".
    pub fn get<T: FromValue>(&self, name: &str) -> Result<T, Failure> {
        self.opt(name)?
            .ok_or_else(|| Failure::configured(format!("required parameter {name} is not set")))
    }

    /// The value of an optional parameter (no default), as `T`.
    pub fn opt<T: FromValue>(&self, name: &str) -> Result<Option<T>, Failure> {
        match self.map.get(name) {
            None => Ok(None),
            Some(v) => T::from_value(v).map(Some).ok_or_else(|| {
                Failure::configured(format!(
                    "parameter {name}: the agent's table does not give {} ({v:?})",
                    T::WHAT
                ))
            }),
        }
    }

    /// Whether a parameter is set or has a default.
    pub fn has(&self, name: &str) -> bool {
        self.map.contains_key(name)
    }

    /// A parameter's value as text, as the table's defaults and the environment spell it.
    pub fn text(&self, name: &str) -> Option<String> {
        self.map.get(name).map(|v| match v {
            Value::Path(p) => p.display().to_string(),
            Value::Port(p) => p.to_string(),
            Value::Ip(a) => a.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Bool(b) => b.to_string(),
            Value::Choice(w) => w.to_string(),
            Value::Remote(r) => r.clone(),
            Value::Command(argv) => argv.join(" "),
            Value::NodeAddrs(n) => n
                .iter()
                .map(|(node, a)| format!("{node}={a}"))
                .collect::<Vec<_>>()
                .join(" "),
        })
    }
}

fn path_char_ok(c: char) -> bool {
    c.is_ascii_alphanumeric() || "/._-+@=,~:".contains(c)
}

/// Checks one raw value against its kind; the reason names the parameter and the problem.
pub fn check_value(spec: &ParamSpec, raw: &str) -> Result<Value, Failure> {
    let name = spec.name;
    let bad = |why: String| Failure::configured(format!("parameter {name}: {why}"));
    if raw.len() > MAX_VALUE_LEN {
        return Err(bad(format!(
            "value is {} bytes long, more than {MAX_VALUE_LEN}",
            raw.len()
        )));
    }
    let shown: String = raw.chars().take(64).collect();
    let shown = shown.escape_debug();
    match spec.kind {
        Kind::AbsPath => {
            if !raw.starts_with('/') {
                return Err(bad(format!("\"{shown}\" is not an absolute path")));
            }
            if let Some(c) = raw.chars().find(|c| !path_char_ok(*c)) {
                return Err(bad(format!(
                    "\"{shown}\" contains '{}', which is not allowed in a path here",
                    c.escape_debug()
                )));
            }
            if raw.split('/').any(|seg| seg == "..") {
                return Err(bad(format!("\"{shown}\" contains a '..' component")));
            }
            Ok(Value::Path(PathBuf::from(raw)))
        }
        Kind::Port => match raw.parse::<u32>() {
            Ok(p) if (1..=65535).contains(&p) => Ok(Value::Port(p as u16)),
            _ => Err(bad(format!("\"{shown}\" is not a TCP port (1-65535)"))),
        },
        Kind::IpAddr => match raw.parse::<IpAddr>() {
            Ok(ip) => Ok(Value::Ip(ip)),
            Err(_) => Err(bad(format!(
                "\"{shown}\" is not an IPv4 or IPv6 address literal"
            ))),
        },
        Kind::Integer { min, max } => match raw.parse::<i64>() {
            Ok(i) if (min..=max).contains(&i) => Ok(Value::Int(i)),
            _ => Err(bad(format!(
                "\"{shown}\" is not an integer between {min} and {max}"
            ))),
        },
        Kind::Boolean => parse_bool(raw)
            .map(Value::Bool)
            .ok_or_else(|| bad(format!("\"{shown}\" is not a boolean (true/false)"))),
        Kind::Command => {
            let argv = split_command(raw).map_err(|why| bad(format!("\"{shown}\": {why}")))?;
            let prog = &argv[0];
            if !prog.starts_with('/') || prog.chars().any(|c| !path_char_ok(c)) {
                return Err(bad(format!(
                    "the program {:?} must be an absolute path",
                    prog.chars().take(64).collect::<String>()
                )));
            }
            Ok(Value::Command(argv))
        }
        Kind::Remote => {
            for r in raw.split(',') {
                // check_remote quotes the remote itself (bounded).
                check_remote(r).map_err(bad)?;
            }
            Ok(Value::Remote(raw.to_string()))
        }
        Kind::NodeAddrs => parse_node_addrs(raw)
            .map(Value::NodeAddrs)
            .map_err(|why| bad(format!("\"{shown}\": {why}"))),
        Kind::Choice(choices) => {
            if let Some(word) = choices.iter().find(|c| **c == raw) {
                Ok(Value::Choice(word))
            } else {
                Err(bad(format!(
                    "\"{shown}\" is not one of {}",
                    choices.join(", ")
                )))
            }
        }
    }
}

/// `node=IP` words separated by blanks or commas (IPv6 bare or in brackets).
pub fn parse_node_addrs(raw: &str) -> Result<Vec<(String, IpAddr)>, String> {
    let mut out: Vec<(String, IpAddr)> = vec![];
    for word in raw.split([' ', '\t', ',']).filter(|w| !w.is_empty()) {
        let (node, addr) = word.split_once('=').ok_or_else(|| {
            format!(
                "{:?} is not node=address",
                word.chars().take(64).collect::<String>()
            )
        })?;
        let node_ok = !node.is_empty()
            && node.len() <= 255
            && node
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
        if !node_ok {
            return Err(format!(
                "{:?} is not a node name (letters, digits, '.', '_', '-')",
                node.chars().take(64).collect::<String>()
            ));
        }
        let bare = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let ip: IpAddr = bare.parse().map_err(|_| {
            format!(
                "{:?} (for {node}) is not an IPv4 or IPv6 address literal",
                addr.chars().take(64).collect::<String>()
            )
        })?;
        if ip.is_unspecified() || ip.is_multicast() {
            return Err(format!("{ip} (for {node}) is not a node's address"));
        }
        if out.iter().any(|(n, _)| n == node) {
            return Err(format!("node {node} is named twice"));
        }
        if let Some((other, _)) = out.iter().find(|(_, a)| *a == ip) {
            return Err(format!("{node} and {other} have the same address {ip}"));
        }
        out.push((node.to_string(), ip));
    }
    if out.is_empty() {
        return Err("names no node".into());
    }
    Ok(out)
}

/// Splits a command line into argv the way an operator expects from a simple command,
/// without a shell: words separated by blanks, '...' and "..." group words. Anything that
/// would mean something to a shell (`;|&$`<>(){}*?!\`, newlines) is refused with a reason
/// rather than passed on literally, since it would not do what the operator meant.
pub fn split_command(s: &str) -> Result<Vec<String>, String> {
    let mut argv = vec![];
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote: Option<char> = None;
    for c in s.chars() {
        if c.is_control() {
            return Err("contains a control character (newline?)".into());
        }
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) if c == '$' || c == '`' || c == '\\' => {
                return Err(format!(
                    "'{c}' is not expanded here (no shell runs this); use a script"
                ));
            }
            Some(_) => cur.push(c),
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                in_word = true;
            }
            None if c == ' ' || c == '\t' => {
                if in_word {
                    argv.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            None if ";|&$`<>(){}*?!\\~#".contains(c) => {
                return Err(format!(
                    "'{c}' would need a shell, and none runs this; use a script"
                ));
            }
            None => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unbalanced quote".into());
    }
    if in_word {
        argv.push(cur);
    }
    if argv.is_empty() {
        return Err("empty command".into());
    }
    Ok(argv)
}

/// At most 64 characters of a value, escaped and quoted, for a reason line.
fn excerpt(s: &str) -> String {
    let t: String = s.chars().take(64).collect();
    let more = if t.len() < s.len() { "..." } else { "" };
    format!("\"{}\"{more}", t.escape_debug())
}

/// One active OVSDB remote: `unix:/abs/path`, `tcp:IP:PORT` or `ssl:IP:PORT`.
pub fn check_remote(r: &str) -> Result<(), String> {
    if let Some(path) = r.strip_prefix("unix:") {
        if !path.starts_with('/') {
            return Err(format!(
                "unix socket path in {} is not absolute",
                excerpt(r)
            ));
        }
        if let Some(c) = path.chars().find(|c| !path_char_ok(*c) || *c == ',') {
            return Err(format!(
                "socket path in {} contains {c:?}, which is not allowed",
                excerpt(r)
            ));
        }
        return Ok(());
    }
    let rest = r
        .strip_prefix("tcp:")
        .or_else(|| r.strip_prefix("ssl:"))
        .ok_or_else(|| {
            format!(
                "{} is not unix:PATH, tcp:IP:PORT or ssl:IP:PORT",
                excerpt(r)
            )
        })?;
    let (host, port) = rest
        .rsplit_once(':')
        .ok_or_else(|| format!("{} lacks a port", excerpt(r)))?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .map(|h| h.parse::<std::net::Ipv6Addr>().map(|_| ()).map_err(|_| ()))
        .unwrap_or_else(|| {
            host.parse::<std::net::Ipv4Addr>()
                .map(|_| ())
                .map_err(|_| ())
        });
    host.map_err(|_| {
        format!(
            "{} needs an IP address literal (IPv6 in brackets)",
            excerpt(r)
        )
    })?;
    match port.parse::<u32>() {
        Ok(p) if (1..=65535).contains(&p) => Ok(()),
        _ => Err(format!("{} has a bad port", excerpt(r))),
    }
}

impl AgentSpec {
    pub fn param(&self, name: &str) -> Option<&ParamSpec> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn action(&self, name: &str) -> Option<&ActionSpec> {
        self.actions.iter().find(|a| a.name == name)
    }

    /// The default of `spec` given the values parsed so far (for `Default::By`/`Beside`).
    pub fn default_of(&self, spec: &ParamSpec, so_far: &Values) -> Option<String> {
        match spec.default {
            Default::None => None,
            Default::Fixed(v) => Some(v.to_string()),
            Default::Beside { param, name } => {
                let Some(Value::Path(other)) = so_far.map.get(param) else {
                    return None;
                };
                Some(other.parent()?.join(name).display().to_string())
            }
            Default::By { param, values } => {
                let Some(Value::Choice(key)) = so_far.map.get(param) else {
                    return None;
                };
                values
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, v)| v.to_string())
            }
        }
    }

    /// Parses parameters with a lookup function (the environment in production, a map in
    /// tests). Parameters are taken in table order so `Default::By` sees its selector.
    pub fn parse_with(&self, lookup: impl Fn(&str) -> Option<String>) -> Result<Values, Failure> {
        let mut values = Values::default();
        for spec in self.params {
            let raw = lookup(spec.name).filter(|v| !v.is_empty());
            let raw = match raw.or_else(|| self.default_of(spec, &values)) {
                Some(r) => r,
                None if spec.required => {
                    return Err(Failure::configured(format!(
                        "required parameter {} is not set",
                        spec.name
                    )));
                }
                None => continue,
            };
            let v = check_value(spec, &raw)?;
            values.map.insert(spec.name, v);
        }
        Ok(values)
    }

    /// Parses `OCF_RESKEY_<name>` for every declared parameter; empty means unset.
    pub fn parse_env(&self) -> Result<Values, Failure> {
        self.parse_with(|name| env_var(&format!("OCF_RESKEY_{name}")))
    }

    /// The OCF meta-data document. Valid against both ra-api-1.dtd and metadata.rng:
    /// content types string/integer/boolean only, roles Promoted/Unpromoted, lang on
    /// every description.
    pub fn meta_data(&self, version: &str) -> String {
        use quick_xml::escape::escape;
        let mut x = String::new();
        x.push_str("<?xml version=\"1.0\"?>\n");
        x.push_str("<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\">\n");
        x.push_str(&format!(
            "<resource-agent name=\"{}\" version=\"{}\">\n",
            escape(self.name),
            escape(version)
        ));
        x.push_str("<version>1.1</version>\n");
        x.push_str(&format!(
            "<longdesc lang=\"en\">\n{}\n</longdesc>\n",
            escape(self.longdesc.trim())
        ));
        x.push_str(&format!(
            "<shortdesc lang=\"en\">{}</shortdesc>\n",
            escape(self.shortdesc)
        ));
        x.push_str("<parameters>\n");
        for p in self.params {
            x.push_str(&format!(
                "<parameter name=\"{}\" unique=\"{}\" required=\"{}\">\n",
                p.name, p.unique as u8, p.required as u8
            ));
            x.push_str(&format!(
                "<longdesc lang=\"en\">\n{}\n</longdesc>\n",
                escape(self.full_longdesc(p))
            ));
            x.push_str(&format!(
                "<shortdesc lang=\"en\">{}</shortdesc>\n",
                escape(p.shortdesc)
            ));
            let ty = p.kind.content_type();
            match p.default {
                Default::Fixed(d) => x.push_str(&format!(
                    "<content type=\"{ty}\" default=\"{}\" />\n",
                    escape(d)
                )),
                _ => x.push_str(&format!("<content type=\"{ty}\" />\n")),
            }
            x.push_str("</parameter>\n");
        }
        x.push_str("</parameters>\n<actions>\n");
        for a in self.actions {
            x.push_str(&format!("<action name=\"{}\"", a.name));
            if let Some(d) = a.depth {
                x.push_str(&format!(" depth=\"{d}\""));
            }
            x.push_str(&format!(" timeout=\"{}s\"", a.timeout_s));
            if let Some(i) = a.interval_s {
                x.push_str(&format!(" interval=\"{i}s\""));
            }
            if let Some(r) = a.role {
                x.push_str(&format!(" role=\"{r}\""));
            }
            x.push_str(" />\n");
        }
        x.push_str("</actions>\n</resource-agent>\n");
        x
    }

    /// What the table knows about a parameter's values: choices, range, form.
    pub fn constraint(&self, p: &ParamSpec) -> Option<String> {
        match p.kind {
            Kind::Choice(c) => Some(format!("Allowed values: {}.", c.join(", "))),
            Kind::Integer { min, max } => Some(format!("Range: {min} to {max}.")),
            Kind::Port => Some("Range: 1 to 65535.".into()),
            Kind::AbsPath => Some("An absolute path.".into()),
            Kind::Command => Some(
                "A command with arguments, run without a shell: words split at blanks, quotes group words; the program is an absolute path.".into(),
            ),
            Kind::Remote => Some(
                "unix:PATH, tcp:IP:PORT or ssl:IP:PORT (IPv6 in brackets); several, comma-separated, for a clustered DB.".into(),
            ),
            Kind::NodeAddrs => Some(
                "node=address pairs separated by blanks or commas, a node name as the cluster knows it (crm_node -n) and an IPv4 or IPv6 address literal.".into(),
            ),
            Kind::IpAddr | Kind::Boolean => None,
        }
    }

    /// A parameter's long description plus its constraint and its default (meta-data's
    /// `<content default>` can only carry fixed ones, and pcs does not show it).
    pub fn full_longdesc(&self, p: &ParamSpec) -> String {
        let mut s = p.longdesc.trim().to_string();
        if let Some(c) = self.constraint(p) {
            s.push('\n');
            s.push_str(&c);
        }
        match p.default {
            Default::By { param, values } => {
                let list: Vec<String> = values
                    .iter()
                    .map(|(k, v)| format!("{v} when {param}={k}"))
                    .collect();
                s.push_str(&format!("\nDefault: {}.", list.join("; ")));
            }
            // Also in <content default>, but pcs describe does not show that.
            Default::Fixed(v) => s.push_str(&format!("\nDefault: {v}.")),
            Default::Beside { param, name } => {
                s.push_str(&format!("\nDefault: {name} in the directory of {param}."))
            }
            Default::None => {}
        }
        s
    }

    /// The parameter table as Markdown (README, man pages take it from here).
    pub fn markdown_table(&self) -> String {
        let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
        let mut t = String::from("| parameter | default | description |\n|---|---|---|\n");
        for p in self.params {
            let default = match p.default {
                Default::None if p.required => "(required)".to_string(),
                Default::None => String::new(),
                Default::Fixed(d) => format!("`{d}`"),
                Default::By { param, values } => values
                    .iter()
                    .map(|(k, v)| format!("{param}={k}: `{v}`"))
                    .collect::<Vec<_>>()
                    .join("<br>"),
                Default::Beside { param, name } => format!("`{name}` beside `{param}`"),
            };
            t.push_str(&format!(
                "| `{}` | {} | {} |\n",
                p.name,
                cell(&default),
                cell(&match self.constraint(p) {
                    Some(c) => format!("{} {c}", p.longdesc.trim()),
                    None => p.longdesc.trim().to_string(),
                })
            ));
        }
        t
    }

    /// The `usage` text.
    pub fn usage(&self) -> String {
        let names: Vec<&str> = self.actions.iter().map(|a| a.name).collect();
        let mut uniq = names.clone();
        uniq.dedup();
        format!("usage: {} {{{}}}\n", self.name, uniq.join("|"))
    }

    /// The default timeout (s) of an action as advertised, for when Pacemaker gave none.
    pub fn timeout_of(&self, action: &str) -> u64 {
        self.action(action).map(|a| a.timeout_s).unwrap_or(20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_addresses_are_pairs_of_a_name_and_an_address() {
        let n = parse_node_addrs("node1=192.0.2.1, node2=[2001:db8::2]\tn-3.x=10.0.0.3").unwrap();
        assert_eq!(n.len(), 3);
        assert_eq!(n[1], ("node2".into(), "2001:db8::2".parse().unwrap()));
        for bad in [
            "",
            " , ",
            "node1",
            "node1=",
            "=1.2.3.4",
            "n;1=1.2.3.4",
            "node1=example.com",
            "node1=0.0.0.0",
            "node1=1.2.3.4 node1=1.2.3.5",
            "node1=1.2.3.4 node2=1.2.3.4",
        ] {
            assert!(parse_node_addrs(bad).is_err(), "{bad:?} passed");
        }
    }

    const P: &[ParamSpec] = &[
        ParamSpec {
            name: "db",
            kind: Kind::Choice(&["nb", "sb"]),
            default: Default::None,
            required: true,
            unique: false,
            shortdesc: "db",
            longdesc: "which db",
        },
        ParamSpec {
            name: "file",
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
            shortdesc: "file",
            longdesc: "the file & <stuff>",
        },
        ParamSpec {
            name: "port",
            kind: Kind::Port,
            default: Default::Fixed("6641"),
            required: false,
            unique: false,
            shortdesc: "port",
            longdesc: "port",
        },
    ];
    const A: AgentSpec = AgentSpec {
        name: "t",
        shortdesc: "t",
        longdesc: "t",
        params: P,
        actions: &[ActionSpec {
            name: "start",
            timeout_s: 30,
            interval_s: None,
            depth: None,
            role: None,
        }],
    };

    fn parse(pairs: &[(&str, &str)]) -> Result<Values, Failure> {
        A.parse_with(|n| {
            pairs
                .iter()
                .find(|(k, _)| *k == n)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn defaults_follow_the_selector() {
        let v = parse(&[("db", "sb")]).unwrap();
        assert_eq!(
            v.get::<PathBuf>("file").unwrap(),
            PathBuf::from("/var/lib/ovn/ovnsb_db.db")
        );
        assert_eq!(v.get::<u16>("port").unwrap(), 6641);
        // A table/type mismatch is a reason, never a panic or a silent default.
        let e = v.get::<bool>("port").unwrap_err();
        assert_eq!(e.status, crate::ocf::OcfStatus::ErrConfigured);
        assert_eq!(v.opt::<PathBuf>("nothing").unwrap(), None);
    }

    #[test]
    fn empty_is_unset_and_required_is_enforced() {
        let e = parse(&[("db", "")]).unwrap_err();
        assert_eq!(e.status, crate::ocf::OcfStatus::ErrConfigured);
        assert!(e.reason.contains("db"), "{}", e.reason);
        let v = parse(&[("db", "nb"), ("port", "")]).unwrap();
        assert_eq!(v.get::<u16>("port").unwrap(), 6641);
    }

    #[test]
    fn bad_values_are_err_configured_with_the_name() {
        let long = "/".repeat(MAX_VALUE_LEN + 1);
        for (k, v) in [
            ("db", "xx"),
            ("file", "rel/path"),
            ("file", "/a b"),
            ("file", "/a;rm -rf /"),
            ("file", "/a/$(id)"),
            ("file", "/a/../b"),
            ("file", "--opt"),
            ("file", long.as_str()),
            ("port", "0"),
            ("port", "70000"),
            ("port", "abc"),
            ("port", "-1"),
        ] {
            let pairs = if k == "db" {
                vec![(k, v)]
            } else {
                vec![("db", "nb"), (k, v)]
            };
            let e = parse(&pairs).unwrap_err();
            assert_eq!(e.status, crate::ocf::OcfStatus::ErrConfigured, "{k}={v}");
            assert!(e.reason.contains(k), "{k}={v}: {}", e.reason);
        }
    }

    #[test]
    fn commands_split_without_a_shell() {
        assert_eq!(
            split_command("/usr/bin/neutron-ovn-db-sync-util --config-file /etc/neutron/neutron.conf --ovn-neutron_sync_mode=repair").unwrap(),
            vec!["/usr/bin/neutron-ovn-db-sync-util", "--config-file", "/etc/neutron/neutron.conf", "--ovn-neutron_sync_mode=repair"]
        );
        assert_eq!(
            split_command("/bin/x 'a b'  \"c;d\"").unwrap(),
            vec!["/bin/x", "a b", "c;d"]
        );
        assert_eq!(split_command("/bin/x ''").unwrap(), vec!["/bin/x", ""]);
        for bad in [
            "",
            "   ",
            "/bin/x; rm -rf /",
            "/bin/x | y",
            "/bin/x $(id)",
            "/bin/x `id`",
            "/bin/x 'open",
            "/bin/x \"$HOME\"",
            "/bin/x > /tmp/f",
            "/bin/x\n/bin/y",
            "/bin/x && y",
            "/bin/*",
        ] {
            assert!(split_command(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn remotes() {
        for ok in [
            "unix:/var/run/ovn/ovnnb_db.sock",
            "tcp:127.0.0.1:6641",
            "ssl:[fd00::1]:6642",
        ] {
            assert_eq!(check_remote(ok), Ok(()), "{ok}");
        }
        for bad in [
            "unix:rel",
            "tcp:host.example:6641",
            "tcp:1.2.3.4",
            "tcp:1.2.3.4:0",
            "tcp:::1:6641",
            "ptcp:6641",
            "unix:/a b",
            "ssl:[::1]:x",
            "",
            "tcp:1.2.3.4:6641;id",
        ] {
            assert!(check_remote(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn meta_data_escapes_and_lists_derived_defaults() {
        let x = A.meta_data("0.1");
        assert!(x.contains("the file &amp; &lt;stuff&gt;"));
        assert!(x.contains("/var/lib/ovn/ovnsb_db.db when db=sb"));
        assert!(x.contains("<content type=\"integer\" default=\"6641\" />"));
        assert!(x.contains("<action name=\"start\" timeout=\"30s\" />"));
    }
}

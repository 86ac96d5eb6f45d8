//! Reads what Pacemaker says about ovn-ocf resources, from the XML its tools print: the
//! configuration (`cibadmin --query --scope resources`: each ovn-ocf primitive, the clone
//! or group around it, its instance attributes) and the status (`crm_mon --one-shot
//! --output-as=xml`: nodes, where each resource runs in which role, failed actions).
//!
//! Pure parsing of text handed in: runs no tool, reads no file, writes nothing. Unknown
//! elements and attributes are ignored; malformed XML is an error, never a panic.

use std::collections::BTreeMap;

use quick_xml::XmlVersion;
use quick_xml::events::{BytesStart, Event};

use crate::ocf::man::PROVIDER;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("malformed XML near byte {pos}: {detail}")]
    Xml { pos: u64, detail: String },
    #[error("no XML element in the input")]
    Empty,
}

/// Pacemaker's tools answered with something unreadable: nothing an agent could fix.
impl crate::ocf::OcfError for Error {
    fn ocf_status(&self) -> crate::ocf::OcfStatus {
        crate::ocf::OcfStatus::ErrGeneric
    }
}

/// One element with its attributes (unescaped) and child elements; text is dropped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Element>,
}

impl Element {
    fn attr(&self, k: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    fn child<'a>(&'a self, name: &'a str) -> Option<&'a Element> {
        self.children_named(name).next()
    }
}

fn element_of(e: &BytesStart, pos: u64) -> Result<Element, Error> {
    let bad = |detail: String| Error::Xml { pos, detail };
    let mut attrs = Vec::new();
    for a in e.attributes() {
        let a = a.map_err(|x| bad(x.to_string()))?;
        let key = a.key.as_ref().to_string();
        let value = a
            .normalized_value(XmlVersion::Implicit1_0)
            .map_err(|x| bad(x.to_string()))?;
        attrs.push((key, value.into_owned()));
    }
    Ok(Element {
        name: e.name().as_ref().to_string(),
        attrs,
        children: vec![],
    })
}

/// The document's root element, with every descendant.
fn parse_tree(xml: &str) -> Result<Element, Error> {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Element> = Vec::new();
    loop {
        let pos = r.buffer_position();
        let ev = r.read_event().map_err(|e| Error::Xml {
            pos,
            detail: e.to_string(),
        })?;
        match ev {
            Event::Start(e) => stack.push(element_of(&e, pos)?),
            Event::Empty(e) => {
                let el = element_of(&e, pos)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::End(_) => {
                let el = stack.pop().ok_or(Error::Xml {
                    pos,
                    detail: "closing tag without an opening one".into(),
                })?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None => return Ok(el),
                }
            }
            Event::Eof => {
                return Err(if stack.is_empty() {
                    Error::Empty
                } else {
                    Error::Xml {
                        pos,
                        detail: format!("<{}> is never closed", stack[stack.len() - 1].name),
                    }
                });
            }
            _ => {}
        }
    }
}

// ------------------------------------------------------------------ configuration

/// An ovn-ocf primitive from the CIB's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CibResource {
    /// The primitive's id (what `crm_mon` and `crm_resource -r` call it).
    pub id: String,
    /// The agent: `ovsdb-server` or `ovn-northd` (any type of provider ovn-ocf).
    pub agent: String,
    /// The clone (or promotable clone) around it, if any.
    pub clone: Option<String>,
    /// The group around it, if any.
    pub group: Option<String>,
    /// A promotable clone (`promotable=true` meta attribute, or a legacy `<master>`).
    pub promotable: bool,
    /// Instance attributes by name (the agent's parameters, `OCF_RESKEY_` stripped), from
    /// the sets without a rule; a set with a rule (values per node or time) is skipped.
    pub params: BTreeMap<String, String>,
}

/// `true`/`yes`/`on`/`1`, as Pacemaker reads a boolean.
fn is_true(v: &str) -> bool {
    matches!(
        v.to_ascii_lowercase().as_str(),
        "true" | "yes" | "on" | "1" | "y"
    )
}

fn nvpairs(set: &Element) -> impl Iterator<Item = (&str, &str)> {
    set.children_named("nvpair")
        .filter_map(|p| Some((p.attr("name")?, p.attr("value")?)))
}

/// Every ovn-ocf primitive in the output of `cibadmin --query` (the whole CIB or only its
/// `<resources>`), in document order. Primitives made from a template are not seen.
pub fn parse_cib_resources(xml: &str) -> Result<Vec<CibResource>, Error> {
    let root = parse_tree(xml)?;
    let mut out = Vec::new();
    walk_resources(&root, None, None, false, &mut out);
    Ok(out)
}

fn walk_resources(
    el: &Element,
    clone: Option<&str>,
    group: Option<&str>,
    promotable: bool,
    out: &mut Vec<CibResource>,
) {
    for c in &el.children {
        match c.name.as_str() {
            "primitive" => {
                if c.attr("class") == Some("ocf")
                    && c.attr("provider") == Some(PROVIDER)
                    && let (Some(id), Some(agent)) = (c.attr("id"), c.attr("type"))
                {
                    let mut params = BTreeMap::new();
                    for set in c.children_named("instance_attributes") {
                        if set.child("rule").is_none() {
                            for (k, v) in nvpairs(set) {
                                params.insert(k.to_string(), v.to_string());
                            }
                        }
                    }
                    out.push(CibResource {
                        id: id.to_string(),
                        agent: agent.to_string(),
                        clone: clone.map(String::from),
                        group: group.map(String::from),
                        promotable,
                        params,
                    });
                }
            }
            "clone" | "master" => {
                let promo = c.name == "master"
                    || c.children_named("meta_attributes")
                        .flat_map(nvpairs)
                        .any(|(k, v)| k == "promotable" && is_true(v));
                walk_resources(c, c.attr("id"), group, promo, out);
            }
            "group" => walk_resources(c, clone, c.attr("id"), promotable, out),
            // <cib>, <configuration>, <resources>: look inside.
            "cib" | "configuration" | "resources" => {
                walk_resources(c, clone, group, promotable, out)
            }
            _ => {}
        }
    }
}

// ------------------------------------------------------------------ status

/// `<status code=... message=...>` of a `pacemaker-result`, with its `<error>` lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultStatus {
    pub code: i64,
    pub message: String,
    pub errors: Vec<String>,
}

impl ResultStatus {
    /// "Not connected (crm_mon: Connection to cluster failed: Connection refused)".
    pub fn describe(&self) -> String {
        match self.errors.last() {
            Some(e) => format!("{} ({})", self.message, e.trim_start_matches("error: ")),
            None => self.message.clone(),
        }
    }
}

/// A node as crm_mon lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub online: bool,
}

/// One `<resource>` of crm_mon: a primitive, or one instance of a clone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Instance {
    /// The primitive's id (`:N` of a unique clone instance removed).
    pub id: String,
    /// `ocf:ovn-ocf:ovsdb-server`
    pub resource_agent: String,
    /// Started, Stopped, Promoted, Unpromoted, Starting, ...
    pub role: String,
    pub active: bool,
    pub failed: bool,
    pub managed: bool,
    /// Where it runs (usually one node; more when it runs where it must not).
    pub nodes: Vec<String>,
}

/// A failed action (`<failure>`): what `crm_mon` and `pcs status` list as "Failed Resource
/// Actions" until cleaned up.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FailedAction {
    /// The resource (`:N` removed), from the operation key.
    pub resource: String,
    pub node: String,
    pub task: String,
    pub interval_ms: u64,
    /// `error`, `not running`, `not installed`, ...
    pub exit_status: String,
    pub exit_code: Option<i64>,
    /// The agent's `ocf-exit-reason` (first 128 bytes), if it gave one.
    pub exit_reason: Option<String>,
    /// `2026-11-29 22:02:39Z` as crm_mon prints it.
    pub last_rc_change: Option<String>,
    pub op_key: String,
}

/// What `crm_mon --output-as=xml` says.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CrmMon {
    pub dc: Option<String>,
    pub nodes: Vec<Node>,
    pub instances: Vec<Instance>,
    pub failures: Vec<FailedAction>,
    /// The result's status (code 0 when crm_mon could tell).
    pub status: Option<ResultStatus>,
}

/// The primitive's id from a printed id: `ovn-nb:1` → `ovn-nb`.
fn base_id(id: &str) -> &str {
    match id.rsplit_once(':') {
        Some((b, n)) if !b.is_empty() && !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()) => {
            b
        }
        _ => id,
    }
}

/// The resource of an operation key `RSC_TASK_INTERVAL` (tasks may hold `_`, ids too).
fn op_resource(op_key: &str, task: Option<&str>, interval: Option<&str>) -> String {
    if let (Some(t), Some(i)) = (task, interval)
        && let Some(r) = op_key.strip_suffix(&format!("_{t}_{i}"))
    {
        return base_id(r).to_string();
    }
    let mut it = op_key.rsplitn(3, '_');
    let (_, _, r) = (it.next(), it.next(), it.next());
    base_id(r.unwrap_or(op_key)).to_string()
}

fn status_of(el: &Element) -> Option<ResultStatus> {
    let s = el.child("status")?;
    Some(ResultStatus {
        code: s.attr("code").and_then(|c| c.parse().ok()).unwrap_or(-1),
        message: s.attr("message").unwrap_or_default().to_string(),
        errors: vec![],
    })
}

/// Parses `crm_mon --output-as=xml` (the `<pacemaker-result>` document; also the error
/// document crm_mon prints when it cannot reach the cluster: then only `status` is set).
pub fn parse_crm_mon(xml: &str) -> Result<CrmMon, Error> {
    let root = parse_tree(xml)?;
    let mut m = CrmMon {
        status: status_of(&root),
        ..Default::default()
    };
    if let Some(st) = &mut m.status {
        // Error texts are element text, which the tree drops: read them apart.
        st.errors = error_texts(xml);
    }
    if let Some(dc) = root.child("summary").and_then(|s| s.child("current_dc"))
        && dc.attr("present") == Some("true")
    {
        m.dc = dc.attr("name").map(String::from);
    }
    if let Some(nodes) = root.child("nodes") {
        for n in nodes.children_named("node") {
            if let Some(name) = n.attr("name") {
                m.nodes.push(Node {
                    name: name.to_string(),
                    online: n.attr("online").is_some_and(is_true),
                });
            }
        }
    }
    if let Some(res) = root.child("resources") {
        collect_instances(res, &mut m.instances);
    }
    if let Some(f) = root.child("failures") {
        for x in f.children_named("failure") {
            let op_key = x.attr("op_key").unwrap_or_default().to_string();
            m.failures.push(FailedAction {
                resource: op_resource(&op_key, x.attr("task"), x.attr("interval")),
                node: x.attr("node").unwrap_or_default().to_string(),
                task: x.attr("task").unwrap_or_default().to_string(),
                interval_ms: x.attr("interval").and_then(|i| i.parse().ok()).unwrap_or(0),
                exit_status: x.attr("exitstatus").unwrap_or_default().to_string(),
                exit_code: x.attr("exitcode").and_then(|c| c.parse().ok()),
                exit_reason: x
                    .attr("exitreason")
                    .filter(|r| !r.is_empty())
                    .map(String::from),
                last_rc_change: x.attr("last-rc-change").map(String::from),
                op_key,
            });
        }
    }
    Ok(m)
}

/// The text of every `<error>` element, in order.
fn error_texts(xml: &str) -> Vec<String> {
    let mut r = quick_xml::Reader::from_str(xml);
    let mut inside = false;
    let mut out = Vec::new();
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) if e.name().as_ref() == "error" => {
                inside = true;
                out.push(String::new());
            }
            Ok(Event::End(e)) if e.name().as_ref() == "error" => inside = false,
            Ok(Event::Text(t)) if inside => {
                if let Some(last) = out.last_mut() {
                    last.push_str(&t.xml_content(XmlVersion::Implicit1_0));
                }
            }
            Ok(Event::GeneralRef(g)) if inside => {
                if let Some(last) = out.last_mut() {
                    let s = match g.as_ref() {
                        "lt" => "<",
                        "gt" => ">",
                        "amp" => "&",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "?",
                    };
                    last.push_str(s);
                }
            }
            Ok(Event::Eof) | Err(_) => return out,
            _ => {}
        }
    }
}

fn collect_instances(el: &Element, out: &mut Vec<Instance>) {
    for c in &el.children {
        match c.name.as_str() {
            "resource" => {
                let Some(id) = c.attr("id") else { continue };
                out.push(Instance {
                    id: base_id(id).to_string(),
                    resource_agent: c.attr("resource_agent").unwrap_or_default().to_string(),
                    role: c.attr("role").unwrap_or_default().to_string(),
                    active: c.attr("active").is_some_and(is_true),
                    failed: c.attr("failed").is_some_and(is_true),
                    managed: c.attr("managed").is_none_or(is_true),
                    nodes: c
                        .children_named("node")
                        .filter_map(|n| n.attr("name").map(String::from))
                        .collect(),
                });
            }
            "clone" | "group" | "bundle" | "replica" => collect_instances(c, out),
            _ => {}
        }
    }
}

/// What Pacemaker says of one resource, gathered from every instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResourceView {
    /// Nodes where an instance is active, in crm_mon's order.
    pub running_on: Vec<String>,
    /// Role per node where it is active (`Started`, `Promoted`, `Unpromoted`, ...).
    pub roles: BTreeMap<String, String>,
    /// The role on `node` (the one asked about): `Stopped` when no instance is active there.
    pub role: String,
    /// Pacemaker marks an instance failed.
    pub failed: bool,
    /// Every instance is managed.
    pub managed: bool,
    pub failed_actions: Vec<FailedAction>,
}

impl CrmMon {
    /// The view of resource `id` from `node`; None when crm_mon does not list it at all.
    pub fn view(&self, id: &str, node: &str) -> Option<ResourceView> {
        let inst: Vec<&Instance> = self.instances.iter().filter(|i| i.id == id).collect();
        let failed_actions: Vec<FailedAction> = self
            .failures
            .iter()
            .filter(|f| f.resource == id)
            .cloned()
            .collect();
        if inst.is_empty() && failed_actions.is_empty() {
            return None;
        }
        let mut v = ResourceView {
            managed: inst.iter().all(|i| i.managed),
            failed: inst.iter().any(|i| i.failed),
            failed_actions,
            role: "Stopped".into(),
            ..Default::default()
        };
        for i in inst.iter().filter(|i| i.active) {
            for n in &i.nodes {
                if !v.running_on.contains(n) {
                    v.running_on.push(n.clone());
                }
                v.roles.insert(n.clone(), i.role.clone());
                if n == node {
                    v.role = i.role.clone();
                }
            }
        }
        Some(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `crm_mon -1 --output-as=xml` of Pacemaker 2.1.5 (Debian 12), run with `CIB_file`
    /// on a CIB whose status `crm_simulate` injected: ovn-nb started on vm with a failed
    /// monitor, ovn-sb-clone promoted on vm and unpromoted on node2, northd in a group
    /// failed to start on node2.
    const CRM_MON: &str = r#"<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">
  <summary>
    <stack type="corosync"/>
    <current_dc present="true" version="2.1.5-a3f44794f94" name="node2" id="2" with_quorum="true" mixed_version="false"/>
    <last_update time="Sun Nov 29 22:02:39 2026"/>
    <last_change time="" user="" client="" origin=""/>
    <nodes_configured number="2"/>
    <resources_configured number="4" disabled="0" blocked="0"/>
    <cluster_options stonith-enabled="false" symmetric-cluster="true" no-quorum-policy="ignore" maintenance-mode="false" stop-all-resources="false" stonith-timeout-ms="60000" priority-fencing-delay-ms="0"/>
  </summary>
  <nodes>
    <node name="node2" id="2" online="true" standby="false" standby_onfail="false" maintenance="false" pending="false" unclean="false" health="green" feature_set="&lt;3.15.1" shutdown="false" expected_up="true" is_dc="false" resources_running="2" type="member"/>
    <node name="vm" id="1" online="true" standby="false" standby_onfail="false" maintenance="false" pending="false" unclean="false" health="green" feature_set="&lt;3.15.1" shutdown="false" expected_up="true" is_dc="false" resources_running="2" type="member"/>
    <node name="node3" id="3" online="false" standby="false" standby_onfail="false" maintenance="false" pending="false" unclean="false" health="green" feature_set="&lt;3.15.1" shutdown="false" expected_up="false" is_dc="false" resources_running="0" type="member"/>
  </nodes>
  <resources>
    <resource id="ovn-nb" resource_agent="ocf:ovn-ocf:ovsdb-server" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="true" failure_ignored="false" nodes_running_on="1">
      <node name="vm" id="1" cached="true"/>
    </resource>
    <clone id="ovn-sb-clone" multi_state="true" unique="false" managed="true" disabled="false" failed="false" failure_ignored="false">
      <resource id="ovn-sb" resource_agent="ocf:ovn-ocf:ovsdb-server" role="Promoted" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">
        <node name="vm" id="1" cached="true"/>
      </resource>
      <resource id="ovn-sb" resource_agent="ocf:ovn-ocf:ovsdb-server" role="Unpromoted" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">
        <node name="node2" id="2" cached="true"/>
      </resource>
    </clone>
    <group id="g" number_resources="1" managed="true" disabled="false">
      <resource id="northd" resource_agent="ocf:ovn-ocf:ovn-northd" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="true" failure_ignored="false" nodes_running_on="1">
        <node name="node2" id="2" cached="true"/>
      </resource>
    </group>
    <resource id="ovn-nb2" resource_agent="ocf:ovn-ocf:ovsdb-server" role="Stopped" active="false" orphaned="false" blocked="false" managed="false" failed="false" failure_ignored="false" nodes_running_on="0"/>
  </resources>
  <node_history>
    <node name="vm">
      <resource_history id="ovn-nb" orphan="false" migration-threshold="1000000" fail-count="1" last-failure="Sun Nov 29 22:02:39 2026">
        <operation_history call="1" task="start" rc="0" rc_text="ok" last-rc-change="Sun Nov 29 22:02:39 2026" exec-time="0ms" queue-time="0ms"/>
        <operation_history call="2" task="monitor" rc="7" rc_text="not running" interval="10000ms" last-rc-change="Sun Nov 29 22:02:39 2026" exec-time="0ms" queue-time="0ms"/>
      </resource_history>
    </node>
  </node_history>
  <failures>
    <failure op_key="ovn-nb_monitor_10000" node="vm" exitstatus="not running" exitreason="Simulated action result" exitcode="7" call="2" status="complete" last-rc-change="2026-11-29 22:02:39Z" queued="0" exec="0" interval="10000" task="monitor"/>
    <failure op_key="northd_start_0" node="node2" exitstatus="error" exitreason="fence node1, then clean up &amp; retry" exitcode="1" call="1" status="complete" last-rc-change="2026-11-29 22:02:39Z" queued="0" exec="0" interval="0" task="start"/>
    <failure op_key="ovn-sb:1_migrate_to_0" node="node2" exitstatus="error" exitreason="" exitcode="1" call="4" status="complete" queued="0" exec="0" interval="0" task="migrate_to"/>
  </failures>
  <status code="0" message="OK"/>
</pacemaker-result>
"#;

    /// `crm_mon -1 --output-as=xml` of Pacemaker 2.1.5 where no cluster runs (exit 102).
    const CRM_MON_DOWN: &str = r#"<pacemaker-result api-version="2.25" request="crm_mon -1 --output-as=xml">
  <status code="102" message="Not connected">
    <errors>
      <error>error: Could not connect to launcher: Connection refused</error>
      <error>crm_mon: Connection to cluster failed: Connection refused</error>
    </errors>
  </status>
</pacemaker-result>
"#;

    /// `cibadmin --query --scope resources` of Pacemaker 2.1.5, with one resource of
    /// another provider, a legacy master, a rule-bound set and an escaped value added.
    const CIB: &str = r##"<resources>
  <primitive id="ovn-nb" class="ocf" provider="ovn-ocf" type="ovsdb-server">
    <instance_attributes id="ovn-nb-ia">
      <nvpair id="ovn-nb-db" name="db" value="nb"/>
      <nvpair id="ovn-nb-f" name="db_file" value="/srv/ovn/a&amp;b.db"/>
    </instance_attributes>
    <instance_attributes id="ovn-nb-node2">
      <rule id="r1" score="INFINITY"><expression id="e1" attribute="#uname" operation="eq" value="node2"/></rule>
      <nvpair id="ovn-nb-f2" name="db_file" value="/elsewhere.db"/>
    </instance_attributes>
    <operations><op id="o1" name="monitor" interval="10s"/></operations>
  </primitive>
  <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2"/>
  <clone id="ovn-sb-clone">
    <meta_attributes id="sbm">
      <nvpair id="sbm1" name="promotable" value="true"/>
      <nvpair id="sbm2" name="promoted-max" value="1"/>
    </meta_attributes>
    <primitive id="ovn-sb" class="ocf" provider="ovn-ocf" type="ovsdb-server">
      <instance_attributes id="ovn-sb-ia">
        <nvpair id="ovn-sb-db" name="db" value="sb"/>
      </instance_attributes>
    </primitive>
  </clone>
  <clone id="plain-clone">
    <group id="g">
      <primitive id="northd" class="ocf" provider="ovn-ocf" type="ovn-northd"/>
    </group>
  </clone>
  <master id="old-ms">
    <primitive id="legacy" class="ocf" provider="ovn-ocf" type="ovsdb-server"/>
  </master>
  <primitive id="templated" template="t1"/>
</resources>
"##;

    #[test]
    fn cib_ovn_ocf_primitives_with_their_parents_and_parameters() {
        let r = parse_cib_resources(CIB).unwrap();
        let ids: Vec<&str> = r.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["ovn-nb", "ovn-sb", "northd", "legacy"]);
        assert_eq!(r[0].agent, "ovsdb-server");
        assert_eq!(
            r[0].params["db_file"], "/srv/ovn/a&b.db",
            "unescaped, rule set skipped"
        );
        assert_eq!(r[0].params.len(), 2);
        assert_eq!((r[0].clone.as_deref(), r[0].promotable), (None, false));
        assert_eq!(r[1].clone.as_deref(), Some("ovn-sb-clone"));
        assert!(r[1].promotable);
        assert_eq!(r[2].agent, "ovn-northd");
        assert_eq!(
            (
                r[2].clone.as_deref(),
                r[2].group.as_deref(),
                r[2].promotable
            ),
            (Some("plain-clone"), Some("g"), false)
        );
        assert!(r[3].promotable, "a legacy <master> is promotable");
        // The whole CIB as `cibadmin -Q` prints it.
        let whole = format!(
            "<cib epoch=\"1\"><configuration><crm_config/>{CIB}</configuration><status/></cib>"
        );
        assert_eq!(parse_cib_resources(&whole).unwrap(), r);
    }

    #[test]
    fn crm_mon_nodes_instances_failures() {
        let m = parse_crm_mon(CRM_MON).unwrap();
        assert_eq!(m.status.as_ref().unwrap().code, 0);
        assert_eq!(m.dc.as_deref(), Some("node2"));
        assert_eq!(
            m.nodes,
            vec![
                Node {
                    name: "node2".into(),
                    online: true
                },
                Node {
                    name: "vm".into(),
                    online: true
                },
                Node {
                    name: "node3".into(),
                    online: false
                },
            ]
        );
        let f: Vec<(&str, &str, &str)> = m
            .failures
            .iter()
            .map(|f| (f.resource.as_str(), f.task.as_str(), f.node.as_str()))
            .collect();
        assert_eq!(
            f,
            [
                ("ovn-nb", "monitor", "vm"),
                ("northd", "start", "node2"),
                ("ovn-sb", "migrate_to", "node2")
            ]
        );
        assert_eq!(m.failures[0].interval_ms, 10000);
        assert_eq!(m.failures[0].exit_code, Some(7));
        assert_eq!(m.failures[0].exit_status, "not running");
        assert_eq!(
            m.failures[1].exit_reason.as_deref(),
            Some("fence node1, then clean up & retry")
        );
        assert_eq!(m.failures[2].exit_reason, None);
        assert_eq!(m.failures[2].last_rc_change, None);
    }

    #[test]
    fn view_of_a_primitive_a_promotable_clone_and_a_stopped_one() {
        let m = parse_crm_mon(CRM_MON).unwrap();
        let nb = m.view("ovn-nb", "vm").unwrap();
        assert_eq!(nb.running_on, ["vm"]);
        assert_eq!(nb.role, "Started");
        assert!(nb.failed && nb.managed);
        assert_eq!(nb.failed_actions.len(), 1);
        let sb = m.view("ovn-sb", "node2").unwrap();
        assert_eq!(sb.running_on, ["vm", "node2"]);
        assert_eq!(sb.roles["vm"], "Promoted");
        assert_eq!(sb.role, "Unpromoted");
        assert_eq!(sb.failed_actions[0].task, "migrate_to");
        let elsewhere = m.view("northd", "vm").unwrap();
        assert_eq!(elsewhere.role, "Stopped", "not on the node asked about");
        assert_eq!(elsewhere.running_on, ["node2"]);
        let stopped = m.view("ovn-nb2", "vm").unwrap();
        assert!(stopped.running_on.is_empty() && !stopped.managed);
        assert_eq!(m.view("nothing", "vm"), None);
        // node1 is not node10: exact ids and node names only.
        assert_eq!(m.view("ovn", "vm"), None);
    }

    #[test]
    fn crm_mon_without_a_cluster_gives_the_reason() {
        let m = parse_crm_mon(CRM_MON_DOWN).unwrap();
        let st = m.status.unwrap();
        assert_eq!(st.code, 102);
        assert_eq!(
            st.describe(),
            "Not connected (crm_mon: Connection to cluster failed: Connection refused)"
        );
        assert!(m.instances.is_empty() && m.nodes.is_empty());
    }

    #[test]
    fn odd_input_is_an_error_or_empty_never_a_panic() {
        for bad in ["", "not xml", "<a><b></a>", "<a x=\"1></a>", "<a>", "</a>"] {
            assert!(parse_cib_resources(bad).is_err(), "{bad:?}");
            assert!(parse_crm_mon(bad).is_err(), "{bad:?}");
        }
        // Well-formed but odd: missing attributes, unknown elements.
        let odd = r#"<pacemaker-result><resources><resource/><clone><resource id="x"><node/></resource></clone></resources><failures><failure/><failure op_key="a"/></failures><nodes><node/></nodes></pacemaker-result>"#;
        let m = parse_crm_mon(odd).unwrap();
        assert_eq!(m.instances.len(), 1);
        assert_eq!(m.failures.len(), 2);
        assert_eq!(m.failures[1].resource, "a");
        let odd = r#"<resources><primitive class="ocf" provider="ovn-ocf"/><clone><primitive id="p" class="ocf" provider="ovn-ocf" type="ovsdb-server"><instance_attributes><nvpair name="db"/></instance_attributes></primitive></clone></resources>"#;
        let r = parse_cib_resources(odd).unwrap();
        assert_eq!(r.len(), 1);
        assert!(r[0].params.is_empty());
    }

    #[test]
    fn operation_keys() {
        assert_eq!(
            op_resource("ovn-nb_monitor_10000", Some("monitor"), Some("10000")),
            "ovn-nb"
        );
        assert_eq!(op_resource("a_b_c_start_0", None, None), "a_b_c");
        assert_eq!(
            op_resource("ovn-sb:0_promote_0", Some("promote"), Some("0")),
            "ovn-sb"
        );
        assert_eq!(base_id("x:y"), "x:y");
        assert_eq!(base_id(":1"), ":1");
    }
}

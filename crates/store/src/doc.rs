//! How a finding document is split for storage and put back together.
//!
//! Per finding we keep only what differs between findings (timestamps, event, result, filled
//! remediation, orchestrator, host, source, error); the rule text is stored once per rule and
//! the resource facts once per resource, so a million findings do not carry a million copies
//! of a pod spec. Everything goes through the document's serde form (the ECS layout), not the
//! Rust types, so the store does not care how the model shares its parts in memory.

use kspm_model::{Finding, Outcome};
use serde::Serialize;
use serde_json::{Map, Value};

use crate::Result;

/// Builds a JSON object from already-serialisable parts (keys are our own constants).
struct Object(String);

impl Object {
    fn new() -> Object {
        Object(String::from("{"))
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &str, value: &T) -> Result<()> {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        self.0.push('"');
        self.0.push_str(key);
        self.0.push_str("\":");
        self.0.push_str(&serde_json::to_string(value)?);
        Ok(())
    }

    fn opt<T: Serialize>(&mut self, key: &str, value: Option<&T>) -> Result<()> {
        match value {
            Some(v) => self.field(key, v),
            None => Ok(()),
        }
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// The per-finding part: top-level document keys plus `remediation`.
pub(crate) fn detail_json(f: &Finding) -> Result<String> {
    let mut o = Object::new();
    o.field("@timestamp", &f.timestamp)?;
    o.field("event", &f.event)?;
    o.field("result", &f.result)?;
    o.field("remediation", &f.rule.remediation)?;
    o.field("orchestrator", &f.orchestrator)?;
    o.opt("host", f.host.as_ref())?;
    o.opt("source", f.source.as_ref())?;
    o.opt("error", f.error.as_ref())?;
    Ok(o.finish())
}

/// The per-resource facts: `raw` plus the ECS `file` / `process` / `cloud` objects.
pub(crate) fn resource_json(f: &Finding) -> Result<String> {
    let mut o = Object::new();
    o.field("raw", &f.resource.raw)?;
    o.opt("file", f.file.as_ref())?;
    o.opt("process", f.process.as_ref())?;
    o.opt("cloud", f.cloud.as_ref())?;
    Ok(o.finish())
}

/// `metadata.labels` of a Kubernetes object as compact JSON, if it has any.
pub(crate) fn labels_json(f: &Finding) -> Option<String> {
    if f.resource.kind != "k8s_object" {
        return None;
    }
    let raw = serde_json::to_value(&f.resource.raw).ok()?;
    let labels = raw.pointer("/metadata/labels")?.as_object()?;
    if labels.is_empty() {
        return None;
    }
    serde_json::to_string(labels).ok()
}

/// The columns of a row needed to rebuild the document.
pub(crate) struct Parts<'a> {
    pub resource_id: &'a str,
    pub resource_name: &'a str,
    pub resource_type: &'a str,
    pub sub_type: &'a str,
    pub outcome: Outcome,
}

fn object(text: Option<&str>) -> Result<Map<String, Value>> {
    Ok(match text {
        Some(t) => match serde_json::from_str(t)? {
            Value::Object(m) => m,
            _ => Map::new(),
        },
        None => Map::new(),
    })
}

/// Puts a finding document back together from its row, detail, rule and resource parts.
pub(crate) fn rebuild(
    parts: Parts<'_>,
    detail: &str,
    rule: Option<&str>,
    resource: Option<&str>,
) -> Result<Finding> {
    let mut doc = object(Some(detail))?;
    let mut rule = object(rule)?;
    let mut res = object(resource)?;
    if let Some(remediation) = doc.remove("remediation") {
        rule.insert("remediation".into(), remediation);
    }
    doc.insert("rule".into(), Value::Object(rule));
    if let Some(Value::Object(result)) = doc.get_mut("result") {
        result.insert("evaluation".into(), Value::from(parts.outcome.as_str()));
    }
    let mut resource = Map::new();
    resource.insert("id".into(), parts.resource_id.into());
    resource.insert("name".into(), parts.resource_name.into());
    resource.insert("type".into(), parts.resource_type.into());
    resource.insert("sub_type".into(), parts.sub_type.into());
    resource.insert("raw".into(), res.remove("raw").unwrap_or(Value::Null));
    doc.insert("resource".into(), Value::Object(resource));
    for key in ["file", "process", "cloud"] {
        if let Some(v) = res.remove(key) {
            doc.insert(key.into(), v);
        }
    }
    Ok(serde_json::from_value(Value::Object(doc))?)
}

//! The cluster's contents: index templates, data streams and indices with their mappings and
//! documents. Kept outside the server's runtime so that a stopped and restarted server keeps
//! them, as a real cluster keeps its data across a restart of one node.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::mapping::{self, MappingError};

/// A composable index template.
#[derive(Debug, Clone)]
pub(crate) struct Template {
    pub(crate) body: Value,
    pub(crate) patterns: Vec<String>,
    pub(crate) priority: i64,
    pub(crate) data_stream: bool,
}

impl Template {
    fn mappings(&self) -> Value {
        self.body["template"]["mappings"].clone()
    }
}

/// A concrete index (a plain index, or a data stream's backing index).
#[derive(Debug, Clone)]
pub(crate) struct Index {
    pub(crate) uuid: String,
    pub(crate) mappings: Value,
    /// Documents by id, with their version and sequence number.
    pub(crate) docs: BTreeMap<String, Doc>,
    pub(crate) next_seq: u64,
}

/// A stored document.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub(crate) source: Value,
    pub(crate) version: u64,
    pub(crate) seq_no: u64,
}

/// A data stream: a name and its backing indices (the fake has one, never rolled over).
#[derive(Debug, Clone)]
pub(crate) struct DataStream {
    pub(crate) backing: String,
    pub(crate) template: String,
}

/// Everything the cluster holds.
#[derive(Debug, Default)]
pub(crate) struct Cluster {
    pub(crate) templates: BTreeMap<String, Template>,
    pub(crate) indices: BTreeMap<String, Index>,
    pub(crate) data_streams: BTreeMap<String, DataStream>,
    counter: u64,
}

/// An Elasticsearch error: HTTP status, exception type, reason.
#[derive(Debug, Clone)]
pub(crate) struct EsError {
    pub(crate) status: u16,
    pub(crate) kind: &'static str,
    pub(crate) reason: String,
}

impl EsError {
    pub(crate) fn new(status: u16, kind: &'static str, reason: impl Into<String>) -> EsError {
        EsError {
            status,
            kind,
            reason: reason.into(),
        }
    }

    /// The body of an error answer (`{"error": {"root_cause": […], …}, "status": N}`).
    pub(crate) fn body(&self) -> Value {
        let cause = json!({"type": self.kind, "reason": self.reason});
        json!({
            "error": {"root_cause": [cause], "type": self.kind, "reason": self.reason},
            "status": self.status,
        })
    }

    /// The `error` object of a bulk item.
    pub(crate) fn item(&self, index: &str, uuid: &str) -> Value {
        json!({"type": self.kind, "reason": self.reason, "index_uuid": uuid, "shard": "0", "index": index})
    }

    pub(crate) fn index_not_found(name: &str) -> EsError {
        EsError::new(
            404,
            "index_not_found_exception",
            format!("no such index [{name}]"),
        )
    }
}

impl From<MappingError> for EsError {
    fn from(e: MappingError) -> EsError {
        EsError::new(400, e.kind, e.reason)
    }
}

/// Glob match of an index pattern (`logs-*-*`).
pub(crate) fn matches(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name;
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            let Some(r) = rest.strip_prefix(part) else {
                return false;
            };
            rest = r;
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

/// Whether `name` is a valid index or data stream name.
pub(crate) fn check_name(name: &str) -> Result<(), EsError> {
    let bad = name.is_empty()
        || name.starts_with(['-', '_', '+'])
        || name.chars().any(|c| {
            c.is_ascii_uppercase()
                || matches!(
                    c,
                    '\\' | '/' | '*' | '?' | '"' | '<' | '>' | '|' | ' ' | ',' | '#' | ':'
                )
        });
    if bad {
        return Err(EsError::new(
            400,
            "invalid_index_name_exception",
            format!(
                "Invalid index name [{name}], must be lowercase and must not contain the characters \\, /, *, ?, \", <, >, |, ` ` (space character), ,, #"
            ),
        ));
    }
    Ok(())
}

/// Where a write lands.
pub(crate) struct Target {
    /// The concrete index.
    pub(crate) index: String,
    /// True when the name given was a data stream.
    pub(crate) data_stream: bool,
}

impl Cluster {
    fn uuid(&mut self) -> String {
        self.counter += 1;
        format!("fakeuuid{:014}", self.counter)
    }

    /// Stores a template after checking it.
    pub(crate) fn put_template(&mut self, name: &str, body: Value) -> Result<(), EsError> {
        let patterns: Vec<String> = match &body["index_patterns"] {
            Value::String(p) => vec![p.clone()],
            Value::Array(ps) => ps
                .iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        if patterns.is_empty() {
            return Err(EsError::new(
                400,
                "action_request_validation_exception",
                "Validation Failed: 1: index patterns are missing;",
            ));
        }
        if let Some(keys) = body.as_object() {
            for key in keys.keys() {
                if ![
                    "index_patterns",
                    "template",
                    "priority",
                    "version",
                    "_meta",
                    "data_stream",
                    "composed_of",
                    "allow_auto_create",
                    "ignore_missing_component_templates",
                    "deprecated",
                ]
                .contains(&key.as_str())
                {
                    return Err(EsError::new(
                        400,
                        "x_content_parse_exception",
                        format!("[1:2] [index_template] unknown field [{key}]"),
                    ));
                }
            }
        }
        let data_stream = body.get("data_stream").is_some_and(Value::is_object);
        let priority = body["priority"].as_i64().unwrap_or(0);
        let mappings = &body["template"]["mappings"];
        if !mappings.is_null() {
            mapping::validate(mappings, data_stream)?;
        }
        for (other_name, other) in &self.templates {
            if other_name != name
                && other.priority == priority
                && other
                    .patterns
                    .iter()
                    .any(|p| patterns.iter().any(|q| matches(p, q) || matches(q, p)))
            {
                return Err(EsError::new(
                    400,
                    "illegal_argument_exception",
                    format!(
                        "index template [{name}] has index patterns {patterns:?} matching patterns from existing templates [{other_name}] with patterns ({other_name} => {:?}) that have the same priority [{priority}], multiple index templates may not match during index creation, please use a different priority",
                        other.patterns
                    ),
                ));
            }
        }
        self.templates.insert(
            name.to_string(),
            Template {
                body,
                patterns,
                priority,
                data_stream,
            },
        );
        Ok(())
    }

    /// The highest-priority template matching `name`.
    fn template_for(&self, name: &str) -> Option<(&String, &Template)> {
        self.templates
            .iter()
            .filter(|(_, t)| t.patterns.iter().any(|p| matches(p, name)))
            .max_by_key(|(_, t)| t.priority)
    }

    /// Creates a data stream from its matching template.
    pub(crate) fn create_data_stream(&mut self, name: &str) -> Result<(), EsError> {
        check_name(name)?;
        if self.data_streams.contains_key(name) || self.indices.contains_key(name) {
            return Err(EsError::new(
                400,
                "resource_already_exists_exception",
                format!("data_stream [{name}] already exists"),
            ));
        }
        let Some((template_name, template)) = self.template_for(name) else {
            return Err(EsError::new(
                400,
                "illegal_argument_exception",
                format!("no matching index template found for data stream [{name}]"),
            ));
        };
        if !template.data_stream {
            return Err(EsError::new(
                400,
                "illegal_argument_exception",
                format!(
                    "matching index template [{template_name}] for data stream [{name}] has no data stream template"
                ),
            ));
        }
        let template_name = template_name.clone();
        let mut mappings = template.mappings();
        if mappings.is_null() {
            mappings = json!({});
        }
        if mappings["properties"]["@timestamp"].is_null() {
            mappings["properties"]["@timestamp"] = json!({"type": "date"});
        }
        let date = jiff::Timestamp::now().strftime("%Y.%m.%d").to_string();
        let backing = format!(".ds-{name}-{date}-000001");
        let uuid = self.uuid();
        self.indices.insert(
            backing.clone(),
            Index {
                uuid,
                mappings,
                docs: BTreeMap::new(),
                next_seq: 0,
            },
        );
        self.data_streams.insert(
            name.to_string(),
            DataStream {
                backing,
                template: template_name,
            },
        );
        Ok(())
    }

    /// Creates a plain index (mappings from the request, else from a matching template).
    pub(crate) fn create_index(
        &mut self,
        name: &str,
        mappings: Option<Value>,
    ) -> Result<(), EsError> {
        check_name(name)?;
        if self.indices.contains_key(name) || self.data_streams.contains_key(name) {
            return Err(EsError::new(
                400,
                "resource_already_exists_exception",
                format!("index [{name}/fakeuuid] already exists"),
            ));
        }
        let mappings = match mappings {
            Some(m) => {
                mapping::validate(&m, false)?;
                m
            }
            None => match self.template_for(name) {
                Some((_, t)) if t.data_stream => {
                    return Err(EsError::new(
                        400,
                        "illegal_argument_exception",
                        format!(
                            "cannot create index with name [{name}], because it matches with template [{}] that creates data streams only, use create data stream api instead",
                            self.template_for(name)
                                .map(|(n, _)| n.as_str())
                                .unwrap_or("")
                        ),
                    ));
                }
                Some((_, t)) => {
                    let m = t.mappings();
                    if m.is_null() { json!({}) } else { m }
                }
                None => json!({}),
            },
        };
        let uuid = self.uuid();
        self.indices.insert(
            name.to_string(),
            Index {
                uuid,
                mappings,
                docs: BTreeMap::new(),
                next_seq: 0,
            },
        );
        Ok(())
    }

    /// Resolves a write target, creating the data stream or index on first write as
    /// Elasticsearch's auto-create does. `may_create` is false when the writer lacks the
    /// privilege to create it.
    pub(crate) fn write_target(&mut self, name: &str, may_create: bool) -> Result<Target, EsError> {
        if let Some(ds) = self.data_streams.get(name) {
            return Ok(Target {
                index: ds.backing.clone(),
                data_stream: true,
            });
        }
        if self.indices.contains_key(name) {
            return Ok(Target {
                index: name.to_string(),
                data_stream: false,
            });
        }
        check_name(name)?;
        if !may_create {
            return Err(EsError::index_not_found(name));
        }
        let ds = self.template_for(name).is_some_and(|(_, t)| t.data_stream);
        if ds {
            self.create_data_stream(name)?;
        } else {
            self.create_index(name, None)?;
        }
        self.write_target(name, false)
    }

    /// The concrete indices a read of `name` covers (a data stream's backing indices).
    pub(crate) fn read_indices(&self, name: &str) -> Result<Vec<String>, EsError> {
        if let Some(ds) = self.data_streams.get(name) {
            return Ok(vec![ds.backing.clone()]);
        }
        if self.indices.contains_key(name) {
            return Ok(vec![name.to_string()]);
        }
        if name == "_all" || name == "*" {
            return Ok(self.indices.keys().cloned().collect());
        }
        if name.contains('*') {
            let mut out: Vec<String> = self
                .indices
                .keys()
                .filter(|i| matches(name, i))
                .cloned()
                .collect();
            for (ds_name, ds) in &self.data_streams {
                if matches(name, ds_name) {
                    out.push(ds.backing.clone());
                }
            }
            return Ok(out);
        }
        Err(EsError::index_not_found(name))
    }

    /// The data stream description of `GET _data_stream/NAME`.
    pub(crate) fn describe_data_stream(&self, name: &str) -> Option<Value> {
        let ds = self.data_streams.get(name)?;
        let uuid = self
            .indices
            .get(&ds.backing)
            .map(|i| i.uuid.clone())
            .unwrap_or_default();
        Some(json!({
            "name": name,
            "timestamp_field": {"name": "@timestamp"},
            "indices": [{"index_name": ds.backing, "index_uuid": uuid}],
            "generation": 1,
            "status": "GREEN",
            "template": ds.template,
            "hidden": false,
            "system": false,
        }))
    }

    /// Every document of `name` (a data stream, an index or a pattern), with its index.
    pub(crate) fn documents(&self, name: &str) -> Result<Vec<(String, String, Value)>, EsError> {
        let mut out = Vec::new();
        for index in self.read_indices(name)? {
            if let Some(i) = self.indices.get(&index) {
                for (id, doc) in &i.docs {
                    out.push((index.clone(), id.clone(), doc.source.clone()));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_elasticsearch_globs() {
        assert!(matches(
            "logs-*-*",
            "logs-cloud_security_posture.findings-default"
        ));
        assert!(!matches("logs-*-*", "logs-x"));
        assert!(matches("kspm*", "kspm-findings"));
        assert!(matches("exact", "exact"));
        assert!(!matches("exact", "exactly"));
    }
}

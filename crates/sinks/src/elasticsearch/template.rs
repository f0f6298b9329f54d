//! The index template kspm installs when it is missing: the finding document's fields mapped
//! explicitly, everything else stored in `_source` but not indexed (`dynamic: false`), and
//! the free-form parts — `resource.raw`, evidence, expected values, cloud descriptions,
//! process configurations — disabled objects, so that arbitrary resource fields never grow
//! the mapping.

use serde_json::{Value, json};

use super::config::Target;

/// The template's name for a target.
pub(crate) fn name(target: &Target) -> String {
    format!("kspm-{}", target.name())
}

/// Above the built-in `logs-*-*` template (100) and Fleet's integration templates (200), so
/// that the pattern naming exactly kspm's target wins.
const PRIORITY: u64 = 250;

/// The template body for `target`.
pub fn body(target: &Target) -> Value {
    let mut template = json!({
        "index_patterns": [target.name()],
        "priority": PRIORITY,
        "_meta": {"managed_by": "kspm", "description": "kspm findings in the cloud security posture layout"},
        "template": {"mappings": mappings()},
    });
    if matches!(target, Target::DataStream(_)) {
        template["data_stream"] = json!({});
    }
    template
}

/// The mappings of a finding document (DESIGN §5).
pub fn mappings() -> Value {
    let keyword = || json!({"type": "keyword", "ignore_above": 1024});
    let text = || json!({"type": "text"});
    let stored_only = || json!({"type": "object", "enabled": false});
    json!({
        "dynamic": false,
        "properties": {
            "@timestamp": {"type": "date"},
            "event": {"properties": {
                "id": keyword(), "kind": keyword(), "category": keyword(), "type": keyword(),
                "outcome": keyword(), "sequence": {"type": "long"}, "created": {"type": "date"},
            }},
            "resource": {"properties": {
                "id": keyword(), "name": keyword(), "type": keyword(), "sub_type": keyword(),
                "raw": stored_only(),
            }},
            "result": {"properties": {
                "evaluation": keyword(), "evidence": stored_only(), "expected": stored_only(),
            }},
            "rule": {"properties": {
                "id": keyword(),
                "name": {"type": "keyword", "ignore_above": 1024, "fields": {"text": {"type": "text"}}},
                "description": text(), "rationale": text(), "impact": text(),
                "default_value": text(), "remediation": text(), "references": text(),
                "profile_applicability": keyword(), "section": keyword(), "tags": keyword(),
                "benchmark": {"properties": {
                    "id": keyword(), "name": keyword(), "version": keyword(), "versions": keyword(),
                    "rule_number": keyword(), "posture_type": keyword(),
                }},
            }},
            "orchestrator": {"properties": {
                "type": keyword(),
                "cluster": {"properties": {"id": keyword(), "name": keyword(), "version": keyword()}},
                "resource": {"properties": {
                    "id": keyword(), "name": keyword(), "type": keyword(), "namespace": keyword(),
                }},
            }},
            "host": {"properties": {"name": keyword()}},
            "file": {"properties": {
                "path": keyword(), "kind": keyword(), "mode": keyword(), "mode_bits": {"type": "long"},
                "uid": keyword(), "gid": keyword(), "owner": keyword(), "group": keyword(),
                "size": {"type": "long"}, "exists": {"type": "boolean"},
            }},
            "process": {"properties": {
                "component": keyword(), "pid": {"type": "long"}, "exe": keyword(),
                "args": {"type": "keyword", "index": false, "doc_values": false},
                "config_path": keyword(),
                "flags": stored_only(), "config": stored_only(), "effective": stored_only(),
            }},
            "cloud": stored_only(),
            "source": stored_only(),
            "error": {"properties": {"message": text()}},
        },
    })
}

//! `_bulk`: NDJSON action and source lines, executed item by item with the per-item answers
//! Elasticsearch gives (a 200 whose items may each have failed).

use std::time::Instant;

use serde_json::{Value, json};

use crate::auth::{Principal, unauthorized};
use crate::mapping;
use crate::shared::Shared;
use crate::state::{Doc, EsError};

/// One parsed operation.
struct Op {
    action: &'static str,
    index: Option<String>,
    id: Option<String>,
    source: Option<Result<Value, String>>,
}

fn malformed(line: usize, what: String) -> EsError {
    EsError::new(
        400,
        "illegal_argument_exception",
        format!("Malformed action/metadata line [{line}], {what}"),
    )
}

fn parse(body: &[u8]) -> Result<Vec<Op>, EsError> {
    if body.is_empty() || body.iter().all(u8::is_ascii_whitespace) {
        return Err(EsError::new(
            400,
            "action_request_validation_exception",
            "Validation Failed: 1: no requests added;",
        ));
    }
    if body.last() != Some(&b'\n') {
        return Err(EsError::new(
            400,
            "illegal_argument_exception",
            "The bulk request must be terminated by a newline [\\n]",
        ));
    }
    let lines: Vec<&[u8]> = body.split(|&b| b == b'\n').collect();
    let mut ops = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let number = i + 1;
        i += 1;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let meta: Value = serde_json::from_slice(line).map_err(|_| {
            malformed(
                number,
                "expected START_OBJECT but found [VALUE_STRING]".into(),
            )
        })?;
        let Some(object) = meta.as_object().filter(|o| o.len() == 1) else {
            return Err(malformed(
                number,
                "expected START_OBJECT but found [START_ARRAY]".into(),
            ));
        };
        let (key, params) = object.iter().next().expect("one key");
        let action = match key.as_str() {
            "create" => "create",
            "index" => "index",
            "delete" => "delete",
            "update" => "update",
            other => {
                return Err(malformed(
                    number,
                    format!(
                        "expected field [create], [delete], [index] or [update] but found [{other}]"
                    ),
                ));
            }
        };
        let index = params["_index"].as_str().map(str::to_string);
        let id = params["_id"].as_str().map(str::to_string);
        let source = if action == "delete" {
            None
        } else {
            let Some(line) = lines.get(i).filter(|l| !l.is_empty()) else {
                return Err(EsError::new(
                    400,
                    "action_request_validation_exception",
                    "Validation Failed: 1: source is missing;",
                ));
            };
            i += 1;
            Some(serde_json::from_slice::<Value>(line).map_err(|e| e.to_string()))
        };
        ops.push(Op {
            action,
            index,
            id,
            source,
        });
    }
    Ok(ops)
}

/// Executes a bulk request; the answer body, or an error for the whole request.
pub(crate) fn execute(
    shared: &Shared,
    principal: &Principal,
    default_index: Option<&str>,
    body: &[u8],
) -> Result<Value, EsError> {
    let started = Instant::now();
    let ops = parse(body)?;
    for (n, op) in ops.iter().enumerate() {
        if op.index.is_none() && default_index.is_none() {
            return Err(EsError::new(
                400,
                "action_request_validation_exception",
                format!("Validation Failed: {}: index is missing;", n + 1),
            ));
        }
    }
    let mut items = Vec::with_capacity(ops.len());
    let mut errors = false;
    let mut auto_id = 0u64;
    for op in ops {
        let name = op
            .index
            .clone()
            .or_else(|| default_index.map(str::to_string))
            .unwrap_or_default();
        let id = op.id.clone().unwrap_or_else(|| {
            auto_id += 1;
            format!("auto{:016x}{auto_id:04}", started.elapsed().as_nanos())
        });
        let injected = shared.faults().take_item();
        let result = match injected {
            Some(status) => Err(injected_error(status)),
            None => apply(shared, principal, &op, &name, &id),
        };
        let item = match result {
            Ok(mut ok) => {
                ok["_id"] = json!(id);
                ok
            }
            Err((error, index, uuid)) => {
                errors = true;
                let index = index.unwrap_or_else(|| name.clone());
                json!({
                    "_index": index,
                    "_id": id,
                    "status": error.status,
                    "error": error.item(&index, &uuid.unwrap_or_else(|| "_na_".into())),
                })
            }
        };
        items.push(json!({ op.action: item }));
    }
    Ok(json!({
        "errors": errors,
        "took": started.elapsed().as_millis() as u64,
        "items": items,
    }))
}

fn injected_error(status: u16) -> (EsError, Option<String>, Option<String>) {
    let error = match status {
        429 => EsError::new(
            429,
            "es_rejected_execution_exception",
            "rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, primary_operation_bytes=1024, max_coordinating_and_primary_bytes=0]",
        ),
        503 => EsError::new(
            503,
            "unavailable_shards_exception",
            "[index][0] primary shard is not active Timeout: [1m]",
        ),
        other => EsError::new(other, "exception", "an injected failure on the shard"),
    };
    (error, None, None)
}

type ItemError = (EsError, Option<String>, Option<String>);

fn apply(
    shared: &Shared,
    principal: &Principal,
    op: &Op,
    name: &str,
    id: &str,
) -> Result<Value, ItemError> {
    let privileges = &principal.privileges;
    let needed = match op.action {
        "create" => "create_doc",
        "index" => "index",
        "delete" => "delete",
        _ => "write",
    };
    if !privileges.index_allows(name, needed) {
        let grants = match op.action {
            "create" => "create_doc,create,index,write,all",
            "index" => "index,write,all",
            _ => "write,all",
        };
        return Err((
            unauthorized(principal, "indices:data/write/bulk[s]", grants, Some(name)),
            None,
            None,
        ));
    }
    if op.action == "update" {
        return Err((
            EsError::new(
                400,
                "illegal_argument_exception",
                "the fake does not implement update",
            ),
            None,
            None,
        ));
    }
    let may_create = privileges.index_allows(name, "auto_configure")
        || privileges.index_allows(name, "create_index");
    let mut cluster = shared.cluster();
    let target = cluster
        .write_target(name, may_create)
        .map_err(|e| (e, None, None))?;
    let index_name = target.index.clone();
    let index = cluster.indices.get_mut(&index_name).expect("target exists");
    let uuid = index.uuid.clone();
    let fail = |e: EsError| (e, Some(index_name.clone()), Some(uuid.clone()));
    if target.data_stream && op.action != "create" {
        return Err(fail(EsError::new(
            400,
            "illegal_argument_exception",
            "only write ops with an op_type of create are allowed in data streams",
        )));
    }
    let shards = json!({"total": 2, "successful": 1, "failed": 0});
    if op.action == "delete" {
        let Some(old) = index.docs.remove(id) else {
            return Ok(
                json!({"_index": index_name, "_version": 1, "result": "not_found", "_shards": shards, "status": 404}),
            );
        };
        index.next_seq += 1;
        return Ok(
            json!({"_index": index_name, "_version": old.version + 1, "result": "deleted",
            "_shards": shards, "_seq_no": index.next_seq - 1, "_primary_term": 1, "status": 200}),
        );
    }
    let kind = shared.config.parsing_exception();
    let source = match &op.source {
        Some(Ok(v)) => v,
        Some(Err(e)) => {
            return Err(fail(EsError::new(
                400,
                kind,
                format!("failed to parse: {e}"),
            )));
        }
        None => unreachable!("create and index have a source"),
    };
    if target.data_stream && source.get("@timestamp").is_none_or(Value::is_null) {
        return Err(fail(EsError::new(
            400,
            kind,
            "data stream timestamp field [@timestamp] is missing",
        )));
    }
    if op.action == "create"
        && let Some(existing) = index.docs.get(id)
    {
        return Err(fail(EsError::new(
            409,
            "version_conflict_engine_exception",
            format!(
                "[{id}]: version conflict, document already exists (current version [{}])",
                existing.version
            ),
        )));
    }
    mapping::index_document(&mut index.mappings, source, id, kind)
        .map_err(|e| fail(EsError::from(e)))?;
    let seq_no = index.next_seq;
    index.next_seq += 1;
    let version = index.docs.get(id).map_or(1, |d| d.version + 1);
    let result = if version == 1 { "created" } else { "updated" };
    index.docs.insert(
        id.to_string(),
        Doc {
            source: if shared.config.store_sources {
                source.clone()
            } else {
                Value::Null
            },
            version,
            seq_no,
        },
    );
    Ok(json!({
        "_index": index_name,
        "_version": version,
        "result": result,
        "_shards": shards,
        "_seq_no": seq_no,
        "_primary_term": 1,
        "status": if version == 1 { 201 } else { 200 },
    }))
}

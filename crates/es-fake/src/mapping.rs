//! Mappings as Elasticsearch checks them: a template's mappings are validated when it is
//! stored (field types it knows, parameters each type accepts), and every document is parsed
//! against its index's mappings, which grow by dynamic mapping.

use serde_json::{Map, Value, json};

/// Field types the fake knows (those of the default distribution that matter for logs).
const LEAF_TYPES: &[&str] = &[
    "text",
    "match_only_text",
    "keyword",
    "constant_keyword",
    "wildcard",
    "long",
    "integer",
    "short",
    "byte",
    "double",
    "float",
    "half_float",
    "scaled_float",
    "unsigned_long",
    "date",
    "date_nanos",
    "boolean",
    "ip",
    "binary",
    "flattened",
];

/// Parameters every leaf type accepts, and those that only some accept.
const LEAF_PARAMS: &[&str] = &[
    "type",
    "index",
    "doc_values",
    "store",
    "fields",
    "null_value",
    "meta",
    "copy_to",
];

/// Parameters of `object` fields (`index` is not one of them: an object is switched off with
/// `enabled: false`).
const OBJECT_PARAMS: &[&str] = &["type", "properties", "enabled", "dynamic", "subobjects"];

/// A mapping problem, worded as Elasticsearch words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MappingError {
    /// `mapper_parsing_exception`, `document_parsing_exception`, …
    pub(crate) kind: &'static str,
    pub(crate) reason: String,
}

fn invalid(reason: String) -> MappingError {
    MappingError {
        kind: "mapper_parsing_exception",
        reason,
    }
}

/// Checks the `mappings` of a template or index creation. `data_stream` templates must map
/// `@timestamp` as a date when they map it at all.
pub(crate) fn validate(mappings: &Value, data_stream: bool) -> Result<(), MappingError> {
    let Some(root) = mappings.as_object() else {
        return Err(invalid(
            "Failed to parse mapping: mappings must be an object".into(),
        ));
    };
    for (key, value) in root {
        match key.as_str() {
            "properties" => validate_properties(value, "")?,
            "dynamic" => validate_dynamic(value, "_doc")?,
            "_source" | "_meta" | "date_detection" | "numeric_detection" | "dynamic_templates"
            | "_routing" | "subobjects" => {}
            other => {
                return Err(invalid(format!(
                    "Failed to parse mapping: Root mapping definition has unsupported parameters:  [{other} : {value}]"
                )));
            }
        }
    }
    if data_stream {
        let ts = &mappings["properties"]["@timestamp"]["type"];
        if !ts.is_null() && ts != "date" && ts != "date_nanos" {
            return Err(MappingError {
                kind: "illegal_argument_exception",
                reason: format!(
                    "data stream timestamp field [@timestamp] is of type [{}], but [date,date_nanos] is expected",
                    ts.as_str().unwrap_or("?")
                ),
            });
        }
    }
    Ok(())
}

fn validate_dynamic(value: &Value, field: &str) -> Result<(), MappingError> {
    match value {
        Value::Bool(_) => Ok(()),
        Value::String(s) if ["true", "false", "strict", "runtime"].contains(&s.as_str()) => Ok(()),
        other => Err(invalid(format!(
            "Failed to parse mapping: Could not convert [{field}.dynamic] to boolean: {other}"
        ))),
    }
}

fn validate_properties(properties: &Value, prefix: &str) -> Result<(), MappingError> {
    let Some(fields) = properties.as_object() else {
        return Err(invalid(format!(
            "Failed to parse mapping: Expected map for property [properties] on field [{prefix}] but got a class java.lang.String"
        )));
    };
    for (name, def) in fields {
        let path = join(prefix, name);
        let Some(def) = def.as_object() else {
            return Err(invalid(format!(
                "Failed to parse mapping: Expected map for property [fields] on field [{path}] but got a {def}"
            )));
        };
        let kind = match def.get("type") {
            Some(Value::String(t)) => t.as_str(),
            Some(other) => {
                return Err(invalid(format!(
                    "Failed to parse mapping: No type specified for field [{path}]: {other}"
                )));
            }
            None => "object",
        };
        if kind == "object" || kind == "nested" {
            for key in def.keys() {
                if !OBJECT_PARAMS.contains(&key.as_str()) {
                    return Err(invalid(format!(
                        "Failed to parse mapping: unknown parameter [{key}] on mapper [{path}] of type [{kind}]"
                    )));
                }
            }
            if let Some(enabled) = def.get("enabled")
                && !enabled.is_boolean()
            {
                return Err(invalid(format!(
                    "Failed to parse mapping: Failed to parse value [{enabled}] as only [true] or [false] are allowed."
                )));
            }
            if let Some(dynamic) = def.get("dynamic") {
                validate_dynamic(dynamic, &path)?;
            }
            if let Some(inner) = def.get("properties") {
                validate_properties(inner, &path)?;
            }
            continue;
        }
        if !LEAF_TYPES.contains(&kind) {
            return Err(invalid(format!(
                "Failed to parse mapping: No handler for type [{kind}] declared on field [{path}]"
            )));
        }
        for key in def.keys() {
            let allowed = LEAF_PARAMS.contains(&key.as_str())
                || match key.as_str() {
                    "ignore_above" | "normalizer" | "eager_global_ordinals" => {
                        kind == "keyword" || kind == "wildcard"
                    }
                    "value" => kind == "constant_keyword",
                    "format" | "locale" => kind == "date" || kind == "date_nanos",
                    "analyzer" | "search_analyzer" | "norms" | "index_options" => kind == "text",
                    "scaling_factor" => kind == "scaled_float",
                    "ignore_malformed" | "coerce" => !matches!(kind, "text" | "keyword"),
                    _ => false,
                };
            if !allowed {
                return Err(invalid(format!(
                    "Failed to parse mapping: unknown parameter [{key}] on mapper [{path}] of type [{kind}]"
                )));
            }
        }
        if let Some(index) = def.get("index")
            && !index.is_boolean()
        {
            return Err(invalid(format!(
                "Failed to parse mapping: Failed to parse value [{index}] as only [true] or [false] are allowed."
            )));
        }
        if kind == "scaled_float" && def.get("scaling_factor").is_none() {
            return Err(invalid(format!(
                "Failed to parse mapping: Field [scaling_factor] is required on field [{path}]"
            )));
        }
        if let Some(subfields) = def.get("fields") {
            validate_properties(subfields, &path)?;
        }
    }
    Ok(())
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

/// How an index treats fields its mappings do not name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dynamic {
    True,
    False,
    Strict,
}

fn dynamic_of(def: &Map<String, Value>, inherited: Dynamic) -> Dynamic {
    match def.get("dynamic") {
        Some(Value::Bool(true)) => Dynamic::True,
        Some(Value::Bool(false)) => Dynamic::False,
        Some(Value::String(s)) if s == "true" => Dynamic::True,
        Some(Value::String(s)) if s == "false" || s == "runtime" => Dynamic::False,
        Some(Value::String(s)) if s == "strict" => Dynamic::Strict,
        _ => inherited,
    }
}

/// Parses `doc` against `mappings` (an index's, updated in place by dynamic mapping when the
/// document is accepted). `error_kind` is the exception name of the version served.
pub(crate) fn index_document(
    mappings: &mut Value,
    doc: &Value,
    id: &str,
    error_kind: &'static str,
) -> Result<(), MappingError> {
    let Some(source) = doc.as_object() else {
        return Err(MappingError {
            kind: error_kind,
            reason: "failed to parse: the document is not a JSON object".into(),
        });
    };
    // Work on a copy so that a rejected document leaves no dynamic fields behind.
    let mut updated = mappings.clone();
    if !updated.is_object() {
        updated = json!({});
    }
    let root = updated.as_object_mut().expect("object");
    let dynamic = dynamic_of(root, Dynamic::True);
    let properties = root
        .entry("properties")
        .or_insert_with(|| json!({}))
        .as_object_mut()
        .ok_or_else(|| invalid("properties is not an object".into()))?;
    let ctx = Ctx { id, error_kind };
    parse_object(&ctx, properties, source, "", dynamic)?;
    *mappings = updated;
    Ok(())
}

struct Ctx<'a> {
    id: &'a str,
    error_kind: &'static str,
}

impl Ctx<'_> {
    fn fail(&self, reason: String) -> MappingError {
        MappingError {
            kind: self.error_kind,
            reason,
        }
    }
}

fn parse_object(
    ctx: &Ctx<'_>,
    properties: &mut Map<String, Value>,
    source: &Map<String, Value>,
    prefix: &str,
    dynamic: Dynamic,
) -> Result<(), MappingError> {
    for (name, value) in source {
        let path = join(prefix, name);
        if value.is_null() {
            continue;
        }
        // Dotted names in the source address nested objects, as in Elasticsearch.
        if let Some((head, rest)) = name.split_once('.') {
            let mut nested = Map::new();
            nested.insert(rest.to_string(), value.clone());
            let mut wrapper = Map::new();
            wrapper.insert(head.to_string(), Value::Object(nested));
            parse_object(ctx, properties, &wrapper, prefix, dynamic)?;
            continue;
        }
        match properties.get_mut(name) {
            Some(def) => parse_value(ctx, def, value, &path, dynamic)?,
            None => match dynamic {
                Dynamic::False => {}
                Dynamic::Strict => {
                    return Err(MappingError {
                        kind: "strict_dynamic_mapping_exception",
                        reason: format!(
                            "[{path}] mapping set to strict, dynamic introduction of [{name}] within [{}] is not allowed",
                            if prefix.is_empty() { "_doc" } else { prefix }
                        ),
                    });
                }
                Dynamic::True => {
                    let mut def = infer(value);
                    parse_value(ctx, &mut def, value, &path, dynamic)?;
                    properties.insert(name.clone(), def);
                }
            },
        }
    }
    Ok(())
}

/// The mapping dynamic mapping gives a new field (with date detection on strings).
fn infer(value: &Value) -> Value {
    match value {
        Value::Bool(_) => json!({"type": "boolean"}),
        Value::Number(n) if n.is_f64() => json!({"type": "float"}),
        Value::Number(_) => json!({"type": "long"}),
        Value::String(s) if looks_like_date(s) => json!({"type": "date"}),
        Value::String(_) => {
            json!({"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 256}}})
        }
        Value::Object(_) => json!({"properties": {}}),
        Value::Array(items) => items
            .iter()
            .find(|v| !v.is_null())
            .map(infer)
            .unwrap_or_else(|| json!({"properties": {}})),
        Value::Null => json!({"properties": {}}),
    }
}

fn looks_like_date(s: &str) -> bool {
    s.len() >= 10 && s.parse::<jiff::Timestamp>().is_ok()
}

fn preview(value: &Value) -> String {
    let text = value.to_string();
    text.chars().take(40).collect()
}

fn parse_value(
    ctx: &Ctx<'_>,
    def: &mut Value,
    value: &Value,
    path: &str,
    dynamic: Dynamic,
) -> Result<(), MappingError> {
    if let Value::Array(items) = value {
        for item in items {
            if !item.is_null() {
                parse_value(ctx, def, item, path, dynamic)?;
            }
        }
        return Ok(());
    }
    let Some(def_map) = def.as_object_mut() else {
        return Ok(());
    };
    let kind = def_map
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("object")
        .to_string();
    if kind == "object" || kind == "nested" {
        if def_map.get("enabled") == Some(&Value::Bool(false)) {
            // Stored in _source, never parsed: anything goes.
            return Ok(());
        }
        let Value::Object(inner) = value else {
            return Err(ctx.fail(format!(
                "object mapping for [{path}] tried to parse field [{path}] as object, but found a concrete value"
            )));
        };
        let dynamic = dynamic_of(def_map, dynamic);
        let properties = def_map
            .entry("properties")
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .ok_or_else(|| invalid("properties is not an object".into()))?;
        return parse_object(ctx, properties, inner, path, dynamic);
    }
    let failed = |expected: &str| {
        ctx.fail(format!(
            "[1:1] failed to parse field [{path}] of type [{kind}] in document with id '{}'. Preview of field's value: '{}'{expected}",
            ctx.id,
            preview(value)
        ))
    };
    if kind == "flattened" {
        return Ok(());
    }
    if value.is_object() {
        return Err(failed(""));
    }
    let ok = match kind.as_str() {
        "text" | "match_only_text" | "keyword" | "constant_keyword" | "wildcard" => {
            !value.is_object()
        }
        "long" | "integer" | "short" | "byte" | "unsigned_long" => match value {
            Value::Number(n) => {
                n.is_i64() || n.is_u64() || n.as_f64().is_some_and(|f| f.fract() == 0.0)
            }
            Value::String(s) => s.trim().parse::<i64>().is_ok(),
            _ => false,
        },
        "double" | "float" | "half_float" | "scaled_float" => match value {
            Value::Number(_) => true,
            Value::String(s) => s.trim().parse::<f64>().is_ok(),
            _ => false,
        },
        "boolean" => {
            matches!(value, Value::Bool(_))
                || matches!(value, Value::String(s) if s == "true" || s == "false" || s.is_empty())
        }
        "date" | "date_nanos" => match value {
            Value::Number(n) => n.is_i64() || n.is_u64(),
            Value::String(s) => {
                s.parse::<jiff::Timestamp>().is_ok()
                    || s.parse::<jiff::civil::Date>().is_ok()
                    || s.parse::<i64>().is_ok()
            }
            _ => false,
        },
        "ip" => matches!(value, Value::String(s) if s.parse::<std::net::IpAddr>().is_ok()),
        "binary" => value.is_string(),
        _ => true,
    };
    if ok { Ok(()) } else { Err(failed("")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_types_and_misplaced_parameters_are_refused() {
        let err = validate(&json!({"properties": {"a": {"type": "strng"}}}), false).unwrap_err();
        assert!(
            err.reason
                .contains("No handler for type [strng] declared on field [a]")
        );
        let err = validate(
            &json!({"properties": {"o": {"type": "object", "index": false}}}),
            false,
        )
        .unwrap_err();
        assert!(
            err.reason
                .contains("unknown parameter [index] on mapper [o] of type [object]")
        );
        let err = validate(
            &json!({"properties": {"k": {"type": "keyword", "enabled": false}}}),
            false,
        )
        .unwrap_err();
        assert!(err.reason.contains("unknown parameter [enabled]"));
        validate(
            &json!({"dynamic": false, "properties": {
                "o": {"type": "object", "enabled": false},
                "k": {"type": "keyword", "index": false, "ignore_above": 1024},
                "t": {"type": "text", "index": false}
            }}),
            true,
        )
        .unwrap();
    }

    #[test]
    fn documents_conflicting_with_the_mapping_are_refused_and_leave_no_trace() {
        let mut mappings = json!({});
        index_document(
            &mut mappings,
            &json!({"n": 1, "s": "x"}),
            "1",
            "mapper_parsing_exception",
        )
        .unwrap();
        assert_eq!(mappings["properties"]["n"]["type"], "long");
        let before = mappings.clone();
        let err = index_document(
            &mut mappings,
            &json!({"n": {"a": 1}, "new": true}),
            "2",
            "mapper_parsing_exception",
        )
        .unwrap_err();
        assert!(
            err.reason
                .contains("failed to parse field [n] of type [long] in document with id '2'")
        );
        assert_eq!(mappings, before);
        let err = index_document(&mut mappings, &json!({"s": {"a": 1}}), "3", "x").unwrap_err();
        assert!(
            err.reason.contains("field [s] of type [text]"),
            "{}",
            err.reason
        );
    }

    #[test]
    fn disabled_objects_take_anything() {
        let mut mappings = json!({"properties": {"raw": {"type": "object", "enabled": false}}});
        index_document(
            &mut mappings,
            &json!({"raw": {"a": [1, "b", {"c": null}]}}),
            "1",
            "x",
        )
        .unwrap();
        index_document(
            &mut mappings,
            &json!({"raw": {"a": "now a string"}}),
            "2",
            "x",
        )
        .unwrap();
        assert_eq!(
            mappings["properties"]["raw"],
            json!({"type": "object", "enabled": false})
        );
    }
}

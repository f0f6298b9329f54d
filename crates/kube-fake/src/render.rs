//! Writing objects and lists the way the API server serialises them.

use std::borrow::Cow;
use std::sync::Arc;

use serde_json::Value;

use crate::catalog::ResourceType;
use crate::fault::malform;
use crate::negotiate::Representation;
use crate::table::{self, IncludeObject};

/// What the faults in force do to served objects of one type.
#[derive(Clone, Debug, Default)]
pub(crate) struct Damage {
    /// Names served with a field of the wrong type.
    pub(crate) malformed: Vec<String>,
}

impl Damage {
    /// The object as served: damaged when its name is listed.
    pub(crate) fn apply<'a>(&self, object: &'a Value) -> Cow<'a, Value> {
        let name = object["metadata"]["name"].as_str().unwrap_or_default();
        if self.malformed.iter().any(|m| m == name) {
            let mut damaged = object.clone();
            malform(&mut damaged);
            Cow::Owned(damaged)
        } else {
            Cow::Borrowed(object)
        }
    }
}

/// The Content-Type of a representation.
pub(crate) fn content_type(representation: Representation, list: bool) -> String {
    match representation {
        Representation::Objects => "application/json".to_string(),
        Representation::Table(v) => format!("application/json;as=Table;v={v};g=meta.k8s.io"),
        Representation::Metadata(v) => {
            let kind = if list {
                "PartialObjectMetadataList"
            } else {
                "PartialObjectMetadata"
            };
            format!("application/json;as={kind};v={v};g=meta.k8s.io")
        }
    }
}

/// One object as a GET or a watch event carries it (with `kind` and `apiVersion`).
pub(crate) fn single(
    rt: &ResourceType,
    object: &Arc<Value>,
    representation: Representation,
    include: IncludeObject,
    headers: bool,
    damage: &Damage,
) -> Value {
    match representation {
        Representation::Objects => damage.apply(object).into_owned(),
        Representation::Table(v) => {
            let metadata =
                serde_json::json!({"resourceVersion": object["metadata"]["resourceVersion"]});
            let mut table = table::table(
                v,
                &rt.kind,
                std::slice::from_ref(object),
                metadata,
                include,
                headers,
            );
            if !headers {
                table["columnDefinitions"] = Value::Null;
            }
            table
        }
        Representation::Metadata(v) => table::partial_metadata(v, object),
    }
}

/// A list body: `{Kind}List` with its metadata and items, written item by item (no copy of
/// the objects). Items of built-in kinds leave out `kind` and `apiVersion`, as the real
/// server's typed lists do; custom resources keep them.
pub(crate) fn list(
    rt: &ResourceType,
    items: &[Arc<Value>],
    metadata: &Value,
    representation: Representation,
    include: IncludeObject,
    damage: &Damage,
) -> Vec<u8> {
    match representation {
        Representation::Table(v) => {
            table::table(v, &rt.kind, items, metadata.clone(), include, true)
                .to_string()
                .into_bytes()
        }
        Representation::Metadata(v) => {
            let items: Vec<Value> = items
                .iter()
                .map(|o| table::partial_metadata(v, o))
                .collect();
            serde_json::json!({
                "kind": "PartialObjectMetadataList",
                "apiVersion": format!("meta.k8s.io/{v}"),
                "metadata": metadata,
                "items": items,
            })
            .to_string()
            .into_bytes()
        }
        Representation::Objects => {
            let mut out = Vec::with_capacity(256 + items.len() * 1024);
            out.extend_from_slice(b"{\"kind\":");
            write_json(&mut out, &Value::String(format!("{}List", rt.kind)));
            out.extend_from_slice(b",\"apiVersion\":");
            write_json(&mut out, &Value::String(rt.api_version()));
            out.extend_from_slice(b",\"metadata\":");
            write_json(&mut out, metadata);
            out.extend_from_slice(b",\"items\":[");
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                let item = damage.apply(item);
                match item.as_object() {
                    Some(map) if rt.built_in => {
                        out.push(b'{');
                        let mut first = true;
                        for (key, value) in map {
                            if key == "kind" || key == "apiVersion" {
                                continue;
                            }
                            if !first {
                                out.push(b',');
                            }
                            first = false;
                            write_json(&mut out, &Value::String(key.clone()));
                            out.push(b':');
                            write_json(&mut out, value);
                        }
                        out.push(b'}');
                    }
                    _ => write_json(&mut out, &item),
                }
            }
            out.extend_from_slice(b"]}");
            out
        }
    }
}

fn write_json(out: &mut Vec<u8>, value: &Value) {
    // Writing a Value into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, value);
}

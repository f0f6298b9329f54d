//! PATCH bodies: JSON merge patch (RFC 7386) and JSON patch (RFC 6902).

use serde_json::Value;

/// Applies a JSON merge patch: objects merge key by key, `null` removes, anything else replaces.
pub(crate) fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    if let Value::Object(target) = target {
        for (key, value) in patch {
            if value.is_null() {
                target.remove(key);
            } else {
                merge(target.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
    }
}

/// Applies a JSON patch (`add`, `remove`, `replace`, `move`, `copy`, `test`), all or nothing.
pub(crate) fn json_patch(target: &mut Value, operations: &Value) -> Result<(), String> {
    let Some(operations) = operations.as_array() else {
        return Err("a JSON patch must be an array of operations".into());
    };
    let mut patched = target.clone();
    for op in operations {
        let path = op["path"].as_str().ok_or("operation without a path")?;
        let value = || {
            op.get("value")
                .cloned()
                .ok_or(format!("{path}: operation without a value"))
        };
        match op["op"].as_str().unwrap_or_default() {
            "add" => add(&mut patched, path, value()?)?,
            "remove" => {
                remove(&mut patched, path)?;
            }
            "replace" => {
                remove(&mut patched, path)?;
                add(&mut patched, path, value()?)?;
            }
            "move" => {
                let from = op["from"].as_str().ok_or("move without from")?;
                let moved = remove(&mut patched, from)?;
                add(&mut patched, path, moved)?;
            }
            "copy" => {
                let from = op["from"].as_str().ok_or("copy without from")?;
                let copied = patched
                    .pointer(from)
                    .cloned()
                    .ok_or(format!("copy from missing path {from}"))?;
                add(&mut patched, path, copied)?;
            }
            "test" => {
                if patched.pointer(path) != Some(&value()?) {
                    return Err(format!("testing value {path} failed"));
                }
            }
            other => return Err(format!("unexpected kind of operation {other:?}")),
        }
    }
    *target = patched;
    Ok(())
}

fn split(path: &str) -> Result<(&str, String), String> {
    let (parent, last) = path
        .rsplit_once('/')
        .ok_or(format!("invalid path {path:?}"))?;
    Ok((parent, last.replace("~1", "/").replace("~0", "~")))
}

fn add(target: &mut Value, path: &str, value: Value) -> Result<(), String> {
    if path.is_empty() {
        *target = value;
        return Ok(());
    }
    let (parent, key) = split(path)?;
    match target.pointer_mut(parent) {
        Some(Value::Object(map)) => {
            map.insert(key, value);
            Ok(())
        }
        Some(Value::Array(items)) => {
            let index = if key == "-" {
                items.len()
            } else {
                key.parse::<usize>()
                    .map_err(|_| format!("invalid index in {path}"))?
            };
            if index > items.len() {
                return Err(format!("index out of range in {path}"));
            }
            items.insert(index, value);
            Ok(())
        }
        _ => Err(format!("missing path {parent:?} for add")),
    }
}

fn remove(target: &mut Value, path: &str) -> Result<Value, String> {
    let (parent, key) = split(path)?;
    let removed = match target.pointer_mut(parent) {
        Some(Value::Object(map)) => map.remove(&key),
        Some(Value::Array(items)) => key
            .parse::<usize>()
            .ok()
            .filter(|i| *i < items.len())
            .map(|i| items.remove(i)),
        _ => None,
    };
    removed.ok_or(format!("missing path {path:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_merges_objects_and_deletes_nulls() {
        let mut lease = json!({"spec": {"holderIdentity": "a", "leaseTransitions": 1}, "metadata": {"labels": {"x": "1"}}});
        merge(
            &mut lease,
            &json!({"spec": {"holderIdentity": "b"}, "metadata": {"labels": null}}),
        );
        assert_eq!(
            lease,
            json!({"spec": {"holderIdentity": "b", "leaseTransitions": 1}, "metadata": {}})
        );
    }

    #[test]
    fn json_patch_is_all_or_nothing() {
        let mut lease =
            json!({"metadata": {"resourceVersion": "5"}, "spec": {"holderIdentity": "a"}});
        let stale = json!([
            {"op": "replace", "path": "/spec/holderIdentity", "value": "b"},
            {"op": "test", "path": "/metadata/resourceVersion", "value": "4"}
        ]);
        assert!(json_patch(&mut lease, &stale).is_err());
        assert_eq!(lease["spec"]["holderIdentity"], "a");
        let fresh = json!([
            {"op": "test", "path": "/metadata/resourceVersion", "value": "5"},
            {"op": "replace", "path": "/spec/holderIdentity", "value": "b"},
            {"op": "add", "path": "/spec/owners", "value": []},
            {"op": "add", "path": "/spec/owners/-", "value": "x"}
        ]);
        json_patch(&mut lease, &fresh).unwrap();
        assert_eq!(
            lease["spec"],
            json!({"holderIdentity": "b", "owners": ["x"]})
        );
    }
}

//! Redaction applied to every Kubernetes object before it leaves a collector (DESIGN §3):
//! secret values never travel into findings, stores or outputs.

use serde_json::Value;

/// What replaces a redacted value.
pub const REDACTED: &str = "<redacted>";

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// Drops `metadata.managedFields`, redacts Secret `data`/`stringData` values, container
/// `env[].value` and the last-applied-configuration annotation (which repeats everything), and
/// removes null-valued fields: the API server treats `securityContext:` with nothing after it as
/// unset, so rules must too (Helm output is full of them).
pub fn sanitize(object: &mut Value) {
    drop_nulls(object);
    let Some(obj) = object.as_object_mut() else {
        return;
    };
    if let Some(meta) = obj.get_mut("metadata").and_then(Value::as_object_mut) {
        meta.remove("managedFields");
        if let Some(ann) = meta.get_mut("annotations").and_then(Value::as_object_mut)
            && let Some(v) = ann.get_mut(LAST_APPLIED)
        {
            *v = Value::String(REDACTED.into());
        }
    }
    if obj.get("kind").and_then(Value::as_str) == Some("Secret") {
        for field in ["data", "stringData"] {
            if let Some(values) = obj.get_mut(field).and_then(Value::as_object_mut) {
                values
                    .values_mut()
                    .for_each(|v| *v = Value::String(REDACTED.into()));
            }
        }
    }
    redact_env(object);
}

/// Removes object fields whose value is null, at any depth (list items are kept).
fn drop_nulls(value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|_, v| !v.is_null());
            map.values_mut().for_each(drop_nulls);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_nulls),
        _ => {}
    }
}

/// Redacts `env[].value` wherever a container list appears (pods, templates, job templates).
fn redact_env(value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                if matches!(
                    key.as_str(),
                    "containers" | "initContainers" | "ephemeralContainers"
                ) && let Value::Array(containers) = child
                {
                    for c in containers.iter_mut() {
                        if let Some(env) = c.get_mut("env").and_then(Value::as_array_mut) {
                            for e in env.iter_mut().filter_map(Value::as_object_mut) {
                                if let Some(v) = e.get_mut("value") {
                                    *v = Value::String(REDACTED.into());
                                }
                            }
                        }
                    }
                } else if matches!(key.as_str(), "spec" | "template" | "jobTemplate") {
                    redact_env(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(redact_env),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn null_fields_are_dropped_as_the_api_server_does() {
        let mut pod = json!({"kind": "Pod", "metadata": {"name": "p", "labels": null},
            "spec": {"securityContext": null, "initContainers": null, "containers": [{"name": "c", "securityContext": {"privileged": null}}]}});
        sanitize(&mut pod);
        assert_eq!(
            pod,
            json!({"kind": "Pod", "metadata": {"name": "p"},
            "spec": {"containers": [{"name": "c", "securityContext": {}}]}})
        );
    }

    #[test]
    fn secret_values_env_values_and_last_applied_are_redacted() {
        let mut secret = json!({"kind": "Secret", "metadata": {"name": "s", "managedFields": [{}],
            "annotations": {LAST_APPLIED: "{\"data\":{\"pw\":\"aHVudGVyMg==\"}}"}},
            "data": {"pw": "aHVudGVyMg=="}, "stringData": {"token": "t"}});
        sanitize(&mut secret);
        assert_eq!(secret["data"]["pw"], REDACTED);
        assert_eq!(secret["stringData"]["token"], REDACTED);
        assert_eq!(secret["metadata"]["annotations"][LAST_APPLIED], REDACTED);
        assert!(secret["metadata"].get("managedFields").is_none());

        let mut cron = json!({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {
            "containers": [{"name": "c", "env": [{"name": "PW", "value": "hunter2"},
                {"name": "REF", "valueFrom": {"secretKeyRef": {"name": "s", "key": "pw"}}}]}]}}}}}});
        sanitize(&mut cron);
        let env = &cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["env"];
        assert_eq!(env[0]["value"], REDACTED);
        assert_eq!(
            env[1]["valueFrom"]["secretKeyRef"]["name"], "s",
            "references stay for rules"
        );
    }
}

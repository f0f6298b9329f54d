//! Transformed representations: `meta.k8s.io` `Table` (server-side printing for
//! `kubectl get`) and `PartialObjectMetadata` (metadata-only reads).

use std::sync::Arc;

use jiff::Timestamp;
use serde_json::{Value, json};

/// What a Table row carries in `object` (`includeObject`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub(crate) fn parse(value: Option<&str>) -> Result<Self, String> {
        match value {
            None | Some("") | Some("Metadata") => Ok(IncludeObject::Metadata),
            Some("None") => Ok(IncludeObject::None),
            Some("Object") => Ok(IncludeObject::Object),
            Some(other) => Err(format!(
                "includeObject: Unsupported value: {other:?}: supported values: \"Metadata\", \"None\", \"Object\""
            )),
        }
    }
}

/// One object as `PartialObjectMetadata` in `meta.k8s.io/{version}`.
pub(crate) fn partial_metadata(version: &str, object: &Value) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": object["metadata"],
    })
}

struct Column {
    name: &'static str,
    kind: &'static str,
    format: &'static str,
    priority: u8,
    description: &'static str,
}

const fn column(name: &'static str, description: &'static str) -> Column {
    Column {
        name,
        kind: "string",
        format: "",
        priority: 0,
        description,
    }
}

const NAME: Column = Column {
    name: "Name",
    kind: "string",
    format: "name",
    priority: 0,
    description: "Name must be unique within a namespace.",
};
const AGE: Column = column(
    "Age",
    "CreationTimestamp is a timestamp representing the server time when this object was created.",
);

fn columns(kind: &str) -> Vec<Column> {
    let wide = |mut c: Column| {
        c.priority = 1;
        c
    };
    match kind {
        "Pod" => vec![
            NAME,
            column(
                "Ready",
                "The aggregate readiness state of this pod for accepting traffic.",
            ),
            column(
                "Status",
                "The aggregate status of the containers in this pod.",
            ),
            column(
                "Restarts",
                "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.",
            ),
            AGE,
            wide(column("IP", "IP address allocated to the pod.")),
            wide(column("Node", "Name of the node the pod is assigned to.")),
            wide(column(
                "Nominated Node",
                "Name of the node the pod is nominated to.",
            )),
            wide(column("Readiness Gates", "Readiness gates of the pod.")),
        ],
        "Namespace" => vec![NAME, column("Status", "The status of the namespace"), AGE],
        "Node" => vec![
            NAME,
            column("Status", "The status of the node"),
            column("Roles", "The roles of the node"),
            AGE,
            column("Version", "Kubelet Version reported by the node."),
        ],
        _ => vec![NAME, AGE],
    }
}

fn cells(kind: &str, object: &Value, now: Timestamp) -> Vec<Value> {
    let name = json!(object["metadata"]["name"]);
    let age = json!(age(object, now));
    match kind {
        "Pod" => {
            let pod = PodSummary::of(object);
            let or_none =
                |v: &Value| json!(v.as_str().filter(|s| !s.is_empty()).unwrap_or("<none>"));
            vec![
                name,
                json!(format!("{}/{}", pod.ready, pod.total)),
                json!(pod.status),
                json!(pod.restarts.to_string()),
                age,
                or_none(&object["status"]["podIP"]),
                or_none(&object["spec"]["nodeName"]),
                or_none(&object["status"]["nominatedNodeName"]),
                json!("<none>"),
            ]
        }
        "Namespace" => {
            let phase = object["status"]["phase"].as_str().unwrap_or("Active");
            vec![name, json!(phase), age]
        }
        "Node" => {
            let ready = object["status"]["conditions"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|c| c["type"] == "Ready")
                .map(|c| {
                    if c["status"] == "True" {
                        "Ready"
                    } else {
                        "NotReady"
                    }
                })
                .unwrap_or("Unknown");
            let mut roles: Vec<&str> = object["metadata"]["labels"]
                .as_object()
                .into_iter()
                .flatten()
                .filter_map(|(k, _)| k.strip_prefix("node-role.kubernetes.io/"))
                .collect();
            roles.sort();
            let roles = if roles.is_empty() {
                "<none>".to_string()
            } else {
                roles.join(",")
            };
            let version = object["status"]["nodeInfo"]["kubeletVersion"]
                .as_str()
                .unwrap_or("");
            vec![name, json!(ready), json!(roles), age, json!(version)]
        }
        _ => vec![name, age],
    }
}

struct PodSummary {
    ready: usize,
    total: usize,
    restarts: u64,
    status: String,
}

impl PodSummary {
    fn of(pod: &Value) -> Self {
        let total = pod["spec"]["containers"].as_array().map_or(0, Vec::len);
        let mut status = pod["status"]["phase"]
            .as_str()
            .unwrap_or("Pending")
            .to_string();
        if let Some(reason) = pod["status"]["reason"].as_str().filter(|r| !r.is_empty()) {
            status = reason.to_string();
        }
        let mut ready = 0;
        let mut restarts = 0;
        for container in pod["status"]["containerStatuses"]
            .as_array()
            .into_iter()
            .flatten()
        {
            restarts += container["restartCount"].as_u64().unwrap_or(0);
            let state = &container["state"];
            if let Some(reason) = state["waiting"]["reason"]
                .as_str()
                .filter(|r| !r.is_empty())
            {
                status = reason.to_string();
            } else if state["terminated"].is_object() {
                status = state["terminated"]["reason"]
                    .as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("ExitCode:{}", state["terminated"]["exitCode"]));
            } else if container["ready"] == true && state["running"].is_object() {
                ready += 1;
            }
        }
        if pod["metadata"]["deletionTimestamp"].is_string() {
            status = "Terminating".to_string();
        }
        PodSummary {
            ready,
            total,
            restarts,
            status,
        }
    }
}

/// The Age column: time since `metadata.creationTimestamp`, as kubectl prints durations.
fn age(object: &Value, now: Timestamp) -> String {
    let Some(created) = object["metadata"]["creationTimestamp"]
        .as_str()
        .and_then(|t| t.parse::<Timestamp>().ok())
    else {
        return "<unknown>".to_string();
    };
    human_duration(now.as_second() - created.as_second())
}

/// Seconds as kubectl's short human durations: `45s`, `3m10s`, `5h`, `12d`, `2y30d`.
pub(crate) fn human_duration(seconds: i64) -> String {
    if seconds < -1 {
        return "<invalid>".to_string();
    }
    let seconds = seconds.max(0);
    let minutes = seconds / 60;
    let hours = minutes / 60;
    let days = hours / 24;
    let years = days / 365;
    let pair = |big: i64, big_unit: &str, small: i64, small_unit: &str| {
        if small == 0 {
            format!("{big}{big_unit}")
        } else {
            format!("{big}{big_unit}{small}{small_unit}")
        }
    };
    if seconds < 120 {
        format!("{seconds}s")
    } else if minutes < 10 {
        pair(minutes, "m", seconds % 60, "s")
    } else if minutes < 180 {
        format!("{minutes}m")
    } else if hours < 8 {
        pair(hours, "h", minutes % 60, "m")
    } else if hours < 48 {
        format!("{hours}h")
    } else if hours < 24 * 8 {
        pair(days, "d", hours % 24, "h")
    } else if days < 365 * 2 {
        format!("{days}d")
    } else if days < 365 * 8 {
        pair(years, "y", days % 365, "d")
    } else {
        format!("{years}y")
    }
}

/// A `Table` of `objects` of one kind. `list_metadata` becomes the table's metadata
/// (resourceVersion, continue, remainingItemCount); `headers` false leaves out the column
/// definitions, as the server does after the first event of a watch.
pub(crate) fn table(
    version: &str,
    kind: &str,
    objects: &[Arc<Value>],
    list_metadata: Value,
    include: IncludeObject,
    headers: bool,
) -> Value {
    let now = Timestamp::now();
    let definitions: Vec<Value> = if headers {
        columns(kind)
            .iter()
            .map(|c| {
                json!({"name": c.name, "type": c.kind, "format": c.format,
                       "description": c.description, "priority": c.priority})
            })
            .collect()
    } else {
        Vec::new()
    };
    let rows: Vec<Value> = objects
        .iter()
        .map(|object| {
            let mut row = json!({"cells": cells(kind, object, now)});
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => row["object"] = partial_metadata(version, object),
                IncludeObject::Object => row["object"] = (**object).clone(),
            }
            row
        })
        .collect();
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": list_metadata,
        "columnDefinitions": definitions,
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_kubectl() {
        assert_eq!(human_duration(5), "5s");
        assert_eq!(human_duration(119), "119s");
        assert_eq!(human_duration(190), "3m10s");
        assert_eq!(human_duration(600), "10m");
        assert_eq!(human_duration(4 * 3600 + 60), "4h1m");
        assert_eq!(human_duration(30 * 3600), "30h");
        assert_eq!(human_duration(3 * 86400 + 3600), "3d1h");
        assert_eq!(human_duration(40 * 86400), "40d");
        assert_eq!(human_duration(3 * 365 * 86400 + 86400), "3y1d");
        assert_eq!(human_duration(-10), "<invalid>");
    }

    #[test]
    fn pod_rows_show_readiness_status_and_restarts() {
        let pod = Arc::new(json!({
            "metadata": {"name": "web", "namespace": "shop", "creationTimestamp": "2020-01-01T00:00:00Z"},
            "spec": {"containers": [{"name": "a"}, {"name": "b"}], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.0.0.5", "containerStatuses": [
                {"name": "a", "ready": true, "restartCount": 2, "state": {"running": {}}},
                {"name": "b", "ready": false, "restartCount": 1, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
            ]}
        }));
        let table = table(
            "v1",
            "Pod",
            &[pod],
            json!({}),
            IncludeObject::Metadata,
            true,
        );
        let cells = &table["rows"][0]["cells"];
        assert_eq!(cells[0], "web");
        assert_eq!(cells[1], "1/2");
        assert_eq!(cells[2], "CrashLoopBackOff");
        assert_eq!(cells[3], "3");
        assert_eq!(cells[5], "10.0.0.5");
        assert_eq!(cells[6], "n1");
        assert_eq!(table["rows"][0]["object"]["kind"], "PartialObjectMetadata");
        assert_eq!(table["rows"][0]["object"]["metadata"]["namespace"], "shop");
        assert_eq!(table["columnDefinitions"][1]["name"], "Ready");
    }
}

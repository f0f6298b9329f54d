//! `kspm synth`: a deterministic synthetic cluster snapshot (a `kind: List` in JSON, as
//! `kubectl get -o json` prints it) for benchmarks and demos. Same arguments, same bytes.

use std::io::Write;

use serde_json::{Value, json};

/// A tiny deterministic generator (SplitMix64); no need for cryptographic quality here.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// True with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Objects per 10,000 pods: 100 namespaces, 1,600 Deployments with 5 replicas each (their
/// ReplicaSets and Pods), 2,000 standalone Pods, Services, ServiceAccounts, ConfigMaps,
/// Roles, RoleBindings, NetworkPolicies in most namespaces, and a handful of ClusterRoles.
pub fn cluster(pods: usize, seed: u64) -> Value {
    let mut rng = Rng(seed);
    let mut items = Vec::with_capacity(pods * 3);
    let namespaces = pods.div_ceil(100).max(1);
    let replicas = 5;
    let standalone = pods / 5;
    let deployments = (pods - standalone) / replicas;
    items.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "kube-system", "uid": uid(&mut rng)}}));
    for n in 0..namespaces {
        let ns = format!("team-{n:03}");
        let mut labels = json!({"kubernetes.io/metadata.name": ns});
        if rng.chance(40) {
            labels["pod-security.kubernetes.io/enforce"] = json!(if rng.chance(50) {
                "restricted"
            } else {
                "baseline"
            });
        }
        items.push(json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns, "uid": uid(&mut rng), "labels": labels}}));
        if rng.chance(70) {
            items.push(
                json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                "metadata": {"name": "default-deny", "namespace": ns, "uid": uid(&mut rng)},
                "spec": {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}),
            );
        }
        let verbs = if rng.chance(20) {
            json!(["*"])
        } else {
            json!(["get", "list", "watch"])
        };
        let resources = if rng.chance(30) {
            json!(["secrets", "configmaps"])
        } else {
            json!(["configmaps"])
        };
        items.push(
            json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "app-reader", "namespace": ns, "uid": uid(&mut rng)},
            "rules": [{"apiGroups": [""], "resources": resources, "verbs": verbs}]}),
        );
        items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "app-reader", "namespace": ns, "uid": uid(&mut rng)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "app-reader"},
            "subjects": [{"kind": "ServiceAccount", "name": "app", "namespace": ns}]}));
        items.push(json!({"apiVersion": "v1", "kind": "ServiceAccount",
            "metadata": {"name": "default", "namespace": ns, "uid": uid(&mut rng)}}));
    }
    for c in 0..10 {
        items.push(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": format!("ops-{c}"), "uid": uid(&mut rng)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": if c < 2 { "cluster-admin" } else { "view" }},
            "subjects": [{"kind": "Group", "name": format!("ops-team-{c}"), "apiGroup": "rbac.authorization.k8s.io"}]}));
    }
    for d in 0..deployments {
        let ns = format!("team-{:03}", d % namespaces);
        let name = format!("app-{d:05}");
        let template = pod_template(&mut rng, &name);
        let dep_uid = uid(&mut rng);
        let rs_uid = uid(&mut rng);
        items.push(json!({"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "uid": dep_uid, "labels": {"app": name}},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}}));
        let rs_name = format!("{name}-7d9f8c6b5");
        items.push(json!({"apiVersion": "apps/v1", "kind": "ReplicaSet",
            "metadata": {"name": rs_name, "namespace": ns, "uid": rs_uid, "labels": {"app": name},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": name, "uid": dep_uid, "controller": true}]},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}}, "template": template}}));
        for r in 0..replicas {
            let mut pod = json!({"apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("{rs_name}-{r:05x}"), "namespace": ns, "uid": uid(&mut rng), "labels": {"app": name},
                    "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name, "uid": rs_uid, "controller": true}]},
                "spec": template["spec"].clone()});
            pod["spec"]["nodeName"] = json!(format!("node-{}", r % 7));
            pod["status"] =
                json!({"phase": "Running", "podIP": format!("10.{}.{}.{}", d % 250, r, d % 200)});
            items.push(pod);
        }
        items.push(json!({"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": ns, "uid": uid(&mut rng)},
            "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": 8080}]}}));
        items.push(json!({"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": format!("{name}-config"), "namespace": ns, "uid": uid(&mut rng)},
            "data": {"LOG_LEVEL": "info", "FEATURE_X": "true"}}));
    }
    for p in 0..standalone {
        let ns = format!("team-{:03}", p % namespaces);
        let name = format!("job-runner-{p:05}");
        let template = pod_template(&mut rng, &name);
        items.push(json!({"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "uid": uid(&mut rng), "labels": template["metadata"]["labels"].clone()},
            "spec": template["spec"].clone()}));
    }
    json!({"apiVersion": "v1", "kind": "List", "metadata": {"resourceVersion": ""}, "items": items})
}

fn uid(rng: &mut Rng) -> String {
    let (a, b) = (rng.next(), rng.next());
    format!(
        "{:08x}-{:04x}-4{:03x}-a{:03x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        b >> 52,
        b & 0xffff_ffff_ffff
    )
}

/// A pod template with a realistic mix of good and bad settings.
fn pod_template(rng: &mut Rng, app: &str) -> Value {
    let hardened = rng.chance(40);
    let mut container = json!({"name": "app", "image": format!("registry.example.com/{app}:1.4.2"),
        "ports": [{"containerPort": 8080}],
        "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
        "env": [{"name": "LOG_LEVEL", "value": "info"}]});
    if hardened {
        container["securityContext"] = json!({"allowPrivilegeEscalation": false, "runAsNonRoot": true, "runAsUser": 10001,
            "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true, "seccompProfile": {"type": "RuntimeDefault"}});
    } else if rng.chance(15) {
        container["securityContext"] = json!({"privileged": true});
    } else if rng.chance(20) {
        container["securityContext"] = json!({"capabilities": {"add": ["NET_ADMIN", "SYS_TIME"]}});
    }
    if rng.chance(20)
        && let Some(env) = container["env"].as_array_mut()
    {
        {
            env.push(json!({"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}));
        }
    }
    let mut spec = json!({"serviceAccountName": if rng.chance(60) { "app" } else { "default" }, "containers": [container]});
    if rng.chance(10) {
        spec["hostNetwork"] = json!(true);
    }
    if rng.chance(8) {
        spec["volumes"] = json!([{"name": "host", "hostPath": {"path": "/var/run"}}]);
    }
    if rng.chance(30) {
        spec["automountServiceAccountToken"] = json!(false);
    }
    if rng.chance(25) {
        spec["initContainers"] =
            json!([{"name": "init", "image": "busybox:1.36", "command": ["sh", "-c", "true"]}]);
    }
    json!({"metadata": {"labels": {"app": app}}, "spec": spec})
}

/// Writes the snapshot as JSON.
pub fn write(pods: usize, seed: u64, out: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, &cluster(pods, seed))?;
    out.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_gives_the_same_cluster_and_pod_count_is_exact() {
        let a = cluster(500, 7);
        assert_eq!(a, cluster(500, 7));
        assert_ne!(a, cluster(500, 8));
        let pods = a["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|i| i["kind"] == "Pod")
            .count();
        assert_eq!(pods, 500);
    }
}

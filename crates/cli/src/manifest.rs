//! `kspm manifest`: the Kubernetes objects that run kspm in a cluster — the agent as a
//! DaemonSet with least-privilege, read-only access, and (unless findings go to a server
//! elsewhere) the kspm server with its storage. Each document is preceded by comments saying
//! why it is as it is; kspm's own findings on these objects are explained there too.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use anyhow::Context as _;
use serde_json::{Value, json};

use crate::args::{ManifestArgs, ManifestPlatform};
use crate::exit::Exit;

/// jemalloc's settings for the agent (`_RJEM_MALLOC_CONF`): between cycles the agent idles for
/// hours, and without a background thread jemalloc keeps what a cycle freed until the next
/// allocation. With it, unused pages go back to the node a second after the cycle.
pub const MALLOC_CONF: &str = "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000";

/// Runs `kspm manifest`.
pub fn run(args: ManifestArgs) -> anyhow::Result<Exit> {
    let mut bundle = crate::bundle::load(&[])?;
    // The kinds of what the agent's `--benchmark auto` evaluates on this platform.
    let platform = match args.platform {
        ManifestPlatform::Kubeadm => "kubeadm",
        ManifestPlatform::Eks => "eks",
    };
    let benchmarks = bundle.select_benchmarks(&["auto".to_owned()], platform)?;
    bundle.retain_benchmarks(&benchmarks);
    if args.platform == ManifestPlatform::Eks
        && (args.eks_cluster.is_none() || args.aws_region.is_none())
    {
        return Err(crate::exit::UsageError(
            "--platform eks needs --eks-cluster NAME and --aws-region REGION: the agent reads the \
             cluster's AWS side (CIS EKS sections 2 and 5), and inside the cluster nothing names it"
                .into(),
        )
        .into());
    }
    if args.iam_policy {
        let policy = iam_policy(&args)?;
        println!("{}", serde_json::to_string_pretty(&policy)?);
        return Ok(Exit::Clean);
    }
    let token = random_token()?;
    let text = render(&args, &bundle.needed_kinds(), &token)?;
    use std::io::Write as _;
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(Exit::Clean)
}

/// The IAM policy of the agent's role on EKS: read-only, the actions the AWS source calls and
/// nothing else, on the named cluster where the action allows it.
pub fn iam_policy(args: &ManifestArgs) -> anyhow::Result<Value> {
    let (Some(cluster), Some(region)) = (&args.eks_cluster, &args.aws_region) else {
        return Err(crate::exit::UsageError(
            "--iam-policy needs --platform eks, --eks-cluster and --aws-region".into(),
        )
        .into());
    };
    // One statement per resource pattern, actions in the source's order.
    let mut statements: Vec<(String, Vec<&str>)> = Vec::new();
    for (action, resource) in kspm_collect::cloud::aws::IAM_ACTIONS {
        // A named cluster is never looked up by its endpoint.
        if *action == "eks:ListClusters" {
            continue;
        }
        let resource = resource
            .replace("{region}", region)
            .replace("{cluster}", cluster);
        match statements.iter_mut().find(|(r, _)| *r == resource) {
            Some((_, actions)) => actions.push(action),
            None => statements.push((resource, vec![action])),
        }
    }
    Ok(json!({
        "Version": "2012-10-17",
        "Statement": statements.iter().enumerate().map(|(i, (resource, actions))| json!({
            "Sid": format!("KspmRead{}", i + 1),
            "Effect": "Allow",
            "Action": actions,
            "Resource": resource,
        })).collect::<Vec<_>>(),
    }))
}

/// How a kind is addressed in RBAC: (API group, plural).
fn resource_of(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "Namespace" => ("", "namespaces"),
        "Pod" => ("", "pods"),
        "ServiceAccount" => ("", "serviceaccounts"),
        "Service" => ("", "services"),
        "ConfigMap" => ("", "configmaps"),
        "Node" => ("", "nodes"),
        "ReplicationController" => ("", "replicationcontrollers"),
        "Endpoints" => ("", "endpoints"),
        "PersistentVolumeClaim" => ("", "persistentvolumeclaims"),
        "LimitRange" => ("", "limitranges"),
        "ResourceQuota" => ("", "resourcequotas"),
        "Deployment" => ("apps", "deployments"),
        "StatefulSet" => ("apps", "statefulsets"),
        "DaemonSet" => ("apps", "daemonsets"),
        "ReplicaSet" => ("apps", "replicasets"),
        "Job" => ("batch", "jobs"),
        "CronJob" => ("batch", "cronjobs"),
        "Role" => ("rbac.authorization.k8s.io", "roles"),
        "RoleBinding" => ("rbac.authorization.k8s.io", "rolebindings"),
        "ClusterRole" => ("rbac.authorization.k8s.io", "clusterroles"),
        "ClusterRoleBinding" => ("rbac.authorization.k8s.io", "clusterrolebindings"),
        "NetworkPolicy" => ("networking.k8s.io", "networkpolicies"),
        "Ingress" => ("networking.k8s.io", "ingresses"),
        "PodSecurityPolicy" => ("policy", "podsecuritypolicies"),
        "PodDisruptionBudget" => ("policy", "poddisruptionbudgets"),
        "CertificateSigningRequest" => ("certificates.k8s.io", "certificatesigningrequests"),
        "ValidatingWebhookConfiguration" => (
            "admissionregistration.k8s.io",
            "validatingwebhookconfigurations",
        ),
        "MutatingWebhookConfiguration" => (
            "admissionregistration.k8s.io",
            "mutatingwebhookconfigurations",
        ),
        "ValidatingAdmissionPolicy" => (
            "admissionregistration.k8s.io",
            "validatingadmissionpolicies",
        ),
        "ValidatingAdmissionPolicyBinding" => (
            "admissionregistration.k8s.io",
            "validatingadmissionpolicybindings",
        ),
        "HorizontalPodAutoscaler" => ("autoscaling", "horizontalpodautoscalers"),
        "StorageClass" => ("storage.k8s.io", "storageclasses"),
        "PriorityClass" => ("scheduling.k8s.io", "priorityclasses"),
        "RuntimeClass" => ("node.k8s.io", "runtimeclasses"),
        "CustomResourceDefinition" => ("apiextensions.k8s.io", "customresourcedefinitions"),
        "CSIDriver" => ("storage.k8s.io", "csidrivers"),
        "AdminNetworkPolicy" => ("policy.networking.k8s.io", "adminnetworkpolicies"),
        "BaselineAdminNetworkPolicy" => {
            ("policy.networking.k8s.io", "baselineadminnetworkpolicies")
        }
        "ClusterNetworkPolicy" => ("policy.networking.k8s.io", "clusternetworkpolicies"),
        // Custom resources of network-policy engines and secret managers that some rules read
        // (none of them holds a secret's value).
        "CiliumNetworkPolicy" => ("cilium.io", "ciliumnetworkpolicies"),
        "CiliumClusterwideNetworkPolicy" => ("cilium.io", "ciliumclusterwidenetworkpolicies"),
        "GlobalNetworkPolicy" => ("crd.projectcalico.org", "globalnetworkpolicies"),
        "ExternalSecret" => ("external-secrets.io", "externalsecrets"),
        "SecretStore" => ("external-secrets.io", "secretstores"),
        "ClusterSecretStore" => ("external-secrets.io", "clustersecretstores"),
        "SealedSecret" => ("bitnami.com", "sealedsecrets"),
        "SecretProviderClass" => ("secrets-store.csi.x-k8s.io", "secretproviderclasses"),
        "VaultConnection" => ("secrets.hashicorp.com", "vaultconnections"),
        "VaultStaticSecret" => ("secrets.hashicorp.com", "vaultstaticsecrets"),
        "VaultDynamicSecret" => ("secrets.hashicorp.com", "vaultdynamicsecrets"),
        _ => return None,
    })
}

/// Kinds read only because a rule looks at every object of the `default` namespace (`*`):
/// the agent may list these there; a kind it may not list is reported, never guessed.
const DEFAULT_NAMESPACE_KINDS: &[&str] = &[
    "Pod",
    "Service",
    "ConfigMap",
    "ServiceAccount",
    "Deployment",
    "StatefulSet",
    "DaemonSet",
    "ReplicaSet",
    "Job",
    "CronJob",
    "Role",
    "RoleBinding",
    "NetworkPolicy",
    "Ingress",
    "PersistentVolumeClaim",
    "Endpoints",
    "LimitRange",
    "ResourceQuota",
    "PodDisruptionBudget",
    "HorizontalPodAutoscaler",
    "ReplicationController",
];

/// The ClusterRole's rules: get/list/watch on exactly `kinds` (plus what `*` stands for),
/// grouped by API group; never Secrets.
fn read_rules(kinds: &BTreeSet<String>) -> anyhow::Result<Vec<Value>> {
    let mut by_group: std::collections::BTreeMap<&str, BTreeSet<&str>> = Default::default();
    let every = kinds.contains("*");
    let listed = kinds
        .iter()
        .map(String::as_str)
        .filter(|k| *k != "*")
        .chain(
            every
                .then_some(DEFAULT_NAMESPACE_KINDS.iter().copied())
                .into_iter()
                .flatten(),
        );
    for kind in listed {
        if kind == "Secret" {
            continue;
        }
        let (group, plural) = resource_of(kind).with_context(|| {
            format!("kspm manifest does not know the API group of the kind {kind} a rule reads")
        })?;
        by_group.entry(group).or_default().insert(plural);
    }
    Ok(by_group
        .into_iter()
        .map(|(group, plurals)| {
            json!({
                "apiGroups": [group],
                "resources": plurals.into_iter().collect::<Vec<_>>(),
                "verbs": ["get", "list", "watch"],
            })
        })
        .collect())
}

/// One host path the node rules read, mounted read-only under `/hostfs`.
struct HostMount {
    name: &'static str,
    path: &'static str,
    /// hostPath type: `Directory`/`File` when every node of the platform has it (the pod does
    /// not start without it), `""` when some nodes lack it.
    kind: &'static str,
    why: &'static str,
}

fn host_mounts(platform: ManifestPlatform) -> Vec<HostMount> {
    let mut mounts = vec![
        HostMount {
            name: "proc",
            path: "/proc",
            kind: "Directory",
            why: "processes' command lines (flags of the kubelet and control plane), etcd's \
                  environment, and files a containerised process names, through /proc/PID/root",
        },
        HostMount {
            name: "etc-kubernetes",
            path: "/etc/kubernetes",
            kind: "Directory",
            why: "kubeconfig files, static pod manifests and PKI: permissions and owners \
                  (sections 1.1, 4.1); file contents are read only where a rule needs a setting",
        },
        HostMount {
            name: "systemd-etc",
            path: "/etc/systemd/system",
            kind: "Directory",
            why: "the kubelet's unit and drop-ins (section 4.1, kubelet flags)",
        },
        HostMount {
            name: "systemd-usr",
            path: "/usr/lib/systemd/system",
            kind: "Directory",
            why: "the kubelet's packaged unit and drop-ins",
        },
        HostMount {
            name: "passwd",
            path: "/etc/passwd",
            kind: "File",
            why: "user names for owner checks (root:root, etcd:etcd)",
        },
        HostMount {
            name: "group",
            path: "/etc/group",
            kind: "File",
            why: "group names for owner checks",
        },
        HostMount {
            name: "hostname",
            path: "/etc/hostname",
            kind: "File",
            why: "the node's name when the kubelet does not override it",
        },
    ];
    match platform {
        ManifestPlatform::Kubeadm => mounts.extend([
            HostMount {
                name: "kubelet-config",
                path: "/var/lib/kubelet/config.yaml",
                kind: "File",
                why: "the kubelet's configuration file (section 4.2) and its permissions",
            },
            HostMount {
                name: "kubelet-pki",
                path: "/var/lib/kubelet/pki",
                kind: "Directory",
                why: "the kubelet's serving certificate (4.2.10): only this directory of \
                      /var/lib/kubelet, whose pods/ holds other pods' Secret volumes",
            },
            HostMount {
                name: "etcd-data",
                path: "/var/lib/etcd",
                kind: "",
                why: "the etcd data directory's permissions and owner (1.1.11, 1.1.12) on \
                      control-plane nodes; Kubernetes checks nothing for this type, and on a \
                      node without it the container runtime creates an empty directory",
            },
            HostMount {
                name: "cni",
                path: "/etc/cni/net.d",
                kind: "",
                why: "CNI configuration files' permissions (1.1.9, 1.1.10)",
            },
        ]),
        ManifestPlatform::Eks => mounts.extend([HostMount {
            name: "kubelet-kubeconfig",
            path: "/var/lib/kubelet/kubeconfig",
            kind: "File",
            why: "the kubelet's kubeconfig on EKS nodes (3.1.1, 3.1.2)",
        }]),
    }
    mounts
}

/// The whole manifest as YAML documents with comments.
pub fn render(
    args: &ManifestArgs,
    kinds: &BTreeSet<String>,
    token: &str,
) -> anyhow::Result<String> {
    let ns = args.namespace.as_str();
    let in_cluster_server = args.server_url.is_none();
    let server_url = args
        .server_url
        .clone()
        .unwrap_or_else(|| format!("http://kspm-server.{ns}.svc:8080"));
    let interval = crate::args::format_duration(args.interval);
    let labels = |component: &str| json!({"app.kubernetes.io/name": "kspm", "app.kubernetes.io/component": component});
    let mut docs: Vec<(String, Value)> = Vec::new();

    docs.push((
        "The namespace. The agent reads host paths, so it cannot meet the baseline Pod Security \
         Standard; the namespace enforces `privileged` and warns on `restricted`. kspm's rules \
         5.2.1-5.2.12 therefore fail on this namespace, by design (see the DaemonSet)."
            .into(),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns,
            "labels": {"pod-security.kubernetes.io/enforce": "privileged",
                       "pod-security.kubernetes.io/warn": "restricted"}}}),
    ));
    docs.push((
        "The agent's identity. Its token is never mounted automatically (5.1.6); the agent's \
         pod, which calls the API server, mounts a short-lived one explicitly."
            .into(),
        {
            let mut sa = json!({"apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": "kspm-agent", "namespace": ns, "labels": labels("agent")},
                "automountServiceAccountToken": false});
            if let Some(role) = &args.aws_role_arn {
                sa["metadata"]["annotations"] = json!({"eks.amazonaws.com/role-arn": role});
            }
            sa
        },
    ));
    docs.push((
        "Read-only access to exactly the kinds kspm's rules evaluate or read (get, list, watch). \
         There is no rule for Secrets: the agent can never read one. A kind listed because a \
         rule looks at every object of the `default` namespace is one of a fixed list; a kind \
         outside it is reported by the scan as not readable."
            .into(),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
            "metadata": {"name": "kspm-agent-read", "labels": labels("agent")},
            "rules": read_rules(kinds)?}),
    ));
    docs.push((
        "Binds the read-only ClusterRole to the agent.".into(),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
            "metadata": {"name": "kspm-agent-read", "labels": labels("agent")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kspm-agent-read"},
            "subjects": [{"kind": "ServiceAccount", "name": "kspm-agent", "namespace": ns}]}),
    ));
    docs.push((
        "Leader election: one agent holds the Lease `kspm-leader` and evaluates the cluster's \
         objects. Creating cannot be limited to a name; reading and updating are."
            .into(),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "kspm-agent-lease", "namespace": ns, "labels": labels("agent")},
        "rules": [
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"],
             "resourceNames": ["kspm-leader"], "verbs": ["get", "update"]}
        ]}),
    ));
    docs.push((
        "Binds the Lease role to the agent, in this namespace only.".into(),
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "kspm-agent-lease", "namespace": ns, "labels": labels("agent")},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "kspm-agent-lease"},
            "subjects": [{"kind": "ServiceAccount", "name": "kspm-agent", "namespace": ns}]}),
    ));
    docs.push((
        "The server's write token, generated with this manifest (run `kspm manifest` again for \
         another). The agent reads it from a mounted file; its RBAC has no access to Secrets."
            .into(),
        json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "kspm-write-token", "namespace": ns, "labels": labels("server")},
            "stringData": {"token": token}}),
    ));

    docs.push((
        "No traffic into kspm's pods except what they serve (5.3.2): the agents' metrics \
         (port 9090, for Prometheus wherever it runs) and the server's port 8080 to the agents \
         of this namespace (`kubectl port-forward` does not pass through network policies)."
            .into(),
        json!({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
        "metadata": {"name": "kspm-ingress", "namespace": ns, "labels": labels("agent")},
        "spec": {"podSelector": {}, "policyTypes": ["Ingress"], "ingress": [
            {"ports": [{"protocol": "TCP", "port": 9090}]},
            {"from": [{"podSelector": {"matchLabels": labels("agent")}}],
             "ports": [{"protocol": "TCP", "port": 8080}]}
        ]}}),
    ));
    let mounts = host_mounts(args.platform);
    let mut volume_list: Vec<Value> = mounts
        .iter()
        .map(|m| json!({"name": m.name, "hostPath": {"path": m.path, "type": m.kind}}))
        .collect();
    volume_list.push(
        json!({"name": "write-token", "secret": {"secretName": "kspm-write-token",
        "defaultMode": 0o440, "items": [{"key": "token", "path": "token"}]}}),
    );
    // The API token, mounted explicitly (the pod turns automounting off, 5.1.6): short-lived,
    // refreshed by the kubelet, and read again by the agent's client.
    volume_list.push(json!({"name": "api-token", "projected": {"defaultMode": 0o400, "sources": [
        {"serviceAccountToken": {"path": "token", "expirationSeconds": 3600}},
        {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
        {"downwardAPI": {"items": [{"path": "namespace", "fieldRef": {"fieldPath": "metadata.namespace"}}]}}
    ]}}));
    let mut mount_list: Vec<Value> = mounts
        .iter()
        .map(|m| {
            json!({"name": m.name, "mountPath": format!("/hostfs{}", m.path), "readOnly": true})
        })
        .collect();
    mount_list.push(
        json!({"name": "write-token", "mountPath": "/var/run/secrets/kspm", "readOnly": true}),
    );
    // The spool: batches wait here while the server is away, and survive a restart of the
    // container (not of the pod). The only writable path of the agent.
    volume_list.push(json!({"name": "spool", "emptyDir": {"sizeLimit": "300Mi"}}));
    mount_list.push(json!({"name": "spool", "mountPath": "/var/spool/kspm"}));
    mount_list.push(json!({"name": "api-token",
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true}));
    let mut why = String::new();
    for m in &mounts {
        let _ = write!(
            why,
            "\n  {} ({}): {}.",
            m.path,
            if m.kind.is_empty() {
                "optional"
            } else {
                m.kind
            },
            m.why
        );
    }
    let field = |path: &str| json!({"fieldRef": {"fieldPath": path}});
    let tolerations = match args.platform {
        ManifestPlatform::Kubeadm => json!([
            {"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"},
            {"key": "node-role.kubernetes.io/master", "operator": "Exists", "effect": "NoSchedule"}
        ]),
        ManifestPlatform::Eks => json!([]),
    };
    let mut container = json!({
            "name": "agent",
            "image": args.image,
            "imagePullPolicy": "IfNotPresent",
            "args": ["agent", "--interval", interval, "--listen", "0.0.0.0:9090",
                "--spool-dir", "/var/spool/kspm", "--spool-size", "256"],
            "env": [
                {"name": "NODE_NAME", "valueFrom": field("spec.nodeName")},
                {"name": "POD_NAME", "valueFrom": field("metadata.name")},
                {"name": "POD_NAMESPACE", "valueFrom": field("metadata.namespace")},
                {"name": "KSPM_SERVER", "value": server_url},
                {"name": "KSPM_TOKEN_FILE", "value": "/var/run/secrets/kspm/token"},
                {"name": "KSPM_HOST_ROOT", "value": "/hostfs"},
                {"name": "_RJEM_MALLOC_CONF", "value": MALLOC_CONF}
            ],
            "ports": [{"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": "metrics"},
                "periodSeconds": 30, "failureThreshold": 3},
            "readinessProbe": {"httpGet": {"path": "/readyz", "port": "metrics"},
                "periodSeconds": 15},
            "resources": {
                "requests": {"cpu": "50m", "memory": "64Mi"},
                "limits": {"cpu": "1", "memory": "384Mi"}
            },
            "securityContext": {
                "privileged": false,
                "allowPrivilegeEscalation": false,
                "readOnlyRootFilesystem": true,
                "runAsUser": 0,
                "runAsNonRoot": false,
                "capabilities": {"drop": ["ALL"], "add": ["DAC_READ_SEARCH", "SYS_PTRACE"]}
            },
            "volumeMounts": mount_list
    });
    // EKS: the cluster the AWS side is read for. IRSA's webhook adds the role's token and
    // AWS_ROLE_ARN itself; EKS Pod Identity's agent adds the container credentials.
    if let (Some(cluster), Some(region), Some(env)) = (
        &args.eks_cluster,
        &args.aws_region,
        container["env"].as_array_mut(),
    ) {
        env.push(json!({"name": "KSPM_EKS_CLUSTER", "value": cluster}));
        env.push(json!({"name": "AWS_REGION", "value": region}));
    }
    docs.push((
        format!(
            "The agent, one per node{}. Every node's files and processes are assessed now and \
             every {interval}; the holder of the Lease also assesses the cluster's objects.\n\
             Security: not privileged, no privilege escalation, read-only root filesystem, \
             seccomp RuntimeDefault, no host network or host PID, and every capability dropped \
             but two, both for reading: DAC_READ_SEARCH to look into root-only directories and \
             files (/var/lib/etcd is 0700, keys are 0600) and SYS_PTRACE to read other \
             processes' /proc/PID/environ and /proc/PID/root. It runs as root because those \
             files belong to root. Its API token is a projected, hour-long token mounted \
             explicitly (automounting is off, so 5.1.6 passes).\n\
             kspm's own findings caused by this object, by design: 5.6.3 (a container that may \
             run as root) here, and on the namespace 5.2.1-5.2.12, because the namespace must \
             admit this pod's hostPath volumes (5.2.11), root user (5.2.7) and added \
             capabilities (5.2.9). The host paths, all mounted read-only:{why}",
            if args.platform == ManifestPlatform::Kubeadm {
                ", control-plane nodes included"
            } else {
                ""
            }
        ),
        json!({"apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "kspm-agent", "namespace": ns, "labels": labels("agent")},
        "spec": {
            "selector": {"matchLabels": labels("agent")},
            "updateStrategy": {"type": "RollingUpdate"},
            "template": {
                "metadata": {"labels": labels("agent")},
                "spec": {
                    "serviceAccountName": "kspm-agent",
                    "automountServiceAccountToken": false,
                    "hostNetwork": false,
                    "hostPID": false,
                    "hostIPC": false,
                    "tolerations": tolerations,
                    "priorityClassName": "system-node-critical",
                    "terminationGracePeriodSeconds": 30,
                    "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
                    "containers": [container],
                    "volumes": volume_list
                }
            }
        }}),
    ));

    if in_cluster_server {
        let server_labels = labels("server");
        docs.push((
            "The server's database (SQLite): one writer, so one replica on one volume.".into(),
            json!({"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                "metadata": {"name": "kspm-data", "namespace": ns, "labels": server_labels},
                "spec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "2Gi"}}}}),
        ));
        docs.push((
            "The kspm server: ingest API for the agents, dashboard and findings on port 8080. \
             It runs as a non-root user with nothing but its volume writable and never talks \
             to the API server (no service account token). Reach the dashboard with \
             `kubectl -n NAMESPACE port-forward svc/kspm-server 8080`. The write token is a \
             mounted Secret file, never an environment variable (5.4.1)."
                .into(),
            json!({"apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "kspm-server", "namespace": ns, "labels": server_labels},
                "spec": {
                    "replicas": 1,
                    "strategy": {"type": "Recreate"},
                    "selector": {"matchLabels": server_labels},
                    "template": {
                        "metadata": {"labels": server_labels},
                        "spec": {
                            "automountServiceAccountToken": false,
                            "securityContext": {"runAsNonRoot": true, "runAsUser": 65532,
                                "runAsGroup": 65532, "fsGroup": 65532,
                                "seccompProfile": {"type": "RuntimeDefault"}},
                            "containers": [{
                                "name": "server",
                                "image": args.image,
                                "imagePullPolicy": "IfNotPresent",
                                "args": ["server", "--db", "/data/kspm.db", "--listen", "0.0.0.0:8080",
                                    "--write-token-file", "/var/run/secrets/kspm/token"],
                                "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"}],
                                "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                                "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}},
                                "resources": {
                                    "requests": {"cpu": "100m", "memory": "128Mi"},
                                    "limits": {"cpu": "1", "memory": "512Mi"}
                                },
                                "securityContext": {
                                    "privileged": false,
                                    "allowPrivilegeEscalation": false,
                                    "readOnlyRootFilesystem": true,
                                    "capabilities": {"drop": ["ALL"]}
                                },
                                "volumeMounts": [
                                    {"name": "data", "mountPath": "/data"},
                                    {"name": "write-token", "mountPath": "/var/run/secrets/kspm", "readOnly": true}
                                ]
                            }],
                            "volumes": [
                                {"name": "data", "persistentVolumeClaim": {"claimName": "kspm-data"}},
                                {"name": "write-token", "secret": {"secretName": "kspm-write-token",
                                    "defaultMode": 0o440, "items": [{"key": "token", "path": "token"}]}}
                            ]
                        }
                    }
                }}),
        ));
        docs.push((
            "The server inside the cluster, for the agents and for port-forwarding.".into(),
            json!({"apiVersion": "v1", "kind": "Service",
                "metadata": {"name": "kspm-server", "namespace": ns, "labels": labels("server")},
                "spec": {"selector": labels("server"),
                    "ports": [{"name": "http", "port": 8080, "targetPort": "http", "protocol": "TCP"}]}}),
        ));
    }

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# kspm {} — generated by `kspm manifest --platform {}`.\n\
         # Apply: kubectl apply -f kspm.yaml    Remove: kubectl delete -f kspm.yaml",
        env!("CARGO_PKG_VERSION"),
        match args.platform {
            ManifestPlatform::Kubeadm => "kubeadm",
            ManifestPlatform::Eks => "eks",
        }
    );
    if let (ManifestPlatform::Eks, Some(cluster), Some(region)) =
        (args.platform, &args.eks_cluster, &args.aws_region)
    {
        let grant = match &args.aws_role_arn {
            Some(role) => format!(
                "# The agent's service account assumes {role} through IRSA (the cluster needs an \
                 IAM OIDC provider).\n"
            ),
            None => format!(
                "# Give the agent an IAM role with EKS Pod Identity (the eks-pod-identity-agent \
                 add-on must run):\n\
                 #   aws eks create-pod-identity-association --cluster-name {cluster} --region {region} \\\n\
                 #     --namespace {ns} --service-account kspm-agent --role-arn ROLE_ARN\n\
                 # (or pass --aws-role-arn to use IRSA instead).\n"
            ),
        };
        let _ = write!(
            out,
            "# CIS EKS sections 2 and 5 read cluster {cluster} in {region} from the AWS APIs.\n\
             {grant}\
             # The role's policy, read-only: kspm manifest --platform eks --eks-cluster {cluster} \
             --aws-region {region} --iam-policy\n"
        );
    }
    for (comment, doc) in &docs {
        out.push_str("---\n");
        for line in wrap(comment, 96) {
            let _ = writeln!(out, "# {line}");
        }
        let yaml = serde_saphyr::to_string(doc).context("writing the manifest as YAML")?;
        out.push_str(&yaml);
        if !yaml.ends_with('\n') {
            out.push('\n');
        }
    }
    Ok(out)
}

/// Words wrapped at `width`, keeping the text's own line breaks.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split_whitespace() {
            if !line.is_empty() && line.len() + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
        lines.push(line);
    }
    lines
}

/// 32 random bytes as hex.
fn random_token() -> anyhow::Result<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("no randomness for the token: {e}"))?;
    Ok(bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    }))
}

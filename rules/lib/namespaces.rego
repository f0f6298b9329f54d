# Helpers for rules evaluated per Namespace: Pod Security Admission labels, policy engines seen
# in the scan, and the workloads that live in a namespace (looked up through the inventory index,
# never by scanning every object).
package kspm.lib.namespaces

import rego.v1

# object.get that also treats null as missing, for the object itself and for the value: YAML
# manifests often carry `labels:` or `securityContext:` with nothing after them, and the API
# returns `rules: null` for an aggregated ClusterRole that selects nothing.
field(obj, key, _) := obj[key] if has_value(obj, key)

field(obj, key, fallback) := fallback if not has_value(obj, key)

has_value(obj, key) if {
	is_object(obj)
	obj[key] != null
}

# Namespaces that hold only Kubernetes' own components and data.
system_namespaces := {"kube-system", "kube-public", "kube-node-lease"}

# A Namespace object that is not one of the system namespaces.
user_namespace(ns) if {
	ns.kind == "Namespace"
	not ns.metadata.name in system_namespaces
}

# The objects of a kind in a namespace, {} when there are none.
objects_in(kind, namespace) := field(field(data.inventory.objects, kind, {}), namespace, {})

# The workloads of a namespace, from the engine's index `data.inventory.workloads`: every object
# that carries a pod spec, except copies made by a controller that is itself in the scan (the
# controller stands for them), as {"object": …, "spec": pod spec or {}, "containers": as
# kspm.lib.pods.containers}. Built in Rust once per scan, so a namespace rule reads its
# workloads without calling a function per object.
workloads(namespace) := object.get(data.inventory.workloads, namespace, [])

# Kinds that carry a pod spec, in the order the index lists them.
workload_kind_list := ["Pod", "CronJob", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "Job", "ReplicationController"]

# The workloads of the Namespace under evaluation. A rule, not a function, so that the rules
# evaluated on one Namespace in the same call share one computation.
input_workloads := workloads(input.resource.metadata.name) if input.resource.kind == "Namespace"

# "Kind/name" of an object in the namespace under evaluation.
ref(obj) := sprintf("%s/%s", [obj.kind, obj.metadata.name])

# "Kind/name (detail, detail)" naming what inside the object is at fault.
ref_with(obj, details) := sprintf("%s (%s)", [ref(obj), concat(", ", details)])

# Evidence lists stay readable on big clusters: sorted, at most `limit` entries (the count is
# reported next to them).
limit := 25

capped(xs) := array.slice(sort(xs), 0, limit)

# Pod Security Admission.

psa_levels := {"privileged": 0, "baseline": 1, "restricted": 2}

psa_label(ns, mode) := field(field(ns.metadata, "labels", {}), sprintf("pod-security.kubernetes.io/%s", [mode]), "(not set)")

# The namespace enforces `required` or a stricter level.
psa_enforces(ns, required) if psa_levels[psa_label(ns, "enforce")] >= psa_levels[required]

accepted_levels := {"baseline": "baseline or restricted", "restricted": "restricted"}

# Admission policy engines visible in the scan. They may enforce the same controls as PSA, which
# kspm cannot judge from the objects, so they turn a missing PSA label into a manual check.
policy_engines contains sprintf("ValidatingAdmissionPolicy/%s", [name]) if {
	some name, _ in objects_in("ValidatingAdmissionPolicy", "")
}

policy_engines contains sprintf("%s (ValidatingWebhookConfiguration/%s)", [engine, name]) if {
	some name, cfg in objects_in("ValidatingWebhookConfiguration", "")
	some hook in field(cfg, "webhooks", [])
	engine := webhook_engine(hook)
}

webhook_engine(hook) := "Kyverno" if contains(hook.name, "kyverno")

webhook_engine(hook) := "Kyverno" if hook.clientConfig.service.namespace == "kyverno"

webhook_engine(hook) := "Gatekeeper" if endswith(hook.name, "gatekeeper.sh")

webhook_engine(hook) := "Gatekeeper" if hook.clientConfig.service.namespace == "gatekeeper-system"

webhook_engine(hook) := "Kubewarden" if contains(hook.name, "kubewarden")

# The finding of a 5.2.x rule on a user Namespace: passed when the namespace enforces `required`
# or stricter, manual when it does not but a policy engine is present, failed otherwise.
# `offending` names the workloads of the namespace that the control would reject.
psa_finding(ns, required, offending) := {
	"evaluation": psa_outcome(ns, required),
	"evidence": {
		"namespace": ns.metadata.name,
		"enforce": psa_label(ns, "enforce"),
		"warn": psa_label(ns, "warn"),
		"audit": psa_label(ns, "audit"),
		"required_level": required,
		"policy_engines": sort(policy_engines),
		"offending_workloads": capped([x | some x in offending]),
		"offending_count": count(offending),
	},
	"expected": {"pod-security.kubernetes.io/enforce": accepted_levels[required]},
}

psa_outcome(ns, required) := "passed" if {
	psa_enforces(ns, required)
} else := "manual" if {
	count(policy_engines) > 0
} else := "failed"

# Pod facts shared by the section 5 rules (kspm.lib.pods holds the pod-spec basics).

# Pods the kubelet creates from static manifests on a node; the API only shows a mirror of them.
mirror_pod(obj) if {
	obj.kind == "Pod"
	obj.metadata.annotations["kubernetes.io/config.mirror"]
}

# A pod spec for Windows nodes: the Linux-only securityContext settings do not apply to it.
windows_spec(spec) if spec.os.name == "windows"

# The capabilities a container adds or drops (field "add" or "drop"), upper-cased and without a
# "CAP_" prefix.
capabilities(container, field) := {trim_prefix(upper(x), "CAP_") |
	some x in field(field(field(container, "securityContext", {}), "capabilities", {}), field, [])
}

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
# controller stands for them), as {"object": …, "objects": [...], "spec": pod spec or {},
# "containers": as kspm.lib.pods.containers}. Built in Rust once per scan, so a namespace rule
# reads its workloads without calling a function per object. Replicas of one template (pods of a
# controller outside the scan, equal but for who they are) share one entry: `object` is the
# first of them and `objects` lists them all (just `object` for any other workload). Judge the
# entry's spec once, then name each of its `objects`.
workloads(namespace) := object.get(data.inventory.workloads, namespace, [])

# How many workloads (objects, not entries) a list of workload entries stands for.
workload_count(entries) := sum([count(w.objects) | some w in entries])

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

# ---------------------------------------------------------------- admission policies

# Other admission policies may enforce the same controls as PSA; kspm cannot read what their CEL
# expressions or engine policies check, so when one applies to the pods in question a person
# must judge (manual). It applies only when it can be shown to: a ValidatingAdmissionPolicy with
# a ValidatingAdmissionPolicyBinding that denies (validationActions has Deny), or a validating
# webhook of a policy engine (Kyverno, Gatekeeper, Kubewarden), whose rules match CREATE of pods
# (or of the offending workload's own kind), whose namespaceSelector selects the namespace and
# whose objectSelector selects the workload. Anything else leaves the failure standing.

webhook_engine(hook) := "Kyverno" if contains(hook.name, "kyverno")

webhook_engine(hook) := "Kyverno" if hook.clientConfig.service.namespace == "kyverno"

webhook_engine(hook) := "Gatekeeper" if endswith(hook.name, "gatekeeper.sh")

webhook_engine(hook) := "Gatekeeper" if hook.clientConfig.service.namespace == "gatekeeper-system"

webhook_engine(hook) := "Kubewarden" if contains(hook.name, "kubewarden")

_vap_bindings := [b | some _, b in objects_in("ValidatingAdmissionPolicyBinding", "")]

# Every way an admission policy of the scan can reject a request, as matchers:
# {"policy": ref, "rules": [...], "also": [...] (extra rules that must match too, [] = none),
#  "exclude": [...], "ns": [selectors], "obj": [selectors]}. Computed once per evaluation.
matchers := array.concat(_vap_matchers, _webhook_matchers)

_vap_matchers := [{
	"policy": sprintf("ValidatingAdmissionPolicy/%s (ValidatingAdmissionPolicyBinding/%s)", [name, b.metadata.name]),
	"rules": field(mc, "resourceRules", []),
	"also": field(mr, "resourceRules", []),
	"exclude": array.concat(field(mc, "excludeResourceRules", []), field(mr, "excludeResourceRules", [])),
	"ns": [field(mc, "namespaceSelector", {}), field(mr, "namespaceSelector", {})],
	"obj": [field(mc, "objectSelector", {}), field(mr, "objectSelector", {})],
} |
	some name, policy in objects_in("ValidatingAdmissionPolicy", "")
	mc := field(field(policy, "spec", {}), "matchConstraints", {})
	some b in _vap_bindings
	field(field(b, "spec", {}), "policyName", "") == name
	"Deny" in field(b.spec, "validationActions", [])
	mr := field(b.spec, "matchResources", {})
]

_webhook_matchers := [{
	"policy": sprintf("%s (ValidatingWebhookConfiguration/%s, webhook %s)", [engine, name, hook.name]),
	"rules": field(hook, "rules", []),
	"also": [],
	"exclude": [],
	"ns": [field(hook, "namespaceSelector", {})],
	"obj": [field(hook, "objectSelector", {})],
} |
	some name, cfg in objects_in("ValidatingWebhookConfiguration", "")
	some hook in field(cfg, "webhooks", [])
	engine := webhook_engine(hook)
]

# Policies without a way to deny, for evidence.
_inert_policies := [sprintf("ValidatingAdmissionPolicy/%s: no ValidatingAdmissionPolicyBinding with validationActions Deny, so it rejects nothing", [name]) |
	some name, _ in objects_in("ValidatingAdmissionPolicy", "")
	not _denying_binding(name)
]

_denying_binding(name) if {
	some b in _vap_bindings
	field(field(b, "spec", {}), "policyName", "") == name
	"Deny" in field(b.spec, "validationActions", [])
}

# A label selector (matchLabels and matchExpressions; {} selects everything).
selects(sel, labels) if {
	every k, v in field(sel, "matchLabels", {}) {
		object.get(labels, k, null) == v
	}
	every e in field(sel, "matchExpressions", []) {
		_expression(e, labels)
	}
}

_expression(e, labels) if {
	e.operator == "In"
	object.get(labels, e.key, null) in field(e, "values", [])
}

_expression(e, labels) if {
	e.operator == "NotIn"
	not object.get(labels, e.key, null) in field(e, "values", [])
}

_expression(e, labels) if {
	e.operator == "Exists"
	e.key in object.keys(labels)
}

_expression(e, labels) if {
	e.operator == "DoesNotExist"
	not e.key in object.keys(labels)
}

# An admission rule (apiGroups, resources, operations) covers CREATE of group/resource.
_rule_covers(rule, group, resource) if {
	some g in field(rule, "apiGroups", [])
	g in {"*", group}
	some r in field(rule, "resources", [])
	r in {"*", "*/*", resource}
	some op in field(rule, "operations", [])
	op in {"*", "CREATE"}
}

_covers(m, group, resource) if {
	some rule in m.rules
	_rule_covers(rule, group, resource)
	_also(m, group, resource)
	not _excluded(m, group, resource)
}

_also(m, _, _) if count(m.also) == 0

_also(m, group, resource) if {
	some rule in m.also
	_rule_covers(rule, group, resource)
}

_excluded(m, group, resource) if {
	some rule in m.exclude
	_rule_covers(rule, group, resource)
}

# The labels a namespace selector sees: the Namespace's own, plus the name label the API server
# sets on every namespace.
namespace_labels(ns) := object.union(field(ns.metadata, "labels", {}), {"kubernetes.io/metadata.name": ns.metadata.name})

_selects_all(selectors, labels) if {
	every sel in selectors {
		selects(sel, labels)
	}
}

# The matchers that select the Namespace under evaluation (a rule: shared by the 5.2.x rules).
input_matchers := [m |
	input.resource.kind == "Namespace"
	some m in matchers
	_selects_all(m.ns, namespace_labels(input.resource))
]

# (API group, resource) of each workload kind.
_kind_resource := {
	"Pod": ["", "pods"],
	"Deployment": ["apps", "deployments"],
	"DaemonSet": ["apps", "daemonsets"],
	"StatefulSet": ["apps", "statefulsets"],
	"ReplicaSet": ["apps", "replicasets"],
	"Job": ["batch", "jobs"],
	"CronJob": ["batch", "cronjobs"],
	"ReplicationController": ["", "replicationcontrollers"],
}

_own_labels(obj) := field(obj.metadata, "labels", {})

# The labels of the pods the workload creates.
_pod_labels(obj) := _own_labels(obj) if obj.kind == "Pod"

_pod_labels(obj) := field(field(field(field(field(field(obj, "spec", {}), "jobTemplate", {}), "spec", {}), "template", {}), "metadata", {}), "labels", {}) if {
	obj.kind == "CronJob"
}

_pod_labels(obj) := field(field(field(field(obj, "spec", {}), "template", {}), "metadata", {}), "labels", {}) if {
	not obj.kind in {"Pod", "CronJob"}
}

# True when matcher m rejects what the workload would create: its pods, or the workload itself.
_applies_to(m, obj) if {
	_covers(m, "", "pods")
	_selects_all(m.obj, _pod_labels(obj))
}

_applies_to(m, obj) if {
	kr := _kind_resource[obj.kind]
	_covers(m, kr[0], kr[1])
	_selects_all(m.obj, _own_labels(obj))
}

# Matchers that apply to every pod of the namespace (no objectSelector narrowing).
_applies_to_all_pods(m) if {
	_covers(m, "", "pods")
	every sel in m.obj {
		count(field(sel, "matchLabels", {})) + count(field(sel, "matchExpressions", [])) == 0
	}
}

# The workload objects named by the offending refs ("Kind/name" or "Kind/name (details)").
_offending_objects(offending) := [obj |
	some w in input_workloads
	some obj in w.objects
	ref(obj) in {split(x, " (")[0] | some x in offending}
]

# Without a policy that selects the namespace (the common case), nothing is covered: no need to
# look the workloads up.
_not_covered(offending) := sort({split(x, " (")[0] | some x in offending}) if count(input_matchers) == 0

_not_covered(offending) := sort([ref(obj) |
	some obj in _offending_objects(offending)
	not _covered(obj)
]) if count(input_matchers) > 0

_covered(obj) if {
	some m in input_matchers
	_applies_to(m, obj)
}

# What each policy of the scan does for this namespace, for evidence.
_policy_notes(ns) := array.concat(_inert_policies, [note |
	some m in matchers
	note := sprintf("%s: %s", [m.policy, _reach(m, ns)])
])

_reach(m, ns) := sprintf("its namespaceSelector does not select namespace %s", [ns.metadata.name]) if {
	not _selects_all(m.ns, namespace_labels(ns))
}

_reach(m, ns) := "applies to every pod created in this namespace" if {
	_selects_all(m.ns, namespace_labels(ns))
	_applies_to_all_pods(m)
}

_reach(m, ns) := "applies to pods only when their labels match its objectSelector" if {
	_selects_all(m.ns, namespace_labels(ns))
	_covers(m, "", "pods")
	not _applies_to_all_pods(m)
}

_reach(m, ns) := sprintf("does not match the creation of pods (its rules: %s)", [concat("; ", [_rule_text(r) | some r in m.rules])]) if {
	_selects_all(m.ns, namespace_labels(ns))
	not _covers(m, "", "pods")
}

_rule_text(r) := sprintf("%s %s/%s", [concat(",", field(r, "operations", [])), concat(",", field(r, "apiGroups", [])), concat(",", field(r, "resources", []))])

# The policies that can stand in for PSA here: with offending workloads, every one of them must
# be covered by some policy; without, a policy must apply to every pod of the namespace.
stands_in(offending) if {
	count(offending) > 0
	count(_not_covered(offending)) == 0
}

stands_in(offending) if {
	count(offending) == 0
	some m in input_matchers
	_applies_to_all_pods(m)
}

# The finding of a 5.2.x rule on a user Namespace: passed when the namespace enforces `required`
# or stricter, manual when it does not but an admission policy applies to the pods in question,
# failed otherwise. `offending` names the workloads of the namespace that the control would
# reject. Evaluated on the Namespace under evaluation.
psa_finding(ns, required, offending) := {
	"evaluation": psa_outcome(ns, required, offending),
	"evidence": {
		"namespace": ns.metadata.name,
		"enforce": psa_label(ns, "enforce"),
		"warn": psa_label(ns, "warn"),
		"audit": psa_label(ns, "audit"),
		"required_level": required,
		"policy_engines": sort({m.policy | some m in input_matchers; _useful(m, offending)}),
		"policies_considered": _policy_notes(ns),
		"not_covered_by_a_policy": capped(_not_covered(offending)),
		"offending_workloads": capped([x | some x in offending]),
		"offending_count": count(offending),
	},
	"expected": {"pod-security.kubernetes.io/enforce": accepted_levels[required]},
}

# A matcher that covers at least one offending workload, or every pod when there is none.
_useful(m, offending) if {
	some obj in _offending_objects(offending)
	_applies_to(m, obj)
}

_useful(m, offending) if {
	count(offending) == 0
	_applies_to_all_pods(m)
}

psa_outcome(ns, required, offending) := "passed" if {
	psa_enforces(ns, required)
} else := "manual" if {
	stands_in(offending)
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

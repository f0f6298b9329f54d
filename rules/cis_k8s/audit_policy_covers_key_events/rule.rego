# CIS 3.2.2: the audit policy records the security-relevant requests, and keeps secret material
# out of the log. The policy is evaluated the way the API server does it (first matching rule
# wins, no match = not logged) for probe requests of an ordinary authenticated user in an
# ordinary namespace.
package kspm.rules.audit_policy_covers_key_events

import rego.v1

p := input.resource

flag_name := "--audit-policy-file"

proc_error := object.get(p, "error", "")

mirror_pod if object.get(p, "source", "") == "mirror-pod"

policy_path := data.kspm.lib.node.flag(p, flag_name) if data.kspm.lib.node.has_flag(p, flag_name)

policy_path := "(not set)" if not data.kspm.lib.node.has_flag(p, flag_name)

ref := object.get(object.get(p, "referenced", {}), flag_name, null)

ref_error := "the node collector did not read the policy file" if ref == null
else := object.get(ref, "error", "")

content := object.get(ref, "content", null)

is_policy if {
	is_object(content)
	content.kind == "Policy"
	startswith(object.get(content, "apiVersion", ""), "audit.k8s.io/")
}

policy_rules := r if {
	is_policy
	r := object.get(content, "rules", [])
	is_array(r)
} else := []

# ---------------------------------------------------------------- what must be covered

changes := ["create", "update", "patch", "delete"]

reads_and_changes := ["get", "list", "watch", "create", "update", "patch", "delete"]

proxy_verbs := ["get", "create", "update", "patch", "delete"]

# max: the highest acceptable level (bodies of these requests or responses hold secrets).
items := [
	{"label": "secrets", "group": "", "resource": "secrets", "sub": "", "ns": true, "verbs": reads_and_changes, "max": "Metadata"},
	{"label": "configmaps", "group": "", "resource": "configmaps", "sub": "", "ns": true, "verbs": reads_and_changes, "max": "Metadata"},
	{"label": "tokenreviews", "group": "authentication.k8s.io", "resource": "tokenreviews", "sub": "", "ns": false, "verbs": ["create"], "max": "Metadata"},
	{"label": "serviceaccounts/token", "group": "", "resource": "serviceaccounts", "sub": "token", "ns": true, "verbs": ["create"], "max": "Request"},
	{"label": "pods/exec", "group": "", "resource": "pods", "sub": "exec", "ns": true, "verbs": ["create", "get"], "max": "RequestResponse"},
	{"label": "pods/portforward", "group": "", "resource": "pods", "sub": "portforward", "ns": true, "verbs": ["create", "get"], "max": "RequestResponse"},
	{"label": "pods/proxy", "group": "", "resource": "pods", "sub": "proxy", "ns": true, "verbs": proxy_verbs, "max": "RequestResponse"},
	{"label": "services/proxy", "group": "", "resource": "services", "sub": "proxy", "ns": true, "verbs": proxy_verbs, "max": "RequestResponse"},
	{"label": "pods (changes)", "group": "", "resource": "pods", "sub": "", "ns": true, "verbs": changes, "max": "RequestResponse"},
	{"label": "deployments.apps (changes)", "group": "apps", "resource": "deployments", "sub": "", "ns": true, "verbs": changes, "max": "RequestResponse"},
	{"label": "roles.rbac (changes)", "group": "rbac.authorization.k8s.io", "resource": "roles", "sub": "", "ns": true, "verbs": changes, "max": "RequestResponse"},
	{"label": "rolebindings.rbac (changes)", "group": "rbac.authorization.k8s.io", "resource": "rolebindings", "sub": "", "ns": true, "verbs": changes, "max": "RequestResponse"},
	{"label": "clusterroles.rbac (changes)", "group": "rbac.authorization.k8s.io", "resource": "clusterroles", "sub": "", "ns": false, "verbs": changes, "max": "RequestResponse"},
	{"label": "clusterrolebindings.rbac (changes)", "group": "rbac.authorization.k8s.io", "resource": "clusterrolebindings", "sub": "", "ns": false, "verbs": changes, "max": "RequestResponse"},
	{"label": "certificatesigningrequests", "group": "certificates.k8s.io", "resource": "certificatesigningrequests", "sub": "", "ns": false, "verbs": ["create", "delete"], "max": "RequestResponse"},
	{"label": "certificatesigningrequests/approval", "group": "certificates.k8s.io", "resource": "certificatesigningrequests", "sub": "approval", "ns": false, "verbs": ["update", "patch"], "max": "RequestResponse"},
]

rank := {"None": 0, "Metadata": 1, "Request": 2, "RequestResponse": 3}

level_rank(level) := object.get(rank, level, 0)

probe(item, verb, namespace) := {
	"user": "kspm:audit-probe",
	"groups": ["system:authenticated"],
	"verb": verb,
	"group": item.group,
	"resource": item.resource,
	"sub": item.sub,
	"namespace": namespace,
	"name": "kspm-probe",
}

# Namespaced requests are tried in an ordinary namespace and in kube-system: rules scoped to
# namespaces (a None rule for kube-system, a RequestResponse rule for one namespace) show up.
probe_namespaces(item) := ["kspm-probe", "kube-system"] if item.ns

probe_namespaces(item) := [""] if not item.ns

probe_label(verb, "") := verb

probe_label(verb, "kube-system") := sprintf("%s in kube-system", [verb])

probe_label(verb, "kspm-probe") := sprintf("%s in other namespaces", [verb])

# ---------------------------------------------------------------- the API server's matching

# True when an empty list (any) or a list containing one of `values`.
allows(list, _) if count(list) == 0

allows(list, values) if {
	count(list) > 0
	some v in values
	v in list
}

rule_matches(r, req) if {
	allows(object.get(r, "users", []), [req.user])
	allows(object.get(r, "userGroups", []), req.groups)
	allows(object.get(r, "verbs", []), [req.verb])
	target_matches(r, req)
}

# No namespace, resource or URL restriction: every request.
target_matches(r, _) if {
	count(object.get(r, "namespaces", [])) == 0
	count(object.get(r, "resources", [])) == 0
	count(object.get(r, "nonResourceURLs", [])) == 0
}

# A rule with only nonResourceURLs never matches a resource request (no definition for it).
target_matches(r, req) if {
	count(object.get(r, "namespaces", [])) + count(object.get(r, "resources", [])) > 0
	allows(object.get(r, "namespaces", []), [req.namespace])
	resources_match(object.get(r, "resources", []), req)
}

resources_match(grs, _) if count(grs) == 0

resources_match(grs, req) if {
	count(grs) > 0
	some gr in grs
	object.get(gr, "group", "") == req.group
	group_resources_match(gr, req)
}

group_resources_match(gr, _) if count(object.get(gr, "resources", [])) == 0

group_resources_match(gr, req) if {
	count(object.get(gr, "resources", [])) > 0
	allows(object.get(gr, "resourceNames", []), [req.name])
	some res in gr.resources
	res in patterns(req)
}

combined(req) := req.resource if req.sub == ""

combined(req) := sprintf("%s/%s", [req.resource, req.sub]) if req.sub != ""

# Resource patterns that match the request: "pods/exec", "*", "pods/*", "*/exec".
patterns(req) := {combined(req), "*", sprintf("%s/*", [req.resource])} | sub_patterns(req)

sub_patterns(req) := {sprintf("*/%s", [req.sub])} if req.sub != ""

sub_patterns(req) := set() if req.sub == ""

# The level of the first matching rule; "None" when no rule matches.
level_for(req) := lvl if {
	hits := [i | some i, r in policy_rules; rule_matches(r, req)]
	count(hits) > 0
	lvl := object.get(policy_rules[hits[0]], "level", "None")
} else := "None"

# ---------------------------------------------------------------- results

results := [{"item": item, "levels": levels} |
	some item in items
	levels := [{"verb": probe_label(v, ns), "level": level_for(probe(item, v, ns))} |
		some v in item.verbs
		some ns in probe_namespaces(item)
	]
]

unlogged(res) := [l.verb | some l in res.levels; l.level == "None"]

verbose(res) := [sprintf("%s at %s", [l.verb, l.level]) | some l in res.levels; level_rank(l.level) > level_rank(res.item.max)]

level_summary(res) := concat(", ", sort({l.level | some l in res.levels}))

missing := [sprintf("%s: not logged for %s", [res.item.label, concat(", ", unlogged(res))]) |
	some res in results
	count(unlogged(res)) > 0
]

too_verbose := [sprintf("%s: %s (bodies hold secret material; use Metadata%s)", [res.item.label, concat(", ", verbose(res)), request_hint(res.item)]) |
	some res in results
	count(verbose(res)) > 0
]

request_hint(item) := " or Request" if item.max == "Request"

request_hint(item) := "" if item.max != "Request"

covered := [sprintf("%s: %s", [res.item.label, level_summary(res)]) |
	some res in results
	count(unlogged(res)) == 0
	count(verbose(res)) == 0
]

# ---------------------------------------------------------------- finding

base := {"audit_policy_file": policy_path}

expected := {
	"secrets, configmaps, tokenreviews": "logged at Metadata, never with bodies",
	"serviceaccounts/token": "logged at Metadata or Request",
	"pods/exec, pods/portforward, pods/proxy, services/proxy, pod and deployment changes, RBAC changes, certificate signing requests": "logged (Metadata or higher)",
}

finding := {"evaluation": "error", "evidence": {"error": proc_error}} if proc_error != ""

finding := {
	"evaluation": "failed",
	"evidence": object.union(base, {"problem": "the API server runs without --audit-policy-file, so nothing is audited"}),
	"expected": expected,
} if {
	proc_error == ""
	not data.kspm.lib.node.has_flag(p, flag_name)
}

finding := {
	"evaluation": "manual",
	"evidence": object.union(base, {"problem": "only the mirror pod's command line is available: kspm could not read the policy file; review it on the node as the remediation shows"}),
	"expected": expected,
} if {
	proc_error == ""
	data.kspm.lib.node.has_flag(p, flag_name)
	mirror_pod
}

finding := {
	"evaluation": "error",
	"evidence": {"error": sprintf("audit policy %s: %s", [policy_path, ref_error]), "audit_policy_file": policy_path},
} if {
	proc_error == ""
	data.kspm.lib.node.has_flag(p, flag_name)
	not mirror_pod
	ref_error != ""
}

judged if {
	proc_error == ""
	data.kspm.lib.node.has_flag(p, flag_name)
	not mirror_pod
	ref_error == ""
}

finding := {
	"evaluation": "failed",
	"evidence": object.union(base, {"problem": "the file is not an audit.k8s.io Policy"}),
	"expected": expected,
} if {
	judged
	not is_policy
}

finding := {
	"evaluation": outcome,
	"evidence": object.union(base, {
		"covered": covered,
		"missing": missing,
		"too_verbose": too_verbose,
	}),
	"expected": expected,
} if {
	judged
	is_policy
}

outcome := "passed" if {
	count(missing) == 0
	count(too_verbose) == 0
}

outcome := "failed" if count(missing) + count(too_verbose) > 0

# CIS 5.1.8: which roles let their holders bind or escalate roles, or impersonate identities, and
# who holds them. Evaluated per role; see data.kspm.lib.rbac.finding_for. A rule limited by
# resourceNames still grants the escalation when a name it allows is powerful: a role such as
# cluster-admin (or one that itself grants what section 5.1 looks for), or an identity that holds
# such a role.
package kspm.rules.rbac_bind_impersonate_escalate

import rego.v1

bind_escalate := [{"groups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"], "verbs": ["bind", "escalate"]}]

impersonate_users := [{"groups": [""], "resources": ["users"], "verbs": ["impersonate"]}]

impersonate_groups := [{"groups": [""], "resources": ["groups"], "verbs": ["impersonate"]}]

impersonate_service_accounts := [{"groups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]}]

permission := array.concat(
	array.concat(bind_escalate, impersonate_users),
	array.concat(
		array.concat(impersonate_groups, impersonate_service_accounts),
		[{"groups": ["authentication.k8s.io"], "resources": ["uids", "userextras"], "verbs": ["impersonate"], "any_subresource": true}],
	),
)

role := input.resource

policy_rules := data.kspm.lib.namespaces.field(role, "rules", [])

# Rules limited by resourceNames that allow at least one powerful name, with why.
scoped_grants := [sprintf("%s (%s)", [data.kspm.lib.rbac.describe_rule(i, r), concat("; ", sort(reasons))]) |
	some i, r in policy_rules
	count(data.kspm.lib.namespaces.field(r, "resourceNames", [])) > 0
	reasons := {why | some n in r.resourceNames; some why in power(r, n)}
	count(reasons) > 0
]

# Names of roles that a scoped bind or escalate allows, that the scan does not contain and that
# are not powerful by name: what they grant is unknown.
unknown_roles := sort({n |
	some r in policy_rules
	data.kspm.lib.rbac.matches(r, bind_escalate)
	some n in data.kspm.lib.namespaces.field(r, "resourceNames", [])
	count(role_power(n)) == 0
	not role_in_scan(n)
})

# Why binding or impersonating `n` through rule `r` escalates; empty when it does not.
power(r, n) := role_power(n) if data.kspm.lib.rbac.matches(r, bind_escalate)

power(r, n) := identity_power(r, n) if not data.kspm.lib.rbac.matches(r, bind_escalate)

identity_power(r, n) := (user_power(r, n) | group_power(r, n)) | service_account_power(r, n)

user_power(r, n) := identity_holds("User", n) | {sprintf("%s: %s", [n, note]) | some note in user_note(n)} if {
	data.kspm.lib.rbac.matches(r, impersonate_users)
}

user_power(r, n) := set() if not data.kspm.lib.rbac.matches(r, impersonate_users)

group_power(r, n) := identity_holds("Group", n) | {sprintf("%s: %s", [n, note]) | some note in group_note(n)} if {
	data.kspm.lib.rbac.matches(r, impersonate_groups)
}

group_power(r, n) := set() if not data.kspm.lib.rbac.matches(r, impersonate_groups)

service_account_power(r, n) := {why |
	some key, bs in data.inventory.bindings_by_subject
	startswith(key, "ServiceAccount:")
	endswith(key, sprintf(":%s", [n]))
	some b in bs
	some why in binding_power(b, sprintf("service account %s", [substring(key, count("ServiceAccount:"), -1)]))
} if data.kspm.lib.rbac.matches(r, impersonate_service_accounts)

service_account_power(r, n) := set() if not data.kspm.lib.rbac.matches(r, impersonate_service_accounts)

user_note(n) := {"a conventional administrator name"} if n in {"admin", "cluster-admin", "kubernetes-admin"}

user_note(n) := {"a control-plane or node identity"} if startswith(n, "system:")

user_note(n) := set() if {
	not n in {"admin", "cluster-admin", "kubernetes-admin"}
	not startswith(n, "system:")
}

group_note(n) := {"full control, never limited by RBAC"} if n == "system:masters"

group_note(n) := {"kubeadm's administrators (cluster-admin)"} if n == "kubeadm:cluster-admins"

group_note(n) := {"every kubelet's rights"} if n == "system:nodes"

group_note(n) := set() if not n in {"system:masters", "kubeadm:cluster-admins", "system:nodes"}

# Reasons from the bindings that name the identity ("Kind:name" in the subject index).
identity_holds(kind, n) := {why |
	some b in object.get(data.inventory.bindings_by_subject, sprintf("%s:%s", [kind, n]), [])
	some why in binding_power(b, n)
}

binding_power(b, who) := {sprintf("%s holds %s/%s through %s", [who, b.roleRef.kind, b.roleRef.name, data.kspm.lib.rbac.binding_ref(b)])} if {
	referenced_powerful(b)
}

binding_power(b, who) := set() if not referenced_powerful(b)

referenced_powerful(b) if b.roleRef.name in data.kspm.lib.rbac.powerful_role_names

referenced_powerful(b) if {
	b.roleRef.kind == "ClusterRole"
	data.kspm.lib.rbac.powerful_role(data.kspm.lib.namespaces.objects_in("ClusterRole", "")[b.roleRef.name])
}

referenced_powerful(b) if {
	b.roleRef.kind == "Role"
	data.kspm.lib.rbac.powerful_role(data.kspm.lib.namespaces.objects_in("Role", data.kspm.lib.namespaces.field(b.metadata, "namespace", ""))[b.roleRef.name])
}

role_power(n) := {sprintf("%s is a built-in role with broad rights", [n])} if n in data.kspm.lib.rbac.powerful_role_names

role_power(n) := {sprintf("%s grants what section 5.1 looks for", [ref]) |
	some ref, r in roles_named(n)
	data.kspm.lib.rbac.powerful_role(r)
} if not n in data.kspm.lib.rbac.powerful_role_names

# ClusterRoles and Roles (any namespace) named `n`, by ref.
# (Each body tests `r`: on regorus' VM an assignment from a missing path whose variable is only
# used in the head still yields an element.)
roles_named(n) := object.union(
	{sprintf("ClusterRole/%s", [n]): r |
		r := data.kspm.lib.namespaces.objects_in("ClusterRole", "")[n]
		is_object(r)
	},
	{sprintf("Role/%s/%s", [ns, n]): r |
		some ns, by_name in data.kspm.lib.namespaces.field(data.inventory.objects, "Role", {})
		r := by_name[n]
		is_object(r)
	},
)

role_in_scan(n) if count(roles_named(n)) > 0

grants_list := array.concat(data.kspm.lib.rbac.granting_rules(role, permission), scoped_grants)

what := "bind or escalate roles, or impersonate identities"

base := data.kspm.lib.rbac.finding_for(role, grants_list, false, what, "bind clusterroles")

extra := {"scoped_to_unknown_roles": unknown_roles}

# A scoped grant to roles the scan does not contain cannot be judged: a person checks them.
finding := {
	"evaluation": "manual",
	"evidence": object.union(base.evidence, object.union(extra, {"guidance": sprintf("the role may bind or escalate %s, which this scan does not contain; check what they grant", [concat(", ", unknown_roles)])})),
	"expected": base.expected,
} if {
	base.evaluation == "passed"
	count(unknown_roles) > 0
	base.evidence.subject_count > 0
}

finding := object.union(base, {"evidence": object.union(base.evidence, extra)}) if {
	not unjudged
}

unjudged if {
	base.evaluation == "passed"
	count(unknown_roles) > 0
	base.evidence.subject_count > 0
}

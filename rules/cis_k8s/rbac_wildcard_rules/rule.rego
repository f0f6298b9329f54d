# CIS 5.1.3: wildcards in Roles and ClusterRoles. Evaluated per role, on the role's own rules.
package kspm.rules.rbac_wildcard_rules

import rego.v1

import data.kspm.lib.namespaces

import data.kspm.lib.rbac

role := input.resource

applicable if {
	role.kind in {"Role", "ClusterRole"}
	not rbac.system_managed(role)
}

wildcard_rules := [rbac.describe_rule(i, r) |
	some i, r in namespaces.field(role, "rules", [])
	has_wildcard(r)
]

has_wildcard(r) if {
	some field in ["apiGroups", "resources", "verbs"]
	some v in namespaces.field(r, field, [])
	contains(v, "*")
}

has_wildcard(r) if "*" in namespaces.field(r, "nonResourceURLs", [])

bindings := rbac.bindings(role, false)

evidence := object.union(
	{
		"role": rbac.role_ref(role),
		"kubectl_target": rbac.kubectl_target(role),
		"wildcard_rules": wildcard_rules,
	},
	rbac.holders(rbac.subjects(bindings), rbac.holder_bindings(bindings)),
)

expected := {"wildcard_rules": []}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	applicable
	count(wildcard_rules) > 0
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	applicable
	count(wildcard_rules) == 0
}

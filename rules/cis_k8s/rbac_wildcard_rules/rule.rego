# CIS 5.1.3: wildcards in Roles and ClusterRoles. Evaluated per role, on the role's own rules.
package kspm.rules.rbac_wildcard_rules

import rego.v1

role := input.resource

applicable if {
	role.kind in {"Role", "ClusterRole"}
	not data.kspm.lib.rbac.system_managed(role)
}

wildcard_rules := [data.kspm.lib.rbac.describe_rule(i, r) |
	some i, r in data.kspm.lib.namespaces.field(role, "rules", [])
	has_wildcard(r)
]

has_wildcard(r) if {
	some field in ["apiGroups", "resources", "verbs"]
	some v in data.kspm.lib.namespaces.field(r, field, [])
	contains(v, "*")
}

has_wildcard(r) if "*" in data.kspm.lib.namespaces.field(r, "nonResourceURLs", [])

bindings := data.kspm.lib.rbac.bindings(role, false)

evidence := object.union(
	{
		"role": data.kspm.lib.rbac.role_ref(role),
		"kubectl_target": data.kspm.lib.rbac.kubectl_target(role),
		"wildcard_rules": wildcard_rules,
	},
	data.kspm.lib.rbac.holders(data.kspm.lib.rbac.subjects(bindings), data.kspm.lib.rbac.holder_bindings(bindings)),
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

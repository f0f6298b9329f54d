# CIS 5.1.3: wildcards in Roles and ClusterRoles. Evaluated per role, on the role's own rules.
# Roles that are exactly a platform default (kspm.lib.defaults) are not applicable; a look-alike
# or a modified default is judged like any other role. Aggregated defaults (admin, edit, view) are
# always judged: their rules come from whatever roles carry their aggregation labels.
package kspm.rules.rbac_wildcard_rules

import rego.v1

role := input.resource

applicable if {
	role.kind in {"Role", "ClusterRole"}
	not data.kspm.lib.rbac.input_role_is_default
}

applicable if {
	role.kind == "ClusterRole"
	data.kspm.lib.rbac.input_role_is_default
	count(data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(role, "aggregationRule", {}), "clusterRoleSelectors", [])) > 0
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

# Every binding counts here: the role is not a platform default.
bindings := data.kspm.lib.rbac.bindings_for_key(data.kspm.lib.rbac.inventory_key(role), false)

role_status := {"role_status": data.kspm.lib.rbac.lookalike_role_text(role)} if data.kspm.lib.rbac.lookalike_role_text(role)

role_status := {} if not data.kspm.lib.rbac.lookalike_role_text(role)

evidence := object.union_n([
	{
		"role": data.kspm.lib.rbac.role_ref(role),
		"kubectl_target": data.kspm.lib.rbac.kubectl_target(role),
		"wildcard_rules": wildcard_rules,
	},
	data.kspm.lib.rbac.holders(data.kspm.lib.rbac.subjects(bindings), data.kspm.lib.rbac.holder_bindings(bindings)),
	role_status,
])

expected := {"wildcard_rules": []}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	applicable
	count(wildcard_rules) > 0
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	applicable
	count(wildcard_rules) == 0
}

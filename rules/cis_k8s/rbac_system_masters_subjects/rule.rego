# CIS 5.1.7: system:masters. Certificate subjects are invisible to the API; RBAC bindings that
# name the group are not, and fail. Otherwise a person has to check (manual).
package kspm.rules.rbac_system_masters_subjects

import rego.v1

# Runs once per scan, so walking every binding here is fine. Only the bindings a platform creates
# exactly as it does (kspm.lib.defaults: the API server's own cluster-admin binding) are left out;
# a look-alike name or label does not count.
naming := [b |
	some kind in ["ClusterRoleBinding", "RoleBinding"]
	some by_name in data.kspm.lib.namespaces.field(data.inventory.objects, kind, {})
	some b in by_name
	some s in data.kspm.lib.namespaces.field(b, "subjects", [])
	s.kind == "Group"
	s.name == "system:masters"
]

counted := [b | some b in naming; not data.kspm.lib.rbac.default_binding(b)]

hits := {sprintf("%s -> %s/%s", [data.kspm.lib.rbac.binding_ref(b), b.roleRef.kind, b.roleRef.name]) | some b in counted}

evidence := {
	"bindings_naming_system_masters": sort(hits),
	"platform_defaults": sort({data.kspm.lib.rbac.default_binding_text(b) | some b in naming; data.kspm.lib.rbac.default_binding(b)}),
	"delete_commands": data.kspm.lib.rbac.or_none(concat("; ", sort({data.kspm.lib.rbac.delete_command(b) | some b in counted}))),
	"note": "client-certificate groups are not visible through the API; check certificates as the remediation describes",
}

expected := {"system:masters": "held only by a break-glass credential kept offline, and named by no RBAC binding"}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	input.resource.kind == "Cluster"
	count(hits) > 0
}

finding := {"evaluation": "manual", "evidence": evidence, "expected": expected} if {
	input.resource.kind == "Cluster"
	count(hits) == 0
}

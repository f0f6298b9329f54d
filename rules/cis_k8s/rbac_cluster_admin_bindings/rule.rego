# CIS 5.1.1: who holds cluster-admin. Evaluated on the cluster-admin ClusterRole, or on the
# Cluster resource when the scan does not contain that role (offline manifests). Every subject of
# every binding counts, except the platform-default bindings (kspm.lib.defaults) while the role is
# unmodified.
package kspm.rules.rbac_cluster_admin_bindings

import rego.v1

on_role if {
	input.resource.kind == "ClusterRole"
	input.resource.metadata.name == "cluster-admin"
}

on_cluster if {
	input.resource.kind == "Cluster"
	not data.inventory.objects.ClusterRole[""]["cluster-admin"]
}

# Without the role object the API server's own (reconciled) cluster-admin is assumed.
role_unmodified := true if on_cluster

role_unmodified := data.kspm.lib.rbac.input_role_is_default if on_role

all_bindings := data.kspm.lib.rbac.bindings_for_key("ClusterRole:cluster-admin", false)

bindings := data.kspm.lib.rbac.counted(all_bindings, role_unmodified)

subjects := data.kspm.lib.rbac.subjects(bindings)

role_status := {"role_status": data.kspm.lib.rbac.lookalike_role_text(input.resource)} if {
	on_role
	not role_unmodified
}

role_status := {} if on_cluster

role_status := {} if {
	on_role
	role_unmodified
}

evidence := object.union_n([
	{"role": "ClusterRole/cluster-admin"},
	data.kspm.lib.rbac.holders(subjects, data.kspm.lib.rbac.holder_bindings(bindings)),
	{
		"platform_defaults": data.kspm.lib.rbac.excused(all_bindings, role_unmodified),
		"delete_commands": data.kspm.lib.rbac.delete_commands(bindings),
		"check_commands": data.kspm.lib.rbac.check_commands(subjects, "'*' '*' -A"),
	},
	role_status,
])

expected := {"cluster_admin_held_by": "only subjects you reviewed and approved (break-glass accounts), besides the platform's own default bindings"}

finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	on_role
	count(subjects) > 0
}

finding := {"evaluation": "passed", "evidence": evidence, "expected": expected} if {
	on_role
	count(subjects) == 0
}

# Without the role object, only a reference to it is worth a finding: a pass would claim more
# than the scan saw.
finding := {"evaluation": "failed", "evidence": evidence, "expected": expected} if {
	on_cluster
	count(subjects) > 0
}

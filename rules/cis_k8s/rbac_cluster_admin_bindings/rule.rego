# CIS 5.1.1: who holds cluster-admin. Evaluated on the cluster-admin ClusterRole, or on the
# Cluster resource when the scan does not contain that role (offline manifests).
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

bindings := data.kspm.lib.rbac.bindings_for_key("ClusterRole:cluster-admin", false)

subjects := data.kspm.lib.rbac.subjects(bindings)

evidence := object.union({"role": "ClusterRole/cluster-admin"}, data.kspm.lib.rbac.holders(subjects, data.kspm.lib.rbac.holder_bindings(bindings)))

expected := {"cluster_admin_held_by": "only subjects you reviewed and approved (break-glass accounts)"}

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

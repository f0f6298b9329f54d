# CIS 5.6.1: namespaces as administrative boundaries. Manual; the evidence counts namespaces and
# workloads per namespace.
package kspm.rules.namespace_boundaries

import rego.v1

# Namespaces that hold workloads, plus those that exist as objects.
seen := {ns |
	some kind in data.kspm.lib.namespaces.workload_kind_list
	some ns, _ in data.kspm.lib.namespaces.field(data.inventory.objects, kind, {})
} | {ns | some ns in data.inventory.namespaces}

workloads_per_namespace := {ns: n |
	some ns in seen
	n := data.kspm.lib.namespaces.workload_count(data.kspm.lib.namespaces.workloads(ns))
}

finding := {
	"evaluation": "manual",
	"evidence": {
		"namespace_count": count(data.inventory.namespaces),
		"user_namespaces": [ns | some ns in data.inventory.namespaces; not ns in data.kspm.lib.namespaces.system_namespaces],
		"workloads_per_namespace": workloads_per_namespace,
	},
	"expected": {"namespaces": "one per team, application or environment, each with its own RBAC, quotas and policies"},
} if input.resource.kind == "Cluster"

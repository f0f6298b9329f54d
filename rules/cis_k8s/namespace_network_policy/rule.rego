# CIS 5.3.2: each namespace has at least one NetworkPolicy.
package kspm.rules.namespace_network_policy

import rego.v1

ns := input.resource.metadata.name

applicable if {
	input.resource.kind == "Namespace"
	not ns in {"kube-public", "kube-node-lease"}
}

namespaced_kinds := ["NetworkPolicy", "CiliumNetworkPolicy"]

cluster_wide_kinds := [
	"CiliumClusterwideNetworkPolicy", "GlobalNetworkPolicy",
	"AdminNetworkPolicy", "BaselineAdminNetworkPolicy", "ClusterNetworkPolicy",
]

policies := sort([sprintf("%s/%s", [kind, name]) |
	some kind in namespaced_kinds
	some name, _ in data.kspm.lib.namespaces.objects_in(kind, ns)
])

# Policies whose podSelector is empty apply to every pod of the namespace.
selecting_all_pods := sort([sprintf("%s/%s", [kind, name]) |
	some kind in namespaced_kinds
	some name, p in data.kspm.lib.namespaces.objects_in(kind, ns)
	count(data.kspm.lib.namespaces.field(data.kspm.lib.namespaces.field(p, "spec", {}), "podSelector", {"x": 1})) == 0
])

cluster_wide := sort([sprintf("%s/%s", [kind, name]) |
	some kind in cluster_wide_kinds
	some name, _ in data.kspm.lib.namespaces.objects_in(kind, "")
])

evidence := {
	"network_policies": policies,
	"policies_selecting_all_pods": selecting_all_pods,
	"cluster_wide_policies": cluster_wide,
	"workloads": data.kspm.lib.namespaces.workload_count(data.kspm.lib.namespaces.input_workloads),
}

expected := {"network_policies": "at least one in the namespace"}

outcome := "passed" if {
	count(policies) > 0
} else := "manual" if {
	count(cluster_wide) > 0
} else := "failed"

finding := {"evaluation": outcome, "evidence": evidence, "expected": expected} if applicable

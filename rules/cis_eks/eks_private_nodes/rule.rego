# CIS EKS 5.4.3: no node with a public address; subnet routes are left to a person.
package kspm.rules.eks_private_nodes

import rego.v1

nodes := data.kspm.lib.namespaces.objects_in("Node", "")

public_nodes := sort([sprintf("%s (%s)", [name, a.address]) |
	some name, n in nodes
	some a in object.get(object.get(n, "status", {}), "addresses", [])
	a.type == "ExternalIP"
])

node_list := concat(", ", public_nodes) if count(public_nodes) > 0

else := "none"

evaluation := "failed" if count(public_nodes) > 0

evaluation := "manual" if count(public_nodes) == 0

finding := {
	"evaluation": evaluation,
	"evidence": {
		"nodes": count(nodes),
		"public_nodes": public_nodes,
		"public_node_list": node_list,
	},
	"expected": {"nodes": "no public IP, in subnets without a route to an internet gateway"},
} if {
	input.resource.kind == "Cluster"
	count(nodes) > 0
}

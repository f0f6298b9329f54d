# CIS EKS 5.4.4: something enforces NetworkPolicy (VPC CNI network policy, or another engine).
package kspm.rules.eks_network_policy_enforced

import rego.v1

addons := object.get(input.resource, "addons", {})

addon_read if "vpc-cni" in object.keys(addons)

config := json.unmarshal(addons["vpc-cni"].configurationValues) if {
	is_string(addons["vpc-cni"].configurationValues)
	json.is_valid(addons["vpc-cni"].configurationValues)
}

addon_on if lower(sprintf("%v", [config.enableNetworkPolicy])) == "true"

addon_off if {
	addon_read
	addons["vpc-cni"] != null
	not addon_on
}

agent_args := [arg |
	some ds in data.kspm.lib.namespaces.objects_in("DaemonSet", "kube-system")
	ds.metadata.name == "aws-node"
	some c in object.get(object.get(object.get(ds.spec, "template", {}), "spec", {}), "containers", [])
	c.name == "aws-eks-nodeagent"
	some arg in object.get(c, "args", [])
	startswith(arg, "--enable-network-policy")
]

agent_on if "--enable-network-policy=true" in agent_args

agent_off if {
	count(agent_args) > 0
	not agent_on
}

engines := {"calico-node", "cilium", "antrea-agent", "kube-router"}

other_engines := sort([sprintf("%s/%s", [ns, name]) |
	some ns, by_name in object.get(object.get(data.inventory, "objects", {}), "DaemonSet", {})
	some name, _ in by_name
	name in engines
])

enforced if addon_on

enforced if agent_on

enforced if count(other_engines) > 0

shown_off if addon_off

shown_off if agent_off

decided := "the vpc-cni add-on's configuration turns network policy on" if addon_on

else := "the aws-node DaemonSet's network policy agent runs with --enable-network-policy=true" if agent_on

else := sprintf("another enforcing engine runs: %s", [concat(", ", other_engines)]) if count(other_engines) > 0

else := "the vpc-cni add-on's configuration leaves network policy off" if addon_off

else := "the aws-node DaemonSet's network policy agent is off" if agent_off

else := "nothing shows whether network policies are enforced"

addon_configuration := addons["vpc-cni"].configurationValues if {
	addons["vpc-cni"] != null
	addons["vpc-cni"].configurationValues
} else := null

evaluation := "passed" if enforced

evaluation := "failed" if {
	not enforced
	shown_off
}

evaluation := "error" if {
	not enforced
	not shown_off
}

finding := {
	"evaluation": evaluation,
	"evidence": {
		"decided_by": decided,
		"addon_configuration": addon_configuration,
		"nodeagent_args": agent_args,
		"other_engines": other_engines,
		"region": input.resource.region,
		"error": concat("; ", array.concat([m | some _, m in object.get(input.resource, "errors", {})], ["and the aws-node DaemonSet was not in the scan"])),
	},
	"expected": {"network_policy": "enforced (VPC CNI enableNetworkPolicy, or Calico/Cilium/Antrea/kube-router)"},
}

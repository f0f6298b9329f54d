# CIS EKS 5.4.1: private endpoint on, and the public one off or limited to listed networks.
package kspm.rules.eks_endpoint_access_restricted

import rego.v1

vpc := object.get(input.resource.cluster, "resourcesVpcConfig", {})

private := object.get(vpc, "endpointPrivateAccess", false)

public := object.get(vpc, "endpointPublicAccess", true)

cidrs := object.get(vpc, "publicAccessCidrs", [])

open_to_all := [c | some c in cidrs; c in {"0.0.0.0/0", "::/0"}]

problems contains "private access is off" if private != true

problems contains sprintf("the public endpoint is open to %s", [concat(", ", open_to_all)]) if {
	public == true
	count(open_to_all) > 0
}

problems contains "the public endpoint is on with no CIDR list (open to all)" if {
	public == true
	count(cidrs) == 0
}

evaluation := "passed" if count(problems) == 0

evaluation := "failed" if count(problems) > 0

finding := {
	"evaluation": evaluation,
	"evidence": {
		"private_access": private,
		"public_access": public,
		"public_access_cidrs": cidrs,
		"public_cidr_list": concat(", ", cidrs),
		"problems": sort([p | some p in problems]),
		"region": input.resource.region,
	},
	"expected": {"endpointPrivateAccess": true, "publicAccessCidrs": "not 0.0.0.0/0 or ::/0 while the public endpoint is on"},
}

# CIS EKS 5.4.2: private endpoint on, public endpoint off.
package kspm.rules.eks_endpoint_private_only

import rego.v1

vpc := object.get(input.resource.cluster, "resourcesVpcConfig", {})

private := object.get(vpc, "endpointPrivateAccess", false)

public := object.get(vpc, "endpointPublicAccess", true)

evaluation := "passed" if {
	private == true
	public == false
}

evaluation := "failed" if private != true

evaluation := "failed" if public != false

finding := {
	"evaluation": evaluation,
	"evidence": {"private_access": private, "public_access": public, "region": input.resource.region},
	"expected": {"endpointPrivateAccess": true, "endpointPublicAccess": false},
}

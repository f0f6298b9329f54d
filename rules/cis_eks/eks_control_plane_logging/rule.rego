# CIS EKS 2.1.1: all five control-plane log types are exported.
package kspm.rules.eks_control_plane_logging

import rego.v1

required := ["api", "audit", "authenticator", "controllerManager", "scheduler"]

setups := object.get(object.get(input.resource.cluster, "logging", {}), "clusterLogging", [])

enabled contains t if {
	some s in setups
	s.enabled == true
	some t in s.types
}

missing := [t | some t in required; not t in enabled]

evaluation := "passed" if count(missing) == 0

evaluation := "failed" if count(missing) > 0

finding := {
	"evaluation": evaluation,
	"evidence": {
		"enabled": sort([t | some t in enabled]),
		"missing": missing,
		"missing_list": concat(", ", missing),
		"region": input.resource.region,
	},
	"expected": {"enabled": required},
}

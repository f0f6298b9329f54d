# CIS EKS 4.1.7: the cluster accepts EKS access entries (authentication mode API or API_AND_CONFIG_MAP).
package kspm.rules.eks_access_entries

import rego.v1

access := object.get(input.resource.cluster, "accessConfig", {})

mode := access.authenticationMode

evaluation := "passed" if mode in {"API", "API_AND_CONFIG_MAP"}

evaluation := "failed" if mode == "CONFIG_MAP"

evaluation := "manual" if not mode

reported := mode if mode

else := "(not reported by eks:DescribeCluster)"

finding := {
	"evaluation": evaluation,
	"evidence": {"authentication_mode": reported, "region": input.resource.region},
	"expected": {"authentication_mode": ["API", "API_AND_CONFIG_MAP"]},
}

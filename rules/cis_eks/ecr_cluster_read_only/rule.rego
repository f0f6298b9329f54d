# CIS EKS 5.1.3: manual; the evidence says where to look.
package kspm.rules.ecr_cluster_read_only

import rego.v1

finding := {
	"evaluation": "manual",
	"evidence": {"account": input.resource.account, "region": input.resource.region, "caller": object.get(input.resource, "caller", null)},
	"expected": {"ecr_access": "the node role grants only ECR read and pull actions"},
}

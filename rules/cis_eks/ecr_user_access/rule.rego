# CIS EKS 5.1.2: manual; the evidence says where to look.
package kspm.rules.ecr_user_access

import rego.v1

finding := {
	"evaluation": "manual",
	"evidence": {"account": input.resource.account, "region": input.resource.region, "caller": object.get(input.resource, "caller", null)},
	"expected": {"ecr_access": "only the pipeline and administrators hold ECR write permissions"},
}

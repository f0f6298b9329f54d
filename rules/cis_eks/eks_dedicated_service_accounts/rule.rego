# CIS EKS 5.2.1: AWS roles (IRSA) only on dedicated service accounts, never on `default`.
package kspm.rules.eks_dedicated_service_accounts

import rego.v1

role := object.get(object.get(input.resource.metadata, "annotations", {}), "eks.amazonaws.com/role-arn", "")

evaluation := "failed" if input.resource.metadata.name == "default"

evaluation := "passed" if input.resource.metadata.name != "default"

finding := {
	"evaluation": evaluation,
	"evidence": {"role_arn": role, "service_account": input.resource.metadata.name},
	"expected": {"role_on": "a service account of its own, not the namespace's default account"},
} if {
	input.resource.kind == "ServiceAccount"
	role != ""
}

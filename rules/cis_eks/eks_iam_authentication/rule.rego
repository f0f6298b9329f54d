# CIS EKS 5.5.1: users authenticate through IAM. Manual; the evidence gives the facts kspm has.
package kspm.rules.eks_iam_authentication

import rego.v1

aws_auth := data.kspm.lib.namespaces.objects_in("ConfigMap", "kube-system")["aws-auth"]

present := true if {
	aws_auth
} else := false

count_lines(text, prefix) := count([l | some l in split(text, "\n"); startswith(trim_space(trim_left(trim_space(l), "-")), prefix)])

map_roles := count_lines(object.get(object.get(aws_auth, "data", {}), "mapRoles", ""), "rolearn:") if present

else := 0

map_users := count_lines(object.get(object.get(aws_auth, "data", {}), "mapUsers", ""), "userarn:") if present

else := 0

mode := object.get(object.get(input.resource.cluster, "accessConfig", {}), "authenticationMode", "(not reported)")

finding := {
	"evaluation": "manual",
	"evidence": {
		"authentication_mode": mode,
		"aws_auth_present": present,
		"aws_auth_role_mappings": map_roles,
		"aws_auth_user_mappings": map_users,
		"region": input.resource.region,
	},
	"expected": {"users": "authenticate with IAM identities (access entries or aws-auth), not static credentials"},
}

# CIS EKS 2.1.2: audit logs kept and reviewed. Manual; fails when the audit log is not exported.
package kspm.rules.eks_audit_logs_managed

import rego.v1

setups := object.get(object.get(input.resource.cluster, "logging", {}), "clusterLogging", [])

audit_exported if {
	some s in setups
	s.enabled == true
	"audit" in s.types
}

exported := true if {
	audit_exported
} else := false

evaluation := "manual" if audit_exported

evaluation := "failed" if not audit_exported

finding := {
	"evaluation": evaluation,
	"evidence": {
		"audit_exported": exported,
		"log_group": sprintf("/aws/eks/%s/cluster", [input.resource.cluster.name]),
		"region": input.resource.region,
	},
	"expected": {"audit_logs": "exported, retained and reviewed under a documented process"},
}

# CIS 5.1.4: which roles let their holders create Pods, and who holds them.
# Evaluated per role; see data.kspm.lib.rbac.role_finding.
package kspm.rules.rbac_pod_creators

import rego.v1

permission := [
	{"groups": [""], "resources": ["pods"], "verbs": ["create"]},
]

finding := data.kspm.lib.rbac.role_finding(input.resource, permission, false, "create Pods", "create pods")

# CIS 5.1.2: which roles let their holders get, list or watch Secrets, and who holds them.
# Evaluated per role; see data.kspm.lib.rbac.role_finding.
package kspm.rules.rbac_secret_readers

import rego.v1

permission := [
	{"groups": [""], "resources": ["secrets"], "verbs": ["get", "list", "watch"]},
]

finding := data.kspm.lib.rbac.role_finding(input.resource, permission, false, "get, list or watch Secrets", "list secrets")

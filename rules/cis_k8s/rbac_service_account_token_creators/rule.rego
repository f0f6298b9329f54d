# CIS 5.1.13: which roles let their holders create tokens for service accounts, and who holds them.
# Evaluated per role; see data.kspm.lib.rbac.role_finding.
package kspm.rules.rbac_service_account_token_creators

import rego.v1

permission := [
	{"groups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
]

finding := data.kspm.lib.rbac.role_finding(input.resource, permission, false, "create tokens for service accounts", "create serviceaccounts/token")

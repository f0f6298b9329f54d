# CIS 5.1.8: which roles let their holders bind or escalate roles, or impersonate identities, and who holds them.
# Evaluated per role; see data.kspm.lib.rbac.role_finding.
package kspm.rules.rbac_bind_impersonate_escalate

import rego.v1

permission := [
	{"groups": ["rbac.authorization.k8s.io"], "resources": ["roles", "clusterroles"], "verbs": ["bind", "escalate"]},
	{"groups": [""], "resources": ["users", "groups", "serviceaccounts"], "verbs": ["impersonate"]},
	{"groups": ["authentication.k8s.io"], "resources": ["uids", "userextras"], "verbs": ["impersonate"], "any_subresource": true},
]

finding := data.kspm.lib.rbac.role_finding(input.resource, permission, false, "bind or escalate roles, or impersonate identities")

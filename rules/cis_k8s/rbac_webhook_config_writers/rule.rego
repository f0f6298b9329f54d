# CIS 5.1.12: which roles let their holders create, change or delete admission webhook configurations, and who holds them.
# Evaluated per role; see data.kspm.lib.rbac.role_finding.
package kspm.rules.rbac_webhook_config_writers

import rego.v1

permission := [
	{"groups": ["admissionregistration.k8s.io"], "resources": ["validatingwebhookconfigurations", "mutatingwebhookconfigurations"], "verbs": ["create", "update", "patch", "delete", "deletecollection"]},
]

finding := data.kspm.lib.rbac.role_finding(input.resource, permission, true, "create, change or delete admission webhook configurations", "create validatingwebhookconfigurations")

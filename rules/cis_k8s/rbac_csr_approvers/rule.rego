# CIS 5.1.11: which roles let their holders approve CertificateSigningRequests, and who holds them.
# Evaluated per role; see data.kspm.lib.rbac.role_finding.
package kspm.rules.rbac_csr_approvers

import rego.v1

permission := [
	{"groups": ["certificates.k8s.io"], "resources": ["certificatesigningrequests/approval"], "verbs": ["update", "patch"]},
]

finding := data.kspm.lib.rbac.role_finding(input.resource, permission, true, "approve CertificateSigningRequests", "update certificatesigningrequests/approval")

# CIS 4.2.10: the kubelet renews its client certificate before it expires (rotateCertificates).
package kspm.rules.kubelet_client_cert_rotation

import rego.v1

p := input.resource

key := "rotateCertificates"

# Rotation renews the kubelet's client certificate. A kubelet whose kubeconfig authenticates
# otherwise (an exec plugin such as EKS's `aws eks get-token`, a token) has none to renew, so
# the rule does not apply. An unknown method (kubeconfig unread) keeps the rule.
without_client_certificate if p.kubeconfig_auth in {"exec", "token", "auth-provider", "basic"}

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if {
	not without_client_certificate
	not data.kspm.lib.kubelet.available(p, [key])
}

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {
		"rotate_certificates": data.kspm.lib.kubelet.text(p, key),
		"kubeconfig_auth": object.get(p, "kubeconfig_auth", "unknown"),
	}),
	"expected": {key: true},
} if {
	not without_client_certificate
	data.kspm.lib.kubelet.available(p, [key])
}

outcome := "passed" if data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, key)) == true

outcome := "failed" if not data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, key)) == true

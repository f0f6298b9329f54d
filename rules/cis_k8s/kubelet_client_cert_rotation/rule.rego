# CIS 4.2.10: the kubelet renews its client certificate before it expires (rotateCertificates).
package kspm.rules.kubelet_client_cert_rotation

import rego.v1

import data.kspm.lib.kubelet
import data.kspm.lib.node

p := input.resource

key := "rotateCertificates"

finding := kubelet.error_finding(p, [key]) if not kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(kubelet.base_evidence(p), {"rotate_certificates": kubelet.text(p, key)}),
	"expected": {key: true},
} if kubelet.available(p, [key])

outcome := "passed" if node.go_bool(kubelet.value(p, key)) == true

outcome := "failed" if not node.go_bool(kubelet.value(p, key)) == true

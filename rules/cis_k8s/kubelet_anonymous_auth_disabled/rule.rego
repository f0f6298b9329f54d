# CIS 4.2.1: the kubelet refuses anonymous requests (authentication.anonymous.enabled is false).
package kspm.rules.kubelet_anonymous_auth_disabled

import rego.v1

p := input.resource

key := "authentication.anonymous.enabled"

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {"anonymous_auth": data.kspm.lib.kubelet.text(p, key)}),
	"expected": {key: false},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, key)) == false

outcome := "failed" if not data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, key)) == false

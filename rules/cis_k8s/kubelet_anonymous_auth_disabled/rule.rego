# CIS 4.2.1: the kubelet refuses anonymous requests (authentication.anonymous.enabled is false).
package kspm.rules.kubelet_anonymous_auth_disabled

import rego.v1

import data.kspm.lib.kubelet
import data.kspm.lib.node

p := input.resource

key := "authentication.anonymous.enabled"

finding := kubelet.error_finding(p, [key]) if not kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(kubelet.base_evidence(p), {"anonymous_auth": kubelet.text(p, key)}),
	"expected": {key: false},
} if kubelet.available(p, [key])

outcome := "passed" if node.go_bool(kubelet.value(p, key)) == false

outcome := "failed" if not node.go_bool(kubelet.value(p, key)) == false

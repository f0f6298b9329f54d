# CIS 4.2.14: containers without a seccomp profile get RuntimeDefault (seccompDefault is true).
package kspm.rules.kubelet_seccomp_default

import rego.v1

import data.kspm.lib.kubelet
import data.kspm.lib.node

p := input.resource

key := "seccompDefault"

finding := kubelet.error_finding(p, [key]) if not kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(kubelet.base_evidence(p), {"seccomp_default": kubelet.text(p, key)}),
	"expected": {key: true},
} if kubelet.available(p, [key])

outcome := "passed" if node.go_bool(kubelet.value(p, key)) == true

outcome := "failed" if not node.go_bool(kubelet.value(p, key)) == true

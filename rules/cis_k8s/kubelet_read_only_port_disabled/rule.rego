# CIS 4.2.4: the kubelet's unauthenticated read-only port is off (readOnlyPort is 0).
package kspm.rules.kubelet_read_only_port_disabled

import rego.v1

import data.kspm.lib.kubelet
import data.kspm.lib.node

p := input.resource

key := "readOnlyPort"

finding := kubelet.error_finding(p, [key]) if not kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(kubelet.base_evidence(p), {"read_only_port": kubelet.text(p, key)}),
	"expected": {key: 0},
} if kubelet.available(p, [key])

outcome := "passed" if node.int_value(kubelet.value(p, key)) == 0

outcome := "failed" if not node.int_value(kubelet.value(p, key)) == 0

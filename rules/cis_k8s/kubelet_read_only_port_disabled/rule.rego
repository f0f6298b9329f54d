# CIS 4.2.4: the kubelet's unauthenticated read-only port is off (readOnlyPort is 0).
package kspm.rules.kubelet_read_only_port_disabled

import rego.v1

p := input.resource

key := "readOnlyPort"

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {"read_only_port": data.kspm.lib.kubelet.text(p, key)}),
	"expected": {key: 0},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if data.kspm.lib.node.int_value(data.kspm.lib.kubelet.value(p, key)) == 0

outcome := "failed" if not data.kspm.lib.node.int_value(data.kspm.lib.kubelet.value(p, key)) == 0

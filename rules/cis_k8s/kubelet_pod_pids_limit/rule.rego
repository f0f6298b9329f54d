# CIS 4.2.13: each pod gets a PID limit (podPidsLimit > 0).
package kspm.rules.kubelet_pod_pids_limit

import rego.v1

p := input.resource

key := "podPidsLimit"

limit := data.kspm.lib.node.int_value(data.kspm.lib.kubelet.value(p, key))

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {"pod_pids_limit": data.kspm.lib.kubelet.text(p, key)}),
	"expected": {key: "a positive number of processes per pod"},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if limit > 0

outcome := "failed" if not limit > 0

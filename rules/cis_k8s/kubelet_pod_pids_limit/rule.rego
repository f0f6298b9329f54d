# CIS 4.2.13: each pod gets a PID limit (podPidsLimit > 0).
package kspm.rules.kubelet_pod_pids_limit

import rego.v1

import data.kspm.lib.kubelet
import data.kspm.lib.node

p := input.resource

key := "podPidsLimit"

limit := node.int_value(kubelet.value(p, key))

finding := kubelet.error_finding(p, [key]) if not kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(kubelet.base_evidence(p), {"pod_pids_limit": kubelet.text(p, key)}),
	"expected": {key: "a positive number of processes per pod"},
} if kubelet.available(p, [key])

outcome := "passed" if limit > 0

outcome := "failed" if not limit > 0

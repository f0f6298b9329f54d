# CIS 4.2.6: the kubelet manages its iptables utility chains (makeIPTablesUtilChains is true).
package kspm.rules.kubelet_iptables_util_chains

import rego.v1

import data.kspm.lib.kubelet
import data.kspm.lib.node

p := input.resource

key := "makeIPTablesUtilChains"

finding := kubelet.error_finding(p, [key]) if not kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(kubelet.base_evidence(p), {"make_iptables_util_chains": kubelet.text(p, key)}),
	"expected": {key: true},
} if kubelet.available(p, [key])

outcome := "passed" if node.go_bool(kubelet.value(p, key)) == true

outcome := "failed" if not node.go_bool(kubelet.value(p, key)) == true

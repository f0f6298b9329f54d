# CIS 4.2.6: the kubelet manages its iptables utility chains (makeIPTablesUtilChains is true).
package kspm.rules.kubelet_iptables_util_chains

import rego.v1

p := input.resource

key := "makeIPTablesUtilChains"

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {"make_iptables_util_chains": data.kspm.lib.kubelet.text(p, key)}),
	"expected": {key: true},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, key)) == true

outcome := "failed" if not data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, key)) == true

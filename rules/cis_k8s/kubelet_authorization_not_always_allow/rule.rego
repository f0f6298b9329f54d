# CIS 4.2.2: the kubelet authorizes requests (authorization.mode is not AlwaysAllow).
package kspm.rules.kubelet_authorization_not_always_allow

import rego.v1

p := input.resource

key := "authorization.mode"

mode := trim_space(sprintf("%v", [data.kspm.lib.kubelet.value(p, key)]))

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {"authorization_mode": data.kspm.lib.kubelet.text(p, key)}),
	"expected": {key: "Webhook"},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if mode == "Webhook"

outcome := "failed" if mode != "Webhook"

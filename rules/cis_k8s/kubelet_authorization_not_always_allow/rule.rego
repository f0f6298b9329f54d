# CIS 4.2.2: the kubelet authorizes requests (authorization.mode is not AlwaysAllow).
package kspm.rules.kubelet_authorization_not_always_allow

import rego.v1

import data.kspm.lib.kubelet

p := input.resource

key := "authorization.mode"

mode := trim_space(sprintf("%v", [kubelet.value(p, key)]))

finding := kubelet.error_finding(p, [key]) if not kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(kubelet.base_evidence(p), {"authorization_mode": kubelet.text(p, key)}),
	"expected": {key: "Webhook"},
} if kubelet.available(p, [key])

outcome := "passed" if mode == "Webhook"

outcome := "failed" if mode != "Webhook"

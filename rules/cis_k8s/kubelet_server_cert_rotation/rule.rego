# CIS 4.2.11: the RotateKubeletServerCertificate feature gate is not switched off.
package kspm.rules.kubelet_server_cert_rotation

import rego.v1

p := input.resource

key := "featureGates.RotateKubeletServerCertificate"

gate_off if data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, key)) == false

bootstrap if data.kspm.lib.node.go_bool(data.kspm.lib.kubelet.value(p, "serverTLSBootstrap")) == true

note := "serverTLSBootstrap is on: the kubelet requests its serving certificate from the API server and renews it" if {
	bootstrap
	not gate_off
} else := "the gate is on but only takes effect with serverTLSBootstrap: true; without it the kubelet keeps a self-signed serving certificate (see CIS 4.2.9)" if {
	not gate_off
} else := "the gate is off: serving certificates are never requested or renewed through the API, even with serverTLSBootstrap"

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {
		"feature_gate": data.kspm.lib.kubelet.text(p, key),
		"server_tls_bootstrap": data.kspm.lib.kubelet.text(p, "serverTLSBootstrap"),
		"note": note,
	}),
	"expected": {"RotateKubeletServerCertificate": "not false (default true)", "serverTLSBootstrap": "true, for the gate to have an effect"},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "failed" if gate_off

outcome := "passed" if not gate_off

# CIS 1.3.6: the controller manager does not turn RotateKubeletServerCertificate off.
package kspm.rules.controller_manager_kubelet_server_cert_rotation

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

gate := "RotateKubeletServerCertificate"

expected := {gate: "not set to false (default true)"}

turned_off if data.kspm.lib.apiserver.feature_gate(p, gate) == false

# Every occurrence, since pflag merges them.
setting := sprintf("--feature-gates=%s", [concat(",", data.kspm.lib.node.flag_list(p, "--feature-gates"))]) if data.kspm.lib.node.has_flag(p, "--feature-gates")

setting := "--feature-gates not set (every gate keeps its default)" if not data.kspm.lib.node.has_flag(p, "--feature-gates")

finding := {
	"evaluation": "failed",
	"evidence": {"setting": setting, "gate_enabled": false, "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	turned_off
}

finding := {
	"evaluation": "passed",
	"evidence": {"setting": setting, "gate_enabled": true, "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	not turned_off
}

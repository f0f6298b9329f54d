# CIS 4.2.5: idle exec/attach/port-forward streams are closed (streamingConnectionIdleTimeout > 0).
package kspm.rules.kubelet_streaming_idle_timeout

import rego.v1

p := input.resource

key := "streamingConnectionIdleTimeout"

setting := data.kspm.lib.kubelet.lookup(p, key)

# A zero duration in the config file is replaced by the 4h default when the kubelet loads it
# (kubeadm writes `0s`); only a zero from the command line switches the timeout off.
seconds := 14400 if {
	setting != null
	setting.source == "config"
	data.kspm.lib.node.duration_seconds(setting.value) == 0
} else := data.kspm.lib.node.duration_seconds(setting.value) if {
	setting != null
	setting.value != null
}

note := sprintf("the config file says %v, which the kubelet replaces with the default 4h0m0s", [setting.config_value]) if {
	setting.source == "default"
	object.get(setting, "config_value", null) != null
} else := "0 in the config file means the default: the kubelet applies 4h0m0s" if {
	setting.source == "config"
	data.kspm.lib.node.duration_seconds(setting.value) == 0
} else := "0 on the command line disables the timeout" if {
	setting.source == "flag"
	data.kspm.lib.node.duration_seconds(setting.value) == 0
} else := "not a Go duration the kubelet accepts" if {
	not data.kspm.lib.node.duration_seconds(setting.value)
} else := ""

default effective_seconds := "unknown"

effective_seconds := seconds if seconds != null

finding := data.kspm.lib.kubelet.error_finding(p, [key]) if not data.kspm.lib.kubelet.available(p, [key])

finding := {
	"evaluation": outcome,
	"evidence": object.union(data.kspm.lib.kubelet.base_evidence(p), {
		"streaming_idle_timeout": data.kspm.lib.kubelet.text(p, key),
		"effective_seconds": effective_seconds,
		"note": note,
	}),
	"expected": {key: "a positive duration such as 5m0s (default 4h0m0s)"},
} if data.kspm.lib.kubelet.available(p, [key])

outcome := "passed" if seconds > 0

outcome := "failed" if not seconds > 0

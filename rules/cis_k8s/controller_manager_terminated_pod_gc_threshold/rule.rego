# CIS 1.3.1: --terminated-pod-gc-threshold is set explicitly to a positive number.
package kspm.rules.controller_manager_terminated_pod_gc_threshold

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

flag := "--terminated-pod-gc-threshold"

expected := {flag: "an explicit positive number sized for the cluster"}

finding := {
	"evaluation": "failed",
	"evidence": {
		"setting": data.kspm.lib.apiserver.observed(p, flag, "12500"),
		"reason": "the implicit default of 12500 terminated pods is kept",
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	not data.kspm.lib.node.has_flag(p, flag)
}

threshold := data.kspm.lib.node.int_value(data.kspm.lib.node.flag(p, flag))

finding := {
	"evaluation": "passed",
	"evidence": {"setting": data.kspm.lib.node.flag_text(p, flag), "threshold": threshold, "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	threshold > 0
}

finding := {
	"evaluation": "failed",
	"evidence": {
		"setting": data.kspm.lib.node.flag_text(p, flag),
		"threshold": threshold,
		"reason": "a threshold of 0 or less turns the terminated-pod garbage collector off",
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	threshold <= 0
}

finding := data.kspm.lib.apiserver.int_error(p, flag) if {
	data.kspm.lib.apiserver.readable(p)
	data.kspm.lib.node.has_flag(p, flag)
	not is_number(threshold)
}

# CIS 1.3.1: --terminated-pod-gc-threshold is set explicitly to a positive number.
package kspm.rules.controller_manager_terminated_pod_gc_threshold

import rego.v1

import data.kspm.lib.apiserver
import data.kspm.lib.node

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

flag := "--terminated-pod-gc-threshold"

expected := {flag: "an explicit positive number sized for the cluster"}

finding := {
	"evaluation": "failed",
	"evidence": {
		"setting": apiserver.observed(p, flag, "12500"),
		"reason": "the implicit default of 12500 terminated pods is kept",
		"read_from": apiserver.origin(p),
	},
	"expected": expected,
} if {
	apiserver.readable(p)
	not node.has_flag(p, flag)
}

threshold := node.int_value(node.flag(p, flag))

finding := {
	"evaluation": "passed",
	"evidence": {"setting": node.flag_text(p, flag), "threshold": threshold, "read_from": apiserver.origin(p)},
	"expected": expected,
} if {
	apiserver.readable(p)
	threshold > 0
}

finding := {
	"evaluation": "failed",
	"evidence": {
		"setting": node.flag_text(p, flag),
		"threshold": threshold,
		"reason": "a threshold of 0 or less turns the terminated-pod garbage collector off",
		"read_from": apiserver.origin(p),
	},
	"expected": expected,
} if {
	apiserver.readable(p)
	threshold <= 0
}

finding := apiserver.int_error(p, flag) if {
	apiserver.readable(p)
	node.has_flag(p, flag)
	not is_number(threshold)
}

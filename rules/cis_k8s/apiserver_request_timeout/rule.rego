# CIS 1.2.20: --request-timeout is absent (60s default) or between 60s and 300s.
package kspm.rules.apiserver_request_timeout

import rego.v1

import data.kspm.lib.apiserver
import data.kspm.lib.node

p := input.resource

finding := apiserver.process_error(p) if apiserver.unreadable(p)

flag := "--request-timeout"

expected := {flag: "between 60s and 300s (default 1m0s)"}

finding := {
	"evaluation": "passed",
	"evidence": {"setting": "--request-timeout not set (default: 1m0s)", "seconds": 60, "read_from": apiserver.origin(p)},
	"expected": expected,
} if {
	apiserver.readable(p)
	not node.has_flag(p, flag)
}

seconds := node.duration_seconds(node.flag(p, flag))

verdict := {"status": "failed", "reason": "shorter than the 60s default: large list requests and uploads time out"} if seconds < 60

verdict := {"status": "passed", "reason": "within 60s to 300s"} if {
	seconds >= 60
	seconds <= 300
}

verdict := {"status": "failed", "reason": "longer than 300s: slow or stalled requests hold API server resources that long"} if seconds > 300

finding := {
	"evaluation": verdict.status,
	"evidence": {"setting": node.flag_text(p, flag), "seconds": seconds, "reason": verdict.reason, "read_from": apiserver.origin(p)},
	"expected": expected,
} if {
	apiserver.readable(p)
	node.has_flag(p, flag)
}

finding := {
	"evaluation": "manual",
	"evidence": {"setting": node.flag_text(p, flag), "reason": "the value is not a Go duration kspm can read; check it by hand", "read_from": apiserver.origin(p)},
	"expected": expected,
} if {
	apiserver.readable(p)
	node.has_flag(p, flag)
	not is_number(seconds)
}

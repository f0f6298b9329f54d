# CIS 1.2.20: --request-timeout is absent (60s default) or between 60s and 300s.
package kspm.rules.apiserver_request_timeout

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

flag := "--request-timeout"

expected := {flag: "between 60s and 300s (default 1m0s)"}

finding := {
	"evaluation": "passed",
	"evidence": {"setting": "--request-timeout not set (default: 1m0s)", "seconds": 60, "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	not data.kspm.lib.node.has_flag(p, flag)
}

seconds := data.kspm.lib.node.duration_seconds(data.kspm.lib.node.flag(p, flag))

verdict := {"status": "failed", "reason": "shorter than the 60s default: large list requests and uploads time out"} if seconds < 60

verdict := {"status": "passed", "reason": "within 60s to 300s"} if {
	seconds >= 60
	seconds <= 300
}

verdict := {"status": "failed", "reason": "longer than 300s: slow or stalled requests hold API server resources that long"} if seconds > 300

finding := {
	"evaluation": verdict.status,
	"evidence": {"setting": data.kspm.lib.node.flag_text(p, flag), "seconds": seconds, "reason": verdict.reason, "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	data.kspm.lib.node.has_flag(p, flag)
}

finding := {
	"evaluation": "manual",
	"evidence": {"setting": data.kspm.lib.node.flag_text(p, flag), "reason": "the value is not a Go duration kspm can read; check it by hand", "read_from": data.kspm.lib.apiserver.origin(p)},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	data.kspm.lib.node.has_flag(p, flag)
	not is_number(seconds)
}

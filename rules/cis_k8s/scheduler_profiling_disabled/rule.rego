# CIS 1.4.1: the scheduler's pprof endpoints are off (--profiling=false, or enableProfiling: false
# in its --config file, which then takes precedence).
package kspm.rules.scheduler_profiling_disabled

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

with_config if data.kspm.lib.node.has_flag(p, "--config")

config := object.get(p, "config", null)

expected := {"profiling": false}

finding := data.kspm.lib.apiserver.bool_flag_finding(p, "--profiling", true, false) if {
	data.kspm.lib.apiserver.readable(p)
	not with_config
}

finding := {
	"evaluation": data.kspm.lib.apiserver.status(enabled == false),
	"evidence": {
		"setting": sprintf("enableProfiling = %v in %s (--config)", [enabled, data.kspm.lib.node.flag(p, "--config")]),
		"effective_value": enabled,
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	with_config
	is_object(config)
	enabled := data.kspm.lib.node.go_bool(object.get(config, "enableProfiling", true))
}

finding := {
	"evaluation": "manual",
	"evidence": {
		"setting": data.kspm.lib.node.flag_text(p, "--config"),
		"reason": "with --config the scheduler ignores --profiling and reads enableProfiling (default true) from that file, which kspm did not read",
		"to_check": sprintf("on the node, read %s and check that it sets enableProfiling: false", [data.kspm.lib.node.flag(p, "--config")]),
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	with_config
	not is_object(config)
}

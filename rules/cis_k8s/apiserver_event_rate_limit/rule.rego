# CIS 1.2.9: EventRateLimit is on and configured in the admission configuration file.
package kspm.rules.apiserver_event_rate_limit

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

config_flag := "--admission-control-config-file"

enabled if data.kspm.lib.apiserver.plugin_enabled(p, "EventRateLimit")

config_set if data.kspm.lib.apiserver.set_non_empty(p, config_flag)

expected := {"plugin": "EventRateLimit", "enabled": true, config_flag: "an AdmissionConfiguration with an EventRateLimit entry"}

base_evidence := object.union(data.kspm.lib.apiserver.plugin_evidence(p, "EventRateLimit"), {"admission_config": data.kspm.lib.apiserver.observed(p, config_flag, "none")})

finding := {"evaluation": "failed", "evidence": base_evidence, "expected": expected} if {
	data.kspm.lib.apiserver.readable(p)
	not enabled
}

finding := {
	"evaluation": "failed",
	"evidence": object.union(base_evidence, {"reason": "the plugin is enabled but no admission configuration file gives it limits"}),
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	enabled
	not config_set
}

finding := data.kspm.lib.apiserver.referenced_file_error(p, config_flag) if {
	data.kspm.lib.apiserver.readable(p)
	enabled
	config_set
	data.kspm.lib.apiserver.referenced_error(p, config_flag)
}

finding := {
	"evaluation": "manual",
	"evidence": object.union(base_evidence, {
		"reason": data.kspm.lib.apiserver.content_missing_reason(p, config_flag),
		"to_check": sprintf("on the node, read %s and check that plugins[] has an entry named EventRateLimit with limits (inline configuration.limits or a path to a limits file)", [data.kspm.lib.node.flag(p, config_flag)]),
	}),
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	enabled
	config_set
	not data.kspm.lib.apiserver.referenced_error(p, config_flag)
	not data.kspm.lib.apiserver.has_content(p, config_flag)
}

# The EventRateLimit entries of the AdmissionConfiguration.
entries := [e |
	some e in object.get(data.kspm.lib.apiserver.referenced(p, config_flag).content, "plugins", [])
	object.get(e, "name", "") == "EventRateLimit"
]

limit_text(l) := sprintf("%s qps=%v burst=%v", [object.get(l, "type", "?"), object.get(l, "qps", "?"), object.get(l, "burst", "?")])

limits := [limit_text(l) |
	some e in entries
	some l in object.get(object.get(e, "configuration", {}), "limits", [])
]

limits_files := [e.path |
	some e in entries
	is_string(object.get(e, "path", null))
]

configured if count(limits) + count(limits_files) > 0

judged_evidence := object.union(base_evidence, {"limits": limits, "limits_files": limits_files})

finding := {"evaluation": "passed", "evidence": judged_evidence, "expected": expected} if {
	data.kspm.lib.apiserver.readable(p)
	enabled
	data.kspm.lib.apiserver.has_content(p, config_flag)
	configured
}

finding := {
	"evaluation": "failed",
	"evidence": object.union(judged_evidence, {"reason": "the admission configuration has no EventRateLimit entry with limits"}),
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	enabled
	data.kspm.lib.apiserver.has_content(p, config_flag)
	not configured
}

# CIS 1.2.1: anonymous requests are refused (--anonymous-auth=false, or an authentication
# configuration whose anonymous section is disabled).
package kspm.rules.apiserver_anonymous_auth_disabled

import rego.v1

p := input.resource

finding := data.kspm.lib.apiserver.process_error(p) if data.kspm.lib.apiserver.unreadable(p)

cfg_flag := "--authentication-config"

# Without the flag but with a structured authentication file, the file's `anonymous` section
# (or, when it has none, the flag's default) decides.
structured if {
	not data.kspm.lib.node.has_flag(p, "--anonymous-auth")
	data.kspm.lib.node.has_flag(p, cfg_flag)
}

expected := {"anonymous_requests": "refused"}

finding := data.kspm.lib.apiserver.bool_flag_finding(p, "--anonymous-auth", true, false) if {
	data.kspm.lib.apiserver.readable(p)
	not structured
}

finding := data.kspm.lib.apiserver.referenced_file_error(p, cfg_flag) if {
	data.kspm.lib.apiserver.readable(p)
	structured
	data.kspm.lib.apiserver.referenced_error(p, cfg_flag)
}

finding := {
	"evaluation": "manual",
	"evidence": {
		"setting": sprintf("--anonymous-auth not set; %s", [data.kspm.lib.node.flag_text(p, cfg_flag)]),
		"reason": sprintf("anonymous access may be configured in the authentication file, and %s", [data.kspm.lib.apiserver.content_missing_reason(p, cfg_flag)]),
		"to_check": sprintf("on the node, read %s: without an anonymous section, or with anonymous.enabled: true, anonymous requests are allowed", [data.kspm.lib.node.flag(p, cfg_flag)]),
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	structured
	not data.kspm.lib.apiserver.referenced_error(p, cfg_flag)
	not data.kspm.lib.apiserver.has_content(p, cfg_flag)
}

cfg_path := object.get(data.kspm.lib.apiserver.referenced(p, cfg_flag), "path", data.kspm.lib.node.flag(p, cfg_flag))

anonymous := object.get(data.kspm.lib.apiserver.referenced(p, cfg_flag).content, "anonymous", null)

finding := {
	"evaluation": "failed",
	"evidence": {
		"setting": sprintf("--anonymous-auth not set and %s (--authentication-config) has no anonymous section: the default (true) applies", [cfg_path]),
		"anonymous_enabled": true,
		"read_from": data.kspm.lib.apiserver.origin(p),
	},
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	structured
	data.kspm.lib.apiserver.has_content(p, cfg_flag)
	anonymous == null
}

anonymous_enabled := data.kspm.lib.node.go_bool(object.get(anonymous, "enabled", false))

anonymous_paths := [c.path | some c in object.get(anonymous, "conditions", []); is_string(object.get(c, "path", null))]

health_paths := {"/livez", "/readyz", "/healthz"}

# Anonymous access that the authenticator itself limits to health endpoints: no RBAC binding
# can widen it, but CIS asks for none at all, so a person confirms it.
health_only if {
	count(anonymous_paths) > 0
	count(anonymous_paths) == count(object.get(anonymous, "conditions", []))
	every path in anonymous_paths {
		path in health_paths
	}
}

anonymous_evidence := {
	"setting": sprintf("anonymous.enabled = %v in %s (--authentication-config)", [anonymous_enabled, cfg_path]),
	"anonymous_enabled": anonymous_enabled,
	"anonymous_paths": anonymous_paths,
	"read_from": data.kspm.lib.apiserver.origin(p),
}

anonymous_verdict := "passed" if anonymous_enabled == false

anonymous_verdict := "manual" if {
	anonymous_enabled == true
	health_only
}

anonymous_verdict := "failed" if {
	anonymous_enabled == true
	not health_only
}

finding := {
	"evaluation": anonymous_verdict,
	"evidence": object.union(anonymous_evidence, {"reason": reason}),
	"expected": expected,
} if {
	data.kspm.lib.apiserver.readable(p)
	structured
	data.kspm.lib.apiserver.has_content(p, cfg_flag)
	is_object(anonymous)
	reason := _reasons[anonymous_verdict]
}

_reasons := {
	"passed": "anonymous requests are disabled in the authentication configuration",
	"manual": "anonymous requests are allowed only for health endpoints; confirm that this is intended",
	"failed": "anonymous requests are enabled beyond the health endpoints",
}

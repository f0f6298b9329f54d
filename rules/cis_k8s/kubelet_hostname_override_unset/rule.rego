# CIS 4.2.7: the kubelet registers under the host's own name (no --hostname-override).
package kspm.rules.kubelet_hostname_override_unset

import rego.v1

p := input.resource

finding := {
	"evaluation": "error",
	"evidence": {"error": p.error},
} if object.get(p, "error", "") != ""

finding := {
	"evaluation": "passed",
	"evidence": {"hostname_override": "--hostname-override not set"},
	"expected": {"--hostname-override": "not set"},
} if {
	object.get(p, "error", "") == ""
	not data.kspm.lib.node.has_flag(p, "--hostname-override")
}

finding := {
	"evaluation": "failed",
	"evidence": {
		"hostname_override": data.kspm.lib.node.flag_text(p, "--hostname-override"),
		"override_value": data.kspm.lib.node.flag(p, "--hostname-override"),
		"note": "some platforms need this flag (nodes named after their cloud DNS name, such as AWS EC2 private DNS names, and some OpenStack or bare-metal setups); there, record a kspm exception with the reason",
	},
	"expected": {"--hostname-override": "not set"},
} if {
	object.get(p, "error", "") == ""
	data.kspm.lib.node.has_flag(p, "--hostname-override")
}
